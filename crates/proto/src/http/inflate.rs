//! A bounded DEFLATE decoder (RFC 1951) with the gzip (RFC 1952) and zlib (RFC 1950)
//! wrappers, for `Content-Encoding: gzip`/`deflate` bodies: Zeek reports the decompressed
//! length and sniffs the decompressed bytes. Written from the RFCs; output is capped and a
//! corrupt stream yields what was decoded before the error.

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
    nbits: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> Option<u32> {
        while self.nbits < n {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            self.bit |= (b as u32) << self.nbits;
            self.nbits += 8;
        }
        let v = self.bit & ((1u32 << n) - 1);
        self.bit >>= n;
        self.nbits -= n;
        Some(v)
    }
}

/// A canonical Huffman code: number of codes of each length and symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Option<Self> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        // Over-subscribed codes are invalid.
        let mut left: i32 = 1;
        for &c in &counts[1..] {
            left = left * 2 - c as i32;
            if left < 0 {
                return None;
            }
        }
        let mut offs = [0u16; 16];
        for l in 1..15 {
            offs[l + 1] = offs[l] + counts[l];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Some(Huffman { counts, symbols })
    }

    fn decode(&self, b: &mut Bits) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= b.need(1)? as i32;
            let count = self.counts[len] as i32;
            if code - first < count {
                return self.symbols.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Inflates raw DEFLATE data into `out`, stopping at `cap` bytes of output. Returns whether
/// the final block was reached without error.
pub fn inflate_raw(data: &[u8], out: &mut Vec<u8>, cap: usize) -> bool {
    let mut b = Bits {
        data,
        pos: 0,
        bit: 0,
        nbits: 0,
    };
    inflate_blocks(&mut b, out, cap).is_some()
}

fn inflate_blocks(b: &mut Bits, out: &mut Vec<u8>, cap: usize) -> Option<()> {
    loop {
        let last = b.need(1)?;
        match b.need(2)? {
            0 => {
                b.bit = 0;
                b.nbits = 0;
                let hdr = b.data.get(b.pos..b.pos + 4)?;
                let len = u16::from_le_bytes([hdr[0], hdr[1]]) as usize;
                if len != !u16::from_le_bytes([hdr[2], hdr[3]]) as usize {
                    return None;
                }
                b.pos += 4;
                let chunk = b.data.get(b.pos..b.pos + len)?;
                b.pos += len;
                let n = chunk.len().min(cap.saturating_sub(out.len()));
                out.extend_from_slice(&chunk[..n]);
            }
            1 => {
                let mut l = [0u8; 288];
                l[..144].fill(8);
                l[144..256].fill(9);
                l[256..280].fill(7);
                l[280..].fill(8);
                let lit = Huffman::new(&l)?;
                let dist = Huffman::new(&[5u8; 30])?;
                codes(b, out, cap, &lit, &dist)?;
            }
            2 => {
                let nlen = b.need(5)? as usize + 257;
                let ndist = b.need(5)? as usize + 1;
                let ncode = b.need(4)? as usize + 4;
                if nlen > 286 || ndist > 30 {
                    return None;
                }
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut cl = [0u8; 19];
                for &i in &ORDER[..ncode] {
                    cl[i] = b.need(3)? as u8;
                }
                let clh = Huffman::new(&cl)?;
                let mut lengths = vec![0u8; nlen + ndist];
                let mut i = 0;
                while i < nlen + ndist {
                    let sym = clh.decode(b)?;
                    let (val, rep) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 => (*lengths.get(i.checked_sub(1)?)?, 3 + b.need(2)? as usize),
                        17 => (0, 3 + b.need(3)? as usize),
                        _ => (0, 11 + b.need(7)? as usize),
                    };
                    if i + rep > lengths.len() {
                        return None;
                    }
                    lengths[i..i + rep].fill(val);
                    i += rep;
                }
                let lit = Huffman::new(&lengths[..nlen])?;
                let dist = Huffman::new(&lengths[nlen..])?;
                codes(b, out, cap, &lit, &dist)?;
            }
            _ => return None,
        }
        if last == 1 || out.len() >= cap {
            return Some(());
        }
    }
}

fn codes(b: &mut Bits, out: &mut Vec<u8>, cap: usize, lit: &Huffman, dist: &Huffman) -> Option<()> {
    loop {
        let sym = lit.decode(b)? as usize;
        if sym < 256 {
            if out.len() >= cap {
                return Some(());
            }
            out.push(sym as u8);
        } else if sym == 256 {
            return Some(());
        } else {
            let i = sym - 257;
            let len = *LEN_BASE.get(i)? as usize + b.need(*LEN_EXTRA.get(i)? as u32)? as usize;
            let d = dist.decode(b)? as usize;
            let back = *DIST_BASE.get(d)? as usize + b.need(*DIST_EXTRA.get(d)? as u32)? as usize;
            if back > out.len() {
                return None;
            }
            for _ in 0..len {
                if out.len() >= cap {
                    return Some(());
                }
                out.push(out[out.len() - back]);
            }
        }
    }
}

/// Decodes a gzip member (header per RFC 1952, then DEFLATE). None when the header is not
/// gzip's.
pub fn gunzip(data: &[u8], cap: usize) -> Option<Vec<u8>> {
    if data.len() < 10 || data[0] != 0x1f || data[1] != 0x8b || data[2] != 8 {
        return None;
    }
    let flags = data[3];
    let mut p = 10;
    if flags & 4 != 0 {
        let xlen = u16::from_le_bytes([*data.get(p)?, *data.get(p + 1)?]) as usize;
        p += 2 + xlen;
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            p += data.get(p..)?.iter().position(|&c| c == 0)? + 1;
        }
    }
    if flags & 2 != 0 {
        p += 2;
    }
    let mut out = Vec::new();
    inflate_raw(data.get(p..)?, &mut out, cap);
    Some(out)
}

/// Decodes `Content-Encoding: deflate`: zlib-wrapped as the RFC says, or raw DEFLATE as some
/// servers send it.
pub fn undeflate(data: &[u8], cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let zlib = data.len() >= 2
        && data[0] & 0x0f == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    if zlib && inflate_raw(&data[2..], &mut out, cap) {
        return out;
    }
    out.clear();
    inflate_raw(data, &mut out, cap);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_fixed_and_dynamic_blocks() {
        // Stored block "hi".
        let mut out = vec![];
        assert!(inflate_raw(
            &[0x01, 0x02, 0x00, 0xfd, 0xff, b'h', b'i'],
            &mut out,
            100
        ));
        assert_eq!(out, b"hi");
        // gzip of "hello hello hello\n" (fixed Huffman with a back-reference), made by gzip -n.
        let gz = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
            0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00, 0x3b, 0x7c, 0x8a, 0xdf, 0x12, 0x00, 0x00,
            0x00,
        ];
        assert_eq!(gunzip(&gz, 1000).unwrap(), b"hello hello hello\n");
        assert_eq!(gunzip(&gz, 5).unwrap(), b"hello", "output cap");
        // zlib stream of a text with a dynamic Huffman block (made by Python's zlib, level 9).
        let z = [
            0x78, 0xda, 0xb5, 0xcb, 0xd1, 0x01, 0x80, 0x10, 0x14, 0x46, 0xe1, 0x55, 0xfe, 0x16,
            0x68, 0x96, 0x1e, 0x2c, 0x40, 0x11, 0x15, 0x37, 0x84, 0x98, 0xbe, 0xbb, 0x44, 0xcf,
            0xe7, 0x3b, 0xc2, 0x6a, 0xc4, 0xe2, 0xd6, 0x13, 0x2a, 0x51, 0x0b, 0x30, 0xf4, 0xe2,
            0x28, 0xfe, 0xce, 0xa0, 0xaa, 0x13, 0x1e, 0xce, 0x97, 0x1c, 0x1d, 0x1b, 0xed, 0x33,
            0xc4, 0x6f, 0x78, 0x91, 0xec, 0x7c, 0x87, 0x62, 0xd4, 0xdc, 0x63, 0x61, 0x5c, 0xd5,
            0x9c, 0x86, 0x0e, 0xb8, 0x5c, 0x2c, 0x94, 0xf8, 0xdd, 0xf3, 0xf4, 0x01, 0xb2, 0xee,
            0x3f, 0x00,
        ];
        let want = b"The quick brown fox jumps over the lazy dog. ".repeat(3);
        let out = undeflate(&z, 1 << 20);
        assert_eq!(&out[..want.len()], &want[..]);
        assert!(out.ends_with(b"Pack my box with five dozen liquor jugs!"));
        // The same without the zlib wrapper (raw DEFLATE, as some servers send it).
        assert_eq!(undeflate(&z[2..z.len() - 4], 1 << 20), out);
        for n in 0..z.len() {
            let _ = undeflate(&z[..n], 1 << 20);
        }
        for n in 0..gz.len() {
            let _ = gunzip(&gz[..n], 1000);
        }
    }
}
