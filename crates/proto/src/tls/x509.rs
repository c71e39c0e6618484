//! X.509 certificate → x509.log record, with x509-parser doing the DER work.

use super::record::X509Record;
use crate::hex;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// SHA-256 of a DER certificate, lower-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex(&Sha256::digest(der))
}

/// Distinct certificates remembered per thread by [`parse_certificate_cached`].
pub const CERT_CACHE_ENTRIES: usize = 1024;

/// Certificates parsed recently on this thread, by SHA-256 fingerprint, oldest first out.
/// The same few server chains recur in almost every capture (Zeek caches certificates for the
/// same reason); a hit costs a hash lookup and a clone instead of a DER parse. One cache per
/// worker thread: no lock, and the records do not depend on which thread saw a certificate.
#[derive(Default)]
struct CertCache {
    map: std::collections::HashMap<String, (X509Record, Vec<String>)>,
    order: std::collections::VecDeque<String>,
}

thread_local! {
    static CERT_CACHE: std::cell::RefCell<CertCache> = std::cell::RefCell::default();
}

/// [`parse_certificate`] for a certificate whose fingerprint (`fingerprint(der)`) is known,
/// through the per-thread cache.
pub fn parse_certificate_cached(
    der: &[u8],
    fp: &str,
    ts_ns: i64,
    host_cert: bool,
    client_cert: bool,
) -> Option<(X509Record, Vec<String>)> {
    let per_connection = |(mut r, cns): (X509Record, Vec<String>)| {
        r.ts_ns = ts_ns;
        r.host_cert = host_cert;
        r.client_cert = client_cert;
        r.expired = ts_ns / 1_000_000_000 > r.not_valid_after;
        (r, cns)
    };
    let hit = CERT_CACHE.with(|c| c.borrow().map.get(fp).cloned());
    if let Some(cached) = hit {
        return Some(per_connection(cached));
    }
    let parsed = parse_certificate(der, ts_ns, host_cert, client_cert)?;
    CERT_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.order.len() >= CERT_CACHE_ENTRIES {
            if let Some(old) = c.order.pop_front() {
                c.map.remove(&old);
            }
        }
        c.order.push_back(fp.to_string());
        c.map.insert(fp.to_string(), parsed.clone());
    });
    Some(per_connection(parsed))
}

/// OpenSSL's names for the algorithm OIDs certificates carry (Zeek prints these).
fn alg_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.3.14.3.2.3" => "md5WithRSA",
        "1.3.14.3.2.29" => "sha1WithRSA",
        "1.2.840.10040.4.1" => "dsaEncryption",
        "1.2.840.10040.4.3" => "dsaWithSHA1",
        "2.16.840.1.101.3.4.3.1" => "dsa_with_SHA224",
        "2.16.840.1.101.3.4.3.2" => "dsa_with_SHA256",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.113549.1.3.1" => "dhKeyAgreement",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        "2.16.840.1.101.3.4.3.17" => "ML-DSA-44",
        "2.16.840.1.101.3.4.3.18" => "ML-DSA-65",
        "2.16.840.1.101.3.4.3.19" => "ML-DSA-87",
        _ => return None,
    })
}

fn curve_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.10045.3.1.1" => "prime192v1",
        "1.2.840.10045.3.1.7" => "prime256v1",
        "1.3.132.0.33" => "secp224r1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.132.0.10" => "secp256k1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        _ => return None,
    })
}

/// OpenSSL short names of distinguished-name attributes.
fn attr_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.15" => "businessCategory",
        "2.5.4.17" => "postalCode",
        "2.5.4.41" => "name",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.97" => "organizationIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => return None,
    })
}

/// Decodes a directory string to text; None for types that are not strings.
fn attr_text(attr: &AttributeTypeAndValue) -> Option<String> {
    let v = attr.attr_value();
    let data = v.data;
    match v.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => Some(String::from_utf8_lossy(data).into_owned()),
        // T.61 is near enough to Latin-1 for what certificates put there.
        Tag::TeletexString => Some(data.iter().map(|&b| b as char).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        Tag::UniversalString => Some(
            data.chunks_exact(4)
                .map(|c| {
                    char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                        .unwrap_or('\u{fffd}')
                })
                .collect(),
        ),
        _ => None,
    }
}

/// RFC 2253 escaping as OpenSSL applies it (without escaping non-ASCII): special characters
/// with a backslash, control characters as `\XX`, a leading `#` or space and a trailing space.
fn escape_value(s: &str, out: &mut String) {
    let n = s.chars().count();
    for (i, c) in s.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i + 1 == n => out.push_str("\\ "),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// A distinguished name as Zeek writes it (OpenSSL's RFC 2253 printing, which reverses the
/// whole attribute list): RDNs last to first, joined by `,`; attributes of a multi-valued RDN
/// last to first too, joined by `+`; unknown attributes as `OID=#hex` of their DER value.
pub fn dn_string(name: &X509Name) -> String {
    let rdns: Vec<_> = name.iter_rdn().collect();
    let mut out = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let attrs: Vec<_> = rdn.iter().collect();
        for (j, attr) in attrs.into_iter().rev().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = attr.attr_type().to_id_string();
            let text = attr_text(attr);
            match (attr_name(&oid), text) {
                (Some(n), Some(t)) => {
                    out.push_str(n);
                    out.push('=');
                    escape_value(&t, &mut out);
                }
                (n, _) => {
                    out.push_str(n.unwrap_or(&oid));
                    out.push_str("=#");
                    let v = attr.attr_value();
                    let len = v.data.len();
                    let mut der = vec![v.tag().0 as u8];
                    if len < 0x80 {
                        der.push(len as u8);
                    } else {
                        let lb: Vec<u8> = (len as u64)
                            .to_be_bytes()
                            .into_iter()
                            .skip_while(|&b| b == 0)
                            .collect();
                        der.push(0x80 | lb.len() as u8);
                        der.extend(lb);
                    }
                    der.extend_from_slice(v.data);
                    out.push_str(&hex(&der).to_uppercase());
                }
            }
        }
    }
    out
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| x == 0).count();
    if n == b.len() {
        &b[b.len().saturating_sub(1)..]
    } else {
        &b[n..]
    }
}

fn is_wildcard_match(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    if p == h {
        return true;
    }
    match p.strip_prefix("*.") {
        Some(suffix) => match h.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix,
            None => false,
        },
        None => false,
    }
}

/// Whether `sni` matches one of the certificate's DNS names (SAN dNSNames, or the common
/// names when there is no SAN), with `*.` wildcards covering one label.
pub fn names_match(record: &X509Record, common_names: &[String], sni: &str) -> bool {
    match &record.san_dns {
        Some(dns) => dns.iter().any(|d| is_wildcard_match(d, sni)),
        None => common_names.iter().any(|d| is_wildcard_match(d, sni)),
    }
}

/// Parses one DER certificate. Returns the record and the subject's common names (for SNI
/// matching), or None when the DER is not a certificate.
pub fn parse_certificate(
    der: &[u8],
    ts_ns: i64,
    host_cert: bool,
    client_cert: bool,
) -> Option<(X509Record, Vec<String>)> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let mut r = X509Record {
        ts_ns,
        fingerprint: fingerprint(der),
        sha1: hex(&sha1::Sha1::digest(der)),
        version: tbs.version.0.saturating_add(1),
        serial: hex(strip_zeros(cert.raw_serial())).to_uppercase(),
        subject: dn_string(&tbs.subject),
        issuer: dn_string(&tbs.issuer),
        not_valid_before: tbs.validity.not_before.timestamp(),
        not_valid_after: tbs.validity.not_after.timestamp(),
        host_cert,
        client_cert,
        ..Default::default()
    };
    r.self_signed = tbs.subject.as_raw() == tbs.issuer.as_raw();
    r.expired = ts_ns / 1_000_000_000 > r.not_valid_after;
    let key_oid = tbs.subject_pki.algorithm.algorithm.to_id_string();
    r.key_alg = alg_name(&key_oid)
        .map(str::to_string)
        .unwrap_or(key_oid.clone());
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    r.sig_alg = alg_name(&sig_oid).map(str::to_string).unwrap_or(sig_oid);
    let key_bits = tbs.subject_pki.subject_public_key.data.as_ref();
    let rsa_family =
        key_oid.starts_with("1.2.840.113549.1.1.") || key_oid.starts_with("1.3.14.3.2.");
    match tbs.subject_pki.parsed() {
        Ok(PublicKey::RSA(k)) => set_rsa(&mut r, &k),
        Ok(PublicKey::EC(p)) => {
            r.key_type = Some("ecdsa".into());
            let curve = tbs
                .subject_pki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            r.curve = curve
                .as_deref()
                .and_then(curve_name)
                .map(str::to_string)
                .or(curve);
            r.key_length = Some(p.key_size() as u64);
        }
        Ok(PublicKey::DSA(y)) => {
            r.key_type = Some("dsa".into());
            r.key_length = Some(strip_zeros(y).len() as u64 * 8);
        }
        _ if rsa_family => match RSAPublicKey::from_der(key_bits) {
            Ok((_, k)) => set_rsa(&mut r, &k),
            Err(_) => r.key_type = Some(r.key_alg.clone()),
        },
        _ => {
            r.key_type = Some(match key_oid.as_str() {
                "1.2.840.113549.1.3.1" => "dh".to_string(),
                _ => r.key_alg.clone(),
            });
            r.key_length = Some(key_bits.len() as u64 * 8);
        }
    }
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        let (mut dns, mut uri, mut email, mut ip) = (vec![], vec![], vec![], vec![]);
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(s) => dns.push(s.to_string()),
                GeneralName::URI(s) => uri.push(s.to_string()),
                GeneralName::RFC822Name(s) => email.push(s.to_string()),
                GeneralName::IPAddress(b) => {
                    if let Ok(a) = <[u8; 4]>::try_from(*b) {
                        ip.push(IpAddr::from(a).to_string());
                    } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                        ip.push(IpAddr::from(a).to_string());
                    }
                }
                _ => {}
            }
        }
        let some = |v: Vec<String>| if v.is_empty() { None } else { Some(v) };
        r.san_dns = some(dns);
        r.san_uri = some(uri);
        r.san_email = some(email);
        r.san_ip = some(ip);
    }
    if let Ok(Some(bc)) = cert.basic_constraints() {
        r.basic_constraints_ca = Some(bc.value.ca);
        r.basic_constraints_path_len = bc.value.path_len_constraint;
    }
    let cns = tbs
        .subject
        .iter_common_name()
        .filter_map(attr_text)
        .collect();
    Some((r, cns))
}

fn set_rsa(r: &mut X509Record, k: &RSAPublicKey) {
    r.key_type = Some("rsa".into());
    r.key_length = Some(strip_zeros(k.modulus).len() as u64 * 8 - leading_zero_bits(k.modulus));
    let e = strip_zeros(k.exponent);
    r.exponent = Some(if e.len() <= 8 {
        let mut v = 0u64;
        for &b in e {
            v = (v << 8) | b as u64;
        }
        v.to_string()
    } else {
        hex(e).to_uppercase()
    });
}

fn leading_zero_bits(b: &[u8]) -> u64 {
    strip_zeros(b)
        .first()
        .map(|x| x.leading_zeros() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(is_wildcard_match("*.gstatic.com", "ssl.gstatic.com"));
        assert!(!is_wildcard_match("*.gstatic.com", "a.b.gstatic.com"));
        assert!(!is_wildcard_match("*.gstatic.com", "gstatic.com"));
        assert!(is_wildcard_match("Gstatic.com", "gstatic.COM"));
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        escape_value(" a,b+c\r\n ", &mut s);
        assert_eq!(s, "\\ a\\,b\\+c\\0D\\0A\\ ");
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse_certificate(b"\x30\x03\x02\x01\x00", 0, true, false).is_none());
        assert!(parse_certificate(b"", 0, true, false).is_none());
    }

    #[test]
    fn cached_parse_equals_fresh_parse_with_per_connection_fields() {
        // The host certificate of Traces/tls/tls-conn-with-extensions.pcap (TLS unit tests).
        let der = super::super::tests::first_server_cert();
        let fp = fingerprint(&der);
        let fresh = parse_certificate(&der, 5_000_000_000, false, true).unwrap();
        let _ = parse_certificate_cached(&der, &fp, 1, true, false).unwrap();
        let hit = parse_certificate_cached(&der, &fp, 5_000_000_000, false, true).unwrap();
        assert_eq!(hit, fresh);
        let late = parse_certificate_cached(&der, &fp, i64::MAX, true, false).unwrap();
        assert!(late.0.expired && late.0.host_cert && !late.0.client_cert);
    }
}
