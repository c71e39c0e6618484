//! Decoding of `Content-Encoding: gzip`/`deflate` bodies: Zeek reports the decompressed length
//! and sniffs the decompressed bytes. flate2 does the decompression; this module bounds the
//! output and keeps what was decoded before a corrupt stream broke off.

use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use std::io::Read;

/// Reads at most `cap` bytes from `r`; on an error returns what was read before it.
fn read_capped(mut r: impl Read, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while out.len() < cap {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let take = n.min(cap - out.len());
                out.extend_from_slice(&buf[..take]);
            }
        }
    }
    out
}

/// Decompresses a gzip body (None when it does not start like gzip), at most `cap` bytes.
pub fn gunzip(data: &[u8], cap: usize) -> Option<Vec<u8>> {
    if data.len() < 10 || data[0] != 0x1f || data[1] != 0x8b || data[2] != 8 {
        return None;
    }
    Some(read_capped(GzDecoder::new(data), cap))
}

/// Decompresses a `deflate` body, at most `cap` bytes. HTTP's "deflate" is the zlib format, but
/// many servers send raw DEFLATE: both are accepted, as browsers do.
pub fn undeflate(data: &[u8], cap: usize) -> Vec<u8> {
    let zlib = data.len() >= 2
        && data[0] & 0x0f == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    if zlib {
        let out = read_capped(ZlibDecoder::new(data), cap);
        if !out.is_empty() {
            return out;
        }
    }
    read_capped(DeflateDecoder::new(data), cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use std::io::Write;

    #[test]
    fn round_trips_and_caps() {
        let text = b"hello hello hello hello netloupe ".repeat(100);
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(gunzip(&gz, usize::MAX).unwrap(), text);
        assert_eq!(gunzip(&gz, 10).unwrap().len(), 10);
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&text).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(undeflate(&z, usize::MAX), text);
        // A truncated stream yields what was decoded so far, never a panic.
        let cut = &gz[..gz.len() / 2];
        let partial = gunzip(cut, usize::MAX).unwrap();
        assert!(text.starts_with(&partial));
        assert!(gunzip(b"not gzip at all", 100).is_none());
    }
}
