//! Unit tests: the published vectors of RFC 9001 Appendix A and RFC 9369 Appendix A, packet
//! and frame parsing, and sessions over datagrams taken from the corpus captures.

use super::crypto::{
    decode_pn, expand_label, initial_secret, open_long, version_params, InitialKeys, VERSION_1,
    VERSION_2,
};
use super::packet::{
    parse_frames, parse_long, varint, version_name, CryptoStream, LongType, MAX_CRYPTO,
};
use super::*;
use crate::test_util::unhex;
use crate::{AppRecord, Ctx, Direction, SessionParser};

fn hexs(b: &[u8]) -> String {
    crate::hex(b)
}

const DCID: &str = "8394c8f03e515708";

/// RFC 9001 A.1: initial secret, client and server secrets, key, iv, hp.
#[test]
fn rfc9001_a1_keys() {
    let p = version_params(VERSION_1).unwrap();
    let secret = initial_secret(&p, &unhex(DCID));
    assert_eq!(
        hexs(&secret),
        "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"
    );
    let mut c = [0u8; 32];
    expand_label(&secret, b"client in", &mut c).unwrap();
    assert_eq!(
        hexs(&c),
        "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
    );
    let mut s = [0u8; 32];
    expand_label(&secret, b"server in", &mut s).unwrap();
    assert_eq!(
        hexs(&s),
        "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"
    );
    let k = InitialKeys::new(&p, &unhex(DCID)).unwrap();
    assert_eq!(hexs(&k.client.key), "1f369613dd76d5467730efcbe3b1a22d");
    assert_eq!(hexs(&k.client.iv), "fa044b2f42a3fd3b46fb255c");
    assert_eq!(hexs(&k.client.hp), "9f50449e04a0e810283a1e9933adedd2");
    assert_eq!(hexs(&k.server.key), "cf3a5331653c364c88f0f379b6067e37");
    assert_eq!(hexs(&k.server.iv), "0ac1493ca1905853b0bba03e");
    assert_eq!(hexs(&k.server.hp), "c206b8d9b9f0f37644430b490eeaa314");
    // A.2's header protection step: sample -> mask.
    let sample: [u8; 16] = unhex("d1b1c98dd7689fb8ec11d242b123dc9b")
        .try_into()
        .unwrap();
    assert_eq!(hexs(&k.client.mask(&sample)[..5]), "437b9aec36");
}

/// RFC 9369 A.1: the same with version 2's salt and labels.
#[test]
fn rfc9369_a1_keys() {
    let p = version_params(VERSION_2).unwrap();
    let secret = initial_secret(&p, &unhex(DCID));
    assert_eq!(
        hexs(&secret),
        "2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba"
    );
    let mut c = [0u8; 32];
    expand_label(&secret, b"client in", &mut c).unwrap();
    assert_eq!(
        hexs(&c),
        "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b"
    );
    let k = InitialKeys::new(&p, &unhex(DCID)).unwrap();
    assert_eq!(hexs(&k.client.key), "8b1a0bc121284290a29e0971b5cd045d");
    assert_eq!(hexs(&k.client.iv), "91f73e2351d8fa91660e909f");
    assert_eq!(hexs(&k.client.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
    assert_eq!(hexs(&k.server.key), "82db637861d55e1d011f19ea71d5d2a7");
    assert_eq!(hexs(&k.server.iv), "dd13c276499c0249d3310652");
    assert_eq!(hexs(&k.server.hp), "edf6d05c83121201b436e16877593c3a");
    let sample: [u8; 16] = unhex("ffe67b6abcdb4298b485dd04de806071")
        .try_into()
        .unwrap();
    assert_eq!(hexs(&k.client.mask(&sample)[..5]), "94a0c95e80");
}

/// The CRYPTO frame of A.2 followed by PADDING up to 1162 bytes.
fn a2_payload() -> Vec<u8> {
    let mut p = unhex(include_str!("testdata/rfc9001_a2_crypto_frame.hex"));
    p.resize(1162, 0);
    p
}

fn check_client_initial(version: u32, protected: &str, unprotected_header: &str) {
    let pkt = unhex(protected);
    assert_eq!(pkt.len(), 1200);
    let h = parse_long(&pkt).unwrap();
    assert_eq!(h.version, version);
    assert_eq!(h.ptype, Some(LongType::Initial));
    assert_eq!(hexs(h.dcid), DCID);
    assert!(h.scid.is_empty() && h.token.is_empty());
    assert_eq!((h.pn_offset, h.len, h.truncated), (18, 1200, false));
    let p = version_params(version).unwrap();
    let keys = InitialKeys::new(&p, h.dcid).unwrap();
    let o = open_long(&keys.client, &pkt, h.pn_offset, None).unwrap();
    assert_eq!(hexs(&o.header), unprotected_header);
    assert_eq!(o.pn, 2);
    assert_eq!(o.payload, a2_payload());
    // The server keys do not open it; a flipped ciphertext bit fails the tag.
    assert!(open_long(&keys.server, &pkt, h.pn_offset, None).is_none());
    let mut bad = pkt.clone();
    bad[600] ^= 1;
    assert!(open_long(&keys.client, &bad, h.pn_offset, None).is_none());
}

fn check_server_initial(version: u32, protected: &str, unprotected_header: &str) {
    let pkt = unhex(protected);
    assert_eq!(pkt.len(), 135);
    let h = parse_long(&pkt).unwrap();
    assert_eq!(h.version, version);
    assert_eq!(h.ptype, Some(LongType::Initial));
    assert!(h.dcid.is_empty());
    assert_eq!(hexs(h.scid), "f067a5502a4262b5");
    let p = version_params(version).unwrap();
    let keys = InitialKeys::new(&p, &unhex(DCID)).unwrap();
    let o = open_long(&keys.server, &pkt, h.pn_offset, None).unwrap();
    assert_eq!(hexs(&o.header), unprotected_header);
    assert_eq!(o.pn, 1);
    assert_eq!(
        o.payload,
        unhex(include_str!("testdata/rfc9001_a3_payload.hex"))
    );
}

/// RFC 9001 A.2: the 1200 protected bytes give the unprotected header and the payload.
#[test]
fn rfc9001_a2_client_initial() {
    check_client_initial(
        VERSION_1,
        include_str!("testdata/rfc9001_a2_protected.hex"),
        "c300000001088394c8f03e5157080000449e00000002",
    );
}

/// RFC 9001 A.3: the server Initial (2-byte packet number 1).
#[test]
fn rfc9001_a3_server_initial() {
    check_server_initial(
        VERSION_1,
        include_str!("testdata/rfc9001_a3_protected.hex"),
        "c1000000010008f067a5502a4262b50040750001",
    );
}

/// RFC 9369 A.2: version 2's client Initial (type bits 01).
#[test]
fn rfc9369_a2_client_initial() {
    check_client_initial(
        VERSION_2,
        include_str!("testdata/rfc9369_a2_protected.hex"),
        "d36b3343cf088394c8f03e5157080000449e00000002",
    );
}

/// RFC 9369 A.3: version 2's server Initial.
#[test]
fn rfc9369_a3_server_initial() {
    check_server_initial(
        VERSION_2,
        include_str!("testdata/rfc9369_a3_protected.hex"),
        "d16b3343cf0008f067a5502a4262b50040750001",
    );
}

/// Retry packets of RFC 9001 A.4 and RFC 9369 A.4 are recognised as such.
#[test]
fn retry_packet_types() {
    let v1 = unhex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
    let h = parse_long(&v1).unwrap();
    assert_eq!(h.ptype, Some(LongType::Retry));
    let v2 = unhex("cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6");
    let h = parse_long(&v2).unwrap();
    assert_eq!(h.ptype, Some(LongType::Retry));
    assert_eq!(hexs(h.scid), "f067a5502a4262b5");
}

fn ctx(ts: i64, dir: Direction) -> Ctx {
    Ctx { ts_ns: ts, dir }
}

fn quic_records(out: &[AppRecord]) -> Vec<QuicRecord> {
    out.iter()
        .filter_map(|r| match r {
            AppRecord::Quic(q) => Some(q.clone()),
            _ => None,
        })
        .collect()
}

fn ssl_records(out: &[AppRecord]) -> Vec<crate::tls::SslRecord> {
    out.iter()
        .filter_map(|r| match r {
            AppRecord::Ssl(q) => Some(q.clone()),
            _ => None,
        })
        .collect()
}

/// The RFC 9001 client and server Initials through a session: ClientHello (SNI example.com,
/// ALPN "alpn"), ServerHello (TLS 1.3, TLS_AES_128_GCM_SHA256).
#[test]
fn session_over_rfc_vectors() {
    for (version, client, server, name) in [
        (
            VERSION_1,
            include_str!("testdata/rfc9001_a2_protected.hex"),
            include_str!("testdata/rfc9001_a3_protected.hex"),
            "1",
        ),
        (
            VERSION_2,
            include_str!("testdata/rfc9369_a2_protected.hex"),
            include_str!("testdata/rfc9369_a3_protected.hex"),
            "quicv2",
        ),
    ] {
        let _ = version;
        let mut s = QuicSession::new();
        let mut out = Vec::new();
        s.data(ctx(10, Direction::Orig), &unhex(client), &mut out);
        assert!(s.confirmed() && !s.violated());
        s.data(ctx(20, Direction::Resp), &unhex(server), &mut out);
        assert!(out.is_empty());
        s.end(30, &mut out);
        let r = &quic_records(&out)[0];
        assert_eq!(r.ts_ns, 10);
        assert_eq!(r.version, name);
        assert_eq!(r.client_initial_dcid.as_deref(), Some(DCID));
        assert_eq!(r.client_scid.as_deref(), Some(""));
        assert_eq!(r.server_scid.as_deref(), Some("f067a5502a4262b5"));
        assert_eq!(r.server_name.as_deref(), Some("example.com"));
        assert_eq!(r.client_protocol.as_deref(), Some("alpn"));
        assert_eq!(r.history, "ISis");
        assert_eq!(r.tls_version.as_deref(), Some("TLSv13"));
        assert_eq!(r.tls_cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
        let ja4 = r.ja4.as_deref().unwrap();
        // 2 ciphers, 11 extensions, ALPN "alpn" -> "an".
        assert!(ja4.starts_with("q13d0211an_"), "{ja4}");
        let mut line = String::new();
        let mut o = netloupe_output::json::JsonObject::new(&mut line);
        r.write_json(&mut o);
        o.end();
        assert!(line.contains("\"server_name\":\"example.com\""), "{line}");
        assert!(line.contains("\"client_scid\":\"\""), "{line}");
    }
}

/// zeek Traces/quic/chromium-115.0.5790.110-api-cirrus-com.pcap, packets 1 (client Initial
/// with the whole ClientHello) and 2 (server Initial + Handshake + 1-RTT, coalesced). Zeek's
/// quic.log for this trace: dcid 95412c47018cdfe8, server_scid d5412c47018cdfe8,
/// api.cirrus-ci.com, h3; history starts "ISisho".
#[test]
fn chromium_capture_first_datagrams() {
    let c = unhex(include_str!("testdata/chromium_cirrus_pkt1.hex"));
    let sv = unhex(include_str!("testdata/chromium_cirrus_pkt2.hex"));
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    s.data(ctx(1, Direction::Orig), &c, &mut out);
    assert!(s.confirmed());
    s.data(ctx(2, Direction::Resp), &sv, &mut out);
    s.end(3, &mut out);
    let r = &quic_records(&out)[0];
    assert_eq!(r.version, "1");
    assert_eq!(r.client_initial_dcid.as_deref(), Some("95412c47018cdfe8"));
    assert_eq!(r.client_scid.as_deref(), Some(""));
    assert_eq!(r.server_scid.as_deref(), Some("d5412c47018cdfe8"));
    assert_eq!(r.server_name.as_deref(), Some("api.cirrus-ci.com"));
    assert_eq!(r.client_protocol.as_deref(), Some("h3"));
    assert_eq!(r.history, "ISisho");
    assert_eq!(r.tls_version.as_deref(), Some("TLSv13"));
    assert!(r.ja4.as_deref().unwrap().starts_with("q13d"));
    // Zeek's ssl.log for this trace (Baseline/scripts.base.protocols.quic.chromium): TLSv13,
    // TLS_AES_128_GCM_SHA256, x25519, api.cirrus-ci.com, resumed T (the ServerHello carries a
    // pre_shared_key), no next_protocol, established F, ssl_history Cs.
    assert!(s.tls_confirmed());
    let ssl = ssl_records(&out);
    assert_eq!(ssl.len(), 1);
    let t = &ssl[0];
    assert_eq!(t.version.as_deref(), Some("TLSv13"));
    assert_eq!(t.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(t.curve.as_deref(), Some("x25519"));
    assert_eq!(t.server_name.as_deref(), Some("api.cirrus-ci.com"));
    assert!(t.resumed);
    assert!(!t.established);
    assert_eq!(t.next_protocol, None);
    assert_eq!(t.ssl_history, "Cs");
    assert_eq!(t.cert_chain_fps, None);
    assert!(t.over_quic);
    // JA4 of a QUIC ClientHello has the 'q' letter, as in quic.log.
    assert_eq!(t.ja4, r.ja4);
}

/// zeek Traces/quic/quicv2-echo-443.pcap, packets 1 (client Initial, version 2) and 4 (server
/// Initial + Handshake + 1-RTT). Zeek: quicv2, dcid fa603212c8688817af3d3238735bc7, server_scid
/// b168b5cc, localhost, quic-echo-example.
#[test]
fn quicv2_capture_first_datagrams() {
    let c = unhex(include_str!("testdata/quicv2_echo_pkt1.hex"));
    let sv = unhex(include_str!("testdata/quicv2_echo_pkt4.hex"));
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    s.data(ctx(1, Direction::Orig), &c, &mut out);
    assert!(s.confirmed());
    s.data(ctx(2, Direction::Resp), &sv, &mut out);
    s.end(3, &mut out);
    let r = &quic_records(&out)[0];
    assert_eq!(r.version, "quicv2");
    assert_eq!(
        r.client_initial_dcid.as_deref(),
        Some("fa603212c8688817af3d3238735bc7")
    );
    assert_eq!(r.server_scid.as_deref(), Some("b168b5cc"));
    assert_eq!(r.server_name.as_deref(), Some("localhost"));
    assert_eq!(r.client_protocol.as_deref(), Some("quic-echo-example"));
    assert_eq!(r.history, "ISisho");
    // Zeek's ssl.log (Baseline/scripts.base.protocols.quic.quicv2-echo-443): TLSv13,
    // TLS_AES_128_GCM_SHA256, x25519, localhost, resumed F, established F, Cs.
    let ssl = ssl_records(&out);
    assert_eq!(ssl.len(), 1);
    let t = &ssl[0];
    assert_eq!(t.version.as_deref(), Some("TLSv13"));
    assert_eq!(t.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(t.curve.as_deref(), Some("x25519"));
    assert_eq!(t.server_name.as_deref(), Some("localhost"));
    assert!(!t.resumed && !t.established);
    assert_eq!(t.ssl_history, "Cs");
}

/// A Retry splits quic.log but not ssl.log: Zeek's one SSL analyzer per connection sees both
/// ClientHellos (its quic-go retry baseline has ssl_history CCs). RFC 9001 A.2 client Initial,
/// a Retry, the same Initial again (a new record takes its connection id), A.3 server Initial.
#[test]
fn ssl_record_spans_retry() {
    let client = unhex(include_str!("testdata/rfc9001_a2_protected.hex"));
    let server = unhex(include_str!("testdata/rfc9001_a3_protected.hex"));
    let retry = unhex("f0000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    s.data(ctx(1, Direction::Orig), &client, &mut out);
    s.data(ctx(2, Direction::Resp), &retry, &mut out);
    assert_eq!(quic_records(&out).len(), 1);
    assert!(ssl_records(&out).is_empty());
    s.data(ctx(3, Direction::Orig), &client, &mut out);
    s.data(ctx(4, Direction::Resp), &server, &mut out);
    s.end(5, &mut out);
    assert_eq!(quic_records(&out).len(), 2);
    let ssl = ssl_records(&out);
    assert_eq!(ssl.len(), 1);
    assert_eq!(ssl[0].ssl_history, "CCs");
    assert_eq!(ssl[0].server_name.as_deref(), Some("example.com"));
    assert_eq!(ssl[0].version.as_deref(), Some("TLSv13"));
    assert_eq!(ssl[0].ts_ns, 1);
}

/// RFC 9000 A.1 varint examples and A.3 packet number example.
#[test]
fn varints_and_packet_numbers() {
    assert_eq!(
        varint(&unhex("c2197c5eff14e88c")),
        Some((151_288_809_941_952_652, 8))
    );
    assert_eq!(varint(&unhex("9d7f3e7d")), Some((494_878_333, 4)));
    assert_eq!(varint(&unhex("7bbd")), Some((15_293, 2)));
    assert_eq!(varint(&unhex("25")), Some((37, 1)));
    assert_eq!(varint(&unhex("4025")), Some((37, 2)));
    assert_eq!(varint(&unhex("40")), None);
    assert_eq!(varint(&[]), None);
    assert_eq!(decode_pn(Some(0xa82f30ea), 0x9b32, 2), 0xa82f9b32);
    assert_eq!(decode_pn(None, 2, 4), 2);
    // No overflow at the end of the packet number space.
    assert_eq!(decode_pn(Some((1 << 62) - 1), 0, 1), 1 << 62);
    let _ = decode_pn(Some(u64::MAX), 0xff, 1);
}

#[test]
fn frames_and_crypto_reassembly() {
    // PADDING, PING, ACK (one extra range), ACK_ECN, CRYPTO, CONNECTION_CLOSE, then an unknown
    // frame type that stops the walk.
    let payload = unhex("000001 02050001020101 0305000000030303 0603026869 1c0a060168 1e00");
    let f = parse_frames(&payload);
    assert_eq!(f.crypto, vec![(3u64, &b"hi"[..])]);
    assert!(f.connection_close && f.stopped);
    // Truncated CRYPTO: stop without taking it.
    let trunc = unhex("060005ffff");
    let f = parse_frames(&trunc);
    assert!(f.crypto.is_empty() && f.stopped);

    let mut c = CryptoStream::default();
    c.insert(4, b"efgh");
    assert_eq!(c.contiguous(), b"");
    c.insert(0, b"abcd");
    c.insert(2, b"cdef");
    assert_eq!(c.contiguous(), b"abcdefgh");
    c.insert(MAX_CRYPTO as u64 - 2, b"xyz");
    assert_eq!(c.contiguous().len(), 8);
    c.insert(u64::MAX, b"x");
    c.insert(8, b"");
    assert_eq!(c.contiguous(), b"abcdefgh");
}

#[test]
fn version_names() {
    assert_eq!(version_name(1), "1");
    assert_eq!(version_name(0x6b3343cf), "quicv2");
    assert_eq!(version_name(0xff00001d), "draft-29");
    assert_eq!(version_name(0xfaceb002), "mvfst (faceb002)");
    assert_eq!(version_name(0x10010000), "unknown-10010000");
}

/// A ClientHello split over CRYPTO frames in two Initial packets, the second arriving first:
/// 'S' comes after the Initial that completes it.
#[test]
fn client_hello_across_packets() {
    let frame = unhex(include_str!("testdata/rfc9001_a2_crypto_frame.hex"));
    // The frame is 06 00 40f1 <241 bytes>: split the hello at 100.
    let hello = &frame[4..];
    let mut p1 = vec![0x06, 0x00, 0x40, 100];
    p1.extend_from_slice(&hello[..100]);
    let mut p2 = vec![0x06, 0x40, 100, 0x40, (hello.len() - 100) as u8];
    p2.extend_from_slice(&hello[100..]);
    let dcid = [1, 2, 3, 4, 5, 6, 7, 8];
    let a = fuzz_support::protect_client_initial(&dcid, &p2);
    let b = fuzz_support::protect_client_initial(&dcid, &p1);
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    s.data(ctx(1, Direction::Orig), &a, &mut out);
    // Trailing zero padding after the packet: 'X'.
    let mut b_padded = b.clone();
    b_padded.extend_from_slice(&[0; 30]);
    s.data(ctx(2, Direction::Orig), &b_padded, &mut out);
    s.end(3, &mut out);
    let r = &quic_records(&out)[0];
    assert_eq!(r.history, "IISX");
    assert_eq!(r.server_name.as_deref(), Some("example.com"));
    assert_eq!(r.client_initial_dcid.as_deref(), Some("0102030405060708"));
}

/// Letters of the other packet types, short-header counting, unknown versions, Retry.
#[test]
fn history_letters_and_retry() {
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    let dcid = [9u8; 8];
    let init = fuzz_support::protect_client_initial(&dcid, &unhex("01"));
    s.data(ctx(1, Direction::Orig), &init, &mut out);
    assert!(s.confirmed());
    // 0-RTT (v1 type 1) and Handshake (type 2) packets coalesced, then a short header.
    let mut d = Vec::new();
    d.extend_from_slice(&unhex("d0000000010409090909000400000000"));
    d.extend_from_slice(&unhex("e000000001000004aabbccdd"));
    d.extend_from_slice(&unhex("40aabbcc"));
    s.data(ctx(2, Direction::Orig), &d, &mut out);
    for _ in 0..4 {
        s.data(ctx(3, Direction::Resp), &unhex("41000000"), &mut out);
    }
    // Server Retry: the record is written, a new one starts with the client's next Initial.
    let retry = unhex("f0000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
    s.data(ctx(4, Direction::Resp), &retry, &mut out);
    let recs = quic_records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].history, "IZHOooor");
    assert_eq!(recs[0].server_scid, None);
    let init2 = fuzz_support::protect_client_initial(&[7u8; 4], &unhex("01"));
    s.data(ctx(5, Direction::Orig), &init2, &mut out);
    s.end(6, &mut out);
    let recs = quic_records(&out);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].history, "I");
    assert_eq!(recs[1].ts_ns, 5);
    assert_eq!(recs[1].client_initial_dcid.as_deref(), Some("07070707"));

    // zeek Traces/quic/vector-max-size-crash.pcap, packet 1 (a DNS query on port 443 read as a
    // long header of version 0x10010000): Zeek logs unknown-10010000, dcid 00, history U.
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    let pkt = unhex(
        "c6100100000100000000000001320d61616161616161612d616161610761616161616161616161610000100001",
    );
    s.data(ctx(1, Direction::Orig), &pkt, &mut out);
    s.end(2, &mut out);
    let r = &quic_records(&out)[0];
    assert_eq!(r.version, "unknown-10010000");
    assert_eq!(r.client_initial_dcid.as_deref(), Some("00"));
    assert_eq!(r.client_scid.as_deref(), Some(""));
    assert_eq!(r.history, "U");
    assert!(!s.violated());
}

#[test]
fn violations() {
    // Not a long header first: not QUIC.
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    s.data(ctx(1, Direction::Orig), b"GET / HTTP/1.1\r\n", &mut out);
    assert!(s.violated() && !s.confirmed());
    s.end(2, &mut out);
    assert!(out.is_empty());
    // A version 1 Initial whose tag does not verify.
    let mut pkt = fuzz_support::protect_client_initial(&[1, 2, 3, 4], &[1; 40]);
    let n = pkt.len();
    pkt[n - 1] ^= 0x55;
    let mut s = QuicSession::new();
    s.data(ctx(1, Direction::Orig), &pkt, &mut out);
    assert!(s.violated() && !s.confirmed());
    s.end(2, &mut out);
    s.end(3, &mut out);
    let recs = quic_records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].history, "I");
}

/// Pseudo-random inputs (xorshift) through the fuzz entry, plain and with the protected
/// Initial prefix, and mutations of the RFC packets: no panic.
#[test]
fn fuzz_pseudo_random_inputs() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds = [
        unhex(include_str!("testdata/rfc9001_a2_protected.hex")),
        unhex(include_str!("testdata/rfc9001_a3_protected.hex")),
        unhex(include_str!("testdata/rfc9369_a2_protected.hex")),
        unhex(include_str!("testdata/chromium_cirrus_pkt2.hex")),
        unhex(include_str!("testdata/rfc9001_a2_crypto_frame.hex")),
    ];
    for i in 0..3000 {
        let len = (next() % 1500) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        match i % 4 {
            0 => {}
            1 => {
                // A protected Initial around random frames.
                data.insert(0, 0xff);
            }
            2 => {
                // A seed with a few flipped bytes, one datagram each way.
                let seed = &seeds[(next() % seeds.len() as u64) as usize];
                let mut m = seed.clone();
                for _ in 0..(next() % 4) {
                    let p = (next() as usize) % m.len();
                    m[p] = next() as u8;
                }
                let mut s = QuicSession::new();
                let mut out = Vec::new();
                s.data(ctx(1, Direction::Orig), &m, &mut out);
                s.data(ctx(2, Direction::Resp), &m, &mut out);
                s.end(3, &mut out);
                continue;
            }
            _ => {
                // A protected Initial around the RFC's CRYPTO frame, mutated.
                let mut f = seeds[4].clone();
                let p = (next() as usize) % f.len();
                f[p] = next() as u8;
                data = vec![0xff, (f.len() / 8) as u8];
                data.extend_from_slice(&f);
            }
        }
        fuzz(&data);
    }
}
