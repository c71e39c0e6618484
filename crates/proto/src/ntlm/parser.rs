//! NTLMSSP messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE, AUTHENTICATE, found wherever a
//! carrying protocol puts them (SMB security blobs, HTTP `Authorization: NTLM`, DCE-RPC
//! auth verifiers).
//!
//! Caps: field offsets and lengths are checked against the buffer handed over (a field out
//! of bounds is absent); at most [`MAX_AV_PAIRS`] target information pairs and
//! [`MAX_MESSAGES`] messages per search are read.

/// "NTLMSSP\0".
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// NTLMSSP_NEGOTIATE_UNICODE: strings are UTF-16LE (otherwise OEM, read as Latin-1/UTF-8).
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// Target information pairs read per CHALLENGE.
pub const MAX_AV_PAIRS: usize = 64;
/// Messages returned by one [`find_and_parse`].
pub const MAX_MESSAGES: usize = 64;

/// NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NtlmNegotiate {
    pub flags: u32,
    pub domain: Option<String>,
    pub workstation: Option<String>,
}

/// CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) with its target information (2.2.2.1 AV_PAIRs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NtlmChallenge {
    pub flags: u32,
    pub target_name: Option<String>,
    pub challenge: [u8; 8],
    /// MsvAvNbComputerName (1).
    pub nb_computer_name: Option<String>,
    /// MsvAvNbDomainName (2).
    pub nb_domain_name: Option<String>,
    /// MsvAvDnsComputerName (3).
    pub dns_computer_name: Option<String>,
    /// MsvAvDnsDomainName (4).
    pub dns_domain_name: Option<String>,
    /// MsvAvDnsTreeName (5).
    pub dns_tree_name: Option<String>,
    /// The target information ended without MsvAvEOL.
    pub av_unterminated: bool,
}

/// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NtlmAuthenticate {
    pub flags: u32,
    pub domain: Option<String>,
    pub user: Option<String>,
    pub workstation: Option<String>,
    /// Length of the NT challenge response (24: NTLMv1, longer: NTLMv2; 0: anonymous).
    pub nt_response_len: u16,
}

/// One NTLMSSP message.
#[derive(Debug, Clone, PartialEq)]
pub enum NtlmMessage {
    Negotiate(NtlmNegotiate),
    Challenge(NtlmChallenge),
    Authenticate(NtlmAuthenticate),
}

fn u16le(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn u32le(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

/// The bytes a (len, maxlen, offset) field descriptor at `at` points to.
fn field(d: &[u8], at: usize) -> Option<&[u8]> {
    let len = u16le(d, at)? as usize;
    let off = u32le(d, at + 4)? as usize;
    d.get(off..off.checked_add(len)?)
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn string(b: &[u8], unicode: bool) -> String {
    if unicode {
        utf16(b)
    } else {
        String::from_utf8_lossy(b).into_owned()
    }
}

/// A string field, `None` when absent or empty.
fn text(d: &[u8], at: usize, unicode: bool) -> Option<String> {
    field(d, at)
        .filter(|b| !b.is_empty())
        .map(|b| string(b, unicode))
}

fn av_pairs(info: &[u8], c: &mut NtlmChallenge) {
    let mut i = 0;
    for _ in 0..MAX_AV_PAIRS {
        let (Some(id), Some(len)) = (u16le(info, i), u16le(info, i + 2)) else {
            c.av_unterminated = true;
            return;
        };
        if id == 0 {
            return;
        }
        let Some(v) = info.get(i + 4..i + 4 + len as usize) else {
            c.av_unterminated = true;
            return;
        };
        let s = Some(utf16(v));
        match id {
            1 => c.nb_computer_name = s,
            2 => c.nb_domain_name = s,
            3 => c.dns_computer_name = s,
            4 => c.dns_domain_name = s,
            5 => c.dns_tree_name = s,
            _ => {}
        }
        i += 4 + len as usize;
    }
}

/// Parses the NTLMSSP message at the start of `data` (which may run on past the message:
/// fields are located by their offsets).
pub fn parse_ntlmssp(data: &[u8]) -> Option<NtlmMessage> {
    if !data.starts_with(SIGNATURE) {
        return None;
    }
    match u32le(data, 8)? {
        1 => {
            let flags = u32le(data, 12)?;
            // Domain and workstation of a NEGOTIATE are always OEM.
            Some(NtlmMessage::Negotiate(NtlmNegotiate {
                flags,
                domain: text(data, 16, false),
                workstation: text(data, 24, false),
            }))
        }
        2 => {
            let flags = u32le(data, 20)?;
            let mut c = NtlmChallenge {
                flags,
                target_name: text(data, 12, flags & NEGOTIATE_UNICODE != 0),
                ..Default::default()
            };
            c.challenge.copy_from_slice(data.get(24..32)?);
            // A target information field running past the buffer is read as far as it goes
            // (its pairs up to there are still the server's).
            let len = u16le(data, 40)? as usize;
            let off = u32le(data, 44)? as usize;
            if let Some(info) =
                data.get(off.min(data.len())..off.saturating_add(len).min(data.len()))
            {
                av_pairs(info, &mut c);
            }
            Some(NtlmMessage::Challenge(c))
        }
        3 => {
            let flags = u32le(data, 60).unwrap_or(NEGOTIATE_UNICODE);
            let uni = flags & NEGOTIATE_UNICODE != 0;
            u32le(data, 48)?;
            Some(NtlmMessage::Authenticate(NtlmAuthenticate {
                flags,
                domain: text(data, 28, uni),
                user: text(data, 36, uni),
                workstation: text(data, 44, uni),
                nt_response_len: u16le(data, 20)?,
            }))
        }
        _ => None,
    }
}

/// Every NTLMSSP message found in `stream` (a carrying protocol's bytes, in which the
/// signature is searched), with its offset, in order.
pub fn find_and_parse(stream: &[u8]) -> Vec<(usize, NtlmMessage)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + SIGNATURE.len() <= stream.len() && found.len() < MAX_MESSAGES {
        match crate::find(&stream[i..], SIGNATURE) {
            Some(p) => {
                let at = i + p;
                if let Some(m) = parse_ntlmssp(&stream[at..]) {
                    found.push((at, m));
                }
                i = at + SIGNATURE.len();
            }
            None => break,
        }
    }
    found
}

fn b64_val(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Standard base64 (RFC 4648 4), padding optional; `None` on any other character.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        acc = (acc << 6) | b64_val(c)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The NTLMSSP message of an HTTP `Authorization`, `WWW-Authenticate` or
/// `Proxy-Authenticate`/`Proxy-Authorization` value: `NTLM <base64>`, or `Negotiate
/// <base64>` whose SPNEGO token wraps NTLMSSP.
pub fn parse_http_auth(value: &str) -> Option<NtlmMessage> {
    let v = value.trim();
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("NTLM") && !scheme.eq_ignore_ascii_case("Negotiate") {
        return None;
    }
    let raw = base64_decode(rest)?;
    find_and_parse(&raw).into_iter().next().map(|(_, m)| m)
}
