use super::parse::*;
use super::*;
use crate::test_util::frames;
use crate::{AppRecord, Ctx, Direction, SessionParser};

/// Traces/ftp/ipv4.pcap (Zeek corpus), every payload of the control connection: login,
/// PASV + LIST, PASV + RETR, PORT + LIST, PORT + RETR, QUIT.
const IPV4: &str = include_str!("testdata/ipv4_control.txt");
/// Traces/ftp/ftp-auth-tls.pcap (Zeek corpus), frames 4 to 22: greeting, FEAT, AUTH TLS, 234,
/// then the ClientHello.
const AUTH_TLS: &str = include_str!("testdata/auth_tls.txt");

fn run(s: &mut FtpSession, t: &str, chunk: usize) -> Vec<FtpRecord> {
    let mut out = Vec::new();
    for (n, dir, bytes) in frames(t) {
        for c in bytes.chunks(chunk) {
            s.data(Ctx { ts_ns: n, dir }, c, &mut out);
        }
    }
    s.end(10_000, &mut out);
    out.into_iter()
        .map(|r| match r {
            AppRecord::Ftp(r) => r,
            _ => panic!("not ftp"),
        })
        .filter(|r| r.logged)
        .collect()
}

#[test]
fn ipv4_session_matches_zeek() {
    for chunk in [1, 5, 1500] {
        let mut s = FtpSession::new();
        s.set_endpoints(
            "141.142.220.235".parse().unwrap(),
            "199.233.217.249".parse().unwrap(),
        );
        let recs = run(&mut s, IPV4, chunk);
        assert!(s.confirmed() && !s.violated());
        let cmds: Vec<&str> = recs.iter().map(|r| r.command.as_str()).collect();
        assert_eq!(cmds, ["PASV", "PASV", "RETR", "PORT", "PORT", "RETR"]);
        for r in &recs {
            assert_eq!(r.user, "anonymous");
            // A guest's password is logged.
            assert_eq!(r.password.as_deref(), Some("test"));
        }
        let pasv = recs[0].data_channel.unwrap();
        assert!(pasv.passive);
        assert_eq!(pasv.orig_h.unwrap().to_string(), "141.142.220.235");
        assert_eq!(pasv.resp_h.unwrap().to_string(), "199.233.217.249");
        assert_eq!(pasv.resp_p, 56666);
        assert_eq!(
            recs[0].reply_msg.as_deref(),
            Some("Entering Passive Mode (199,233,217,249,221,90)")
        );
        let retr = &recs[2];
        assert_eq!(
            retr.arg.as_deref(),
            Some("ftp://199.233.217.249/./robots.txt")
        );
        assert_eq!(retr.file_size, Some(77));
        assert_eq!(retr.reply_code, Some(226));
        assert_eq!(retr.data_channel, None);
        let port = recs[3].data_channel.unwrap();
        assert!(!port.passive);
        assert_eq!(port.orig_h.unwrap().to_string(), "199.233.217.249");
        assert_eq!(port.resp_p, 33582);
        assert_eq!(s.expected_data_channels().len(), 4);
        // The flow layer is told each announced connection once.
        let mut exp = Vec::new();
        s.take_expected(&mut exp);
        let got: Vec<(String, String, u16)> = exp
            .iter()
            .map(|e| (e.orig_h.to_string(), e.resp_h.to_string(), e.resp_p))
            .collect();
        let (client, server) = ("141.142.220.235".to_string(), "199.233.217.249".to_string());
        assert_eq!(
            got,
            [
                (client.clone(), server.clone(), 56666),
                (client.clone(), server.clone(), 56667),
                (server.clone(), client.clone(), 33582),
                (server, client, 37835),
            ]
        );
        assert!(exp.iter().all(|e| e.service == crate::Service::FtpData));
        exp.clear();
        s.take_expected(&mut exp);
        assert!(exp.is_empty());
    }
}

#[test]
fn hidden_password_for_users() {
    let mut cfg = FtpConfig::default();
    cfg.logged_commands.push("PASS".into());
    let mut s = FtpSession::with_config(cfg);
    let mut out = Vec::new();
    for (dir, b) in [
        (Direction::Resp, &b"220 hi\r\n"[..]),
        (Direction::Orig, b"USER bob\r\n"),
        (Direction::Resp, b"331 pw\r\n"),
        (Direction::Orig, b"PASS secret\r\n"),
        (Direction::Resp, b"530 no\r\n"),
        (Direction::Orig, b"QUIT\r\n"),
    ] {
        s.data(Ctx { ts_ns: 1, dir }, b, &mut out);
    }
    s.end(2, &mut out);
    // Every command has a record (for EVE); only PASS among these is one Zeek logs.
    let cmds: Vec<(&str, bool)> = out
        .iter()
        .map(|r| match r {
            AppRecord::Ftp(r) => (r.command.as_str(), r.logged),
            _ => panic!("not ftp"),
        })
        .collect();
    assert_eq!(
        cmds,
        [
            ("<init>", false),
            ("USER", false),
            ("PASS", true),
            ("QUIT", false)
        ]
    );
    let logged: Vec<&AppRecord> = out.iter().filter(|r| r.in_zeek_log()).collect();
    assert_eq!(logged.len(), 1);
    let AppRecord::Ftp(r) = logged[0] else {
        panic!()
    };
    assert_eq!(r.command, "PASS");
    assert_eq!(r.arg.as_deref(), Some("<hidden>"));
    assert_eq!(r.password.as_deref(), Some("<hidden>"));
    assert_eq!(r.reply_code, Some(530));
}

#[test]
fn auth_tls_hands_over() {
    let mut cfg = FtpConfig::default();
    cfg.logged_commands.extend(["<init>".into(), "AUTH".into()]);
    let mut s = FtpSession::with_config(cfg);
    let recs = run(&mut s, AUTH_TLS, 7);
    assert!(s.handed_to_tls() && !s.violated());
    let v: Vec<(&str, Option<u16>)> = recs
        .iter()
        .map(|r| (r.command.as_str(), r.reply_code))
        .collect();
    assert_eq!(v, [("<init>", Some(220)), ("AUTH", Some(234))]);
    assert_eq!(recs[1].arg.as_deref(), Some("TLS"));
    assert_eq!(
        recs[1].reply_msg.as_deref(),
        Some("Proceed with negotiation.")
    );
}

#[test]
fn bad_reply_is_a_violation() {
    let mut s = FtpSession::new();
    let mut out = Vec::new();
    s.data(
        Ctx {
            ts_ns: 0,
            dir: Direction::Resp,
        },
        b"230_no_space\r\n",
        &mut out,
    );
    assert!(s.violated());
}

#[test]
fn parsers() {
    assert_eq!(
        parse_port("141,142,220,235,131,46"),
        Some(("141.142.220.235".parse().unwrap(), 33582))
    );
    assert_eq!(parse_port("114,115"), None);
    assert_eq!(parse_port("1,2,3,4,5,256"), None);
    assert_eq!(
        parse_pasv("Entering Passive Mode (205,167,25,101,243,251)."),
        Some(("205.167.25.101".parse().unwrap(), 62459))
    );
    assert_eq!(
        parse_epsv("Entering Extended Passive Mode (|||57086|)"),
        Some((None, 57086))
    );
    assert_eq!(
        parse_eprt("|2|2001:470:1f11:81f:c999:d94:aa7c:2e3e|49189|"),
        Some((
            "2001:470:1f11:81f:c999:d94:aa7c:2e3e".parse().unwrap(),
            49189
        ))
    );
    assert_eq!(last_number("for rfc1001.txt (154427 bytes)."), Some(154427));
    assert_eq!(extract_path("\"/\" is the current directory."), "/");
    assert_eq!(
        build_path_compressed("./pub/data/noaa/isd-lite/2015", "../"),
        "./pub/data/noaa/isd-lite"
    );
    assert_eq!(
        build_path_compressed(".", "pub/data/noaa/isd-lite/"),
        "./pub/data/noaa/isd-lite"
    );
    assert_eq!(
        build_url(Some("::1".parse().unwrap()), "/", "a"),
        "ftp://[::1]/a"
    );
    assert_eq!(
        build_url(Some("10.0.0.1".parse().unwrap()), ".", ""),
        "ftp://10.0.0.1/."
    );
}

#[test]
fn every_prefix_no_panic() {
    for t in [IPV4, AUTH_TLS] {
        let all: Vec<(Direction, u8)> = frames(t)
            .iter()
            .flat_map(|(_, d, b)| b.iter().map(move |x| (*d, *x)).collect::<Vec<_>>())
            .collect();
        for n in (0..all.len()).step_by(7) {
            let mut s = FtpSession::new();
            let mut out = Vec::new();
            for (d, b) in &all[..n] {
                s.data(Ctx { ts_ns: 0, dir: *d }, &[*b], &mut out);
            }
            s.end(0, &mut out);
        }
    }
}

#[test]
fn fuzz_pseudo_random() {
    let mut x: u64 = 0x0ddc_0ffe_e123_4567;
    for i in 0..3000 {
        let len = (i * 11) % 500;
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = match x % 12 {
                0 => b'\n',
                1 => b'\r',
                2 => b' ',
                _ => b"PASVERTUS2345-0,|()./"[(x >> 8) as usize % 21],
            };
            v.push(b);
        }
        fuzz(&v);
    }
}

/// Traces/globus-url-copy.pcap (Zeek corpus), the GridFTP control connection, whole payload
/// of each direction: AUTH GSSAPI, then a TLS handshake base64-encoded in ADAT commands and
/// `335 ADAT=` replies.
const GRIDFTP_ORIG: &[u8] = include_bytes!("testdata/gridftp_orig.bin");
const GRIDFTP_RESP: &[u8] = include_bytes!("testdata/gridftp_resp.bin");

#[test]
fn gridftp_adat_handshake_gives_ssl_and_x509_records() {
    // Zeek's ssl.log for this connection: TLSv10, TLS_RSA_WITH_AES_256_CBC_SHA, server chain
    // 5d301591..., 8c8262a5...; client chain cffb0cdf..., be449354..., 8c8262a5...
    let mut s = FtpSession::new();
    let mut out = Vec::new();
    // Line by line in the order of the exchange: each side's lines alternate.
    let split =
        |b: &'static [u8]| -> Vec<&'static [u8]> { b.split_inclusive(|&c| c == b'\n').collect() };
    let (o, r) = (split(GRIDFTP_ORIG), split(GRIDFTP_RESP));
    let mut ts = 0;
    for i in 0..o.len().max(r.len()) {
        for (dir, lines) in [(Direction::Resp, &r), (Direction::Orig, &o)] {
            if let Some(l) = lines.get(i) {
                ts += 1;
                s.data(Ctx { ts_ns: ts, dir }, l, &mut out);
            }
        }
    }
    s.end(ts + 1, &mut out);
    let ssl: Vec<_> = out
        .iter()
        .filter_map(|r| match r {
            AppRecord::Ssl(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(ssl.len(), 1);
    assert_eq!(ssl[0].version.as_deref(), Some("TLSv10"));
    assert_eq!(
        ssl[0].cipher.as_deref(),
        Some("TLS_RSA_WITH_AES_256_CBC_SHA")
    );
    let fps = |v: &Option<Vec<String>>| -> Vec<String> {
        v.iter().flatten().map(|f| f[..8].to_string()).collect()
    };
    assert_eq!(fps(&ssl[0].cert_chain_fps), ["5d301591", "8c8262a5"]);
    assert_eq!(
        fps(&ssl[0].client_cert_chain_fps),
        ["cffb0cdf", "be449354", "8c8262a5"]
    );
    let x509 = out
        .iter()
        .filter(|r| matches!(r, AppRecord::X509(_)))
        .count();
    assert_eq!(x509, 5);
}
