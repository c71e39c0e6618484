//! Unit tests on real handshakes from the Zeek corpus:
//! * `testdata/basic_client_hello.hex`: Traces/tls/tls-conn-with-extensions.pcap, packet 4
//!   (TCP payload: the ClientHello to ssl.gstatic.com).
//! * `testdata/basic_server_flight.hex`: same trace, packets 6 and 7 (ServerHello,
//!   Certificate, ServerKeyExchange, ServerHelloDone).
//! * `testdata/ech_client_hello.hex`: Traces/tls/tls13-ech.pcap, packet 7 (a TLS 1.3
//!   ClientHello with GREASE-free lists and ALPN h2).

use super::fingerprint::{ja3, ja3_string, ja4, ja4_raw};
use super::*;
use crate::{AppRecord, Ctx, Direction, SessionParser};
use md5::{Digest, Md5};

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn basic() -> (Vec<u8>, Vec<u8>) {
    (
        unhex(include_str!("testdata/basic_client_hello.hex")),
        unhex(include_str!("testdata/basic_server_flight.hex")),
    )
}

const C: Ctx = Ctx {
    ts_ns: 1_330_000_000_000_000_000,
    dir: Direction::Orig,
};
const S: Ctx = Ctx {
    ts_ns: 1_330_000_000_100_000_000,
    dir: Direction::Resp,
};

fn run(chunks: &[(Ctx, &[u8])]) -> (TlsSession, Vec<AppRecord>) {
    let mut s = TlsSession::new();
    let mut out = vec![];
    for (c, b) in chunks {
        s.data(*c, b, &mut out);
    }
    s.end(S.ts_ns, &mut out);
    (s, out)
}

#[test]
fn ja3_of_corpus_client_hello() {
    let (ch, _) = basic();
    let (s, _) = run(&[(C, &ch)]);
    let info = s.client_hello().unwrap();
    // Read off the packet by hand: client_version 0x0301 = 769; 36 cipher suites (decimal),
    // among them 0xfeff = 65279; extensions server_name(0), renegotiation_info(65281),
    // supported_groups(10), ec_point_formats(11), session_ticket(35), next_protocol(13172);
    // groups secp256r1, secp384r1, secp521r1 (23, 24, 25); point format uncompressed (0).
    let version = "769";
    let ciphers = "49162-49172-136-135-57-56-49167-49157-132-53-49159-49161-49169-49171-69-68-\
                   102-51-50-49164-49166-49154-49156-150-65-4-5-47-49160-49170-22-19-49165-\
                   49155-65279-10";
    let extensions = "0-65281-10-11-35-13172";
    let curves = "23-24-25";
    let formats = "0";
    let expected = format!("{version},{ciphers},{extensions},{curves},{formats}");
    assert_eq!(ja3_string(info), expected);
    let md5 = super::fingerprint::hex(&Md5::digest(expected.as_bytes()));
    assert_eq!(ja3(info), md5);
    // Wireshark 4.0's tls.handshake.ja3 for this packet agrees.
    assert_eq!(md5, "62351d5ea3cd4f21f697965b10a9bbbe");
    assert_eq!(info.sni.as_deref(), Some("ssl.gstatic.com"));
}

#[test]
fn ja4_of_corpus_tls13_client_hello() {
    let ch = unhex(include_str!("testdata/ech_client_hello.hex"));
    let (s, out) = run(&[(C, &ch)]);
    let info = s.client_hello().unwrap();
    // JA3 as Wireshark 4.0 computes it for this packet.
    assert_eq!(
        ja3_string(info),
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,\
         65281-16-13-51-45-17513-35-43-10-65037-23-5-18-11-0-27-21,29-23-24,0"
    );
    assert_eq!(ja3(info), "2fcbf8655473005933c5869b2b5d8044");
    // JA4 by the spec, step by step: TCP, supported_versions has 0x0304, SNI present,
    // 15 ciphers, 17 extensions, first ALPN "h2".
    let (a, b, c) = ja4_raw(info, 't');
    assert_eq!(a, "t13d1517h2");
    assert_eq!(
        b,
        "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"
    );
    assert_eq!(
        c,
        "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,fe0d,ff01_\
         0403,0804,0401,0503,0805,0501,0806,0601"
    );
    let expected = "t13d1517h2_8daaf6152771_b1ff8ab2d16f";
    assert_eq!(ja4(info, 't'), expected);
    let AppRecord::Ssl(r) = &out[0] else {
        panic!("no ssl record")
    };
    assert_eq!(r.ja4.as_deref(), Some(expected));
    assert_eq!(r.server_name.as_deref(), Some("cloudflare-ech.com"));
    assert_eq!(r.ssl_history, "C");
}

#[test]
fn corpus_handshake_records() {
    let (ch, sf) = basic();
    let (_, out) = run(&[(C, &ch), (S, &sf)]);
    let x509: Vec<_> = out
        .iter()
        .filter_map(|r| match r {
            AppRecord::X509(x) => Some(x),
            _ => None,
        })
        .collect();
    assert_eq!(x509.len(), 2);
    assert_eq!(
        x509[0].fingerprint,
        "a580247a25324adf4add5af648de4ac5798030dfd622f26a5f2280d7528ae244"
    );
    assert_eq!(
        x509[0].subject,
        "CN=*.gstatic.com,O=Google Inc,L=Mountain View,ST=California,C=US"
    );
    assert!(x509[0].host_cert && !x509[1].host_cert);
    assert!(
        !x509[0].expired,
        "valid in 2012, when the capture was taken"
    );
    assert!(!x509[0].self_signed);
    let Some(AppRecord::Ssl(r)) = out.last() else {
        panic!("no ssl record")
    };
    assert_eq!(r.version.as_deref(), Some("TLSv10"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_ECDHE_RSA_WITH_RC4_128_SHA"));
    assert_eq!(r.curve.as_deref(), Some("secp256r1"));
    assert_eq!(r.ssl_history, "Csxkn");
    assert_eq!(r.sni_matches_cert, Some(true));
    assert!(!r.established);
    // Wireshark 4.0's tls.handshake.ja3s for the ServerHello.
    assert_eq!(r.ja3s.as_deref(), Some("e07f21892995126f4b539c02215c8456"));
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    r.write_json(&mut o);
    o.end();
    assert!(line.contains("\"ja3s\":\"e07f21892995126f4b539c02215c8456\""));
}

#[test]
fn split_deliveries_give_the_same_records() {
    let (ch, sf) = basic();
    let (_, whole) = run(&[(C, &ch), (S, &sf)]);
    for cut in [1, 5, 6, 9, 100, 500, 1000, 1418, sf.len() - 1] {
        let (_, split) = run(&[
            (C, &ch[..3]),
            (C, &ch[3..]),
            (S, &sf[..cut]),
            (S, &sf[cut..]),
        ]);
        assert_eq!(split, whole, "cut at {cut}");
    }
    // One byte at a time.
    let mut chunks: Vec<(Ctx, &[u8])> = ch.chunks(1).map(|b| (C, b)).collect();
    chunks.extend(sf.chunks(1).map(|b| (S, b)));
    assert_eq!(run(&chunks).1, whole);
}

#[test]
fn every_prefix_and_corruption_is_safe() {
    let (ch, sf) = basic();
    for n in 0..=ch.len() {
        run(&[(C, &ch[..n])]);
    }
    for n in (0..=sf.len()).step_by(7) {
        run(&[(C, &ch), (S, &sf[..n])]);
    }
    // Corrupt each byte of the handshake headers and the first certificate's start.
    for i in 0..ch.len() {
        let mut c = ch.clone();
        c[i] ^= 0xff;
        run(&[(C, &c), (S, &sf)]);
    }
    for i in 0..200 {
        let mut s = sf.clone();
        s[i] = s[i].wrapping_add(0x80);
        run(&[(C, &ch), (S, &s)]);
    }
}

#[test]
fn not_tls_is_a_violation() {
    let (s, out) = run(&[(C, b"GET / HTTP/1.1\r\n\r\n")]);
    assert!(s.violated());
    assert!(!s.confirmed());
    assert!(out.is_empty());
}

#[test]
fn fuzz_pseudo_random_inputs() {
    let (ch, sf) = basic();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..3000 {
        let len = (next() % 600) as usize;
        let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Half of the inputs start from real handshake bytes, mutated.
        if next() % 2 == 0 {
            v = [
                &[0x10][..],
                &ch[..],
                &[0x98],
                &sf[..(next() as usize % sf.len())],
            ]
            .concat();
            for _ in 0..(next() % 8) {
                let i = next() as usize % v.len();
                v[i] = next() as u8;
            }
        }
        fuzz(&v);
    }
}
