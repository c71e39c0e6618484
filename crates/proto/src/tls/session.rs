//! TLS session state: record framing per direction, handshake message reassembly, and the
//! ssl.log/x509.log records.
//!
//! Caps: one record is at most 5 + 65535 bytes (the length field is 16 bits), so the per-direction
//! record buffer never exceeds that; a handshake message being reassembled across records is
//! capped at [`MAX_HANDSHAKE`] bytes (longer ones are skipped); a certificate chain at
//! [`MAX_CERTS`] certificates. Once the handshake is over (encrypted application data both
//! ways), the session stops looking at the bytes.
//!
//! Roles: the client is the side that sent the first hello's ClientHello (or the other side of
//! the first ServerHello), whichever of originator and responder that is; when the capture
//! started with a SYN-ACK the flow table may have made the server the originator. Like Zeek
//! (`ssl_connection_flipped`), a flip adds `^` to `ssl_history`, and the letters' case then
//! follows the roles (upper case from the client), as does `client_cert`. Unlike Zeek, the roles
//! are fixed by the first hello: a later hello from the "wrong" side does not flip them back.
//!
//! Confirmation (what lists `ssl` in conn.log's service) happens on any of:
//! * a ClientHello or ServerHello with consistent framing (handshake record, the message
//!   complete, a 3.x version), even when the strict parse of its body fails (odd cipher-suite
//!   lengths and the like): what can be read is then taken by a bounded lenient parse;
//! * two consecutive well-formed records in one direction (types 20-23, versions
//!   0x0300-0x0304, length at most 2^14 + 2048, each header where the previous record ends).
//!   This recognises captures that start after the handshake, which carry only
//!   application data, alerts and change_cipher_spec. Zeek would not list `ssl` for those (its
//!   analyzer confirms on hellos only); nDPI and analysts call them TLS, and the record framing
//!   is a strong enough signal. No ssl.log record is written for such a connection unless
//!   handshake information (a hello) was seen: every ssl.log field would be empty.
//! * one such record that fills a delivery exactly (starts at its first byte, ends at its
//!   last): the length field landing on the segment boundary is the same framing evidence.

use super::fingerprint::{self, ClientHelloInfo};
use super::names;
use super::record::{SslRecord, X509Record};
use super::x509;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use tls_parser::{
    parse_tls_client_hello_extension, parse_tls_handshake_client_hello,
    parse_tls_handshake_server_hello, parse_tls_server_hello_extension, TlsExtension,
};

/// Longest handshake message reassembled (certificate chains can be large).
pub const MAX_HANDSHAKE: usize = 1024 * 1024;
/// Most certificates taken from one Certificate message.
pub const MAX_CERTS: usize = 16;
const MAX_HISTORY: usize = 100;
const RECORD_HEADER: usize = 5;
/// Longest record a conforming peer sends (TLSCiphertext: 2^14 + 2048).
const MAX_RECORD: usize = (1 << 14) + 2048;
/// Well-formed records in a row, in one direction, that confirm a connection without hellos.
const CONFIRM_STREAK: u8 = 2;

#[derive(Default)]
struct DirState {
    /// Bytes of an incomplete record.
    buf: Vec<u8>,
    /// Handshake bytes not yet forming a complete message.
    hs: Vec<u8>,
    /// Bytes of an over-long handshake message still to drop.
    hs_skip: usize,
    /// After this side's ChangeCipherSpec (TLS <= 1.2): handshake records are encrypted.
    encrypted: bool,
    ccs: bool,
    app_data: bool,
    certificate: bool,
    /// Consecutive well-formed records of this direction (mid-stream confirmation).
    streak: u8,
}

/// One TLS connection.
pub struct TlsSession {
    dirs: [DirState; 2],
    rec: SslRecord,
    /// Whether `rec` has content (a TLS record was parsed).
    started: bool,
    emitted: bool,
    confirmed: bool,
    violated: bool,
    /// Stopped looking at bytes (handshake over, or gave up).
    stopped: bool,
    client_hello: Option<ClientHelloInfo>,
    client_session_id: Vec<u8>,
    server_hello: bool,
    /// Negotiated version (ServerHello, supported_versions first).
    version: Option<u16>,
    cipher: Option<u16>,
    server_done: bool,
    host_cert: Option<(X509Record, Vec<String>)>,
    proto: char,
    /// The client's direction, fixed by the first hello (None: not known yet, the
    /// originator is taken for the client).
    client_dir: Option<Direction>,
    /// DTLS: per-direction handshake reassembly (None for TLS over TCP).
    dtls: Option<Box<[DtlsDir; 2]>>,
}

impl Default for TlsSession {
    fn default() -> Self {
        Self::new()
    }
}

fn idx(d: Direction) -> usize {
    match d {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn other(d: Direction) -> Direction {
    match d {
        Direction::Orig => Direction::Resp,
        Direction::Resp => Direction::Orig,
    }
}

/// Whether a complete hello message (type 1 or 2) is plausible enough to confirm TLS: room for
/// the version, random and session id length, and a 3.x version (or, for a ServerHello, a
/// TLS 1.3 draft 0x7fXX or Google experiment 0x7eXX version).
fn hello_plausible(t: u8, msg: &[u8]) -> bool {
    msg.len() >= 35
        && (msg[0] == 3
            || (t == 2 && matches!(msg[0], 0x7e | 0x7f))
            || crate::detect::is_dtls_version(be16(&msg[..2])))
}

/// A DTLS ClientHello body as TLS's: without the cookie that DTLS adds after the session id
/// (RFC 6347 4.2.1), so the TLS readers and fingerprints apply unchanged.
fn dtls_client_hello_as_tls(msg: &[u8]) -> Option<Vec<u8>> {
    let sid = usize::from(*msg.get(34)?);
    let cookie_at = 35 + sid;
    let cookie = usize::from(*msg.get(cookie_at)?);
    let rest = msg.get(cookie_at + 1 + cookie..)?;
    let mut v = Vec::with_capacity(msg.len());
    v.extend_from_slice(&msg[..cookie_at]);
    v.extend_from_slice(rest);
    Some(v)
}

/// DTLS header of a record (RFC 6347 4.1): type, version, epoch, sequence number, length.
const DTLS_RECORD_HEADER: usize = 13;
/// DTLS handshake header (RFC 6347 4.2.2): type, length, message_seq, fragment offset and
/// length.
const DTLS_HANDSHAKE_HEADER: usize = 12;

/// Reassembly of one direction's DTLS handshake messages from their fragments.
#[derive(Default)]
struct DtlsDir {
    /// The next message_seq to read; lower ones are retransmissions.
    next_seq: u16,
    /// The message being gathered: (message_seq, type, length, bytes so far, in order).
    partial: Option<(u16, u8, usize, Vec<u8>)>,
}

/// For the unit tests: (version, ciphers, complete) of a lenient read.
#[cfg(test)]
pub(super) fn lenient_hello_for_tests(msg: &[u8], client: bool) -> Option<(u16, Vec<u16>, bool)> {
    lenient_hello(msg, client).map(|h| (h.version, h.ciphers, h.complete))
}

/// What a lenient read of a hello body gives: the fields read in order, as far as they are
/// consistent.
struct LenientHello<'a> {
    version: u16,
    session_id: &'a [u8],
    /// ClientHello: the cipher suites that fit in both the declared length and the message.
    /// ServerHello: the one selected (if read).
    ciphers: Vec<u16>,
    /// The extensions block (its content, without the length), empty when not reached.
    ext: &'a [u8],
    /// Every field was read and the lengths add up to the message length.
    complete: bool,
}

/// Reads a ClientHello (`client`) or ServerHello body without failing: version, random,
/// session id, cipher suites (a list for the client, one for the server), compression and
/// extensions, stopping at the first length that does not fit. Bounded by the message.
fn lenient_hello(msg: &[u8], client: bool) -> Option<LenientHello<'_>> {
    if msg.len() < 35 {
        return None;
    }
    let mut h = LenientHello {
        version: be16(msg),
        session_id: &[],
        ciphers: Vec::new(),
        ext: &[],
        complete: false,
    };
    let sid_len = msg[34] as usize;
    let mut p = 35;
    let Some(sid) = msg.get(p..p + sid_len) else {
        return Some(h);
    };
    h.session_id = sid;
    p += sid_len;
    if client {
        let Some(b) = msg.get(p..p + 2) else {
            return Some(h);
        };
        let len = be16(b) as usize;
        p += 2;
        let avail = &msg[p..];
        let take = &avail[..len.min(avail.len())];
        h.ciphers = take.chunks_exact(2).map(be16).collect();
        if len % 2 == 1 || len > avail.len() {
            return Some(h);
        }
        p += len;
    } else {
        let Some(b) = msg.get(p..p + 2) else {
            return Some(h);
        };
        h.ciphers.push(be16(b));
        p += 2;
    }
    // Compression: a list for the client, one method for the server.
    let comp = if client {
        match msg.get(p) {
            Some(&n) => 1 + n as usize,
            None => return Some(h),
        }
    } else {
        1
    };
    if msg.len() < p + comp {
        return Some(h);
    }
    p += comp;
    if p == msg.len() {
        h.complete = true;
        return Some(h);
    }
    let Some(b) = msg.get(p..p + 2) else {
        return Some(h);
    };
    let len = be16(b) as usize;
    p += 2;
    let avail = &msg[p..];
    h.ext = &avail[..len.min(avail.len())];
    h.complete = len == avail.len();
    Some(h)
}

impl TlsSession {
    pub fn new() -> Self {
        TlsSession {
            dirs: [DirState::default(), DirState::default()],
            rec: SslRecord::default(),
            started: false,
            emitted: false,
            confirmed: false,
            violated: false,
            stopped: false,
            client_hello: None,
            client_session_id: Vec::new(),
            server_hello: false,
            version: None,
            cipher: None,
            server_done: false,
            host_cert: None,
            proto: 't',
            client_dir: None,
            dtls: None,
        }
    }

    /// A session reading the TLS handshake carried by QUIC (RFC 9001): JA4 gets Zeek's
    /// 'q' protocol letter instead of 't'.
    pub fn for_quic() -> Self {
        TlsSession {
            proto: 'q',
            ..Self::new()
        }
    }

    /// The parsed ClientHello, if one was seen (for fingerprint consumers and tests).
    pub fn client_hello(&self) -> Option<&ClientHelloInfo> {
        self.client_hello.as_ref()
    }

    /// Whether `dir` is the client's side (the originator until a hello says otherwise).
    fn is_client(&self, dir: Direction) -> bool {
        dir == self.client_dir.unwrap_or(Direction::Orig)
    }

    fn server_idx(&self) -> usize {
        idx(other(self.client_dir.unwrap_or(Direction::Orig)))
    }

    /// The first hello fixes the roles; a client on the responder side is Zeek's flip.
    fn set_roles(&mut self, client: Direction) {
        if self.client_dir.is_some() {
            return;
        }
        self.client_dir = Some(client);
        if client == Direction::Resp {
            self.push_history('^');
        }
    }

    fn push_history(&mut self, c: char) {
        if self.rec.ssl_history.len() < MAX_HISTORY {
            self.rec.ssl_history.push(c);
        }
    }

    /// Zeek's letters: upper case from the client, lower case from the server.
    fn history(&mut self, dir: Direction, letter: u8) {
        let c = if self.is_client(dir) {
            letter.to_ascii_uppercase()
        } else {
            letter.to_ascii_lowercase()
        };
        self.push_history(c as char);
    }

    fn tls13(&self) -> bool {
        self.version.is_some_and(names::is_tls13)
    }

    fn record(&mut self, ctx: Ctx, ctype: u8, body: &[u8], out: &mut Vec<AppRecord>) {
        let d = idx(ctx.dir);
        if !self.started {
            self.started = true;
            self.rec.ts_ns = ctx.ts_ns;
        }
        match ctype {
            20 => {
                self.history(ctx.dir, b'I');
                self.dirs[d].ccs = true;
                if !self.tls13() {
                    self.dirs[d].encrypted = true;
                    // A server that goes from its hello straight to ChangeCipherSpec resumed
                    // a session (abbreviated handshake).
                    if !self.is_client(ctx.dir)
                        && self.server_hello
                        && !self.dirs[self.server_idx()].certificate
                        && !self.server_done
                    {
                        self.rec.resumed = true;
                    }
                }
            }
            21 if !self.dirs[d].encrypted && body.len() == 2 => {
                self.history(ctx.dir, b'L');
                self.rec.last_alert = Some(names::alert_name(body[1]));
            }
            22 => {
                if self.dirs[d].encrypted {
                    return; // encrypted Finished
                }
                self.handshake_bytes(ctx, body, out);
            }
            23 => {
                self.dirs[d].app_data = true;
            }
            24 => self.history(ctx.dir, b'B'),
            _ => {}
        }
        self.update_established();
    }

    fn update_established(&mut self) {
        if self.rec.established {
            return;
        }
        if self.tls13() {
            if self.dirs[0].app_data && self.dirs[1].app_data {
                self.rec.established = true;
            }
        } else if self.server_hello && self.dirs[0].ccs && self.dirs[1].ccs {
            self.rec.established = true;
        }
    }

    fn handshake_bytes(&mut self, ctx: Ctx, mut body: &[u8], out: &mut Vec<AppRecord>) {
        let d = idx(ctx.dir);
        if self.dirs[d].hs_skip > 0 {
            let n = self.dirs[d].hs_skip.min(body.len());
            self.dirs[d].hs_skip -= n;
            body = &body[n..];
        }
        let mut hs = std::mem::take(&mut self.dirs[d].hs);
        hs.extend_from_slice(body);
        let mut pos = 0;
        while hs.len() - pos >= 4 {
            let t = hs[pos];
            let len = u32::from_be_bytes([0, hs[pos + 1], hs[pos + 2], hs[pos + 3]]) as usize;
            if len > MAX_HANDSHAKE {
                // Too long to reassemble: note it and drop its bytes.
                self.history(ctx.dir, names::handshake_letter(t));
                let have = hs.len() - pos - 4;
                if have >= len {
                    pos += 4 + len;
                    continue;
                }
                self.dirs[d].hs_skip = len - have;
                pos = hs.len();
                break;
            }
            if hs.len() - pos - 4 < len {
                break;
            }
            let msg = &hs[pos + 4..pos + 4 + len];
            self.handshake_message(ctx, t, msg, out);
            pos += 4 + len;
        }
        hs.drain(..pos);
        self.dirs[d].hs = hs;
    }

    fn handshake_message(&mut self, ctx: Ctx, t: u8, msg: &[u8], out: &mut Vec<AppRecord>) {
        let hello = matches!(t, 1 | 2) && hello_plausible(t, msg);
        if hello {
            // Consistent framing: a complete hello in handshake records of a 3.x record layer.
            self.confirmed = true;
            self.set_roles(if t == 1 { ctx.dir } else { other(ctx.dir) });
        }
        self.history(ctx.dir, names::handshake_letter(t));
        let client = self.is_client(ctx.dir);
        match t {
            1 if hello && client => self.client_hello_msg(msg),
            2 if hello && !client => self.server_hello_msg(msg),
            11 if !self.tls13() => self.certificate_msg(ctx, msg, out),
            12 if !client => self.server_key_exchange(msg),
            14 if !client => self.server_done = true,
            _ => {}
        }
    }

    fn client_hello_msg(&mut self, msg: &[u8]) {
        // (info without extensions, session id, extensions block, fingerprintable)
        let (mut info, sid, ext, complete) = match parse_tls_handshake_client_hello(msg) {
            Ok((_, ch)) => (
                ClientHelloInfo {
                    legacy_version: ch.version.0,
                    ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
                    ..Default::default()
                },
                ch.session_id.unwrap_or_default(),
                ch.ext.unwrap_or_default(),
                true,
            ),
            Err(_) => {
                // Framing is fine but the body is not (odd cipher-suite length, ...): keep
                // what a lenient read gives.
                let Some(h) = lenient_hello(msg, true) else {
                    return;
                };
                let info = ClientHelloInfo {
                    legacy_version: h.version,
                    ciphers: h.ciphers,
                    ..Default::default()
                };
                (info, h.session_id, h.ext, h.complete)
            }
        };
        self.client_session_id = sid.to_vec();
        let mut rest = ext;
        while rest.len() >= 4 {
            let typ = be16(rest);
            let len = be16(&rest[2..]) as usize;
            if rest.len() < 4 + len {
                break;
            }
            info.extensions.push(typ);
            let one = &rest[..4 + len];
            rest = &rest[4 + len..];
            let Ok((_, ext)) = parse_tls_client_hello_extension(one) else {
                continue;
            };
            match ext {
                TlsExtension::SNI(names) => {
                    if let Some((_, host)) = names.iter().find(|(t, _)| t.0 == 0) {
                        info.sni = Some(String::from_utf8_lossy(host).into_owned());
                    }
                }
                TlsExtension::EllipticCurves(g) => info.groups = g.iter().map(|g| g.0).collect(),
                TlsExtension::EcPointFormats(f) => info.point_formats = f.to_vec(),
                TlsExtension::SignatureAlgorithms(s) => info.sig_algs = s,
                TlsExtension::SupportedVersions(v) => {
                    info.supported_versions = v.iter().map(|v| v.0).collect()
                }
                TlsExtension::ALPN(a) => info.alpn = a.iter().map(|p| p.to_vec()).collect(),
                _ => {}
            }
        }
        if self.client_hello.is_none() {
            self.rec.server_name = info.sni.clone();
            // A fingerprint of a partly read hello would depend on where the reading stopped.
            if complete {
                self.rec.ja3 = Some(fingerprint::ja3(&info));
                self.rec.ja4 = Some(fingerprint::ja4(&info, self.proto));
            }
            self.rec.client_tls13_pre16_draft = info.extensions.contains(&0xff02);
            self.client_hello = Some(info);
        }
    }

    fn server_hello_msg(&mut self, msg: &[u8]) {
        // (legacy version, session id, cipher, extensions)
        let parsed: Option<(u16, &[u8], u16, &[u8])> = match parse_tls_handshake_server_hello(msg) {
            Ok((_, sh)) => Some((
                sh.version.0,
                sh.session_id.unwrap_or_default(),
                sh.cipher.0,
                sh.ext.unwrap_or_default(),
            )),
            // TLS 1.3 drafts before 22 and Google's experiments: version, random, cipher,
            // extensions (no session id, no compression).
            Err(_) if msg.len() >= 36 && matches!(msg[0], 0x7e | 0x7f) => {
                let ext = msg.get(38..).unwrap_or_default();
                Some((be16(msg), &[][..], be16(&msg[34..]), ext))
            }
            // Whatever a lenient read gives, as long as it reaches the cipher suite.
            Err(_) => lenient_hello(msg, false).and_then(|h| {
                let cipher = *h.ciphers.first()?;
                Some((h.version, h.session_id, cipher, h.ext))
            }),
        };
        let Some((legacy, sid, cipher, ext)) = parsed else {
            return;
        };
        self.server_hello = true;
        let mut version = legacy;
        let mut ext_ids = Vec::new();
        let mut rest = ext;
        let mut psk = false;
        while rest.len() >= 4 {
            let typ = be16(rest);
            let len = be16(&rest[2..]) as usize;
            if rest.len() < 4 + len {
                break;
            }
            ext_ids.push(typ);
            let data = &rest[4..4 + len];
            let one = &rest[..4 + len];
            rest = &rest[4 + len..];
            match typ {
                // supported_versions: the selected version
                43 if len == 2 => version = be16(data),
                // key_share: the server's group first
                51 | 40 if len >= 2 => self.rec.curve = Some(names::group_name(be16(data))),
                41 => psk = true,
                _ => {
                    if let Ok((_, TlsExtension::ALPN(a))) = parse_tls_server_hello_extension(one) {
                        if let Some(p) = a.first() {
                            self.rec.next_protocol = Some(String::from_utf8_lossy(p).into_owned());
                        }
                    }
                }
            }
        }
        self.version = Some(version);
        self.cipher = Some(cipher);
        self.rec.version = Some(names::version_name(version));
        self.rec.cipher = Some(names::cipher_name(cipher));
        self.rec.ja3s = Some(fingerprint::ja3s(legacy, cipher, &ext_ids));
        // TLS 1.3 servers echo the client's session id (middlebox compatibility): only a
        // pre_shared_key means resumption there. Zeek does not treat Google's 0x7eXX
        // experiment versions as 1.3 for this, and neither do we.
        if version == 0x0304 || version >> 8 == 0x7f {
            if psk {
                self.rec.resumed = true;
            }
        } else if !sid.is_empty() && sid == self.client_session_id.as_slice() {
            self.rec.resumed = true;
        }
    }

    fn server_key_exchange(&mut self, msg: &[u8]) {
        let kx = self
            .cipher
            .and_then(tls_parser::TlsCipherSuite::from_id)
            .map(|c| c.kx);
        use tls_parser::TlsCipherKx as Kx;
        if !matches!(kx, Some(Kx::Ecdhe) | Some(Kx::Ecdh)) {
            return;
        }
        if let Ok((_, p)) = tls_parser::parse_ecdh_params(msg) {
            if let tls_parser::ECParametersContent::NamedGroup(g) = p.curve_params.params_content {
                self.rec.curve = Some(names::group_name(g.0));
            }
        }
    }

    fn certificate_msg(&mut self, ctx: Ctx, msg: &[u8], out: &mut Vec<AppRecord>) {
        let d = idx(ctx.dir);
        self.dirs[d].certificate = true;
        if self.rec.cert_chain_fps.is_none() {
            self.rec.cert_chain_fps = Some(Vec::new());
            self.rec.client_cert_chain_fps = Some(Vec::new());
        }
        let Ok((_, tls_parser::TlsMessageHandshake::Certificate(c))) =
            tls_parser::parse_tls_handshake_msg_certificate(msg)
        else {
            return;
        };
        let client = self.is_client(ctx.dir);
        for (i, raw) in c.cert_chain.iter().take(MAX_CERTS).enumerate() {
            let fp = x509::fingerprint(raw.data);
            let chain = if client {
                &mut self.rec.client_cert_chain_fps
            } else {
                &mut self.rec.cert_chain_fps
            };
            if let Some(v) = chain {
                v.push(fp.clone());
            }
            if let Some((r, cns)) =
                x509::parse_certificate_cached(raw.data, &fp, ctx.ts_ns, i == 0, client)
            {
                if i == 0 && !client && self.host_cert.is_none() {
                    self.host_cert = Some((r.clone(), cns));
                }
                out.push(AppRecord::X509(r));
            }
        }
    }

    fn finish_record(&mut self) -> SslRecord {
        let mut r = self.rec.clone();
        if let (Some(sni), Some((cert, cns))) = (&r.server_name, &self.host_cert) {
            r.sni_matches_cert = Some(x509::names_match(cert, cns, sni));
        }
        r
    }

    fn emit(&mut self, out: &mut Vec<AppRecord>) {
        if !self.emitted && self.started && (self.client_hello.is_some() || self.server_hello) {
            self.emitted = true;
            let mut r = self.finish_record();
            r.over_dtls = self.dtls.is_some();
            out.push(AppRecord::Ssl(r));
        }
    }
}

impl TlsSession {
    /// A session reading DTLS (one datagram per call): JA4 gets the 'd' protocol letter.
    pub fn for_dtls() -> Self {
        TlsSession {
            proto: 'd',
            dtls: Some(Box::default()),
            ..Self::new()
        }
    }

    /// The records of one datagram. Datagrams that are not DTLS (STUN or RTP multiplexed on
    /// the same ports, RFC 7983) are passed over; handshake fragments are gathered into
    /// messages, retransmitted ones skipped, and each message goes to the TLS handshake
    /// reader in TLS's framing.
    fn dtls_datagram(&mut self, ctx: Ctx, mut data: &[u8], out: &mut Vec<AppRecord>) {
        if !data.first().is_some_and(|b| (20..=63).contains(b)) {
            return;
        }
        let d = idx(ctx.dir);
        // Mid-session (no handshake seen): datagrams tiled exactly by well-formed records
        // confirm, two in a row, as TCP's record streak does.
        if crate::detect::dtls_records_ok(data) {
            let st = &mut self.dirs[d].streak;
            *st = st.saturating_add(1);
            if self.dirs[0].streak.saturating_add(self.dirs[1].streak) >= 2 {
                self.confirmed = true;
            }
        }
        while data.len() >= DTLS_RECORD_HEADER {
            let ctype = data[0];
            let version = be16(&data[1..3]);
            let epoch = be16(&data[3..5]);
            let len = be16(&data[11..13]) as usize;
            if !(20..=24).contains(&ctype)
                || !crate::detect::is_dtls_version(version)
                || data.len() - DTLS_RECORD_HEADER < len
            {
                if !self.confirmed {
                    self.violated = true;
                }
                return;
            }
            let body = &data[DTLS_RECORD_HEADER..DTLS_RECORD_HEADER + len];
            data = &data[DTLS_RECORD_HEADER + len..];
            if !self.started {
                self.started = true;
                self.rec.ts_ns = ctx.ts_ns;
            }
            if ctype == 22 && epoch == 0 {
                self.dtls_handshake(ctx, body, out);
            } else if ctype == 22 {
                // Epoch > 0: encrypted (Finished).
                self.dirs[d].encrypted = true;
            } else {
                self.record(ctx, ctype, body, out);
            }
            if self.rec.established && self.dirs[0].app_data && self.dirs[1].app_data {
                self.emit(out);
                self.stopped = true;
                return;
            }
        }
    }

    fn dtls_handshake(&mut self, ctx: Ctx, mut body: &[u8], out: &mut Vec<AppRecord>) {
        let d = idx(ctx.dir);
        while body.len() >= DTLS_HANDSHAKE_HEADER {
            let t = body[0];
            let msg_len = u32::from_be_bytes([0, body[1], body[2], body[3]]) as usize;
            let seq = be16(&body[4..6]);
            let off = u32::from_be_bytes([0, body[6], body[7], body[8]]) as usize;
            let frag_len = u32::from_be_bytes([0, body[9], body[10], body[11]]) as usize;
            let Some(frag) = body.get(DTLS_HANDSHAKE_HEADER..DTLS_HANDSHAKE_HEADER + frag_len)
            else {
                return;
            };
            body = &body[DTLS_HANDSHAKE_HEADER + frag_len..];
            let Some(st) = self.dtls.as_mut().map(|b| &mut b[d]) else {
                return;
            };
            if seq < st.next_seq || msg_len > MAX_HANDSHAKE || off + frag_len > msg_len {
                continue; // a retransmission, or impossible
            }
            let partial = match st.partial.take() {
                Some(p) if p.0 == seq => Some(p),
                _ => None,
            };
            let (_, _, _, mut bytes) = partial.unwrap_or((seq, t, msg_len, Vec::new()));
            // Fragments are taken in order; one out of order (rare) drops the message.
            if off != bytes.len() {
                continue;
            }
            bytes.extend_from_slice(frag);
            if bytes.len() < msg_len {
                st.partial = Some((seq, t, msg_len, bytes));
                continue;
            }
            st.next_seq = seq.wrapping_add(1);
            let msg = if t == 1 {
                dtls_client_hello_as_tls(&bytes).unwrap_or(bytes)
            } else {
                bytes
            };
            self.handshake_message(ctx, t, &msg, out);
        }
    }
}

impl SessionParser for TlsSession {
    fn service(&self) -> Service {
        if self.dtls.is_some() {
            Service::Dtls
        } else {
            Service::Tls
        }
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.stopped || self.violated {
            return;
        }
        if self.dtls.is_some() {
            self.dtls_datagram(ctx, data, out);
            return;
        }
        let d = idx(ctx.dir);
        let mut buf = std::mem::take(&mut self.dirs[d].buf);
        buf.extend_from_slice(data);
        let mut pos = 0;
        while buf.len() - pos >= RECORD_HEADER {
            let h = &buf[pos..pos + RECORD_HEADER];
            let (ctype, major, minor, len) = (h[0], h[1], h[2], be16(&h[3..]) as usize);
            if !(20..=24).contains(&ctype) || major != 3 {
                // Not TLS (or lost framing): Zeek's analyzer violation.
                if !self.confirmed {
                    self.violated = true;
                }
                self.stopped = true;
                buf.clear();
                pos = 0;
                break;
            }
            if buf.len() - pos - RECORD_HEADER < len {
                break;
            }
            // A complete record: count it towards the mid-stream confirmation.
            let well_formed = (20..=23).contains(&ctype) && minor <= 4 && len <= MAX_RECORD;
            let st = &mut self.dirs[d].streak;
            *st = if well_formed { st.saturating_add(1) } else { 0 };
            if *st >= CONFIRM_STREAK {
                self.confirmed = true;
            }
            // One well-formed record that starts a delivery and ends exactly where it ends is
            // also enough: its header's length lands precisely on the segment boundary.
            if well_formed && pos == 0 && RECORD_HEADER + len == buf.len() {
                self.confirmed = true;
            }
            let body = &buf[pos + RECORD_HEADER..pos + RECORD_HEADER + len];
            pos += RECORD_HEADER + len;
            self.record(ctx, ctype, body, out);
            if self.rec.established && self.dirs[0].app_data && self.dirs[1].app_data {
                // Handshake over: log now, stop looking at the encrypted stream.
                self.emit(out);
                self.stopped = true;
                buf.clear();
                pos = 0;
                break;
            }
        }
        buf.drain(..pos);
        self.dirs[d].buf = buf;
    }

    fn gap(&mut self, dir: Direction, _len: u64) {
        if self.dtls.is_some() {
            return; // datagrams: nothing to resynchronise
        }
        // Framing is lost for this direction: keep what was learnt, look no further.
        let d = idx(dir);
        self.dirs[d].buf.clear();
        self.dirs[d].hs.clear();
        self.stopped = true;
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.emit(out);
        self.stopped = true;
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}
