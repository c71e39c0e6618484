//! Content rules: one checker per protocol, pure functions over the first bytes of one direction
//! (a TCP stream prefix or one UDP datagram).
//!
//! Every checker is written as a sequence of field checks over a [`Rd`] cursor. Running out of
//! bytes yields [`Miss::Short`] ("consistent so far, need more"), a contradicting field yields
//! [`Miss::No`]. UDP callers treat `Short` as `No` (a datagram is complete). Checkers decide as
//! early as the structure allows, so that a TCP flow is identified from its first segment, and
//! never ask for more than a few hundred bytes beyond what they already verified.
//!
//! Written from the protocol specifications: RFC 1035/6762/4795/1002 (DNS, mDNS, LLMNR, NBNS),
//! RFC 9112 (HTTP/1.1), RFC 8446/5246 and the SSL 2.0 draft (TLS), RFC 9000/9369 (QUIC), RFC 4253
//! (SSH), MS-SMB/MS-SMB2, DCE 1.1 RPC and MS-RPCE, RFC 4120 (Kerberos), MS-NLMP (NTLM), RFC 1006,
//! ISO 8073 and MS-RDPBCGR/MS-RDPEUDP (RDP), RFC 4511 (LDAP), RFC 2131/2132 (DHCP), RFC 5321
//! (SMTP), RFC 959 (FTP), RFC 1939/2449 (POP3), RFC 9051 (IMAP), RFC 3416/3412 (SNMP), RFC 5905
//! (NTP), RFC 3261 (SIP), the MySQL client/server protocol and the PostgreSQL frontend/backend
//! protocol documentation, IEEE 1815 (DNP3), OASIS MQTT 3.1.1/5.0, RFC 6143 (RFB), RFC 854/855
//! (Telnet) and BEP 5 (BitTorrent DHT).

use crate::Service;

/// Why a check did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Miss {
    /// The bytes seen so far are consistent; more are needed to decide.
    Short,
    /// The bytes contradict the protocol.
    No,
}

pub(super) type Chk<T> = Result<T, Miss>;

#[inline]
fn ensure(c: bool) -> Chk<()> {
    if c {
        Ok(())
    } else {
        Err(Miss::No)
    }
}

/// Bounds-checked big/little-endian reader.
#[derive(Clone, Copy)]
struct Rd<'a> {
    d: &'a [u8],
    p: usize,
}

impl<'a> Rd<'a> {
    fn new(d: &'a [u8]) -> Self {
        Rd { d, p: 0 }
    }
    fn at(d: &'a [u8], p: usize) -> Self {
        Rd {
            d,
            p: p.min(d.len()),
        }
    }
    fn left(&self) -> usize {
        self.d.len() - self.p
    }
    fn rest(&self) -> &'a [u8] {
        &self.d[self.p..]
    }
    fn u8(&mut self) -> Chk<u8> {
        let b = *self.d.get(self.p).ok_or(Miss::Short)?;
        self.p += 1;
        Ok(b)
    }
    fn take(&mut self, n: usize) -> Chk<&'a [u8]> {
        if self.left() < n {
            return Err(Miss::Short);
        }
        let s = &self.d[self.p..self.p + n];
        self.p += n;
        Ok(s)
    }
    fn skip(&mut self, n: usize) -> Chk<()> {
        self.take(n).map(|_| ())
    }
    fn be16(&mut self) -> Chk<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn be24(&mut self) -> Chk<u32> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    fn be32(&mut self) -> Chk<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn le16(&mut self) -> Chk<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn le24(&mut self) -> Chk<u32> {
        let b = self.take(3)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    }
    /// Expects the literal `s`: a shorter input that matches so far is `Short`.
    fn lit(&mut self, s: &[u8]) -> Chk<()> {
        let n = s.len().min(self.left());
        ensure(self.d[self.p..self.p + n] == s[..n])?;
        if n < s.len() {
            return Err(Miss::Short);
        }
        self.p += n;
        Ok(())
    }
    /// A run of 1..=`max` ASCII digits; returns its value (saturating).
    fn digits(&mut self, max: usize) -> Chk<u32> {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max {
            match self.d.get(self.p) {
                Some(b) if b.is_ascii_digit() => {
                    v = v.saturating_mul(10).saturating_add(u32::from(b - b'0'));
                    self.p += 1;
                    n += 1;
                }
                Some(_) => break,
                None => return Err(Miss::Short),
            }
        }
        ensure(n > 0)?;
        Ok(v)
    }
    /// End of line: CR LF or a bare LF.
    fn eol(&mut self) -> Chk<()> {
        match self.u8()? {
            b'\n' => Ok(()),
            b'\r' => ensure(self.u8()? == b'\n'),
            _ => Err(Miss::No),
        }
    }
}

/// Reads a token of bytes accepted by `ok`, ended by `end`, of 1..=`max` bytes; `Short` if the
/// input ends first, `No` if a byte is not accepted or the token is too long.
fn token<'a>(r: &mut Rd<'a>, max: usize, end: u8, ok: impl Fn(u8) -> bool) -> Chk<&'a [u8]> {
    let start = r.p;
    loop {
        let b = r.u8()?;
        if b == end {
            let t = &r.d[start..r.p - 1];
            ensure(!t.is_empty())?;
            return Ok(t);
        }
        ensure(ok(b) && r.p - start <= max)?;
    }
}

/// A token that must be one of `list` (exact match): a partial token that starts one of them is
/// `Short`.
fn keyword<'a>(r: &mut Rd<'a>, list: &[&[u8]], end: u8) -> Chk<&'a [u8]> {
    let start = r.p;
    let max = list.iter().map(|m| m.len()).max().unwrap_or(0);
    match token(r, max, end, |b| b.is_ascii_uppercase() || b == b'-') {
        Ok(t) => {
            ensure(list.contains(&t))?;
            Ok(t)
        }
        Err(Miss::Short) => {
            let part = &r.d[start..];
            ensure(list.iter().any(|m| m.starts_with(part)))?;
            Err(Miss::Short)
        }
        Err(Miss::No) => Err(Miss::No),
    }
}

// ---------------------------------------------------------------------------------------------
// ASN.1 BER (Kerberos, LDAP, SNMP)

/// Definite-length BER length (short form, or long form with 1..=4 length bytes).
fn ber_len(r: &mut Rd) -> Chk<usize> {
    let b = r.u8()?;
    if b < 0x80 {
        return Ok(usize::from(b));
    }
    let n = b & 0x7f;
    ensure((1..=4).contains(&n))?;
    let mut v = 0usize;
    for _ in 0..n {
        v = (v << 8) | usize::from(r.u8()?);
    }
    Ok(v)
}

/// Expects `tag`, returns the length of its contents.
fn ber_hdr(r: &mut Rd, tag: u8) -> Chk<usize> {
    ensure(r.u8()? == tag)?;
    ber_len(r)
}

/// An INTEGER of 1..=`max_len` bytes; returns its value (two's complement).
fn ber_int(r: &mut Rd, max_len: usize) -> Chk<i64> {
    let n = ber_hdr(r, 0x02)?;
    ensure(n >= 1 && n <= max_len && n <= 8)?;
    let b = r.take(n)?;
    let mut v: i64 = if b[0] & 0x80 != 0 { -1 } else { 0 };
    for &x in b {
        v = (v << 8) | i64::from(x);
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// DNS family (RFC 1035; mDNS RFC 6762; LLMNR RFC 4795; NetBIOS name service RFC 1002)

/// What the DNS structure check learnt, for telling DNS, mDNS and NBNS apart.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DnsInfo {
    pub id: u16,
    /// The first name is a NetBIOS first-level encoded name (one 32-byte label of 'A'..='P').
    pub nb_name: bool,
    /// The first name ends in the label "local" (mDNS link-local names).
    pub local: bool,
    /// The first question's / record's type.
    pub qtype: u16,
    pub opcode: u8,
}

impl DnsInfo {
    /// An opcode no DNS or NBNS specification assigns.
    pub fn unassigned_opcode(&self) -> bool {
        matches!(self.opcode, 3 | 9..=15)
    }
}

fn dns_class_ok(c: u16) -> bool {
    // IN, CH, HS, NONE, ANY; the top bit is mDNS's unicast-response / cache-flush bit.
    matches!(c & 0x7fff, 1 | 3 | 4 | 254 | 255)
}

/// Skips one (possibly compressed) name starting at `r.p`; for the first name of the message,
/// fills the NetBIOS and ".local" hints and rejects control characters.
fn dns_name(r: &mut Rd, first: bool, info: &mut DnsInfo) -> Chk<()> {
    let start = r.p;
    let mut total = 0usize;
    let mut labels = 0u32;
    loop {
        let l = r.u8()?;
        if l == 0 {
            return Ok(());
        }
        if l & 0xc0 == 0xc0 {
            let lo = r.u8()?;
            let target = (usize::from(l & 0x3f) << 8) | usize::from(lo);
            // A pointer refers to an earlier name, never into the header or forwards.
            ensure(target >= 12 && target < start)?;
            if first {
                info.local = false;
            }
            return Ok(());
        }
        ensure(l & 0xc0 == 0)?;
        let label = r.take(usize::from(l))?;
        total += usize::from(l) + 1;
        ensure(total <= 255)?;
        if first {
            if labels == 0 && l == 32 && label.iter().all(|b| (b'A'..=b'P').contains(b)) {
                info.nb_name = true;
            }
            info.local = label.eq_ignore_ascii_case(b"local");
        }
        labels += 1;
    }
}

/// Checks a DNS-format message. `whole`: `m` is the complete message, every record must parse;
/// otherwise `m` is a prefix and the check ends after the first question (or record).
pub(super) fn dns_message(m: &[u8], whole: bool) -> Chk<DnsInfo> {
    // The header is checked field by field as far as it is present, so that a TCP prefix with
    // a partial header is only `Short` when what is there is consistent.
    let f16 = |i: usize| m.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let mut opcode = 0u8;
    if let Some(&f0) = m.get(2) {
        // Opcodes of DNS (0-2, 4, 5) and NBNS (5-8); the unassigned ones (3, 9-15) are read
        // too, and count only towards the DNS port (see `DnsInfo::unassigned_opcode`).
        opcode = (f0 >> 3) & 0xf;
    }
    let flags = f16(2).unwrap_or(0);
    let qr = flags & 0x8000 != 0;
    let rcode = flags & 0xf;
    if f16(2).is_some() {
        // Z bit (zero in DNS, LLMNR and NBNS); queries carry no error.
        ensure(flags & 0x0040 == 0)?;
        ensure(if qr { rcode <= 10 } else { rcode == 0 })?;
    }
    let mut counts = [0u16; 4];
    for (i, c) in counts.iter_mut().enumerate() {
        if let Some(v) = f16(4 + 2 * i) {
            ensure(v <= if i == 0 { 64 } else { 512 })?;
            *c = v;
        }
    }
    if let (Some(qd), Some(an)) = (f16(4), f16(6)) {
        // Queries ask something, except inverse queries (RFC 1035 §6.4) carrying an answer.
        ensure(qr || qd >= 1 || (opcode == 1 && an >= 1))?;
    }
    if m.len() < 12 {
        return Err(Miss::Short);
    }
    let [qd, an, ns, ar] = counts;
    let total = u32::from(qd) + u32::from(an) + u32::from(ns) + u32::from(ar);
    ensure(total > 0)?;
    let id = f16(0).unwrap_or(0);
    let mut r = Rd::at(m, 12);
    let mut info = DnsInfo {
        id,
        opcode,
        ..DnsInfo::default()
    };
    for i in 0..total {
        dns_name(&mut r, i == 0, &mut info)?;
        let ty = r.be16()?;
        let class = r.be16()?;
        ensure(ty != 0)?;
        if i == 0 {
            info.qtype = ty;
        }
        // EDNS OPT (41) carries the payload size in the class field.
        ensure(ty == 41 || dns_class_ok(class))?;
        if i >= u32::from(qd) {
            r.skip(4)?; // TTL
            let rdlen = r.be16()?;
            r.skip(usize::from(rdlen))?;
        }
        if i == 0 {
            // NBNS opcodes only carry NetBIOS names.
            ensure(!(6..=8).contains(&opcode) || info.nb_name)?;
            if !whole {
                return Ok(info);
            }
        }
    }
    Ok(info)
}

/// DNS over UDP: the datagram is one message, judged on its header and first question (or
/// record); later records are not required to parse, as resolvers answer damaged queries too.
pub(super) fn dns_udp(d: &[u8]) -> Chk<DnsInfo> {
    dns_message(d, false).map_err(|_| Miss::No)
}

/// DNS over TCP: a 2-byte length, then the message (RFC 1035 §4.2.2).
pub(super) fn dns_tcp(d: &[u8]) -> Chk<DnsInfo> {
    let mut r = Rd::new(d);
    let len = usize::from(r.be16()?);
    ensure(len >= 12)?;
    let body = r.rest();
    if body.len() >= len {
        dns_message(&body[..len], true).map_err(|_| Miss::No)
    } else {
        dns_message(body, false)
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.x (RFC 9110/9112) and SIP (RFC 3261): request lines and status lines.

const HTTP_METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"TRACE",
    b"CONNECT",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"REPORT",
    b"SEARCH",
    b"MKACTIVITY",
    b"CHECKOUT",
    b"MERGE",
    b"PURGE",
    b"MKCALENDAR",
    b"ACL",
    b"BIND",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
    b"NOTIFY",
];

const SIP_METHODS: &[&[u8]] = &[
    b"INVITE",
    b"ACK",
    b"BYE",
    b"CANCEL",
    b"REGISTER",
    b"OPTIONS",
    b"PRACK",
    b"SUBSCRIBE",
    b"NOTIFY",
    b"PUBLISH",
    b"INFO",
    b"REFER",
    b"MESSAGE",
    b"UPDATE",
];

/// Longest request target we wait for before giving up on a request line.
const MAX_TARGET: usize = 4096;

fn target_byte(b: u8) -> bool {
    b > 0x20 && b != 0x7f
}

/// `METHOD SP request-target SP HTTP/1.x CRLF`. The target may contain spaces (attack tools
/// send them unescaped): the line must end with " HTTP/1.0" or " HTTP/1.1".
pub(super) fn http_request(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    keyword(&mut r, HTTP_METHODS, b' ')?;
    let rest = r.rest();
    let Some(eol) = rest.iter().take(MAX_TARGET).position(|&b| b == b'\n') else {
        ensure(rest.len() < MAX_TARGET && rest.iter().all(|&b| b >= 0x20 && b != 0x7f))?;
        return Err(Miss::Short);
    };
    let line = rest[..eol].strip_suffix(b"\r").unwrap_or(&rest[..eol]);
    let target = line
        .strip_suffix(b" HTTP/1.1")
        .or_else(|| line.strip_suffix(b" HTTP/1.0"))
        .ok_or(Miss::No)?;
    ensure(!target.is_empty() && target[0] != b' ')?;
    ensure(target.iter().all(|&b| b >= 0x20 && b != 0x7f))
}

/// Responder ports on which a versionless (HTTP/0.9) request line is accepted: without a
/// version the line is weak evidence, so the port must be a well-known HTTP one as well.
pub(super) const HTTP_SIMPLE_PORTS: &[u16] = &[80, 8080, 8000, 8008, 3128, 81];

/// HTTP/0.9 simple request (RFC 1945 section 4.1, `Simple-Request = "GET" SP Request-URI
/// CRLF`), widened to any known method as servers accept them: `METHOD SP target (CRLF | LF)`
/// where the target starts with `/` or `http` and holds no space or control byte. The caller
/// applies it only to the originator's data towards one of [`HTTP_SIMPLE_PORTS`].
pub(super) fn http_simple_request(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    keyword(&mut r, HTTP_METHODS, b' ')?;
    let rest = r.rest();
    match rest.first() {
        None => return Err(Miss::Short),
        Some(b'/') => {}
        Some(_) => {
            let n = rest.len().min(4);
            ensure(rest[..n].eq_ignore_ascii_case(&b"http"[..n]))?;
        }
    }
    let Some(eol) = rest.iter().take(MAX_TARGET).position(|&b| b == b'\n') else {
        let seen = rest.strip_suffix(b"\r").unwrap_or(rest);
        ensure(rest.len() < MAX_TARGET && seen.iter().all(|&b| target_byte(b)))?;
        return Err(Miss::Short);
    };
    let target = rest[..eol].strip_suffix(b"\r").unwrap_or(&rest[..eol]);
    // Not empty; an absolute target has more than its "http".
    ensure(target.first() == Some(&b'/') || target.len() > 4)?;
    ensure(target.iter().all(|&b| target_byte(b)))
}

/// `HTTP/1.x SP 3DIGIT (SP | CRLF)`.
pub(super) fn http_response(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    r.lit(b"HTTP/1.")?;
    let minor = r.u8()?;
    ensure(minor == b'0' || minor == b'1')?;
    r.lit(b" ")?;
    status_code(&mut r)
}

fn status_code(r: &mut Rd) -> Chk<()> {
    let c = r.take(3)?;
    ensure((b'1'..=b'6').contains(&c[0]) && c[1].is_ascii_digit() && c[2].is_ascii_digit())?;
    ensure(matches!(r.u8()?, b' ' | b'\r' | b'\n'))
}

/// `METHOD SP sip:/sips:/tel: URI SP SIP/2.0 CRLF`, or `SIP/2.0 SP 3DIGIT SP`.
pub(super) fn sip(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    if d.first() == Some(&b'S') && d.get(1) != Some(&b'U') {
        // A status line ("SUBSCRIBE" also starts with 'S').
        r.lit(b"SIP/2.0 ")?;
        return status_code(&mut r);
    }
    keyword(&mut r, SIP_METHODS, b' ')?;
    let uri = token(&mut r, MAX_TARGET, b' ', target_byte)?;
    let scheme_ok = [&b"sip:"[..], b"sips:", b"tel:"]
        .iter()
        .any(|s| uri.len() > s.len() && uri[..s.len()].eq_ignore_ascii_case(s));
    ensure(scheme_ok)?;
    r.lit(b"SIP/2.0")?;
    r.eol()
}

// ---------------------------------------------------------------------------------------------
// TLS (RFC 8446, RFC 5246) and SSL 2.0-compatible ClientHello (RFC 6101 appendix E.2)

/// A handshake record starting with a ClientHello or ServerHello whose fields agree.
pub(super) fn tls_hello(d: &[u8]) -> Chk<()> {
    if d.first().is_some_and(|b| b & 0x80 != 0) {
        return sslv2_client_hello(d);
    }
    let mut r = Rd::new(d);
    ensure(r.u8()? == 22)?;
    ensure(r.u8()? == 3)?;
    ensure(r.u8()? <= 4)?;
    let rec_len = usize::from(r.be16()?);
    ensure((4..=16384 + 2048).contains(&rec_len))?;
    let hs = r.u8()?;
    ensure(hs == 1 || hs == 2)?;
    let hs_len = r.be24()? as usize;
    ensure((38..=0x1_0000).contains(&hs_len))?;
    ensure(r.u8()? == 3)?;
    ensure(r.u8()? <= 4)?;
    r.skip(32)?; // random
    let sid = usize::from(r.u8()?);
    ensure(sid <= 32)?;
    r.skip(sid)?;
    if hs == 1 {
        let cs = usize::from(r.be16()?);
        ensure(cs >= 2 && cs.is_multiple_of(2) && 2 + 32 + 1 + sid + 2 + cs + 2 <= hs_len)?;
        r.skip(cs)?;
        let comp = usize::from(r.u8()?);
        ensure(comp >= 1 && 2 + 32 + 1 + sid + 2 + cs + 1 + comp <= hs_len)?;
    } else {
        r.skip(2)?; // cipher suite
        let comp = r.u8()?;
        ensure(matches!(comp, 0 | 1 | 64))?;
        ensure(2 + 32 + 1 + sid + 3 <= hs_len)?;
    }
    Ok(())
}

/// DTLS 1.0, 1.2 and 1.3 record versions, and OpenSSL's pre-standard DTLS (0x0100, still
/// spoken by old VPN gateways).
pub(crate) fn is_dtls_version(v: u16) -> bool {
    matches!(v, 0xfeff | 0xfefd | 0xfefc | 0x0100)
}

/// A DTLS record (RFC 6347 4.1) of epoch 0 carrying a ClientHello, ServerHello or
/// HelloVerifyRequest (RFC 6347 4.2.2) with consistent lengths.
pub(super) fn dtls_hello(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == 22)?;
    ensure(is_dtls_version(r.be16()?))?;
    ensure(r.be16()? == 0)?; // epoch
    r.skip(6)?; // sequence number
    let rec_len = usize::from(r.be16()?);
    ensure(rec_len >= 12 && 13 + rec_len <= d.len())?;
    let hs = r.u8()?;
    ensure(matches!(hs, 1..=3))?;
    let msg_len = r.be24()? as usize;
    r.skip(2)?; // message_seq
    let frag_off = r.be24()? as usize;
    let frag_len = r.be24()? as usize;
    ensure(frag_off + frag_len <= msg_len && 12 + frag_len <= rec_len && msg_len <= 0x1_0000)?;
    if frag_off == 0 {
        // The hello's own version is DTLS too.
        ensure(is_dtls_version(r.be16()?))?;
    }
    Ok(())
}

/// A datagram made exactly of DTLS records (any epoch: a session seen after its handshake):
/// each has a content type of 20-23, a DTLS version and a length that the next record, or the
/// datagram's end, follows exactly.
pub(super) fn dtls_records(d: &[u8]) -> Chk<()> {
    let mut rest = d;
    ensure(!rest.is_empty())?;
    while !rest.is_empty() {
        let mut r = Rd::new(rest);
        ensure((20..=23).contains(&r.u8()?))?;
        ensure(is_dtls_version(r.be16()?))?;
        r.skip(8)?; // epoch, sequence number
        let len = usize::from(r.be16()?);
        ensure(len >= 1 && 13 + len <= rest.len())?;
        rest = &rest[13 + len..];
    }
    Ok(())
}

/// A STUN message (RFC 5389 6): the two top bits clear, the magic cookie, a length that is a
/// multiple of four and fits the datagram.
pub(super) fn stun(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? & 0xc0 == 0)?;
    r.skip(1)?;
    let len = usize::from(r.be16()?);
    ensure(r.be32()? == 0x2112_a442)?;
    ensure(len.is_multiple_of(4) && 20 + len == d.len())?;
    Ok(())
}

fn sslv2_client_hello(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let len = usize::from(r.be16()? & 0x7fff);
    ensure(r.u8()? == 1)?; // CLIENT-HELLO
    let ver = r.be16()?;
    ensure(ver == 0x0002 || (0x0300..=0x0303).contains(&ver))?;
    let cs = usize::from(r.be16()?);
    let sid = usize::from(r.be16()?);
    let ch = usize::from(r.be16()?);
    ensure(cs > 0 && cs.is_multiple_of(3) && (sid == 0 || sid == 16) && (16..=32).contains(&ch))?;
    ensure(len == 9 + cs + sid + ch)
}

/// Mid-stream TLS: a complete record (types 20-23, version 3.x, sane length) that either fills
/// the data exactly or is followed by the header of another.
pub(super) fn tls_records(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    for i in 0..2 {
        ensure((20..=23).contains(&r.u8()?))?;
        ensure(r.u8()? == 3)?;
        ensure(r.u8()? <= 4)?;
        let len = usize::from(r.be16()?);
        ensure((1..=16384 + 2048).contains(&len))?;
        if i == 0 {
            r.skip(len)?;
            if r.left() == 0 {
                return Ok(());
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// QUIC (RFC 8999 invariants, RFC 9000 v1, RFC 9369 v2, drafts; Google QUIC)

fn varint(r: &mut Rd) -> Chk<u64> {
    let b = r.u8()?;
    let n = 1usize << (b >> 6);
    let mut v = u64::from(b & 0x3f);
    for _ in 1..n {
        v = (v << 8) | u64::from(r.u8()?);
    }
    Ok(v)
}

/// Long-header packet types as numbered by v1 (Initial 0, 0-RTT 1, Handshake 2, Retry 3).
fn quic_v1_type(version: u32, bits: u8) -> Option<u8> {
    match version {
        0x0000_0001 => Some(bits),
        // Drafts 17-34 and Facebook's mvfst versions share v1's layout.
        0xff00_0011..=0xff00_0022 | 0xface_b001..=0xface_b00f => Some(bits),
        // v2 (RFC 9369) rotates the type numbers: Initial 1, 0-RTT 2, Handshake 3, Retry 0.
        0x6b33_43cf | 0x709a_50c4 => Some((bits + 3) & 3),
        _ => None,
    }
}

pub(super) fn quic(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let b0 = r.u8()?;
    let version = r.be32()?;
    if b0 & 0x80 == 0 {
        return gquic_public(d);
    }
    ensure(b0 & 0x40 != 0)?; // fixed bit
    let v = version.to_be_bytes();
    // Google QUIC with the IETF-style long header: ASCII versions "Q046".."Q050", "T050"...
    let gquic = (v[0] == b'Q' || v[0] == b'T') && v[1..].iter().all(u8::is_ascii_digit);
    if gquic && v[0] == b'Q' && v[1] == b'0' && v[2] == b'4' {
        // Q046-Q049: one byte of connection-ID lengths (nibbles, 0 or 5 meaning 8 bytes).
        let cil = r.u8()?;
        ensure(matches!(cil >> 4, 0 | 5) && matches!(cil & 0xf, 0 | 5) && cil != 0)?;
        ensure(d.len() >= 1000 || b0 & 0x30 != 0)?;
        return Ok(());
    }
    let dcil = usize::from(r.u8()?);
    ensure(dcil <= 20)?;
    r.skip(dcil)?;
    let scil = usize::from(r.u8()?);
    ensure(scil <= 20)?;
    r.skip(scil)?;
    if gquic {
        // Q050 / T05x: IETF invariant header; client Initials fill a full-size datagram.
        ensure(dcil + scil > 0)?;
        ensure(d.len() >= 1000 || b0 & 0x30 != 0)?;
        return Ok(());
    }
    if version == 0 {
        // Version Negotiation (server): a list of supported versions, all recognisable.
        let list = r.rest();
        ensure(!list.is_empty() && list.len().is_multiple_of(4) && list.len() <= 256)?;
        return ensure(list.chunks(4).all(|v| {
            let v = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
            quic_v1_type(v, 0).is_some() || v & 0x0f0f_0f0f == 0x0a0a_0a0a
        }));
    }
    if version & 0x0f0f_0f0f == 0x0a0a_0a0a {
        // Reserved version (RFC 9000 §15) probing for Version Negotiation: only the invariant
        // header is known, and the datagram must be full-size for the server to answer.
        return ensure(d.len() >= 1200);
    }
    let Some(ty) = quic_v1_type(version, (b0 >> 4) & 3) else {
        return Err(Miss::No);
    };
    match ty {
        3 => ensure(r.left() >= 16), // Retry: token + integrity tag
        _ => {
            if ty == 0 {
                let tok = varint(&mut r)?;
                ensure(tok <= r.left() as u64)?;
                r.skip(tok as usize)?;
            }
            let len = varint(&mut r)?;
            // Packet number (1-4) + at least a 16-byte AEAD tag, within the datagram (later
            // packets may be coalesced behind it).
            ensure(len >= 17 && len <= r.left() as u64)
        }
    }
}

/// A QUIC long header of a version netloupe does not know (neither IETF nor Google QUIC, not
/// Version Negotiation, not reserved): only the invariant header (RFC 8999) can be checked, so
/// the detector admits it only towards QUIC's registered port, as Zeek's port registration
/// does (it logs such a connection with version "unknown-...").
pub(super) fn quic_unknown_version(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let b0 = r.u8()?;
    let version = r.be32()?;
    ensure(b0 & 0xc0 == 0xc0 && version != 0 && version & 0x0f0f_0f0f != 0x0a0a_0a0a)?;
    let v = version.to_be_bytes();
    ensure(!matches!(v[0], b'Q' | b'T') && quic_v1_type(version, 0).is_none())?;
    let dcil = usize::from(r.u8()?);
    ensure(dcil <= 20)?;
    r.skip(dcil)?;
    let scil = usize::from(r.u8()?);
    ensure(scil <= 20)?;
    r.skip(scil)?;
    ensure(r.left() > 0)
}

/// Google QUIC up to Q043: public header with an 8-byte connection ID and either the client's
/// ASCII version "Q0nn" or, from the server, a cleartext crypto handshake message (CHLO / REJ /
/// SHLO tag, entry count, zero padding, first tag) near the start.
fn gquic_public(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let flags = r.u8()?;
    ensure(flags & 0x08 != 0 && flags & 0x80 == 0)?;
    r.skip(8)?;
    if flags & 0x01 != 0 {
        let v = r.take(4)?;
        return ensure(
            v[0] == b'Q' && v[1] == b'0' && v[2].is_ascii_digit() && v[3].is_ascii_digit(),
        );
    }
    let window = &d[9..d.len().min(48)];
    for tag in [&b"CHLO"[..], b"REJ\0", b"SHLO"] {
        if let Some(i) = window.windows(4).position(|w| w == tag) {
            let m = &window[i + 4..];
            if m.len() >= 8 {
                let n = u16::from_le_bytes([m[0], m[1]]);
                let first = &m[4..8];
                if (1..=64).contains(&n)
                    && m[2..4] == [0, 0]
                    && first
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b == 0 || b == 0xff)
                {
                    return Ok(());
                }
            }
        }
    }
    Err(Miss::No)
}

// ---------------------------------------------------------------------------------------------
// SSH (RFC 4253 §4.2)

/// "SSH-protoversion-softwareversion", possibly after a few lines of server text (RFC 4253
/// §4.2). Only a prefix of the banner itself is `Short`: text that may precede a banner is not
/// waited for (the banner is found when the caller feeds the longer prefix).
pub(super) fn ssh(d: &[u8]) -> Chk<()> {
    let mut pos = 0;
    for i in 0..8 {
        let line = &d[pos..];
        match ssh_banner(line) {
            Ok(()) => return Ok(()),
            Err(Miss::Short) if i == 0 => return Err(Miss::Short),
            Err(_) => {}
        }
        // Not a banner: only text lines may come before it.
        let eol = line
            .iter()
            .take(256)
            .position(|&b| b == b'\n')
            .ok_or(Miss::No)?;
        ensure(
            line[..eol]
                .iter()
                .all(|&b| b >= 0x20 || b == b'\t' || b == b'\r'),
        )?;
        pos += eol + 1;
    }
    Err(Miss::No)
}

fn ssh_banner(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    r.lit(b"SSH-")?;
    r.digits(2)?;
    r.lit(b".")?;
    r.digits(3)?;
    r.lit(b"-")?;
    let b = r.u8()?;
    ensure((0x21..0x7f).contains(&b))
}

// ---------------------------------------------------------------------------------------------
// SMB (MS-SMB, MS-SMB2 §2.1 transport, RFC 1002 session service)

fn smb_header(r: &mut Rd, len: usize) -> Chk<()> {
    ensure(len >= 16)?;
    let m0 = r.u8()?;
    ensure(m0 >= 0xfc)?;
    r.lit(b"SMB")?;
    match m0 {
        0xff => ensure(len >= 32),
        0xfe => {
            ensure(len >= 64)?;
            ensure(r.le16()? == 64)?; // StructureSize
            r.skip(6)?; // CreditCharge, Status
            ensure(r.le16()? <= 0x12) // Command
        }
        0xfd => {
            // Transform header: 52 bytes, Flags/EncryptionAlgorithm at offset 42 is 1.
            ensure(len >= 52)?;
            r.skip(38)?;
            ensure(r.le16()? == 1)
        }
        0xfc => {
            // Compression transform header: OriginalCompressedSegmentSize, algorithm <= 4.
            ensure(len >= 16)?;
            r.skip(4)?;
            ensure(r.le16()? <= 4)
        }
        _ => Err(Miss::No),
    }
}

pub(super) fn smb(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    // Without transport framing (the caller strips it).
    if d.len() >= 4 && d[0] & 0xfc == 0xfc && &d[1..4] == b"SMB" {
        return smb_header(&mut r, d.len());
    }
    // NetBIOS session messages (session request / responses / keep-alive) may precede it.
    for _ in 0..4 {
        let ty = r.u8()?;
        match ty {
            0x00 => {
                let len = r.be24()? as usize;
                return smb_header(&mut r, len);
            }
            0x81 => {
                ensure(r.u8()? == 0)?;
                let len = usize::from(r.be16()?);
                ensure((68..=600).contains(&len))?;
                // Called and calling names: each a length 32 label of 'A'..='P'.
                ensure(r.u8()? == 32)?;
                let name = r.take(32)?;
                ensure(name.iter().all(|b| (b'A'..=b'P').contains(b)))?;
                r.skip(len - 33)?;
            }
            0x82 | 0x85 => {
                ensure(r.u8()? == 0)?;
                ensure(r.be16()? == 0)?;
            }
            _ => return Err(Miss::No),
        }
    }
    Err(Miss::No)
}

// ---------------------------------------------------------------------------------------------
// DCE/RPC (DCE 1.1 RPC chapter 12, MS-RPCE)

/// Connection-oriented PDU header (TCP, named pipes).
pub(super) fn dcerpc_co(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == 5)?;
    ensure(r.u8()? <= 1)?;
    let ptype = r.u8()?;
    // request, response, fault, bind, bind_ack, bind_nak, alter_context(_resp), auth3.
    ensure(matches!(ptype, 0 | 2 | 3 | 11 | 12 | 13 | 14 | 15 | 16))?;
    r.skip(1)?; // flags
    let drep = r.take(4)?;
    ensure(drep[0] & 0xef == 0 && drep[1] <= 1 && drep[2] <= 3 && drep[3] == 0)?;
    let le = drep[0] & 0x10 != 0;
    let rd16 = |r: &mut Rd| if le { r.le16() } else { r.be16() };
    let frag = usize::from(rd16(&mut r)?);
    let auth = usize::from(rd16(&mut r)?);
    ensure(frag >= 16 && auth + 16 <= frag)?;
    r.skip(4)?; // call id
    match ptype {
        11 | 14 => {
            // max_xmit_frag, max_recv_frag (at least MustRecvFragSize 1432), assoc group,
            // at least one presentation context.
            ensure(frag >= 16 + 12 + 44)?;
            let xmit = rd16(&mut r)?;
            let recv = rd16(&mut r)?;
            ensure(xmit >= 1432 && recv >= 1432)?;
            r.skip(4)?;
            ensure(r.u8()? >= 1)
        }
        12 | 15 => {
            ensure(frag >= 16 + 10)?;
            let xmit = rd16(&mut r)?;
            let recv = rd16(&mut r)?;
            ensure(xmit >= 1432 && recv >= 1432)
        }
        0 | 2 | 3 => ensure(frag >= 24),
        _ => Ok(()),
    }
}

/// Connectionless PDU (UDP): an 80-byte header whose body length fills the datagram.
pub(super) fn dcerpc_cl(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == 4)?;
    ensure(r.u8()? <= 10)?; // ptype
    r.skip(2)?; // flags1, flags2
    let drep = r.take(3)?;
    ensure(drep[0] & 0xef == 0 && drep[1] <= 1 && drep[2] <= 3)?;
    let le = drep[0] & 0x10 != 0;
    r.skip(1 + 16 + 16 + 16 + 4 + 4 + 4 + 2 + 2 + 2)?;
    let len = if le { r.le16()? } else { r.be16()? };
    r.skip(2)?; // fragnum
    let auth_proto = r.u8()?;
    r.skip(1)?;
    ensure(auth_proto <= 0x44)?;
    ensure(usize::from(len) <= r.left() && r.left() - usize::from(len) <= 256)?;
    ensure(auth_proto != 0 || usize::from(len) == r.left())
}

// ---------------------------------------------------------------------------------------------
// Kerberos (RFC 4120 §5.4.1, §5.4.2, §5.9.1; TCP framing §7.2.2)

/// AS-REQ, AS-REP, TGS-REQ, TGS-REP or KRB-ERROR with pvno 5 and the matching msg-type.
/// `whole`: the slice must be exactly one message.
fn krb_msg(d: &[u8], whole: bool) -> Chk<usize> {
    let mut r = Rd::new(d);
    let (req, mt) = match r.u8()? {
        0x6a => (true, 10),
        0x6b => (false, 11),
        0x6c => (true, 12),
        0x6d => (false, 13),
        0x7e => (false, 30),
        _ => return Err(Miss::No),
    };
    let len = ber_len(&mut r)?;
    let end = r.p + len;
    if whole {
        ensure(end == d.len())?;
    }
    let slen = ber_hdr(&mut r, 0x30)?;
    ensure(r.p + slen == end)?;
    let (pvno_tag, mt_tag) = if req { (0xa1, 0xa2) } else { (0xa0, 0xa1) };
    let n = ber_hdr(&mut r, pvno_tag)?;
    ensure(n == 3)?;
    ensure(ber_int(&mut r, 1)? == 5)?;
    ber_hdr(&mut r, mt_tag)?;
    ensure(ber_int(&mut r, 1)? == mt)?;
    Ok(end)
}

pub(super) fn krb_udp(d: &[u8]) -> Chk<()> {
    krb_msg(d, true).map(|_| ()).map_err(|_| Miss::No)
}

/// TCP: 4-byte record mark (high bit reserved, 0) with the message length.
pub(super) fn krb_tcp(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let len = r.be32()? as usize;
    ensure((20..0x0100_0000).contains(&len))?;
    let end = krb_msg(r.rest(), false)?;
    ensure(end == len)
}

// ---------------------------------------------------------------------------------------------
// NTLMSSP (MS-NLMP §2.2.1)

/// Offset of an NTLMSSP message (signature "NTLMSSP\0", MessageType 1, 2 or 3) in `data`.
pub fn find_ntlmssp(data: &[u8]) -> Option<usize> {
    const SIG: &[u8; 8] = b"NTLMSSP\0";
    let mut from = 0;
    while from + 12 <= data.len() {
        let i = from + crate::find(&data[from..], SIG)?;
        if let Some(t) = data.get(i + 8..i + 12) {
            let ty = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
            // Fixed part: NEGOTIATE 16, CHALLENGE 32, AUTHENTICATE 52 bytes (MS-NLMP 2.2.1).
            let fixed = match ty {
                1 => 16,
                2 => 32,
                3 => 52,
                _ => usize::MAX,
            };
            if fixed != usize::MAX && data.len() - i >= fixed {
                return Some(i);
            }
        }
        from = i + 1;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// RDP: TPKT (RFC 1006) + X.224 (ISO 8073) Connection Request / Confirm with the RDP-specific
// variable part (MS-RDPBCGR 2.2.1.1, 2.2.1.2); RDP-UDP SYN (MS-RDPEUDP 2.2.2.1, 2.2.2.5).

pub(super) fn rdp(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == 3)?;
    ensure(r.u8()? == 0)?;
    let len = usize::from(r.be16()?);
    ensure((11..=1024).contains(&len))?;
    ensure(usize::from(r.u8()?) == len - 5)?; // length indicator
    let code = r.u8()?;
    ensure(code == 0xe0 || code == 0xd0)?;
    let dst_ref = r.be16()?;
    r.skip(2)?; // src ref
    ensure(r.u8()? & 0xf0 == 0)?; // class 0
    if code == 0xe0 {
        ensure(dst_ref == 0)?;
    }
    let var = r.take(len - 11)?;
    if code == 0xe0 {
        rdp_cr_var(var)
    } else {
        // RDP_NEG_RSP (2) or RDP_NEG_FAILURE (3), length 8.
        ensure(var.len() == 8 && (var[0] == 2 || var[0] == 3) && var[2] == 8 && var[3] == 0)
    }
}

fn rdp_cr_var(v: &[u8]) -> Chk<()> {
    let mut p = 0;
    let mut any = false;
    if v.starts_with(b"Cookie: ") {
        // "Cookie: mstshash=..." or a routing token "Cookie: msts=...", ended by CR LF.
        let eol = v.windows(2).position(|w| w == b"\r\n").ok_or(Miss::No)?;
        p = eol + 2;
        any = true;
    }
    if p < v.len() {
        // RDP_NEG_REQ: type 1, flags, length 8, requestedProtocols.
        let n = &v[p..];
        ensure(n.len() >= 8 && n[0] == 1 && n[2] == 8 && n[3] == 0)?;
        p += 8;
        any = true;
        if p < v.len() {
            // RDP_NEG_CORRELATION_INFO: type 6, length 36.
            let c = &v[p..];
            ensure(c.len() == 36 && c[0] == 6 && c[2] == 36 && c[3] == 0)?;
            p += 36;
        }
    }
    ensure(any && p == v.len())
}

/// RDP-UDP SYN or SYN+ACK datagram: snSourceAck -1 with the SYN flag, then the SYN data
/// payload with MTUs within 1132..=1232.
pub(super) fn rdp_udp(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let source_ack = r.be32()?;
    r.skip(2)?; // receive window
    let flags = r.be16()?;
    ensure(flags & 0x0001 != 0)?; // RDPUDP_FLAG_SYN
                                  // A SYN without ACK acknowledges nothing yet (-1).
    ensure(flags & 0x0004 != 0 || source_ack == 0xffff_ffff)?;
    r.skip(4)?; // initial sequence number
    let up = r.be16()?;
    let down = r.be16()?;
    ensure((1132..=1232).contains(&up) && (1132..=1232).contains(&down))?;
    ensure(d.len() >= 1132)
}

// ---------------------------------------------------------------------------------------------
// LDAP (RFC 4511 §4.1.1, 4.2): LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls }

/// `whole`: the slice is one complete message (UDP / CLDAP).
pub(super) fn ldap(d: &[u8], whole: bool) -> Chk<()> {
    let mut r = Rd::new(d);
    let len = ber_hdr(&mut r, 0x30)?;
    let end = r.p + len;
    if whole {
        ensure(end == d.len())?;
    }
    let id = ber_int(&mut r, 4)?;
    ensure(id >= 0)?;
    let tag = r.u8()?;
    let n = tag & 0x1f;
    let constructed = tag & 0xe0 == 0x60;
    let primitive = tag & 0xe0 == 0x40;
    ensure(
        (constructed && matches!(n, 0 | 1 | 3..=9 | 11..=15 | 19 | 23..=25))
            || (primitive && matches!(n, 2 | 10 | 16)),
    )?;
    let oplen = ber_len(&mut r)?;
    ensure(r.p + oplen <= end)?;
    if primitive {
        return match n {
            2 => ensure(oplen == 0),               // UnbindRequest NULL
            10 => ensure(oplen >= 1),              // DelRequest LDAPDN
            _ => ensure((1..=4).contains(&oplen)), // AbandonRequest MessageID
        };
    }
    match n {
        // BindRequest: version 1..=3, name.
        0 => {
            let v = ber_int(&mut r, 1)?;
            ensure((1..=3).contains(&v))?;
            ensure(r.u8()? == 0x04)
        }
        // Responses: LDAPResult starts with resultCode ENUMERATED.
        1 | 5 | 7 | 9 | 11 | 13 | 15 | 24 => {
            ensure(r.u8()? == 0x0a)?;
            let l = ber_len(&mut r)?;
            ensure((1..=2).contains(&l))
        }
        // SearchRequest: baseObject, scope 0..=2.
        3 => {
            let l = ber_hdr(&mut r, 0x04)?;
            r.skip(l)?;
            ensure(ber_hdr(&mut r, 0x0a)? == 1)?;
            ensure(r.u8()? <= 2)
        }
        // Entries and requests naming an entry first.
        4 | 6 | 8 | 12 | 14 | 19 => ensure(r.u8()? == 0x04),
        // ExtendedRequest: requestName [0].
        23 => ensure(r.u8()? == 0x80),
        // IntermediateResponse: optional [0] / [1], possibly empty.
        _ => {
            if oplen == 0 {
                return Ok(());
            }
            ensure(matches!(r.u8()?, 0x80 | 0x81))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SNMP (RFC 1157, RFC 3416, RFC 3412 §6)

pub(super) fn snmp(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let len = ber_hdr(&mut r, 0x30)?;
    ensure(r.p + len == d.len())?;
    let v = ber_int(&mut r, 1)?;
    match v {
        0 | 1 => {
            let cl = ber_hdr(&mut r, 0x04)?;
            ensure(cl <= 255)?;
            r.skip(cl)?;
            let pdu = r.u8()?;
            ensure(if v == 0 {
                (0xa0..=0xa4).contains(&pdu)
            } else {
                (0xa0..=0xa8).contains(&pdu) && pdu != 0xa4
            })?;
            let pl = ber_len(&mut r)?;
            ensure(r.p + pl == d.len())?;
            if pdu == 0xa4 {
                ensure(r.u8()? == 0x06) // Trap-PDU: enterprise OID
            } else {
                ber_int(&mut r, 4).map(|_| ()) // request-id
            }
        }
        3 => {
            // msgGlobalData: msgID, msgMaxSize (>= 484), msgFlags (1 byte), msgSecurityModel.
            ber_hdr(&mut r, 0x30)?;
            ber_int(&mut r, 5)?;
            let max = ber_int(&mut r, 5)?;
            ensure(max >= 484)?;
            ensure(ber_hdr(&mut r, 0x04)? == 1)?;
            r.skip(1)?;
            let model = ber_int(&mut r, 5)?;
            ensure((1..=3).contains(&model))
        }
        _ => Err(Miss::No),
    }
}

// ---------------------------------------------------------------------------------------------
// DHCP (RFC 2131 §2, RFC 2132)

pub(super) fn dhcp(d: &[u8]) -> Chk<()> {
    ensure(d.len() >= 240)?;
    let mut r = Rd::new(d);
    let op = r.u8()?;
    let htype = r.u8()?;
    let hlen = r.u8()?;
    let hops = r.u8()?;
    ensure(op == 1 || op == 2)?;
    ensure(htype <= 32 && hlen <= 16 && hops <= 16)?;
    ensure(htype != 1 || hlen == 6)?;
    ensure(d[236..240] == [0x63, 0x82, 0x53, 0x63])?;
    // Options: well formed up to END (or the end of the datagram).
    let mut r = Rd::at(d, 240);
    let mut seen = 0;
    while r.left() > 0 {
        match r.u8()? {
            0 => {}
            255 => return ensure(seen > 0),
            _ => {
                let l = usize::from(r.u8().map_err(|_| Miss::No)?);
                r.skip(l).map_err(|_| Miss::No)?;
                seen += 1;
            }
        }
    }
    ensure(seen > 0)
}

// ---------------------------------------------------------------------------------------------
// NTP (RFC 5905 §7.3; control messages RFC 9327; mode 7 "private" requests of ntpd)

/// An NTP timestamp that is either unset (zero) or plausible: seconds since 1900 after 1985
/// (era 0; captures from after 2036 would need era 1) with any fraction.
fn ntp_ts_ok(t: &[u8]) -> bool {
    let secs = u32::from_be_bytes([t[0], t[1], t[2], t[3]]);
    t == [0; 8] || secs >= 0xa000_0000
}

pub(super) fn ntp(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let b0 = r.u8()?;
    let vn = (b0 >> 3) & 7;
    let mode = b0 & 7;
    match mode {
        1..=5 => {
            ensure((1..=4).contains(&vn))?;
            // Header 48 bytes; then a MAC (key id + MD5 / SHA-1 digest, or a bare key id for
            // a crypto-NAK) and/or extension fields (RFC 7822).
            let extra = d.len().checked_sub(48).ok_or(Miss::No)?;
            ensure(matches!(extra, 0 | 4 | 20 | 24) || (extra >= 16 && extra.is_multiple_of(4)))?;
            let stratum = r.u8()?;
            let poll = r.u8()? as i8;
            let precision = r.u8()? as i8;
            ensure(stratum <= 16)?;
            ensure((-8..=17).contains(&poll))?;
            // The classic minimal SNTP query: everything but the first byte zero.
            if mode == 3 && d.len() == 48 && d[1..].iter().all(|&b| b == 0) {
                return Ok(());
            }
            // A data-minimised client request (draft-ietf-ntp-data-minimization, as chrony
            // sends): stratum 0, root delay/dispersion, reference id and the first three
            // timestamps zero, the transmit timestamp a random cookie; precision is not
            // meaningful there.
            if mode == 3 && stratum == 0 && d[4..40].iter().all(|&b| b == 0) {
                return ensure(d[40..48] != [0; 8]);
            }
            ensure((-32..=0).contains(&precision))?;
            // Reference, origin, receive and transmit timestamps; the transmit one is set. A
            // server's origin timestamp echoes the client's transmit timestamp, which may be
            // such a random cookie, so it is not checked in server replies.
            ensure(
                d[16..48]
                    .chunks(8)
                    .enumerate()
                    .all(|(i, t)| (mode == 4 && i == 1) || ntp_ts_ok(t)),
            )?;
            ensure(d[40..48] != [0; 8])
        }
        6 => {
            // Control message: 12-byte header, count bytes of data padded to 4, optional MAC.
            ensure((1..=4).contains(&vn) && b0 >> 6 == 0)?;
            let op = r.u8()?;
            ensure((1..=31).contains(&(op & 0x1f)))?;
            r.skip(8)?;
            let count = usize::from(r.be16()?);
            ensure(count <= 468 && d.len() >= 12 + count && d.len() <= 12 + count + 3 + 24)
        }
        7 => {
            // ntpd private ("ntpdc") message: R/M bits, version, A bit + sequence,
            // implementation (0, 2, 3), request code, err + item count, MBZ + item size.
            ensure((1..=4).contains(&vn))?;
            let response = b0 & 0x80 != 0;
            r.skip(1)?;
            let implementation = r.u8()?;
            ensure(matches!(implementation, 0 | 2 | 3))?;
            ensure(r.u8()? <= 45)?; // request code
            let e = r.be16()?;
            let s = r.be16()?;
            let (err, items) = (e >> 12, usize::from(e & 0x0fff));
            ensure(s >> 12 == 0)?;
            let size = usize::from(s & 0x0fff);
            ensure(size <= 500 && (items == 0 || size > 0))?;
            let data = items * size;
            if response {
                ensure(err <= 7 && err != 6)?;
                ensure(d.len() >= 8 + data && d.len() <= 8 + data + 24)
            } else {
                // Requests carry no error, and are padded to 48 bytes, or 192 with a MAC.
                ensure(err == 0 && 8 + data <= d.len())?;
                ensure(matches!(d.len(), 48 | 192) || d.len() == 8 + data)
            }
        }
        _ => Err(Miss::No),
    }
}

// ---------------------------------------------------------------------------------------------
// MySQL (client/server protocol: Protocol::HandshakeV10)

pub(super) fn mysql_greeting(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let len = r.le24()? as usize;
    ensure((32..=1024).contains(&len))?;
    ensure(r.u8()? == 0)?; // sequence id
    ensure(r.u8()? == 10)?; // protocol version
    let ver = token(&mut r, 64, 0, |b| (0x20..0x7f).contains(&b))?;
    ensure(ver[0].is_ascii_digit())?;
    r.skip(4 + 8)?; // connection id, auth-plugin-data-part-1
    ensure(r.u8()? == 0)?; // filler
    ensure(r.p + 2 <= 4 + len)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (frontend/backend protocol: StartupMessage, SSLRequest, GSSENCRequest,
// CancelRequest; AuthenticationXXX)

pub(super) fn pgsql_client(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let len = r.be32()? as usize;
    ensure((8..=10_000).contains(&len))?;
    let code = r.be32()?;
    match code {
        // Protocol 3.0 (and 2.0) StartupMessage: parameter name/value pairs.
        0x0003_0000 | 0x0002_0000 => {
            ensure((9..=10_000).contains(&len))?;
            let name = token(&mut r, 64, 0, |b| b.is_ascii_lowercase() || b == b'_')?;
            ensure(name.len() >= 4)?;
            if d.len() >= len {
                ensure(d[len - 1] == 0)?;
            }
            Ok(())
        }
        80_877_103 | 80_877_104 => ensure(len == 8),
        80_877_102 => ensure(len == 16),
        _ => Err(Miss::No),
    }
}

pub(super) fn pgsql_server(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == b'R')?;
    let len = r.be32()? as usize;
    let ty = r.be32()?;
    match ty {
        // AuthenticationOk: then ParameterStatus / BackendKeyData / ReadyForQuery / notice.
        0 => {
            ensure(len == 8)?;
            ensure(matches!(r.u8()?, b'S' | b'K' | b'Z' | b'N' | b'E'))?;
            let l = r.be32()?;
            ensure((4..=10_000).contains(&l))
        }
        2 | 3 | 7 | 9 => ensure(len == 8),
        5 => ensure(len == 12),
        // AuthenticationSASL: list of mechanism names.
        10 => {
            ensure((10..=1000).contains(&len))?;
            r.lit(b"SCRAM-SHA-256")
        }
        8 | 11 | 12 => ensure((8..=10_000).contains(&len)),
        _ => Err(Miss::No),
    }
}

// ---------------------------------------------------------------------------------------------
// DNP3 (IEEE 1815 data link layer: start 0x0564, length, control, addresses, header CRC)

/// CRC-16/DNP (reflected polynomial 0xA6BC, initial 0, final complement) of `d`.
fn crc16_dnp(d: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in d {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa6bc
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A DNP3 link-layer frame header: the start bytes, a length of at least 5 and the header's
/// own CRC over its first eight bytes (so ten bytes that a random stream matches with
/// probability 2^-32).
pub(super) fn dnp3(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    r.lit(&[0x05, 0x64])?;
    ensure(r.u8()? >= 5)?;
    r.skip(5)?;
    let crc = r.le16()?;
    ensure(crc == crc16_dnp(&d[..8]))
}

// ---------------------------------------------------------------------------------------------
// MQTT (OASIS MQTT 3.1.1 and 5.0: CONNECT, CONNACK)

/// MQTT's variable-length "remaining length" (1 to 4 bytes).
fn mqtt_len(r: &mut Rd) -> Chk<usize> {
    let mut v = 0usize;
    for i in 0..4 {
        let b = r.u8()?;
        v |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Miss::No)
}

/// A client's CONNECT: type 1 with zero flags, then the protocol name "MQTT" (level 4 or 5) or
/// "MQIsdp" (level 3), connect flags with the reserved bit clear.
pub(super) fn mqtt_connect(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == 0x10)?;
    let len = mqtt_len(&mut r)?;
    ensure(len >= 10)?;
    match r.be16()? {
        4 => {
            r.lit(b"MQTT")?;
            ensure(matches!(r.u8()?, 4 | 5))?;
        }
        6 => {
            r.lit(b"MQIsdp")?;
            ensure(r.u8()? == 3)?;
        }
        _ => return Err(Miss::No),
    }
    ensure(r.u8()? & 1 == 0)
}

/// A server's MQTT 5.0 CONNACK: type 2, acknowledge flags 0 or 1, a defined reason code, and a
/// property length that accounts exactly for the rest of the packet. (The 3.1.1 CONNACK is four
/// bytes with little structure; it is left to the CONNECT that precedes it.)
pub(super) fn mqtt5_connack(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == 0x20)?;
    let len = mqtt_len(&mut r)?;
    ensure(len >= 3)?;
    ensure(r.u8()? <= 1)?;
    let reason = r.u8()?;
    ensure(matches!(reason, 0 | 0x80..=0x9f))?;
    let start = r.p;
    let props = mqtt_len(&mut r)?;
    ensure(props > 0 && 2 + (r.p - start) + props == len)?;
    // The first property is one CONNACK may carry (MQTT 5.0, 3.2.2.3).
    ensure(matches!(
        r.u8()?,
        0x11 | 0x12
            | 0x13
            | 0x15
            | 0x16
            | 0x1a
            | 0x1c
            | 0x1f
            | 0x21
            | 0x22
            | 0x24
            | 0x25
            | 0x26
            | 0x27
            | 0x28
            | 0x29
            | 0x2a
    ))
}

// ---------------------------------------------------------------------------------------------
// RFB (RFC 6143: the ProtocolVersion handshake message)

/// "RFB xxx.yyy\n", twelve bytes, sent first by the server and echoed by the client.
pub(super) fn rfb(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    r.lit(b"RFB ")?;
    for _ in 0..3 {
        ensure(r.u8()?.is_ascii_digit())?;
    }
    ensure(r.u8()? == b'.')?;
    for _ in 0..3 {
        ensure(r.u8()?.is_ascii_digit())?;
    }
    ensure(r.u8()? == b'\n')
}

// ---------------------------------------------------------------------------------------------
// Telnet (RFC 854/855: option negotiation)

/// A stream that opens with option negotiation: at least two consecutive IAC commands, each
/// WILL/WONT/DO/DONT with an option code, or a complete subnegotiation (IAC SB ... IAC SE).
pub(super) fn telnet(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    let mut n = 0;
    while n < 2 {
        ensure(r.u8()? == 0xff)?;
        match r.u8()? {
            0xfb..=0xfe => {
                let opt = r.u8()?;
                ensure(opt <= 50 || opt == 0xff)?;
            }
            0xfa => {
                let opt = r.u8()?;
                ensure(opt <= 50)?;
                // Option data up to IAC SE, at most 64 bytes.
                let body = r.rest();
                let end = body.windows(2).take(64).position(|w| w == [0xff, 0xf0]);
                match end {
                    Some(i) => r.skip(i + 2)?,
                    None if body.len() < 66 => return Err(Miss::Short),
                    None => return Err(Miss::No),
                }
            }
            _ => return Err(Miss::No),
        }
        n += 1;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// BitTorrent DHT (BEP 5: KRPC messages, bencoded dictionaries over UDP)

/// One bencoded value at the cursor; `depth` bounds the nesting. Returns the string's bytes
/// for byte strings (empty for other values).
fn bencode<'a>(r: &mut Rd<'a>, depth: u8) -> Chk<&'a [u8]> {
    ensure(depth < 8)?;
    match r.u8()? {
        b'i' => {
            if r.d.get(r.p) == Some(&b'-') {
                r.skip(1)?;
            }
            r.digits(20)?;
            ensure(r.u8()? == b'e')?;
            Ok(&[])
        }
        b'l' => {
            while r.d.get(r.p).ok_or(Miss::Short)? != &b'e' {
                bencode(r, depth + 1)?;
            }
            r.skip(1)?;
            Ok(&[])
        }
        b'd' => {
            bencode_dict(r, depth + 1, |_, _| {})?;
            Ok(&[])
        }
        b'0'..=b'9' => {
            r.p -= 1;
            let n = r.digits(6)? as usize;
            ensure(r.u8()? == b':')?;
            r.take(n)
        }
        _ => Err(Miss::No),
    }
}

/// The entries of a dictionary whose `d` was just read, up to and including its `e`; keys must
/// be byte strings. `each` sees every key with its value.
fn bencode_dict<'a>(
    r: &mut Rd<'a>,
    depth: u8,
    mut each: impl FnMut(&'a [u8], &'a [u8]),
) -> Chk<()> {
    while r.d.get(r.p).ok_or(Miss::Short)? != &b'e' {
        ensure(r.d[r.p].is_ascii_digit())?;
        let k = bencode(r, depth)?;
        let v = bencode(r, depth)?;
        each(k, v);
    }
    r.skip(1)
}

/// A KRPC message: a datagram that is exactly one bencoded dictionary with a transaction id
/// `t` and a message type `y` of `q`, `r` or `e`, and the body key that type requires
/// (`a` with `q`, `r`, `e`).
pub(super) fn bittorrent_dht(d: &[u8]) -> Chk<()> {
    let mut r = Rd::new(d);
    ensure(r.u8()? == b'd')?;
    let (mut t, mut y, mut body) = (false, None, [false; 3]);
    bencode_dict(&mut r, 1, |k, v| match k {
        b"t" => t = true,
        b"y" => y = Some(v),
        b"a" => body[0] = true,
        b"r" => body[1] = true,
        b"e" => body[2] = true,
        _ => {}
    })?;
    ensure(r.left() == 0 && t)?;
    match y {
        Some(b"q") => ensure(body[0]),
        Some(b"r") => ensure(body[1]),
        Some(b"e") => ensure(body[2]),
        _ => Err(Miss::No),
    }
}

// ---------------------------------------------------------------------------------------------
// Line-based mail and file transfer protocols (SMTP, FTP, POP3, IMAP).

/// Server greeting hints.
pub(super) const G_220: u16 = 1 << 0;
pub(super) const G_220_SMTP: u16 = 1 << 1;
pub(super) const G_220_FTP: u16 = 1 << 2;
pub(super) const G_POP: u16 = 1 << 3;
pub(super) const G_IMAP: u16 = 1 << 4;
/// A reply line other than a greeting ("227 Entering Passive Mode", "150 ..."): what a capture
/// that starts in the middle of an FTP (or SMTP) session shows.
pub(super) const G_REPLY: u16 = 1 << 5;
/// Client command hints.
pub(super) const C_FTP: u16 = 1 << 8;
pub(super) const C_POP: u16 = 1 << 9;
pub(super) const C_SMTP: u16 = 1 << 10;
/// Any well-formed command line (a verb of 3-8 letters).
pub(super) const C_LINE: u16 = 1 << 11;
/// A command only FTP has (PASV, RETR, CWD, ...).
pub(super) const C_FTP_ONLY: u16 = 1 << 12;
/// The line is a bare `QUIT`, which SMTP, FTP and POP3 share.
pub(super) const C_QUIT: u16 = 1 << 13;
pub(super) const GREETINGS: u16 = 0x00ff;
pub(super) const COMMANDS: u16 = 0xff00;

fn contains_nocase(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// "220 " / "220-" (SMTP, FTP), "+OK" (POP3), "* OK" / "* PREAUTH" (IMAP).
pub(super) fn greeting(d: &[u8]) -> Chk<u16> {
    let line_end = d
        .iter()
        .take(512)
        .position(|&b| b == b'\n')
        .unwrap_or(d.len().min(512));
    let line = &d[..line_end];
    let text_ok = line.iter().all(|&b| b >= 0x20 || b == b'\t' || b == b'\r');
    let mut r = Rd::new(d);
    let first = r.u8()?;
    let res = match first {
        b'2' if d.get(1..3) == Some(b"20") => {
            r.lit(b"20")?;
            ensure(matches!(r.u8()?, b' ' | b'-'))?;
            let mut h = G_220;
            if contains_nocase(line, b"SMTP") {
                h |= G_220_SMTP;
            }
            if contains_nocase(line, b"FTP") {
                h |= G_220_FTP;
            }
            h
        }
        b'1'..=b'5' => {
            // Any other three-digit reply.
            ensure(r.u8()?.is_ascii_digit() && r.u8()?.is_ascii_digit())?;
            ensure(matches!(r.u8()?, b' ' | b'-'))?;
            G_REPLY
        }
        b'+' => {
            r.lit(b"OK")?;
            ensure(matches!(r.u8()?, b' ' | b'\r' | b'\n'))?;
            G_POP
        }
        b'*' => {
            r.lit(b" ")?;
            match r.u8()? {
                b'O' => r.lit(b"K ")?,
                b'P' => r.lit(b"REAUTH ")?,
                _ => return Err(Miss::No),
            }
            G_IMAP
        }
        _ => return Err(Miss::No),
    };
    ensure(text_ok)?;
    Ok(res)
}

const FTP_FIRST: &[&[u8]] = &[
    b"USER", b"AUTH", b"FEAT", b"SYST", b"OPTS", b"CLNT", b"HOST", b"PBSZ", b"PASV", b"EPSV",
    b"PWD", b"CWD", b"TYPE", b"LIST", b"PORT", b"EPRT", b"ACCT",
];
/// FTP commands neither SMTP, POP3 nor IMAP has: with a reply from the server they identify an
/// FTP session whose greeting the capture missed.
const FTP_ONLY: &[&[u8]] = &[
    b"PASV", b"EPSV", b"TYPE", b"PWD", b"CWD", b"CDUP", b"PORT", b"EPRT", b"RETR", b"STOR",
    b"SIZE", b"MDTM", b"NLST", b"MLSD", b"MLST", b"RNFR", b"RNTO", b"MKD", b"RMD", b"SYST",
    b"FEAT",
];
const POP_FIRST: &[&[u8]] = &[
    b"USER", b"CAPA", b"AUTH", b"APOP", b"STLS", b"UIDL", b"STAT",
];
/// POP3 commands no other protocol here starts with.
pub(super) const POP_ONLY: &[&[u8]] = &[b"CAPA", b"APOP", b"STLS"];
const IMAP_FIRST: &[&[u8]] = &[
    b"CAPABILITY",
    b"LOGIN",
    b"AUTHENTICATE",
    b"STARTTLS",
    b"ID",
    b"NOOP",
    b"SELECT",
    b"EXAMINE",
    b"LOGOUT",
    b"LIST",
    b"ENABLE",
];

/// What a client's first command line says.
pub(super) struct Command {
    pub hints: u16,
    /// The line alone identifies the protocol.
    pub service: Option<Service>,
}

pub(super) fn command(d: &[u8]) -> Chk<Command> {
    // IMAP: tag SP command (SP | CRLF).
    if let Ok(s) = imap_tagged(d) {
        return Ok(Command {
            hints: 0,
            service: Some(s),
        });
    }
    let mut r = Rd::new(d);
    let start = r.p;
    loop {
        let b = r.u8()?;
        if b.is_ascii_alphabetic() && r.p - start <= 8 {
            continue;
        }
        ensure(matches!(b, b' ' | b'\r' | b'\n') && r.p - start >= 4)?;
        break;
    }
    let verb = &d[start..r.p - 1];
    let mut up = [0u8; 8];
    up[..verb.len()].copy_from_slice(verb);
    up.make_ascii_uppercase();
    let verb = &up[..verb.len()];
    let mut hints = C_LINE;
    let mut service = None;
    if verb == b"EHLO" || verb == b"HELO" {
        ensure(d[r.p - 1] == b' ')?;
        hints |= C_SMTP;
        service = Some(Service::Smtp);
    }
    if FTP_FIRST.contains(&verb) {
        hints |= C_FTP;
    }
    if FTP_ONLY.contains(&verb) {
        hints |= C_FTP_ONLY;
    }
    if POP_FIRST.contains(&verb) {
        hints |= C_POP;
    }
    if POP_ONLY.contains(&verb) {
        service = Some(Service::Pop3);
    }
    if verb == b"QUIT" && matches!(r.rest(), b"" | b"\n" | b"\r" | b"\r\n") {
        hints |= C_QUIT;
    }
    // The rest of the line is text.
    let rest = r.rest();
    let eol = rest.iter().take(512).position(|&b| b == b'\n');
    let line = &rest[..eol.unwrap_or(rest.len().min(512))];
    ensure(line.iter().all(|&b| b >= 0x20 || b == b'\t' || b == b'\r'))?;
    Ok(Command { hints, service })
}

fn imap_tagged(d: &[u8]) -> Chk<Service> {
    let mut r = Rd::new(d);
    token(&mut r, 20, b' ', |b| b.is_ascii_alphanumeric() || b == b'.')?;
    let start = r.p;
    loop {
        let b = r.u8()?;
        if b.is_ascii_alphabetic() && r.p - start <= 12 {
            continue;
        }
        ensure(matches!(b, b' ' | b'\r' | b'\n'))?;
        break;
    }
    let verb = &d[start..r.p - 1];
    ensure(IMAP_FIRST.iter().any(|c| c.eq_ignore_ascii_case(verb)))?;
    Ok(Service::Imap)
}

/// Combines one side's greeting hints with the other side's command hints.
pub(super) fn combine(greet: u16, cmd: u16) -> Option<Service> {
    if greet & G_220 != 0 {
        if cmd & C_SMTP != 0 {
            return Some(Service::Smtp);
        }
        if cmd & C_FTP != 0 {
            return Some(Service::Ftp);
        }
        if cmd & C_LINE != 0 {
            let smtp = greet & G_220_SMTP != 0;
            let ftp = greet & G_220_FTP != 0;
            if ftp && !smtp {
                return Some(Service::Ftp);
            }
            if smtp && !ftp {
                return Some(Service::Smtp);
            }
        }
    }
    if greet & G_POP != 0 && cmd & (C_POP | C_LINE) != 0 {
        return Some(Service::Pop3);
    }
    // Mid-session FTP: an FTP-only command answered by a three-digit reply.
    if greet & (G_REPLY | G_220) != 0 && cmd & C_FTP_ONLY != 0 {
        return Some(Service::Ftp);
    }
    None
}
