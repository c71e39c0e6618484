use super::names::*;
use super::parse::*;
use super::*;
use crate::test_util::{frames, unhex};
use crate::{AppRecord, Ctx, Direction, SessionParser};

/// Traces/rdp/rdp-x509.pcap (Zeek corpus), every TCP payload (frames 6 to 13; frames 8 and 9
/// repeat 7 and 6): Connection Request/Confirm, MCS Connect Initial, MCS Connect Response with
/// an X.509 chain.
const X509: &str = include_str!("testdata/x509.txt");
/// Traces/rdp/rdp-to-ssl.pcap (Zeek corpus), first connection, frames 4, 6, 8: Connection
/// Request (HYBRID asked), Confirm (HYBRID selected), ClientHello.
const TO_SSL: &str = include_str!("testdata/to_ssl.txt");

fn run(t: &str, chunk: usize) -> (RdpSession, Vec<RdpRecord>) {
    let mut s = RdpSession::new();
    let mut out = Vec::new();
    for (n, dir, bytes) in frames(t) {
        for c in bytes.chunks(chunk) {
            s.data(Ctx { ts_ns: n, dir }, c, &mut out);
        }
    }
    s.end(1000, &mut out);
    let recs = out
        .into_iter()
        .filter_map(|r| match r {
            AppRecord::Rdp(r) => Some(r),
            AppRecord::X509(_) => None,
            _ => panic!("not rdp"),
        })
        .collect();
    (s, recs)
}

#[test]
fn x509_chain_of_standard_security_is_logged() {
    // Zeek's x509.log for this trace: two certificates, in this order, both host_cert T.
    let mut s = RdpSession::new();
    let mut out = Vec::new();
    for (n, dir, bytes) in frames(X509) {
        s.data(Ctx { ts_ns: n, dir }, &bytes, &mut out);
    }
    s.end(1000, &mut out);
    let certs: Vec<_> = out
        .iter()
        .filter_map(|r| match r {
            AppRecord::X509(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(certs.len(), 2);
    assert!(certs[0].fingerprint.starts_with("e3859c4a77098a7b"));
    assert_eq!(certs[0].serial, "59EB28CB02B1A0D4");
    assert!(certs[1].fingerprint.starts_with("bd97671306086c33"));
    assert_eq!(certs[1].serial, "0100000001");
    // Multi-valued RDNs: attributes last to first, as OpenSSL prints them for Zeek.
    assert_eq!(certs[0].subject, "L=TURNBKL+CN=SERVR");
    assert_eq!(
        certs[1].subject,
        "serialNumber=1BcKefYSF97EvkaiCqahPY8uPd0=\\0D\\0A+L=ncalrpc:SERVR+CN=ncalrpc:SERVR"
    );
    assert!(certs.iter().all(|c| c.host_cert && !c.client_cert));
    // Every truncation of the connection response block is safe.
    for (_, dir, bytes) in frames(X509) {
        if dir == Direction::Resp {
            for n in 0..bytes.len() {
                let _ = server_x509_chain(&bytes[..n]);
            }
        }
    }
}

#[test]
fn x509_connection_matches_zeek() {
    for chunk in [1, 9, 2000] {
        let (s, recs) = run(X509, chunk);
        assert!(s.confirmed() && !s.violated());
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.ts_ns, 6);
        assert_eq!(r.cookie.as_deref(), Some("JOHN-PC  "));
        assert_eq!(r.result.as_deref(), Some("Success"));
        assert_eq!(r.security_protocol.as_deref(), Some("RDP"));
        assert_eq!(r.client_channels, ["rdpdr", "rdpsnd", "cliprdr", "drdynvc"]);
        assert_eq!(
            r.keyboard_layout.as_deref(),
            Some("English - United States")
        );
        assert_eq!(r.client_build.as_deref(), Some("RDP 8.1"));
        assert_eq!(r.client_name.as_deref(), Some("JOHN-PC-LAPTOP"));
        assert_eq!(
            r.client_dig_product_id.as_deref(),
            Some("3c571ed0-3415-474b-ae94-74e151b")
        );
        assert_eq!(
            (r.desktop_width, r.desktop_height),
            (Some(1920), Some(1080))
        );
        assert_eq!(r.requested_color_depth.as_deref(), Some("16bit"));
        assert_eq!(r.cert_type.as_deref(), Some("X.509"));
        assert_eq!(r.cert_count, 2);
        assert_eq!(r.cert_permanent, Some(false));
        assert_eq!(r.encryption_level.as_deref(), Some("Client compatible"));
        assert_eq!(r.encryption_method.as_deref(), Some("128bit"));
    }
}

#[test]
fn tls_hand_over() {
    let (s, recs) = run(TO_SSL, 4);
    assert!(s.handed_to_tls() && !s.violated() && s.confirmed());
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].cookie.as_deref(), Some("AWAKECODI"));
    assert_eq!(recs[0].result.as_deref(), Some("encrypted"));
    assert_eq!(recs[0].security_protocol.as_deref(), Some("HYBRID"));
    assert_eq!(recs[0].requested_protocols, Some(3));
    assert_eq!(recs[0].cert_count, 0);
}

#[test]
fn not_rdp_is_a_violation() {
    let mut s = RdpSession::new();
    let mut out = Vec::new();
    s.data(
        Ctx {
            ts_ns: 0,
            dir: Direction::Orig,
        },
        b"GET / HTTP/1.1\r\n\r\n",
        &mut out,
    );
    assert!(s.violated());
    s.end(0, &mut out);
    assert!(out.is_empty());
}

#[test]
fn names_and_framing() {
    assert_eq!(keyboard_layout(263198), "Thai (Best Guess for 263198)");
    assert_eq!(keyboard_layout(0x409), "English - United States");
    assert_eq!(client_build(6000), "RDP 6.0");
    assert_eq!(failure_code(2), "SSL_NOT_ALLOWED_BY_SERVER");
    assert_eq!(security_protocol(8), "HYBRID_EX");
    assert_eq!(tpkt_len(&[3, 0, 0, 19]), Some(Ok(19)));
    assert_eq!(tpkt_len(&[3, 0]), None);
    assert_eq!(tpkt_len(&[0x16, 3, 1, 0]), Some(Err(())));
    // No cookie: Traces/rdp/rdp-no-cookie-mstshash.pcap, frame 4.
    let req = unhex("030000130ee00000000000010008000b000000");
    assert_eq!(
        tpdu(&req),
        Some(Tpdu::ConnectionRequest {
            cookie: None,
            requested: Some(0x0b)
        })
    );
}

#[test]
fn every_prefix_no_panic() {
    for t in [X509, TO_SSL] {
        let all: Vec<(Direction, u8)> = frames(t)
            .iter()
            .flat_map(|(_, d, b)| b.iter().map(move |x| (*d, *x)).collect::<Vec<_>>())
            .collect();
        for n in 0..all.len() {
            let mut s = RdpSession::new();
            let mut out = Vec::new();
            let mut i = 0;
            // Whole runs of one direction at a time, cut at n.
            while i < n {
                let d = all[i].0;
                let mut j = i;
                while j < n && all[j].0 == d {
                    j += 1;
                }
                let bytes: Vec<u8> = all[i..j].iter().map(|x| x.1).collect();
                s.data(Ctx { ts_ns: 0, dir: d }, &bytes, &mut out);
                i = j;
            }
            s.end(0, &mut out);
        }
        // Every truncation of each MCS PDU through the parsers directly.
        for (_, _, b) in frames(t) {
            for n in 0..b.len() {
                let _ = tpdu(&b[..n]);
                if n > 7 {
                    let _ = connect_initial_user_data(&b[7..n]);
                    let _ = connect_response(&b[7..n]);
                    let _ = gcc_blocks(&b[7..n], b"Duca");
                    let _ = gcc_blocks(&b[7..n], b"McDn");
                }
            }
        }
    }
}

#[test]
fn fuzz_pseudo_random() {
    let mut x: u64 = 0x5eed_1234_abcd_0001;
    for i in 0..3000 {
        let len = (i * 13) % 700;
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = match x % 10 {
                0 => 3,
                1 => 0,
                2 => 0xf0,
                3 => 0x7f,
                _ => (x >> 16) as u8,
            };
            v.push(b);
        }
        fuzz(&v);
    }
    // Mutations of the real Connect Initial and Response.
    for (_, dir, b) in frames(X509) {
        for k in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut m = b.clone();
            let at = (x as usize) % m.len();
            m[at] = (x >> 32) as u8;
            let mut s = RdpSession::new();
            let mut out = Vec::new();
            for (_, d, f) in frames(X509) {
                let f = if f == b && k % 2 == 0 { m.clone() } else { f };
                s.data(Ctx { ts_ns: 0, dir: d }, &f, &mut out);
            }
            let _ = dir;
            s.end(0, &mut out);
        }
    }
}
