//! The flow table: one per worker, keyed by canonical 5-tuple, with Zeek's connection lifetimes.

use crate::app::{service_names, AppConfig, AppEvent, AppIo, AppSession, AppStats};
use crate::key::{FlowKey, FlowPacket, L4};
use crate::ports::is_likely_server_port;
use crate::reassembly::ReassemblyBudget;
use crate::record::{ConnRecord, Proto};
use crate::tcp::{Segment, TcpConn, FIRED, NO_TIME};
use crate::uid::Uid;
use hashbrown::HashMap;
use netloupe_decode::tcpflags::{ACK, FIN, SYN};
use netloupe_proto::{AppRecord, Direction, ExpectedConn, Service};
use std::net::IpAddr;

const SEC: i64 = 1_000_000_000;

/// Timeouts and limits of the flow table. Defaults are Zeek's.
#[derive(Debug, Clone, Copy)]
pub struct FlowConfig {
    pub tcp_inactivity_ns: i64,
    pub udp_inactivity_ns: i64,
    pub icmp_inactivity_ns: i64,
    pub other_inactivity_ns: i64,
    /// A connection attempt (SYN, no answer) ends this long after the first SYN.
    pub tcp_attempt_delay_ns: i64,
    /// A closed (or reset) connection is removed this long after its last packet.
    pub tcp_close_delay_ns: i64,
    /// Zeek's tcp_connection_linger: idle time before a half-closed connection may be reaped.
    pub tcp_linger_ns: i64,
    /// Zeek's tcp_SYN_timeout (first expire check) and tcp_session_timer (its period).
    pub tcp_first_check_ns: i64,
    pub tcp_check_period_ns: i64,
    /// A flow active longer than this is reported and restarted (0 = never), like Zeek's
    /// `active timeout` in flow exporters; off by default to match Zeek.
    pub active_timeout_ns: i64,
    /// Upper bound on tracked flows; beyond it the longest-idle flows are evicted (counted).
    pub max_flows: usize,
    /// Seed of Community ID.
    pub community_id_seed: u16,
    /// The session layer (reassembly, protocol identification, parsers).
    pub app: AppConfig,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            tcp_inactivity_ns: 300 * SEC,
            udp_inactivity_ns: 60 * SEC,
            icmp_inactivity_ns: 60 * SEC,
            other_inactivity_ns: 60 * SEC,
            tcp_attempt_delay_ns: 5 * SEC,
            tcp_close_delay_ns: 5 * SEC,
            tcp_linger_ns: 5 * SEC,
            tcp_first_check_ns: 5 * SEC,
            tcp_check_period_ns: 6 * SEC,
            active_timeout_ns: 0,
            max_flows: 4_000_000,
            community_id_seed: 0,
            app: AppConfig::default(),
        }
    }
}

/// Counters a table reports in stats.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub packets: u64,
    pub flows_created: u64,
    pub flows_ended_timeout: u64,
    pub flows_ended_reuse: u64,
    pub flows_ended_active_timeout: u64,
    pub flows_flushed_at_end: u64,
    pub flows_evicted: u64,
    pub peak_flows: u64,
    pub tcp_bad_checksum: u64,
    pub app: AppStats,
}

impl FlowStats {
    /// Adds another table's counters (workers are summed for stats.json).
    pub fn add(&mut self, o: &FlowStats) {
        self.packets += o.packets;
        self.flows_created += o.flows_created;
        self.flows_ended_timeout += o.flows_ended_timeout;
        self.flows_ended_reuse += o.flows_ended_reuse;
        self.flows_ended_active_timeout += o.flows_ended_active_timeout;
        self.flows_flushed_at_end += o.flows_flushed_at_end;
        self.flows_evicted += o.flows_evicted;
        self.peak_flows += o.peak_flows;
        self.tcp_bad_checksum += o.tcp_bad_checksum;
        self.app.add(&o.app);
    }
}

/// A connection's history string with Zeek's "seen" mask (letters appear once per kind unless
/// Zeek's rules repeat them).
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    buf: [u8; HISTORY_INLINE],
    len: u8,
    seen: u32,
    /// Letters beyond the inline ones: rare (long, eventful connections), so kept out of line.
    #[allow(clippy::box_collection)]
    more: Option<Box<Vec<u8>>>,
}

const HISTORY_INLINE: usize = 15;
/// Zeek's history has no limit; ours has one so that a hostile connection (endless SYNs with new
/// sequence numbers, say) cannot grow it without bound. Real histories stay far below.
pub const MAX_HISTORY: usize = 256;

impl History {
    pub fn add(&mut self, c: u8) {
        let n = self.len as usize;
        if n < HISTORY_INLINE {
            self.buf[n] = c;
            self.len += 1;
        } else {
            let more = self
                .more
                .get_or_insert_with(|| Box::new(Vec::with_capacity(16)));
            if HISTORY_INLINE + more.len() < MAX_HISTORY {
                more.push(c);
            }
        }
    }
    fn letters(&self) -> Vec<u8> {
        let mut v = self.buf[..self.len as usize].to_vec();
        if let Some(m) = &self.more {
            v.extend_from_slice(m);
        }
        v
    }
    /// Both sides sent a FIN (history `F` and `f`; see `tcp.rs` for the mask bits).
    pub fn both_fins(&self) -> bool {
        self.seen & 0x2 != 0 && self.seen & (0x2 << 16) != 0
    }
    /// Adds `c` unless its mask bit was seen; returns whether it had been seen already.
    pub fn check(&mut self, mask: u32, c: u8) -> bool {
        if self.seen & mask == 0 {
            self.seen |= mask;
            self.add(c);
            false
        } else {
            true
        }
    }
    pub fn scaled16(&mut self, c: u8, counter: &mut u16) {
        let mut wide = u32::from(*counter);
        self.scaled(c, &mut wide);
        *counter = wide.min(u32::from(u16::MAX)) as u16;
    }
    /// Zeek's scaled entries: the letter is repeated at counts 1, 10, 100, ...
    pub fn scaled(&mut self, c: u8, counter: &mut u32) {
        *counter = counter.saturating_add(1);
        let n = *counter;
        if n > 0 && is_power_of_ten(n) {
            self.add(c);
        }
    }
}

fn is_power_of_ten(mut n: u32) -> bool {
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}

#[derive(Debug, Clone)]
enum Kind {
    Tcp(Box<TcpConn>),
    /// UDP, ICMP, SCTP and other: payload lengths per side, -1 = side never active.
    Datagram {
        orig_len: i64,
        resp_len: i64,
        // Bad-checksum counters for the scaled 'C'/'c' letters (u16: letters stop at 10^4).
        orig_chk: u16,
        resp_chk: u16,
    },
}

#[derive(Debug)]
struct Conn {
    /// The originator is the key's first endpoint (else its second): addresses and ports live
    /// in the key only, which keeps a tracked flow small.
    orig_is_a: bool,
    /// A tunnel parent is recorded in the table's side map (few flows are tunnelled).
    tunnelled: bool,
    proto: u8,
    start_ns: i64,
    last_ns: i64,
    /// When Zeek would remove this connection if nothing else arrives for it.
    expires_ns: i64,
    orig_pkts: u64,
    resp_pkts: u64,
    orig_ip_bytes: u64,
    resp_ip_bytes: u64,
    /// Bytes at the flow's own layer (link header included), for Suricata's EVE.
    orig_wire_bytes: u64,
    resp_wire_bytes: u64,
    history: History,
    kind: Kind,
    // 0 = none: VLAN id 0 only tags priority, and Zeek does not log it either.
    vlan: u16,
    inner_vlan: u16,
    /// Confirmed services (bit set over `Service`), kept after the session layer is gone.
    services: u32,
    /// The session layer has nothing more to learn from this connection.
    app_done: bool,
    /// Retransmitted bytes differing from the first copy: 1 once seen, 2 once reported (one
    /// weird per connection).
    overlap_conflict: u8,
    /// The session layer, from the first payload byte until it has nothing more to learn.
    app: Option<Box<AppSession>>,
}

pub struct FlowTable {
    cfg: FlowConfig,
    /// Key → slot in `slab`. Keeping the (large) connection state out of the hash table means
    /// the table's spare capacity costs a few bytes per slot, not a whole connection.
    flows: HashMap<FlowKey, u32>,
    slab: Vec<Option<Conn>>,
    free: Vec<u32>,
    tunnel_parents: HashMap<FlowKey, Uid>,
    stats: FlowStats,
    now_ns: i64,
    last_sweep_ns: i64,
    /// Out-of-order bytes buffered by all the streams of this table.
    budget: ReassemblyBudget,
    /// Records of the packet being processed, before they get their connection's identity.
    scratch: Vec<AppRecord>,
    /// Protocol records waiting for the caller ([`FlowTable::take_app_events`]).
    events: Vec<AppEvent>,
    /// Anomalies of the session layer (weird.log), drained with the protocol records.
    weirds: Vec<netloupe_output::WeirdRecord>,
    /// Connections announced by others (FTP data channels): (originator, responder,
    /// responder port) → (service, time after which the announcement lapses). Only
    /// announcements between the announcing connection's own two hosts are kept: workers shard
    /// by host pair, so the data connection is then always seen by this table, whatever the
    /// thread count.
    expected: HashMap<(IpAddr, IpAddr, u16), (Service, i64, FlowKey)>,
    /// Data connections (FTP) open now, with the control connection that announced them:
    /// news of their file goes there. At most [`MAX_EXPECTED_CONNS`].
    data_links: HashMap<FlowKey, FlowKey>,
    /// Announcements of the packet being processed.
    expect_scratch: Vec<ExpectedConn>,
}

/// Expected connections remembered per table; announcements beyond are dropped (counted).
pub const MAX_EXPECTED_CONNS: usize = 4096;
/// How long an announced connection is awaited (Zeek schedules its FTP data analyzer for
/// 5 minutes).
const EXPECT_FOR_NS: i64 = 300 * SEC;

impl FlowTable {
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            cfg,
            flows: HashMap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            tunnel_parents: HashMap::new(),
            budget: ReassemblyBudget::new(cfg.app.max_buffered_total),
            scratch: Vec::new(),
            events: Vec::new(),
            weirds: Vec::new(),
            expected: HashMap::new(),
            data_links: HashMap::new(),
            expect_scratch: Vec::new(),
            stats: FlowStats::default(),
            now_ns: i64::MIN,
            last_sweep_ns: i64::MIN,
        }
    }

    pub fn stats(&self) -> FlowStats {
        let mut s = self.stats;
        s.app.peak_buffered_bytes = self.budget.peak as u64;
        s
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Bytes the table's storage occupies (index slots, connection slab, boxed TCP state), for
    /// the memory-per-flow benchmark.
    pub fn approx_memory_bytes(&self) -> usize {
        let index = self.flows.capacity() * (std::mem::size_of::<(FlowKey, u32)>() + 1);
        let slab = self.slab.capacity() * std::mem::size_of::<Option<Conn>>();
        let tcp = self
            .slab
            .iter()
            .flatten()
            .filter(|c| matches!(c.kind, Kind::Tcp(_)))
            .count();
        index + slab + tcp * std::mem::size_of::<TcpConn>()
    }

    fn take(&mut self, key: &FlowKey) -> Option<(Conn, Option<Uid>)> {
        let idx = self.flows.remove(key)?;
        let conn = self.slab.get_mut(idx as usize)?.take()?;
        self.free.push(idx);
        let parent = if conn.tunnelled {
            self.tunnel_parents.remove(key)
        } else {
            None
        };
        Some((conn, parent))
    }

    /// Processes one packet without payload (connection tracking only). Finished connections
    /// (ended by this packet's arrival: timeouts passed, port reuse) are pushed to `out`.
    pub fn process(&mut self, pkt: &FlowPacket, out: &mut Vec<ConnRecord>) {
        self.process_payload(pkt, &[], out)
    }

    /// Protocol records produced so far, each with its connection (drains them).
    pub fn take_app_events(&mut self) -> Vec<AppEvent> {
        std::mem::take(&mut self.events)
    }

    /// Moves the session layer's anomalies produced so far to the end of `into`.
    pub fn drain_weirds(&mut self, into: &mut Vec<netloupe_output::WeirdRecord>) {
        into.append(&mut self.weirds);
    }

    /// Moves the protocol records produced so far to the end of `into`.
    pub fn drain_app_events(&mut self, into: &mut Vec<AppEvent>) {
        into.append(&mut self.events);
    }

    /// Bytes currently buffered for out-of-order TCP data (all streams of this table).
    pub fn reassembly_buffered(&self) -> usize {
        self.budget.used
    }

    /// Ends a connection: its session layer flushes, its protocol records are queued, and its
    /// conn record is produced.
    fn finish_conn(&mut self, key: &FlowKey, mut conn: Conn, parent: Option<Uid>) -> ConnRecord {
        let mut io = AppIo {
            cfg: &self.cfg.app,
            budget: &mut self.budget,
            stats: &mut self.stats.app,
            out: &mut self.scratch,
        };
        conn.end_app(key, &mut io);
        queue_events(&mut self.scratch, &mut self.events, key, &conn);
        if !self.data_links.is_empty() {
            self.data_links.remove(key);
        }
        let rec = conn.into_record(key, parent, &self.cfg, self.now_ns);
        crate::app::count_port_use(&mut self.stats.app, &rec);
        rec
    }

    /// Gives the control connection of data connection `data` news of its file.
    fn pass_data_file(&mut self, data: &FlowKey, notice: &netloupe_proto::ftp::DataFileNotice) {
        let Some(control) = self.data_links.get(data) else {
            return;
        };
        let Some(&i) = self.flows.get(control) else {
            return;
        };
        if let Some(Some(c)) = self.slab.get_mut(i as usize) {
            if let Some(app) = c.app.as_mut() {
                app.data_file(notice);
            }
        }
    }

    /// Processes one packet and its transport payload (TCP segment data or UDP datagram),
    /// which the session layer inspects. Finished connections are pushed to `out`; protocol
    /// records accumulate for [`FlowTable::take_app_events`].
    pub fn process_payload(&mut self, pkt: &FlowPacket, payload: &[u8], out: &mut Vec<ConnRecord>) {
        self.stats.packets += 1;
        if pkt.ts_ns > self.now_ns {
            self.now_ns = pkt.ts_ns;
        }
        let key = pkt.key();
        let (sport, dport, _) = pkt.ports();

        // Does an existing connection end before this packet (timers) or because of it (reuse)?
        let mut slot = None;
        if let Some(&i) = self.flows.get(&key) {
            if let Some(conn) = self.slab[i as usize].as_ref() {
                let ended = conn.expires_ns <= pkt.ts_ns;
                let reuse = !ended
                    && match (&conn.kind, pkt.l4) {
                        (Kind::Tcp(t), L4::Tcp { flags, seq, .. }) => t.is_reuse(flags, seq),
                        _ => false,
                    };
                let active_expired = !ended
                    && !reuse
                    && self.cfg.active_timeout_ns > 0
                    && pkt.ts_ns.saturating_sub(conn.start_ns) >= self.cfg.active_timeout_ns;
                if ended || reuse || active_expired {
                    if let Some((conn, parent)) = self.take(&key) {
                        if ended {
                            self.stats.flows_ended_timeout += 1;
                        } else if reuse {
                            self.stats.flows_ended_reuse += 1;
                        } else {
                            self.stats.flows_ended_active_timeout += 1;
                        }
                        let rec = self.finish_conn(&key, conn, parent);
                        out.push(rec);
                    }
                } else {
                    slot = Some(i);
                }
            }
        }

        let cfg = self.cfg;
        let idx = match slot {
            Some(i) => i,
            None => {
                if self.flows.len() >= self.cfg.max_flows {
                    self.evict(out);
                }
                self.stats.flows_created += 1;
                let mut conn = Conn::new(pkt, payload, &key, sport, dport);
                if !self.expected.is_empty() {
                    let ((orig_h, _), (resp_h, resp_p)) = conn.roles(&key);
                    if let Some((service, until, control)) =
                        self.expected.remove(&(orig_h, resp_h, resp_p))
                    {
                        if until >= pkt.ts_ns && conn.proto == 6 {
                            // Its bytes are a file or a listing: nothing to identify, one
                            // file to follow (when inspection is on).
                            conn.services |= crate::app::bit(service);
                            self.stats.app.expected_matched += 1;
                            let parser =
                                (cfg.app.enabled && service == Service::FtpData).then(|| {
                                    netloupe_proto::ftp::FtpDataSession::new(
                                        cfg.app.parsers.file_hashes,
                                    )
                                });
                            match parser {
                                Some(p) if self.data_links.len() < MAX_EXPECTED_CONNS => {
                                    conn.app = Some(
                                        AppSession::new(
                                            true,
                                            [1, 1],
                                            (orig_h, resp_h),
                                            &cfg.app,
                                            &mut self.stats.app,
                                        )
                                        .with_parser(Box::new(p)),
                                    );
                                    self.data_links.insert(key, control);
                                }
                                _ => conn.app_done = true,
                            }
                        }
                    }
                }
                let i = match self.free.pop() {
                    Some(i) => {
                        self.slab[i as usize] = Some(conn);
                        i
                    }
                    None => {
                        self.slab.push(Some(conn));
                        (self.slab.len() - 1) as u32
                    }
                };
                self.flows.insert(key, i);
                i
            }
        };
        if let Some(parent) = pkt.tunnel_parent {
            self.tunnel_parents.entry(key).or_insert(parent);
        }
        let mut notice = None;
        if let Some(conn) = self.slab[idx as usize].as_mut() {
            conn.tunnelled |= pkt.tunnel_parent.is_some();
            let mut io = AppIo {
                cfg: &cfg.app,
                budget: &mut self.budget,
                stats: &mut self.stats.app,
                out: &mut self.scratch,
            };
            let bad_tcp = conn.update(pkt, payload, &key, sport, &cfg, &mut io);
            self.stats.tcp_bad_checksum += u64::from(bad_tcp);
            queue_events(&mut self.scratch, &mut self.events, &key, conn);
            if let Some((name, source)) = conn.app.as_mut().and_then(|a| a.take_weird()) {
                push_weird(&mut self.weirds, &key, conn, pkt.ts_ns, name, source);
            }
            if conn.overlap_conflict == 1 {
                // Zeek's name for it: a retransmission whose bytes differ from what was
                // delivered (an evasion attempt, or a broken stack). Suricata's:
                // REASSEMBLY_OVERLAP_DIFFERENT_DATA.
                conn.overlap_conflict = 2;
                push_weird(
                    &mut self.weirds,
                    &key,
                    conn,
                    pkt.ts_ns,
                    "rexmit_inconsistency",
                    "TCP",
                );
            }
            if let Some(app) = conn.app.as_mut() {
                app.take_expected(&mut self.expect_scratch);
            }
            if !self.expect_scratch.is_empty() {
                let ((orig_h, _), (resp_h, _)) = conn.roles(&key);
                let hosts = |a: IpAddr, b: IpAddr| {
                    (a == orig_h && b == resp_h) || (a == resp_h && b == orig_h)
                };
                for e in self.expect_scratch.drain(..) {
                    let app_stats = &mut self.stats.app;
                    if !hosts(e.orig_h, e.resp_h) {
                        // Another host (FXP, a NATed address): possibly another worker's.
                        app_stats.expected_dropped += 1;
                        continue;
                    }
                    if self.expected.len() >= MAX_EXPECTED_CONNS {
                        let now = pkt.ts_ns;
                        self.expected.retain(|_, (_, until, _)| *until >= now);
                    }
                    if self.expected.len() >= MAX_EXPECTED_CONNS {
                        app_stats.expected_dropped += 1;
                        continue;
                    }
                    app_stats.expected_announced += 1;
                    self.expected.insert(
                        (e.orig_h, e.resp_h, e.resp_p),
                        (e.service, pkt.ts_ns + EXPECT_FOR_NS, key),
                    );
                }
            }
            if !self.data_links.is_empty() {
                notice = conn.app.as_mut().and_then(|a| a.take_data_file());
            }
            // State only changes when a packet arrives, so the removal time computed now holds
            // until the next packet of this connection.
            conn.expires_ns = conn.removal_time(&cfg);
        }
        if let Some(n) = notice {
            self.pass_data_file(&key, &n);
        }
        let n = self.flows.len() as u64;
        if n > self.stats.peak_flows {
            self.stats.peak_flows = n;
        }
    }

    /// Ends every connection whose lifetime is over at packet time `now_ns` (call as time
    /// advances; cheap when called often because it only scans every `interval`).
    pub fn sweep(&mut self, now_ns: i64, out: &mut Vec<ConnRecord>) {
        let interval = 10 * SEC;
        if now_ns < self.last_sweep_ns.saturating_add(interval) {
            return;
        }
        self.last_sweep_ns = now_ns;
        // A sharded table's own clock may lag the run's: ended records carry the later one.
        self.now_ns = self.now_ns.max(now_ns);
        let ended = self.end_where(out, &mut |_| {}, |c| c.expires_ns <= now_ns);
        self.stats.flows_ended_timeout += ended;
    }

    /// Ends every open connection (end of input). Records are handed to `emit` in batches so
    /// that ending millions of flows does not hold all their records at once.
    pub fn flush(&mut self, out: &mut Vec<ConnRecord>, emit: &mut dyn FnMut(&mut Vec<ConnRecord>)) {
        let n = self.end_where(out, emit, |_| true);
        self.stats.flows_flushed_at_end += n;
        self.flows = HashMap::new();
        self.slab = Vec::new();
        self.free = Vec::new();
    }

    // Removes (and reports) every connection matching `pred`.
    fn end_where(
        &mut self,
        out: &mut Vec<ConnRecord>,
        emit: &mut dyn FnMut(&mut Vec<ConnRecord>),
        pred: impl Fn(&Conn) -> bool,
    ) -> u64 {
        let cfg = self.cfg;
        let now_ns = self.now_ns;
        let mut ended = 0;
        let (slab, free, parents, data_links) = (
            &mut self.slab,
            &mut self.free,
            &mut self.tunnel_parents,
            &mut self.data_links,
        );
        let (budget, app_stats, scratch, events) = (
            &mut self.budget,
            &mut self.stats.app,
            &mut self.scratch,
            &mut self.events,
        );
        self.flows.retain(|k, &mut i| {
            let Some(slot) = slab.get_mut(i as usize) else {
                return false;
            };
            match slot {
                Some(c) if pred(c) => {
                    if let Some(mut c) = slot.take() {
                        let parent = if c.tunnelled { parents.remove(k) } else { None };
                        if !data_links.is_empty() {
                            data_links.remove(k);
                        }
                        let mut io = AppIo {
                            cfg: &cfg.app,
                            budget,
                            stats: app_stats,
                            out: scratch,
                        };
                        c.end_app(k, &mut io);
                        queue_events(scratch, events, k, &c);
                        let rec = c.into_record(k, parent, &cfg, now_ns);
                        crate::app::count_port_use(app_stats, &rec);
                        out.push(rec);
                        free.push(i);
                        ended += 1;
                        if out.len() >= 256 {
                            emit(out);
                        }
                    }
                    false
                }
                Some(_) => true,
                None => false,
            }
        });
        ended
    }

    // The table is full: end the longest-idle tenth of the flows (counted as evictions).
    fn evict(&mut self, out: &mut Vec<ConnRecord>) {
        let mut lasts: Vec<i64> = self.slab.iter().flatten().map(|c| c.last_ns).collect();
        if lasts.is_empty() {
            return;
        }
        let nth = (lasts.len() / 10).min(lasts.len() - 1);
        let (_, cut, _) = lasts.select_nth_unstable(nth);
        let cut = *cut;
        let evicted = self.end_where(out, &mut |_| {}, |c| c.last_ns <= cut);
        self.stats.flows_evicted += evicted;
    }
}

impl Conn {
    fn new(pkt: &FlowPacket, payload: &[u8], key: &FlowKey, sport: u16, dport: u16) -> Conn {
        let mut flipped = false;
        let kind = match pkt.l4 {
            L4::Tcp { flags, .. } => {
                // Zeek's TCP WantConnection: a connection seen starting without a plain SYN is
                // oriented by likely server ports.
                if flags & SYN == 0 || flags & ACK != 0 {
                    let src_srv = is_likely_server_port(6, sport);
                    let dst_srv = is_likely_server_port(6, dport);
                    if src_srv {
                        flipped = if dst_srv {
                            flags & SYN == 0 && sport < dport
                        } else {
                            true
                        };
                    }
                }
                Kind::Tcp(Box::default())
            }
            L4::Udp { .. } => {
                flipped = is_likely_server_port(17, sport) && !is_likely_server_port(17, dport);
                // Zeek's DNS analyzer also turns a connection around when its first message is
                // a response (both ports 53, say, where the ports cannot decide).
                if !flipped
                    && (sport == 53 || dport == 53)
                    && !pkt.dst.is_multicast()
                    && netloupe_proto::dns::looks_like_response(payload)
                {
                    flipped = true;
                }
                Kind::Datagram {
                    orig_len: -1,
                    resp_len: -1,
                    orig_chk: 0,
                    resp_chk: 0,
                }
            }
            _ => Kind::Datagram {
                orig_len: -1,
                resp_len: -1,
                orig_chk: 0,
                resp_chk: 0,
            },
        };
        let mut history = History::default();
        let src_is_a = key.endpoints().0 == (pkt.src, sport);
        let mut orig_is_a = src_is_a;
        if flipped && !is_broadcast(pkt.dst) {
            orig_is_a = !src_is_a;
            history.add(b'^');
        }
        Conn {
            orig_is_a,
            tunnelled: false,
            proto: pkt.proto,
            start_ns: pkt.ts_ns,
            last_ns: pkt.ts_ns,
            expires_ns: i64::MAX,
            orig_pkts: 0,
            resp_pkts: 0,
            orig_ip_bytes: 0,
            resp_ip_bytes: 0,
            orig_wire_bytes: 0,
            resp_wire_bytes: 0,
            history,
            kind,
            vlan: pkt.vlan.unwrap_or(0),
            inner_vlan: pkt.inner_vlan.unwrap_or(0),
            services: 0,
            app_done: false,
            overlap_conflict: 0,
            app: None,
        }
    }

    /// (originator, responder) endpoints.
    fn roles(&self, key: &FlowKey) -> ((IpAddr, u16), (IpAddr, u16)) {
        let (a, b) = key.endpoints();
        if self.orig_is_a {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// Updates the connection with one packet; returns whether it was a TCP segment with a bad
    /// checksum (ignored, as Zeek does).
    fn update(
        &mut self,
        pkt: &FlowPacket,
        payload: &[u8],
        key: &FlowKey,
        sport: u16,
        cfg: &FlowConfig,
        io: &mut AppIo<'_>,
    ) -> bool {
        let (orig, _) = self.roles(key);
        let is_orig = (pkt.src, sport) == orig;
        // What the session layer gets from this packet.
        let mut tcp_feed = None;
        let mut udp_feed = false;
        let mut fin = false;
        match (&mut self.kind, pkt.l4) {
            (
                Kind::Tcp(tcp),
                L4::Tcp {
                    seq,
                    ack,
                    flags,
                    window,
                    window_scale,
                    ..
                },
            ) => {
                if pkt.bad_checksum {
                    tcp.checksum_error(is_orig, &mut self.history);
                    return true;
                }
                // Timers that fired before this packet without ending the connection are gone.
                if tcp.attempt_at_ns > FIRED
                    && tcp.attempt_at_ns.saturating_add(cfg.tcp_attempt_delay_ns) <= pkt.ts_ns
                {
                    tcp.attempt_at_ns = FIRED;
                }
                let seg = Segment {
                    is_orig,
                    seq,
                    ack,
                    flags,
                    window,
                    window_scale,
                    len: pkt.payload_len,
                    complete: pkt.complete,
                    ts_ns: pkt.ts_ns,
                };
                let outcome = tcp.process(&seg, &mut self.history, &mut self.last_ns);
                if outcome.flipped {
                    self.orig_is_a = !self.orig_is_a;
                    std::mem::swap(&mut self.orig_pkts, &mut self.resp_pkts);
                    std::mem::swap(&mut self.orig_ip_bytes, &mut self.resp_ip_bytes);
                    std::mem::swap(&mut self.orig_wire_bytes, &mut self.resp_wire_bytes);
                }
                // Counted with the direction the packet had on arrival (Zeek counts after
                // processing, with the pre-flip direction).
                self.count(is_orig, pkt.ip_len, pkt.wire_len);
                tcp_feed = Some((outcome.sender_is_orig, outcome.data_seq, outcome.peer_acked));
                fin = flags & FIN != 0;
            }
            (
                Kind::Datagram {
                    orig_len,
                    resp_len,
                    orig_chk,
                    resp_chk,
                },
                l4,
            ) => {
                match l4 {
                    L4::Udp { ulen, .. } => {
                        // Zeek counts UDP packets before checking the checksum.
                        self.orig_pkts += u64::from(is_orig);
                        self.resp_pkts += u64::from(!is_orig);
                        if is_orig {
                            self.orig_ip_bytes += u64::from(pkt.ip_len);
                            self.orig_wire_bytes += u64::from(pkt.wire_len);
                        } else {
                            self.resp_ip_bytes += u64::from(pkt.ip_len);
                            self.resp_wire_bytes += u64::from(pkt.wire_len);
                        }
                        if pkt.bad_checksum {
                            if is_orig {
                                self.history.scaled16(b'C', orig_chk);
                            } else {
                                self.history.scaled16(b'c', resp_chk);
                            }
                            return false;
                        }
                        self.last_ns = pkt.ts_ns;
                        let len = i64::from(ulen) - 8;
                        if is_orig {
                            self.history.check(0x1, b'D');
                            *orig_len = if *orig_len < 0 { len } else { *orig_len + len };
                        } else {
                            self.history.check(0x2, b'd');
                            *resp_len = if *resp_len < 0 { len } else { *resp_len + len };
                        }
                        udp_feed = true;
                    }
                    L4::Icmp { .. } => {
                        if pkt.bad_checksum {
                            return false;
                        }
                        self.last_ns = pkt.ts_ns;
                        let len = i64::from(pkt.payload_len);
                        if is_orig {
                            *orig_len = if *orig_len < 0 { len } else { *orig_len + len };
                        } else {
                            *resp_len = if *resp_len < 0 { len } else { *resp_len + len };
                        }
                        if pkt.complete {
                            self.count(is_orig, pkt.ip_len, pkt.wire_len);
                        }
                    }
                    _ => {
                        self.last_ns = pkt.ts_ns;
                        let len = i64::from(pkt.payload_len);
                        if is_orig {
                            *orig_len = if *orig_len < 0 { len } else { *orig_len + len };
                        } else {
                            *resp_len = if *resp_len < 0 { len } else { *resp_len + len };
                        }
                        self.count(is_orig, pkt.ip_len, pkt.wire_len);
                    }
                }
            }
            // A TCP connection receiving a non-TCP packet cannot happen (the key includes the
            // protocol).
            _ => {}
        }
        if io.cfg.enabled && !self.app_done {
            self.feed_app(
                key,
                pkt.ts_ns,
                payload,
                tcp_feed,
                udp_feed.then_some(is_orig),
                io,
            );
            // The acknowledgement after both FINs closes the connection.
            if !fin && payload.is_empty() && self.history.both_fins() {
                if let Some(sess) = self.app.as_mut() {
                    sess.closed();
                }
            }
        }
        false
    }

    /// Hands the packet's payload (and, for TCP, the acknowledgement) to the session layer.
    fn feed_app(
        &mut self,
        key: &FlowKey,
        ts_ns: i64,
        payload: &[u8],
        tcp: Option<(bool, Option<u64>, Option<u64>)>,
        udp_from_orig: Option<bool>,
        io: &mut AppIo<'_>,
    ) {
        let ((orig_h, orig_p), (resp_h, resp_p)) = self.roles(key);
        let ports = (orig_p, resp_p);
        let dir = |from_orig: bool| {
            if from_orig {
                Direction::Orig
            } else {
                Direction::Resp
            }
        };
        if let Some((sender_is_orig, data_seq, peer_acked)) = tcp {
            if let (Some(seq), false) = (data_seq, payload.is_empty()) {
                let sess = self.app.get_or_insert_with(|| {
                    AppSession::new(true, [1, 1], (orig_h, resp_h), io.cfg, io.stats)
                });
                let conflict = sess.tcp_data(dir(sender_is_orig), seq, payload, ts_ns, ports, io);
                if conflict {
                    io.stats.overlap_conflicts += 1;
                    self.overlap_conflict = self.overlap_conflict.max(1);
                }
            }
            if let (Some(up_to), Some(sess)) = (peer_acked, self.app.as_mut()) {
                sess.tcp_ack(dir(!sender_is_orig), up_to, ts_ns, ports, io);
            }
        } else if let Some(from_orig) = udp_from_orig {
            if !payload.is_empty() {
                let sess = self.app.get_or_insert_with(|| {
                    AppSession::new(false, [0, 0], (orig_h, resp_h), io.cfg, io.stats)
                });
                sess.datagram(dir(from_orig), payload, ts_ns, ports, io);
            }
        }
        if self.app.as_ref().is_some_and(|s| s.finished()) {
            if let Some(sess) = self.app.take() {
                self.services |= sess.summary().services;
            }
            self.app_done = true;
        }
    }

    /// The connection ends: its session layer delivers what it buffered and flushes.
    fn end_app(&mut self, key: &FlowKey, io: &mut AppIo<'_>) {
        if let Some(mut sess) = self.app.take() {
            let ((_, orig_p), (_, resp_p)) = self.roles(key);
            sess.end(self.last_ns, (orig_p, resp_p), io);
            self.services |= sess.summary().services;
            self.app_done = true;
        }
    }

    fn count(&mut self, is_orig: bool, ip_len: u32, wire_len: u32) {
        if is_orig {
            self.orig_pkts += 1;
            self.orig_ip_bytes += u64::from(ip_len);
            self.orig_wire_bytes += u64::from(wire_len);
        } else {
            self.resp_pkts += 1;
            self.resp_ip_bytes += u64::from(ip_len);
            self.resp_wire_bytes += u64::from(wire_len);
        }
    }

    /// Packet time at which Zeek would have removed this connection, given that nothing
    /// arrives for it any more. State does not change between packets, so this is exact.
    fn removal_time(&self, cfg: &FlowConfig) -> i64 {
        match &self.kind {
            Kind::Tcp(t) => {
                use crate::tcp::EpState::*;
                let inactivity = if t.handshake_over {
                    cfg.tcp_inactivity_ns
                } else {
                    cfg.udp_inactivity_ns
                };
                let mut at = self.last_ns.saturating_add(inactivity);
                if t.close_complete {
                    return at.min(t.close_at_ns.saturating_add(cfg.tcp_close_delay_ns));
                }
                let (os, rs) = (t.orig.state, t.resp.state);
                if t.attempt_at_ns > FIRED && matches!(os, SynSent | SynAckSent) && rs == Inactive {
                    at = at.min(t.attempt_at_ns.saturating_add(cfg.tcp_attempt_delay_ns));
                }
                // Zeek's periodic expire check: removal at the first check after
                // last + linger when one side closed (and the other closed, reset or never
                // spoke) or when neither side ever became active.
                let closed_cond = (t.orig.did_close || t.resp.did_close)
                    && ((t.orig.did_close && t.resp.did_close)
                        || os == Reset
                        || rs == Reset
                        || os == Inactive
                        || rs == Inactive);
                let idle_cond = os == Inactive && rs == Inactive;
                if closed_cond || idle_cond {
                    let threshold = self.last_ns.saturating_add(cfg.tcp_linger_ns);
                    let first = self.start_ns.saturating_add(cfg.tcp_first_check_ns);
                    at = at.min(next_tick_after(first, cfg.tcp_check_period_ns, threshold));
                    if t.half_close_at_ns != NO_TIME {
                        let first = t.half_close_at_ns.saturating_add(cfg.tcp_check_period_ns);
                        at = at.min(next_tick_after(first, cfg.tcp_check_period_ns, threshold));
                    }
                }
                at
            }
            Kind::Datagram { .. } => {
                let timeout = match self.proto {
                    17 => cfg.udp_inactivity_ns,
                    1 | 58 => cfg.icmp_inactivity_ns,
                    _ => cfg.other_inactivity_ns,
                };
                self.last_ns.saturating_add(timeout)
            }
        }
    }

    fn into_record(
        self,
        key: &FlowKey,
        tunnel_parent: Option<Uid>,
        cfg: &FlowConfig,
        now_ns: i64,
    ) -> ConnRecord {
        let ((orig_h, orig_p), (resp_h, resp_p)) = self.roles(key);
        let uid = Uid::for_flow(key, self.start_ns);
        let (proto, ip_proto) = match self.proto {
            6 => (Proto::Tcp, 6),
            17 => (Proto::Udp, 17),
            1 | 58 => (Proto::Icmp, self.proto),
            132 => (Proto::Sctp, 132),
            p => (Proto::Unknown, p),
        };
        let duration = self.last_ns.saturating_sub(self.start_ns);
        let (orig_size, resp_size, state, missed) = match &self.kind {
            Kind::Tcp(t) => {
                let (o, r) = (t.size(true), t.size(false));
                (
                    o,
                    r,
                    t.conn_state(o, r, &self.history.letters()),
                    t.missed_bytes,
                )
            }
            Kind::Datagram {
                orig_len, resp_len, ..
            } => {
                let state = if self.proto == 17 {
                    match (*orig_len >= 0, *resp_len >= 0) {
                        (true, true) => "SF",
                        (true, false) => "S0",
                        (false, true) => "SHR",
                        (false, false) => "OTH",
                    }
                } else {
                    "OTH"
                };
                (
                    (*orig_len).max(0) as u64,
                    (*resp_len).max(0) as u64,
                    state,
                    0,
                )
            }
        };
        // Zeek logs duration and sizes only for connections that lasted (duration > 0).
        let (duration_ns, orig_bytes, resp_bytes) = if duration > 0 {
            (Some(duration), Some(orig_size), Some(resp_size))
        } else {
            (None, None, None)
        };
        let history = String::from_utf8_lossy(&self.history.letters()).into_owned();
        // Judged only with inspection on, and for TCP only from the connection's start: a
        // capture that begins mid-stream cannot identify much.
        let (off_port_services, port_expected_services) =
            if cfg.app.enabled && (self.proto != 6 || history.starts_with('S')) {
                crate::app::port_use(
                    self.services,
                    self.proto,
                    resp_p,
                    orig_size > 0 || resp_size > 0,
                )
            } else {
                (Vec::new(), Vec::new())
            };
        ConnRecord {
            ts_ns: self.start_ns,
            uid,
            orig_h,
            orig_p,
            resp_h,
            resp_p,
            proto,
            ip_proto,
            service: service_names(self.services, self.proto == 17),
            duration_ns,
            orig_bytes,
            resp_bytes,
            conn_state: state,
            missed_bytes: missed,
            history,
            orig_pkts: self.orig_pkts,
            orig_ip_bytes: self.orig_ip_bytes,
            resp_pkts: self.resp_pkts,
            resp_ip_bytes: self.resp_ip_bytes,
            orig_wire_bytes: self.orig_wire_bytes,
            resp_wire_bytes: self.resp_wire_bytes,
            tunnel_parents: tunnel_parent.into_iter().collect(),
            vlan: Some(self.vlan).filter(|&v| v != 0),
            inner_vlan: Some(self.inner_vlan).filter(|&v| v != 0),
            off_port_services,
            port_expected_services,
            community_id_seed: cfg.community_id_seed,
            ended_ns: now_ns.max(self.last_ns),
        }
    }
}

/// Queues a weird of connection `conn` (session layer: reassembly or a parser).
fn push_weird(
    weirds: &mut Vec<netloupe_output::WeirdRecord>,
    key: &FlowKey,
    conn: &Conn,
    ts_ns: i64,
    name: &'static str,
    source: &'static str,
) {
    // At most two a packet (a parser's and the reassembler's), and the pipeline drains the
    // queue after every packet or batch: bounded by the batch size.
    let ((orig_h, orig_p), (resp_h, resp_p)) = conn.roles(key);
    weirds.push(netloupe_output::WeirdRecord {
        ts_ns,
        uid: Some(Uid::for_flow(key, conn.start_ns).to_conn_string()),
        id: Some((orig_h, orig_p, resp_h, resp_p)),
        src: None,
        dst: None,
        name,
        addl: None,
        source,
    });
}

/// First time `first + k * period` (k >= 0) strictly after `threshold`.
fn next_tick_after(first: i64, period: i64, threshold: i64) -> i64 {
    if first > threshold {
        return first;
    }
    let period = period.max(1);
    let k = (threshold.saturating_sub(first) / period).saturating_add(1);
    first.saturating_add(k.saturating_mul(period))
}

fn is_broadcast(a: IpAddr) -> bool {
    matches!(a, IpAddr::V4(v) if v.is_broadcast())
}

/// Gives the protocol records of one connection their connection identity.
fn queue_events(
    scratch: &mut Vec<AppRecord>,
    events: &mut Vec<AppEvent>,
    key: &FlowKey,
    conn: &Conn,
) {
    if scratch.is_empty() {
        return;
    }
    let uid = Uid::for_flow(key, conn.start_ns);
    let ((orig_h, orig_p), (resp_h, resp_p)) = conn.roles(key);
    for record in scratch.drain(..) {
        events.push(AppEvent {
            uid,
            orig_h,
            orig_p,
            resp_h,
            resp_p,
            record,
        });
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn print_sizes() {
        println!(
            "Conn {} Option<Conn> {} TcpConn {} Endpoint {} index slot {}",
            std::mem::size_of::<Conn>(),
            std::mem::size_of::<Option<Conn>>(),
            std::mem::size_of::<TcpConn>(),
            std::mem::size_of::<crate::tcp::Endpoint>(),
            std::mem::size_of::<(FlowKey, u32)>()
        );
    }
}
