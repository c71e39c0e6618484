//! DNS message parsing (RFC 1035 section 4, RFC 3596 AAAA, RFC 6891 EDNS, RFC 2136 UPDATE,
//! RFC 4034 DNSSEC records), pure functions over bytes.
//!
//! Every length and offset comes from the wire: each read is bounds-checked, names are bounded
//! to 255 bytes on the wire and to [`MAX_POINTER_JUMPS`] compression pointers, and a pointer must
//! point strictly before the label that holds it (so no loop can be followed). A message that
//! breaks somewhere is kept as far as it parsed, with the reason in [`Message::malformed`].
//!
//! Resource records are rendered as text the way Zeek's dns.log shows them in `answers`
//! (an A record as its address, a CNAME as its target, TXT as `TXT <len> <text>` per string,
//! RRSIG as `RRSIG <type covered> <signer>`, unknown types as `<unknown type=N>` ...).

use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Fixed header length.
pub const HEADER_LEN: usize = 12;
/// Longest name on the wire (RFC 1035 2.3.4).
pub const MAX_NAME_WIRE: usize = 255;
/// Compression pointers followed at most per name (a legal name of 255 bytes has at most 127
/// labels; real names use one or two pointers).
pub const MAX_POINTER_JUMPS: usize = 64;
/// Resource records decoded at most per message (a 64 KiB message holds at most ~5,900 RRs of
/// 11 bytes; this bounds the work per message in any case).
pub const MAX_RRS: usize = 4096;

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_TKEY: u16 = 249;
pub const TYPE_TSIG: u16 = 250;
pub const TYPE_ANY: u16 = 255;
pub const CLASS_NONE: u16 = 254;
pub const CLASS_ANY: u16 = 255;
pub const OPCODE_UPDATE: u8 = 5;

/// The 12-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub id: u16,
    /// Response (true) or query.
    pub qr: bool,
    pub opcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    /// The three bits between RA and RCODE (Z, AD, CD), as Zeek's `Z` shows them.
    pub z: u8,
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < HEADER_LEN {
            return None;
        }
        let flags = u16::from_be_bytes([b[2], b[3]]);
        Some(Header {
            id: u16::from_be_bytes([b[0], b[1]]),
            qr: flags & 0x8000 != 0,
            opcode: ((flags >> 11) & 0xf) as u8,
            aa: flags & 0x0400 != 0,
            tc: flags & 0x0200 != 0,
            rd: flags & 0x0100 != 0,
            ra: flags & 0x0080 != 0,
            z: ((flags >> 4) & 0x7) as u8,
            rcode: (flags & 0xf) as u8,
            qdcount: u16::from_be_bytes([b[4], b[5]]),
            ancount: u16::from_be_bytes([b[6], b[7]]),
            nscount: u16::from_be_bytes([b[8], b[9]]),
            arcount: u16::from_be_bytes([b[10], b[11]]),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Lower-cased, dotted, non-printable bytes escaped as `\xNN`.
    pub name: String,
    /// The name with its case as sent, when that differs from `name`.
    pub name_case: Option<String>,
    pub qtype: u16,
    pub qclass: u16,
}

/// Which section a resource record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Answer section (UPDATE: prerequisites).
    Answer,
    /// Authority section (UPDATE: updates).
    Authority,
    Additional,
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    pub section: Section,
    pub name: String,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    /// Zeek's text for the record. `None`: Zeek raises no per-record reply event for this type
    /// (OPT, TKEY, TSIG); `Some("")`: an event with nothing to list (WKS).
    pub text: Option<String>,
    /// Fields of the data that the text leaves out.
    pub detail: RrDetail,
}

/// Fields of a record's data that Zeek's text does not show (Suricata's EVE lists them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RrDetail {
    #[default]
    None,
    /// SRV (RFC 2782): the text is the target.
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
    },
    /// SSHFP (RFC 4255): the text is the fingerprint.
    Sshfp { algorithm: u8, fp_type: u8 },
    /// NULL (RFC 1035 3.3.10): the data itself (at most [`MAX_RAW_RDATA`] bytes), which
    /// Zeek does not show.
    Raw(Box<[u8]>),
}

/// Longest NULL record data kept for [`RrDetail::Raw`].
pub const MAX_RAW_RDATA: usize = 256;

impl RrDetail {
    fn of(rtype: u16, rdata: &[u8]) -> RrDetail {
        let be = |i: usize| u16::from_be_bytes([rdata[i], rdata[i + 1]]);
        match rtype {
            33 if rdata.len() >= 7 => RrDetail::Srv {
                priority: be(0),
                weight: be(2),
                port: be(4),
            },
            44 if rdata.len() >= 2 => RrDetail::Sshfp {
                algorithm: rdata[0],
                fp_type: rdata[1],
            },
            10 => RrDetail::Raw(rdata[..rdata.len().min(MAX_RAW_RDATA)].into()),
            _ => RrDetail::None,
        }
    }
}

/// EDNS(0) OPT pseudo-record (RFC 6891 6.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub udp_payload: u16,
    pub ext_rcode: u8,
    pub version: u8,
    pub dnssec_ok: bool,
}

/// A message, as far as it parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub header: Header,
    pub questions: Vec<Question>,
    /// Answer, authority and additional records in wire order ([`Rr::section`] tells which).
    pub rrs: Vec<Rr>,
    pub edns: Option<Edns>,
    /// Why parsing stopped early (a weird name in Zeek's style), `None` for a whole message.
    pub malformed: Option<&'static str>,
}

impl Message {
    pub fn answers(&self) -> impl Iterator<Item = &Rr> {
        self.rrs.iter().filter(|r| r.section == Section::Answer)
    }
    pub fn total_rrs(&self) -> u32 {
        self.header.ancount as u32 + self.header.nscount as u32 + self.header.arcount as u32
    }
}

/// Parses one whole DNS message. `None` only when even the header is incomplete.
pub fn parse_message(b: &[u8]) -> Option<Message> {
    let header = Header::parse(b)?;
    let mut m = Message {
        header,
        ..Default::default()
    };
    let mut pos = HEADER_LEN;
    for _ in 0..header.qdcount {
        let start = pos;
        let Some((name, p)) = read_name(b, pos) else {
            m.malformed = Some("DNS_truncated_quest_name");
            return Some(m);
        };
        let Some(tc) = b.get(p..p + 4) else {
            m.malformed = Some("DNS_truncated_len_lt_hdr_len");
            return Some(m);
        };
        pos = p + 4;
        if m.questions.len() < MAX_RRS {
            let name_case = read_name_cased(b, start, false)
                .map(|(n, _)| n)
                .filter(|n| *n != name);
            m.questions.push(Question {
                name,
                name_case,
                qtype: u16::from_be_bytes([tc[0], tc[1]]),
                qclass: u16::from_be_bytes([tc[2], tc[3]]),
            });
        }
    }
    let sections = [
        (Section::Answer, header.ancount),
        (Section::Authority, header.nscount),
        (Section::Additional, header.arcount),
    ];
    let update = header.opcode == OPCODE_UPDATE;
    for (section, count) in sections {
        for _ in 0..count {
            if m.rrs.len() >= MAX_RRS {
                m.malformed = Some("DNS_too_many_RRs");
                return Some(m);
            }
            let Some((name, p)) = read_name(b, pos) else {
                m.malformed = Some("DNS_truncated_ans_name");
                return Some(m);
            };
            let Some(fix) = b.get(p..p + 10) else {
                m.malformed = Some("DNS_truncated_RR");
                return Some(m);
            };
            let rtype = u16::from_be_bytes([fix[0], fix[1]]);
            let class = u16::from_be_bytes([fix[2], fix[3]]);
            let ttl = u32::from_be_bytes([fix[4], fix[5], fix[6], fix[7]]);
            let rdlen = u16::from_be_bytes([fix[8], fix[9]]) as usize;
            let start = p + 10;
            let Some(rdata) = b.get(start..start + rdlen) else {
                m.malformed = Some("DNS_RR_length_mismatch");
                return Some(m);
            };
            if rtype == TYPE_OPT {
                m.edns = Some(Edns {
                    udp_payload: class,
                    ext_rcode: (ttl >> 24) as u8,
                    version: (ttl >> 16) as u8,
                    dnssec_ok: ttl & 0x8000 != 0,
                });
            }
            let text = if update && section != Section::Additional {
                Some(render_update(b, start, rdata, &name, rtype, class, section))
            } else {
                render_rdata(b, start, rdata, &name, rtype)
            };
            m.rrs.push(Rr {
                section,
                name,
                rtype,
                class,
                ttl,
                text,
                detail: RrDetail::of(rtype, rdata),
            });
            pos = start + rdlen;
        }
    }
    Some(m)
}

/// Reads a possibly compressed name at `pos`; returns it and the offset after it (after the
/// first pointer when compressed). `None` on truncation, a forward or self pointer, too many
/// jumps, a reserved label type, or a name longer than 255 bytes.
pub fn read_name(b: &[u8], pos: usize) -> Option<(String, usize)> {
    read_name_cased(b, pos, true)
}

/// [`read_name`], lower-casing the labels or not.
fn read_name_cased(b: &[u8], pos: usize, lower: bool) -> Option<(String, usize)> {
    // Sized for most names at once: growing from empty reallocated three or four times.
    let mut out = String::with_capacity(48);
    let mut wire_len = 0usize;
    let mut p = pos;
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *b.get(p)? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    wire_len += 1;
                    if wire_len > MAX_NAME_WIRE {
                        return None;
                    }
                    return Some((out, end.unwrap_or(p + 1)));
                }
                let label = b.get(p + 1..p + 1 + len)?;
                wire_len += 1 + len;
                if wire_len > MAX_NAME_WIRE {
                    return None;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                push_label(&mut out, label, lower);
                p += 1 + len;
            }
            0xc0 => {
                let lo = *b.get(p + 1)? as usize;
                let target = ((len & 0x3f) << 8) | lo;
                // Only backwards: every jump strictly decreases the position, so no loop.
                if target >= p || jumps >= MAX_POINTER_JUMPS {
                    return None;
                }
                jumps += 1;
                if end.is_none() {
                    end = Some(p + 2);
                }
                p = target;
            }
            _ => return None, // 0x40 (extended, RFC 6891 obsoleted) and 0x80 are reserved
        }
    }
}

/// Appends one label (lower-cased when `lower`), with bytes outside printable ASCII as `\xNN`.
fn push_label(out: &mut String, label: &[u8], lower: bool) {
    for &c in label {
        if c.is_ascii_graphic() || c == b' ' {
            out.push(if lower { c.to_ascii_lowercase() } else { c } as char);
        } else {
            let _ = write!(out, "\\x{c:02x}");
        }
    }
}

/// Character-string bytes as text (case kept), non-printable bytes as `\xNN`.
fn push_text(out: &mut String, s: &[u8]) {
    for &c in s {
        if c.is_ascii_graphic() || c == b' ' {
            out.push(c as char);
        } else {
            let _ = write!(out, "\\x{c:02x}");
        }
    }
}

fn name_at(msg: &[u8], off: usize) -> Option<String> {
    read_name(msg, off).map(|(n, _)| n)
}

/// `<character-string>`s of TXT/SPF rdata, each as `<tag> <len> <text>`, joined by spaces.
fn render_strings(tag: &str, rdata: &[u8]) -> String {
    let mut out = String::new();
    let mut p = 0;
    while p < rdata.len() {
        let len = rdata[p] as usize;
        let s = &rdata[p + 1..(p + 1 + len).min(rdata.len())];
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{tag} {} ", s.len());
        push_text(&mut out, s);
        p += 1 + len;
    }
    out
}

/// Zeek's dns.log text for one record's data (see [`Rr::text`]). `start` is the offset of
/// `rdata` in `msg` (compressed names inside rdata point into the message).
pub fn render_rdata(
    msg: &[u8],
    start: usize,
    rdata: &[u8],
    owner: &str,
    rtype: u16,
) -> Option<String> {
    let bad = || format!("<unknown type={rtype}>");
    let name = |off: usize| name_at(msg, start + off);
    let s = match rtype {
        TYPE_A => match <[u8; 4]>::try_from(rdata) {
            Ok(a) => Ipv4Addr::from(a).to_string(),
            Err(_) => bad(),
        },
        28 => match <[u8; 16]>::try_from(rdata) {
            Ok(a) => Ipv6Addr::from(a).to_string(),
            Err(_) => bad(),
        },
        // NS, MD, MF, CNAME, MB, MG, MR, PTR, DNAME: a single domain name.
        TYPE_NS | 3 | 4 | TYPE_CNAME | 7 | 8 | 9 | 12 | 39 => name(0).unwrap_or_else(bad),
        // SOA: the primary name server.
        TYPE_SOA => name(0).unwrap_or_else(bad),
        // MX, AFSDB, RT, KX: preference then name; Zeek shows the name.
        15 | 18 | 21 | 36 if rdata.len() >= 3 => name(2).unwrap_or_else(bad),
        // SRV: priority, weight, port, target; Zeek shows the target.
        33 if rdata.len() >= 7 => name(6).unwrap_or_else(bad),
        16 => render_strings("TXT", rdata),
        99 => render_strings("SPF", rdata),
        11 => String::new(), // WKS: an event with nothing to list
        13 => String::new(), // HINFO
        29 if rdata.len() >= 4 => {
            // LOC (RFC 1876): Zeek lists size and precisions (its text has two spaces after
            // the colon).
            format!("LOC:  {} {} {}", rdata[1], rdata[2], rdata[3])
        }
        43 if rdata.len() >= 4 => format!("DS {} {}", rdata[2], rdata[3]),
        44 if rdata.len() >= 2 => {
            let mut s = String::from("SSHFP: ");
            for c in &rdata[2..] {
                let _ = write!(s, "{c:02x}");
            }
            s
        }
        46 if rdata.len() >= 18 => {
            let covered = u16::from_be_bytes([rdata[0], rdata[1]]);
            let signer = match name(18) {
                Some(n) if n.is_empty() => "<Root>".to_string(),
                Some(n) => n,
                None => return Some(bad()),
            };
            format!("RRSIG {covered} {signer}")
        }
        47 => match name(0) {
            Some(next) => format!("NSEC {owner} {next}"),
            None => bad(),
        },
        48 if rdata.len() >= 4 => format!("DNSKEY {}", rdata[3]),
        50 => "NSEC3".to_string(),
        51 => "NSEC3PARAM".to_string(),
        65534 => "BIND9 signing signal".to_string(),
        TYPE_OPT | TYPE_TKEY | TYPE_TSIG => return None,
        257 if rdata.len() >= 2 => {
            let tag_len = rdata[1] as usize;
            let tag = rdata.get(2..2 + tag_len).unwrap_or(&[]);
            let value = rdata.get(2 + tag_len..).unwrap_or(&[]);
            let mut s = format!("{} ", rdata[0]);
            push_text(&mut s, tag);
            s.push(' ');
            push_text(&mut s, value);
            s
        }
        _ => bad(),
    };
    Some(s)
}

/// Text for a prerequisite (answer section) or update (authority section) record of a DNS
/// UPDATE message (RFC 2136 2.4, 2.5): `pre: ...`, `add: ...`, `del: ...`.
fn render_update(
    msg: &[u8],
    start: usize,
    rdata: &[u8],
    owner: &str,
    rtype: u16,
    class: u16,
    section: Section,
) -> String {
    let t = type_name(rtype);
    let data = || render_rdata(msg, start, rdata, owner, rtype).unwrap_or_default();
    match (section, class, rtype) {
        (Section::Answer, CLASS_ANY, TYPE_ANY) => format!("pre: NameInUse {owner}"),
        (Section::Answer, CLASS_ANY, _) => format!("pre: RRSet {t} {owner}"),
        (Section::Answer, CLASS_NONE, TYPE_ANY) => format!("pre: NoName {owner}"),
        (Section::Answer, CLASS_NONE, _) => format!("pre: NoRRSet {t} {owner}"),
        (Section::Answer, _, _) => format!("pre: {t} {owner} {}", data()),
        (_, CLASS_ANY, TYPE_ANY) => format!("del: AllRRSets {owner}"),
        (_, CLASS_ANY, _) => format!("del: RRSet {t}"),
        (_, CLASS_NONE, _) => format!("del: {t} {owner} {}", data()),
        _ => format!("add: {t} {owner} {}", data()),
    }
}

/// Mnemonic of an RR type (IANA registry), Zeek's `query-N` for unassigned ones.
pub fn type_name(t: u16) -> String {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP-PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        53 => "SMIMEA",
        55 => "HIP",
        56 => "NINFO",
        57 => "RKEY",
        58 => "TALINK",
        59 => "CDS",
        60 => "CDNSKEY",
        61 => "OPENPGPKEY",
        62 => "CSYNC",
        63 => "ZONEMD",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "NID",
        105 => "L32",
        106 => "L64",
        107 => "LP",
        108 => "EUI48",
        109 => "EUI64",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "*",
        256 => "URI",
        257 => "CAA",
        258 => "AVC",
        259 => "DOA",
        260 => "AMTRELAY",
        32768 => "TA",
        32769 => "DLV",
        _ => return format!("query-{t}"),
    };
    s.to_string()
}

/// Zeek's names of query classes.
pub fn class_name(c: u16) -> String {
    let s = match c {
        1 => "C_INTERNET",
        2 => "C_CSNET",
        3 => "C_CHAOS",
        4 => "C_HESIOD",
        254 => "C_NONE",
        255 => "C_ANY",
        _ => return format!("?{c}"),
    };
    s.to_string()
}

/// Response code names (RFC 1035, 2136, 2845, 6891 ...).
pub fn rcode_name(r: u16) -> String {
    let s = match r {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => return format!("rcode-{r}"),
    };
    s.to_string()
}

/// Opcode names as Zeek logs them.
pub fn opcode_name(o: u8) -> String {
    let s = match o {
        0 => "query",
        1 => "inverse-query",
        2 => "status",
        4 => "notify",
        5 => "dynamic-update",
        _ => return format!("opcode-{o}"),
    };
    s.to_string()
}
