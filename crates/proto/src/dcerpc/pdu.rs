//! Connection-oriented PDUs (C706 12.6, MS-RPCE 2.2.2.13): pure functions over bytes.

/// PDU types (C706 12.6.4, `PTYPE`).
pub mod ptype {
    pub const REQUEST: u8 = 0;
    pub const RESPONSE: u8 = 2;
    pub const FAULT: u8 = 3;
    pub const BIND: u8 = 11;
    pub const BIND_ACK: u8 = 12;
    pub const BIND_NAK: u8 = 13;
    pub const ALTER_CONTEXT: u8 = 14;
    pub const ALTER_CONTEXT_RESP: u8 = 15;
    pub const AUTH3: u8 = 16;
    pub const SHUTDOWN: u8 = 17;
    pub const CO_CANCEL: u8 = 18;
    pub const ORPHANED: u8 = 19;
}

/// `pfc_flags` bits.
pub const PFC_FIRST_FRAG: u8 = 0x01;
pub const PFC_LAST_FRAG: u8 = 0x02;
pub const PFC_OBJECT_UUID: u8 = 0x80;

/// The 16-byte common header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub ptype: u8,
    pub flags: u8,
    /// Integer representation: little-endian when true (`packed_drep[0] & 0x10`).
    pub le: bool,
    pub frag_len: u16,
    pub auth_len: u16,
    pub call_id: u32,
}

pub const HEADER_LEN: usize = 16;

/// Reader of integers in the PDU's byte order.
#[derive(Clone, Copy)]
pub struct Rd<'a> {
    pub b: &'a [u8],
    pub le: bool,
}

impl<'a> Rd<'a> {
    pub fn u8(&self, at: usize) -> Option<u8> {
        self.b.get(at).copied()
    }
    pub fn u16(&self, at: usize) -> Option<u16> {
        let s = self.b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }
    pub fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
    /// A UUID in its canonical text form (the first three fields in the PDU's byte order).
    pub fn uuid(&self, at: usize) -> Option<String> {
        let s = self.b.get(at..at.checked_add(16)?)?;
        Some(format_uuid(s, self.le))
    }
}

/// Formats 16 wire bytes of a UUID (C706 appendix A) as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn format_uuid(s: &[u8], le: bool) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(36);
    let (a, b, c) = if le {
        (
            u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
            u16::from_le_bytes([s[4], s[5]]),
            u16::from_le_bytes([s[6], s[7]]),
        )
    } else {
        (
            u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
            u16::from_be_bytes([s[4], s[5]]),
            u16::from_be_bytes([s[6], s[7]]),
        )
    };
    let _ = write!(out, "{a:08x}-{b:04x}-{c:04x}-{:02x}{:02x}-", s[8], s[9]);
    for x in &s[10..16] {
        let _ = write!(out, "{x:02x}");
    }
    out
}

/// Parses the common header; `None` when fewer than 16 bytes are given or the header is not
/// a connection-oriented RPC v5 header (version 5.0/5.1, known type, consistent lengths).
pub fn parse_header(b: &[u8]) -> Option<Header> {
    if b.len() < HEADER_LEN || b[0] != 5 || b[1] > 1 {
        return None;
    }
    let ptype = b[2];
    if ptype > ptype::ORPHANED {
        return None;
    }
    // Character representation ASCII/EBCDIC, float formats: only the integer order matters.
    let le = b[4] & 0x10 != 0;
    let r = Rd { b, le };
    let frag_len = r.u16(8)?;
    let auth_len = r.u16(10)?;
    if (frag_len as usize) < HEADER_LEN {
        return None;
    }
    if auth_len != 0 && (auth_len as usize) + 8 + HEADER_LEN > frag_len as usize {
        return None;
    }
    Some(Header {
        ptype,
        flags: b[3],
        le,
        frag_len,
        auth_len,
        call_id: r.u32(12)?,
    })
}

/// Presentation context proposed in a bind or alter_context (`p_cont_elem_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextElem {
    pub id: u16,
    pub uuid: String,
    pub version: u32,
}

/// Contexts of a bind/alter_context PDU (`pdu` is the whole PDU). At most 64 are returned.
pub fn bind_contexts(h: &Header, pdu: &[u8]) -> Vec<ContextElem> {
    let r = Rd { b: pdu, le: h.le };
    let mut out = Vec::new();
    let Some(n) = r.u8(24) else {
        return out;
    };
    let mut at = 28;
    for _ in 0..n.min(64) {
        let (Some(id), Some(n_ts), Some(uuid), Some(version)) =
            (r.u16(at), r.u8(at + 2), r.uuid(at + 4), r.u32(at + 20))
        else {
            break;
        };
        out.push(ContextElem { id, uuid, version });
        at += 24 + 20 * n_ts as usize;
    }
    out
}

/// bind_ack/alter_context_resp: the secondary address (port or pipe name, without its NUL)
/// and the result of each context (0 = acceptance).
pub fn bind_ack(h: &Header, pdu: &[u8]) -> Option<(String, Vec<u16>)> {
    let r = Rd { b: pdu, le: h.le };
    let len = r.u16(24)? as usize;
    let raw = pdu.get(26..26 + len)?;
    let raw = raw.split(|&c| c == 0).next().unwrap_or(&[]);
    let sec_addr: String = String::from_utf8_lossy(&raw[..raw.len().min(256)]).into_owned();
    // The result list starts 4-aligned (from the PDU start).
    let at = (26 + len + 3) & !3;
    let n = r.u8(at).unwrap_or(0);
    let mut results = Vec::new();
    for i in 0..n.min(64) as usize {
        match r.u16(at + 4 + 24 * i) {
            Some(v) => results.push(v),
            None => break,
        }
    }
    Some((sec_addr, results))
}

/// A request's context id, opnum and stub bytes.
pub struct Request<'a> {
    pub ctx_id: u16,
    pub opnum: u16,
    pub stub: &'a [u8],
}

/// The body end (before the authentication trailer) of a whole PDU.
fn body_end(h: &Header, pdu: &[u8]) -> usize {
    let end = (h.frag_len as usize).min(pdu.len());
    if h.auth_len == 0 {
        return end;
    }
    let tr = end.saturating_sub(h.auth_len as usize + 8);
    // The trailer's auth_pad_length counts padding before it.
    let pad = pdu.get(tr + 2).copied().unwrap_or(0) as usize;
    tr.saturating_sub(pad)
}

pub fn request<'a>(h: &Header, pdu: &'a [u8]) -> Option<Request<'a>> {
    let r = Rd { b: pdu, le: h.le };
    let ctx_id = r.u16(20)?;
    let opnum = r.u16(22)?;
    let start = if h.flags & PFC_OBJECT_UUID != 0 {
        40
    } else {
        24
    };
    let end = body_end(h, pdu);
    let stub = pdu.get(start..end.max(start)).unwrap_or(&[]);
    Some(Request {
        ctx_id,
        opnum,
        stub,
    })
}

/// Response context id.
pub fn response_ctx(h: &Header, pdu: &[u8]) -> Option<u16> {
    Rd { b: pdu, le: h.le }.u16(20)
}

/// Fault status.
pub fn fault_status(h: &Header, pdu: &[u8]) -> Option<u32> {
    Rd { b: pdu, le: h.le }.u32(24)
}

/// Authentication trailer (`sec_trailer`, C706 13.2.6.1): (auth_type, auth_value).
pub fn auth_trailer<'a>(h: &Header, pdu: &'a [u8]) -> Option<(u8, &'a [u8])> {
    if h.auth_len == 0 {
        return None;
    }
    let end = (h.frag_len as usize).min(pdu.len());
    let tr = end.checked_sub(h.auth_len as usize + 8)?;
    if tr < HEADER_LEN {
        return None;
    }
    let t = *pdu.get(tr)?;
    Some((t, pdu.get(tr + 8..end)?))
}

/// Authentication types (MS-RPCE 2.2.1.1.7).
pub const AUTHN_GSS_NEGOTIATE: u8 = 9;
pub const AUTHN_WINNT: u8 = 10;
pub const AUTHN_GSS_KERBEROS: u8 = 16;
