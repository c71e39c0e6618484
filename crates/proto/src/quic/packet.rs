//! QUIC wire format: variable-length integers (RFC 9000 §16), long headers (§17.2, RFC 9369
//! §3.2 for version 2's packet types), the frames of Initial packets (§19) and the reassembly
//! of the CRYPTO stream.

use super::crypto::{version_params, VERSION_2};

/// A variable-length integer and the number of bytes it took.
pub fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(..len)?;
    let mut v = (first & 0x3f) as u64;
    for &x in &bytes[1..] {
        v = (v << 8) | x as u64;
    }
    Some((v, len))
}

/// A cursor over bytes, for the frame and header parsers.
pub struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }
    pub fn u8(&mut self) -> Option<u8> {
        let v = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }
    pub fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn var(&mut self) -> Option<u64> {
        let (v, n) = varint(self.rest())?;
        self.pos += n;
        Some(v)
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    pub fn take_var(&mut self, n: u64) -> Option<&'a [u8]> {
        self.take(usize::try_from(n).ok()?)
    }
}

/// Long-header packet types, whatever their encoding in the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

/// The type of a long-header packet of a known version from its first byte.
pub fn long_type(version: u32, first: u8) -> LongType {
    let bits = (first >> 4) & 0x03;
    let v2 = version_params(version).is_some_and(|p| p.v2_types) || version == VERSION_2;
    match (v2, bits) {
        (false, 0) | (true, 1) => LongType::Initial,
        (false, 1) | (true, 2) => LongType::ZeroRtt,
        (false, 2) | (true, 3) => LongType::Handshake,
        _ => LongType::Retry,
    }
}

/// What a long header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongHeader<'a> {
    pub first: u8,
    pub version: u32,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// None for versions netloupe does not know (and for Version Negotiation, version 0):
    /// only the version-independent fields (RFC 8999) are read then.
    pub ptype: Option<LongType>,
    /// Initial packets' token.
    pub token: &'a [u8],
    /// Offset of the packet number (Initial, 0-RTT, Handshake).
    pub pn_offset: usize,
    /// Length of the whole packet, header included. For Retry, Version Negotiation and unknown
    /// versions, the rest of the datagram.
    pub len: usize,
    /// The Length field claimed more bytes than the datagram holds (`len` is then cut).
    pub truncated: bool,
}

/// Parses the long header at the start of `data` (bit 0x80 of the first byte set). None when
/// the invariant fields do not fit.
pub fn parse_long(data: &[u8]) -> Option<LongHeader<'_>> {
    let mut r = Reader::new(data);
    let first = r.u8()?;
    if first & 0x80 == 0 {
        return None;
    }
    let version = r.u32()?;
    let dl = r.u8()?;
    let dcid = r.take(dl as usize)?;
    let sl = r.u8()?;
    let scid = r.take(sl as usize)?;
    let mut h = LongHeader {
        first,
        version,
        dcid,
        scid,
        ptype: None,
        token: &[],
        pn_offset: 0,
        len: data.len(),
        truncated: false,
    };
    if version == 0 || version_params(version).is_none() {
        return Some(h);
    }
    // Known versions limit connection ids to 20 bytes (RFC 9000 §17.2).
    if dl > 20 || sl > 20 {
        return None;
    }
    let t = long_type(version, first);
    h.ptype = Some(t);
    match t {
        LongType::Retry => return Some(h),
        LongType::Initial => {
            let n = r.var()?;
            h.token = r.take_var(n)?;
        }
        _ => {}
    }
    let len = r.var()?;
    h.pn_offset = r.pos;
    let avail = (data.len() - r.pos) as u64;
    if len > avail {
        h.truncated = true;
    } else {
        h.len = r.pos + len as usize;
    }
    Some(h)
}

/// What the frames of a decrypted Initial packet carry.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Frames<'a> {
    /// CRYPTO frames: (offset, data).
    pub crypto: Vec<(u64, &'a [u8])>,
    pub connection_close: bool,
    /// Parsing stopped at an unknown or malformed frame.
    pub stopped: bool,
}

/// Most CRYPTO frames taken from one packet (a 1500-byte packet cannot hold many more).
const MAX_CRYPTO_FRAMES: usize = 256;

/// Reads the frames of a decrypted Initial (or Handshake) payload: PADDING, PING, ACK, CRYPTO,
/// CONNECTION_CLOSE. Any other frame type stops the walk (it cannot appear in Initial packets,
/// RFC 9000 §12.4, and its length is not known without parsing it).
pub fn parse_frames(payload: &[u8]) -> Frames<'_> {
    let mut f = Frames::default();
    let mut r = Reader::new(payload);
    while r.pos < payload.len() {
        if walk_frame(&mut r, &mut f).is_none() {
            f.stopped = true;
            break;
        }
    }
    f
}

fn walk_frame<'a>(r: &mut Reader<'a>, f: &mut Frames<'a>) -> Option<()> {
    match r.var()? {
        0x00 => {
            // PADDING: skip the run at once.
            let n = r.rest().iter().take_while(|&&b| b == 0).count();
            r.pos += n;
        }
        0x01 => {}
        t @ (0x02 | 0x03) => {
            let _largest = r.var()?;
            let _delay = r.var()?;
            let count = r.var()?;
            let _first = r.var()?;
            for _ in 0..count {
                // Each range takes at least two bytes: a bogus count ends at the buffer's end.
                r.var()?;
                r.var()?;
            }
            if t == 0x03 {
                r.var()?;
                r.var()?;
                r.var()?;
            }
        }
        0x06 => {
            let off = r.var()?;
            let len = r.var()?;
            let data = r.take_var(len)?;
            if f.crypto.len() < MAX_CRYPTO_FRAMES {
                f.crypto.push((off, data));
            }
        }
        t @ (0x1c | 0x1d) => {
            let _code = r.var()?;
            if t == 0x1c {
                let _frame_type = r.var()?;
            }
            let n = r.var()?;
            r.take_var(n)?;
            f.connection_close = true;
        }
        _ => return None,
    }
    Some(())
}

/// Longest CRYPTO stream prefix reassembled per direction and packet number space.
pub const MAX_CRYPTO: usize = 64 * 1024;

/// The CRYPTO stream of one direction, reassembled by offset (bytes past [`MAX_CRYPTO`] are
/// dropped).
#[derive(Debug, Default, Clone)]
pub struct CryptoStream {
    buf: Vec<u8>,
    /// Received ranges, sorted and disjoint.
    have: Vec<(usize, usize)>,
}

/// Most separate ranges kept: a peer sending many tiny out-of-order fragments is cut off.
const MAX_RANGES: usize = 256;

impl CryptoStream {
    pub fn insert(&mut self, offset: u64, data: &[u8]) {
        let Ok(start) = usize::try_from(offset) else {
            return;
        };
        if start >= MAX_CRYPTO || data.is_empty() {
            return;
        }
        let end = start.saturating_add(data.len()).min(MAX_CRYPTO);
        if self.have.len() >= MAX_RANGES && !self.have.iter().any(|&(a, b)| a <= end && start <= b)
        {
            return;
        }
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        self.buf[start..end].copy_from_slice(&data[..end - start]);
        // Merge the new range into the sorted list.
        let (mut s, mut e) = (start, end);
        let mut merged = Vec::with_capacity(self.have.len() + 1);
        let mut placed = false;
        for &(a, b) in &self.have {
            if b < s {
                merged.push((a, b));
            } else if e < a {
                if !placed {
                    merged.push((s, e));
                    placed = true;
                }
                merged.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        if !placed {
            merged.push((s, e));
        }
        self.have = merged;
    }

    /// The bytes received without a hole from offset 0.
    pub fn contiguous(&self) -> &[u8] {
        match self.have.first() {
            Some(&(0, e)) => &self.buf[..e],
            _ => &[],
        }
    }

    /// Frees the buffer (the stream is no longer needed).
    pub fn clear(&mut self) {
        self.buf = Vec::new();
        self.have = Vec::new();
    }
}

/// Zeek's name of a QUIC version (`QUIC::version_strings`, and "unknown-%x" otherwise).
pub fn version_name(v: u32) -> String {
    match v {
        0x0000_0001 => "1".into(),
        VERSION_2 => "quicv2".into(),
        0x709a_50c4 => "quicv2-draft".into(),
        0xff00_0001..=0xff00_00ff => format!("draft-{}", v & 0xff),
        0xface_b001..=0xface_b00f => format!("mvfst ({v:x})"),
        _ => format!("unknown-{v:x}"),
    }
}
