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

mod tcp_trace;
use tcp_trace::*;
mod zeek_log;
use zeek_log::Tally;

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
                Some(o) => http.compare_fields(&what, &fields, row, &http_fields(o)),
                None => {
                    http.missing(format!("{what}: no http record"));
                }
            }
        }
    }
    let share = http.report("http.log", usize::MAX).unwrap_or(1.0);
    assert!(share >= 0.992, "http.log agreement {share}");
}
