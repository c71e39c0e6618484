//! SSH transport-layer parsing (RFC 4253): identification strings, the binary packet framing
//! of the unencrypted phase, KEXINIT name-lists, and the server host key of the key exchange
//! reply. Pure functions over bytes; every length is checked against the input.

/// Longest identification string (RFC 4253 4.2: 255 bytes including CR LF).
pub const MAX_BANNER: usize = 255;
/// Largest packet accepted (RFC 4253 6.1: implementations should handle 35,000 bytes).
pub const MAX_PACKET: usize = 35_000;

pub const MSG_DISCONNECT: u8 = 1;
pub const MSG_IGNORE: u8 = 2;
pub const MSG_KEXINIT: u8 = 20;
pub const MSG_NEWKEYS: u8 = 21;
/// KEXDH_REPLY / KEX_ECDH_REPLY (and most hybrid methods), or KEX_DH_GEX_GROUP.
pub const MSG_KEX_31: u8 = 31;
/// KEX_DH_GEX_REPLY.
pub const MSG_KEX_DH_GEX_REPLY: u8 = 33;

/// Protocol version announced by an identification string `SSH-<protoversion>-...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoVersion {
    pub major: u32,
    pub minor: u32,
}

impl ProtoVersion {
    /// "1.99" means both 1 and 2 (RFC 4253 5.1).
    pub fn supports_v2(self) -> bool {
        self.major == 2 || (self.major == 1 && self.minor == 99)
    }
    pub fn supports_v1(self) -> bool {
        self.major == 1
    }
}

/// Parses the protocol version of an identification string (without line end).
pub fn banner_version(banner: &str) -> Option<ProtoVersion> {
    let rest = banner.strip_prefix("SSH-")?;
    let ver = rest.split('-').next()?;
    let (ma, mi) = ver.split_once('.')?;
    Some(ProtoVersion {
        major: ma.parse().ok()?,
        minor: mi.parse().ok()?,
    })
}

/// The version both sides speak, as Zeek's `version` (2 when both can speak 2, else 1 when both
/// can speak 1).
pub fn negotiated_version(client: ProtoVersion, server: ProtoVersion) -> Option<u8> {
    if client.supports_v2() && server.supports_v2() {
        Some(2)
    } else if client.supports_v1() && server.supports_v1() {
        Some(1)
    } else {
        None
    }
}

/// The name-lists of a KEXINIT (RFC 4253 7.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KexInit {
    pub cookie: [u8; 16],
    pub kex: Vec<String>,
    pub host_key: Vec<String>,
    pub enc_c2s: Vec<String>,
    pub enc_s2c: Vec<String>,
    pub mac_c2s: Vec<String>,
    pub mac_s2c: Vec<String>,
    pub comp_c2s: Vec<String>,
    pub comp_s2c: Vec<String>,
    pub lang_c2s: Vec<String>,
    pub lang_s2c: Vec<String>,
    pub first_kex_follows: bool,
    /// The raw name-lists, as sent (for HASSH, which hashes them verbatim).
    pub raw: [String; 10],
}

/// Reads an SSH `string` (uint32 length + bytes) at `*pos`.
pub fn read_string<'a>(b: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(b.get(*pos..*pos + 4)?.try_into().ok()?) as usize;
    let start = *pos + 4;
    let s = b.get(start..start.checked_add(len)?)?;
    *pos = start + len;
    Some(s)
}

fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// Parses a KEXINIT payload (starting with its message number 20).
pub fn parse_kexinit(payload: &[u8]) -> Option<KexInit> {
    if payload.first() != Some(&MSG_KEXINIT) {
        return None;
    }
    let cookie: [u8; 16] = payload.get(1..17)?.try_into().ok()?;
    let mut pos = 17;
    let mut raw: [String; 10] = Default::default();
    for r in raw.iter_mut() {
        *r = text(read_string(payload, &mut pos)?);
    }
    let first_kex_follows = payload.get(pos).is_some_and(|&b| b != 0);
    let list = |s: &String| -> Vec<String> {
        if s.is_empty() {
            Vec::new()
        } else {
            s.split(',').map(String::from).collect()
        }
    };
    Some(KexInit {
        cookie,
        kex: list(&raw[0]),
        host_key: list(&raw[1]),
        enc_c2s: list(&raw[2]),
        enc_s2c: list(&raw[3]),
        mac_c2s: list(&raw[4]),
        mac_s2c: list(&raw[5]),
        comp_c2s: list(&raw[6]),
        comp_s2c: list(&raw[7]),
        lang_c2s: list(&raw[8]),
        lang_s2c: list(&raw[9]),
        first_kex_follows,
        raw,
    })
}

/// RFC 4253 7.1: the first algorithm of the client's list that the server also lists.
pub fn negotiate(client: &[String], server: &[String]) -> Option<String> {
    client.iter().find(|c| server.contains(c)).cloned()
}

/// The server host key `K_S` of a key exchange reply: the first `string` after the message
/// number, for every method of RFC 4253, 4419, 5656, 8731 and the hybrid post-quantum ones.
pub fn kex_reply_host_key(payload: &[u8]) -> Option<&[u8]> {
    let mut pos = 1;
    read_string(payload, &mut pos)
}

/// Result of looking for one binary packet at the start of `buf`.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole packet: its payload and the bytes it used.
    Packet { payload: &'a [u8], used: usize },
    /// More bytes are needed.
    Incomplete,
    /// Not a valid unencrypted packet.
    Invalid(&'static str),
}

/// Frames one unencrypted binary packet (RFC 4253 6): uint32 packet_length, byte
/// padding_length, payload, padding (no MAC before the first NEWKEYS).
pub fn frame(buf: &[u8]) -> Frame<'_> {
    let Some(hdr) = buf.get(..5) else {
        return Frame::Incomplete;
    };
    let len = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
    let pad = hdr[4] as usize;
    if len > MAX_PACKET {
        return Frame::Invalid("SSH_packet_too_large");
    }
    if len < 1 + pad || len < 5 {
        return Frame::Invalid("SSH_bad_padding");
    }
    let Some(body) = buf.get(5..4 + len) else {
        return Frame::Incomplete;
    };
    Frame::Packet {
        payload: &body[..len - 1 - pad],
        used: 4 + len,
    }
}
