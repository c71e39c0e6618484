//! http.log against Zeek's baselines.
//!
//! For each baseline of the shared corpus with an http.log, the trace is read with
//! netloupe-capture/netloupe-decode, TCP payloads are concatenated per direction per connection
//! in capture order (exact retransmissions dropped by sequence number), fed to an
//! [`HttpSession`], and the records compared with Zeek's rows matched by 5-tuple and
//! trans_depth (baselines written with zeek-cut without the connection columns are matched by
//! trans_depth, or by order, over the trace's records). File ids are random in Zeek and are
//! not compared (their presence is, through the MIME types and file names).

use netloupe_proto::http::{HttpRecord, HttpSession};
use netloupe_proto::{AppRecord, Ctx, SessionParser};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod tcp_trace;
use tcp_trace::*;

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
