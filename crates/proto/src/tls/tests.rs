//! Unit tests on real handshakes from the Zeek corpus:
//! * `testdata/basic_client_hello.hex`: Traces/tls/tls-conn-with-extensions.pcap, packet 4
//!   (TCP payload: the ClientHello to ssl.gstatic.com).
//! * `testdata/basic_server_flight.hex`: same trace, packets 6 and 7 (ServerHello,
//!   Certificate, ServerKeyExchange, ServerHelloDone).
//! * `testdata/ech_client_hello.hex`: Traces/tls/tls13-ech.pcap, packet 7 (a TLS 1.3
//!   ClientHello with GREASE-free lists and ALPN h2).
//!
//! From nDPI's corpus (`ndpi/pcap/`):
//! * `testdata/steam_client_hello.hex`: steam.pcapng, packet 41 (ClientHello from
//!   192.168.88.231:50983 to 162.254.198.46:27038; the connection's first packet, 39, is the
//!   server's SYN-ACK, so the server is the originator).
//! * `testdata/steam_server_flight.hex`: steam.pcapng, packet 42 (TLS 1.3 ServerHello,
//!   change_cipher_spec, first encrypted record).
//! * `testdata/cipher_lens_client_hellos.hex`: tls_cipher_lens.pcap, packets 1 to 5, one a
//!   line: the same ClientHello with cipher-suite lengths 72 (right), 134 (past the list), 133
//!   (odd), 132 and 0.
//!
//! * `testdata/webrtc_dtls_flights.hex`: Traces/tls/webrtc-stun.pcap, frames 9-14 (DTLS 1.0
//!   flights and a STUN exchange between them), one datagram a line after its frame line.
//!
//! From suricata-verify's corpus: `testdata/draft14_client_hello.hex`:
//! tests/tls/tls13-draft14/input.pcap, packet 4 (a ClientHello offering TLS 1.3 draft 14 with
//! the draft_version extension 0xff02).
//! * tls_change_cipher.pcap packet 2 and tls-appdata.pcap packets 1-2 (captures that start
//!   after the handshake): the first bytes of those payloads, inline below; the encrypted
//!   remainder of each record is padded to its real length with filler bytes.

use super::fingerprint::{ja3, ja3_string, ja4, ja4_raw};
use super::record::SslRecord;
use super::*;
use crate::test_util::unhex;
use crate::{AppRecord, Ctx, Direction, SessionParser};
use md5::{Digest, Md5};

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn basic() -> (Vec<u8>, Vec<u8>) {
    (
        unhex(include_str!("testdata/basic_client_hello.hex")),
        unhex(include_str!("testdata/basic_server_flight.hex")),
    )
}

/// The first certificate of `basic()`'s server flight, as DER: walks the handshake messages
/// of the flight's TLS records to the Certificate message (type 11).
pub(super) fn first_server_cert() -> Vec<u8> {
    let (_, flight) = basic();
    let mut hs = Vec::new();
    let mut i = 0;
    while i + 5 <= flight.len() {
        let len = be16(&flight[i + 3..]) as usize;
        if flight[i] == 22 {
            hs.extend_from_slice(&flight[i + 5..i + 5 + len]);
        }
        i += 5 + len;
    }
    let mut j = 0;
    while j + 4 <= hs.len() {
        let len = u32::from_be_bytes([0, hs[j + 1], hs[j + 2], hs[j + 3]]) as usize;
        if hs[j] == 11 {
            let body = &hs[j + 4..];
            let n = u32::from_be_bytes([0, body[3], body[4], body[5]]) as usize;
            return body[6..6 + n].to_vec();
        }
        j += 4 + len;
    }
    panic!("no Certificate message in the flight");
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
    let md5 = crate::hex(&Md5::digest(expected.as_bytes()));
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

fn steam() -> (Vec<u8>, Vec<u8>) {
    (
        unhex(include_str!("testdata/steam_client_hello.hex")),
        unhex(include_str!("testdata/steam_server_flight.hex")),
    )
}

fn ssl_of(out: &[AppRecord]) -> Option<&SslRecord> {
    out.iter().find_map(|r| match r {
        AppRecord::Ssl(s) => Some(s),
        _ => None,
    })
}

/// steam.pcapng: the capture starts with the server's SYN-ACK (packet 39), so the server
/// (162.254.198.46:27038) is the originator; the ClientHello (packet 41) comes from the
/// responder and the ServerHello (packet 42) from the originator.
#[test]
fn client_on_the_responder_side() {
    let (ch, sf) = steam();
    let orig_server = Ctx {
        ts_ns: S.ts_ns,
        dir: Direction::Orig,
    };
    let resp_client = Ctx {
        ts_ns: C.ts_ns,
        dir: Direction::Resp,
    };
    let (s, out) = run(&[(resp_client, &ch), (orig_server, &sf)]);
    assert!(s.confirmed());
    assert!(!s.violated());
    let r = ssl_of(&out).expect("an ssl record");
    // Read off packet 42 (Wireshark 4.0 agrees): TLS 1.3 by supported_versions,
    // TLS_AES_256_GCM_SHA384, key_share secp521r1, JA3S 15af977ce25de452b96affa2addb1036.
    assert_eq!(r.version.as_deref(), Some("TLSv13"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(r.curve.as_deref(), Some("secp521r1"));
    assert_eq!(r.ja3s.as_deref(), Some("15af977ce25de452b96affa2addb1036"));
    assert!(r.ja3.is_some() && r.ja4.is_some());
    assert_eq!(s.client_hello().unwrap().legacy_version, 0x0303);
    // Zeek (ssl_connection_flipped): '^', then upper case for the client whatever its side.
    assert_eq!(r.ssl_history, "^Csi");

    // The same bytes with the client as originator: the same record, without the '^'.
    let (s2, out2) = run(&[(C, &ch), (S, &sf)]);
    assert!(s2.confirmed());
    let r2 = ssl_of(&out2).unwrap();
    assert_eq!(r2.ssl_history, "Csi");
    let mut r_unflipped = r.clone();
    r_unflipped.ssl_history = r2.ssl_history.clone();
    r_unflipped.ts_ns = r2.ts_ns;
    assert_eq!(&r_unflipped, r2);
}

/// A server-side-only capture where the server is the originator: the ServerHello fixes the
/// roles just as well.
#[test]
fn server_hello_alone_from_the_originator() {
    let (_, sf) = steam();
    let orig_server = Ctx {
        ts_ns: S.ts_ns,
        dir: Direction::Orig,
    };
    let (s, out) = run(&[(orig_server, &sf)]);
    assert!(s.confirmed());
    let r = ssl_of(&out).unwrap();
    assert_eq!(r.ssl_history, "^si");
    assert_eq!(r.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
}

/// Certificates follow the roles too: the basic trace's server flight sent by the originator
/// (the client being the responder) gives server certificates, not client ones.
#[test]
fn certificates_follow_the_roles() {
    let (ch, sf) = basic();
    let resp = Ctx {
        ts_ns: C.ts_ns,
        dir: Direction::Resp,
    };
    let orig = Ctx {
        ts_ns: S.ts_ns,
        dir: Direction::Orig,
    };
    let (_, flipped) = run(&[(resp, &ch), (orig, &sf)]);
    let (_, normal) = run(&[(C, &ch), (S, &sf)]);
    let x509 = |out: &[AppRecord]| -> Vec<X509Record> {
        out.iter()
            .filter_map(|r| match r {
                AppRecord::X509(x) => Some(x.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(x509(&flipped), x509(&normal));
    assert!(x509(&flipped).iter().all(|x| !x.client_cert));
    let (f, n) = (ssl_of(&flipped).unwrap(), ssl_of(&normal).unwrap());
    assert_eq!(f.ssl_history, format!("^{}", n.ssl_history));
    assert_eq!(f.cert_chain_fps, n.cert_chain_fps);
    assert_eq!(f.client_cert_chain_fps, Some(vec![]));
    assert_eq!(f.curve, n.curve);
    assert_eq!(f.sni_matches_cert, Some(true));
}

/// tls_cipher_lens.pcap, packets 1-5: one ClientHello with the cipher-suite length set to 72
/// (right), 134, 133, 132 and 0. Each is a well-framed ClientHello in a handshake record:
/// all confirm and log, whatever their body.
#[test]
fn odd_cipher_suite_lengths_still_confirm() {
    let hellos: Vec<Vec<u8>> = include_str!("testdata/cipher_lens_client_hellos.hex")
        .lines()
        .map(unhex)
        .collect();
    assert_eq!(hellos.len(), 5);
    let lens: Vec<u16> = hellos.iter().map(|h| be16(&h[5 + 4 + 35..])).collect();
    assert_eq!(lens, [72, 134, 133, 132, 0]);
    for (i, h) in hellos.iter().enumerate() {
        assert!(looks_like_tls_start(h), "packet {}", i + 1);
        let (s, out) = run(&[(C, h)]);
        assert!(s.confirmed(), "packet {}", i + 1);
        assert!(!s.violated(), "packet {}", i + 1);
        let r = ssl_of(&out).unwrap_or_else(|| panic!("packet {}: no ssl record", i + 1));
        assert_eq!(r.ssl_history, "C");
        let info = s.client_hello().unwrap();
        assert_eq!(info.legacy_version, 0x0301);
        match i {
            0 => {
                // The right one: 36 suites, SNI www.google.it; Wireshark 4.0's JA3.
                assert_eq!(info.ciphers.len(), 36);
                assert_eq!(r.server_name.as_deref(), Some("www.google.it"));
                assert_eq!(r.ja3.as_deref(), Some("755cdaa3496eb8728247a639dee17aad"));
            }
            1 | 2 => {
                // 134 runs past the message (170 bytes, 133 after the length field), 133 is
                // odd: the 66 whole suites the bytes hold are read, nothing after them, and
                // no fingerprint is made of a partly read hello.
                assert_eq!(info.ciphers.len(), 66);
                assert_eq!(&info.ciphers[..3], &[0x00ff, 0xc00a, 0xc014]);
                assert!(info.extensions.is_empty());
                assert_eq!(r.server_name, None);
                assert_eq!(r.ja3, None);
                assert_eq!(r.ja4, None);
            }
            3 => {
                // 132 swallows compression and extensions but the last byte reads as an
                // empty compression list: a consistent (if wrong) hello, as Wireshark reads it
                // (same JA3).
                assert_eq!(info.ciphers.len(), 66);
                assert_eq!(r.ja3.as_deref(), Some("8eae3e18d36ce24c4ac6b9eeb84ac762"));
            }
            _ => {
                // 0: no suites; what follows does not add up.
                assert!(info.ciphers.is_empty());
                assert_eq!(r.server_name, None);
            }
        }
    }
}

/// The lenient reader stops at the first length that does not fit, on any truncation.
#[test]
fn lenient_reader_is_bounded() {
    let hellos: Vec<Vec<u8>> = include_str!("testdata/cipher_lens_client_hellos.hex")
        .lines()
        .map(unhex)
        .collect();
    let (ch, _) = basic();
    let (steam_ch, steam_sf) = steam();
    for h in hellos.iter().chain([&ch, &steam_ch, &steam_sf]) {
        let msg = &h[9..];
        for n in 0..=msg.len() {
            let _ = super::session::lenient_hello_for_tests(&msg[..n], true);
            let _ = super::session::lenient_hello_for_tests(&msg[..n], false);
        }
    }
    // A complete, strictly parsable hello reads the same leniently.
    let msg = &ch[9..];
    let (version, ciphers, complete) = super::session::lenient_hello_for_tests(msg, true).unwrap();
    assert_eq!(version, 0x0301);
    assert_eq!(ciphers.len(), 36);
    assert!(complete);
    let (_, server, complete) =
        super::session::lenient_hello_for_tests(&steam_sf[9..9 + 219], false).unwrap();
    assert_eq!(server, [0x1302]);
    assert!(complete);
}

/// tls_change_cipher.pcap packet 2 (a capture that starts after the handshake): a
/// change_cipher_spec record and an application-data record of 53 bytes in one segment.
const CCS_AND_APPDATA: &str = "140303000101\
    17030300355726bed55c9315f765a8d5071b26c30aaa3aa674d76a43beb864c218";

#[test]
fn mid_stream_records_confirm_without_a_log() {
    // The first 38 bytes of that 64-byte payload are in the constant; complete the
    // application-data record with its real length (the content is opaque).
    let mut p = unhex(CCS_AND_APPDATA);
    p.resize(64, 0xa5);
    let (s, out) = run(&[(C, &p)]);
    assert!(s.confirmed());
    assert!(!s.violated());
    assert!(out.is_empty(), "no ssl.log without handshake information");
    // One record that fills a delivery exactly is enough: the change_cipher_spec alone, or
    // the first (159-byte) application-data record of tls-appdata.pcap packet 1.
    let (s, _) = run(&[(C, &p[..6])]);
    assert!(s.confirmed());
    let mut app1 = unhex("170303009aba925f8bf0290034497197111e70731098c40d91e687");
    app1.resize(159, 0x5a);
    let (s, _) = run(&[(S, &app1)]);
    assert!(s.confirmed());
    // A record followed by bytes that do not complete another one is not.
    let mut ragged = app1.clone();
    ragged.extend_from_slice(&[0x17, 0x03]);
    let (s, _) = run(&[(S, &ragged)]);
    assert!(!s.confirmed());
    // With packet 2's header (130-byte record) the next record starts where the first ended.
    let mut app2 = unhex("17030300827ca8f04aa6ce3756337509634253f5907a51f3b0804c");
    app2.resize(135, 0x5a);
    let mut both = app1.clone();
    both.extend_from_slice(&app2[..10]);
    let (s, out) = run(&[(S, &both), (S, &app2[10..])]);
    assert!(s.confirmed());
    assert!(out.is_empty());
    // Two records split across directions do not count: the streak is per direction.
    let mut c_part = p[..6].to_vec();
    c_part.push(0x17);
    let (s, _) = run(&[(C, &c_part), (S, &ragged)]);
    assert!(!s.confirmed());
}

#[test]
fn mid_stream_needs_well_formed_records() {
    let mut app = unhex("170303009aba925f8bf0290034497197111e70731098c40d91e687");
    app.resize(159, 0x5a);
    // Version 3.5 or a heartbeat (24) record between breaks the streak (records given in one
    // delivery, so that no single record fills a delivery by itself).
    let mut bad_version = app.clone();
    bad_version[2] = 5;
    let cat = |parts: &[&[u8]]| parts.concat();
    let (s, _) = run(&[(C, &cat(&[&bad_version, &app]))]);
    assert!(!s.confirmed());
    let heartbeat = [0x18, 3, 3, 0, 3, 1, 0, 0];
    let (s, _) = run(&[(C, &cat(&[&app, &heartbeat, &app]))]);
    assert!(!s.confirmed());
    // Over-long records (2^14 + 2048 + 1) do not count.
    let mut long = vec![0x17, 3, 3, 0x48, 0x01];
    long.resize(5 + 0x4801, 0);
    let (s, _) = run(&[(C, &cat(&[&long, &app]))]);
    assert!(!s.confirmed());
    // One plausible record followed by something else is still a violation.
    let (s, _) = run(&[(C, b"\x17\x03\x03\x00\x02\xaa\xbbGET / HTTP/1.1\r\n")]);
    assert!(s.violated() && !s.confirmed());
}

#[test]
fn tls_start_check() {
    let (ch, sf) = basic();
    let (steam_ch, steam_sf) = steam();
    let ech = unhex(include_str!("testdata/ech_client_hello.hex"));
    for (name, b) in [
        ("basic client hello", &ch),
        ("basic server flight", &sf),
        ("steam client hello", &steam_ch),
        ("steam server flight", &steam_sf),
        ("ech client hello", &ech),
    ] {
        assert!(looks_like_tls_start(b), "{name}");
        // The first 9 bytes are enough, and needed.
        assert!(looks_like_tls_start(&b[..9]), "{name}");
        assert!(!looks_like_tls_start(&b[..8]), "{name}");
    }
    let p = unhex(CCS_AND_APPDATA);
    assert!(!looks_like_tls_start(&p), "change_cipher_spec");
    assert!(!looks_like_tls_start(&p[6..]), "application data");
    assert!(!looks_like_tls_start(b"220 mail.example.com ESMTP\r\n"));
    assert!(!looks_like_tls_start(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert!(!looks_like_tls_start(&[]));
    let mutate = |i: usize, v: u8| {
        let mut b = steam_ch.clone();
        b[i] = v;
        looks_like_tls_start(&b)
    };
    assert!(!mutate(2, 5), "record version 3.5");
    assert!(!mutate(1, 2), "record version 2.x");
    assert!(!mutate(5, 11), "a Certificate first");
    assert!(!mutate(9, 0x7f), "ClientHello version 0x7fXX");
    assert!(!mutate(6, 0x10), "handshake length past any hello");
    // Record length smaller than a minimal hello, or larger than any record.
    let mut b = steam_ch.clone();
    b[3] = 0;
    b[4] = 20;
    assert!(!looks_like_tls_start(&b));
    b[3] = 0x48;
    b[4] = 0x01;
    assert!(!looks_like_tls_start(&b));
    // A ClientHello fragmented over records: the first record carries only part of it.
    let mut b = steam_ch.clone();
    b[3] = 0;
    b[4] = 100;
    assert!(looks_like_tls_start(&b));
}

#[test]
fn tls13_pre16_draft_offer() {
    let ch = unhex(include_str!("testdata/draft14_client_hello.hex"));
    let (_, out) = run(&[(C, &ch)]);
    let Some(AppRecord::Ssl(r)) = out.first() else {
        panic!("no ssl record: {out:?}");
    };
    assert!(r.client_tls13_pre16_draft);
    assert_eq!(r.version, None);
    assert_eq!(r.ja3.as_deref(), Some("65825469c473e48f3ee2571129256ab0"));
    // An ordinary hello does not carry it.
    let (ch, _) = basic();
    let (_, out) = run(&[(C, &ch)]);
    let Some(AppRecord::Ssl(r)) = out.first() else {
        panic!("no ssl record");
    };
    assert!(!r.client_tls13_pre16_draft);
}

/// Zeek's `Traces/tls/webrtc-stun.pcap`, frames 9-14 (`testdata/webrtc_dtls_flights.hex`, one
/// datagram per line after its `# frame N from port P` line): a DTLS 1.0 handshake between two
/// WebRTC peers, the ClientHello from the UDP responder (port 43044), a STUN binding request
/// and response multiplexed between the flights. Zeek's ssl.log row for it
/// (`scripts.base.protocols.ssl.dtls-stun-dpd`): DTLSv10,
/// TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, secp256r1, established, history `^CsxkrnXGYIi`, a
/// server and a client certificate.
#[test]
fn dtls_handshake_between_stun_messages() {
    let mut lines = include_str!("testdata/webrtc_dtls_flights.hex").lines();
    let mut datagrams = Vec::new();
    while let (Some(head), Some(hex)) = (lines.next(), lines.next()) {
        let port: u16 = head.rsplit(' ').next().unwrap().parse().unwrap();
        // The UDP originator is port 51462 (its STUN request came first).
        let dir = if port == 51462 {
            Direction::Orig
        } else {
            Direction::Resp
        };
        datagrams.push((dir, unhex(hex)));
    }
    assert_eq!(datagrams.len(), 6);
    let mut s = TlsSession::for_dtls();
    assert_eq!(s.service(), crate::Service::Dtls);
    let mut out = vec![];
    for (i, (dir, d)) in datagrams.iter().enumerate() {
        let ctx = Ctx {
            ts_ns: 1_000 + i as i64,
            dir: *dir,
        };
        s.data(ctx, d, &mut out);
        assert!(!s.violated(), "datagram {i}");
    }
    s.end(2_000, &mut out);
    assert!(s.confirmed());
    let ssl: Vec<&SslRecord> = out
        .iter()
        .filter_map(|r| match r {
            AppRecord::Ssl(r) => Some(r),
            _ => None,
        })
        .collect();
    let [r] = ssl[..] else {
        panic!("one ssl record: {out:?}")
    };
    assert_eq!(r.version.as_deref(), Some("DTLSv10"));
    assert_eq!(
        r.cipher.as_deref(),
        Some("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA")
    );
    assert_eq!(r.curve.as_deref(), Some("secp256r1"));
    assert!(r.established);
    assert_eq!(r.ssl_history, "^CsxkrnXGYIi");
    assert_eq!(r.cert_chain_fps.as_ref().map(Vec::len), Some(1));
    assert_eq!(r.client_cert_chain_fps.as_ref().map(Vec::len), Some(1));
    assert!(r.over_dtls);
    // JA4 of a DTLS 1.0 ClientHello: the 'd' protocol letter and version.
    assert!(
        r.ja4.as_deref().is_some_and(|j| j.starts_with("dd1")),
        "{:?}",
        r.ja4
    );
}

/// Retransmitted flights (the same message_seq again) are read once; a datagram that is not
/// DTLS (RTP, STUN) is passed over without a violation.
#[test]
fn dtls_retransmissions_and_foreign_datagrams() {
    let mut lines = include_str!("testdata/webrtc_dtls_flights.hex").lines();
    let _ = lines.next();
    let client_hello = unhex(lines.next().unwrap());
    let mut s = TlsSession::for_dtls();
    let mut out = vec![];
    let c = Ctx {
        ts_ns: 1,
        dir: Direction::Resp,
    };
    s.data(c, &client_hello, &mut out);
    s.data(c, &client_hello, &mut out);
    s.data(c, &[0x80, 0x60, 0, 1, 0, 0, 0, 0], &mut out); // an RTP header
    assert!(!s.violated());
    s.end(2, &mut out);
    let Some(AppRecord::Ssl(r)) = out.first() else {
        panic!("an ssl record: {out:?}")
    };
    assert_eq!(
        r.ssl_history, "^C",
        "the retransmitted ClientHello counted once"
    );
}
