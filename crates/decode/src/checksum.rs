//! The Internet checksum (RFC 1071), computed on every byte of every verified packet.
//!
//! The one's-complement sum is accumulated as 32-bit big-endian words in a `u64`: because
//! 2^16 = 1 (mod 0xffff), folding a sum of wider words gives the same result as summing 16-bit
//! words, and a `u64` cannot overflow for any packet-sized input. Loading 8 bytes at a time
//! and splitting them lets the compiler vectorise the loop.

use std::net::IpAddr;

/// Unfolded one's-complement sum of `data` (a trailing odd byte counts as the high byte of a
/// final 16-bit word).
#[inline]
pub(crate) fn sum(data: &[u8]) -> u64 {
    // Native-order loads avoid a byte swap per word: the one's-complement sum is byte-order
    // independent (RFC 1071 2.B), so the folded native sum is the byte-swapped network sum.
    // Independent 32-bit lanes widened into u64 accumulators let the loop vectorise.
    let mut lanes = [0u64; 8];
    let mut blocks = data.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(4)) {
            *lane += u64::from(u32::from_ne_bytes([word[0], word[1], word[2], word[3]]));
        }
    }
    let mut acc: u64 = lanes.iter().sum();
    let mut words = blocks.remainder().chunks_exact(4);
    for word in &mut words {
        acc += u64::from(u32::from_ne_bytes([word[0], word[1], word[2], word[3]]));
    }
    let tail = words.remainder();
    let mut last = [0u8; 4];
    last[..tail.len()].copy_from_slice(tail);
    acc += u64::from(u32::from_ne_bytes(last));
    u64::from(u16::from_be(fold(acc)))
}

/// Folds an unfolded sum to 16 bits with end-around carries. A correct checksum over data
/// that includes its checksum field folds to 0xffff.
#[inline]
pub(crate) fn fold(mut s: u64) -> u16 {
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// Unfolded sum of the TCP/UDP/ICMPv6 pseudo-header for `src`/`dst` (RFC 793, RFC 8200 8.1).
#[inline]
pub(crate) fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u64 {
    let addr = |a: IpAddr| -> u64 {
        match a {
            IpAddr::V4(a) => u64::from(u32::from(a)),
            IpAddr::V6(a) => {
                let v = u128::from(a);
                (v as u64 >> 32)
                    + (v as u64 & 0xffff_ffff)
                    + ((v >> 96) as u64)
                    + ((v >> 64) as u64 & 0xffff_ffff)
            }
        }
    };
    let len = len as u64;
    addr(src) + addr(dst) + u64::from(proto) + (len >> 32) + (len & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: plain 16-bit word sum.
    fn naive(data: &[u8]) -> u16 {
        let mut s = 0u32;
        for pair in data.chunks(2) {
            let w = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
            s += u32::from(w);
        }
        while s >> 16 != 0 {
            s = (s & 0xffff) + (s >> 16);
        }
        s as u16
    }

    #[test]
    fn matches_naive_sum_for_all_lengths() {
        let data: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in 0..data.len() {
            for start in 0..3 {
                if start <= len {
                    let d = &data[start..len];
                    assert_eq!(fold(sum(d)), naive(d), "len {len} start {start}");
                }
            }
        }
        assert_eq!(fold(sum(&[0xff; 64])), 0xffff);
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example: sum 0xddf2.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&d)), 0xddf2);
    }
}
