//! Kerberos conversations: TCP record marking (RFC 4120 7.2.2: a 4-byte big-endian length
//! before each message) or one message per UDP datagram, and the pairing of requests with
//! replies into kerberos.log records ([`KerberosTracker`], also usable by protocols that carry
//! Kerberos inside GSS-API tokens, like SMB).
//!
//! Pairing: a reply or error answers the oldest pending request; one with no request makes a
//! record alone; requests still unanswered at the end are emitted alone. Errors whose text is
//! one of [`IGNORED_ERRORS`] (the routine "pre-authentication needed" answer to a first
//! AS-REQ) produce no record, as Zeek's default `KRB::ignored_errors`.
//!
//! Caps: at most [`MAX_PENDING`] unanswered requests (beyond, the oldest is emitted alone);
//! TCP buffers at most one record of [`MAX_RECORD`] bytes per direction (a longer one is a
//! violation).

use super::parser::{error_name, etype_name, parse_krb_message, KrbMessage};
use super::record::KerberosRecord;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use std::collections::VecDeque;

/// Unanswered requests kept per conversation.
pub const MAX_PENDING: usize = 32;
/// Largest TCP Kerberos record accepted (tickets with large PACs stay well below).
pub const MAX_RECORD: usize = 1 << 20;
/// Error texts that do not make a record.
pub const IGNORED_ERRORS: [&str; 2] = ["NEEDED_PREAUTH", "Additional pre-authentication required"];
/// Messages that do not parse, before any that does, that make a violation.
pub const MAX_REJECTED: u8 = 4;

/// Pairs Kerberos requests with their replies.
#[derive(Debug, Clone, Default)]
pub struct KerberosTracker {
    pending: VecDeque<KerberosRecord>,
    /// Requests emitted unanswered because [`MAX_PENDING`] were pending.
    pub evicted: u64,
}

fn principal(name: &str, realm: &str) -> String {
    format!("{name}/{realm}")
}

impl KerberosTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// One message seen at `ts_ns`; completed records go to `out`.
    pub fn message(&mut self, ts_ns: i64, msg: &KrbMessage, out: &mut Vec<KerberosRecord>) {
        if msg.is_request() {
            let mut r = KerberosRecord {
                ts_ns,
                ..Default::default()
            };
            match msg {
                KrbMessage::AsReq(q) | KrbMessage::TgsReq(q) => {
                    let as_req = matches!(msg, KrbMessage::AsReq(_));
                    r.request_type = Some(if as_req { "AS" } else { "TGS" }.into());
                    if as_req {
                        r.client = Some(principal(q.cname.as_deref().unwrap_or(""), &q.realm));
                    }
                    r.service.clone_from(&q.sname);
                    r.from = q.from;
                    r.till = q.till;
                    r.forwardable = Some(q.forwardable);
                    r.renewable = Some(q.renewable);
                    r.client_cert_subject.clone_from(&q.client_cert_subject);
                }
                KrbMessage::ApReq(a) => {
                    r.request_type = Some("AP".into());
                    r.client = Some(principal("", &a.realm));
                    r.service = Some(a.sname.clone());
                    r.cipher = Some(etype_name(a.ticket_etype));
                }
                _ => {}
            }
            if self.pending.len() >= MAX_PENDING {
                if let Some(old) = self.pending.pop_front() {
                    self.evicted += 1;
                    out.push(old);
                }
            }
            self.pending.push_back(r);
            return;
        }
        // An AP-REP alone (a repeated token, a missed request) says nothing worth a record.
        if matches!(msg, KrbMessage::ApRep) && self.pending.is_empty() {
            return;
        }
        let mut r = self.pending.pop_front().unwrap_or(KerberosRecord {
            ts_ns,
            ..Default::default()
        });
        match msg {
            KrbMessage::AsRep(p) | KrbMessage::TgsRep(p) => {
                if r.request_type.is_none() {
                    let t = if matches!(msg, KrbMessage::AsRep(_)) {
                        "AS"
                    } else {
                        "TGS"
                    };
                    r.request_type = Some(t.into());
                }
                if r.client.is_none() {
                    r.client = Some(principal(&p.cname, &p.crealm));
                }
                if r.service.is_none() {
                    r.service = Some(p.ticket_sname.clone());
                }
                r.success = Some(true);
                r.cipher = Some(etype_name(p.ticket_etype));
                r.server_cert_subject.clone_from(&p.server_cert_subject);
            }
            KrbMessage::Error(e) => {
                let text = e.etext.as_deref().filter(|t| !t.is_empty());
                if text.is_some_and(|t| IGNORED_ERRORS.contains(&t)) {
                    return;
                }
                if r.client.is_none() {
                    if let Some(c) = &e.cname {
                        let realm = e.crealm.as_ref().or(e.realm.as_ref());
                        r.client = Some(principal(c, realm.map_or("", |s| s)));
                    }
                }
                if r.service.is_none() {
                    r.service.clone_from(&e.sname);
                }
                r.success = Some(false);
                r.error_code = Some(e.error_code);
                r.error_msg = Some(text.map_or_else(|| error_name(e.error_code), String::from));
            }
            KrbMessage::ApRep => r.success = Some(true),
            _ => {}
        }
        out.push(r);
    }

    /// Emits the unanswered requests.
    pub fn flush(&mut self, out: &mut Vec<KerberosRecord>) {
        out.extend(self.pending.drain(..));
    }
}

/// Counters of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KerberosStats {
    pub messages: u64,
    /// Messages that did not parse as Kerberos.
    pub malformed: u64,
    /// TCP bytes not parsed after a gap.
    pub skipped_bytes: u64,
}

/// Kerberos over UDP or TCP port 88.
pub struct KerberosSession {
    tcp: bool,
    tracker: KerberosTracker,
    bufs: [Vec<u8>; 2],
    lost: [bool; 2],
    confirmed: bool,
    violated: bool,
    rejected: u8,
    recs: Vec<KerberosRecord>,
    pub stats: KerberosStats,
}

fn di(d: Direction) -> usize {
    match d {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}

impl KerberosSession {
    /// `tcp`: messages are record-marked in a byte stream; otherwise one per datagram.
    pub fn new(tcp: bool) -> Self {
        KerberosSession {
            tcp,
            tracker: KerberosTracker::new(),
            bufs: [Vec::new(), Vec::new()],
            lost: [false; 2],
            confirmed: false,
            violated: false,
            rejected: 0,
            recs: Vec::new(),
            stats: KerberosStats::default(),
        }
    }

    fn deliver(&mut self, ts_ns: i64, msg: &[u8]) {
        self.stats.messages += 1;
        match parse_krb_message(msg) {
            Some(m) => {
                self.confirmed = true;
                self.tracker.message(ts_ns, &m, &mut self.recs);
            }
            None => {
                self.stats.malformed += 1;
                if !self.confirmed {
                    self.rejected += 1;
                    if self.rejected >= MAX_REJECTED {
                        self.violated = true;
                    }
                }
            }
        }
    }

    fn emit(&mut self, out: &mut Vec<AppRecord>) {
        let tcp = self.tcp;
        out.extend(
            self.recs
                .drain(..)
                .map(|r| AppRecord::Kerberos(KerberosRecord { tcp, ..r })),
        );
    }
}

impl SessionParser for KerberosSession {
    fn evicted(&self) -> u64 {
        self.tracker.evicted
    }

    fn service(&self) -> Service {
        Service::Kerberos
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.violated {
            return;
        }
        if !self.tcp {
            self.deliver(ctx.ts_ns, data);
            self.emit(out);
            return;
        }
        let d = di(ctx.dir);
        if self.lost[d] {
            self.stats.skipped_bytes += data.len() as u64;
            return;
        }
        let mut buf = std::mem::take(&mut self.bufs[d]);
        buf.extend_from_slice(data);
        let mut pos = 0;
        while buf.len() - pos >= 4 {
            let mark = u32::from_be_bytes([buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]]);
            // The high bit is reserved (RFC 4120 7.2.2); a set one is not Kerberos as we know it.
            let len = mark as usize;
            if mark & 0x8000_0000 != 0 || len > MAX_RECORD || len == 0 {
                if self.confirmed {
                    self.lost[d] = true;
                } else {
                    self.violated = true;
                }
                pos = buf.len();
                break;
            }
            if buf.len() - pos - 4 < len {
                break;
            }
            let msg = buf[pos + 4..pos + 4 + len].to_vec();
            pos += 4 + len;
            self.deliver(ctx.ts_ns, &msg);
        }
        buf.drain(..pos);
        self.bufs[d] = buf;
        self.emit(out);
    }

    fn gap(&mut self, dir: Direction, _len: u64) {
        if self.tcp {
            let d = di(dir);
            self.lost[d] = true;
            self.bufs[d].clear();
        }
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.tracker.flush(&mut self.recs);
        self.emit(out);
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}

/// Fuzzing entry point: `data` as a datagram, as GSS-API blobs, and as both TCP directions.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let _ = parse_krb_message(data);
    let _ = super::parser::find_gssapi_krb5(data);
    let mut out = Vec::new();
    let mut u = KerberosSession::new(false);
    u.data(
        Ctx {
            ts_ns: 0,
            dir: Direction::Orig,
        },
        data,
        &mut out,
    );
    u.end(1, &mut out);
    let mut t = KerberosSession::new(true);
    let half = data.len() / 2;
    for (i, chunk) in [&data[..half], &data[half..]].into_iter().enumerate() {
        let dir = if i == 0 {
            Direction::Orig
        } else {
            Direction::Resp
        };
        t.data(Ctx { ts_ns: 2, dir }, chunk, &mut out);
    }
    t.end(3, &mut out);
    for r in &out {
        let mut line = String::new();
        let mut o = netloupe_output::json::JsonObject::new(&mut line);
        r.write_json(&mut o);
        o.end();
    }
}
