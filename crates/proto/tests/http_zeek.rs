//! http.log against Zeek's baselines.
//!
//! For each baseline of the shared corpus with an http.log, the trace is read with
//! netloupe-capture/netloupe-decode, TCP payloads are concatenated per direction per connection
//! in capture order (exact retransmissions dropped by sequence number), fed to an
//! [`HttpSession`], and the records compared with Zeek's rows matched by 5-tuple and
//! trans_depth (baselines written with zeek-cut without the connection columns are matched by
//! trans_depth, or by order, over the trace's records). File ids are random in Zeek and are
//! not compared (their presence is, through the MIME types and file names).

use netloupe_capture::CaptureFile;
use netloupe_decode::{Decoded, Decoder, Transport};
use netloupe_proto::http::{HttpRecord, HttpSession};
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

// The shared corpus, `../shared/corpus` from the repository root.
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");

type Key = (IpAddr, u16, IpAddr, u16);

/// One TCP connection's payload deliveries in capture order.
struct TcpConn {
    orig: Key,
    events: Vec<(i64, Direction, Vec<u8>)>,
}

/// Reads a trace into TCP connections (originator = sender of the first packet, or of the
/// SYN), dropping exact retransmissions by sequence number.
fn read_tcp(path: &Path) -> Vec<TcpConn> {
    let mut f = match CaptureFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            println!("  cannot open {}: {e}", path.display());
            return vec![];
        }
    };
    // Like `zeek -C`: corpus traces often have offloaded (wrong) checksums.
    let mut dec = Decoder::new(netloupe_decode::DecodeConfig {
        verify_checksums: false,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    let mut conns: Vec<TcpConn> = Vec::new();
    let mut index: HashMap<Key, (usize, Direction)> = HashMap::new();
    let mut next_seq: HashMap<(usize, bool), u32> = HashMap::new();
    while let Ok(Some(p)) = f.next_packet() {
        anomalies.clear();
        let (ts, lt) = (p.ts_ns, p.linktype);
        let data = p.data.to_vec();
        let Decoded::Ip(ip) = dec.decode(ts, lt, &data, &mut anomalies) else {
            continue;
        };
        let Transport::Tcp(t) = ip.transport else {
            continue;
        };
        let key = (ip.ip.src, t.src_port, ip.ip.dst, t.dst_port);
        let rev = (ip.ip.dst, t.dst_port, ip.ip.src, t.src_port);
        let syn = t.flags & 0x02 != 0;
        let ack = t.flags & 0x10 != 0;
        let (ci, dir) = match (index.get(&key), index.get(&rev)) {
            (Some(&(i, d)), _) => (i, d),
            (None, Some(&(i, d))) => (
                i,
                if d == Direction::Orig {
                    Direction::Resp
                } else {
                    Direction::Orig
                },
            ),
            (None, None) => {
                // A SYN-ACK first means the other side is the originator.
                let orig = if syn && ack { rev } else { key };
                conns.push(TcpConn {
                    orig,
                    events: vec![],
                });
                let i = conns.len() - 1;
                index.insert(orig, (i, Direction::Orig));
                let d = if orig == key {
                    Direction::Orig
                } else {
                    Direction::Resp
                };
                (i, d)
            }
        };
        let is_orig = dir == Direction::Orig;
        let mut seq = t.seq;
        if syn {
            next_seq.insert((ci, is_orig), seq.wrapping_add(1));
            seq = seq.wrapping_add(1);
        }
        let mut payload = ip.payload;
        if payload.is_empty() {
            continue;
        }
        let expected = *next_seq.entry((ci, is_orig)).or_insert(seq);
        let behind = expected.wrapping_sub(seq) as i32;
        if behind > 0 {
            if behind as usize >= payload.len() {
                continue; // retransmission
            }
            payload = &payload[behind as usize..];
            seq = expected;
        }
        let end = seq.wrapping_add(payload.len() as u32);
        if (end.wrapping_sub(expected) as i32) > 0 {
            next_seq.insert((ci, is_orig), end);
        }
        conns[ci].events.push((ts, dir, payload.to_vec()));
    }
    conns
}

/// A Zeek ASCII log: field names and rows (values unescaped).
fn read_log(path: &Path) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields: Vec<String> = vec![];
    let mut rows = vec![];
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_string).collect();
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if fields.is_empty() {
            // zeek-cut output: the first line names the columns.
            fields = line.split('\t').map(str::to_string).collect();
        } else {
            rows.push(line.split('\t').map(unescape).collect());
        }
    }
    Some((fields, rows))
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\\' {
            out.push(b'\\');
            i += 2;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[allow(dead_code)]
fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}
#[allow(dead_code)]
fn tf(b: bool) -> String {
    if b { "T" } else { "F" }.into()
}
fn vec_field(v: &Option<Vec<String>>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.is_empty() => "(empty)".into(),
        Some(v) => v.join(","),
    }
}

fn baselines(log: &str) -> Vec<(PathBuf, PathBuf)> {
    let idx = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(text) = std::fs::read_to_string(&idx) else {
        return vec![];
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split('\t');
            let (dir, trace, logs) = (it.next()?, it.next()?, it.next()?);
            logs.split(',')
                .any(|x| x == log)
                .then(|| (Path::new(CORPUS).join(dir), Path::new(CORPUS).join(trace)))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    rows: usize,
    rows_ok: usize,
    field_total: HashMap<String, (usize, usize)>,
    diffs: Vec<String>,
}

impl Tally {
    fn compare(
        &mut self,
        what: &str,
        fields: &[String],
        row: &[String],
        ours: &HashMap<&'static str, String>,
    ) {
        self.rows += 1;
        let mut all = true;
        for (f, z) in fields.iter().zip(row) {
            let Some(v) = ours.get(f.as_str()) else {
                continue;
            };
            let e = self.field_total.entry(f.clone()).or_default();
            e.1 += 1;
            if v == z {
                e.0 += 1;
            } else {
                all = false;
                self.diffs
                    .push(format!("{what} {f}: zeek={z:?} ours={v:?}"));
            }
        }
        if all {
            self.rows_ok += 1;
        }
    }

    fn report(&self, log: &str) -> f64 {
        let share = if self.rows == 0 {
            1.0
        } else {
            self.rows_ok as f64 / self.rows as f64
        };
        println!(
            "{log}: {}/{} Zeek rows with all shared fields equal ({:.1}%)",
            self.rows_ok,
            self.rows,
            share * 100.0
        );
        let mut f: Vec<_> = self.field_total.iter().collect();
        f.sort();
        for (k, (ok, n)) in f {
            println!("  {k}: {ok}/{n}");
        }
        for d in &self.diffs {
            println!("  DIFF {d}");
        }
        share
    }
}

fn s(v: &Option<String>) -> String {
    match v.as_deref() {
        None => "-".into(),
        Some("") => "(empty)".into(),
        Some(v) => v.into(),
    }
}

fn http_fields(r: &HttpRecord) -> HashMap<&'static str, String> {
    let num = |v: Option<u16>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    HashMap::from([
        ("trans_depth", r.trans_depth.to_string()),
        ("method", s(&r.method)),
        ("host", s(&r.host)),
        ("uri", s(&r.uri)),
        ("referrer", s(&r.referrer)),
        ("version", s(&r.version)),
        ("user_agent", s(&r.user_agent)),
        ("origin", s(&r.origin)),
        ("request_body_len", r.request_body_len.to_string()),
        ("response_body_len", r.response_body_len.to_string()),
        ("status_code", num(r.status_code)),
        ("status_msg", s(&r.status_msg)),
        ("info_code", num(r.info_code)),
        ("info_msg", s(&r.info_msg)),
        ("tags", vec_field(&Some(r.tags.clone()))),
        ("username", s(&r.username)),
        ("proxied", vec_field(&r.proxied)),
        ("orig_filenames", vec_field(&r.orig_filenames)),
        ("orig_mime_types", vec_field(&r.orig_mime_types)),
        ("resp_filenames", vec_field(&r.resp_filenames)),
        ("resp_mime_types", vec_field(&r.resp_mime_types)),
    ])
}

fn run_http(c: &TcpConn) -> Vec<HttpRecord> {
    let mut s = HttpSession::new();
    let mut out = vec![];
    let mut last = 0;
    for (ts, d, b) in &c.events {
        last = *ts;
        s.data(
            Ctx {
                ts_ns: *ts,
                dir: *d,
            },
            b,
            &mut out,
        );
    }
    s.end(last, &mut out);
    let mut v: Vec<HttpRecord> = out
        .into_iter()
        .filter_map(|r| match r {
            AppRecord::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    v.sort_by_key(|r| r.trans_depth);
    v
}

#[test]
fn http_matches_zeek() {
    let list = baselines("http.log");
    if list.is_empty() {
        println!("SKIP: Zeek corpus not found at {CORPUS}");
        return;
    }
    let mut http = Tally::default();
    for (dir, trace) in list {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let Some((fields, rows)) = read_log(&dir.join("http.log")) else {
            continue;
        };
        let conns = read_tcp(&trace);
        let col = |n: &str| fields.iter().position(|f| f == n);
        let depth_col = col("trans_depth");
        let ids = match (
            col("id.orig_h"),
            col("id.orig_p"),
            col("id.resp_h"),
            col("id.resp_p"),
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
            _ => None,
        };
        let mut by_conn: HashMap<Key, Vec<HttpRecord>> = HashMap::new();
        let mut all = vec![];
        for c in &conns {
            let recs = run_http(c);
            all.extend(recs.iter().cloned());
            by_conn.insert(c.orig, recs);
        }
        for (i, row) in rows.iter().enumerate() {
            let depth: Option<u32> = depth_col.and_then(|c| row[c].parse().ok());
            let (what, candidates): (String, &[HttpRecord]) = match ids {
                Some((oh, op, rh, rp)) => {
                    let key: Key = (
                        row[oh].parse().unwrap(),
                        row[op].parse().unwrap(),
                        row[rh].parse().unwrap(),
                        row[rp].parse().unwrap(),
                    );
                    (
                        format!("{name} {}:{} #{}", key.0, key.1, depth.unwrap_or(0)),
                        by_conn.get(&key).map(|v| v.as_slice()).unwrap_or(&[]),
                    )
                }
                None => (format!("{name} row {i}"), &all[..]),
            };
            let ours = match depth {
                Some(d) => candidates.iter().find(|r| r.trans_depth == d),
                None => candidates.get(i),
            };
            match ours {
                Some(o) => http.compare(&what, &fields, row, &http_fields(o)),
                None => {
                    http.rows += 1;
                    http.diffs.push(format!("{what}: no http record"));
                }
            }
        }
    }
    let share = http.report("http.log");
    assert!(share >= 0.90, "http.log agreement {share}");
}
