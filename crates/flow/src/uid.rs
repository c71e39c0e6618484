//! Zeek-style connection uids ("C" + base62 of 96 bits).
//!
//! Zeek draws uids at random; netloupe derives them from the flow key and start time so that the
//! same input gives the same uids on any number of threads, and so that a tunnel's uid can be
//! computed by whoever sees the tunnel first (the inner flows' `tunnel_parents`).

use crate::key::FlowKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(pub u128);

impl Uid {
    pub fn for_flow(key: &FlowKey, start_ns: i64) -> Uid {
        let mut b = [0u8; 38];
        key.hash_bytes(&mut b);
        Uid(mix(&b, start_ns as u64, 0x436f_6e6e))
    }

    /// Renders like Zeek: "C" followed by the base62 digits of the 96-bit value.
    pub fn render(&self, prefix: char, out: &mut String) {
        const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        // 62^10 < 2^64: two u128 divisions split the value into u64 parts whose digits are
        // found with cheap 64-bit divisions (a u128 division per digit showed in profiles).
        const P10: u128 = 839_299_365_868_340_224; // 62^10
        let v = self.0 & ((1u128 << 96) - 1);
        let parts = [
            (v % P10) as u64,
            ((v / P10) % P10) as u64,
            (v / P10 / P10) as u64,
        ];
        let mut tmp = [0u8; 30];
        let mut n = 0;
        for (i, &part) in parts.iter().enumerate() {
            let mut p = part;
            // Lower parts are zero-padded to 10 digits when a higher part is non-zero.
            let higher = parts[i + 1..].iter().any(|&x| x != 0);
            let mut k = 0;
            while (p > 0 || (higher && k < 10)) && n < tmp.len() {
                tmp[n] = DIGITS[(p % 62) as usize];
                p /= 62;
                n += 1;
                k += 1;
            }
        }
        out.push(prefix);
        if n == 0 {
            out.push('0');
        }
        for &c in tmp[..n].iter().rev() {
            out.push(c as char);
        }
    }

    pub fn to_conn_string(&self) -> String {
        let mut s = String::with_capacity(18);
        self.render('C', &mut s);
        s
    }
}

/// uid of a tunnel given its outer endpoints and the time it was first seen.
pub fn tunnel_uid(key: &FlowKey, first_seen_ns: i64) -> Uid {
    Uid::for_flow(key, first_seen_ns)
}

// Two rounds of a 128-bit multiply-xorshift over the bytes: not cryptographic (uids are labels,
// not secrets), but well spread so distinct flows practically never collide.
fn mix(bytes: &[u8], extra: u64, domain: u64) -> u128 {
    let mut h1: u64 = 0x243f_6a88_85a3_08d3 ^ domain;
    let mut h2: u64 = 0x1319_8a2e_0370_7344 ^ extra;
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        let x = u64::from_le_bytes(w);
        h1 = (h1 ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(31);
        h2 = (h2 ^ x.rotate_left(17) ^ h1)
            .wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
            .rotate_left(27);
    }
    h1 ^= extra.wrapping_mul(0xff51_afd7_ed55_8ccd);
    for _ in 0..2 {
        h1 = (h1 ^ (h2 >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h2 = (h2 ^ (h1 >> 31)).wrapping_mul(0x94d0_49bb_1331_11eb);
    }
    (u128::from(h1) << 64) | u128::from(h2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digit-by-digit base-62 rendering `render` must reproduce.
    fn render_slow(v: u128) -> String {
        const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut v = v & ((1u128 << 96) - 1);
        let mut s = Vec::new();
        while v > 0 {
            s.push(DIGITS[(v % 62) as usize]);
            v /= 62;
        }
        if s.is_empty() {
            s.push(b'0');
        }
        s.reverse();
        format!("C{}", String::from_utf8(s).unwrap())
    }

    #[test]
    fn render_matches_base62_for_all_magnitudes() {
        let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        let mut values = vec![
            0u128,
            1,
            61,
            62,
            839_299_365_868_340_224,
            839_299_365_868_340_223,
        ];
        for shift in 0..128 {
            values.push(1u128 << shift);
            values.push((1u128 << shift).wrapping_sub(1));
            x = x
                .wrapping_mul(0x2545_f491_4f6c_dd1d_0000_0000_0000_0001)
                .wrapping_add(1);
            values.push(x >> (shift % 96));
        }
        for v in values {
            let mut s = String::new();
            Uid(v).render('C', &mut s);
            assert_eq!(s, render_slow(v), "{v:#x}");
        }
    }

    #[test]
    fn uid_is_deterministic_and_zeek_shaped() {
        let k = FlowKey::new(
            "10.0.0.1".parse().unwrap(),
            1,
            "10.0.0.2".parse().unwrap(),
            2,
            6,
            false,
        );
        let u1 = Uid::for_flow(&k, 5).to_conn_string();
        assert_eq!(u1, Uid::for_flow(&k, 5).to_conn_string());
        assert_ne!(u1, Uid::for_flow(&k, 6).to_conn_string());
        assert!(
            u1.starts_with('C') && u1.len() <= 18 && u1.len() > 10,
            "{u1}"
        );
        assert!(u1[1..].chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
