//! The flow table against Zeek's conn.log semantics, one behaviour per test: connection states,
//! history letters, byte and packet accounting, role flips, port reuse, timeouts, ICMP pairing,
//! Community ID, uids, the flow cap and sharding. Packets are built by hand (see [`Tcp`]) so that
//! each test states exactly what Zeek would see.

use netloupe_decode::tcpflags::{ACK, FIN, PSH, RST, SYN};
use netloupe_flow::{ConnRecord, FlowConfig, FlowKey, FlowPacket, FlowStats, FlowTable, Proto, L4};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const SEC: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;
/// A realistic capture time (Nov 2023).
const T0: i64 = 1_700_000_000 * SEC;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn ep(s: &str) -> (IpAddr, u16) {
    let sa: SocketAddr = s.parse().unwrap();
    (sa.ip(), sa.port())
}

/// A TCP conversation between a client and a server that tracks both sides' next sequence
/// numbers, so tests read as "client sends 100 bytes", "server ACKs". Every packet advances the
/// clock by 1 ms (use [`Tcp::wait`] for longer pauses). IP length = 40 + payload.
struct Tcp {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    /// Next sequence number to send: [client, server].
    next: [u32; 2],
    ts: i64,
    pkts: Vec<FlowPacket>,
}

impl Tcp {
    fn new(client: &str, server: &str) -> Tcp {
        Tcp {
            client: ep(client),
            server: ep(server),
            next: [1000, 5000],
            ts: T0,
            pkts: Vec::new(),
        }
    }

    /// Default client/server: 10.0.0.1:40000 → 10.0.0.2:80.
    fn web() -> Tcp {
        Tcp::new("10.0.0.1:40000", "10.0.0.2:80")
    }

    fn isn(&mut self, client: u32, server: u32) -> &mut Self {
        self.next = [client, server];
        self
    }

    fn start_at(&mut self, ts: i64) -> &mut Self {
        self.ts = ts;
        self
    }

    fn wait(&mut self, d: i64) -> &mut Self {
        self.ts += d;
        self
    }

    /// A segment at explicit sequence numbers (nothing tracked changes).
    fn raw(&mut self, from_client: bool, flags: u8, seq: u32, ack: u32, len: u32) -> &mut Self {
        self.ts += MS;
        let (src, dst) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        self.pkts.push(FlowPacket {
            ts_ns: self.ts,
            src: src.0,
            dst: dst.0,
            proto: 6,
            l4: L4::Tcp {
                sport: src.1,
                dport: dst.1,
                seq,
                ack,
                flags,
                window: 65535,
                window_scale: None,
            },
            ip_len: 40 + len,
            wire_len: 54 + len,
            payload_len: len,
            complete: true,
            bad_checksum: false,
            tunnel_parent: None,
            vlan: None,
            inner_vlan: None,
        });
        self
    }

    /// A segment at the sender's next sequence number, acknowledging everything the peer sent
    /// (when ACK is set); the sender's sequence advances by payload + SYN + FIN.
    fn send(&mut self, from_client: bool, flags: u8, len: u32) -> &mut Self {
        let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
        let seq = self.next[me];
        let ack = if flags & ACK != 0 { self.next[peer] } else { 0 };
        self.raw(from_client, flags, seq, ack, len);
        if flags & RST == 0 {
            self.next[me] = seq
                .wrapping_add(len)
                .wrapping_add(u32::from(flags & SYN != 0) + u32::from(flags & FIN != 0));
        }
        self
    }

    fn c(&mut self, flags: u8, len: u32) -> &mut Self {
        self.send(true, flags, len)
    }

    fn s(&mut self, flags: u8, len: u32) -> &mut Self {
        self.send(false, flags, len)
    }

    fn syn(&mut self) -> &mut Self {
        self.c(SYN, 0)
    }

    fn syn_ack(&mut self) -> &mut Self {
        self.s(SYN | ACK, 0)
    }

    fn handshake(&mut self) -> &mut Self {
        self.syn().syn_ack().c(ACK, 0)
    }

    /// `len` bytes the sender sent that the capture missed.
    fn lose(&mut self, from_client: bool, len: u32) -> &mut Self {
        let i = usize::from(!from_client);
        self.next[i] = self.next[i].wrapping_add(len);
        self
    }

    /// The previous packet again (a retransmission), 1 ms later.
    fn again(&mut self) -> &mut Self {
        self.ts += MS;
        let mut p = *self.pkts.last().expect("a packet to repeat");
        p.ts_ns = self.ts;
        self.pkts.push(p);
        self
    }

    fn last(&mut self) -> &mut FlowPacket {
        self.pkts.last_mut().expect("a packet")
    }

    fn window0(&mut self) -> &mut Self {
        if let L4::Tcp { window, .. } = &mut self.last().l4 {
            *window = 0;
        }
        self
    }

    fn bad_checksum(&mut self) -> &mut Self {
        self.last().bad_checksum = true;
        self
    }

    /// Packet count and IP bytes the client (true) or server sent (good checksums only).
    fn sent(&self, from_client: bool) -> (u64, u64) {
        let who = if from_client {
            self.client
        } else {
            self.server
        };
        self.pkts
            .iter()
            .filter(|p| p.src == who.0 && p.key() == self.pkts[0].key() && !p.bad_checksum)
            .filter(|p| matches!(p.l4, L4::Tcp { sport, .. } if sport == who.1))
            .fold((0, 0), |(n, b), p| (n + 1, b + u64::from(p.ip_len)))
    }
}

fn udp(ts: i64, src: &str, dst: &str, payload: u32) -> FlowPacket {
    let (s, d) = (ep(src), ep(dst));
    FlowPacket {
        ts_ns: ts,
        src: s.0,
        dst: d.0,
        proto: 17,
        l4: L4::Udp {
            sport: s.1,
            dport: d.1,
            ulen: (payload + 8) as u16,
        },
        ip_len: 28 + payload,
        wire_len: 42 + payload,
        payload_len: payload,
        complete: true,
        bad_checksum: false,
        tunnel_parent: None,
        vlan: None,
        inner_vlan: None,
    }
}

fn icmp(ts: i64, src: &str, dst: &str, icmp_type: u8, code: u8, payload: u32) -> FlowPacket {
    FlowPacket {
        ts_ns: ts,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto: 1,
        l4: L4::Icmp {
            icmp_type,
            code,
            v6: false,
        },
        ip_len: 28 + payload,
        wire_len: 42 + payload,
        payload_len: payload,
        complete: true,
        bad_checksum: false,
        tunnel_parent: None,
        vlan: None,
        inner_vlan: None,
    }
}

/// Feeds `pkts` to a fresh table, flushes it, and returns every record (ordered by start time)
/// and the final stats.
fn run_cfg(cfg: FlowConfig, pkts: &[FlowPacket]) -> (Vec<ConnRecord>, FlowStats) {
    let mut table = FlowTable::new(cfg);
    let mut out = Vec::new();
    for p in pkts {
        table.process(p, &mut out);
    }
    let mut all: Vec<ConnRecord> = std::mem::take(&mut out);
    table.flush(&mut out, &mut |batch| all.append(batch));
    all.append(&mut out);
    all.sort_by_key(|r| (r.ts_ns, r.orig_h, r.orig_p));
    assert!(table.is_empty());
    (all, table.stats())
}

fn run(pkts: &[FlowPacket]) -> Vec<ConnRecord> {
    run_cfg(FlowConfig::default(), pkts).0
}

fn one(pkts: &[FlowPacket]) -> ConnRecord {
    let mut recs = run(pkts);
    assert_eq!(recs.len(), 1, "expected one record, got {recs:#?}");
    recs.remove(0)
}

/// Runs a conversation and checks the one record's state and history.
fn state_of(t: &Tcp, state: &str, history: &str) -> ConnRecord {
    let r = one(&t.pkts);
    assert_eq!(
        (r.conn_state, r.history.as_str()),
        (state, history),
        "record: {r:#?}"
    );
    r
}

// ---------------------------------------------------------------------------------------------
// A complete connection: every conn.log field
// ---------------------------------------------------------------------------------------------

#[test]
fn sf_handshake_data_and_fin_exchange() {
    let mut t = Tcp::web();
    t.handshake()
        .c(PSH | ACK, 100)
        .s(ACK, 0)
        .s(PSH | ACK, 200)
        .c(ACK, 0)
        .c(FIN | ACK, 0)
        .s(FIN | ACK, 0)
        .c(ACK, 0);
    let r = state_of(&t, "SF", "ShADadFf");
    assert_eq!((r.orig_h, r.orig_p), ep("10.0.0.1:40000"));
    assert_eq!((r.resp_h, r.resp_p), ep("10.0.0.2:80"));
    assert_eq!((r.proto, r.ip_proto), (Proto::Tcp, 6));
    assert_eq!(r.ts_ns, t.pkts[0].ts_ns);
    // Once both sides closed, packets no longer move the connection's last time (Zeek), so the
    // final ACK is counted but does not lengthen the duration.
    assert_eq!(r.duration_ns, Some(t.pkts[8].ts_ns - t.pkts[0].ts_ns));
    // Payload from sequence numbers: SYN and FIN take sequence space but are not bytes.
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(100), Some(200)));
    assert_eq!(r.missed_bytes, 0);
    assert_eq!((r.orig_pkts, r.orig_ip_bytes), (6, 6 * 40 + 100));
    assert_eq!((r.resp_pkts, r.resp_ip_bytes), (4, 4 * 40 + 200));
    assert_eq!(
        (r.orig_wire_bytes, r.resp_wire_bytes),
        (6 * 54 + 100, 4 * 54 + 200)
    );
    assert_eq!((r.orig_pkts, r.orig_ip_bytes), t.sent(true));
    assert_eq!((r.resp_pkts, r.resp_ip_bytes), t.sent(false));
    assert!(r.uid.to_conn_string().starts_with('C'));
    assert!(r.tunnel_parents.is_empty());
}

#[test]
fn sf_over_ipv6_with_sequence_wrap() {
    // Client ISN just below 2^32: its 3000 bytes wrap the sequence space.
    let mut t = Tcp::new("[2001:db8::1]:50000", "[2001:db8::2]:443");
    t.isn(u32::MAX - 1000, 7);
    t.handshake()
        .c(PSH | ACK, 1000)
        .c(PSH | ACK, 1000)
        .c(PSH | ACK, 1000)
        .s(ACK, 0)
        .c(FIN | ACK, 0)
        .s(FIN | ACK, 0)
        .c(ACK, 0);
    let r = state_of(&t, "SF", "ShADaFf");
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(3000), Some(0)));
    assert_eq!(r.missed_bytes, 0);
}

// ---------------------------------------------------------------------------------------------
// One test per reachable conn_state
// ---------------------------------------------------------------------------------------------

#[test]
fn s0_syn_only() {
    let mut t = Tcp::web();
    t.syn();
    let r = state_of(&t, "S0", "S");
    assert_eq!((r.orig_pkts, r.resp_pkts), (1, 0));
    assert_eq!((r.orig_ip_bytes, r.resp_ip_bytes), (40, 0));
    // A single packet: Zeek logs duration, orig_bytes and resp_bytes as '-'.
    assert_eq!(
        (r.duration_ns, r.orig_bytes, r.resp_bytes),
        (None, None, None)
    );
}

#[test]
fn s1_handshake_only() {
    let mut t = Tcp::web();
    t.handshake();
    let r = state_of(&t, "S1", "ShA");
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(0), Some(0)));
    assert_eq!((r.orig_pkts, r.resp_pkts), (2, 1));
}

#[test]
fn rej_syn_answered_by_rst_ack() {
    let mut t = Tcp::web();
    t.syn().s(RST | ACK, 0);
    let r = state_of(&t, "REJ", "Sr");
    assert_eq!((r.orig_pkts, r.resp_pkts), (1, 1));
}

#[test]
fn rsto_originator_resets_established_connection() {
    let mut t = Tcp::web();
    t.handshake().c(PSH | ACK, 10).s(ACK, 0).c(RST | ACK, 0);
    let r = state_of(&t, "RSTO", "ShADaR");
    assert_eq!(r.orig_bytes, Some(10));
}

#[test]
fn rstr_responder_resets_established_connection() {
    let mut t = Tcp::web();
    t.handshake().s(RST | ACK, 0);
    state_of(&t, "RSTR", "ShAr");
}

#[test]
fn s2_only_originator_closes() {
    let mut t = Tcp::web();
    t.handshake().c(FIN | ACK, 0);
    state_of(&t, "S2", "ShAF");
}

#[test]
fn s3_only_responder_closes() {
    let mut t = Tcp::web();
    t.handshake().s(FIN | ACK, 0);
    state_of(&t, "S3", "ShAf");
}

#[test]
fn rstos0_syn_then_originator_rst_without_reply() {
    let mut t = Tcp::web();
    t.syn().c(RST, 0);
    state_of(&t, "RSTOS0", "SR");
}

#[test]
fn rstrh_syn_ack_then_rst_from_responder_no_syn_seen() {
    // First packet is the server's SYN-ACK from port 80: the roles flip ('^') so that the
    // client is the originator; the server then resets.
    let mut t = Tcp::web();
    t.syn_ack().s(RST, 0);
    let r = state_of(&t, "RSTRH", "^hr");
    assert_eq!(r.orig_p, 40000);
    assert_eq!(r.resp_p, 80);
}

#[test]
fn sh_syn_then_fin_without_reply() {
    let mut t = Tcp::web();
    t.syn().c(FIN, 0);
    state_of(&t, "SH", "SF");
}

#[test]
fn shr_syn_ack_then_fin_from_responder_only() {
    let mut t = Tcp::web();
    t.syn_ack().s(FIN | ACK, 0);
    let r = state_of(&t, "SHR", "^hf");
    assert_eq!((r.orig_p, r.resp_p), (40000, 80));
}

#[test]
fn oth_mid_stream_data_without_syn() {
    let mut t = Tcp::web();
    t.c(PSH | ACK, 100).s(PSH | ACK, 50);
    let r = state_of(&t, "OTH", "Dd");
    assert_eq!((r.orig_p, r.resp_p), (40000, 80));
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(100), Some(50)));
}

// ---------------------------------------------------------------------------------------------
// Who is the originator?
// ---------------------------------------------------------------------------------------------

#[test]
fn flip_first_packet_syn_ack_from_server_port() {
    let mut t = Tcp::web();
    t.syn_ack().c(ACK, 0).c(PSH | ACK, 20).s(ACK, 0);
    let r = one(&t.pkts);
    assert!(r.history.starts_with("^h"), "{r:#?}");
    assert_eq!((r.orig_p, r.resp_p), (40000, 80));
    assert_eq!((r.orig_h, r.resp_h), (t.client.0, t.server.0));
    assert_eq!((r.orig_pkts, r.resp_pkts), (2, 2));
}

#[test]
fn flip_first_packet_data_from_server_port() {
    let mut t = Tcp::web();
    t.s(PSH | ACK, 30).c(ACK, 0);
    let r = state_of(&t, "OTH", "^dA");
    assert_eq!((r.orig_p, r.resp_p), (40000, 80));
    assert_eq!((r.orig_pkts, r.resp_pkts), (1, 1));
    assert_eq!(r.resp_bytes, Some(30));
}

#[test]
fn no_flip_for_plain_syn_from_server_port() {
    // A SYN says who started: even from port 80 to an ephemeral port, no flip.
    let mut t = Tcp::new("10.0.0.2:80", "10.0.0.1:40000");
    t.syn();
    let r = state_of(&t, "S0", "S");
    assert_eq!((r.orig_p, r.resp_p), (80, 40000));
}

#[test]
fn no_flip_when_both_ports_are_servers_and_first_is_syn_ack() {
    // Both 80 and 443 are likely server ports: a SYN-ACK never flips (stealth scans).
    let mut t = Tcp::new("10.0.0.1:443", "10.0.0.2:80");
    t.syn_ack();
    let r = one(&t.pkts);
    assert_eq!((r.orig_p, r.resp_p), (80, 443), "{r:#?}");
    assert!(!r.history.contains('^'));
}

#[test]
fn flip_when_both_ports_are_servers_data_from_lower_port() {
    // Both likely servers, not a SYN: flip only when the source port is the lower one.
    let mut t = Tcp::new("10.0.0.1:443", "10.0.0.2:80");
    t.s(PSH | ACK, 10); // 80 → 443: 80 < 443, flips, 443 side originates
    let r = one(&t.pkts);
    assert_eq!((r.orig_p, r.resp_p), (443, 80), "{r:#?}");
    assert!(r.history.starts_with('^'));

    let mut t = Tcp::new("10.0.0.1:443", "10.0.0.2:80");
    t.c(PSH | ACK, 10); // 443 → 80: 443 > 80, no flip
    let r = one(&t.pkts);
    assert_eq!((r.orig_p, r.resp_p), (443, 80), "{r:#?}");
    assert!(!r.history.contains('^'));
}

#[test]
fn syn_syn_ack_reversal_flips_and_marks_history() {
    // The capture shows the SYN-ACK before the SYN it answers (e.g. two interfaces merged);
    // neither port is a likely server port, so the SYN-ACK sender first looks like the
    // originator. The SYN whose sequence number the SYN-ACK acknowledged flips the roles.
    let mut t = Tcp::new("10.0.0.1:40000", "10.0.0.2:5000");
    t.isn(1000, 7000);
    t.raw(false, SYN | ACK, 7000, 1001, 0) // server's SYN-ACK first
        .raw(true, SYN, 1000, 0, 0) // then the client's SYN
        .raw(true, ACK, 1001, 7001, 0)
        .raw(true, PSH | ACK, 1001, 7001, 10)
        .raw(false, ACK, 7001, 1011, 0);
    let r = one(&t.pkts);
    assert!(r.history.contains('^'), "{r:#?}");
    assert_eq!((r.orig_h, r.orig_p), t.client, "{r:#?}");
    assert_eq!((r.resp_h, r.resp_p), t.server, "{r:#?}");
    assert_eq!(r.orig_bytes, Some(10));
    assert_eq!(r.orig_pkts + r.resp_pkts, 5);
}

#[test]
fn udp_from_server_port_flips() {
    let recs = run(&[
        udp(T0, "10.0.0.53:53", "10.0.0.1:40000", 100),
        udp(T0 + MS, "10.0.0.1:40000", "10.0.0.53:53", 30),
    ]);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!((r.orig_h, r.orig_p), ep("10.0.0.1:40000"));
    assert_eq!((r.resp_h, r.resp_p), ep("10.0.0.53:53"));
    assert_eq!(r.history, "^dD");
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(30), Some(100)));
    assert_eq!((r.orig_pkts, r.resp_pkts), (1, 1));
    assert_eq!((r.orig_ip_bytes, r.resp_ip_bytes), (58, 128));
    // Frame bytes (Suricata's flow.bytes_to*) follow the flip like the IP bytes.
    assert_eq!((r.orig_wire_bytes, r.resp_wire_bytes), (72, 142));
    assert_eq!(r.conn_state, "SF");
}

#[test]
fn udp_single_reply_from_server_port_is_shr_flipped() {
    let r = one(&[udp(T0, "10.0.0.53:53", "10.0.0.1:40000", 100)]);
    assert_eq!(r.orig_p, 40000);
    assert_eq!(r.history, "^d");
    assert_eq!(r.conn_state, "SHR");
}

#[test]
fn udp_from_server_port_to_broadcast_is_not_flipped() {
    let r = one(&[udp(T0, "10.0.0.53:53", "255.255.255.255:40000", 100)]);
    assert_eq!((r.orig_p, r.resp_p), (53, 40000));
    assert_eq!(r.resp_h, IpAddr::V4(Ipv4Addr::BROADCAST));
    assert_eq!(r.history, "D");
    assert_eq!(r.conn_state, "S0");
}

// ---------------------------------------------------------------------------------------------
// History details: retransmissions, zero windows, gaps, checksums
// ---------------------------------------------------------------------------------------------

#[test]
fn retransmission_from_originator_is_t() {
    let mut t = Tcp::web();
    t.handshake().c(PSH | ACK, 100).again();
    let r = state_of(&t, "S1", "ShADT");
    assert_eq!(r.orig_bytes, Some(100));
    assert_eq!(r.orig_pkts, 4, "retransmissions are packets too");
}

#[test]
fn retransmission_from_responder_is_lowercase_t() {
    let mut t = Tcp::web();
    t.handshake().s(PSH | ACK, 100).again();
    let r = state_of(&t, "S1", "ShAdt");
    assert_eq!(r.resp_bytes, Some(100));
}

#[test]
fn retransmissions_are_scaled_at_1_10_100() {
    for (n, expect) in [
        (1, "ShADT"),
        (9, "ShADT"),
        (10, "ShADTT"),
        (99, "ShADTT"),
        (100, "ShADTTT"),
    ] {
        let mut t = Tcp::web();
        t.handshake().c(PSH | ACK, 100);
        for _ in 0..n {
            t.again();
        }
        let r = one(&t.pkts);
        assert_eq!(r.history, expect, "{n} retransmissions");
    }
}

#[test]
fn zero_window_from_responder_is_w() {
    let mut t = Tcp::web();
    t.handshake().c(PSH | ACK, 100).s(ACK, 0).window0();
    state_of(&t, "S1", "ShADaw");
}

#[test]
fn zero_window_on_rst_is_not_reported() {
    let mut t = Tcp::web();
    t.handshake().s(RST | ACK, 0).window0();
    state_of(&t, "RSTR", "ShAr");
}

#[test]
fn content_gap_in_originator_data_is_g_with_missed_bytes() {
    let mut t = Tcp::web();
    t.handshake()
        .c(PSH | ACK, 100)
        .lose(true, 100) // bytes 101..200 never captured
        .c(PSH | ACK, 50)
        .s(ACK, 0); // acknowledges all 250 bytes
    let r = state_of(&t, "S1", "ShADaG");
    assert_eq!(r.missed_bytes, 100);
    // orig_bytes comes from sequence space, so it includes the missed bytes.
    assert_eq!(r.orig_bytes, Some(250));
}

#[test]
fn content_gap_in_responder_data_is_lowercase_g() {
    let mut t = Tcp::web();
    t.handshake().c(PSH | ACK, 10).lose(false, 300).c(ACK, 0); // client acknowledges 300 server bytes it was never seen receiving
    let r = state_of(&t, "S1", "ShADg");
    assert_eq!(r.missed_bytes, 300);
    assert_eq!(r.resp_bytes, Some(300));
}

#[test]
fn no_gap_for_partial_connection() {
    // Started mid-stream (no SYN): both sides are PARTIAL, so Zeek does not report gaps.
    let mut t = Tcp::web();
    t.c(PSH | ACK, 100)
        .lose(true, 100)
        .c(PSH | ACK, 50)
        .s(ACK, 0);
    let r = state_of(&t, "OTH", "Da");
    assert_eq!(r.missed_bytes, 0);
    assert_eq!(r.orig_bytes, Some(250));
}

#[test]
fn tcp_bad_checksum_is_c_not_counted_and_changes_nothing() {
    let mut t = Tcp::web();
    t.handshake().c(FIN | ACK, 0).bad_checksum();
    let r = state_of(&t, "S1", "ShAC");
    assert_eq!((r.orig_pkts, r.orig_ip_bytes), (2, 80));
    assert_eq!(r.duration_ns, Some(t.pkts[2].ts_ns - t.pkts[0].ts_ns));

    let mut t = Tcp::web();
    t.handshake().s(PSH | ACK, 100).bad_checksum();
    let (recs, stats) = run_cfg(FlowConfig::default(), &t.pkts);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].history, "ShAc");
    assert_eq!(recs[0].resp_pkts, 1);
    assert_eq!(recs[0].resp_bytes, Some(0));
    assert_eq!(stats.tcp_bad_checksum, 1);
}

#[test]
fn udp_bad_checksum_is_counted_but_carries_no_bytes() {
    let mut bad = udp(T0 + MS, "10.0.0.1:40000", "10.0.0.2:9999", 70);
    bad.bad_checksum = true;
    let r = one(&[
        udp(T0, "10.0.0.1:40000", "10.0.0.2:9999", 50),
        bad,
        udp(T0 + 2 * MS, "10.0.0.2:9999", "10.0.0.1:40000", 30),
    ]);
    assert_eq!(r.history, "DCd");
    assert_eq!((r.orig_pkts, r.resp_pkts), (2, 1));
    assert_eq!((r.orig_ip_bytes, r.resp_ip_bytes), (78 + 98, 58));
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(50), Some(30)));
    assert_eq!(r.conn_state, "SF");
}

#[test]
fn long_history_keeps_the_closing_letters() {
    // A long, troubled connection: bad checksums (e.g. checksum offload), retransmissions and
    // zero windows on both sides, 100 of each, then a clean close. Zeek's history string has no
    // length limit, so the closing "Ff" must be there.
    let mut t = Tcp::web();
    t.handshake().c(PSH | ACK, 100).s(PSH | ACK, 100);
    for _ in 0..100 {
        t.c(PSH | ACK, 0).bad_checksum();
        t.s(PSH | ACK, 0).bad_checksum();
        t.raw(true, PSH | ACK, 1001, 5101, 100); // client retransmits
        t.raw(false, PSH | ACK, 5001, 1101, 100); // server retransmits
        t.c(ACK, 0).window0();
        t.s(ACK, 0).window0();
    }
    t.c(FIN | ACK, 0).s(FIN | ACK, 0).c(ACK, 0);
    // Scaled letters at counts 1, 10 and 100 of each kind.
    state_of(&t, "SF", "ShADdCcTtWawCcTtWwCcTtWwFf");
}

// ---------------------------------------------------------------------------------------------
// Port reuse and TCP timers
// ---------------------------------------------------------------------------------------------

#[test]
fn new_syn_after_finished_connection_starts_a_new_one() {
    let mut t = Tcp::web();
    t.handshake()
        .c(PSH | ACK, 10)
        .s(FIN | ACK, 0)
        .c(FIN | ACK, 0)
        .s(ACK, 0)
        .wait(SEC)
        .isn(90_000, 0)
        .syn();
    let (recs, stats) = run_cfg(FlowConfig::default(), &t.pkts);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert_eq!(recs[0].conn_state, "SF");
    assert_eq!((recs[1].conn_state, recs[1].history.as_str()), ("S0", "S"));
    assert_ne!(recs[0].uid, recs[1].uid);
    assert_eq!(stats.flows_ended_reuse, 1);
    assert_eq!(stats.flows_created, 2);
}

#[test]
fn retransmitted_syn_within_attempt_delay_is_same_connection() {
    let mut t = Tcp::web();
    t.syn().wait(3 * SEC).again();
    let r = state_of(&t, "S0", "S");
    assert_eq!(r.orig_pkts, 2);
    assert_eq!(r.duration_ns, Some(3 * SEC + MS));
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(0), Some(0)));
}

#[test]
fn new_isn_during_attempt_is_reuse() {
    let mut t = Tcp::web();
    t.syn().wait(2 * SEC).isn(77_777, 0).syn();
    let (recs, stats) = run_cfg(FlowConfig::default(), &t.pkts);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert!(recs
        .iter()
        .all(|r| r.conn_state == "S0" && r.history == "S"));
    assert_eq!(stats.flows_ended_reuse, 1);
}

#[test]
fn syn_attempts_six_seconds_apart_are_two_s0() {
    // The attempt timer (5 s) removes the first attempt before the second SYN arrives.
    for second_isn in [1000, 424_242] {
        let mut t = Tcp::web();
        t.syn().wait(6 * SEC).isn(second_isn, 0).syn();
        let (recs, stats) = run_cfg(FlowConfig::default(), &t.pkts);
        assert_eq!(recs.len(), 2, "isn {second_isn}: {recs:#?}");
        assert!(recs
            .iter()
            .all(|r| r.conn_state == "S0" && r.history == "S"));
        assert_eq!(stats.flows_ended_timeout, 1);
        assert_ne!(recs[0].uid, recs[1].uid);
    }
}

#[test]
fn attempt_timer_works_for_captures_at_the_epoch() {
    // Crafted captures often start at time 0. Zeek arms the attempt timer regardless.
    let mut t = Tcp::web();
    t.start_at(-MS).syn().wait(6 * SEC).again();
    assert_eq!(t.pkts[0].ts_ns, 0);
    let recs = run(&t.pkts);
    assert_eq!(recs.len(), 2, "{recs:#?}");
}

#[test]
fn connection_closed_by_fin_exchange_is_removed_after_close_delay() {
    // Both sides closed: removed 5 s after the close; a late packet starts a new connection.
    let mut t = Tcp::web();
    t.handshake()
        .c(FIN | ACK, 0)
        .s(FIN | ACK, 0)
        .wait(6 * SEC)
        .c(ACK, 0);
    let (recs, stats) = run_cfg(FlowConfig::default(), &t.pkts);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert_eq!(recs[0].conn_state, "SF");
    assert_eq!(recs[1].conn_state, "OTH");
    assert_eq!(stats.flows_ended_timeout, 1);
}

#[test]
fn close_delay_after_rst_counts_from_the_close() {
    // The client resets; the server, which never got the RST (e.g. it was injected by a
    // middlebox), keeps retransmitting with backoff. Zeek schedules the connection's removal
    // at the RST's time + 5 s, once: the retransmission 7 s after the RST is a new connection.
    let mut t = Tcp::web();
    t.handshake()
        .c(RST | ACK, 0)
        .wait(2 * SEC)
        .s(PSH | ACK, 100)
        .wait(2 * SEC)
        .again()
        .wait(3 * SEC)
        .again();
    let recs = run(&t.pkts);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert_eq!(recs[0].conn_state, "RSTO");
    assert_eq!((recs[0].orig_pkts, recs[0].resp_pkts), (3, 3));
    assert_eq!(recs[1].ts_ns, t.pkts[6].ts_ns);
    assert_eq!(recs[1].history, "^d");
}

#[test]
fn established_tcp_idle_beyond_inactivity_timeout_splits() {
    let mut t = Tcp::web();
    t.handshake().wait(301 * SEC).c(PSH | ACK, 10);
    let (recs, stats) = run_cfg(FlowConfig::default(), &t.pkts);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert_eq!(
        (recs[0].conn_state, recs[0].history.as_str()),
        ("S1", "ShA")
    );
    assert_eq!((recs[1].conn_state, recs[1].history.as_str()), ("OTH", "D"));
    assert_eq!(stats.flows_ended_timeout, 1);

    let mut t = Tcp::web();
    t.handshake().wait(299 * SEC).c(PSH | ACK, 10);
    let r = state_of(&t, "S1", "ShAD");
    assert_eq!(r.orig_bytes, Some(10));
}

#[test]
fn udp_idle_beyond_inactivity_timeout_splits() {
    let a = "10.0.0.1:40000";
    let b = "10.0.0.2:9999";
    let recs = run(&[udp(T0, a, b, 10), udp(T0 + 61 * SEC, a, b, 10)]);
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.orig_pkts == 1 && r.history == "D"));
    assert_ne!(recs[0].uid, recs[1].uid);

    let r = one(&[udp(T0, a, b, 10), udp(T0 + 59 * SEC, a, b, 10)]);
    assert_eq!(r.orig_pkts, 2);
    assert_eq!(r.orig_bytes, Some(20));
}

#[test]
fn sweep_ends_expired_flows_only_and_flush_ends_the_rest() {
    let mut table = FlowTable::new(FlowConfig::default());
    let mut out = Vec::new();
    table.process(&udp(T0, "10.0.0.1:1111", "10.0.0.2:9999", 1), &mut out);
    table.process(
        &udp(T0 + 50 * SEC, "10.0.0.1:2222", "10.0.0.2:9999", 1),
        &mut out,
    );
    // A TCP handshake at 40 s: established, 300 s inactivity timeout.
    let mut t = Tcp::web();
    t.start_at(T0 + 40 * SEC).handshake();
    for p in &t.pkts {
        table.process(p, &mut out);
    }
    assert!(out.is_empty());
    assert_eq!(table.len(), 3);

    table.sweep(T0 + 70 * SEC, &mut out);
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].orig_p, 1111);
    assert_eq!(table.len(), 2);
    assert_eq!(table.stats().flows_ended_timeout, 1);

    out.clear();
    table.sweep(T0 + 111 * SEC, &mut out);
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].orig_p, 2222);

    out.clear();
    let mut flushed = Vec::new();
    table.flush(&mut out, &mut |b| flushed.append(b));
    flushed.append(&mut out);
    assert_eq!(flushed.len(), 1);
    assert_eq!(flushed[0].conn_state, "S1");
    assert_eq!(table.stats().flows_flushed_at_end, 1);
    assert_eq!(table.stats().flows_ended_timeout, 2);
    assert!(table.is_empty());
}

// ---------------------------------------------------------------------------------------------
// ICMP, other protocols, single packets
// ---------------------------------------------------------------------------------------------

#[test]
fn icmp_echo_request_and_reply_are_one_connection() {
    let r = one(&[
        icmp(T0, "10.0.0.1", "10.0.0.2", 8, 0, 56),
        icmp(T0 + MS, "10.0.0.2", "10.0.0.1", 0, 0, 56),
        icmp(T0 + SEC, "10.0.0.1", "10.0.0.2", 8, 0, 56),
        icmp(T0 + SEC + MS, "10.0.0.2", "10.0.0.1", 0, 0, 56),
    ]);
    assert_eq!((r.orig_h, r.orig_p), ("10.0.0.1".parse().unwrap(), 8));
    assert_eq!((r.resp_h, r.resp_p), ("10.0.0.2".parse().unwrap(), 0));
    assert_eq!((r.proto, r.ip_proto), (Proto::Icmp, 1));
    assert_eq!(r.conn_state, "OTH");
    assert_eq!((r.orig_bytes, r.resp_bytes), (Some(112), Some(112)));
    assert_eq!((r.orig_pkts, r.resp_pkts), (2, 2));
    assert_eq!((r.orig_ip_bytes, r.resp_ip_bytes), (168, 168));
    assert_eq!(r.duration_ns, Some(SEC + MS));
}

#[test]
fn icmp_unreachable_is_one_way() {
    let recs = run(&[
        icmp(T0, "10.0.0.9", "10.0.0.1", 3, 1, 28),
        icmp(T0 + MS, "10.0.0.1", "10.0.0.9", 3, 1, 28),
    ]);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert_eq!((recs[0].orig_p, recs[0].resp_p), (3, 1));
    assert_eq!(recs[0].orig_h, "10.0.0.9".parse::<IpAddr>().unwrap());
    assert_eq!(recs[1].orig_h, "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_ne!(recs[0].uid, recs[1].uid);
    assert_ne!(recs[0].community_id(), recs[1].community_id());
}

#[test]
fn single_packet_connections_log_dashes() {
    let r = one(&[udp(T0, "10.0.0.1:40000", "10.0.0.2:9999", 10)]);
    assert_eq!(
        (r.duration_ns, r.orig_bytes, r.resp_bytes),
        (None, None, None)
    );
    assert_eq!((r.conn_state, r.history.as_str()), ("S0", "D"));
    assert_eq!((r.orig_pkts, r.orig_ip_bytes), (1, 38));

    let r = one(&[icmp(T0, "10.0.0.1", "10.0.0.2", 8, 0, 56)]);
    assert_eq!(
        (r.duration_ns, r.orig_bytes, r.resp_bytes),
        (None, None, None)
    );
    assert_eq!(r.orig_pkts, 1);
}

#[test]
fn other_ip_protocol_is_unknown_transport() {
    let mut p = udp(T0, "10.0.0.1:0", "10.0.0.2:0", 100);
    p.proto = 47;
    p.l4 = L4::Other;
    let mut q = p;
    q.ts_ns += SEC;
    std::mem::swap(&mut q.src, &mut q.dst);
    let r = one(&[p, q]);
    assert_eq!((r.proto, r.ip_proto), (Proto::Unknown, 47));
    assert_eq!(r.conn_state, "OTH");
    assert_eq!((r.orig_pkts, r.resp_pkts), (1, 1));
}

#[test]
fn multi_flag_packets_are_q_and_i() {
    let mut t = Tcp::web();
    t.c(SYN | FIN, 0);
    assert_eq!(one(&t.pkts).history, "Q");
    let mut t = Tcp::web();
    t.handshake().s(FIN | RST | ACK, 0);
    assert_eq!(one(&t.pkts).history, "ShAi");
}

#[test]
fn tunnel_parent_and_vlan_are_reported() {
    let parent = netloupe_flow::Uid(0x1234_5678_9abc);
    let mut a = udp(T0, "10.0.0.1:40000", "10.0.0.2:9999", 10);
    a.tunnel_parent = Some(parent);
    a.vlan = Some(100);
    a.inner_vlan = Some(7);
    let mut b = udp(T0 + MS, "10.0.0.2:9999", "10.0.0.1:40000", 10);
    b.tunnel_parent = Some(parent);
    let r = one(&[a, b]);
    assert_eq!(r.tunnel_parents, vec![parent]);
    assert_eq!((r.vlan, r.inner_vlan), (Some(100), Some(7)));
    // And a flow that was not tunnelled has none, even after a tunnelled flow ended.
    let r = one(&[udp(T0, "10.0.0.1:40000", "10.0.0.2:9999", 10)]);
    assert!(r.tunnel_parents.is_empty());
}

#[test]
fn extreme_timestamps_do_not_panic() {
    // A closed connection and a connection attempt at the far end of time.
    let mut t = Tcp::web();
    t.start_at(i64::MAX - 20 * MS)
        .handshake()
        .c(FIN | ACK, 0)
        .s(FIN | ACK, 0)
        .c(ACK, 0);
    assert_eq!(run(&t.pkts).len(), 1);
    let mut t = Tcp::web();
    t.start_at(i64::MAX - 20 * MS).syn().again();
    assert_eq!(run(&t.pkts).len(), 1);
    // A flow whose first packet has a clamped (minimum) timestamp and whose next is ordinary.
    let mut first = udp(i64::MIN, "10.0.0.1:40000", "10.0.0.2:9999", 10);
    let next = udp(i64::MIN + 30 * SEC, "10.0.0.1:40000", "10.0.0.2:9999", 10);
    assert_eq!(run(&[first, next]).len(), 1);
    first.ts_ns = -30 * SEC;
    let mut later = first;
    later.ts_ns = i64::MAX;
    run(&[first, later]);
}

// ---------------------------------------------------------------------------------------------
// Identifiers: Community ID, uid
// ---------------------------------------------------------------------------------------------

#[test]
fn community_id_matches_spec_example_from_either_side() {
    const ID: &str = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
    let mut t = Tcp::new("128.232.110.120:34855", "66.35.250.204:80");
    t.syn();
    assert_eq!(one(&t.pkts).community_id(), ID);

    // The server's SYN-ACK first (roles flip) and the server's data first: same ID.
    let mut t = Tcp::new("128.232.110.120:34855", "66.35.250.204:80");
    t.syn_ack();
    assert_eq!(one(&t.pkts).community_id(), ID);
    let mut t = Tcp::new("128.232.110.120:34855", "66.35.250.204:80");
    t.s(PSH | ACK, 10);
    assert_eq!(one(&t.pkts).community_id(), ID);
}

#[test]
fn community_id_icmp_echo_same_for_request_and_reply_first() {
    let a = one(&[icmp(T0, "10.0.0.1", "10.0.0.2", 8, 0, 56)]);
    let b = one(&[icmp(T0, "10.0.0.2", "10.0.0.1", 0, 0, 56)]);
    assert_eq!(a.community_id(), b.community_id());
}

fn mixed_traffic(shift: i64) -> Vec<FlowPacket> {
    let mut pkts = Vec::new();
    for i in 0..20u16 {
        let mut t = Tcp::new(&format!("10.0.1.{}:{}", i + 1, 40000 + i), "10.0.0.2:80");
        t.start_at(T0 + shift + i64::from(i) * 10 * MS)
            .handshake()
            .c(PSH | ACK, 10)
            .c(FIN | ACK, 0);
        pkts.extend(t.pkts);
        pkts.push(udp(
            T0 + shift + i64::from(i) * 7 * MS,
            &format!("10.0.2.{}:{}", i + 1, 50000 + i),
            "10.0.0.53:53",
            40,
        ));
    }
    pkts.sort_by_key(|p| p.ts_ns);
    pkts
}

#[test]
fn uids_are_deterministic_and_depend_on_start_time() {
    let uids = |pkts: &[FlowPacket]| -> Vec<String> {
        run(pkts).iter().map(|r| r.uid.to_conn_string()).collect()
    };
    let a = uids(&mixed_traffic(0));
    let b = uids(&mixed_traffic(0));
    assert_eq!(a.len(), 40);
    assert_eq!(a, b);
    let mut distinct = a.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), a.len(), "uids collide");
    let c = uids(&mixed_traffic(1));
    assert!(a.iter().zip(&c).all(|(x, y)| x != y));
}

// ---------------------------------------------------------------------------------------------
// Capacity, sharding
// ---------------------------------------------------------------------------------------------

#[test]
fn max_flows_evicts_without_losing_flows() {
    let cfg = FlowConfig {
        max_flows: 100,
        ..FlowConfig::default()
    };
    let mut pkts = Vec::new();
    for round in 0..2 {
        for i in 0..1000u32 {
            let ts = T0 + i64::from(round * 1000 + i) * MS;
            let src = format!("10.1.{}.{}:{}", i / 250, i % 250 + 1, 20000 + i);
            pkts.push(udp(ts, &src, "10.0.0.2:9999", 10));
        }
    }
    let (recs, stats) = run_cfg(cfg, &pkts);
    assert!(stats.flows_evicted > 0, "{stats:?}");
    assert!(stats.peak_flows <= 100, "{stats:?}");
    assert_eq!(recs.len() as u64, stats.flows_created, "{stats:?}");
    assert!(stats.flows_created >= 1000);
    let pkts_in_records: u64 = recs.iter().map(|r| r.orig_pkts + r.resp_pkts).sum();
    assert_eq!(pkts_in_records, 2000);
    let mut tuples: Vec<_> = recs.iter().map(|r| (r.orig_h, r.orig_p)).collect();
    tuples.sort();
    tuples.dedup();
    assert_eq!(tuples.len(), 1000, "every flow appears in the records");
}

#[test]
fn shard_hash_is_symmetric() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..2000 {
        let (a, b): (IpAddr, IpAddr) = if i % 2 == 0 {
            (
                Ipv4Addr::from(rnd() as u32).into(),
                Ipv4Addr::from(rnd() as u32).into(),
            )
        } else {
            (
                Ipv6Addr::from(u128::from(rnd()) << 64 | u128::from(rnd())).into(),
                Ipv6Addr::from(u128::from(rnd())).into(),
            )
        };
        let (pa, pb) = (rnd() as u16, rnd() as u16);
        let proto = [6, 17, 132][i % 3];
        let fwd = FlowKey::new(a, pa, b, pb, proto, false);
        let rev = FlowKey::new(b, pb, a, pa, proto, false);
        assert_eq!(fwd, rev);
        assert_eq!(fwd.shard_hash(), rev.shard_hash());
    }
    // Through packets, too: both directions of a conversation key and shard alike.
    let mut t = Tcp::web();
    t.handshake();
    let hashes: Vec<u64> = t.pkts.iter().map(|p| p.key().shard_hash()).collect();
    assert!(hashes.windows(2).all(|w| w[0] == w[1]));
}

// ---------------------------------------------------------------------------------------------
// The fuzz target's body on pseudo-random inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn fuzz_body_on_pseudo_random_inputs() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut buf = Vec::with_capacity(512);
    let mut states = std::collections::BTreeMap::new();
    let mut letters = std::collections::BTreeSet::new();
    let mut protos = std::collections::BTreeSet::new();
    let (mut flipped, mut gaps) = (0u32, 0u32);
    // NETLOUPE_FUZZ_ITERS runs more inputs locally.
    let iters: u32 = std::env::var("NETLOUPE_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for _ in 0..iters {
        buf.clear();
        let len = (next() % 400) as usize;
        // Bias the inputs: a small pool of byte values per input makes packets collide into
        // the same flows more often than uniform bytes would.
        let pool = next();
        let biased = pool & 1 == 0;
        for _ in 0..len {
            let r = next();
            let b = if biased {
                (pool >> ((r % 8) * 8)) as u8 ^ (r >> 60) as u8
            } else {
                r as u8
            };
            buf.push(b);
        }
        for r in netloupe_flow::fuzzing::run_collect(&buf) {
            *states.entry(r.conn_state).or_insert(0u32) += 1;
            for c in r.history.chars() {
                letters.insert(c);
            }
            flipped += u32::from(r.history.starts_with('^'));
            gaps += u32::from(r.missed_bytes > 0);
            protos.insert(r.proto);
        }
    }
    // The inputs are not vacuous: they reach every TCP state and most history letters.
    eprintln!("states {states:?}\nletters {letters:?}\nflipped {flipped} with gaps {gaps}");
    assert!(states.len() >= 12, "states reached: {states:?}");
    assert!(letters.len() >= 20, "history letters reached: {letters:?}");
    assert!(flipped > 0 && gaps > 0);
    assert_eq!(protos.len(), 5);
}

#[test]
fn udp_datagrams_before_the_deciding_one_reach_the_parser() {
    // suricata-verify/tests/dns/dns-z-bit: a query with the reserved Z bit set (the detector
    // does not take it as DNS), then its response, which decides. The query is still parsed:
    // one record pairing both, with the query's type and Z bit.
    let q = "0001014000010000000000000377777706676f6f676c6503636f6d0000010001";
    let r = "0001818000010001000000000377777706676f6f676c6503636f6d0000010001\
             c00c000100010000003a00048efb2044";
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let (q, r) = (hex(q), hex(r));
    let mut table = FlowTable::new(FlowConfig::default());
    let mut out = Vec::new();
    let qp = udp(T0, "10.16.1.11:42150", "8.8.8.8:53", q.len() as u32);
    let rp = udp(T0 + MS, "8.8.8.8:53", "10.16.1.11:42150", r.len() as u32);
    table.process_payload(&qp, &q, &mut out);
    table.process_payload(&rp, &r, &mut out);
    table.flush(&mut out, &mut |_| {});
    let dns: Vec<_> = table
        .take_app_events()
        .into_iter()
        .filter_map(|e| match e.record {
            netloupe_flow::AppRecord::Dns(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(dns.len(), 1, "{dns:#?}");
    // Z is the three reserved bits (0x0070 of the flags): 0x0040 reads as 4.
    assert_eq!((dns[0].qtype, dns[0].z, dns[0].ts_ns), (Some(1), 4, T0));
    assert_eq!(dns[0].answers, ["142.251.32.68"]);
}

#[test]
fn http_request_from_the_port_chosen_responder_is_parsed() {
    // suricata-verify/tests/uricontent/detect-uricontent-05: a capture that starts mid-stream
    // with a request from 192.168.1.5:53 to 192.168.1.1:80. Zeek's port rules make port 53 the
    // responder (both are server ports; the lower wins), so the request comes from the
    // responder: the HTTP parser sees the roles the other way round.
    let req = b"GET /%2e%2e/images.gif HTTP/1.1\r\nHost: www.ExAmPlE.cOM\r\n\r\n";
    let (s, d) = (ep("192.168.1.5:53"), ep("192.168.1.1:80"));
    let p = FlowPacket {
        ts_ns: T0,
        src: s.0,
        dst: d.0,
        proto: 6,
        l4: L4::Tcp {
            sport: s.1,
            dport: d.1,
            seq: 1,
            ack: 1,
            flags: 0x18,
            window: 8192,
            window_scale: None,
        },
        ip_len: 40 + req.len() as u32,
        wire_len: 54 + req.len() as u32,
        payload_len: req.len() as u32,
        complete: true,
        bad_checksum: false,
        tunnel_parent: None,
        vlan: None,
        inner_vlan: None,
    };
    let mut table = FlowTable::new(FlowConfig::default());
    let mut out = Vec::new();
    table.process_payload(&p, req, &mut out);
    table.flush(&mut out, &mut |_| {});
    assert_eq!((out[0].resp_h, out[0].resp_p), s, "{out:#?}");
    assert!(out[0].service.contains(&"http"), "{out:#?}");
    let http: Vec<_> = table
        .take_app_events()
        .into_iter()
        .filter_map(|e| match e.record {
            netloupe_flow::AppRecord::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].method.as_deref(), Some("GET"));
    // Zeek-style unescaped URI.
    assert_eq!(http[0].uri.as_deref(), Some("/../images.gif"));
}
