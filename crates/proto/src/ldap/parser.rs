//! LDAPv3 messages (RFC 4511 section 4) reduced to what ldap.log and ldap_search.log need.
//!
//! `LDAPMessage ::= SEQUENCE { messageID, protocolOp CHOICE { [APPLICATION n] ... }, controls
//! [0] OPTIONAL }`. Every operation is recognised; each keeps its distinguished name (or OID),
//! results keep their code and diagnostic message, binds their authentication choice (a simple
//! bind's password is never kept, only whether there was one), searches their parameters with
//! the filter rendered as text the way Zeek renders it. Strings are decoded as Zeek decodes them:
//! DNs, diagnostic messages and mechanisms as ASCII (other bytes as `?`), filter values as UTF-8
//! with RFC 4515 escapes for NUL, ESC, `(`, `)` and `*`.
//!
//! Caps: a filter is rendered to at most [`MAX_FILTER_DEPTH`] levels, [`MAX_FILTER_NODES`]
//! nodes and [`MAX_FILTER_CHARS`] characters (beyond: `FILTER_PARSING_ERROR`, Zeek's text for
//! a filter it cannot parse); at most [`MAX_ATTRIBUTES`] requested attributes are kept. Everything
//! else is bounded by the message, which the session caps.

use super::ber::{self, BerClass, Tlv};
use std::fmt::Write;

/// Nesting of AND/OR/NOT filters rendered.
pub const MAX_FILTER_DEPTH: usize = 32;
/// Filter nodes rendered per search.
pub const MAX_FILTER_NODES: usize = 1024;
/// Length of a rendered filter.
pub const MAX_FILTER_CHARS: usize = 16 * 1024;
/// Attributes of a search request kept.
pub const MAX_ATTRIBUTES: usize = 128;
/// Zeek's text for a filter it cannot render.
pub const FILTER_ERROR: &str = "FILTER_PARSING_ERROR";

/// protocolOp tags (RFC 4511 section 4.2 to 4.14).
pub mod op {
    pub const BIND_REQUEST: u32 = 0;
    pub const BIND_RESPONSE: u32 = 1;
    pub const UNBIND_REQUEST: u32 = 2;
    pub const SEARCH_REQUEST: u32 = 3;
    pub const SEARCH_RESULT_ENTRY: u32 = 4;
    pub const SEARCH_RESULT_DONE: u32 = 5;
    pub const MODIFY_REQUEST: u32 = 6;
    pub const MODIFY_RESPONSE: u32 = 7;
    pub const ADD_REQUEST: u32 = 8;
    pub const ADD_RESPONSE: u32 = 9;
    pub const DEL_REQUEST: u32 = 10;
    pub const DEL_RESPONSE: u32 = 11;
    pub const MOD_DN_REQUEST: u32 = 12;
    pub const MOD_DN_RESPONSE: u32 = 13;
    pub const COMPARE_REQUEST: u32 = 14;
    pub const COMPARE_RESPONSE: u32 = 15;
    pub const ABANDON_REQUEST: u32 = 16;
    pub const SEARCH_RESULT_REFERENCE: u32 = 19;
    pub const EXTENDED_REQUEST: u32 = 23;
    pub const EXTENDED_RESPONSE: u32 = 24;
    pub const INTERMEDIATE_RESPONSE: u32 = 25;
}

/// The StartTLS extended operation (RFC 4511 section 4.14.1).
pub const STARTTLS_OID: &str = "1.3.6.1.4.1.1466.20037";

/// LDAPResult (RFC 4511 section 4.1.9).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LdapResult {
    pub code: i64,
    pub matched_dn: String,
    pub diagnostic: String,
}

/// A bind's authentication choice.
#[derive(Debug, Clone, PartialEq)]
pub enum BindAuth {
    /// Simple bind: only the length of the password is kept, never the password.
    Simple { password_len: usize },
    /// SASL: the mechanism and the client's credentials (a GSS-API/SPNEGO token, ...).
    Sasl {
        mechanism: String,
        credentials: Vec<u8>,
    },
    /// Microsoft's Sicily NTLM binds ([9] package discovery, [10] negotiate, [11] response),
    /// with their NTLMSSP message.
    Sicily { choice: u32, data: Vec<u8> },
    /// Another choice tag (krbv42 of LDAPv2, ...).
    Other(u32),
}

/// A search request's parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchParams {
    pub base_object: String,
    pub scope: i64,
    pub deref: i64,
    pub size_limit: i64,
    pub time_limit: i64,
    pub types_only: bool,
    /// The filter as text, e.g. `(&(objectclass=*)(cn=foo))`.
    pub filter: String,
    pub attributes: Vec<String>,
}

/// One LDAP message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LdapMessage {
    pub message_id: i64,
    /// The protocolOp tag ([`op`]).
    pub opcode: u32,
    /// A bind request's version.
    pub version: Option<i64>,
    /// The DN the operation is about (bind name, search base, entry, modified or deleted
    /// object), an extended request's OID, an abandoned message id.
    pub object: Option<String>,
    pub bind: Option<BindAuth>,
    /// Responses' result.
    pub result: Option<LdapResult>,
    pub search: Option<SearchParams>,
    /// What Zeek logs as the operation's `argument`: a modify request's changes
    /// ("replace(attr=value)"), a delete request's DN, an abandoned message id.
    pub argument: Option<String>,
    /// A bind response's serverSaslCreds.
    pub server_sasl_creds: Option<Vec<u8>>,
    /// An extended response's responseName.
    pub response_name: Option<String>,
}

/// UTF-8 text (invalid sequences replaced), as Zeek decodes filter attribute names.
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An OCTET STRING as Zeek's ASN.1 layer decodes it (ASCII): printable ASCII kept, every
/// other byte (controls, NUL, non-ASCII) shown as `?`.
fn ascii(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                char::from(c)
            } else {
                '?'
            }
        })
        .collect()
}

/// A filter's assertion value as Zeek writes it: NUL, ESC, `(`, `)` and `*` as `\xx`
/// (RFC 4515 escapes), the rest as UTF-8.
fn filter_value(b: &[u8]) -> String {
    let mut v = Vec::with_capacity(b.len());
    for &c in b {
        if matches!(c, 0 | 0x1b | b'(' | b')' | b'*') {
            v.extend_from_slice(format!("\\{c:02x}").as_bytes());
        } else {
            v.push(c);
        }
    }
    String::from_utf8_lossy(&v).into_owned()
}

fn universal(t: &Tlv, tag: u32) -> bool {
    t.is(BerClass::Universal, tag)
}

fn context(t: &Tlv, tag: u32) -> bool {
    t.is(BerClass::ContextSpecific, tag)
}

/// Parses one whole LDAPMessage (`b` holds exactly its bytes, or more after it, ignored).
pub fn parse_message(b: &[u8]) -> Option<LdapMessage> {
    let (seq, _) = ber::next(b)?;
    if !universal(&seq, 16) || !seq.constructed {
        return None;
    }
    let (id, rest) = ber::next(seq.data)?;
    if !universal(&id, 2) {
        return None;
    }
    let message_id = ber::int(id.data)?;
    let (p, _controls) = ber::next(rest)?;
    if p.class != BerClass::Application {
        return None;
    }
    let mut m = LdapMessage {
        message_id,
        opcode: p.tag,
        ..Default::default()
    };
    let d = p.data;
    match p.tag {
        op::BIND_REQUEST => bind_request(d, &mut m)?,
        op::BIND_RESPONSE => {
            let (r, rest) = result(d)?;
            m.result = Some(r);
            let mut rest = rest;
            while let Some((t, r2)) = ber::next(rest) {
                if context(&t, 7) {
                    m.server_sasl_creds = Some(t.data.to_vec());
                }
                rest = r2;
            }
        }
        op::UNBIND_REQUEST | op::SEARCH_RESULT_REFERENCE | op::INTERMEDIATE_RESPONSE => {}
        op::SEARCH_REQUEST => m.search = Some(search_request(d)?),
        op::SEARCH_RESULT_ENTRY
        | op::MODIFY_REQUEST
        | op::ADD_REQUEST
        | op::MOD_DN_REQUEST
        | op::COMPARE_REQUEST => {
            let (dn, rest) = ber::next(d)?;
            if !universal(&dn, 4) {
                return None;
            }
            m.object = Some(ascii(dn.data));
            if p.tag == op::MODIFY_REQUEST {
                m.argument = ber::next(rest).and_then(|(c, _)| changes(c.data));
            }
        }
        op::DEL_REQUEST => m.argument = Some(ascii(d)),
        op::ABANDON_REQUEST => m.argument = Some(ber::int(d)?.to_string()),
        op::SEARCH_RESULT_DONE
        | op::MODIFY_RESPONSE
        | op::ADD_RESPONSE
        | op::DEL_RESPONSE
        | op::MOD_DN_RESPONSE
        | op::COMPARE_RESPONSE => m.result = Some(result(d)?.0),
        op::EXTENDED_REQUEST => {
            let (name, _) = ber::next(d)?;
            if !context(&name, 0) {
                return None;
            }
            m.object = Some(ascii(name.data));
        }
        op::EXTENDED_RESPONSE => {
            let (r, mut rest) = result(d)?;
            m.result = Some(r);
            while let Some((t, r2)) = ber::next(rest) {
                if context(&t, 10) {
                    m.response_name = Some(text(t.data));
                }
                rest = r2;
            }
        }
        _ => return None,
    }
    Some(m)
}

fn bind_request(d: &[u8], m: &mut LdapMessage) -> Option<()> {
    let (v, rest) = ber::next(d)?;
    if !universal(&v, 2) {
        return None;
    }
    m.version = Some(ber::int(v.data)?);
    let (name, rest) = ber::next(rest)?;
    if !universal(&name, 4) {
        return None;
    }
    m.object = Some(ascii(name.data));
    let (auth, _) = ber::next(rest)?;
    if auth.class != BerClass::ContextSpecific {
        return None;
    }
    m.bind = Some(match auth.tag {
        0 => BindAuth::Simple {
            password_len: auth.data.len(),
        },
        3 => {
            let (mech, rest) = ber::next(auth.data)?;
            let credentials = match ber::next(rest) {
                Some((c, _)) if universal(&c, 4) => c.data.to_vec(),
                _ => Vec::new(),
            };
            BindAuth::Sasl {
                mechanism: ascii(mech.data),
                credentials,
            }
        }
        9..=11 => BindAuth::Sicily {
            choice: auth.tag,
            data: auth.data.to_vec(),
        },
        t => BindAuth::Other(t),
    });
    Some(())
}

/// LDAPResult components at the start of `d`, and what follows them.
fn result(d: &[u8]) -> Option<(LdapResult, &[u8])> {
    let (code, rest) = ber::next(d)?;
    if !universal(&code, 10) {
        return None;
    }
    let (dn, rest) = ber::next(rest)?;
    let (diag, rest) = ber::next(rest)?;
    let mut rest = rest;
    // referral [3]
    if let Some((t, r2)) = ber::next(rest) {
        if context(&t, 3) {
            rest = r2;
        }
    }
    Some((
        LdapResult {
            code: ber::int(code.data)?,
            matched_dn: ascii(dn.data),
            diagnostic: ascii(diag.data),
        },
        rest,
    ))
}

fn search_request(d: &[u8]) -> Option<SearchParams> {
    let (base, rest) = ber::next(d)?;
    let (scope, rest) = ber::next(rest)?;
    let (deref, rest) = ber::next(rest)?;
    let (size, rest) = ber::next(rest)?;
    let (time, rest) = ber::next(rest)?;
    let (types, rest) = ber::next(rest)?;
    if !universal(&base, 4) || !universal(&scope, 10) || !universal(&deref, 10) {
        return None;
    }
    let mut s = SearchParams {
        base_object: ascii(base.data),
        scope: ber::int(scope.data)?,
        deref: ber::int(deref.data)?,
        size_limit: ber::int(size.data).unwrap_or(0),
        time_limit: ber::int(time.data).unwrap_or(0),
        types_only: types.data.first().is_some_and(|&b| b != 0),
        ..Default::default()
    };
    let (f, rest) = ber::next(rest)?;
    let mut budget = MAX_FILTER_NODES;
    let mut out = String::new();
    if render_filter(&f, 0, &mut budget, &mut out).is_some() {
        s.filter = out;
    } else {
        s.filter = FILTER_ERROR.into();
    }
    if let Some((attrs, _)) = ber::next(rest) {
        s.attributes = ber::items(attrs.data, MAX_ATTRIBUTES)
            .iter()
            .map(|a| ascii(a.data))
            .collect();
    }
    Some(s)
}

/// An AttributeValueAssertion's (description, value), the value shown as Zeek shows the
/// Active Directory attributes of an "LDAP ping" (MS-ADTS 6.3.3).
fn ava(d: &[u8]) -> Option<(String, String)> {
    let (desc, rest) = ber::next(d)?;
    let (val, _) = ber::next(rest)?;
    Some((text(desc.data), ad_value(desc.data, val.data)))
}

fn ad_value(desc: &[u8], v: &[u8]) -> String {
    match desc {
        b"DomainGuid" => guid(v),
        b"objectSid" | b"AAC" => {
            let mut s = String::new();
            for (i, b) in v.iter().enumerate() {
                if i > 0 {
                    s.push(':');
                }
                let _ = write!(s, "{b:02x}");
            }
            s
        }
        b"DomainSid" => sid(v),
        b"NtVer" => match v {
            [a, b, c, d] => format!("0x{d:02x}{c:02x}{b:02x}{a:02x}"),
            _ => "HEX_FORMAT_FAILED".into(),
        },
        _ => filter_value(v),
    }
}

/// Most changes of a modify request rendered.
const MAX_CHANGES: usize = 64;

/// A ModifyRequest's changes as Zeek renders them: `op(type=v1,v2)` joined by ",".
fn changes(d: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    for c in ber::items(d, MAX_CHANGES) {
        let (opn, rest) = ber::next(c.data)?;
        let (pa, _) = ber::next(rest)?;
        let name = match ber::int(opn.data)? {
            0 => "add",
            1 => "delete",
            2 => "replace",
            3 => "increment",
            _ => return None,
        };
        let (ty, rest) = ber::next(pa.data)?;
        let mut s = format!("{name}({}", ascii(ty.data));
        if let Some((vals, _)) = ber::next(rest) {
            let vals = ber::items(vals.data, MAX_ATTRIBUTES);
            if !vals.is_empty() {
                s.push('=');
                let v: Vec<String> = vals.iter().map(|v| ascii(v.data)).collect();
                s.push_str(&v.join(","));
            }
        }
        s.push(')');
        out.push(s);
    }
    Some(out.join(","))
}

/// A GUID in its usual text form (first three fields little-endian).
fn guid(v: &[u8]) -> String {
    if v.len() != 16 {
        return "GUID_FORMAT_FAILED".into();
    }
    let mut s = String::with_capacity(36);
    for (i, &ix) in [3usize, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
        .iter()
        .enumerate()
    {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{:02x}", v[ix]);
    }
    s
}

/// A domain SID (revision, 48-bit authority, four sub-authorities) as S-1-5-21-...
fn sid(v: &[u8]) -> String {
    if v.len() != 24 {
        return "SID_FORMAT_FAILED".into();
    }
    let auth = v[2..8].iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
    let mut s = format!("S-{}-{auth}", v[0]);
    for c in v[8..].chunks(4) {
        let _ = write!(s, "-{}", u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    s
}

/// Renders a Filter (RFC 4511 section 4.5.1) as Zeek does: RFC 4515 text, except that an AND
/// or OR of more than two filters is nested pairwise (`(&(&(a)(b))(c))`), and an empty AND/OR
/// renders as nothing.
fn render_filter(f: &Tlv, depth: usize, budget: &mut usize, out: &mut String) -> Option<()> {
    if depth > MAX_FILTER_DEPTH || *budget == 0 || out.len() > MAX_FILTER_CHARS {
        return None;
    }
    *budget -= 1;
    if f.class != BerClass::ContextSpecific {
        return None;
    }
    match f.tag {
        0 | 1 => {
            let c = if f.tag == 0 { '&' } else { '|' };
            let subs = ber::items(f.data, MAX_FILTER_NODES);
            let mut repr = String::new();
            for (i, sub) in subs.iter().enumerate() {
                let mut s = String::new();
                render_filter(sub, depth + 1, budget, &mut s)?;
                match i {
                    0 => {
                        repr.push('(');
                        repr.push(c);
                        repr.push_str(&s);
                        if subs.len() == 1 {
                            repr.push(')');
                        }
                    }
                    1 => {
                        repr.push_str(&s);
                        repr.push(')');
                    }
                    _ => {
                        repr = format!("({c}{repr}{s})");
                    }
                }
                if repr.len() > MAX_FILTER_CHARS {
                    return None;
                }
            }
            out.push_str(&repr);
        }
        2 => {
            let (sub, _) = ber::next(f.data)?;
            out.push_str("(!");
            render_filter(&sub, depth + 1, budget, out)?;
            out.push(')');
        }
        3 | 5 | 6 | 8 => {
            let (d, v) = ava(f.data)?;
            let opr = match f.tag {
                3 => "=",
                5 => ">=",
                6 => "<=",
                _ => "~=",
            };
            let _ = write!(out, "({d}{opr}{v})");
        }
        4 => {
            let (desc, rest) = ber::next(f.data)?;
            let (seq, _) = ber::next(rest)?;
            let (mut initial, mut anys, mut fin) = (String::new(), String::new(), String::new());
            for s in ber::items(seq.data, MAX_FILTER_NODES) {
                match s.tag {
                    0 => initial = filter_value(s.data),
                    1 => {
                        anys.push_str(&filter_value(s.data));
                        anys.push('*');
                    }
                    2 => fin = filter_value(s.data),
                    _ => return None,
                }
            }
            let _ = write!(out, "({}={initial}*{anys}{fin})", text(desc.data));
        }
        7 => {
            let _ = write!(out, "({}=*)", ascii(f.data));
        }
        9 => {
            let (mut rule, mut ty, mut value, mut dn) = (None, None, None, false);
            for s in ber::items(f.data, 4) {
                match s.tag {
                    1 => rule = Some(text(s.data)),
                    2 => ty = Some(text(s.data)),
                    3 => value = Some(text(s.data)),
                    4 => dn = s.data.first().is_some_and(|&b| b != 0),
                    _ => {}
                }
            }
            out.push('(');
            out.push_str(ty.as_deref().unwrap_or(""));
            if dn {
                out.push_str(":dn");
            }
            if let Some(r) = rule {
                out.push(':');
                out.push_str(&r);
            }
            let _ = write!(out, ":={})", value?);
        }
        _ => return None,
    }
    Some(())
}

/// Zeek's names of result codes (its `LDAP::RESULT_CODES`), "unknown" for others.
pub fn result_name(code: i64) -> &'static str {
    match code {
        0 => "success",
        1 => "operations error",
        2 => "protocol error",
        3 => "time limit exceeded",
        4 => "size limit exceeded",
        5 => "compare false",
        6 => "compare true",
        7 => "auth method not supported",
        8 => "stronger auth required",
        9 => "partial results",
        10 => "referral",
        11 => "admin limit exceeded",
        12 => "unavailable critical extension",
        13 => "confidentiality required",
        14 => "SASL bind in progress",
        16 => "no such attribute",
        17 => "undefined attribute type",
        18 => "inappropriate matching",
        19 => "constraint violation",
        20 => "attribute or value exists",
        21 => "invalid attribute syntax",
        32 => "no such object",
        33 => "alias problem",
        34 => "invalid DN syntax",
        36 => "alias dereferencing problem",
        48 => "inappropriate authentication",
        49 => "invalid credentials",
        50 => "insufficient access rights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwilling to perform",
        54 => "loop detect",
        60 => "sort control missing",
        61 => "offset range error",
        64 => "naming violation",
        65 => "object class violation",
        66 => "not allowed on non-leaf",
        67 => "not allowed on RDN",
        68 => "entry already exists",
        69 => "object class mods prohibited",
        70 => "results too large",
        71 => "affects multiple DSAs",
        76 => "control error",
        80 => "other",
        81 => "server down",
        82 => "local error",
        83 => "encoding error",
        84 => "decoding error",
        85 => "timeout",
        86 => "auth unknown",
        87 => "filter error",
        88 => "user canceled",
        89 => "param error",
        90 => "no memory",
        91 => "connect error",
        92 => "not supported",
        93 => "control not found",
        94 => "no results returned",
        95 => "more results to return",
        96 => "client loop",
        97 => "referral limit exceeded",
        100 => "invalid response",
        101 => "ambiguous response",
        112 => "TLS not supported",
        113 => "intermediate response",
        114 => "unknown type",
        115 => "LCUP invalid data",
        116 => "LCUP unsupported scheme",
        117 => "LCUP reload required",
        118 => "canceled",
        119 => "no such operation",
        120 => "too late",
        121 => "cannot cancel",
        122 => "assertion failed",
        123 => "authorization denied",
        _ => "unknown",
    }
}

/// Zeek's normalised operation names (`LDAP::PROTOCOL_OPCODES`); binds are refined by the
/// session ("bind simple", "bind SASL", ...).
pub fn opcode_name(opcode: u32) -> &'static str {
    match opcode {
        0 | 1 => "bind",
        2 => "unbind",
        3 | 4 | 5 | 19 => "search",
        6 | 7 | 12 | 13 => "modify",
        8 | 9 => "add",
        10 | 11 => "delete",
        14 | 15 => "compare",
        16 => "abandon",
        23 | 24 => "extended",
        25 => "intermediate",
        _ => "unknown",
    }
}

/// Search scope names (`LDAP::SEARCH_SCOPES`).
pub fn scope_name(s: i64) -> &'static str {
    match s {
        0 => "base",
        1 => "single",
        2 => "tree",
        _ => "unknown",
    }
}

/// Alias dereferencing names (`LDAP::SEARCH_DEREF_ALIASES`).
pub fn deref_name(d: i64) -> &'static str {
    match d {
        0 => "never",
        1 => "searching",
        2 => "finding",
        3 => "always",
        _ => "unknown",
    }
}

/// Names of extended operations (`LDAP::EXTENDED_REQUESTS`), "unknown" for others.
pub fn extended_name(oid: &str) -> &'static str {
    match oid {
        STARTTLS_OID => "StartTLS",
        "1.3.6.1.4.1.4203.1.11.3" => "whoami",
        _ => "unknown",
    }
}
