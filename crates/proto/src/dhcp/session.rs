//! DHCP transaction tracking: messages are joined into dhcp.log records by transaction id
//! ([`DhcpJoin`]), within one connection ([`DhcpSession`]) or across connections (the caller
//! feeds a [`DhcpJoin`] with every DHCP datagram and its connection uid, which is how Zeek's
//! dhcp.log lists several uids for one transaction: DHCP clients and servers broadcast, so one
//! exchange spans several 5-tuples).
//!
//! A record is emitted when its transaction has gathered [`DEFAULT_MAX_MSG_TYPES`] messages or
//! [`DEFAULT_MAX_UIDS`] connections (a new record then starts for the same id, as Zeek does),
//! when it was first seen more than the watch time ago ([`DEFAULT_WATCH_NS`]), when more than
//! [`MAX_OPEN`] transactions are open (the oldest goes), or at the end.

use super::parser::parse_message;
use super::record::DhcpRecord;
use super::DhcpMessage;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use std::collections::VecDeque;
use std::net::IpAddr;

/// Zeek's `DHCP::max_msg_types_per_log` default.
pub const DEFAULT_MAX_MSG_TYPES: usize = 50;
/// Zeek's `DHCP::max_uids_per_log` default.
pub const DEFAULT_MAX_UIDS: usize = 10;
/// How long a transaction stays open after its first message (Zeek's
/// `DHCP::max_txid_watch_time`, 30 s).
pub const DEFAULT_WATCH_NS: i64 = 30_000_000_000;
/// Open transactions kept at once; beyond, the oldest is emitted early.
pub const MAX_OPEN: usize = 1024;
/// Datagrams that are not BOOTP, before any that is, that make a violation.
pub const MAX_REJECTED: u8 = 4;

/// Joins DHCP messages into dhcp.log records by transaction id.
#[derive(Debug, Clone)]
pub struct DhcpJoin {
    open: VecDeque<DhcpRecord>,
    pub max_msg_types: usize,
    pub max_uids: usize,
    pub watch_ns: i64,
    /// Transactions emitted early because [`MAX_OPEN`] were open.
    pub evicted: u64,
}

impl Default for DhcpJoin {
    fn default() -> Self {
        Self::new()
    }
}

impl DhcpJoin {
    pub fn new() -> Self {
        DhcpJoin {
            open: VecDeque::new(),
            max_msg_types: DEFAULT_MAX_MSG_TYPES,
            max_uids: DEFAULT_MAX_UIDS,
            watch_ns: DEFAULT_WATCH_NS,
            evicted: 0,
        }
    }

    /// Emits the transactions first seen more than the watch time before `now_ns`.
    pub fn expire(&mut self, now_ns: i64, out: &mut Vec<DhcpRecord>) {
        let watch = self.watch_ns;
        let mut i = 0;
        while i < self.open.len() {
            if now_ns - self.open[i].ts_ns > watch {
                if let Some(r) = self.open.remove(i) {
                    out.push(r);
                }
            } else {
                i += 1;
            }
        }
    }

    /// One message (with a DHCP message type; plain BOOTP is ignored). `uid`: the connection
    /// it came on, if the caller tracks uids; `src`: its IP source, if known.
    pub fn message(
        &mut self,
        ts_ns: i64,
        uid: Option<&str>,
        src: Option<IpAddr>,
        msg: &DhcpMessage,
        out: &mut Vec<DhcpRecord>,
    ) {
        if msg.msg_type().is_none() {
            return;
        }
        self.expire(ts_ns, out);
        let pos = match self.open.iter().position(|r| r.trans_id == msg.xid) {
            Some(p) => p,
            None => {
                if self.open.len() >= MAX_OPEN {
                    if let Some(r) = self.open.pop_front() {
                        self.evicted += 1;
                        out.push(r);
                    }
                }
                self.open.push_back(DhcpRecord::new(ts_ns, msg.xid));
                self.open.len() - 1
            }
        };
        let r = &mut self.open[pos];
        if let Some(u) = uid {
            if !r.uids.iter().any(|x| x == u) {
                r.uids.push(u.to_string());
            }
        }
        r.apply(ts_ns, msg, src);
        let full = r.msg_types.len() >= self.max_msg_types
            || (uid.is_some() && r.uids.len() >= self.max_uids);
        if full {
            if let Some(r) = self.open.remove(pos) {
                out.push(r);
            }
        }
    }

    /// Emits every open transaction, oldest first.
    pub fn flush(&mut self, out: &mut Vec<DhcpRecord>) {
        out.extend(self.open.drain(..));
    }
}

/// Counters of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DhcpStats {
    pub datagrams: u64,
    /// Datagrams that are not BOOTP (too short, bad op).
    pub malformed: u64,
    /// BOOTP without DHCP message type.
    pub bootp: u64,
}

/// DHCP over one UDP "connection" (a 5-tuple): records aggregate the messages of each
/// transaction id seen on it.
pub struct DhcpSession {
    join: DhcpJoin,
    addrs: Option<(IpAddr, IpAddr)>,
    confirmed: bool,
    violated: bool,
    rejected: u8,
    pending: Vec<DhcpRecord>,
    pub stats: DhcpStats,
}

impl Default for DhcpSession {
    fn default() -> Self {
        Self::new()
    }
}

impl DhcpSession {
    pub fn new() -> Self {
        DhcpSession {
            join: DhcpJoin::new(),
            addrs: None,
            confirmed: false,
            violated: false,
            rejected: 0,
            pending: Vec::new(),
            stats: DhcpStats::default(),
        }
    }
    /// The connection's originator and responder addresses: `client_addr` is then the IP
    /// source of client messages, as in Zeek (without them, their `ciaddr`).
    pub fn with_addrs(mut self, orig: IpAddr, resp: IpAddr) -> Self {
        self.addrs = Some((orig, resp));
        self
    }

    fn emit(&mut self, out: &mut Vec<AppRecord>) {
        out.extend(self.pending.drain(..).map(AppRecord::Dhcp));
    }
}

impl SessionParser for DhcpSession {
    fn evicted(&self) -> u64 {
        self.join.evicted
    }

    fn service(&self) -> Service {
        Service::Dhcp
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.violated {
            return;
        }
        self.stats.datagrams += 1;
        let Some(msg) = parse_message(data) else {
            self.stats.malformed += 1;
            if !self.confirmed {
                self.rejected += 1;
                if self.rejected >= MAX_REJECTED {
                    self.violated = true;
                }
            }
            return;
        };
        if msg.msg_type().is_none() {
            self.stats.bootp += 1;
            return;
        }
        self.confirmed = true;
        let src = self.addrs.map(|(o, r)| match ctx.dir {
            Direction::Orig => o,
            Direction::Resp => r,
        });
        self.join
            .message(ctx.ts_ns, None, src, &msg, &mut self.pending);
        self.emit(out);
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.join.flush(&mut self.pending);
        self.emit(out);
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}

/// Fuzzing entry point: datagrams cut from `data` through a session, both directions.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let _ = parse_message(data);
    crate::fuzz_session(&mut DhcpSession::new(), data, 11);
}
