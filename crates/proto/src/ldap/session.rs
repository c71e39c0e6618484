//! LDAP conversations: messages cut from each TCP direction (several per segment, or one over
//! many) or taken from UDP datagrams (CLDAP, the Active Directory "LDAP ping"), joined by
//! message id into ldap.log and ldap_search.log records as Zeek's script does:
//!
//! - a search request opens an ldap_search.log record, each SearchResultEntry adds one to its
//!   `result_count`, the SearchResultDone gives `result` and writes it;
//! - any other operation opens an ldap.log record, completed by its response (for unbind and
//!   abandon, by the request itself); binds are "bind simple" (password replaced by
//!   "REDACTED"), "bind SASL" (`argument` is the mechanism), "sicily_negotiate" and
//!   "sicily_response" (`argument` "NTLMSSP"); a modify request's changes, a deleted DN and an
//!   abandoned id are the `argument`;
//! - what is still open at the end is written, except message id 0.
//!
//! After a successful SASL bind the mechanism may protect the messages that follow (RFC 4422
//! section 3.7: each is then a 4-byte length and a wrapped buffer). A message that does not
//! start like a cleartext LDAPMessage is taken as such a buffer: an unsealed Kerberos wrap
//! token (RFC 4121 section 4.2.6.2, GSS-SPNEGO/GSSAPI with integrity only) is unwrapped and
//! its messages parsed; anything else (sealed, NTLM, SRP, ...) is encrypted: counted in
//! [`LdapStats::encrypted`] and skipped without being buffered.
//!
//! The StartTLS extended operation, once answered with success, hands the connection to the
//! TLS parser ([`LdapSession::handed_to_tls`]). NTLM and Kerberos carried by SASL (GSS-SPNEGO,
//! GSSAPI) or Sicily binds go to the NTLM and Kerberos trackers (ntlm.log, kerberos.log).
//!
//! Caps: a message longer than [`MAX_MESSAGE`] is skipped by its length, never buffered; at
//! most [`MAX_PENDING`] operations and as many searches are open per connection (beyond, the
//! oldest is written as is). Bytes after a gap in a direction are not parsed.

use super::ber::{self, BerError};
use super::parser::{
    deref_name, extended_name, op, opcode_name, parse_message, result_name, scope_name, BindAuth,
    LdapMessage, STARTTLS_OID,
};
use super::record::{LdapRecord, LdapSearchRecord};
use crate::kerberos::{find_gssapi_krb5, KerberosTracker};
use crate::ntlm::{find_and_parse, NtlmMessage, NtlmTracker};
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};

/// Longest message parsed; longer ones are skipped.
pub const MAX_MESSAGE: usize = 1 << 20;
/// Open operations (and, separately, open searches) per connection.
pub const MAX_PENDING: usize = 64;
/// CLDAP datagrams that do not parse, before any that does, that make a violation (over TCP
/// the first message decides).
pub const MAX_REJECTED: u8 = 2;

/// Counters of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LdapStats {
    pub messages: u64,
    /// Messages that did not parse as LDAP.
    pub malformed: u64,
    /// Messages longer than [`MAX_MESSAGE`], skipped.
    pub oversized: u64,
    /// SASL-wrapped buffers seen after a SASL bind.
    pub sasl_wrapped: u64,
    /// Wrapped buffers that were encrypted (or of a mechanism not unwrapped): not parsed.
    pub encrypted: u64,
    /// Their bytes (length prefixes included).
    pub encrypted_bytes: u64,
    /// Bytes not parsed: after a gap or a framing error, or encrypted.
    pub skipped_bytes: u64,
    /// Open records written early because [`MAX_PENDING`] were open.
    pub evicted: u64,
}

#[derive(Default)]
struct Stream {
    buf: Vec<u8>,
    /// Bytes still to skip (an oversized or encrypted message).
    skip: usize,
    /// Framing lost (gap, garbage after confirmation): nothing more is parsed.
    lost: bool,
}

/// LDAP over TCP, or CLDAP over UDP.
pub struct LdapSession {
    tcp: bool,
    streams: [Stream; 2],
    messages: Vec<LdapRecord>,
    searches: Vec<LdapSearchRecord>,
    /// Mechanism of the last SASL bind request.
    sasl_mech: Option<String>,
    /// A SASL bind succeeded: messages may be wrapped.
    sasl_active: bool,
    starttls_requested: bool,
    handed: bool,
    confirmed: bool,
    violated: bool,
    rejected: u8,
    ntlm: NtlmTracker,
    ntlm_authenticated: bool,
    krb: KerberosTracker,
    trace: Option<Vec<TracedMessage>>,
    pub stats: LdapStats,
}

/// Most messages kept by [`LdapSession::trace_messages`].
pub const MAX_TRACED: usize = 1 << 16;

/// One parsed message as [`LdapSession::trace_messages`] lists it (for comparisons with
/// other dissectors).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TracedMessage {
    pub dir: Direction,
    pub message_id: i64,
    pub opcode: u32,
    /// A search request's base object.
    pub base_object: Option<String>,
    /// A response's result code.
    pub result_code: Option<i64>,
}

fn di(d: Direction) -> usize {
    match d {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}

/// Operations whose record is complete with this message (Zeek's `OPCODES_FINISHED`).
fn finishes(opcode: u32) -> bool {
    matches!(
        opcode,
        op::BIND_RESPONSE
            | op::UNBIND_REQUEST
            | op::MODIFY_RESPONSE
            | op::ADD_RESPONSE
            | op::DEL_RESPONSE
            | op::MOD_DN_RESPONSE
            | op::COMPARE_RESPONSE
            | op::ABANDON_REQUEST
            | op::EXTENDED_RESPONSE
    )
}

/// Kerberos GSS-API wrap token (RFC 4121 section 4.2.6.2) without confidentiality: the
/// plaintext it carries. `None` for anything else (sealed, other mechanisms).
fn unwrap_krb5(tok: &[u8]) -> Option<&[u8]> {
    if tok.len() < 16 || tok[0] != 0x05 || tok[1] != 0x04 || tok[3] != 0xff {
        return None;
    }
    let sealed = tok[2] & 0x02 != 0;
    if sealed {
        return None;
    }
    let ec = usize::from(u16::from_be_bytes([tok[4], tok[5]]));
    let rrc = usize::from(u16::from_be_bytes([tok[6], tok[7]]));
    let body = &tok[16..];
    // Integrity only: data then a checksum of `ec` bytes, rotated right by `rrc`.
    if rrc == ec {
        body.get(ec..)
    } else if rrc == 0 {
        body.len().checked_sub(ec).map(|n| &body[..n])
    } else {
        None
    }
}

impl Default for LdapSession {
    fn default() -> Self {
        Self::new(true)
    }
}

impl LdapSession {
    /// `tcp`: messages in a byte stream; otherwise (CLDAP) whole in each datagram.
    pub fn new(tcp: bool) -> Self {
        LdapSession {
            tcp,
            streams: Default::default(),
            messages: Vec::new(),
            searches: Vec::new(),
            sasl_mech: None,
            sasl_active: false,
            starttls_requested: false,
            handed: false,
            confirmed: false,
            violated: false,
            rejected: 0,
            ntlm: NtlmTracker::new(),
            ntlm_authenticated: false,
            krb: KerberosTracker::new(),
            trace: None,
            stats: LdapStats::default(),
        }
    }

    /// Keep a summary of every message parsed (at most [`MAX_TRACED`]), for
    /// [`LdapSession::traced`].
    pub fn trace_messages(mut self) -> Self {
        self.trace = Some(Vec::new());
        self
    }

    /// The messages parsed so far, when [`LdapSession::trace_messages`] was asked for.
    pub fn traced(&self) -> &[TracedMessage] {
        self.trace.as_deref().unwrap_or(&[])
    }

    /// Bytes held in the reassembly buffers (both directions).
    pub fn streams_buffered(&self) -> usize {
        self.streams.iter().map(|s| s.buf.len()).sum()
    }

    /// StartTLS succeeded: what follows is TLS.
    pub fn handed_to_tls(&self) -> bool {
        self.handed
    }

    /// A message that is not LDAP. `framing_lost`: the stream cannot be cut into messages any
    /// more (otherwise only this message is skipped).
    fn reject(&mut self, d: usize, framing_lost: bool) {
        self.stats.malformed += 1;
        if self.confirmed {
            if self.tcp && framing_lost {
                self.streams[d].lost = true;
            }
        } else {
            self.rejected += 1;
            if self.rejected >= MAX_REJECTED || self.tcp {
                self.violated = true;
            }
        }
    }

    fn message_entry(&mut self, ts: i64, id: i64, out: &mut Vec<AppRecord>) -> usize {
        if let Some(i) = self.messages.iter().position(|m| m.message_id == id) {
            return i;
        }
        if self.messages.len() >= MAX_PENDING {
            self.stats.evicted += 1;
            out.push(AppRecord::Ldap(self.messages.remove(0)));
        }
        self.messages.push(LdapRecord {
            ts_ns: ts,
            message_id: id,
            udp: !self.tcp,
            ..Default::default()
        });
        self.messages.len() - 1
    }

    fn search_entry(&mut self, ts: i64, id: i64, out: &mut Vec<AppRecord>) -> usize {
        if let Some(i) = self.searches.iter().position(|m| m.message_id == id) {
            return i;
        }
        if self.searches.len() >= MAX_PENDING {
            self.stats.evicted += 1;
            out.push(AppRecord::LdapSearch(self.searches.remove(0)));
        }
        self.searches.push(LdapSearchRecord {
            ts_ns: ts,
            message_id: id,
            udp: !self.tcp,
            ..Default::default()
        });
        self.searches.len() - 1
    }

    fn ntlm_blob(&mut self, ts: i64, blob: &[u8], out: &mut Vec<AppRecord>) {
        let mut o = Vec::new();
        for (_, m) in find_and_parse(blob) {
            self.ntlm_authenticated = matches!(m, NtlmMessage::Authenticate(_));
            self.ntlm.message(ts, &m, &mut o);
        }
        out.extend(o.into_iter().map(AppRecord::Ntlm));
        let mut k = Vec::new();
        for m in find_gssapi_krb5(blob) {
            self.krb.message(ts, &m, &mut k);
        }
        out.extend(k.into_iter().map(AppRecord::Kerberos));
    }

    /// One parsed message.
    fn handle(&mut self, ts: i64, d: usize, m: LdapMessage, out: &mut Vec<AppRecord>) {
        self.stats.messages += 1;
        if let Some(t) = self.trace.as_mut().filter(|t| t.len() < MAX_TRACED) {
            t.push(TracedMessage {
                dir: if d == 0 {
                    Direction::Orig
                } else {
                    Direction::Resp
                },
                message_id: m.message_id,
                opcode: m.opcode,
                base_object: m.search.as_ref().map(|s| s.base_object.clone()),
                result_code: m.result.as_ref().map(|r| r.code),
            });
        }
        self.confirmed = true;
        let id = m.message_id;
        match m.opcode {
            op::SEARCH_REQUEST => {
                let i = self.search_entry(ts, id, out);
                let s = &mut self.searches[i];
                if let Some(p) = m.search {
                    s.scope = Some(scope_name(p.scope).into());
                    s.deref_aliases = Some(deref_name(p.deref).into());
                    if !p.base_object.is_empty() {
                        s.base_object = Some(p.base_object);
                    }
                    s.filter = Some(p.filter);
                    s.attributes = p.attributes;
                    s.size_limit = Some(p.size_limit);
                    s.time_limit = Some(p.time_limit);
                }
            }
            op::SEARCH_RESULT_ENTRY => {
                let i = self.search_entry(ts, id, out);
                self.searches[i].result_count += 1;
            }
            op::SEARCH_RESULT_DONE => {
                let i = self.search_entry(ts, id, out);
                let mut s = self.searches.remove(i);
                if let Some(r) = m.result {
                    s.result = Some(result_name(r.code).into());
                    if !r.diagnostic.is_empty() {
                        s.diagnostic_message = Some(r.diagnostic);
                    }
                }
                out.push(AppRecord::LdapSearch(s));
            }
            op::SEARCH_RESULT_REFERENCE => {}
            _ => self.operation(ts, m, out),
        }
    }

    fn operation(&mut self, ts: i64, m: LdapMessage, out: &mut Vec<AppRecord>) {
        let id = m.message_id;
        // Authentication carried by the bind, for ntlm.log and kerberos.log.
        match &m.bind {
            Some(BindAuth::Sasl {
                mechanism,
                credentials,
            }) => {
                self.sasl_mech = Some(mechanism.clone());
                let c = credentials.clone();
                self.ntlm_blob(ts, &c, out);
            }
            Some(BindAuth::Sicily { data, .. }) => {
                let c = data.clone();
                self.ntlm_blob(ts, &c, out);
            }
            Some(BindAuth::Simple { .. }) => self.sasl_mech = None,
            _ => {}
        }
        if m.opcode == op::BIND_RESPONSE {
            if let Some(c) = &m.server_sasl_creds {
                let c = c.clone();
                self.ntlm_blob(ts, &c, out);
            }
            if let Some(r) = &m.result {
                // Sicily puts the NTLM CHALLENGE in the matchedDN.
                if r.matched_dn.starts_with("NTLMSSP") {
                    let c = r.matched_dn.as_bytes().to_vec();
                    self.ntlm_blob(ts, &c, out);
                }
                if r.code != 14 && self.ntlm.pending() && self.ntlm_authenticated {
                    let mut o = Vec::new();
                    self.ntlm.set_success(r.code == 0, &mut o);
                    out.extend(o.into_iter().map(AppRecord::Ntlm));
                }
                if r.code == 0 && self.sasl_mech.is_some() {
                    self.sasl_active = true;
                }
            }
        }
        if m.opcode == op::EXTENDED_REQUEST && m.object.as_deref() == Some(STARTTLS_OID) {
            self.starttls_requested = true;
        }

        let i = self.message_entry(ts, id, out);
        let rec = &mut self.messages[i];
        if m.opcode == op::BIND_REQUEST {
            if rec.version.is_none() {
                rec.version = m.version;
            }
            rec.opcode = Some(
                match &m.bind {
                    Some(BindAuth::Simple { .. }) => "bind simple",
                    Some(BindAuth::Sasl { .. }) => "bind SASL",
                    Some(BindAuth::Sicily { choice: 10, .. }) => "sicily_negotiate",
                    Some(BindAuth::Sicily { choice: 11, .. }) => "sicily_response",
                    Some(BindAuth::Sicily { .. }) => "sicily_package_discovery",
                    _ => "bind",
                }
                .into(),
            );
        }
        let name = opcode_name(m.opcode);
        if name != "bind" || rec.opcode.is_none() {
            rec.opcode = Some(name.into());
        }
        if let Some(r) = &m.result {
            rec.result = Some(result_name(r.code).into());
            if !r.diagnostic.is_empty() {
                rec.diagnostic_message = Some(r.diagnostic.clone());
            }
        }
        // Zeek parses no DN out of add, compare and modify-DN requests.
        let object = match m.opcode {
            op::ADD_REQUEST | op::COMPARE_REQUEST | op::MOD_DN_REQUEST => None,
            _ => m.object,
        };
        if let Some(o) = object.filter(|o| !o.is_empty()) {
            rec.object = Some(if m.opcode == op::EXTENDED_REQUEST {
                let n = extended_name(&o);
                format!("{o} ({n})")
            } else {
                o
            });
        }
        match &m.bind {
            Some(BindAuth::Simple { password_len }) if *password_len > 0 => {
                rec.argument = Some("REDACTED".into());
            }
            Some(BindAuth::Sasl { mechanism, .. }) if !mechanism.is_empty() => {
                rec.argument = Some(mechanism.clone());
            }
            Some(BindAuth::Sicily { data, .. }) if data.starts_with(b"NTLMSSP") => {
                rec.argument = Some("NTLMSSP".into());
            }
            _ => {}
        }
        if let Some(a) = m.argument.filter(|a| !a.is_empty()) {
            rec.argument = Some(a);
        }
        if finishes(m.opcode) {
            out.push(AppRecord::Ldap(self.messages.remove(i)));
        }
        if m.opcode == op::EXTENDED_RESPONSE
            && self.starttls_requested
            && m.result.as_ref().is_some_and(|r| r.code == 0)
        {
            self.handed = true;
        }
    }

    /// Every message in `data`, which holds whole messages only (a datagram, an unwrapped
    /// SASL buffer).
    fn messages_in(&mut self, ts: i64, d: usize, mut data: &[u8], out: &mut Vec<AppRecord>) {
        while !data.is_empty() {
            let Ok((tlv, rest)) = ber::tlv(data) else {
                self.reject(d, false);
                return;
            };
            let len = data.len() - rest.len();
            match parse_message(&data[..len]) {
                Some(m) if tlv.constructed => self.handle(ts, d, m, out),
                _ => {
                    self.reject(d, false);
                    return;
                }
            }
            data = rest;
        }
    }

    fn stream(&mut self, ts: i64, d: usize, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.streams[d].lost {
            self.stats.skipped_bytes += data.len() as u64;
            return;
        }
        let mut data = data;
        if self.streams[d].skip > 0 {
            let n = self.streams[d].skip.min(data.len());
            self.streams[d].skip -= n;
            self.stats.skipped_bytes += n as u64;
            data = &data[n..];
        }
        let mut buf = std::mem::take(&mut self.streams[d].buf);
        buf.extend_from_slice(data);
        let mut pos = 0;
        while pos < buf.len() && !self.violated && !self.handed {
            let cur = &buf[pos..];
            if self.sasl_active && cur[0] != 0x30 {
                // A SASL-wrapped buffer: 4-byte length, then the wrapped data.
                if cur.len() < 4 {
                    break;
                }
                let len = u32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]) as usize;
                if len > MAX_MESSAGE {
                    self.streams[d].lost = true;
                    self.stats.skipped_bytes += cur.len() as u64;
                    pos = buf.len();
                    break;
                }
                let plain_possible = cur.len() < 8 || (cur[4] == 0x05 && cur[5] == 0x04);
                let sealed = cur.len() >= 7 && cur[6] & 0x02 != 0;
                if cur.len() < 7 && plain_possible {
                    break;
                }
                self.stats.sasl_wrapped += 1;
                if !plain_possible || sealed {
                    self.stats.encrypted += 1;
                    self.stats.encrypted_bytes += 4 + len as u64;
                    let have = cur.len().min(4 + len);
                    self.stats.skipped_bytes += have as u64;
                    self.streams[d].skip = 4 + len - have;
                    pos += have;
                    continue;
                }
                if cur.len() < 4 + len {
                    self.stats.sasl_wrapped -= 1;
                    break;
                }
                let tok = cur[4..4 + len].to_vec();
                pos += 4 + len;
                match unwrap_krb5(&tok) {
                    Some(inner) => self.messages_in(ts, d, inner, out),
                    None => {
                        self.stats.encrypted += 1;
                        self.stats.encrypted_bytes += 4 + tok.len() as u64;
                        self.stats.skipped_bytes += tok.len() as u64;
                    }
                }
                continue;
            }
            let (hl, n) = match ber::header(cur) {
                Ok(h) => h,
                Err(BerError::Incomplete) if cur.len() < 16 => break,
                Err(_) => {
                    self.reject(d, true);
                    self.stats.skipped_bytes += cur.len() as u64;
                    pos = buf.len();
                    break;
                }
            };
            if cur[0] != 0x30 {
                self.reject(d, true);
                self.stats.skipped_bytes += cur.len() as u64;
                pos = buf.len();
                break;
            }
            let total = hl.saturating_add(n);
            if total > MAX_MESSAGE {
                self.stats.oversized += 1;
                let have = cur.len().min(total);
                self.stats.skipped_bytes += have as u64;
                self.streams[d].skip = total - have;
                pos += have;
                continue;
            }
            if cur.len() < total {
                break;
            }
            let msg = &buf[pos..pos + total];
            match parse_message(msg) {
                Some(m) => self.handle(ts, d, m, out),
                // Framing holds: only this message is skipped (a violation if it is the first).
                None => self.reject(d, false),
            }
            pos += total;
        }
        buf.drain(..pos.min(buf.len()));
        if self.streams[d].lost || self.violated || self.handed {
            buf = Vec::new();
        }
        self.streams[d].buf = buf;
    }
}

impl SessionParser for LdapSession {
    fn evicted(&self) -> u64 {
        self.stats.evicted
    }

    fn service(&self) -> Service {
        Service::Ldap
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.violated || self.handed {
            return;
        }
        let d = di(ctx.dir);
        if self.tcp {
            self.stream(ctx.ts_ns, d, data, out);
        } else {
            self.messages_in(ctx.ts_ns, d, data, out);
        }
    }

    fn gap(&mut self, dir: Direction, len: u64) {
        if self.tcp {
            let st = &mut self.streams[di(dir)];
            st.lost = true;
            st.buf = Vec::new();
            self.stats.skipped_bytes += len;
        }
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        for m in self.messages.drain(..) {
            if m.message_id > 0 {
                out.push(AppRecord::Ldap(m));
            }
        }
        for s in self.searches.drain(..) {
            if s.message_id > 0 {
                out.push(AppRecord::LdapSearch(s));
            }
        }
        let mut o = Vec::new();
        self.ntlm.flush(&mut o);
        out.extend(o.into_iter().map(AppRecord::Ntlm));
        let mut k = Vec::new();
        self.krb.flush(&mut k);
        out.extend(k.into_iter().map(AppRecord::Kerberos));
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }

    fn handed_to_tls(&self) -> bool {
        self.handed
    }

    fn encrypted_bytes(&self) -> u64 {
        self.stats.encrypted_bytes
    }
}

/// Fuzz entry point (cargo-fuzz target `proto_ldap`): `data` as a CLDAP datagram and message
/// parser input, then cut into TCP deliveries of both directions; the first byte, when odd,
/// first plays a successful SASL bind so that the wrapped-message paths are reached.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let _ = parse_message(data);
    let mut out = Vec::new();
    let mut u = LdapSession::new(false);
    u.data(
        Ctx {
            ts_ns: 1,
            dir: Direction::Orig,
        },
        data,
        &mut out,
    );
    u.end(2, &mut out);
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut s = LdapSession::new(true);
    if ctl & 1 != 0 {
        // Bind request (SASL GSS-SPNEGO, no credentials) and its success.
        let req: &[u8] =
            b"\x30\x18\x02\x01\x01\x60\x13\x02\x01\x03\x04\x00\xa3\x0c\x04\x0aGSS-SPNEGO";
        let rsp: &[u8] = b"\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00";
        for (dir, b) in [(Direction::Orig, req), (Direction::Resp, rsp)] {
            s.data(Ctx { ts_ns: 3, dir }, b, &mut out);
        }
    }
    out.extend(crate::fuzz_session(&mut s, rest, 3));
}
