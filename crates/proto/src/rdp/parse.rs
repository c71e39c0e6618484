//! Framing and structures of the RDP connection sequence: TPKT (RFC 1006), X.224 (ISO 8073
//! class 0) Connection Request/Confirm/Data, the RDP negotiation structures (MS-RDPBCGR
//! 2.2.1.1 and 2.2.1.2), MCS Connect Initial/Response (T.125, BER) and the GCC conference
//! user data blocks (MS-RDPBCGR 2.2.1.3 and 2.2.1.4).

/// Channel names kept from the client network data.
pub const MAX_CHANNELS: usize = 31;

/// Length of the TPKT starting `buf` once its header is there: `Some(Err(()))` when the bytes
/// are not a TPKT header, `None` when more bytes are needed.
pub fn tpkt_len(buf: &[u8]) -> Option<Result<usize, ()>> {
    if buf.len() < 4 {
        return None;
    }
    if buf[0] != 3 || buf[1] != 0 {
        return Some(Err(()));
    }
    let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
    if len < 7 {
        return Some(Err(()));
    }
    Some(Ok(len))
}

/// An X.224 TPDU (the payload of one TPKT).
#[derive(Debug, Clone, PartialEq)]
pub enum Tpdu<'a> {
    /// Connection Request: the cookie line and the negotiation request's protocols.
    ConnectionRequest {
        cookie: Option<String>,
        requested: Option<u32>,
    },
    /// Connection Confirm with its negotiation structure, if any.
    ConnectionConfirm(Option<Negotiation>),
    /// Data TPDU: the user data (an MCS PDU).
    Data(&'a [u8]),
    Other,
}

/// RDP_NEG_RSP or RDP_NEG_FAILURE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiation {
    Selected(u32),
    Failure(u32),
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Parses the TPDU of a TPKT (`tpkt` holds the 4-byte TPKT header and the TPDU).
pub fn tpdu(tpkt: &[u8]) -> Option<Tpdu<'_>> {
    let t = tpkt.get(4..)?;
    let li = *t.first()? as usize;
    let code = *t.get(1)? & 0xf0;
    // The header is LI + 1 bytes long.
    let hdr = t.get(..li + 1)?;
    match code {
        0xe0 => {
            // Connection Request: code, DST-REF, SRC-REF, class, then the variable part.
            let var = hdr.get(7..).unwrap_or(&[]);
            let (cookie, rest) = match var.windows(2).position(|w| w == b"\r\n") {
                Some(i) if var.starts_with(b"Cookie:") => (Some(&var[..i]), &var[i + 2..]),
                _ => (None, var),
            };
            let cookie = cookie.map(|c| {
                let c = String::from_utf8_lossy(c);
                match c.find("mstshash=") {
                    Some(i) => c[i + 9..].to_string(),
                    None => String::new(),
                }
            });
            let requested = if rest.len() >= 8 && rest[0] == 1 {
                u32le(rest, 4)
            } else {
                None
            };
            Some(Tpdu::ConnectionRequest { cookie, requested })
        }
        0xd0 => {
            let var = hdr.get(7..).unwrap_or(&[]);
            let neg = if var.len() >= 8 {
                match var[0] {
                    2 => Some(Negotiation::Selected(u32le(var, 4)?)),
                    3 => Some(Negotiation::Failure(u32le(var, 4)?)),
                    _ => None,
                }
            } else {
                None
            };
            Some(Tpdu::ConnectionConfirm(neg))
        }
        0xf0 => Some(Tpdu::Data(t.get(li + 1..)?)),
        _ => Some(Tpdu::Other),
    }
}

/// A BER tag and length at the start of `b`: (tag, content, rest).
fn ber(b: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let (tag, mut i) = if b.first()? & 0x1f == 0x1f {
        ((*b.first()? as u16) << 8 | *b.get(1)? as u16, 2)
    } else {
        (*b.first()? as u16, 1)
    };
    let l0 = *b.get(i)?;
    i += 1;
    let len = if l0 & 0x80 == 0 {
        l0 as usize
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 3 {
            return None;
        }
        let mut len = 0usize;
        for _ in 0..n {
            len = len << 8 | *b.get(i)? as usize;
            i += 1;
        }
        len
    };
    let content = b.get(i..i + len)?;
    Some((tag, content, &b[i + len..]))
}

/// MCS Connect Initial (application tag 101): the userData octet string (the third one).
pub fn connect_initial_user_data(mcs: &[u8]) -> Option<&[u8]> {
    let (tag, mut body, _) = ber(mcs)?;
    if tag != 0x7f65 {
        return None;
    }
    let mut octets = 0;
    while !body.is_empty() {
        let (t, c, rest) = ber(body)?;
        if t == 0x04 {
            octets += 1;
            if octets == 3 {
                return Some(c);
            }
        }
        body = rest;
    }
    None
}

/// MCS Connect Response (application tag 102): the result and the userData octet string.
pub fn connect_response(mcs: &[u8]) -> Option<(u32, Option<&[u8]>)> {
    let (tag, mut body, _) = ber(mcs)?;
    if tag != 0x7f66 {
        return None;
    }
    let mut result = None;
    let mut data = None;
    while !body.is_empty() {
        let Some((t, c, rest)) = ber(body) else {
            break;
        };
        match t {
            0x0a if result.is_none() => {
                result = Some(c.iter().fold(0u32, |a, &b| a << 8 | b as u32));
            }
            0x04 => data = Some(c),
            _ => {}
        }
        body = rest;
    }
    Some((result?, data))
}

/// The data blocks after the H.221 key (`Duca` from clients, `McDn` from servers) of a GCC
/// Conference Create Request/Response: (type, block including its 4-byte header).
pub fn gcc_blocks<'a>(user_data: &'a [u8], key: &[u8; 4]) -> Vec<(u16, &'a [u8])> {
    let mut out = Vec::new();
    let Some(k) = user_data.windows(4).position(|w| w == key) else {
        return out;
    };
    let mut i = k + 4;
    // PER length of what follows.
    let Some(&l0) = user_data.get(i) else {
        return out;
    };
    i += if l0 & 0x80 != 0 { 2 } else { 1 };
    let mut b = user_data.get(i..).unwrap_or(&[]);
    while b.len() >= 4 {
        let t = u16::from_le_bytes([b[0], b[1]]);
        let len = u16::from_le_bytes([b[2], b[3]]) as usize;
        if len < 4 {
            break;
        }
        let blk = &b[..len.min(b.len())];
        out.push((t, blk));
        if len > b.len() {
            break;
        }
        b = &b[len..];
    }
    out
}

/// UTF-16LE text up to its first NUL.
fn utf16z(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// Client core data (TS_UD_CS_CORE), the fields rdp.log shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientCore {
    pub desktop_width: u16,
    pub desktop_height: u16,
    pub color_depth: u16,
    pub keyboard_layout: u32,
    pub client_build: u32,
    pub client_name: String,
    pub post_beta2_color_depth: Option<u16>,
    pub high_color_depth: Option<u16>,
    pub early_capability_flags: Option<u16>,
    pub dig_product_id: Option<String>,
}

/// TS_UD_CS_CORE (block type 0xC001), offsets from the block header.
pub fn client_core(blk: &[u8]) -> Option<ClientCore> {
    let b = blk.get(4..)?;
    Some(ClientCore {
        desktop_width: u16le(b, 4)?,
        desktop_height: u16le(b, 6)?,
        color_depth: u16le(b, 8)?,
        keyboard_layout: u32le(b, 12)?,
        client_build: u32le(b, 16)?,
        client_name: utf16z(b.get(20..52)?),
        post_beta2_color_depth: u16le(b, 128),
        high_color_depth: u16le(b, 136),
        early_capability_flags: u16le(b, 140),
        dig_product_id: b.get(142..206).map(utf16z),
    })
}

/// TS_UD_CS_NET (block type 0xC003): the channel names.
pub fn client_channels(blk: &[u8]) -> Vec<String> {
    let Some(n) = u32le(blk, 4) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..(n as usize).min(MAX_CHANNELS) {
        let Some(name) = blk.get(8 + i * 12..8 + i * 12 + 8) else {
            break;
        };
        let end = name.iter().position(|&c| c == 0).unwrap_or(8);
        out.push(String::from_utf8_lossy(&name[..end]).into_owned());
    }
    out
}

/// Server security data (TS_UD_SC_SEC1, block type 0x0C02).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerSecurity {
    pub encryption_method: u32,
    pub encryption_level: u32,
    /// certChainVersion: 1 proprietary, 2 X.509.
    pub cert_version: Option<u32>,
    pub cert_permanent: Option<bool>,
    pub cert_count: u32,
}

pub fn server_security(blk: &[u8]) -> Option<ServerSecurity> {
    let mut s = ServerSecurity {
        encryption_method: u32le(blk, 4)?,
        encryption_level: u32le(blk, 8)?,
        ..Default::default()
    };
    if s.encryption_method == 0 && s.encryption_level == 0 {
        return Some(s);
    }
    let Some(random_len) = u32le(blk, 12) else {
        return Some(s);
    };
    let cert_at = 20usize.saturating_add(random_len as usize);
    if let Some(ver) = u32le(blk, cert_at) {
        let chain = ver & 0x7fff_ffff;
        s.cert_version = Some(chain);
        s.cert_permanent = Some(ver & 0x8000_0000 == 0);
        s.cert_count = match chain {
            1 => 1,
            2 => u32le(blk, cert_at + 4).unwrap_or(0),
            _ => 0,
        };
    }
    Some(s)
}

/// Most certificates taken from an X.509 chain of Server Security Data.
pub const MAX_CHAIN_CERTS: usize = 16;

/// The DER certificates of an X.509 certificate chain (certChainVersion 2) in a Server
/// Security Data block (MS-RDPBCGR 2.2.1.4.3 and 2.2.1.4.3.1.2: NumCertBlobs, then each
/// blob as a 4-byte length and the certificate), in chain order; empty for a proprietary
/// certificate or when the block ends early.
pub fn server_x509_chain(blk: &[u8]) -> Vec<&[u8]> {
    let mut certs = Vec::new();
    let (Some(method), Some(level), Some(random_len)) =
        (u32le(blk, 4), u32le(blk, 8), u32le(blk, 12))
    else {
        return certs;
    };
    if method == 0 && level == 0 {
        return certs;
    }
    let cert_at = 20usize.saturating_add(random_len as usize);
    if u32le(blk, cert_at).map(|v| v & 0x7fff_ffff) != Some(2) {
        return certs;
    }
    let Some(n) = u32le(blk, cert_at + 4) else {
        return certs;
    };
    let mut at = cert_at + 8;
    for _ in 0..(n as usize).min(MAX_CHAIN_CERTS) {
        let Some(len) = u32le(blk, at) else {
            break;
        };
        let start = at + 4;
        let Some(der) = start
            .checked_add(len as usize)
            .and_then(|end| blk.get(start..end))
        else {
            break;
        };
        certs.push(der);
        at = start + der.len();
    }
    certs
}
