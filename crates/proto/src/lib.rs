//! Application-layer inspection for netloupe.
//!
//! Two jobs: find out which protocol a conversation speaks from its bytes, whatever the port
//! ([`detect`]), and parse that protocol into the records analysts know from Zeek (dns.log,
//! http.log, ssl.log, x509.log, ssh.log, ...). Each protocol lives in its own folder, parser (pure
//! functions over bytes) separate from session state and records, in the style of Suricata's Rust
//! protocol modules.
//!
//! Parsers see reassembled TCP byte streams (one per direction) or UDP datagrams through the
//! [`SessionParser`] trait. Every byte is attacker-controlled: parsers never panic, never
//! allocate without bound (each module documents its caps), and each has a cargo-fuzz target.
#![forbid(unsafe_code)]

pub mod dcerpc;
pub mod detect;
pub mod dhcp;
pub mod dns;
mod file_hash;
pub mod ftp;
pub mod http;
pub mod kerberos;
pub mod ldap;
pub mod ntlm;
pub mod quic;
pub mod rdp;
mod service;
pub mod smb;
pub mod smtp;
pub mod ssh;
#[cfg(test)]
mod test_util;
pub mod tls;

pub use file_hash::{
    FileDigestValues, FileDigests, FileHashes, FinishedDigests, HashHandle, HashService, HashStats,
    PendingDigests,
};
pub use service::Service;

/// Which side of the connection sent the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the originator (Zeek's `is_orig`).
    Orig,
    /// From the responder.
    Resp,
}

/// Context of one delivery to a parser.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Packet time (ns since the epoch) of the packet that completed these bytes.
    pub ts_ns: i64,
    pub dir: Direction,
}

/// One protocol's view of one connection.
pub trait SessionParser: Send {
    /// The protocol this parser speaks.
    fn service(&self) -> Service;
    /// In-order bytes of one direction (TCP), or one whole datagram (UDP).
    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>);
    /// `len` bytes of this direction were never seen (capture loss); the parser resynchronises
    /// or gives up, and must not misinterpret what follows.
    fn gap(&mut self, _dir: Direction, _len: u64) {}
    /// The connection ended: emit what is pending.
    fn end(&mut self, _ts_ns: i64, _out: &mut Vec<AppRecord>) {}
    /// Whether the bytes seen so far were valid for this protocol (Zeek's "confirmation"):
    /// confirmed services are listed in conn.log's `service`.
    fn confirmed(&self) -> bool;
    /// Whether the parser saw something it cannot be (Zeek's analyzer violation): it will be
    /// fed no more data.
    fn violated(&self) -> bool {
        false
    }
    /// The connection switched to TLS in band (STARTTLS, AUTH TLS, RDP's TLS security): the
    /// session layer hands what follows to the TLS parser.
    fn handed_to_tls(&self) -> bool {
        false
    }
    /// A TLS handshake carried inside this protocol was read (QUIC's CRYPTO frames): conn.log
    /// lists ssl beside the parser's own service, as Zeek does.
    fn tls_confirmed(&self) -> bool {
        false
    }
    /// Bytes the protocol itself encrypted, which the parser skipped (LDAP's SASL sealing),
    /// for stats.json.
    fn encrypted_bytes(&self) -> u64 {
        0
    }
    /// Pending state (requests waiting for their answer, open transactions) the parser let go
    /// of early because its cap was reached, for stats.json: its records are written
    /// unanswered rather than lost, but the pairing is.
    fn evicted(&self) -> u64 {
        0
    }
    /// The protocol anomaly seen since the last call (Zeek's weird name: `FTP_too_many_pending
    /// _commands`, `SSH_bad_kexinit`, ...), for weird.log. Polled after each delivery: when one
    /// delivery shows several, the last is reported.
    fn take_weird(&mut self) -> Option<&'static str> {
        None
    }
    /// The connection became a tunnel (HTTP CONNECT answered with 200): what follows is
    /// another protocol, to be identified from its own first bytes. Returns, once, the bytes
    /// the parser received after the switch (originator's, responder's).
    fn take_tunnel(&mut self) -> Option<[Vec<u8>; 2]> {
        None
    }
    /// Connections this one announced since the last call (FTP's data channels), for the
    /// flow layer to recognise when they start.
    fn take_expected(&mut self, _out: &mut Vec<ExpectedConn>) {}
    /// The TCP connection closed: both sides sent their FIN and the last one was
    /// acknowledged (the connection is still tracked until it times out). What waits for the
    /// end of the data can be decided now.
    fn closed(&mut self) {}
    /// News of the file this connection carries (an FTP data connection), for the flow
    /// layer to pass to the connection that announced it.
    fn take_data_file(&mut self) -> Option<ftp::DataFileNotice> {
        None
    }
    /// News of the file on a data connection this one announced (FTP's control connection).
    fn data_file(&mut self, _notice: &ftp::DataFileNotice) {}
}

/// A record produced by a protocol parser. The connection fields (ts of the connection, uid,
/// id.*) are added by the caller, which knows the connection.
#[derive(Debug, Clone, PartialEq)]
pub enum AppRecord {
    Dns(dns::DnsRecord),
    Http(http::HttpRecord),
    Ssl(tls::SslRecord),
    X509(tls::X509Record),
    Ssh(ssh::SshRecord),
    Quic(quic::QuicRecord),
    Dhcp(dhcp::DhcpRecord),
    Kerberos(kerberos::KerberosRecord),
    Ntlm(ntlm::NtlmRecord),
    Smtp(smtp::SmtpRecord),
    Ftp(ftp::FtpRecord),
    Rdp(rdp::RdpRecord),
    Ldap(ldap::LdapRecord),
    LdapSearch(ldap::LdapSearchRecord),
    SmbMapping(smb::SmbMappingRecord),
    SmbFiles(smb::SmbFilesRecord),
    /// An SMB command transaction, for EVE only (Zeek's smb_cmd.log is not loaded by default).
    SmbCmd(smb::SmbCmdRecord),
    DceRpc(dcerpc::DceRpcRecord),
    /// A file seen on its own (files.log), outside an HTTP or SMTP record: SMB reads and
    /// writes.
    File(http::FileRecord),
}

/// The parser for `service`, told the connection's (originator, responder) addresses, which
/// some logs carry (SMTP's path, FTP's data channels).
pub fn new_parser_with_endpoints(
    service: Service,
    udp: bool,
    (orig_h, resp_h): (std::net::IpAddr, std::net::IpAddr),
    cfg: &ParserConfig,
) -> Option<Box<dyn SessionParser>> {
    Some(match service {
        Service::Http if !udp => {
            Box::new(http::HttpSession::new().with_file_hashes(cfg.file_hashes))
        }
        Service::Smtp if !udp => {
            let mut s = smtp::SmtpSession::new().with_file_hashes(cfg.file_hashes);
            s.set_endpoints(orig_h, resp_h);
            Box::new(s)
        }
        Service::Ftp if !udp => {
            let mut s = ftp::FtpSession::new();
            s.set_endpoints(orig_h, resp_h);
            Box::new(s)
        }
        Service::Dhcp if udp => Box::new(dhcp::DhcpSession::new().with_addrs(orig_h, resp_h)),
        _ => return new_parser(service, udp),
    })
}

/// A connection announced by another (Zeek's "expected connection"): `orig_h` will connect to
/// `resp_h`:`resp_p` (any source port) and speak `service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpectedConn {
    pub orig_h: std::net::IpAddr,
    pub resp_h: std::net::IpAddr,
    pub resp_p: u16,
    pub service: Service,
}

/// Settings that parsers take from the run's configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParserConfig {
    /// Digests computed for files (HTTP bodies): files.log `md5`/`sha1`/`sha256`.
    pub file_hashes: FileHashes,
}

/// The parser for `service`, when netloupe has one (the others are identified, not parsed).
pub fn new_parser(service: Service, udp: bool) -> Option<Box<dyn SessionParser>> {
    Some(match service {
        Service::Dns | Service::Llmnr | Service::Mdns => {
            let proto = if udp {
                dns::DnsProto::Udp
            } else {
                dns::DnsProto::Tcp
            };
            // mDNS responses do not answer queries by id (it is 0): they are not paired.
            Box::new(dns::DnsSession::new(proto).with_mdns(service == Service::Mdns))
        }
        Service::Http if !udp => Box::new(http::HttpSession::new()),
        Service::Tls if !udp => Box::new(tls::TlsSession::new()),
        Service::Dtls if udp => Box::new(tls::TlsSession::for_dtls()),
        Service::Ssh if !udp => Box::new(ssh::SshSession::new()),
        Service::Quic if udp => Box::new(quic::QuicSession::new()),
        Service::Dhcp if udp => Box::new(dhcp::DhcpSession::new()),
        Service::Kerberos => Box::new(kerberos::KerberosSession::new(!udp)),
        Service::Rdp if !udp => Box::new(rdp::RdpSession::new()),
        Service::Ldap => Box::new(ldap::LdapSession::new(!udp)),
        Service::Smtp if !udp => Box::new(smtp::SmtpSession::new()),
        Service::Ftp if !udp => Box::new(ftp::FtpSession::new()),
        Service::Smb if !udp => Box::new(smb::SmbSession::new()),
        Service::DceRpc if !udp => Box::new(dcerpc::DceRpcSession::new()),
        _ => return None,
    })
}

impl AppRecord {
    /// Whether the record's connection is UDP (its Community ID and EVE `proto` depend on it):
    /// DNS, Kerberos and LDAP say so themselves, QUIC and DHCP always are, TLS is when it was
    /// DTLS or QUIC's handshake; everything else netloupe parses runs over TCP.
    pub fn over_udp(&self) -> bool {
        match self {
            AppRecord::Dns(d) => d.proto.as_str() == "udp",
            AppRecord::Kerberos(k) => !k.tcp,
            AppRecord::Ldap(r) => r.udp,
            AppRecord::LdapSearch(r) => r.udp,
            AppRecord::Ssl(s) => s.over_quic || s.over_dtls,
            AppRecord::Quic(_) | AppRecord::Dhcp(_) => true,
            _ => false,
        }
    }

    /// Completes what was left to other threads (file digests); call before writing.
    pub fn resolve_deferred(&mut self) {
        match self {
            AppRecord::Http(h) => h
                .files
                .iter_mut()
                .for_each(http::FileRecord::resolve_digests),
            AppRecord::Smtp(m) => m
                .files
                .iter_mut()
                .for_each(http::FileRecord::resolve_digests),
            AppRecord::File(f) => f.resolve_digests(),
            _ => {}
        }
    }

    /// Whether the record belongs in its Zeek log (an FTP command Zeek does not log, an SMB
    /// command transaction, an SMTP transaction without envelope, are kept for EVE only).
    pub fn in_zeek_log(&self) -> bool {
        match self {
            AppRecord::Ftp(r) => r.logged,
            AppRecord::SmbCmd(_) => false,
            AppRecord::Smtp(r) => !r.eve_only,
            _ => true,
        }
    }

    /// Time of the event the record describes (Zeek's `ts` of that log).
    pub fn ts_ns(&self) -> i64 {
        match self {
            AppRecord::Dns(r) => r.ts_ns,
            AppRecord::Http(r) => r.ts_ns,
            AppRecord::Ssl(r) => r.ts_ns,
            AppRecord::X509(r) => r.ts_ns,
            AppRecord::Ssh(r) => r.ts_ns,
            AppRecord::Quic(r) => r.ts_ns,
            AppRecord::Dhcp(r) => r.ts_ns,
            AppRecord::Kerberos(r) => r.ts_ns,
            AppRecord::Ntlm(r) => r.ts_ns,
            AppRecord::Smtp(r) => r.ts_ns,
            AppRecord::Ftp(r) => r.ts_ns,
            AppRecord::Rdp(r) => r.ts_ns,
            AppRecord::Ldap(r) => r.ts_ns,
            AppRecord::LdapSearch(r) => r.ts_ns,
            AppRecord::SmbMapping(r) => r.ts_ns,
            AppRecord::SmbFiles(r) => r.ts_ns,
            AppRecord::SmbCmd(r) => r.ts_ns,
            AppRecord::DceRpc(r) => r.ts_ns,
            AppRecord::File(r) => r.ts_ns,
        }
    }

    /// Writes the protocol's own fields (not ts, uid or id.*, which the caller writes first).
    pub fn write_json(&self, o: &mut netloupe_output::json::JsonObject) {
        match self {
            AppRecord::Dns(r) => r.write_json(o),
            AppRecord::Http(r) => r.write_json(o),
            AppRecord::Ssl(r) => r.write_json(o),
            AppRecord::X509(r) => r.write_json(o),
            AppRecord::Ssh(r) => r.write_json(o),
            AppRecord::Quic(r) => r.write_json(o),
            AppRecord::Dhcp(r) => r.write_json(o),
            AppRecord::Kerberos(r) => r.write_json(o),
            AppRecord::Ntlm(r) => r.write_json(o),
            AppRecord::Smtp(r) => r.write_json(o),
            AppRecord::Ftp(r) => r.write_json(o),
            AppRecord::Rdp(r) => r.write_json(o),
            AppRecord::Ldap(r) => r.write_json(o),
            AppRecord::LdapSearch(r) => r.write_json(o),
            AppRecord::SmbMapping(r) => r.write_json(o),
            AppRecord::SmbFiles(r) => r.write_json(o),
            AppRecord::SmbCmd(r) => r.write_json(o),
            AppRecord::DceRpc(r) => r.write_json(o),
            AppRecord::File(r) => r.write_json(o),
        }
    }

    /// Zeek's log name ("dns", "http", "ssl", "x509", "ssh").
    pub fn log_name(&self) -> &'static str {
        match self {
            AppRecord::Dns(_) => "dns",
            AppRecord::Http(_) => "http",
            AppRecord::Ssl(_) => "ssl",
            AppRecord::X509(_) => "x509",
            AppRecord::Ssh(_) => "ssh",
            AppRecord::Quic(_) => "quic",
            AppRecord::Dhcp(_) => "dhcp",
            AppRecord::Kerberos(_) => "kerberos",
            AppRecord::Ntlm(_) => "ntlm",
            AppRecord::Smtp(_) => "smtp",
            AppRecord::Ftp(_) => "ftp",
            AppRecord::Rdp(_) => "rdp",
            AppRecord::Ldap(_) => "ldap",
            AppRecord::LdapSearch(_) => "ldap_search",
            AppRecord::SmbMapping(_) => "smb_mapping",
            AppRecord::SmbFiles(_) => "smb_files",
            AppRecord::SmbCmd(_) => "smb_cmd",
            AppRecord::DceRpc(_) => "dce_rpc",
            AppRecord::File(_) => "files",
        }
    }
}

/// Offset of the first `needle` in `hay` (memchr's SIMD substring search: parsers look for
/// signatures and boundaries in every delivery, where a byte-by-byte window compare showed up
/// in profiles).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(hay, needle)
}

/// Lower-case hex of `bytes`, as Zeek writes hashes and fingerprints.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

/// Appends `bytes` as lowercase hex.
pub(crate) fn push_hex(s: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

/// Body shared by the parsers' fuzz targets: `data` is cut into deliveries by control bytes
/// (bit 7: direction; bit 6 with a one-byte chunk: a gap of that byte's value instead of data;
/// bits 0-5: length in units of `unit` bytes), fed to `session`, which is then ended; every
/// record it produced is written as JSON, as the log writer would.
#[doc(hidden)]
pub fn fuzz_session(session: &mut dyn SessionParser, data: &[u8], unit: usize) -> Vec<AppRecord> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut ts = 1_000_000_000i64;
    while let Some((&ctl, tail)) = rest.split_first() {
        rest = tail;
        let n = ((ctl & 0x3f) as usize * unit.max(1) + 1).min(rest.len());
        let dir = if ctl & 0x80 == 0 {
            Direction::Orig
        } else {
            Direction::Resp
        };
        ts += 1_000;
        if ctl & 0x40 != 0 && n == 1 {
            session.gap(dir, u64::from(rest[0]));
        } else {
            session.data(Ctx { ts_ns: ts, dir }, &rest[..n], &mut out);
        }
        rest = &rest[n..];
    }
    session.end(ts, &mut out);
    let mut line = String::new();
    for r in &out {
        line.clear();
        let mut o = netloupe_output::json::JsonObject::new(&mut line);
        r.write_json(&mut o);
        o.end();
        if let AppRecord::Http(h) = r {
            for f in &h.files {
                line.clear();
                let mut o = netloupe_output::json::JsonObject::new(&mut line);
                f.write_json(&mut o);
                o.end();
            }
        }
    }
    out
}
