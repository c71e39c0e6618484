//! TLS client and server fingerprints: JA3 and JA3S (Salesforce), JA4 (FoxIO, TLS client
//! fingerprint only), written from their public descriptions.
//!
//! * JA3 = MD5 of `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`,
//!   decimal values joined by `-` within a field, GREASE values removed.
//! * JA3S = MD5 of `SSLVersion,Cipher,Extensions`.
//! * JA4 = `a_b_c`: a = protocol, version, SNI d/i, cipher and extension counts, ALPN first and
//!   last characters; b = SHA-256 (12 hex) of the sorted cipher list; c = SHA-256 (12 hex) of the
//!   sorted extension list without SNI and ALPN, `_`, the signature algorithms in order.

use super::names::is_grease;
use crate::{hex, push_hex};
use md5::{Digest, Md5};
use sha2::Sha256;

/// What the fingerprints need from a ClientHello. GREASE values are kept here (they are removed
/// when fingerprinting) so the struct reflects the message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientHelloInfo {
    /// `client_version` field of the ClientHello (the "legacy" version in TLS 1.3).
    pub legacy_version: u16,
    pub ciphers: Vec<u16>,
    /// Extension types in the order they appear.
    pub extensions: Vec<u16>,
    /// supported_groups (formerly elliptic_curves).
    pub groups: Vec<u16>,
    pub point_formats: Vec<u8>,
    pub sig_algs: Vec<u16>,
    pub supported_versions: Vec<u16>,
    /// ALPN protocol names in the order offered.
    pub alpn: Vec<Vec<u8>>,
    /// First host_name of the server_name extension.
    pub sni: Option<String>,
}

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

fn sha256_12(s: &str) -> String {
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// Appends `v` in decimal (the fingerprints format every ClientHello: `write!` and its
/// formatter were a visible share of the packet path).
fn push_dec(s: &mut String, v: u32) {
    let mut digits = [0u8; 10];
    let mut n = v;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        s.push(d as char);
    }
}

/// Appends `items` in decimal joined by `-`.
fn push_dec_list<T: Copy + Into<u32>>(s: &mut String, items: impl Iterator<Item = T>) {
    for (i, v) in items.enumerate() {
        if i > 0 {
            s.push('-');
        }
        push_dec(s, v.into());
    }
}

/// The JA3 input string.
pub fn ja3_string(ch: &ClientHelloInfo) -> String {
    let ng = |v: &&u16| !is_grease(**v);
    let mut s = String::with_capacity(
        8 + 6 * (ch.ciphers.len() + ch.extensions.len() + ch.groups.len())
            + 4 * ch.point_formats.len(),
    );
    push_dec(&mut s, ch.legacy_version.into());
    s.push(',');
    push_dec_list(&mut s, ch.ciphers.iter().filter(ng).copied());
    s.push(',');
    push_dec_list(&mut s, ch.extensions.iter().filter(ng).copied());
    s.push(',');
    push_dec_list(&mut s, ch.groups.iter().filter(ng).copied());
    s.push(',');
    push_dec_list(&mut s, ch.point_formats.iter().copied());
    s
}

/// JA3: MD5 (hex) of [`ja3_string`].
pub fn ja3(ch: &ClientHelloInfo) -> String {
    md5_hex(&ja3_string(ch))
}

/// The JA3S input string for a ServerHello.
pub fn ja3s_string(version: u16, cipher: u16, extensions: &[u16]) -> String {
    let mut s = String::with_capacity(12 + 6 * extensions.len());
    push_dec(&mut s, version.into());
    s.push(',');
    push_dec(&mut s, cipher.into());
    s.push(',');
    push_dec_list(
        &mut s,
        extensions.iter().filter(|v| !is_grease(**v)).copied(),
    );
    s
}

/// JA3S: MD5 (hex) of [`ja3s_string`].
pub fn ja3s(version: u16, cipher: u16, extensions: &[u16]) -> String {
    md5_hex(&ja3s_string(version, cipher, extensions))
}

fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

fn ja4_alpn(alpn: &[Vec<u8>]) -> String {
    let Some(first) = alpn.first().filter(|a| !a.is_empty()) else {
        return "00".into();
    };
    let (a, b) = (first[0], first[first.len() - 1]);
    if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() {
        let mut s = String::new();
        s.push(a as char);
        s.push(b as char);
        s
    } else {
        let h = hex(first);
        let mut s = String::new();
        s.push(h.as_bytes()[0] as char);
        s.push(h.as_bytes()[h.len() - 1] as char);
        s
    }
}

/// Appends `items` as 4-digit lowercase hex joined by `,`.
fn push_hex4_list(s: &mut String, items: &[u16]) {
    s.reserve(5 * items.len());
    for (i, &v) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_hex(s, &v.to_be_bytes());
    }
}

/// The JA4 parts before hashing: (a, sorted cipher list, extension list `_` signature
/// algorithms). `proto` is 't' (TLS over TCP), 'q' (QUIC) or 'd' (DTLS).
pub fn ja4_raw(ch: &ClientHelloInfo, proto: char) -> (String, String, String) {
    let version = ch
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .unwrap_or(ch.legacy_version);
    let mut ciphers: Vec<u16> = ch
        .ciphers
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let sni = if ch.extensions.contains(&0) { 'd' } else { 'i' };
    let a = format!(
        "{proto}{}{sni}{:02}{:02}{}",
        ja4_version(version),
        ciphers.len().min(99),
        exts.len().min(99),
        ja4_alpn(&ch.alpn)
    );
    ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts.into_iter().filter(|&e| e != 0 && e != 0x10).collect();
    sorted_exts.sort_unstable();
    let sigs: Vec<u16> = ch
        .sig_algs
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let mut c = String::new();
    push_hex4_list(&mut c, &sorted_exts);
    if !sigs.is_empty() {
        c.push('_');
        push_hex4_list(&mut c, &sigs);
    }
    let mut b = String::new();
    push_hex4_list(&mut b, &ciphers);
    (a, b, c)
}

/// JA4 (TLS client) fingerprint.
pub fn ja4(ch: &ClientHelloInfo, proto: char) -> String {
    let (a, b, c) = ja4_raw(ch, proto);
    let has_ciphers = ch.ciphers.iter().any(|v| !is_grease(*v));
    let has_exts = ch
        .extensions
        .iter()
        .any(|&e| !is_grease(e) && e != 0 && e != 0x10);
    let b = if has_ciphers {
        sha256_12(&b)
    } else {
        "000000000000".into()
    };
    let c = if has_exts {
        sha256_12(&c)
    } else {
        "000000000000".into()
    };
    format!("{a}_{b}_{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two examples of the JA3 README (the input strings and their MD5).
    #[test]
    fn ja3_readme_examples() {
        assert_eq!(
            md5_hex("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"),
            "ada70206e40642a3e4461f35503241d5"
        );
        assert_eq!(
            md5_hex("769,4-5-10-9-100-98-3-6-19-18-99,,,"),
            "de350869b8c85de67a350c8d186f11e6"
        );
        // The same through the struct, with GREASE values that must disappear.
        let ch = ClientHelloInfo {
            legacy_version: 769,
            ciphers: vec![
                0x0a0a, 47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4,
            ],
            extensions: vec![0, 0x1a1a, 10, 11],
            groups: vec![0x2a2a, 23, 24, 25],
            point_formats: vec![0],
            ..Default::default()
        };
        assert_eq!(ja3(&ch), "ada70206e40642a3e4461f35503241d5");
        let ch = ClientHelloInfo {
            legacy_version: 769,
            ciphers: vec![4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99],
            ..Default::default()
        };
        assert_eq!(ja3_string(&ch), "769,4-5-10-9-100-98-3-6-19-18-99,,,");
        assert_eq!(ja3(&ch), "de350869b8c85de67a350c8d186f11e6");
    }

    /// The worked example of the JA4 specification (technical_details/JA4.md): a Chrome-like
    /// ClientHello with 15 ciphers, 16 extensions, ALPN h2, giving
    /// t13d1516h2_8daaf6152771_e5627efa2ab1.
    #[test]
    fn ja4_spec_example() {
        let ch = ClientHelloInfo {
            legacy_version: 0x0303,
            ciphers: vec![
                0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0x2a2a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005,
                0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015, 0x3a3a,
            ],
            sig_algs: vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
            supported_versions: vec![0x7a7a, 0x0304, 0x0303],
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            ..Default::default()
        };
        let (a, b, c) = ja4_raw(&ch, 't');
        assert_eq!(a, "t13d1516h2");
        assert_eq!(
            b,
            "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"
        );
        assert_eq!(
            c,
            "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
        );
        assert_eq!(ja4(&ch, 't'), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        // Without signature algorithms the string ends without '_' (spec: 6d807ffa2a79).
        let mut no_sigs = ch.clone();
        no_sigs.sig_algs.clear();
        assert_eq!(ja4(&no_sigs, 't'), "t13d1516h2_8daaf6152771_6d807ffa2a79");
    }

    #[test]
    fn ja4_edge_cases() {
        // Spec's ALPN examples for non-alphanumeric bytes.
        assert_eq!(ja4_alpn(&[vec![0xab]]), "ab");
        assert_eq!(ja4_alpn(&[vec![0xab, 0xcd]]), "ad");
        assert_eq!(ja4_alpn(&[vec![0x30, 0xab]]), "3b");
        assert_eq!(ja4_alpn(&[vec![0x30, 0x31, 0xab, 0xcd]]), "3d");
        assert_eq!(ja4_alpn(&[vec![0x30, 0xab, 0xcd, 0x31]]), "01");
        assert_eq!(ja4_alpn(&[b"http/1.1".to_vec()]), "h1");
        assert_eq!(ja4_alpn(&[b"h".to_vec()]), "hh");
        assert_eq!(ja4_alpn(&[]), "00");
        assert_eq!(ja4_alpn(&[vec![]]), "00");
        // No ciphers, no extensions: zero hashes; no supported_versions: legacy version.
        let ch = ClientHelloInfo {
            legacy_version: 0x0301,
            ..Default::default()
        };
        assert_eq!(ja4(&ch, 't'), "t10i000000_000000000000_000000000000");
        // Only SNI and ALPN: the extension list is empty too.
        let ch = ClientHelloInfo {
            legacy_version: 0x0303,
            ciphers: vec![0x002f],
            extensions: vec![0, 0x10],
            ..Default::default()
        };
        assert!(ja4(&ch, 'q').starts_with("q12d0102"));
        assert!(ja4(&ch, 'q').ends_with("_000000000000"));
    }

    #[test]
    fn ja3s_string_format() {
        assert_eq!(
            ja3s_string(771, 49199, &[65281, 0, 11, 0x0a0a]),
            "771,49199,65281-0-11"
        );
        assert_eq!(ja3s_string(769, 5, &[]), "769,5,");
    }
}
