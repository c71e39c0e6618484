//! DNS conversation state: message framing (UDP datagrams, TCP length prefixes) and the pairing
//! of queries with responses into dns.log records.
//!
//! Pairing follows Zeek: a response takes the oldest pending query with its transaction id
//! (among several, one asking the same question is preferred); a response with no such query is
//! kept, and a later query with its id completes it; whatever is left is emitted at the end of
//! the connection. On mDNS (port 5353) transaction id 0 carries no pairing meaning (RFC 6762
//! 18.1), so each such message is a record of its own.
//!
//! A message shorter than a header, or a first message implausible as DNS, is counted and
//! skipped (Zeek reports a weird and goes on): the first valid message confirms the
//! conversation, and only [`MAX_REJECTED`] rejected messages with no valid one before them make
//! it a protocol violation.
//!
//! Caps: at most [`MAX_PENDING`] unanswered queries and as many unmatched responses per
//! connection (beyond, the oldest is emitted early and counted in [`DnsStats::evicted`]); TCP
//! buffers at most one message (65,535 bytes) plus its 2-byte length per direction.

use super::parser::{parse_message, Message, Section, OPCODE_UPDATE};
use super::record::{DnsProto, DnsRecord};
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use std::collections::VecDeque;

/// Pending queries (and unmatched responses) kept per connection.
pub const MAX_PENDING: usize = 64;
/// Largest TCP DNS message plus its length prefix.
pub const MAX_TCP_BUFFER: usize = 65535 + 2;
/// Messages rejected (too short, or implausible as a first message) before the conversation is
/// a protocol violation, if none was valid yet. Fewer are only counted and skipped: one
/// malformed datagram does not take DNS away from a connection whose later datagrams are valid
/// (Zeek only reports a weird for it).
pub const MAX_REJECTED: u8 = 4;

/// Counters of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DnsStats {
    pub messages: u64,
    /// Messages shorter than a header, or not parsed to their end.
    pub malformed: u64,
    /// Messages skipped without a record: shorter than a header, or (before the first valid
    /// message) implausible as DNS.
    pub skipped: u64,
    /// Records emitted early because the pending table was full.
    pub evicted: u64,
    /// TCP bytes skipped after a gap (the direction is not parsed any further).
    pub skipped_bytes: u64,
    /// Weird name of the last malformed message.
    pub last_weird: Option<&'static str>,
}

struct Pending {
    rec: DnsRecord,
    question: Option<(String, u16, u16)>,
}

/// One DNS conversation (UDP or TCP).
pub struct DnsSession {
    proto: DnsProto,
    mdns: bool,
    pending_queries: VecDeque<Pending>,
    pending_replies: VecDeque<Pending>,
    /// TCP per-direction buffers (index 0: originator).
    bufs: [Vec<u8>; 2],
    lost: [bool; 2],
    /// A capture loss ended at what may be a message boundary: the next bytes must look like
    /// a message start, or the direction is lost.
    resync: [bool; 2],
    confirmed: bool,
    violated: bool,
    /// Messages rejected while not yet confirmed (up to [`MAX_REJECTED`]).
    rejected: u8,
    pub stats: DnsStats,
}

fn di(d: Direction) -> usize {
    match d {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}

impl DnsSession {
    pub fn new(proto: DnsProto) -> Self {
        DnsSession {
            proto,
            mdns: false,
            pending_queries: VecDeque::new(),
            pending_replies: VecDeque::new(),
            bufs: [Vec::new(), Vec::new()],
            lost: [false; 2],
            resync: [false; 2],
            confirmed: false,
            violated: false,
            rejected: 0,
            stats: DnsStats::default(),
        }
    }
    pub fn udp() -> Self {
        Self::new(DnsProto::Udp)
    }
    pub fn tcp() -> Self {
        Self::new(DnsProto::Tcp)
    }
    /// Marks the conversation as multicast DNS (either port 5353): transaction id 0 pairs
    /// nothing.
    pub fn with_mdns(mut self, mdns: bool) -> Self {
        self.mdns = mdns;
        self
    }

    /// One message (a UDP datagram or a TCP length-framed message). A message too short for a
    /// header, or (until the first valid one) one that is implausible as DNS, is counted and
    /// skipped; the conversation is a violation only after [`MAX_REJECTED`] of them without any
    /// valid message.
    fn deliver(&mut self, ts_ns: i64, bytes: &[u8], out: &mut Vec<AppRecord>) {
        self.stats.messages += 1;
        let Some(msg) = parse_message(bytes) else {
            self.stats.malformed += 1;
            self.stats.last_weird = Some("DNS_truncated_len_lt_hdr_len");
            self.reject();
            return;
        };
        if let Some(w) = msg.malformed {
            self.stats.malformed += 1;
            self.stats.last_weird = Some(w);
        }
        // DNS opcodes, or an unassigned one (3, 9-15; the detector chose DNS for those only on
        // the DNS port) on a message that parsed whole; NBNS's 6-8 are not DNS.
        let opcode_ok = match msg.header.opcode {
            0 | 1 | 2 | 4 | 5 => true,
            3 | 9..=15 => msg.malformed.is_none() && !msg.questions.is_empty(),
            _ => false,
        };
        let plausible = opcode_ok && (msg.header.qdcount as usize == msg.questions.len());
        if !self.confirmed {
            if !plausible {
                self.reject();
                return;
            }
            self.confirmed = true;
        }
        self.on_message(ts_ns, msg, out);
    }

    /// A message skipped without a record; before any valid message, too many of them make the
    /// conversation a violation.
    fn reject(&mut self) {
        self.stats.skipped += 1;
        if !self.confirmed {
            self.rejected = self.rejected.saturating_add(1);
            if self.rejected >= MAX_REJECTED {
                self.violated = true;
            }
        }
    }

    fn new_record(&self, ts_ns: i64, id: u16) -> DnsRecord {
        DnsRecord {
            ts_ns,
            proto: self.proto,
            trans_id: id,
            ..Default::default()
        }
    }

    fn on_message(&mut self, ts_ns: i64, msg: Message, out: &mut Vec<AppRecord>) {
        let h = msg.header;
        let unpaired = self.mdns && h.id == 0;
        let question = msg
            .questions
            .first()
            .map(|q| (q.name.clone(), q.qtype, q.qclass));
        if !h.qr {
            let mut rec = match self.take_pending(true, h.id, &question, unpaired) {
                Some(r) => r,
                None => self.new_record(ts_ns, h.id),
            };
            let was_reply = rec.opcode.is_some();
            apply_query(&mut rec, &msg);
            if was_reply || unpaired {
                out.push(AppRecord::Dns(rec));
            } else {
                self.push_pending(false, Pending { rec, question }, out);
            }
        } else {
            let found = self.take_pending(false, h.id, &question, unpaired);
            let paired = found.is_some();
            let mut rec = found.unwrap_or_else(|| self.new_record(ts_ns, h.id));
            apply_reply(&mut rec, &msg, ts_ns);
            if paired || unpaired {
                out.push(AppRecord::Dns(rec));
            } else {
                self.push_pending(true, Pending { rec, question }, out);
            }
        }
    }

    /// Takes the counterpart of a message: a pending reply for a query (`for_query`), a
    /// pending query for a reply.
    fn take_pending(
        &mut self,
        for_query: bool,
        id: u16,
        question: &Option<(String, u16, u16)>,
        unpaired: bool,
    ) -> Option<DnsRecord> {
        if unpaired {
            return None;
        }
        let q = if for_query {
            &mut self.pending_replies
        } else {
            &mut self.pending_queries
        };
        let same_q = q
            .iter()
            .position(|p| p.rec.trans_id == id && question.is_some() && p.question == *question);
        let i = same_q.or_else(|| q.iter().position(|p| p.rec.trans_id == id))?;
        q.remove(i).map(|p| p.rec)
    }

    fn push_pending(&mut self, reply: bool, p: Pending, out: &mut Vec<AppRecord>) {
        let q = if reply {
            &mut self.pending_replies
        } else {
            &mut self.pending_queries
        };
        if q.len() >= MAX_PENDING {
            if let Some(old) = q.pop_front() {
                self.stats.evicted += 1;
                out.push(AppRecord::Dns(old.rec));
            }
        }
        q.push_back(p);
    }

    fn tcp_data(&mut self, ctx: Ctx, mut data: &[u8], out: &mut Vec<AppRecord>) {
        let d = di(ctx.dir);
        if self.resync[d] && !data.is_empty() {
            // Length prefix, then a header whose counts are sane: a message starts here.
            match data.get(..14) {
                Some(h) if message_start(h) => self.resync[d] = false,
                Some(_) => self.lost[d] = true,
                // Too short to judge: give the direction up rather than buffer a guess.
                None => self.lost[d] = true,
            }
        }
        if self.lost[d] {
            self.stats.skipped_bytes += data.len() as u64;
            return;
        }
        while !data.is_empty() {
            if self.violated {
                return;
            }
            // Fast path: whole messages straight from the delivery.
            if self.bufs[d].is_empty() && data.len() >= 2 {
                let len = u16::from_be_bytes([data[0], data[1]]) as usize;
                if data.len() >= 2 + len {
                    self.deliver(ctx.ts_ns, &data[2..2 + len], out);
                    data = &data[2 + len..];
                    continue;
                }
            }
            let buf = &mut self.bufs[d];
            let need = if buf.len() < 2 {
                2 - buf.len()
            } else {
                2 + u16::from_be_bytes([buf[0], buf[1]]) as usize - buf.len()
            };
            let take = need.min(data.len());
            buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if buf.len() >= 2 {
                let len = u16::from_be_bytes([buf[0], buf[1]]) as usize;
                if buf.len() == 2 + len {
                    let msg = std::mem::take(&mut self.bufs[d]);
                    self.deliver(ctx.ts_ns, &msg[2..], out);
                    // Keep the allocation for the next message.
                    let mut msg = msg;
                    msg.clear();
                    self.bufs[d] = msg;
                }
            }
        }
        debug_assert!(self.bufs[d].len() <= MAX_TCP_BUFFER);
    }
}

/// Query fields: the question (not for UPDATE, whose zone section is no question) and the flags
/// a query carries.
fn apply_query(rec: &mut DnsRecord, msg: &Message) {
    let h = msg.header;
    if h.opcode != OPCODE_UPDATE {
        if let Some(q) = msg.questions.first() {
            rec.query = Some(q.name.clone());
            rec.query_case.clone_from(&q.name_case);
            rec.qclass = Some(q.qclass);
            rec.qtype = Some(q.qtype);
            rec.rd = h.rd;
            rec.tc = h.tc;
            rec.z = h.z;
        }
    }
    if rec.opcode.is_none() {
        rec.opcode = Some(h.opcode);
    }
    if rec.malformed.is_none() {
        rec.malformed = msg.malformed;
    }
}

fn push_distinct(v: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// Response fields: rcode, rejection, answers (with AA, RA and rtt), authority and additional
/// texts.
fn apply_reply(rec: &mut DnsRecord, msg: &Message, ts_ns: i64) {
    let h = msg.header;
    rec.opcode = Some(h.opcode);
    rec.rcode = Some(h.rcode as u16);
    if msg.total_rrs() == 0 && !msg.questions.is_empty() {
        rec.rejected = true;
    }
    let update = h.opcode == OPCODE_UPDATE;
    for rr in &msg.rrs {
        let Some(text) = &rr.text else { continue };
        let is_answer =
            rr.section == Section::Answer || (update && rr.section == Section::Authority);
        if is_answer {
            if rec.query.is_none() {
                rec.query = Some(rr.name.clone());
            }
            rec.aa = h.aa;
            rec.ra = h.ra;
            if rec.rtt_ns.is_none() {
                let rtt = ts_ns.saturating_sub(rec.ts_ns);
                // Zero: the record began with this very response (no query seen).
                rec.rtt_ns = (rtt != 0).then_some(rtt);
            }
            if !text.is_empty() {
                rec.answers.push(text.clone());
                rec.ttls.push(rr.ttl);
                rec.answer_details.push(rr.detail.clone());
            }
        } else if rr.section == Section::Authority {
            push_distinct(&mut rec.auth, text);
        } else {
            push_distinct(&mut rec.addl, text);
        }
    }
    if msg.malformed.is_some() {
        rec.malformed = msg.malformed;
    }
}

impl SessionParser for DnsSession {
    fn take_weird(&mut self) -> Option<&'static str> {
        self.stats.last_weird.take()
    }

    fn evicted(&self) -> u64 {
        self.stats.evicted
    }

    fn service(&self) -> Service {
        Service::Dns
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.violated {
            return;
        }
        match self.proto {
            DnsProto::Udp => self.deliver(ctx.ts_ns, data, out),
            DnsProto::Tcp => self.tcp_data(ctx, data, out),
        }
    }

    fn gap(&mut self, dir: Direction, len: u64) {
        // A loss inside a message loses the framing: drop what was buffered and stop parsing
        // this direction. A loss that began at a message boundary may have taken whole
        // messages only: parsing resumes if the next bytes start a message.
        let d = di(dir);
        if self.bufs[d].is_empty() && !self.lost[d] {
            self.resync[d] = true;
        } else {
            self.lost[d] = true;
        }
        self.bufs[d] = Vec::new();
        self.stats.skipped_bytes += len;
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        let mut left: Vec<Pending> = self.pending_queries.drain(..).collect();
        left.extend(self.pending_replies.drain(..));
        left.sort_by_key(|p| p.rec.ts_ns);
        out.extend(left.into_iter().map(|p| AppRecord::Dns(p.rec)));
        self.bufs = [Vec::new(), Vec::new()];
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}

/// Whether `h` (at least 14 bytes) starts a DNS-over-TCP message: a length that holds a header,
/// a DNS opcode, no more than a few questions, and record counts a message of that length can
/// hold.
fn message_start(h: &[u8]) -> bool {
    let be = |i: usize| usize::from(u16::from_be_bytes([h[i], h[i + 1]]));
    let len = be(0);
    let opcode = (h[4] >> 3) & 0xf;
    let (qd, an, ns, ar) = (be(6), be(8), be(10), be(12));
    len >= 12 && matches!(opcode, 0 | 1 | 2 | 4 | 5) && qd <= 4 && (qd + an + ns + ar) * 5 <= len
}

/// Body of the `proto_dns` fuzz target: the input's first byte picks UDP or TCP and, bit by bit,
/// the direction of each chunk; the rest is cut into chunks by its own bytes.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut s = if ctl & 1 == 0 {
        DnsSession::udp()
    } else {
        DnsSession::tcp()
    }
    .with_mdns(ctl & 2 != 0);
    // Whole input as one message too (UDP-style), to reach deep parser paths.
    let _ = parse_message(rest);
    crate::fuzz_session(&mut s, rest, 3);
}
