//! Port-independent protocol identification.
//!
//! A [`Detector`] lives in every flow until it decides. It is fed the first bytes of each
//! direction (for TCP the reassembled stream prefix, again as it grows; for UDP each datagram)
//! and checks them against one structural rule per protocol ([`rules`]): fixed fields, lengths
//! that must agree with each other and with the data, enumerations of legal values — never a
//! single magic byte. Ports only break ties between protocols whose content rules both matched
//! (DNS vs. mDNS vs. LLMNR vs. NBNS share one message format); they are never the sole
//! evidence. Two rules are gated by a port as well: a versionless HTTP/0.9 request line counts only
//! towards a well-known HTTP port, and a client's lone `QUIT` line (shared by SMTP, FTP and POP3,
//! with no server greeting seen) only towards the registered port of one of them (content is
//! still required). A DNS-shaped message whose opcode no specification assigns counts only on
//! the DNS port.
//!
//! Line protocols that open with a server greeting (SMTP, FTP, POP3, IMAP) are decided from the
//! greeting together with the client's first command, or from a client command that no other
//! protocol uses (`EHLO`, `CAPA`, a tagged IMAP `CAPABILITY`, ...).
//!
//! A UDP datagram whose content is one protocol's, sent to a port registered to another, does not
//! decide at once: later datagrams may show the port's own protocol (which then wins); when none
//! does, the first match stands (at the latest when the connection ends).
//!
//! The detector is 11 bytes and never allocates: it keeps per direction only whether more bytes
//! could still change the answer and which greeting/command hints were seen.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::find_ntlmssp;

use crate::{Direction, Service};
use rules::{Chk, Miss};

/// Transport protocol of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    fn ip_proto(self) -> u8 {
        match self {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        }
    }
}

/// Outcome of feeding data to a [`Detector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The flow speaks this protocol (final).
    Match(Service),
    /// Undecided: feed more data.
    NeedMore,
    /// No supported protocol (final): stop feeding.
    NoMatch,
}

/// A TCP direction whose prefix reached this many bytes without a decision is judged on what it
/// has: rules still waiting for bytes count as failed.
pub const MAX_PREFIX: usize = 4096;
/// UDP datagrams examined before giving up.
pub const MAX_DATAGRAMS: u8 = 6;
/// Calls to [`Detector::feed`] (with data) before giving up.
pub const MAX_FEEDS: u8 = 48;

/// Per-direction progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Side {
    /// Nothing seen yet.
    #[default]
    Unseen,
    /// Some rule needs more bytes of this direction.
    Partial,
    /// Only greeting / command hints, waiting for the other direction.
    Hint,
    /// Nothing in this direction can match.
    Rejected,
}

/// Per-connection detection state (small; lives in every flow until decided).
#[derive(Debug, Clone, Default)]
pub struct Detector {
    decided: Option<Service>,
    /// UDP: a content match off its own port, sent to a port registered to another protocol;
    /// held while later datagrams may show that protocol, reported if none does.
    deferred: Option<Service>,
    gave_up: bool,
    feeds: u8,
    datagrams: u8,
    orig: Side,
    resp: Side,
    orig_hints: u16,
    resp_hints: u16,
}

/// Candidate services found in one evaluation, as bit sets indexed by [`PRIORITY`] position.
#[derive(Default)]
struct Cands {
    /// Content matches.
    primary: u32,
    /// Same message format, selectable only when the port is theirs (DNS-family siblings).
    alternate: u32,
    /// Weak content, selectable only on the protocol's own port, even with no other match.
    gated: u32,
}

/// Preference among content matches when no port breaks the tie.
const PRIORITY: [Service; 30] = [
    Service::Dhcp,
    Service::Quic,
    Service::Dtls,
    Service::Tls,
    Service::Ssh,
    Service::Smb,
    Service::Kerberos,
    Service::Rdp,
    Service::DceRpc,
    Service::Ldap,
    Service::Snmp,
    Service::Http,
    Service::Sip,
    Service::Mysql,
    Service::Postgresql,
    Service::Dnp3,
    Service::Mqtt,
    Service::Rfb,
    Service::Telnet,
    Service::BittorrentDht,
    Service::Smtp,
    Service::Ftp,
    Service::Pop3,
    Service::Imap,
    Service::Nbns,
    Service::Mdns,
    Service::Llmnr,
    Service::Dns,
    Service::Ntp,
    Service::Ntlm,
];

fn bit(s: Service) -> u32 {
    let i = PRIORITY.iter().position(|&p| p == s).unwrap_or(0);
    1 << i
}

impl Cands {
    fn add(&mut self, s: Service) {
        self.primary |= bit(s);
    }
    fn add_alt(&mut self, s: Service) {
        self.alternate |= bit(s);
    }
    fn add_gated(&mut self, s: Service) {
        self.gated |= bit(s);
    }
    fn is_empty(&self) -> bool {
        self.primary == 0
    }
    /// The match to report: a candidate on its registered responder port, then one on its
    /// registered originator port, then the first content match in [`PRIORITY`] order.
    fn pick(&self, t: Transport, orig_port: u16, resp_port: u16) -> Option<Service> {
        if self.primary == 0 && self.gated == 0 {
            return None;
        }
        let all = self.primary | self.alternate | self.gated;
        for port in [resp_port, orig_port] {
            for (i, &s) in PRIORITY.iter().enumerate() {
                if all & (1 << i) != 0 && on_registered_port(s, t, port) {
                    return Some(s);
                }
            }
        }
        PRIORITY
            .iter()
            .enumerate()
            .find(|(i, _)| self.primary & (1 << i) != 0)
            .map(|(_, &s)| s)
    }
}

fn on_registered_port(s: Service, t: Transport, port: u16) -> bool {
    s.registered_ports()
        .iter()
        .any(|&(p, n)| p == t.ip_proto() && n == port)
}

/// Whether `service` seen on (transport, resp_port) is on a port that is not its registered one.
/// Protocols without a port of their own (NTLM, carried inside others) are never off-port.
pub fn off_port(service: Service, t: Transport, resp_port: u16) -> bool {
    !service.registered_ports().is_empty() && !on_registered_port(service, t, resp_port)
}

/// DNS-format message: the preferred reading from content, plus its siblings for the port
/// tie-break.
fn add_dns_family(c: &mut Cands, info: &rules::DnsInfo) {
    if info.unassigned_opcode() {
        // A DNS-shaped message with an opcode nothing assigns: DNS only on the DNS port.
        c.add_gated(Service::Dns);
        return;
    }
    let nb_type = matches!(info.qtype, 0x20 | 0x21);
    let nbns = info.nb_name && (nb_type || info.opcode >= 5);
    let preferred = if nbns {
        Service::Nbns
    } else if info.local && info.id == 0 {
        Service::Mdns
    } else {
        Service::Dns
    };
    c.add(preferred);
    c.add_alt(Service::Dns);
    c.add_alt(Service::Mdns);
    c.add_alt(Service::Llmnr);
    if nbns || nb_type {
        c.add_alt(Service::Nbns);
    }
}

/// Runs `rule`; records `Short` in `short`.
fn run(short: &mut bool, res: Chk<()>) -> bool {
    match res {
        Ok(()) => true,
        Err(Miss::Short) => {
            *short = true;
            false
        }
        Err(Miss::No) => false,
    }
}

/// All TCP rules over one direction's prefix. Returns whether some rule wants more bytes, and
/// the greeting/command hints. `simple_http` admits the versionless HTTP/0.9 request line (the
/// originator's data towards a well-known HTTP port).
fn eval_tcp(d: &[u8], simple_http: bool, c: &mut Cands) -> (bool, u16) {
    let mut short = false;
    let mut hints = 0u16;
    if run(&mut short, rules::tls_hello(d)) || run(&mut short, rules::tls_records(d)) {
        c.add(Service::Tls);
    }
    if run(&mut short, rules::ssh(d)) {
        c.add(Service::Ssh);
    }
    if run(&mut short, rules::smb(d)) {
        c.add(Service::Smb);
    }
    if run(&mut short, rules::krb_tcp(d)) {
        c.add(Service::Kerberos);
    }
    if run(&mut short, rules::rdp(d)) {
        c.add(Service::Rdp);
    }
    if run(&mut short, rules::dcerpc_co(d)) {
        c.add(Service::DceRpc);
    }
    if run(&mut short, rules::ldap(d, false)) {
        c.add(Service::Ldap);
    }
    if run(&mut short, rules::http_request(d))
        || run(&mut short, rules::http_response(d))
        || (simple_http && run(&mut short, rules::http_simple_request(d)))
    {
        c.add(Service::Http);
    }
    if run(&mut short, rules::sip(d)) {
        c.add(Service::Sip);
    }
    if run(&mut short, rules::mysql_greeting(d)) {
        c.add(Service::Mysql);
    }
    if run(&mut short, rules::pgsql_client(d)) || run(&mut short, rules::pgsql_server(d)) {
        c.add(Service::Postgresql);
    }
    if run(&mut short, rules::dnp3(d)) {
        c.add(Service::Dnp3);
    }
    if run(&mut short, rules::mqtt_connect(d)) || run(&mut short, rules::mqtt5_connack(d)) {
        c.add(Service::Mqtt);
    }
    if run(&mut short, rules::rfb(d)) {
        c.add(Service::Rfb);
    }
    if run(&mut short, rules::telnet(d)) {
        c.add(Service::Telnet);
    }
    match rules::dns_tcp(d) {
        Ok(info) => add_dns_family(c, &info),
        Err(Miss::Short) => short = true,
        Err(Miss::No) => {}
    }
    match rules::greeting(d) {
        Ok(h) => hints |= h,
        Err(Miss::Short) => short = true,
        Err(Miss::No) => {}
    }
    match rules::command(d) {
        Ok(cmd) => {
            hints |= cmd.hints;
            if let Some(s) = cmd.service {
                c.add(s);
            }
        }
        Err(Miss::Short) => short = true,
        Err(Miss::No) => {}
    }
    if c.is_empty() && hints == 0 && find_ntlmssp(d).is_some() {
        c.add(Service::Ntlm);
    }
    (short, hints)
}

/// Whether `d` is made exactly of DTLS records (for the DTLS parser's mid-session
/// confirmation).
pub(crate) fn dtls_records_ok(d: &[u8]) -> bool {
    rules::dtls_records(d).is_ok()
}

/// Whether `v` is a DTLS version (see the detector's rule).
pub(crate) fn is_dtls_version(v: u16) -> bool {
    rules::is_dtls_version(v)
}

/// All UDP rules over one datagram.
/// `quic_port`: the datagram goes to or comes from QUIC's registered port, which admits a
/// long header of an unknown version (weak content).
fn eval_udp(d: &[u8], quic_port: bool, c: &mut Cands) {
    let ok = |r: Chk<()>| r.is_ok();
    if ok(rules::dhcp(d)) {
        c.add(Service::Dhcp);
    }
    if ok(rules::quic(d)) {
        c.add(Service::Quic);
    }
    if ok(rules::dtls_hello(d)) || ok(rules::dtls_records(d)) {
        c.add(Service::Dtls);
    }
    if ok(rules::krb_udp(d)) {
        c.add(Service::Kerberos);
    }
    if ok(rules::ldap(d, true)) {
        c.add(Service::Ldap);
    }
    if ok(rules::snmp(d)) {
        c.add(Service::Snmp);
    }
    if ok(rules::sip(d)) {
        c.add(Service::Sip);
    }
    if ok(rules::dcerpc_cl(d)) {
        c.add(Service::DceRpc);
    }
    if ok(rules::rdp_udp(d)) {
        c.add(Service::Rdp);
    }
    if let Ok(info) = rules::dns_udp(d) {
        add_dns_family(c, &info);
    }
    if ok(rules::ntp(d)) {
        c.add(Service::Ntp);
    }
    if ok(rules::dnp3(d)) {
        c.add(Service::Dnp3);
    }
    if ok(rules::bittorrent_dht(d)) {
        c.add(Service::BittorrentDht);
    }
    if c.is_empty() && find_ntlmssp(d).is_some() {
        c.add(Service::Ntlm);
    }
    // Weakest evidence last: any content match (DNSCrypt's random-looking header can pass the
    // invariant check) wins over it.
    if c.is_empty() && quic_port && ok(rules::quic_unknown_version(d)) {
        c.add(Service::Quic);
    }
}

/// QUIC's registered UDP port (HTTP/3).
const QUIC_PORT: u16 = 443;

impl Detector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the first bytes of each direction (TCP: the reassembled stream prefix, call again as
    /// more arrives; UDP: each datagram). `orig_port`/`resp_port` may be used ONLY as a
    /// tie-breaker between content matches, or to admit weak content (an HTTP/0.9 request
    /// line), never as the sole evidence.
    pub fn feed(
        &mut self,
        t: Transport,
        dir: Direction,
        data: &[u8],
        orig_port: u16,
        resp_port: u16,
    ) -> Verdict {
        if let Some(s) = self.decided {
            return Verdict::Match(s);
        }
        if self.gave_up {
            return Verdict::NoMatch;
        }
        if data.is_empty() {
            return Verdict::NeedMore;
        }
        self.feeds = self.feeds.saturating_add(1);
        let mut c = Cands::default();
        match t {
            Transport::Udp => {
                // STUN multiplexed on the same 5-tuple (WebRTC, RFC 7983) precedes the
                // protocol that matters (DTLS): it is passed over, within MAX_FEEDS.
                if rules::stun(data).is_ok() {
                    if self.feeds >= MAX_FEEDS {
                        self.gave_up = true;
                        return Verdict::NoMatch;
                    }
                    return Verdict::NeedMore;
                }
                let quic_port = orig_port == QUIC_PORT || resp_port == QUIC_PORT;
                eval_udp(data, quic_port, &mut c);
                self.datagrams = self.datagrams.saturating_add(1);
            }
            Transport::Tcp => {
                let simple_http =
                    dir == Direction::Orig && rules::HTTP_SIMPLE_PORTS.contains(&resp_port);
                let (short, hints) = eval_tcp(data, simple_http, &mut c);
                let side = if short && data.len() < MAX_PREFIX {
                    Side::Partial
                } else if hints != 0 {
                    Side::Hint
                } else {
                    Side::Rejected
                };
                match dir {
                    Direction::Orig => {
                        self.orig = side;
                        self.orig_hints = hints;
                    }
                    Direction::Resp => {
                        self.resp = side;
                        self.resp_hints = hints;
                    }
                }
                let (o, r) = (self.orig_hints, self.resp_hints);
                let combined = rules::combine(r & rules::GREETINGS, o & rules::COMMANDS)
                    .or_else(|| rules::combine(o & rules::GREETINGS, r & rules::COMMANDS));
                if let Some(s) = combined {
                    c.add(s);
                }
                // A client that only says QUIT (the server never greeted): the line protocol
                // whose own port it was sent to. Weak content, so the port must be theirs.
                if self.orig_hints & rules::C_QUIT != 0 && self.resp == Side::Unseen {
                    for s in [Service::Smtp, Service::Ftp, Service::Pop3] {
                        if on_registered_port(s, t, resp_port) {
                            c.add(s);
                        }
                    }
                }
            }
        }
        if let Some(s) = c.pick(t, orig_port, resp_port) {
            // A datagram of one protocol sent to another's registered port (an SNMP message to
            // port 53 before the DNS queries, say): wait for the port's own protocol.
            let port_owner = PRIORITY
                .iter()
                .any(|&o| o != s && on_registered_port(o, t, resp_port));
            if t == Transport::Udp
                && port_owner
                && off_port(s, t, resp_port)
                && self.datagrams < MAX_DATAGRAMS
                && self.feeds < MAX_FEEDS
            {
                self.deferred.get_or_insert(s);
                return Verdict::NeedMore;
            }
            self.decided = Some(s);
            return Verdict::Match(s);
        }
        if let Some(s) = self
            .deferred
            .filter(|_| self.datagrams >= MAX_DATAGRAMS || self.feeds >= MAX_FEEDS)
        {
            self.decided = Some(s);
            return Verdict::Match(s);
        }
        let give_up = match t {
            Transport::Udp => self.datagrams >= MAX_DATAGRAMS,
            Transport::Tcp => {
                let settled = |s: Side| matches!(s, Side::Hint | Side::Rejected);
                settled(self.orig) && settled(self.resp)
            }
        } || self.feeds >= MAX_FEEDS;
        if give_up {
            self.gave_up = true;
            Verdict::NoMatch
        } else {
            Verdict::NeedMore
        }
    }

    /// The identified protocol, once decided.
    pub fn result(&self) -> Option<Service> {
        self.decided
    }

    /// The connection ended while undecided: a deferred match (see [`Detector::feed`]) is the
    /// answer after all.
    pub fn finish(&mut self) -> Option<Service> {
        if self.decided.is_none() && !self.gave_up {
            self.decided = self.deferred.take();
        }
        self.decided
    }

    /// Whether the detector has given up ([`Verdict::NoMatch`]).
    pub fn gave_up(&self) -> bool {
        self.gave_up
    }
}

/// Fuzzing entry point: splits `data` into chunks fed alternately to both directions, as TCP
/// stream prefixes and as UDP datagrams, and checks the detector's invariants (a decision is
/// final and stable). Also runs every rule on the raw input.
#[doc(hidden)]
pub fn fuzz_feed(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let ports = [53u16, 80, 443, 5353, 5355, 137, 123, 445, 12345];
    let orig_port = ports[usize::from(ctl & 7)];
    let resp_port = ports[usize::from((ctl >> 3) & 7)];
    for t in [Transport::Tcp, Transport::Udp] {
        let mut det = Detector::new();
        let mut prefix: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        let mut final_verdict: Option<Verdict> = None;
        let mut pos = 0;
        let mut i = 0usize;
        while pos < rest.len() {
            let n = 1 + usize::from(rest[pos]) % 97;
            pos += 1;
            let end = (pos + n).min(rest.len());
            let chunk = &rest[pos..end];
            pos = end;
            let dir = if (i + usize::from(ctl >> 6)).is_multiple_of(2) {
                Direction::Orig
            } else {
                Direction::Resp
            };
            i += 1;
            let fed: &[u8] = match t {
                Transport::Udp => chunk,
                Transport::Tcp => {
                    let buf = &mut prefix[usize::from(dir == Direction::Resp)];
                    buf.extend_from_slice(chunk);
                    buf
                }
            };
            let v = det.feed(t, dir, fed, orig_port, resp_port);
            if let Some(f) = final_verdict {
                assert_eq!(v, f, "a final verdict changed");
            }
            match v {
                Verdict::Match(s) => {
                    assert_eq!(det.result(), Some(s));
                    final_verdict = Some(v);
                }
                Verdict::NoMatch => {
                    assert!(det.result().is_none() && det.gave_up());
                    final_verdict = Some(v);
                }
                Verdict::NeedMore => assert!(det.result().is_none()),
            }
        }
    }
    let _ = find_ntlmssp(rest);
    let mut c = Cands::default();
    eval_udp(rest, true, &mut c);
    let _ = eval_tcp(rest, true, &mut c);
}
