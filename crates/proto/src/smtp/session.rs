//! SMTP conversation state.
//!
//! The client side is read as command lines (RFC 5321 section 4.1), message content after
//! DATA up to the line holding a single dot (section 4.5.2, dot-stuffing undone), or BDAT
//! chunks of the announced size (RFC 3030). Clients may pipeline (RFC 2920): commands wait in
//! a queue and each final reply line answers the oldest one. A client that sends DATA is taken
//! to send content at once; a reply other than 354 turns it back to commands.
//!
//! A transaction record is written when the reply ending a message arrives (the reply to the
//! final dot or to BDAT ... LAST), when a new MAIL FROM starts while the previous transaction
//! was not ended (its replies were not seen, say), when STARTTLS is accepted (the rest is TLS:
//! the session stops reading and [`SmtpSession::handed_to_tls`] says so), and at the end of
//! the connection, in each case only when the client did something (MAIL, RCPT, STARTTLS).
//! The reply to a message's end ends that message's transaction only: when a pipelined MAIL
//! FROM began the next one before the reply, the next one goes on. A transaction with a DATA
//! or BDAT attempt but no envelope (which Zeek does not log) is written for EVE only
//! ([`SmtpRecord::eve_only`]), when its content is answered or a RSET, HELO or EHLO resets it.
//!
//! Confirmation needs a known command and a well-formed reply, or two known commands (for
//! captures of the client side only). Before confirmation, a reply line without a 3-digit code
//! or a command that is not a word is a violation.

use super::headers::{email_addrs, MessageReader, MAX_ADDRS};
use super::mime::MessageFiles;
use super::SmtpRecord;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::IpAddr;

/// Bytes kept of a command, reply or content line; the rest of a longer line is dropped.
pub const MAX_LINE: usize = 16 * 1024;
/// Commands waiting for their reply (the oldest is forgotten past this).
pub const MAX_PENDING: usize = 100;

/// A command waiting for its reply, as far as the reply matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// DATA: 354 lets content follow.
    Data,
    /// The dot ending DATA content, or BDAT ... LAST: the reply ends the message of that
    /// transaction (numbered by [`SmtpSession::txs`]), unless a pipelined MAIL FROM already
    /// wrote it.
    MessageEnd(u64),
    StartTls,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    Command,
    Data,
    Bdat { remaining: u64, last: bool },
}

#[derive(Debug, Default)]
struct LineBuf {
    buf: Vec<u8>,
    /// Bytes of the current line dropped past [`MAX_LINE`].
    dropped: usize,
    /// Skip to the next line end (after a gap).
    skip: bool,
}

impl LineBuf {
    /// Takes bytes up to and including the next LF: the complete line (without CR LF), if
    /// any, and how many bytes were used. A line wholly inside `data` (nearly all of them) is
    /// borrowed from it: message bodies are read line by line, and a copy per line was a
    /// tenth of SMTP's cost.
    fn next_line<'a>(&mut self, data: &'a [u8]) -> (Option<Cow<'a, [u8]>>, usize) {
        match memchr::memchr(b'\n', data) {
            Some(i) => {
                self.dropped = 0;
                if self.skip {
                    self.skip = false;
                    self.buf.clear();
                    return (None, i + 1);
                }
                let mut line = if self.buf.is_empty() {
                    Cow::Borrowed(&data[..i.min(MAX_LINE)])
                } else {
                    let room = MAX_LINE.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&data[..i.min(room)]);
                    Cow::Owned(std::mem::take(&mut self.buf))
                };
                if line.last() == Some(&b'\r') {
                    match &mut line {
                        Cow::Borrowed(l) => *l = &l[..l.len() - 1],
                        Cow::Owned(l) => {
                            l.pop();
                        }
                    }
                }
                (Some(line), i + 1)
            }
            None => {
                if !self.skip {
                    let room = MAX_LINE.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&data[..data.len().min(room)]);
                    self.dropped += data.len().saturating_sub(room);
                }
                (None, data.len())
            }
        }
    }
}

/// One SMTP conversation over TCP.
pub struct SmtpSession {
    /// Digests computed for the message's files (files.log).
    hashes: crate::FileHashes,
    orig_h: Option<IpAddr>,
    resp_h: Option<IpAddr>,
    client: LineBuf,
    server: LineBuf,
    cstate: ClientState,
    pending: VecDeque<Pending>,
    rec: Option<SmtpRecord>,
    reader: MessageReader,
    /// The message content, for its files.
    files: MessageFiles,
    helo: Option<String>,
    /// Messages ended by a reply so far.
    messages: u32,
    /// Transactions begun so far (the current one's number).
    txs: u64,
    has_client_activity: bool,
    /// The current transaction had a DATA or BDAT command (Suricata logs it even without an
    /// envelope; Zeek does not).
    data_attempt: bool,
    known_commands: u32,
    good_replies: u32,
    confirmed: bool,
    violated: bool,
    handed: bool,
    /// Weird name of the last problem seen.
    pub last_weird: Option<&'static str>,
}

impl Default for SmtpSession {
    fn default() -> Self {
        Self::new()
    }
}

const KNOWN: &[&str] = &[
    "HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
    "STARTTLS", "AUTH", "TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML", "XCLIENT", "XFORWARD",
];

impl SmtpSession {
    pub fn new() -> Self {
        SmtpSession {
            hashes: crate::FileHashes::ALL,
            orig_h: None,
            resp_h: None,
            client: LineBuf::default(),
            server: LineBuf::default(),
            cstate: ClientState::Command,
            pending: VecDeque::new(),
            rec: None,
            reader: MessageReader::new(),
            files: MessageFiles::new(),
            helo: None,
            messages: 0,
            txs: 0,
            has_client_activity: false,
            data_attempt: false,
            known_commands: 0,
            good_replies: 0,
            confirmed: false,
            violated: false,
            handed: false,
            last_weird: None,
        }
    }

    /// Computes only these digests for the files of messages (all three by default).
    pub fn with_file_hashes(mut self, hashes: crate::FileHashes) -> Self {
        self.hashes = hashes;
        self
    }

    /// The connection's addresses, which start each record's `path` (responder, then
    /// originator), as Zeek writes it. Without them, `path` holds the `Received` hops only.
    pub fn set_endpoints(&mut self, orig_h: IpAddr, resp_h: IpAddr) {
        self.orig_h = Some(orig_h);
        self.resp_h = Some(resp_h);
        if let Some(r) = self.rec.as_mut() {
            if r.path.is_empty() {
                r.path = vec![resp_h, orig_h];
            }
        }
    }

    /// STARTTLS was accepted: the session wrote its record and reads nothing more; what
    /// follows is a TLS handshake, for the TLS parser. Not a violation.
    pub fn handed_to_tls(&self) -> bool {
        self.handed
    }

    fn new_record(&self, ts_ns: i64) -> SmtpRecord {
        let mut r = SmtpRecord {
            ts_ns,
            trans_depth: self.messages + 1,
            helo: self.helo.clone(),
            ..Default::default()
        };
        if let (Some(o), Some(rh)) = (self.orig_h, self.resp_h) {
            r.path = vec![rh, o];
        }
        r
    }

    fn rec(&mut self, ts_ns: i64) -> &mut SmtpRecord {
        if self.rec.is_none() {
            self.txs += 1;
            self.rec = Some(self.new_record(ts_ns));
            self.reader = MessageReader::new();
            self.files = MessageFiles::new();
        }
        self.rec.as_mut().unwrap()
    }

    /// Writes the current transaction when the client did something in it (for EVE only when
    /// that was a DATA or BDAT attempt alone), and starts the next one.
    fn flush(&mut self, ts_ns: i64, out: &mut Vec<AppRecord>) {
        if !self.write_current(out) {
            return;
        }
        self.txs += 1;
        self.rec = Some(self.new_record(ts_ns));
        self.reader = MessageReader::new();
        self.files = MessageFiles::new();
    }

    /// Writes the current transaction if the client did something in it; whether it did.
    fn write_current(&mut self, out: &mut Vec<AppRecord>) -> bool {
        if !self.has_client_activity && !self.data_attempt {
            return false;
        }
        if let Some(mut r) = self.rec.take() {
            self.reader.finish(&mut r);
            r.files
                .extend(self.files.finish(r.trans_depth, self.hashes));
            r.body_bytes = self.reader.body_bytes;
            r.eve_only = !self.has_client_activity;
            out.push(AppRecord::Smtp(r));
        }
        self.has_client_activity = false;
        self.data_attempt = false;
        true
    }

    fn client_bytes(&mut self, ts: i64, mut data: &[u8], out: &mut Vec<AppRecord>) {
        while !data.is_empty() && !self.handed && !self.violated {
            if let ClientState::Bdat { remaining, last } = self.cstate {
                let n = (remaining.min(data.len() as u64)) as usize;
                let r = self.rec(ts);
                let mut r = std::mem::take(r);
                self.reader.feed(&data[..n], &mut r);
                self.files.raw(ts, &data[..n]);
                let left = remaining - n as u64;
                if left == 0 {
                    self.cstate = ClientState::Command;
                    if last {
                        self.reader.finish(&mut r);
                        r.files
                            .extend(self.files.finish(r.trans_depth, self.hashes));
                    }
                } else {
                    self.cstate = ClientState::Bdat {
                        remaining: left,
                        last,
                    };
                }
                self.rec = Some(r);
                data = &data[n..];
                continue;
            }
            let (line, used) = self.client.next_line(data);
            data = &data[used..];
            if let Some(line) = line {
                self.client_line(ts, &line, out);
            }
        }
    }

    fn client_line(&mut self, ts: i64, line: &[u8], out: &mut Vec<AppRecord>) {
        if self.cstate == ClientState::Data {
            self.rec(ts);
            let Some(r) = self.rec.as_mut() else {
                return;
            };
            r.message = true;
            if line == b"." {
                self.reader.finish(r);
                r.files
                    .extend(self.files.finish(r.trans_depth, self.hashes));
                self.cstate = ClientState::Command;
                self.push_pending(Pending::MessageEnd(self.txs));
            } else {
                let l = line.strip_prefix(b".").unwrap_or(line);
                self.reader.line(l, r);
                self.files.line(ts, l);
            }
            return;
        }
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches([' ', '\t']);
        let (verb, arg) = match text.find(' ') {
            Some(i) => (&text[..i], text[i + 1..].trim_start_matches([' ', '\t'])),
            None => (text, ""),
        };
        let verb = verb.to_ascii_uppercase();
        if verb.is_empty() || verb.len() > 20 || !verb.bytes().all(|b| b.is_ascii_alphabetic()) {
            if !self.confirmed {
                self.violated = true;
            }
            self.last_weird = Some("smtp_bad_command");
            self.push_pending(Pending::Other);
            return;
        }
        if KNOWN.contains(&verb.as_str()) {
            self.known_commands += 1;
            self.update_confirmed();
        }
        self.rec(ts);
        let mut kind = Pending::Other;
        match verb.as_str() {
            "HELO" | "EHLO" | "RSET" if self.data_attempt && !self.has_client_activity => {
                // A reset (RFC 5321 4.1.4) ends a transaction that had only a DATA attempt.
                self.flush(ts, out);
                if verb != "RSET" {
                    self.helo = Some(arg.to_string());
                    self.rec(ts).helo = Some(arg.to_string());
                }
            }
            "HELO" | "EHLO" => {
                self.helo = Some(arg.to_string());
                self.rec(ts).helo = Some(arg.to_string());
            }
            "MAIL" if arg.len() >= 5 && arg[..5].eq_ignore_ascii_case("from:") => {
                // A new transaction while the previous one was not ended.
                self.flush(ts, out);
                let from = email_addrs(arg).into_iter().next();
                let r = self.rec(ts);
                if from.is_some() {
                    r.mailfrom = from;
                }
                self.has_client_activity = true;
            }
            "RCPT" if arg.len() >= 3 && arg[..3].eq_ignore_ascii_case("to:") => {
                let r = self.rec(ts);
                for a in email_addrs(arg) {
                    if r.rcptto.len() < MAX_ADDRS && !r.rcptto.contains(&a) {
                        r.rcptto.push(a);
                    }
                }
                self.has_client_activity = true;
            }
            "DATA" => {
                self.cstate = ClientState::Data;
                kind = Pending::Data;
                self.data_attempt = true;
            }
            "BDAT" => match parse_bdat(arg) {
                Some((size, last)) => {
                    self.data_attempt = true;
                    self.rec(ts).message = true;
                    self.cstate = ClientState::Bdat {
                        remaining: size,
                        last,
                    };
                    if size == 0 && last {
                        let mut r = std::mem::take(self.rec(ts));
                        self.reader.finish(&mut r);
                        r.files
                            .extend(self.files.finish(r.trans_depth, self.hashes));
                        self.rec = Some(r);
                        self.cstate = ClientState::Command;
                    } else if size == 0 {
                        self.cstate = ClientState::Command;
                    }
                    if last {
                        kind = Pending::MessageEnd(self.txs);
                    }
                }
                None => self.last_weird = Some("smtp_invalid_bdat_command"),
            },
            "STARTTLS" => kind = Pending::StartTls,
            _ => {}
        }
        self.push_pending(kind);
    }

    fn push_pending(&mut self, p: Pending) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(p);
    }

    fn update_confirmed(&mut self) {
        if !self.violated
            && ((self.known_commands >= 1 && self.good_replies >= 1) || self.known_commands >= 2)
        {
            self.confirmed = true;
        }
    }

    fn server_bytes(&mut self, ts: i64, mut data: &[u8], out: &mut Vec<AppRecord>) {
        while !data.is_empty() && !self.handed && !self.violated {
            let (line, used) = self.server.next_line(data);
            data = &data[used..];
            if let Some(line) = line {
                self.server_line(ts, &line, out);
            }
        }
    }

    fn server_line(&mut self, ts: i64, line: &[u8], out: &mut Vec<AppRecord>) {
        let Some((code, last, msg)) = parse_reply(line) else {
            if !self.confirmed {
                self.violated = true;
            }
            self.last_weird = Some("smtp_bad_reply");
            return;
        };
        self.good_replies += 1;
        self.update_confirmed();
        let r = self.rec(ts);
        r.last_reply = Some(format!("{code} {msg}"));
        if !last {
            return;
        }
        match self.pending.pop_front() {
            Some(Pending::MessageEnd(tx)) => {
                self.messages += 1;
                // A pipelined MAIL FROM may have begun the next transaction already (and
                // written this one): that one is not ended by this reply.
                if tx == self.txs {
                    self.flush(ts, out);
                }
            }
            Some(Pending::Data) if code != 354 && self.cstate == ClientState::Data => {
                self.cstate = ClientState::Command;
            }
            Some(Pending::StartTls) if code == 220 => {
                self.rec(ts).tls = true;
                self.has_client_activity = true;
                self.flush(ts, out);
                self.rec = None;
                self.handed = true;
            }
            _ => {}
        }
    }
}

/// A reply line: code, whether it is the last line of the reply, text.
fn parse_reply(line: &[u8]) -> Option<(u16, bool, String)> {
    if line.len() < 3 || !line[..3].iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code =
        (line[0] - b'0') as u16 * 100 + (line[1] - b'0') as u16 * 10 + (line[2] - b'0') as u16;
    let (last, rest) = match line.get(3) {
        None => (true, &line[3..]),
        Some(b'-') => (false, &line[4..]),
        Some(b' ') => (true, &line[4..]),
        Some(_) => (true, &line[3..]),
    };
    Some((code, last, String::from_utf8_lossy(rest).into_owned()))
}

/// `BDAT <size> [LAST]`: the size (digits only, fitting 64 bits) and the LAST flag.
fn parse_bdat(arg: &str) -> Option<(u64, bool)> {
    let mut it = arg.split_ascii_whitespace();
    let size = it.next()?;
    if !size.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let size: u64 = size.parse().ok()?;
    let last = match it.next() {
        None => false,
        Some(l) if l.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return None,
    };
    if it.next().is_some() {
        return None;
    }
    Some((size, last))
}

impl SessionParser for SmtpSession {
    fn take_weird(&mut self) -> Option<&'static str> {
        self.last_weird.take()
    }

    fn handed_to_tls(&self) -> bool {
        SmtpSession::handed_to_tls(self)
    }

    fn service(&self) -> Service {
        Service::Smtp
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        match ctx.dir {
            Direction::Orig => self.client_bytes(ctx.ts_ns, data, out),
            Direction::Resp => self.server_bytes(ctx.ts_ns, data, out),
        }
    }

    fn gap(&mut self, dir: Direction, len: u64) {
        if self.handed {
            return;
        }
        match dir {
            Direction::Orig => {
                // Headers after a gap cannot be trusted: none more in this transaction.
                if let Some(mut r) = self.rec.take() {
                    self.reader.disable(&mut r);
                    self.rec = Some(r);
                }
                match self.cstate {
                    ClientState::Bdat { remaining, last } => {
                        let left = remaining.saturating_sub(len);
                        self.cstate = if left == 0 {
                            ClientState::Command
                        } else {
                            ClientState::Bdat {
                                remaining: left,
                                last,
                            }
                        };
                    }
                    _ => {
                        // A gap inside a line spoils the rest of it.
                        if !self.client.buf.is_empty() {
                            self.client.buf.clear();
                            self.client.skip = true;
                        }
                    }
                }
            }
            Direction::Resp => {
                if !self.server.buf.is_empty() {
                    self.server.buf.clear();
                    self.server.skip = true;
                }
            }
        }
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        if self.handed {
            return;
        }
        self.write_current(out);
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}

/// Fuzz entry point (cargo-fuzz target `proto_smtp`): the first byte picks chunk sizes and
/// whether the server greets first; the rest alternates between directions.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut s = SmtpSession::new();
    s.set_endpoints([192, 0, 2, 1].into(), [192, 0, 2, 2].into());
    let mut out = Vec::new();
    let ts = 1_000_000_000i64;
    if ctl & 1 != 0 {
        s.data(
            Ctx {
                ts_ns: ts,
                dir: Direction::Resp,
            },
            b"220 fuzz ESMTP\r\n",
            &mut out,
        );
    }
    out.extend(crate::fuzz_session(&mut s, rest, 5));
}
