//! Unit tests on real streams from the Zeek corpus (whole TCP payload of each direction):
//! * `testdata/auth_{orig,resp}.bin`: Traces/http/basic-auth-with-colon.pcap, the one
//!   connection (packets 4 and 6..: a GET with Basic credentials "test:1:34", a 200 with an
//!   HTML body of 643 bytes).
//! * `testdata/tecl_orig.bin`: Traces/http/261/variant-04-te_cl_desync.pcap, the client side
//!   (a POST with both Transfer-Encoding: chunked and Content-Length: 50, then a GET that
//!   only chunked framing reveals).
//! * `testdata/nocrlf_orig.bin`: Traces/http/no_crlf.pcap, the client side up to the end of
//!   the first request (a multipart POST with Content-Length: 6084 whose body ends without a
//!   line end and without a closing boundary; Zeek logs request_body_len 6086).
//! * `testdata/port22_{orig,resp}.bin`: Traces/http/http-single-conn-22.pcap (a GET, and a
//!   `HTTP/1.1 200 OK` without header lines whose 12630-byte body has no line end and lasts
//!   until the close; Zeek logs response_body_len 12632).

use super::session::LineCount;
use super::*;
use crate::{AppRecord, Ctx, Direction, FileDigests, FileHashes, SessionParser};

const AUTH_ORIG: &[u8] = include_bytes!("testdata/auth_orig.bin");
const AUTH_RESP: &[u8] = include_bytes!("testdata/auth_resp.bin");
const TECL_ORIG: &[u8] = include_bytes!("testdata/tecl_orig.bin");
const NOCRLF_ORIG: &[u8] = include_bytes!("testdata/nocrlf_orig.bin");
const PORT22_ORIG: &[u8] = include_bytes!("testdata/port22_orig.bin");
const PORT22_RESP: &[u8] = include_bytes!("testdata/port22_resp.bin");

fn ctx(dir: Direction, ts: i64) -> Ctx {
    Ctx { ts_ns: ts, dir }
}

fn run(chunks: &[(Direction, &[u8])]) -> (HttpSession, Vec<HttpRecord>) {
    let mut s = HttpSession::new();
    let mut out = vec![];
    for (i, (d, b)) in chunks.iter().enumerate() {
        s.data(ctx(*d, 1_000 + i as i64), b, &mut out);
    }
    s.end(9_999, &mut out);
    let recs = out
        .into_iter()
        .filter_map(|r| match r {
            AppRecord::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    (s, recs)
}

#[test]
fn corpus_basic_auth_transaction() {
    let (s, recs) = run(&[(Direction::Orig, AUTH_ORIG), (Direction::Resp, AUTH_RESP)]);
    assert!(s.confirmed());
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.trans_depth, 1);
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(r.host.as_deref(), Some("172.24.133.205:8000"));
    assert_eq!(r.uri.as_deref(), Some("/"));
    assert_eq!(r.version.as_deref(), Some("1.0"), "the response's version");
    assert_eq!(r.username.as_deref(), Some("test"));
    assert_eq!(r.status_code, Some(200));
    assert_eq!(r.response_body_len, 643);
    assert_eq!(
        r.resp_mime_types.as_deref(),
        Some(&["text/html".to_string()][..])
    );
    assert_eq!(r.files.len(), 1);
    let f = &r.files[0];
    assert_eq!(f.seen_bytes, 643);
    assert_eq!(f.total_bytes, Some(643));
    assert!(!f.is_orig);
    assert_eq!(f.md5.as_ref().map(String::len), Some(32));
    assert_eq!(f.sha256.as_ref().map(String::len), Some(64));
    assert_eq!(r.resp_fuids.as_deref(), Some(&[f.fuid.clone()][..]));
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    r.write_json(&mut o);
    o.end();
    assert!(line.contains("\"username\":\"test\"") && !line.contains("password"));
}

#[test]
fn body_hashes_are_the_body_hashes() {
    use sha2::{Digest, Sha256};
    let (_, recs) = run(&[(Direction::Orig, AUTH_ORIG), (Direction::Resp, AUTH_RESP)]);
    let head_end = parser::head_end(AUTH_RESP).unwrap();
    let body = &AUTH_RESP[head_end..];
    assert_eq!(body.len(), 643);
    let want: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(recs[0].files[0].sha256.as_deref(), Some(want.as_str()));
}

// A body held whole for decoding is hashed only if it cannot be decoded, and then in full:
// the raw digests are computed late, from the held bytes.
#[test]
fn undecodable_encoded_body_gets_raw_digests_and_configured_set() {
    let body = b"not really brotli, but opaque bytes";
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut resp = resp.into_bytes();
    resp.extend_from_slice(body);
    let req: &[u8] = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
    for hashes in [FileHashes::ALL, FileHashes::parse("sha1").unwrap()] {
        let mut s = HttpSession::new().with_file_hashes(hashes);
        let mut out = vec![];
        s.data(ctx(Direction::Orig, 1), req, &mut out);
        // Split the body over two deliveries: the held bytes are hashed at body end.
        let cut = resp.len() - 10;
        s.data(ctx(Direction::Resp, 2), &resp[..cut], &mut out);
        s.data(ctx(Direction::Resp, 3), &resp[cut..], &mut out);
        s.end(9, &mut out);
        let f = out
            .iter()
            .find_map(|r| match r {
                AppRecord::Http(h) => h.files.first().cloned(),
                _ => None,
            })
            .expect("a file");
        let want = FileDigests::of(hashes, body);
        assert_eq!(
            (f.md5, f.sha1, f.sha256),
            (want.md5, want.sha1, want.sha256)
        );
        assert_eq!(f.analyzers, hashes.analyzers());
        assert_eq!(f.seen_bytes, body.len() as u64);
    }
}

#[test]
fn corpus_te_cl_desync_uses_chunked_framing() {
    let (_, recs) = run(&[(Direction::Orig, TECL_ORIG)]);
    // As Zeek: Transfer-Encoding wins over Content-Length, so the GET is a second request.
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].method.as_deref(), Some("POST"));
    assert_eq!(recs[0].request_body_len, 0);
    assert_eq!(recs[1].method.as_deref(), Some("GET"));
    assert_eq!(recs[1].uri.as_deref(), Some("/smuggled-te-cl"));
    assert_eq!(recs[1].trans_depth, 2);
}

#[test]
fn split_deliveries_give_the_same_records() {
    let (_, whole) = run(&[(Direction::Orig, AUTH_ORIG), (Direction::Resp, AUTH_RESP)]);
    for cut in [1, 10, 17, 100, 180, 185] {
        let (_, split) = run(&[
            (Direction::Orig, &AUTH_ORIG[..cut]),
            (Direction::Orig, &AUTH_ORIG[cut..]),
            (Direction::Resp, &AUTH_RESP[..cut * 3]),
            (Direction::Resp, &AUTH_RESP[cut * 3..]),
        ]);
        assert_eq!(split.len(), 1);
        let (mut a, mut b) = (split[0].clone(), whole[0].clone());
        for r in [&mut a, &mut b] {
            r.files.clear();
            r.resp_fuids = None;
            r.ts_ns = 0;
        }
        assert_eq!(a, b, "cut at {cut}");
    }
}

#[test]
fn every_prefix_and_truncation_is_safe() {
    for n in 0..=AUTH_ORIG.len() {
        run(&[(Direction::Orig, &AUTH_ORIG[..n])]);
    }
    for n in 0..=AUTH_RESP.len() {
        let (_, r) = run(&[
            (Direction::Orig, AUTH_ORIG),
            (Direction::Resp, &AUTH_RESP[..n]),
        ]);
        assert!(r.len() <= 1);
    }
    for n in 0..=TECL_ORIG.len() {
        run(&[
            (Direction::Orig, &TECL_ORIG[..n]),
            (Direction::Resp, &AUTH_RESP[..n]),
        ]);
    }
}

#[test]
fn pipelining_100_continue_head_and_chunked() {
    let req =
        b"POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello\
HEAD /x HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n";
    let resp = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nMZ\x90\x00\r\n0\r\nT: 1\r\n\r\n";
    let (_, r) = run(&[(Direction::Orig, req), (Direction::Resp, resp)]);
    assert_eq!(r.len(), 3);
    assert_eq!((r[0].info_code, r[0].status_code), (Some(100), Some(200)));
    assert_eq!((r[0].request_body_len, r[0].response_body_len), (5, 2));
    assert_eq!(
        r[1].response_body_len, 0,
        "HEAD: no body despite Content-Length"
    );
    assert_eq!(r[2].response_body_len, 4);
    assert_eq!(
        r[2].resp_mime_types.as_deref(),
        Some(&["application/x-dosexec".to_string()][..])
    );
}

#[test]
fn connect_and_upgrade_stop_parsing() {
    let req = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00\x05hello";
    let resp = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02ab";
    let (s, r) = run(&[(Direction::Orig, req), (Direction::Resp, resp)]);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].method.as_deref(), Some("CONNECT"));
    assert_eq!(r[0].status_code, Some(200));
    assert_eq!(r[0].response_body_len, 0);
    assert!(!s.violated());
}

#[test]
fn connect_tunnel_is_handed_back_for_detection() {
    // suricata-verify/tests/http-connect/http-connect-simple: a CONNECT answered 200, then a
    // plain HTTP exchange through the tunnel. The parser logs the CONNECT and hands the
    // tunnel's bytes back (the session layer identifies them anew: HTTP here, a new session
    // numbered from 1, which the EVE harness checks end to end). The client ended its CONNECT
    // head with a stray line feed, which is HTTP's, not the tunnel's.
    let mut s = HttpSession::new();
    let mut out = vec![];
    s.data(
        ctx(Direction::Orig, 1),
        b"CONNECT abc:443 HTTP/1.1\r\nUser-Agent: Victor/1.0\r\n\r\n\n",
        &mut out,
    );
    s.data(
        ctx(Direction::Resp, 2),
        b"HTTP/1.1 200 OK\r\nServer: VictorServer/1.0\r\n\r\nGET",
        &mut out,
    );
    let tunnel = s.take_tunnel().expect("a tunnel after CONNECT 200");
    assert_eq!(tunnel, [Vec::new(), b"GET".to_vec()]);
    assert!(s.take_tunnel().is_none(), "handed over once");
    s.end(9, &mut out);
    let methods: Vec<_> = out
        .iter()
        .filter_map(|r| match r {
            AppRecord::Http(h) => h.method.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(methods, ["CONNECT"]);
    assert!(!s.violated());
}

#[test]
fn gap_covering_the_rest_of_a_body_keeps_the_framing() {
    // The last 15 bytes of the first response's body were never captured; the next exchanges
    // still pair up.
    let mut s = HttpSession::new();
    let mut out = vec![];
    let c = |dir| Ctx { ts_ns: 1, dir };
    s.data(c(Direction::Orig), b"GET /1 HTTP/1.0\r\n\r\n", &mut out);
    s.data(
        c(Direction::Resp),
        b"HTTP/1.0 200 OK\r\nContent-Length: 20\r\n\r\nsixby",
        &mut out,
    );
    s.gap(Direction::Resp, 15);
    s.data(c(Direction::Orig), b"GET /2 HTTP/1.0\r\n\r\n", &mut out);
    s.data(
        c(Direction::Resp),
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        &mut out,
    );
    s.end(2, &mut out);
    let r: Vec<_> = out
        .iter()
        .filter_map(|a| match a {
            AppRecord::Http(h) => Some((h.uri.clone(), h.status_code, h.response_body_len)),
            _ => None,
        })
        .collect();
    assert_eq!(
        r,
        [
            (Some("/1".to_string()), Some(200), 20),
            (Some("/2".to_string()), Some(200), 2)
        ]
    );
    // suricata-verify/tests/http-gap-whole-body: the loss covers the whole 12-byte body and
    // the CRLF after it; the next response line resynchronises, other bytes do not.
    for (next, paired) in [
        (&b"HTTP/1.0 200 OK\r\n\r\n"[..], true),
        (b"garbage\r\n", false),
    ] {
        let mut s = HttpSession::new();
        let mut out = vec![];
        s.data(c(Direction::Orig), b"GET /1 HTTP/1.0\r\n\r\n", &mut out);
        s.data(
            c(Direction::Resp),
            b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n",
            &mut out,
        );
        s.gap(Direction::Resp, 14);
        s.data(c(Direction::Orig), b"GET /2 HTTP/1.0\r\n\r\n", &mut out);
        s.data(c(Direction::Resp), next, &mut out);
        s.end(2, &mut out);
        let st: Vec<_> = out
            .iter()
            .filter_map(|a| match a {
                AppRecord::Http(h) => Some(h.status_code),
                _ => None,
            })
            .collect();
        let want = if paired { Some(200) } else { None };
        assert_eq!(st, [Some(200), want], "{next:?}");
    }
}

#[test]
fn malformed_lengths_do_not_panic() {
    for cl in [
        "-1",
        "18446744073709551616",
        "18446744073709551615",
        "0005",
        "",
        "x",
    ] {
        let req =
            format!("POST / HTTP/1.1\r\nContent-Length: {cl}\r\n\r\nabcdeGET / HTTP/1.1\r\n\r\n");
        run(&[(Direction::Orig, req.as_bytes())]);
    }
    for size in ["10000000000000000", "ffffffffffffffff", "-5", "", "0x10"] {
        let req = format!(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nabc\r\n0\r\n\r\n"
        );
        run(&[(Direction::Orig, req.as_bytes())]);
    }
    // A head that never ends is given up at the cap.
    let big = vec![b'a'; parser::MAX_HEAD + 10];
    let (s, r) = run(&[
        (Direction::Orig, b"GET / HTTP/1.1\r\nX: "),
        (Direction::Orig, &big),
    ]);
    assert!(r.is_empty());
    assert!(!s.confirmed() || s.violated() || r.is_empty());
}

#[test]
fn not_http_is_a_violation() {
    let (s, r) = run(&[
        (Direction::Orig, b"\x16\x03\x01\x00\x05hello"),
        (Direction::Resp, b"\x16\x03\x03\x00\x02ab"),
    ]);
    assert!(s.violated());
    assert!(r.is_empty());
}

#[test]
fn fuzz_pseudo_random_inputs() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seed = [
        &[0x3f][..],
        AUTH_ORIG,
        &[0xbf],
        AUTH_RESP,
        &[0x20],
        TECL_ORIG,
    ]
    .concat();
    for _ in 0..3000 {
        let len = (next() % 700) as usize;
        let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 {
            v = seed[..(next() as usize % seed.len())].to_vec();
            for _ in 0..(next() % 8) {
                if v.is_empty() {
                    break;
                }
                let i = next() as usize % v.len();
                v[i] = next() as u8;
            }
        }
        fuzz(&v);
    }
}

fn unhex(parts: &[&str]) -> Vec<u8> {
    crate::test_util::unhex(&parts.concat())
}

fn b64(d: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in d.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// An NTLM handshake over HTTP (the CHALLENGE and AUTHENTICATE of Zeek corpus
/// Traces/dce-rpc/mapi.pcap, packets 416 and 417, carried in headers): one ntlm.log record,
/// whose success is the final response's verdict.
fn ntlm_exchange(final_status: &str) -> Vec<crate::ntlm::NtlmRecord> {
    let challenge = unhex(&[
        "4e544c4d53535000020000000c000c003000000005828920b06a306d9fc9db0900000000000000002400",
        "24003c00000043004e0041004d004900530002000c0043004e0041004d004900530001000c0053004100",
        "5400550052004e0000000000",
    ]);
    let authenticate = unhex(&[
        "4e544c4d53535000030000001800180072000000180018008a0000000c000c0040000000100010004c00",
        "0000160016005c00000000000000a20000000582882043004e0041004d004900530041004c0065006f00",
        "6e0061007200640041004c0045004f004e004100520044002d0058005000d9e60e287e49e9cc00000000",
        "0000000000000000000000002d19e10529d89b98bae0eeb60768a7fdf2798ee01a3284a4",
    ]);
    let req1 = "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: NTLM \
                TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAO5CAAAADw==\r\n\r\n";
    let resp1 = format!(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM {}\r\nContent-Length: 0\r\n\r\n",
        b64(&challenge)
    );
    let req2 = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: NTLM {}\r\n\r\n",
        b64(&authenticate)
    );
    let resp2 = format!("HTTP/1.1 {final_status}\r\nContent-Length: 0\r\n\r\n");
    let mut s = HttpSession::new();
    let mut out = vec![];
    for (i, (d, b)) in [
        (Direction::Orig, req1.as_bytes()),
        (Direction::Resp, resp1.as_bytes()),
        (Direction::Orig, req2.as_bytes()),
        (Direction::Resp, resp2.as_bytes()),
    ]
    .iter()
    .enumerate()
    {
        s.data(ctx(*d, 1_000 + i as i64), b, &mut out);
    }
    s.end(9_999, &mut out);
    out.into_iter()
        .filter_map(|r| match r {
            AppRecord::Ntlm(n) => Some(n),
            _ => None,
        })
        .collect()
}

#[test]
fn ntlm_headers_make_one_record_with_the_outcome() {
    for (status, ok) in [("200 OK", true), ("401 Unauthorized", false)] {
        let recs = ntlm_exchange(status);
        assert_eq!(recs.len(), 1, "{status}");
        let r = &recs[0];
        assert_eq!(r.ts_ns, 1_000);
        assert_eq!(r.success, Some(ok));
        assert_eq!(r.username.as_deref(), Some("ALeonard"));
        assert_eq!(r.hostname.as_deref(), Some("ALEONARD-XP"));
        assert_eq!(r.domainname.as_deref(), Some("CNAMIS"));
        assert_eq!(r.server_nb_computer_name.as_deref(), Some("SATURN"));
    }
}

#[test]
fn corpus_multipart_body_without_final_line_end_counts_the_flushed_line() {
    // Zeek reads multipart bodies line by line and, at the end of the Content-Length,
    // ends the unfinished last line with a CR LF it counts: 6084 bytes sent, 6086 logged.
    let (_, recs) = run(&[(Direction::Orig, NOCRLF_ORIG)]);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].method.as_deref(), Some("POST"));
    assert_eq!(recs[0].request_body_len, 6086);
    // Split anywhere, the same.
    for cut in [1, 600, 6000, NOCRLF_ORIG.len() - 1] {
        let (_, r) = run(&[
            (Direction::Orig, &NOCRLF_ORIG[..cut]),
            (Direction::Orig, &NOCRLF_ORIG[cut..]),
        ]);
        assert_eq!(r[0].request_body_len, 6086, "cut at {cut}");
    }
}

#[test]
fn corpus_body_until_close_is_counted_in_lines() {
    // No length, no `Connection: close`: Zeek reads the body in lines; the close ends the
    // last one with a line end it counts (12630 bytes sent, 12632 logged).
    let (_, recs) = run(&[
        (Direction::Orig, PORT22_ORIG),
        (Direction::Resp, PORT22_RESP),
    ]);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].status_code, Some(200));
    assert_eq!(recs[0].response_body_len, 12632);
    // With `Connection: close` the body is read as plain bytes: 12630.
    let head_end = PORT22_RESP
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap();
    let closed = [
        &PORT22_RESP[..head_end + 2],
        b"Connection: close\r\n",
        &PORT22_RESP[head_end + 2..],
    ]
    .concat();
    let (_, recs) = run(&[(Direction::Orig, PORT22_ORIG), (Direction::Resp, &closed)]);
    assert_eq!(recs[0].response_body_len, 12630);
}

#[test]
fn line_counting_follows_zeeks_line_reader() {
    let count = |any_eol: bool, flush: bool, parts: &[&[u8]]| {
        let mut l = LineCount::new(any_eol, flush);
        let mut seen = 0;
        for p in parts {
            l.feed(p);
            seen += p.len() as u64;
        }
        l.body_len(seen)
    };
    // CR LF, bare LF, bare CR each end a line counted as two bytes.
    assert_eq!(count(true, true, &[b"a\r\nb\nc\rd\n"]), 12);
    // A CR LF split across deliveries is one line end.
    assert_eq!(count(true, true, &[b"a\r", b"\nb\r\n"]), 6);
    // An unfinished line: flushed (plus two) or not counted.
    assert_eq!(count(true, true, &[b"ab\r\ncd"]), 8);
    assert_eq!(count(true, false, &[b"ab\r\ncd"]), 4);
    // Multipart: only CR LF ends a line.
    assert_eq!(count(false, true, &[b"a\nb\rc\r\n"]), 7);
    assert_eq!(count(false, true, &[b"a\r\nb\n"]), 7);
    assert_eq!(count(false, false, &[b"a\r\nbc"]), 3);
}

#[test]
fn corpus_http09_request_ends_the_response_being_received() {
    // Traces/http/http-09-content-length-confusion.pcap, every segment in capture order: a
    // response announcing 4 bytes before any request, an HTTP/0.9 request, then 19 bytes.
    // Zeek ends the first response at the HTTP/0.9 request (body 0) and takes the 19 bytes
    // as the HTTP/0.9 reply.
    let (_, recs) = run(&[
        (Direction::Resp, b"HTTP/1.1 200 OK\r\n"),
        (Direction::Resp, b"Content-Length: 4\r\n"),
        (Direction::Resp, b"\r\n"),
        (Direction::Orig, b"GET /\r\n"),
        (Direction::Orig, b"\r\n"),
        (Direction::Resp, b"this is too much.\r\n"),
    ]);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].method, None);
    assert_eq!(recs[0].status_code, Some(200));
    assert_eq!(recs[0].response_body_len, 0);
    assert_eq!(recs[1].method.as_deref(), Some("GET"));
    assert_eq!(recs[1].version.as_deref(), Some("0.9"));
    assert_eq!(recs[1].response_body_len, 19);
}

#[test]
fn corpus_partial_content_is_typed_only_when_zeek_could_in_time() {
    let get = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    // Traces/http/http-bad-content-range-01.pcap: a 206 whose Content-Range Zeek cannot
    // parse, 16 bytes up to the close: the file is neither complete nor 4096 bytes long when
    // the transaction is logged, so no MIME type (the file keeps one).
    let (_, recs) = run(&[
        (Direction::Orig, get),
        (
            Direction::Resp,
            b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes foo-bar/baz\r\n\
Content-Type: image/gif\r\n\r\nFoobar!\r\nBaz\r\n\r\n",
        ),
    ]);
    assert_eq!(recs[0].response_body_len, 16);
    assert_eq!(recs[0].resp_mime_types, None);
    assert!(recs[0].resp_fuids.is_some());
    assert_eq!(recs[0].files[0].mime_type.as_deref(), Some("text/plain"));
    // Traces/http/content-range-less-than-len.pcap: 33 bytes at offset 0 of a 33-byte
    // file: complete, typed.
    let (_, recs) = run(&[
        (Direction::Orig, get),
        (
            Direction::Resp,
            b"HTTP/1.1 206 ok\r\nServer: simpleHTTP\r\nAccept-Ranges: bytes\r\n\
Content-Length: 33\r\nContent-Range: bytes 0-4/33\r\n\r\nRange smaller than Content-Length",
        ),
    ]);
    assert_eq!(recs[0].response_body_len, 33);
    assert_eq!(
        recs[0].resp_mime_types.as_deref(),
        Some(&["text/plain".to_string()][..])
    );
    assert_eq!(recs[0].files[0].total_bytes, Some(33));
    // A middle range of a larger file: not typed, total is the instance length.
    let (_, recs) = run(&[
        (Direction::Orig, get),
        (
            Direction::Resp,
            b"HTTP/1.1 206 Partial Content\r\nContent-Length: 12\r\n\
Content-Range: bytes 100-111/5000\r\n\r\nplain text..",
        ),
    ]);
    assert_eq!(recs[0].resp_mime_types, None);
    assert_eq!(recs[0].files[0].total_bytes, Some(5000));
}

#[test]
fn corpus_interleaved_entity_loses_its_file_name() {
    // Traces/http/interleaved-http-entity.pcap, every segment in capture order: the server
    // starts its response while the request body is still coming; the request body ends
    // between the response's first lines and its Content-Disposition. Zeek's scripts keep
    // one current entity per connection: the request's end deletes it, the response's
    // header finds none (weird missing_HTTP_entity) and the response file has no name.
    let segments: &[(Direction, &[u8])] = &[
        (Direction::Orig, b"POST / HTTP/1.1\n"),
        (Direction::Orig, b"Host: interleave.me\n"),
        (Direction::Orig, b"Content-Length: 10\n"),
        (Direction::Orig, b"\n"),
        (Direction::Orig, b"1234\n"),
        (Direction::Resp, b"HTTP/1.1 200 OK\n"),
        (Direction::Resp, b"Server: early-responder/0.1\n"),
        (Direction::Resp, b"Content-Length: 3\n"),
        (Direction::Orig, b"4567\n"),
        (
            Direction::Resp,
            b"Content-Disposition: attachment; filename=\"test.txt\"\n",
        ),
        (Direction::Resp, b"\n"),
        (Direction::Resp, b"fin\n"),
    ];
    let (_, recs) = run(segments);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!((r.request_body_len, r.response_body_len), (10, 3));
    assert_eq!(r.resp_filenames, None);
    assert!(r.resp_fuids.is_some());
    // Without the interleaving (request body complete first), the name is taken.
    let mut ordered: Vec<(Direction, &[u8])> = segments.to_vec();
    let late = ordered.remove(8);
    ordered.insert(5, late);
    let (_, recs) = run(&ordered);
    assert_eq!(
        recs[0].resp_filenames.as_deref(),
        Some(&["test.txt".to_string()][..])
    );
}

#[test]
fn corpus_cruft_after_a_request_ends_the_analysis() {
    // Traces/http/http-11-request-then-cruft.pcap: after a complete transaction the client
    // sends "T / HTTP": no version, a one-letter method. Zeek: not a request line, protocol
    // violation, analyzer removed; one transaction logged, the 400 that follows is not.
    let resp1 = b"HTTP/1.1 301 Moved Permanently\r\nServer: nginx\r\nContent-Type: text/html\r\n\
Content-Length: 5\r\nConnection: keep-alive\r\n\r\n<html";
    let (s, recs) = run(&[
        (Direction::Orig, b"GET / HTTP/1.1\r\n"),
        (Direction::Orig, b"Host: zeek.org\r\n\r\n"),
        (Direction::Resp, resp1),
        (Direction::Orig, b"T / HTTP\r\n\r\n"),
        (
            Direction::Resp,
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ),
    ]);
    assert!(s.violated());
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].status_code, Some(301));
    // A real HTTP/0.9 request is still one.
    let (_, recs) = run(&[
        (Direction::Orig, b"GET /zeek.html\r\n"),
        (Direction::Resp, b"<html>hello</html>"),
    ]);
    assert_eq!(recs[0].version.as_deref(), Some("0.9"));
}

#[test]
fn connect_200_hands_the_tunnel_over_with_its_first_bytes() {
    // Bytes sent ahead of the 200 and after it in the same segment are returned once.
    let req = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00\x05hello";
    let resp = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02ab";
    let mut s = HttpSession::new();
    let mut out = vec![];
    s.data(ctx(Direction::Orig, 1), req, &mut out);
    assert_eq!(s.take_tunnel(), None);
    s.data(ctx(Direction::Resp, 2), resp, &mut out);
    let t = s.take_tunnel().expect("tunnel");
    assert_eq!(t[0], b"\x16\x03\x01\x00\x05hello");
    assert_eq!(t[1], b"\x16\x03\x03\x00\x02ab");
    assert_eq!(s.take_tunnel(), None);
    // Traces/http/connect-with-smtp.pcap (the CONNECT and its reply; SMTP follows in later
    // segments): the tunnel opens with nothing pending.
    let mut s = HttpSession::new();
    s.data(
        ctx(Direction::Orig, 1),
        b"CONNECT mailin03.sul.t-online.de:25 / HTTP/1.0\r\n\
Mozilla 4.0 (compatible; MSIE 5.01; Windows NT 5.0)\r\n\r\n",
        &mut out,
    );
    s.data(
        ctx(Direction::Resp, 2),
        b"HTTP/1.0 200 Connection established\r\n\r\n",
        &mut out,
    );
    assert_eq!(s.take_tunnel(), Some([vec![], vec![]]));
    // suricata-verify http-connect/http-connect-simple: each head is followed by one more
    // LF, which belongs to HTTP, not to the tunnel.
    let mut s = HttpSession::new();
    s.data(
        ctx(Direction::Orig, 1),
        b"CONNECT abc:443 HTTP/1.1\r\nUser-Agent: Victor/1.0\r\n\r\n\n",
        &mut out,
    );
    s.data(
        ctx(Direction::Resp, 2),
        b"HTTP/1.1 200 OK\r\nServer: VictorServer/1.0\r\n\r\n\n",
        &mut out,
    );
    assert_eq!(s.take_tunnel(), Some([vec![], vec![]]));
    // Zeek opens the tunnel on 200 only.
    let mut s = HttpSession::new();
    s.data(ctx(Direction::Orig, 1), req, &mut out);
    s.data(
        ctx(Direction::Resp, 2),
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        &mut out,
    );
    assert_eq!(s.take_tunnel(), None);
}
