//! Fuzzing harness for the flow table, shared by the `flow_table` cargo-fuzz target and by a
//! test that runs it over pseudo-random inputs in ordinary CI.
//!
//! The input is one configuration byte followed by packets of [`PACKET_BYTES`] bytes each (a
//! short last packet reads zeros for its missing bytes). Most packets belong to one of a few
//! fixed conversations (either direction; IPv4 and IPv6; server ports that do and do not make the
//! roles flip; a broadcast destination) so that packets meet in the same flows; the others take
//! addresses and ports from small pools. TCP flags are mostly the usual
//! combinations (SYN, SYN-ACK, ACK, data, FIN, RST), sometimes any byte; sequence and
//! acknowledgement numbers mostly follow each endpoint's own tracked sequence (so handshakes,
//! data transfer, retransmissions, gaps and closes actually happen), sometimes jump or are
//! arbitrary (near 0 and the 2^31 and 2^32 wrap points). Lengths, checksum and capture flags and
//! the protocol are free. Time moves forward by microseconds, milliseconds or hundreds of
//! seconds (past every timeout), or slightly backward.
//!
//! Invariants checked: nothing panics; every record is well formed (state names, history
//! letters, `duration` and sizes present together, packet counts bounded by the packets fed);
//! every created flow yields exactly one record; the table respects `max_flows` and is empty
//! after `flush`.

use crate::{ConnRecord, FlowConfig, FlowPacket, FlowTable, Uid, L4};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const SEC: i64 = 1_000_000_000;

/// Bytes consumed per packet.
pub const PACKET_BYTES: usize = 11;

const V4: [Ipv4Addr; 4] = [
    Ipv4Addr::new(10, 0, 0, 1),
    Ipv4Addr::new(10, 0, 0, 2),
    Ipv4Addr::new(192, 168, 1, 1),
    Ipv4Addr::BROADCAST,
];

const V6: [Ipv6Addr; 4] = [
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1),
];

/// Conversations as (IPv6, client address, client port, server address, server port), indices
/// into the address and port pools.
const CONVERSATIONS: [(bool, usize, usize, usize, usize); 8] = [
    (false, 0, 3, 1, 0),  // 10.0.0.1:40000 -> 10.0.0.2:80
    (false, 0, 4, 1, 0),  // 10.0.0.1:40001 -> 10.0.0.2:80
    (false, 0, 3, 2, 1),  // 10.0.0.1:40000 -> 192.168.1.1:53
    (true, 0, 3, 1, 2),   // [2001:db8::1]:40000 -> [2001:db8::2]:443
    (false, 1, 5, 0, 3),  // 10.0.0.2:5000 -> 10.0.0.1:40000 (no likely server port)
    (false, 0, 2, 1, 0),  // 10.0.0.1:443 -> 10.0.0.2:80 (both likely server ports)
    (false, 0, 3, 3, 1),  // 10.0.0.1:40000 -> 255.255.255.255:53
    (false, 2, 15, 0, 8), // 192.168.1.1:12345 -> 10.0.0.1:22
];

/// Likely server ports (TCP and/or UDP), ephemeral ports and edge values.
const PORTS: [u16; 16] = [
    80, 53, 443, 40000, 40001, 5000, 0, 65535, 22, 123, 8080, 1024, 3544, 5353, 20000, 12345,
];

/// High halves of arbitrary sequence numbers: below 2^31 and below 2^32 (wraps).
const SEQ_HIGH: [u32; 2] = [0x7fff_0000, 0xffff_0000];

const COMMON_FLAGS: [u8; 16] = {
    use netloupe_decode::tcpflags::{ACK, FIN, PSH, RST, SYN};
    [
        SYN,
        SYN | ACK,
        ACK,
        PSH | ACK,
        FIN | ACK,
        RST,
        RST | ACK,
        ACK,
        PSH | ACK,
        ACK,
        FIN,
        SYN,
        SYN | ACK,
        ACK,
        PSH | ACK,
        PSH | ACK,
    ]
};

/// Next sequence number of each (v6, address, port) endpoint; initial values spread over the
/// sequence space, some just below the 2^32 wrap.
struct Sequences([u32; 2 * 4 * 16]);

impl Sequences {
    fn new() -> Self {
        let mut s = [0u32; 128];
        for (i, v) in s.iter_mut().enumerate() {
            let i = i as u32;
            *v = if i.is_multiple_of(3) {
                u32::MAX - 3000 + i
            } else {
                i.wrapping_mul(0x9e37_79b9)
            };
        }
        Sequences(s)
    }
    fn slot(v6: bool, addr: usize, port: usize) -> usize {
        usize::from(v6) * 64 + addr * 16 + port
    }
}

const STATES: [&str; 13] = [
    "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
];

const HISTORY_LETTERS: &[u8] = b"^sShHaAdDfFrRcCtTwWgGiIqQ";

/// Decodes `data` into packets, feeds them to a flow table and asserts its invariants.
pub fn run(data: &[u8]) {
    run_collect(data);
}

/// [`run`], returning the records (so tests can check that inputs reach interesting states).
pub fn run_collect(data: &[u8]) -> Vec<ConnRecord> {
    let mut all = Vec::new();
    let Some((&cfg_byte, mut rest)) = data.split_first() else {
        return all;
    };
    let cfg = FlowConfig {
        max_flows: 1 + usize::from(cfg_byte & 0x07),
        active_timeout_ns: if cfg_byte & 0x08 != 0 { 90 * SEC } else { 0 },
        community_id_seed: u16::from(cfg_byte >> 6),
        ..FlowConfig::default()
    };
    let mut table = FlowTable::new(cfg);
    let mut out: Vec<ConnRecord> = Vec::new();
    let mut ts: i64 = 1_600_000_000 * SEC;
    let mut fed: u64 = 0;
    let mut seqs = Sequences::new();
    let mut records: u64 = 0;
    let mut counted_pkts: u64 = 0;

    while !rest.is_empty() {
        let n = rest.len().min(PACKET_BYTES);
        let mut b = [0u8; PACKET_BYTES];
        b[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];

        ts = advance(ts, b[0] >> 6, b[3]);
        let pkt = packet(ts, &b, &mut seqs);
        if b[0] & 0x20 != 0 {
            table.sweep(ts, &mut out);
        }
        table.process(&pkt, &mut out);
        fed += 1;
        assert!(table.len() <= cfg.max_flows, "table exceeds max_flows");
        for r in out.drain(..) {
            check_record(&r, fed);
            records += 1;
            counted_pkts += r.orig_pkts + r.resp_pkts;
            all.push(r);
        }
    }

    let mut batch_records = Vec::new();
    table.flush(&mut out, &mut |batch| batch_records.append(batch));
    batch_records.append(&mut out);
    for r in &batch_records {
        check_record(r, fed);
        records += 1;
        counted_pkts += r.orig_pkts + r.resp_pkts;
    }

    let s = table.stats();
    assert!(table.is_empty(), "flows left after flush");
    assert_eq!(s.packets, fed, "packets counted");
    assert_eq!(
        s.flows_created, records,
        "every created flow yields exactly one record"
    );
    assert_eq!(
        s.flows_created,
        s.flows_ended_timeout
            + s.flows_ended_reuse
            + s.flows_ended_active_timeout
            + s.flows_flushed_at_end
            + s.flows_evicted,
        "every created flow ended exactly one way: {s:?}"
    );
    assert!(
        counted_pkts <= fed,
        "records count {counted_pkts} packets of {fed} fed"
    );
    assert!(s.peak_flows <= cfg.max_flows as u64, "peak above max_flows");
    all.append(&mut batch_records);
    all
}

fn advance(ts: i64, mode: u8, step: u8) -> i64 {
    let step = i64::from(step);
    match mode {
        0 => ts + step * 1_000,
        1 => ts + step * 1_000_000,
        // Long pauses (up to 504 s, beyond every timeout) or about a second.
        2 if step < 64 => ts + step * 8 * SEC,
        2 => ts + step * 4 * 1_000_000,
        // Slightly backward (reordered capture) or microseconds forward.
        _ if step < 64 => ts - step * 1_000_000,
        _ => ts + step * 1_000,
    }
}

fn packet(ts_ns: i64, b: &[u8; PACKET_BYTES], seqs: &mut Sequences) -> FlowPacket {
    use netloupe_decode::tcpflags::{FIN, SYN};
    let (v6, si, spi, di, dpi) = if b[0] & 0x10 == 0 {
        let (v6, c, cp, srv, sp) = CONVERSATIONS[usize::from(b[0] & 7)];
        if b[0] & 0x08 == 0 {
            (v6, c, cp, srv, sp)
        } else {
            (v6, srv, sp, c, cp)
        }
    } else {
        let spi = usize::from(b[1] >> 4);
        (
            b[0] & 0x08 != 0,
            usize::from(b[1] & 3),
            spi,
            usize::from((b[1] >> 2) & 3),
            (spi + 1 + usize::from(b[0] & 7) * 3) % PORTS.len(),
        )
    };
    let (src, dst) = if v6 {
        (IpAddr::V6(V6[si]), IpAddr::V6(V6[di]))
    } else {
        (IpAddr::V4(V4[si]), IpAddr::V4(V4[di]))
    };
    let (sport, dport) = (PORTS[spi], PORTS[dpi]);
    let extra = b[2] >> 3;
    let len_class = u32::from(b[9] >> 4);
    let payload_len = if len_class == 15 {
        65_000
    } else {
        u32::from(b[10]) * len_class
    };
    let flags = if b[4] & 0x80 == 0 {
        COMMON_FLAGS[usize::from(b[4] & 0x0f)]
    } else {
        b[4].wrapping_mul(0x5b)
    };
    let (me, peer) = (Sequences::slot(v6, si, spi), Sequences::slot(v6, di, dpi));
    let delta = u32::from(u16::from_le_bytes([b[5], b[6]]));
    let raw_ack = u32::from(u16::from_le_bytes([b[7], b[8]]));
    let (seq, ack) = match b[9] & 0x0c {
        // The endpoint's next sequence number; acknowledges what the peer sent.
        0x00 | 0x04 => (seqs.0[me], seqs.0[peer]),
        // A small step back (retransmission, reordering) or forward (a gap).
        0x08 => {
            let d = delta & 0x0fff;
            let seq = if b[9] & 1 == 0 {
                seqs.0[me].wrapping_sub(d)
            } else {
                seqs.0[me].wrapping_add(d)
            };
            (seq, seqs.0[peer].wrapping_add(raw_ack & 0x0fff))
        }
        // Arbitrary.
        _ => (
            SEQ_HIGH[usize::from(b[9] & 1)].wrapping_add(delta),
            SEQ_HIGH[usize::from((b[9] >> 1) & 1)].wrapping_add(raw_ack),
        ),
    };
    let next = seq
        .wrapping_add(payload_len)
        .wrapping_add(u32::from(flags & SYN != 0) + u32::from(flags & FIN != 0));
    if b[2] & 0x07 <= 4 && next.wrapping_sub(seqs.0[me]) as i32 > 0 {
        seqs.0[me] = next;
    }
    let (proto, l4) = match b[2] & 0x07 {
        0..=4 => (
            6,
            L4::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags,
                window: if extra & 0x04 != 0 { 0 } else { 8192 },
                window_scale: (extra & 0x08 != 0).then_some(b[10] & 0x0f),
            },
        ),
        5 => (
            17,
            L4::Udp {
                sport,
                dport,
                // Mostly the decoder's value; sometimes a short (invalid) length field.
                ulen: if extra & 0x04 != 0 {
                    u16::from(b[10] & 0x0f)
                } else {
                    (payload_len + 8).min(u32::from(u16::MAX)) as u16
                },
            },
        ),
        6 => (
            if v6 { 58 } else { 1 },
            L4::Icmp {
                icmp_type: b[4],
                code: b[10],
                v6,
            },
        ),
        _ if extra & 0x08 == 0 => (132, L4::Sctp { sport, dport }),
        _ => (47, L4::Other),
    };
    FlowPacket {
        ts_ns,
        src,
        dst,
        proto,
        l4,
        ip_len: payload_len.saturating_add(40),
        wire_len: payload_len.saturating_add(54),
        payload_len,
        complete: extra & 0x02 == 0,
        bad_checksum: extra & 0x01 != 0,
        tunnel_parent: (extra & 0x10 != 0).then_some(Uid(u128::from(b[7]) + 1)),
        vlan: (b[8] & 0x80 != 0).then_some(u16::from(b[8] & 0x0f)),
        inner_vlan: None,
    }
}

fn check_record(r: &ConnRecord, fed: u64) {
    assert!(
        r.orig_pkts + r.resp_pkts <= fed,
        "record counts more packets than were fed: {r:?}"
    );
    assert!(STATES.contains(&r.conn_state), "unknown state: {r:?}");
    assert!(
        r.history.bytes().all(|c| HISTORY_LETTERS.contains(&c)),
        "unknown history letter: {r:?}"
    );
    match r.duration_ns {
        Some(d) => assert!(d > 0, "non-positive duration logged: {r:?}"),
        None => assert!(
            r.orig_bytes.is_none() && r.resp_bytes.is_none(),
            "sizes without duration: {r:?}"
        ),
    }
    assert_eq!(r.orig_bytes.is_some(), r.resp_bytes.is_some(), "{r:?}");
    assert!(r.community_id().starts_with("1:"), "{r:?}");
    assert!(r.orig_ip_bytes >= 40 * r.orig_pkts, "{r:?}");
    assert!(r.resp_ip_bytes >= 40 * r.resp_pkts, "{r:?}");
    if r.proto != crate::Proto::Tcp {
        assert_eq!(r.missed_bytes, 0, "{r:?}");
    }
}
