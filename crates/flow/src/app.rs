//! The session layer of a connection: stream reassembly, protocol identification by content and
//! the protocol parsers, fed from the flow table's packets.
//!
//! A connection gets an [`AppSession`] when its first payload byte arrives. Bytes are reassembled
//! per direction (TCP) or taken datagram by datagram (UDP), shown to the protocol detector until
//! it decides, then replayed, in arrival order, into the parser of the detected protocol. The
//! session is dropped as soon as there is nothing more to learn (no protocol found, parser gave
//! up, or the protocol turned encrypted), so a long-lived bulk transfer costs nothing after its
//! first packets.

use crate::reassembly::{ReassemblyBudget, ReassemblyStats, StreamReassembler, StreamSink};
use netloupe_proto::detect::{Detector, Transport, Verdict};
use netloupe_proto::{AppRecord, Ctx, Direction, Service, SessionParser};
use std::net::IpAddr;

/// Limits of the session layer.
#[derive(Debug, Clone, Copy)]
pub struct AppConfig {
    /// Inspect payloads at all (off: conn records only).
    pub enabled: bool,
    /// Out-of-order bytes buffered per TCP direction.
    pub max_buffered_per_stream: usize,
    /// Out-of-order bytes buffered across all connections of a worker.
    pub max_buffered_total: usize,
    /// Bytes (both directions) kept for replay while the protocol is being identified; a
    /// connection not identified within them is left alone.
    pub max_detect_bytes: usize,
    /// Settings handed to every parser (e.g. which file digests to compute).
    pub parsers: netloupe_proto::ParserConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            enabled: true,
            max_buffered_per_stream: 256 << 10,
            max_buffered_total: 128 << 20,
            max_detect_bytes: 8 << 10,
            parsers: netloupe_proto::ParserConfig::default(),
        }
    }
}

/// Counters of the session layer, for stats.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppStats {
    pub sessions: u64,
    pub identified: u64,
    pub unidentified: u64,
    pub parser_violations: u64,
    /// Bytes encrypted inside an inspected protocol (LDAP SASL sealing), skipped by its parser.
    pub encrypted_bytes: u64,
    pub reassembly: ReassemblyStats,
    pub overlap_conflicts: u64,
    /// Most out-of-order bytes buffered at once (summed over workers).
    pub peak_buffered_bytes: u64,
    /// Connections announced by others (FTP data channels) and remembered.
    pub expected_announced: u64,
    /// Announced connections that started and were recognised (service `ftp-data`).
    pub expected_matched: u64,
    /// Announcements not remembered: the table of expected connections was full, or the
    /// announced hosts were not the announcing connection's (see `FlowTable`).
    pub expected_dropped: u64,
    /// Pending state parsers let go of at their caps, by service (`Service as usize`).
    pub parser_evictions: [u64; SERVICES],
    /// Connections with a service on a port registered to none of their services.
    pub off_port: u64,
    /// Connections that carried data on a registered port but not its service.
    pub port_mismatch: u64,
}

impl AppStats {
    /// Adds another table's counters (workers are summed for stats.json).
    pub fn add(&mut self, o: &AppStats) {
        self.sessions += o.sessions;
        self.identified += o.identified;
        self.unidentified += o.unidentified;
        self.parser_violations += o.parser_violations;
        self.encrypted_bytes += o.encrypted_bytes;
        self.overlap_conflicts += o.overlap_conflicts;
        self.peak_buffered_bytes += o.peak_buffered_bytes;
        self.expected_announced += o.expected_announced;
        self.off_port += o.off_port;
        for (a, b) in self.parser_evictions.iter_mut().zip(o.parser_evictions) {
            *a += b;
        }
        self.port_mismatch += o.port_mismatch;
        self.expected_matched += o.expected_matched;
        self.expected_dropped += o.expected_dropped;
        self.reassembly.add(&o.reassembly);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Detecting,
    /// A cleartext protocol that can switch to TLS (STARTTLS, RDP's TLS security, ...): waiting
    /// for a TLS handshake to start at a delivery boundary.
    AwaitingTls,
    Parsing,
}

pub(crate) fn bit(s: Service) -> u32 {
    1 << (s as u32)
}

/// QUIC's parser gives up on versions it cannot decrypt (Google QUIC, old drafts, server-first
/// captures); the detector's long-header match still identifies QUIC.
fn keeps_detection_on_violation(s: Service) -> bool {
    matches!(s, Service::Quic)
}

/// Protocols that upgrade their connection to TLS in band.
fn upgrades_to_tls(s: Service) -> bool {
    matches!(
        s,
        Service::Smtp
            | Service::Ftp
            | Service::Imap
            | Service::Pop3
            | Service::Ldap
            | Service::Rdp
            | Service::Postgresql
    )
}

/// Bytes of a cleartext protocol examined for a TLS upgrade before giving up.
const MAX_AWAIT_TLS_BYTES: usize = 64 << 10;

/// What the session layer of one connection needs from its flow table: limits, the shared
/// reassembly budget, counters, and where protocol records go.
pub(crate) struct AppIo<'a> {
    pub cfg: &'a AppConfig,
    pub budget: &'a mut ReassemblyBudget,
    pub stats: &'a mut AppStats,
    pub out: &'a mut Vec<AppRecord>,
}

/// What the stream sink feeds: everything of the session except the reassemblers.
struct Inspector {
    phase: Phase,
    detector: Detector,
    /// Bytes delivered while detecting, in arrival order with the time they arrived, for replay
    /// into the parser.
    replay: Vec<(Direction, i64, Vec<u8>)>,
    replay_bytes: usize,
    parser: Option<Box<dyn SessionParser>>,
    /// Set when there is nothing more to do: the session will be dropped.
    finished: bool,
    found: Option<Service>,
    /// The connection switched to TLS after `found` (STARTTLS and the like).
    upgraded: bool,
    /// Services confirmed so far (bit set over `Service`): by a parser's confirmation, or by
    /// the detector for protocols without a parser.
    confirmed: u32,
    /// The connection's endpoints, for parsers that log addresses (SMTP path, FTP channels).
    endpoints: (IpAddr, IpAddr),
    /// Bytes examined while waiting for a TLS upgrade.
    await_bytes: usize,
    /// A parser handed the connection over as a tunnel (HTTP CONNECT): bytes it had received
    /// after the switch (originator's, responder's), to go through detection again.
    tunnel: Option<[Vec<u8>; 2]>,
    /// The parser sees the directions the other way round: the responder (by Zeek's port
    /// rules) sent the client's side of the protocol (an HTTP request, mid-stream).
    swapped: bool,
}

fn flip(d: Direction) -> Direction {
    match d {
        Direction::Orig => Direction::Resp,
        Direction::Resp => Direction::Orig,
    }
}

pub(crate) struct AppSession {
    // (Debug is implemented by hand: parsers are trait objects.)
    /// TCP only: [from originator, from responder].
    streams: Option<Box<[StreamReassembler; 2]>>,
    insp: Inspector,
}

impl std::fmt::Debug for AppSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSession")
            .field("phase", &self.insp.phase)
            .field("found", &self.insp.found)
            .field("finished", &self.insp.finished)
            .finish()
    }
}

/// The per-delivery context the sink needs.
struct Sink<'a> {
    insp: &'a mut Inspector,
    dir: Direction,
    ts_ns: i64,
    transport: Transport,
    ports: (u16, u16),
    cfg: &'a AppConfig,
    stats: &'a mut AppStats,
    out: &'a mut Vec<AppRecord>,
}

impl StreamSink for Sink<'_> {
    fn data(&mut self, _offset: u64, bytes: &[u8]) {
        self.insp.deliver(
            self.dir,
            self.ts_ns,
            bytes,
            self.transport,
            self.ports,
            self.cfg,
            self.stats,
            self.out,
        );
    }
    fn gap(&mut self, _offset: u64, len: u64) {
        self.insp.gap(self.dir, len);
    }
}

fn idx(dir: Direction) -> usize {
    match dir {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}

impl Inspector {
    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        dir: Direction,
        ts_ns: i64,
        bytes: &[u8],
        transport: Transport,
        (orig_p, resp_p): (u16, u16),
        cfg: &AppConfig,
        stats: &mut AppStats,
        out: &mut Vec<AppRecord>,
    ) {
        if self.finished || bytes.is_empty() {
            return;
        }
        match self.phase {
            Phase::Detecting => {
                let room = cfg.max_detect_bytes.saturating_sub(self.replay_bytes);
                let take = bytes.len().min(room);
                // Bytes of this delivery already copied to the replay. A delivery that decides
                // (most first packets do) is handed to the parser without being copied.
                let mut kept = 0;
                // The detector sees the stream prefix of this direction (TCP) or the datagram (UDP).
                let verdict = match transport {
                    Transport::Tcp if self.replay.iter().any(|(d, _, _)| *d == dir) => {
                        match self.replay.last_mut() {
                            Some((d, _, v)) if *d == dir => v.extend_from_slice(&bytes[..take]),
                            _ => self.replay.push((dir, ts_ns, bytes[..take].to_vec())),
                        }
                        kept = take;
                        // Usually one chunk per direction so far (consecutive deliveries are
                        // merged): borrow it rather than copy.
                        let mut mine = self.replay.iter().filter(|(d, _, _)| *d == dir);
                        let prefix = match (mine.next(), mine.next()) {
                            (Some((_, _, only)), None) => std::borrow::Cow::Borrowed(&only[..]),
                            _ => std::borrow::Cow::Owned(
                                self.replay
                                    .iter()
                                    .filter(|(d, _, _)| *d == dir)
                                    .flat_map(|(_, _, v)| v.iter().copied())
                                    .collect::<Vec<u8>>(),
                            ),
                        };
                        self.detector.feed(transport, dir, &prefix, orig_p, resp_p)
                    }
                    _ => self
                        .detector
                        .feed(transport, dir, &bytes[..take], orig_p, resp_p),
                };
                match verdict {
                    Verdict::Match(service) => {
                        stats.identified += 1;
                        self.matched(
                            service,
                            transport,
                            Some((dir, ts_ns, bytes, kept)),
                            cfg,
                            stats,
                            out,
                        );
                    }
                    Verdict::NoMatch => {
                        stats.unidentified += 1;
                        self.finish();
                    }
                    Verdict::NeedMore => {
                        if kept == 0 {
                            self.replay.push((dir, ts_ns, bytes[..take].to_vec()));
                        }
                        self.replay_bytes += take;
                        if take < bytes.len() || self.replay_bytes >= cfg.max_detect_bytes {
                            stats.unidentified += 1;
                            self.finish();
                        }
                    }
                }
            }
            Phase::AwaitingTls => {
                if netloupe_proto::tls::looks_like_tls_start(bytes) {
                    let mut tls = netloupe_proto::tls::TlsSession::new();
                    tls.data(Ctx { ts_ns, dir }, bytes, out);
                    self.parser = Some(Box::new(tls));
                    self.upgraded = true;
                    self.await_bytes = 0;
                    self.phase = Phase::Parsing;
                    self.check_parser(ts_ns, stats, out);
                } else {
                    self.await_bytes += bytes.len();
                    if self.await_bytes > MAX_AWAIT_TLS_BYTES {
                        self.finish();
                    }
                }
            }
            Phase::Parsing => {
                let dir = if self.swapped { flip(dir) } else { dir };
                if let Some(p) = self.parser.as_mut() {
                    p.data(Ctx { ts_ns, dir }, bytes, out);
                }
                self.check_parser(ts_ns, stats, out);
            }
        }
        // Bytes a tunnel's parser received after the switch go to detection.
        if let Some(rest) = self.tunnel.take() {
            for (d, b) in [Direction::Orig, Direction::Resp].into_iter().zip(rest) {
                let ports = (orig_p, resp_p);
                self.deliver(d, ts_ns, &b, transport, ports, cfg, stats, out);
            }
        }
    }

    /// The detector decided `service`: its parser (when netloupe has one) gets the bytes kept
    /// while detecting, in arrival order. `current` is the delivery that decided (direction,
    /// time, bytes, how much of them the detection budget kept); None when the decision was
    /// taken at the end of the connection, with everything already kept.
    fn matched(
        &mut self,
        service: Service,
        transport: Transport,
        // The deciding delivery and how many of its first bytes the replay already holds.
        current: Option<(Direction, i64, &[u8], usize)>,
        cfg: &AppConfig,
        stats: &mut AppStats,
        out: &mut Vec<AppRecord>,
    ) {
        let ts_ns = current.map_or_else(|| self.replay.last().map_or(0, |c| c.1), |c| c.1);
        self.found = Some(service);
        // The detector's structural match identifies the protocol; a parser that later finds
        // the bytes impossible for it withdraws that.
        self.confirmed |= bit(service);
        let parser = netloupe_proto::new_parser_with_endpoints(
            service,
            transport == Transport::Udp,
            self.endpoints,
            &cfg.parsers,
        );
        match parser {
            Some(mut parser) => {
                let replay = std::mem::take(&mut self.replay);
                self.replay_bytes = 0;
                // An HTTP request from the responder, with none from the
                // originator: the roles of the connection (a capture starting
                // mid-stream, oriented by ports) are the other way round.
                let request = |d: Direction| {
                    // The direction's first bytes: in the replay, or the deciding delivery.
                    let first = match replay.iter().find(|c| c.0 == d) {
                        Some(c) => Some(&c.2[..]),
                        None => current.filter(|c| c.0 == d).map(|c| c.2),
                    };
                    first.is_some_and(|b| {
                        netloupe_proto::http::parser::first_line(b)
                            .and_then(|(l, _)| netloupe_proto::http::parser::parse_request_line(l))
                            .is_some()
                    })
                };
                self.swapped = service == Service::Http
                    && transport == Transport::Tcp
                    && request(Direction::Resp)
                    && !request(Direction::Orig);
                let sw = |d: Direction| if self.swapped { flip(d) } else { d };
                match (transport, current) {
                    // The stream from its start, in arrival order, then what the detection
                    // budget cut off from this delivery.
                    (Transport::Tcp, _) => {
                        for (d, t, chunk) in replay {
                            parser.data(
                                Ctx {
                                    ts_ns: t,
                                    dir: sw(d),
                                },
                                &chunk,
                                out,
                            );
                        }
                        if let Some((dir, ts_ns, bytes, kept)) = current {
                            if kept < bytes.len() {
                                let dir = sw(dir);
                                parser.data(Ctx { ts_ns, dir }, &bytes[kept..], out);
                            }
                        }
                    }
                    // The datagrams before this one, which did not decide (a query with a
                    // reserved bit set, say), then this one whole: a parser skips what it
                    // cannot read.
                    (Transport::Udp, Some((dir, ts_ns, bytes, _))) => {
                        for (d, t, chunk) in replay {
                            parser.data(Ctx { ts_ns: t, dir: d }, &chunk, out);
                        }
                        parser.data(Ctx { ts_ns, dir }, bytes, out)
                    }
                    // Decided at the end: every datagram kept.
                    (Transport::Udp, None) => {
                        for (d, t, chunk) in replay {
                            parser.data(Ctx { ts_ns: t, dir: d }, &chunk, out);
                        }
                    }
                }
                self.parser = Some(parser);
                self.phase = Phase::Parsing;
                self.check_parser(ts_ns, stats, out);
            }
            None if transport == Transport::Tcp && upgrades_to_tls(service) => {
                self.confirmed |= bit(service);
                self.replay = Vec::new();
                self.replay_bytes = 0;
                self.phase = Phase::AwaitingTls;
            }
            None => {
                self.confirmed |= bit(service);
                self.finish();
            }
        }
    }

    /// A parser that saw something its protocol cannot contain is done: it flushes what it
    /// has (a parser may keep its record until the end) and gets no more data.
    ///
    /// A parser of a cleartext protocol that saw the switch to TLS (STARTTLS accepted, RDP's TLS
    /// security selected) hands the connection over to the TLS parser.
    fn check_parser(&mut self, ts_ns: i64, stats: &mut AppStats, out: &mut Vec<AppRecord>) {
        let Some(p) = self.parser.as_mut() else {
            return;
        };
        if p.confirmed() {
            self.confirmed |= bit(p.service());
        }
        if p.tls_confirmed() {
            self.confirmed |= bit(Service::Tls);
        }
        if p.violated() && !self.finished {
            stats.parser_violations += 1;
            count_parser_end(stats, p.as_ref());
            p.end(ts_ns, out);
            if p.confirmed() {
                self.confirmed |= bit(p.service());
            } else if !keeps_detection_on_violation(p.service()) {
                self.confirmed &= !bit(p.service());
            }
            self.finish();
        } else if p.handed_to_tls() && !self.upgraded {
            count_parser_end(stats, p.as_ref());
            p.end(ts_ns, out);
            self.parser = None;
            self.phase = Phase::AwaitingTls;
        } else if let Some(rest) = p.take_tunnel() {
            // A tunnel (HTTP CONNECT): its protocol is identified afresh, as Zeek hands the
            // tunnelled bytes to protocol detection.
            p.end(ts_ns, out);
            self.parser = None;
            self.detector = Detector::default();
            self.replay.clear();
            self.replay_bytes = 0;
            self.phase = Phase::Detecting;
            self.tunnel = Some(rest);
        }
    }

    fn gap(&mut self, dir: Direction, len: u64) {
        match self.phase {
            // Content matching cannot skip bytes it never saw.
            Phase::Detecting => self.finish(),
            Phase::AwaitingTls => {}
            Phase::Parsing => {
                let dir = if self.swapped { flip(dir) } else { dir };
                if let Some(p) = self.parser.as_mut() {
                    p.gap(dir, len);
                }
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.replay = Vec::new();
        self.replay_bytes = 0;
    }
}

/// A protocol record with the connection it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct AppEvent {
    pub uid: crate::Uid,
    pub orig_h: std::net::IpAddr,
    pub orig_p: u16,
    pub resp_h: std::net::IpAddr,
    pub resp_p: u16,
    pub record: AppRecord,
}

/// What a connection learned from its session, kept after the session is dropped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AppSummary {
    /// Confirmed services, as a bit set over `Service` discriminants.
    pub services: u32,
}

impl AppSession {
    pub fn new(
        tcp: bool,
        next_seq: [u64; 2],
        endpoints: (IpAddr, IpAddr),
        cfg: &AppConfig,
        stats: &mut AppStats,
    ) -> Box<AppSession> {
        stats.sessions += 1;
        Box::new(AppSession {
            streams: tcp.then(|| {
                Box::new([
                    StreamReassembler::new(next_seq[0], cfg.max_buffered_per_stream),
                    StreamReassembler::new(next_seq[1], cfg.max_buffered_per_stream),
                ])
            }),
            insp: Inspector {
                phase: Phase::Detecting,
                detector: Detector::default(),
                replay: Vec::new(),
                replay_bytes: 0,
                parser: None,
                finished: false,
                found: None,
                upgraded: false,
                await_bytes: 0,
                tunnel: None,
                swapped: false,
                confirmed: 0,
                endpoints,
            },
        })
    }

    /// The session's parser is known beforehand (an expected connection): no detection.
    pub fn with_parser(mut self: Box<Self>, parser: Box<dyn SessionParser>) -> Box<Self> {
        let service = parser.service();
        self.insp.found = Some(service);
        self.insp.confirmed |= bit(service);
        self.insp.parser = Some(parser);
        self.insp.phase = Phase::Parsing;
        self
    }

    /// The TCP connection closed (both FINs acknowledged).
    pub fn closed(&mut self) {
        if let Some(p) = self.insp.parser.as_mut() {
            p.closed();
        }
    }

    /// The protocol anomaly the parser saw since the last call, with weird.log's `source`
    /// (Zeek's analyzer tag).
    pub fn take_weird(&mut self) -> Option<(&'static str, &'static str)> {
        let p = self.insp.parser.as_mut()?;
        let name = p.take_weird()?;
        Some((name, p.service().analyzer_tag()))
    }

    /// News of the file this (data) connection carries, once.
    pub fn take_data_file(&mut self) -> Option<netloupe_proto::ftp::DataFileNotice> {
        self.insp.parser.as_mut()?.take_data_file()
    }

    /// News of the file on a data connection this one announced.
    pub fn data_file(&mut self, notice: &netloupe_proto::ftp::DataFileNotice) {
        if let Some(p) = self.insp.parser.as_mut() {
            p.data_file(notice);
        }
    }

    /// Runs `op` on the reassembler of `dir` with a sink that feeds this session; the
    /// reassembler's counters are added to the table's. None for a UDP session.
    fn with_stream<R>(
        &mut self,
        dir: Direction,
        ts_ns: i64,
        ports: (u16, u16),
        io: &mut AppIo<'_>,
        op: impl FnOnce(
            &mut StreamReassembler,
            &mut ReassemblyBudget,
            &mut ReassemblyStats,
            &mut Sink<'_>,
        ) -> R,
    ) -> Option<R> {
        let streams = self.streams.as_mut()?;
        let AppIo {
            cfg,
            budget,
            stats,
            out,
        } = io;
        let mut sink = Sink {
            insp: &mut self.insp,
            dir,
            ts_ns,
            transport: Transport::Tcp,
            ports,
            cfg,
            stats,
            out,
        };
        let mut rstats = ReassemblyStats::default();
        let r = op(&mut streams[idx(dir)], budget, &mut rstats, &mut sink);
        io.stats.reassembly.add(&rstats);
        Some(r)
    }

    /// TCP payload of one segment at relative sequence `seq`; returns whether it overlapped
    /// earlier data with different bytes.
    pub fn tcp_data(
        &mut self,
        dir: Direction,
        seq: u64,
        data: &[u8],
        ts_ns: i64,
        ports: (u16, u16),
        io: &mut AppIo<'_>,
    ) -> bool {
        self.with_stream(dir, ts_ns, ports, io, |r, budget, rstats, sink| {
            r.insert(seq, data, budget, rstats, sink).conflict
        })
        .unwrap_or(false)
    }

    /// The peer acknowledged `dir`'s stream up to `up_to`.
    pub fn tcp_ack(
        &mut self,
        dir: Direction,
        up_to: u64,
        ts_ns: i64,
        ports: (u16, u16),
        io: &mut AppIo<'_>,
    ) {
        self.with_stream(dir, ts_ns, ports, io, |r, budget, rstats, sink| {
            r.ack(up_to, budget, rstats, sink)
        });
    }

    /// One UDP datagram's payload.
    pub fn datagram(
        &mut self,
        dir: Direction,
        data: &[u8],
        ts_ns: i64,
        ports: (u16, u16),
        io: &mut AppIo<'_>,
    ) {
        self.insp.deliver(
            dir,
            ts_ns,
            data,
            Transport::Udp,
            ports,
            io.cfg,
            io.stats,
            io.out,
        );
    }

    /// Nothing more will come from this session (it may be dropped).
    pub fn finished(&self) -> bool {
        self.insp.finished
            && self
                .streams
                .as_ref()
                .is_none_or(|s| s.iter().all(|r| r.buffered() == 0))
    }

    /// Connections the parser announced since the last call (FTP data channels).
    pub fn take_expected(&mut self, out: &mut Vec<netloupe_proto::ExpectedConn>) {
        if let Some(p) = self.insp.parser.as_mut() {
            p.take_expected(out);
        }
    }

    pub fn summary(&self) -> AppSummary {
        let mut services = self.insp.confirmed;
        if let Some(p) = &self.insp.parser {
            if p.confirmed() {
                services |= bit(p.service());
            }
            if p.tls_confirmed() {
                services |= bit(Service::Tls);
            }
        }
        AppSummary { services }
    }

    /// End of the connection: deliver what is buffered, let the parser flush.
    pub fn end(&mut self, ts_ns: i64, ports: (u16, u16), io: &mut AppIo<'_>) {
        for dir in [Direction::Orig, Direction::Resp] {
            self.with_stream(dir, ts_ns, ports, io, |r, budget, rstats, sink| {
                r.finish(budget, rstats, sink)
            });
        }
        if self.insp.phase == Phase::Detecting && !self.insp.finished {
            // A match the detector held back (see `Detector::feed`) stands now.
            if let Some(s) = self.insp.detector.finish() {
                io.stats.identified += 1;
                let transport = if self.streams.is_some() {
                    Transport::Tcp
                } else {
                    Transport::Udp
                };
                self.insp
                    .matched(s, transport, None, io.cfg, io.stats, io.out);
            }
        }
        if !self.insp.finished {
            if let Some(p) = self.insp.parser.as_mut() {
                count_parser_end(io.stats, p.as_ref());
                p.end(ts_ns, io.out);
            }
        }
        self.insp.finish();
    }
}

/// The services of a bit set, in `Service::ALL` order, by the names Zeek gives them on this
/// transport. (Zeek lists them in the order its analyzers confirmed; QUIC comes before the
/// TLS read from its CRYPTO frames, "quic,ssl".)
/// Number of services (the size of per-service counters).
pub const SERVICES: usize = Service::ALL.len();

/// Counts what a parser reports about itself when it stops (encrypted bytes skipped, pending
/// state evicted at its caps).
fn count_parser_end(stats: &mut AppStats, p: &dyn netloupe_proto::SessionParser) {
    stats.encrypted_bytes += p.encrypted_bytes();
    if let Some(n) = stats.parser_evictions.get_mut(p.service() as usize) {
        *n += p.evicted();
    }
}

/// Counts a finished connection's port use (see [`port_use`]).
pub(crate) fn count_port_use(stats: &mut AppStats, r: &crate::ConnRecord) {
    stats.off_port += u64::from(!r.off_port_services.is_empty());
    stats.port_mismatch += u64::from(!r.port_expected_services.is_empty());
}

/// How a finished connection's services relate to its responder port, for detectors of
/// unexpected protocol use: (services confirmed on a port registered to none of them,
/// services the port is registered for when the connection carried none of them). Neither is
/// set when one of the connection's services owns the port (TLS after STARTTLS on 25, say),
/// and `carried_data` says whether there was anything to judge.
pub(crate) fn port_use(
    bits: u32,
    ip_proto: u8,
    resp_p: u16,
    carried_data: bool,
) -> (Vec<&'static str>, Vec<&'static str>) {
    let udp = ip_proto == 17;
    let has = |s: Service| bits & (1 << (s as u32)) != 0;
    let owners: Vec<Service> = Service::registered_on(ip_proto, resp_p).collect();
    if owners.iter().any(|&o| has(o)) || (bits == 0 && !carried_data) {
        return (Vec::new(), Vec::new());
    }
    let off_port = |s: Service| has(s) && !s.any_port() && !s.registered_ports().is_empty();
    // TLS beside another service was carried by it (QUIC's handshake, a STARTTLS upgrade):
    // only the outer protocol is off its port.
    let carried_tls = Service::ALL
        .iter()
        .any(|&s| s != Service::Tls && off_port(s));
    let off: Vec<&'static str> = Service::ALL
        .iter()
        .filter(|&&s| off_port(s) && !(s == Service::Tls && carried_tls))
        .map(|s| s.zeek_name_on(udp))
        .collect();
    let expected = if carried_data {
        owners.iter().map(|s| s.zeek_name_on(udp)).collect()
    } else {
        Vec::new()
    };
    (off, expected)
}

pub(crate) fn service_names(bits: u32, udp: bool) -> Vec<&'static str> {
    Service::ALL
        .iter()
        .filter(|s| bits & (1 << (**s as u32)) != 0)
        .map(|s| s.zeek_name_on(udp))
        .collect()
}

#[cfg(test)]
mod port_use_tests {
    use super::*;

    fn bits(s: &[Service]) -> u32 {
        s.iter().fold(0, |b, &s| b | bit(s))
    }

    #[test]
    fn a_service_on_its_own_port_is_not_reported() {
        assert_eq!(
            port_use(bits(&[Service::Ssh]), 6, 22, true),
            (vec![], vec![])
        );
        // STARTTLS: TLS on SMTP's port is carried by SMTP.
        let smtp_tls = bits(&[Service::Smtp, Service::Tls]);
        assert_eq!(port_use(smtp_tls, 6, 25, true), (vec![], vec![]));
    }

    #[test]
    fn a_service_off_its_port_and_the_port_owner_missing() {
        // SSH on 443: off-port, and 443 did not carry TLS.
        assert_eq!(
            port_use(bits(&[Service::Ssh]), 6, 443, true),
            (vec!["ssh"], vec!["ssl"])
        );
        // HTTP on an unregistered port: off-port, no owner to miss.
        assert_eq!(
            port_use(bits(&[Service::Http]), 6, 4444, true),
            (vec!["http"], vec![])
        );
        // Unidentified data on 53/udp.
        assert_eq!(port_use(0, 17, 53, true), (vec![], vec!["dns"]));
        // No data at all: nothing to judge.
        assert_eq!(port_use(0, 6, 443, false), (vec![], vec![]));
    }

    #[test]
    fn carried_and_any_port_services_are_not_off_port() {
        // QUIC (with its TLS handshake) on a test port: only QUIC is off its port.
        let quic = bits(&[Service::Quic, Service::Tls]);
        assert_eq!(port_use(quic, 17, 4433, true), (vec!["quic"], vec![]));
        // DCE-RPC on a port the endpoint mapper handed out.
        assert_eq!(
            port_use(bits(&[Service::DceRpc, Service::Ntlm]), 6, 49667, true),
            (vec![], vec![])
        );
        assert_eq!(
            port_use(bits(&[Service::FtpData]), 6, 56666, true),
            (vec![], vec![])
        );
    }
}
