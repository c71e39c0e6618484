//! ssl.log and x509.log against Zeek's baselines.
//!
//! For each baseline of the shared corpus with an ssl.log, the trace is read with
//! netloupe-capture/netloupe-decode, TCP payloads are concatenated per direction per connection
//! in capture order (exact retransmissions dropped by sequence number), fed to a
//! [`TlsSession`], and the records compared with Zeek's rows matched by 5-tuple. Connections
//! where TLS starts after a plaintext phase (STARTTLS, RDP negotiation) are fed from the first
//! TLS handshake record of each direction, as the engine's hand-over would do. Rows Zeek got
//! from UDP (QUIC, DTLS) are out of scope and counted apart.

use netloupe_proto::tls::{SslRecord, TlsSession, X509Record};
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::HashMap;
use std::path::Path;

mod tcp_trace;
use tcp_trace::*;
mod zeek_log;
use zeek_log::Tally;

fn ssl_fields(r: &SslRecord) -> HashMap<&'static str, String> {
    HashMap::from([
        ("version", opt(&r.version)),
        ("cipher", opt(&r.cipher)),
        ("curve", opt(&r.curve)),
        ("server_name", opt(&r.server_name)),
        ("resumed", tf(r.resumed)),
        ("last_alert", opt(&r.last_alert)),
        ("next_protocol", opt(&r.next_protocol)),
        ("established", tf(r.established)),
        ("ssl_history", r.ssl_history.clone()),
        ("cert_chain_fps", vec_field(&r.cert_chain_fps)),
        ("client_cert_chain_fps", vec_field(&r.client_cert_chain_fps)),
        (
            "sni_matches_cert",
            r.sni_matches_cert.map(tf).unwrap_or_else(|| "-".into()),
        ),
    ])
}

fn x509_fields(r: &X509Record) -> HashMap<&'static str, String> {
    let num = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    HashMap::from([
        ("fingerprint", r.fingerprint.clone()),
        ("certificate.version", r.version.to_string()),
        ("certificate.serial", r.serial.clone()),
        ("certificate.subject", r.subject.clone()),
        ("certificate.issuer", r.issuer.clone()),
        (
            "certificate.not_valid_before",
            format!("{}.000000", r.not_valid_before),
        ),
        (
            "certificate.not_valid_after",
            format!("{}.000000", r.not_valid_after),
        ),
        ("certificate.key_alg", r.key_alg.clone()),
        ("certificate.sig_alg", r.sig_alg.clone()),
        ("certificate.key_type", opt(&r.key_type)),
        ("certificate.key_length", num(r.key_length)),
        ("certificate.exponent", opt(&r.exponent)),
        ("certificate.curve", opt(&r.curve)),
        ("san.dns", vec_field(&r.san_dns)),
        ("san.uri", vec_field(&r.san_uri)),
        ("san.email", vec_field(&r.san_email)),
        ("san.ip", vec_field(&r.san_ip)),
        (
            "basic_constraints.ca",
            r.basic_constraints_ca.map(tf).unwrap_or_else(|| "-".into()),
        ),
        (
            "basic_constraints.path_len",
            num(r.basic_constraints_path_len.map(u64::from)),
        ),
        ("host_cert", tf(r.host_cert)),
        ("client_cert", tf(r.client_cert)),
    ])
}

/// Offset of the first plausible TLS handshake record header (a hello of the expected type).
fn tls_start(stream: &[u8], hello: u8) -> Option<usize> {
    (0..stream.len().saturating_sub(5)).find(|&i| {
        stream[i] == 0x16
            && stream[i + 1] == 3
            && stream[i + 2] <= 4
            && stream.get(i + 5) == Some(&hello)
    })
}

fn b64(s: &str) -> Vec<u8> {
    let mut out = vec![];
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// GridFTP's control channel carries its TLS handshake base64-encoded in FTP `ADAT` commands
/// and `335 ADAT=` replies (the FTP parser will hand these over): decode them into TLS
/// deliveries. None when the connection is not such a channel.
fn unwrap_adat(c: &TcpConn) -> Option<TcpConn> {
    let mut lines: [Vec<u8>; 2] = [vec![], vec![]];
    let mut events = vec![];
    let mut seen = false;
    for (ts, d, b) in &c.events {
        let i = (*d == Direction::Resp) as usize;
        lines[i].extend_from_slice(b);
        while let Some(nl) = lines[i].iter().position(|&x| x == b'\n') {
            let line: Vec<u8> = lines[i].drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line);
            let payload = line
                .strip_prefix("ADAT ")
                .or_else(|| line.strip_prefix("335 ADAT="));
            if let Some(p) = payload {
                seen = true;
                events.push((*ts, *d, b64(p.trim())));
            }
        }
    }
    seen.then_some(TcpConn {
        orig: c.orig,
        events,
    })
}

/// Runs a TLS session over a connection; direction streams that do not start with a TLS
/// record are skipped up to their first hello.
fn run_tls(c: &TcpConn) -> Vec<AppRecord> {
    if let Some(inner) = unwrap_adat(c) {
        return run_tls(&inner);
    }
    let mut whole: [Vec<u8>; 2] = [vec![], vec![]];
    for (_, d, b) in &c.events {
        whole[(*d == Direction::Resp) as usize].extend_from_slice(b);
    }
    let mut skip = [0usize; 2];
    for (i, hello) in [(0, 1u8), (1, 2u8)] {
        let w = &whole[i];
        if w.len() >= 2 && !((20..=24).contains(&w[0]) && w[1] == 3) {
            skip[i] = tls_start(&whole[i], hello).unwrap_or(whole[i].len());
        }
    }
    let mut s = TlsSession::new();
    let mut out = vec![];
    let mut last = 0;
    for (ts, d, b) in &c.events {
        let i = (*d == Direction::Resp) as usize;
        let n = skip[i].min(b.len());
        skip[i] -= n;
        last = *ts;
        if n < b.len() {
            s.data(
                Ctx {
                    ts_ns: *ts,
                    dir: *d,
                },
                &b[n..],
                &mut out,
            );
        }
    }
    s.end(last, &mut out);
    out
}

#[test]
fn ssl_and_x509_match_zeek() {
    let mut list = baselines("ssl.log");
    for b in baselines("x509.log") {
        if !list.contains(&b) {
            list.push(b);
        }
    }
    if list.is_empty() {
        println!("SKIP: Zeek corpus not found at {CORPUS}");
        return;
    }
    let mut ssl = Tally::default();
    let mut x509 = Tally::default();
    let mut not_tcp = 0;
    let mut x509_not_tls = 0;
    for (dir, trace) in list {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (fields, rows) = read_log(&dir.join("ssl.log")).unwrap_or_default();
        let conns = read_tcp(&trace);
        let col = |n: &str| fields.iter().position(|f| f == n);
        let cols = match (
            col("id.orig_h"),
            col("id.orig_p"),
            col("id.resp_h"),
            col("id.resp_p"),
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
            _ => None,
        };
        let mut ours_x509: Vec<X509Record> = vec![];
        let mut outputs: HashMap<Key, Vec<AppRecord>> = HashMap::new();
        for c in &conns {
            let out = run_tls(c);
            for r in &out {
                if let AppRecord::X509(x) = r {
                    ours_x509.push(x.clone());
                }
            }
            outputs.insert(c.orig, out);
        }
        for row in rows.iter().filter(|_| cols.is_some()) {
            let (oh, op, rh, rp) = cols.unwrap();
            let key: Key = (
                row[oh].parse().unwrap(),
                row[op].parse().unwrap(),
                row[rh].parse().unwrap(),
                row[rp].parse().unwrap(),
            );
            let Some(out) = outputs.get(&key) else {
                not_tcp += 1;
                continue;
            };
            let ours = out.iter().find_map(|r| match r {
                AppRecord::Ssl(s) => Some(ssl_fields(s)),
                _ => None,
            });
            let what = format!("{name} {}:{}", key.0, key.1);
            match ours {
                Some(o) => ssl.compare_fields(&what, &fields, row, &o),
                None => {
                    ssl.missing(format!("{what}: no ssl record"));
                }
            }
        }
        if let Some((xf, xrows)) = read_log(&dir.join("x509.log")) {
            let fcol = |n: &str| xf.iter().position(|f| f == n).unwrap();
            let (fp, hc, cc) = (fcol("fingerprint"), fcol("host_cert"), fcol("client_cert"));
            let mut used = vec![false; ours_x509.len()];
            for row in &xrows {
                let what = format!("{name} {}", &row[fp][..12]);
                let found = ours_x509.iter().enumerate().position(|(i, x)| {
                    !used[i]
                        && x.fingerprint == row[fp]
                        && tf(x.host_cert) == row[hc]
                        && tf(x.client_cert) == row[cc]
                });
                match found {
                    Some(i) => {
                        used[i] = true;
                        x509.compare_fields(&what, &xf, row, &x509_fields(&ours_x509[i]));
                    }
                    None if name.contains("rdp-x509") => {
                        // RDP Standard Security sends its certificate inside RDP, not TLS:
                        // the RDP parser's job.
                        x509_not_tls += 1;
                    }
                    None => {
                        x509.missing(format!("{what}: no x509 record"));
                    }
                }
            }
        }
    }
    println!("ssl.log rows from UDP (QUIC/DTLS), out of scope: {not_tcp}");
    println!("x509.log rows from RDP Standard Security (not TLS), out of scope: {x509_not_tls}");
    let s = ssl.report("ssl.log", usize::MAX).unwrap_or(1.0);
    let x = x509.report("x509.log", usize::MAX).unwrap_or(1.0);
    assert!(s >= 0.999, "ssl.log agreement {s}");
    assert!(x >= 0.999, "x509.log agreement {x}");
}

#[test]
#[ignore]
fn debug_trace() {
    let p = std::env::var("TRACE").unwrap();
    for c in read_tcp(Path::new(&p)) {
        println!("{:?}", c.orig);
        for (ts, d, b) in &c.events {
            println!("  {ts} {d:?} {} {:02x?}", b.len(), &b[..b.len().min(12)]);
        }
        for r in run_tls(&c) {
            println!("{r:?}");
        }
    }
}
