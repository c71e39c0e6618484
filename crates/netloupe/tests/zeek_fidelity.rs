//! Fidelity against Zeek: run netloupe on every trace of the corpus that has a Zeek conn.log
//! baseline and compare connection by connection.
//!
//! Zeek's test suite ignores checksums (many of its traces were captured with checksum offload),
//! so the comparison runs with `-C` as well. Baselines that log only some columns (no 5-tuple)
//! cannot be matched and are counted as such.

mod common;

use serde_json::Value;
use std::collections::HashMap;

// Agreement reached when this test was written (see docs/FIDELITY.md); the test fails if a
// change makes netloupe agree less with Zeek.
const MIN_FOUND: f64 = 1.0;
const MIN_COUNTS: f64 = 0.99;
const MIN_STATE_AND_HISTORY: f64 = 0.98;

#[derive(Default, Debug)]
struct Tally {
    zeek: usize,
    found: usize,
    counts: usize,
    state: usize,
    history: usize,
    state_and_history: usize,
    bytes: usize,
    duration: usize,
    missed: usize,
    unmatchable: usize,
}

fn field(v: &Value, f: &str) -> String {
    match v.get(f) {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if f == "duration" => format!("{:.6}", n.as_f64().unwrap_or(0.0)),
        Some(x) => x.to_string(),
    }
}

#[test]
fn conn_log_agrees_with_zeek() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let zeek = corpus.join("zeek");
    let index =
        std::fs::read_to_string(zeek.join("baseline_index.tsv")).expect("baseline_index.tsv");
    let out_root = common::tmp_dir("zeek-fidelity");
    let mut t = Tally::default();
    let mut diffs: Vec<String> = Vec::new();
    for (n, line) in index.lines().skip(1).enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || !cols[2].split(',').any(|l| l == "conn.log") {
            continue;
        }
        let (bdir, trace) = (cols[0], cols[1]);
        let text =
            std::fs::read_to_string(zeek.join(bdir).join("conn.log")).expect("baseline conn.log");
        let mut fields: Vec<&str> = Vec::new();
        let mut base: Vec<HashMap<&str, &str>> = Vec::new();
        for l in text.lines() {
            if let Some(f) = l.strip_prefix("#fields\t") {
                fields = f.split('\t').collect();
            } else if !l.starts_with('#') && !fields.is_empty() {
                base.push(fields.iter().copied().zip(l.split('\t')).collect());
            }
        }
        if !fields.contains(&"id.orig_h") {
            t.unmatchable += base.len();
            continue;
        }
        let out = out_root.join(format!("{n}"));
        let status = common::netloupe()
            .args(["analyze", "-q", "-C", "-o"])
            .arg(&out)
            .arg(zeek.join(trace))
            .status()
            .expect("run netloupe");
        assert!(
            status.code().is_some(),
            "netloupe killed by a signal on {trace}"
        );
        let ours = common::read_jsonl(&out.join("conn.log"));
        let mut by_key: HashMap<(String, String, String, String, String), Vec<&Value>> =
            HashMap::new();
        for o in &ours {
            let k = (
                field(o, "id.orig_h"),
                field(o, "id.orig_p"),
                field(o, "id.resp_h"),
                field(o, "id.resp_p"),
                field(o, "proto"),
            );
            by_key.entry(k).or_default().push(o);
        }
        for b in &base {
            t.zeek += 1;
            let g = |f: &str| b.get(f).copied().unwrap_or("-").to_string();
            let k = (
                g("id.orig_h"),
                g("id.orig_p"),
                g("id.resp_h"),
                g("id.resp_p"),
                g("proto"),
            );
            let Some(o) = by_key.get_mut(&k).and_then(|v| {
                if v.is_empty() {
                    None
                } else {
                    Some(v.remove(0))
                }
            }) else {
                diffs.push(format!(
                    "{trace}: missing {k:?} (zeek history {})",
                    g("history")
                ));
                continue;
            };
            t.found += 1;
            let same = |f: &str| g(f) == field(o, f);
            let counts = ["orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"]
                .iter()
                .all(|f| same(f));
            let (st, hi) = (same("conn_state"), same("history"));
            let bytes = same("orig_bytes") && same("resp_bytes");
            let missed = g("missed_bytes") == field(o, "missed_bytes");
            t.counts += usize::from(counts);
            t.state += usize::from(st);
            t.history += usize::from(hi);
            t.state_and_history += usize::from(st && hi);
            t.bytes += usize::from(bytes);
            t.duration += usize::from(same("duration"));
            t.missed += usize::from(missed);
            if !(counts && st && hi && bytes && missed) {
                let fs = [
                    "conn_state",
                    "history",
                    "orig_pkts",
                    "resp_pkts",
                    "orig_ip_bytes",
                    "resp_ip_bytes",
                    "orig_bytes",
                    "resp_bytes",
                    "missed_bytes",
                ];
                let d: Vec<String> = fs
                    .iter()
                    .filter(|f| g(f) != field(o, f))
                    .map(|f| format!("{f}: zeek {} ours {}", g(f), field(o, f)))
                    .collect();
                diffs.push(format!("{trace}: {k:?}: {}", d.join(", ")));
            }
        }
    }
    let pct = |n: usize| 100.0 * n as f64 / t.zeek.max(1) as f64;
    println!("Zeek conn.log fidelity over {} connections ({} more in baselines without 5-tuple columns):", t.zeek, t.unmatchable);
    println!(
        "  found (5-tuple + proto):           {:>4} ({:.1}%)",
        t.found,
        pct(t.found)
    );
    println!(
        "  orig/resp packets and IP bytes:     {:>4} ({:.1}%)",
        t.counts,
        pct(t.counts)
    );
    println!(
        "  conn_state:                         {:>4} ({:.1}%)",
        t.state,
        pct(t.state)
    );
    println!(
        "  history:                            {:>4} ({:.1}%)",
        t.history,
        pct(t.history)
    );
    println!(
        "  conn_state and history:             {:>4} ({:.1}%)",
        t.state_and_history,
        pct(t.state_and_history)
    );
    println!(
        "  orig_bytes/resp_bytes:              {:>4} ({:.1}%)",
        t.bytes,
        pct(t.bytes)
    );
    println!(
        "  duration:                           {:>4} ({:.1}%)",
        t.duration,
        pct(t.duration)
    );
    println!(
        "  missed_bytes:                       {:>4} ({:.1}%)",
        t.missed,
        pct(t.missed)
    );
    for d in &diffs {
        println!("  difference: {d}");
    }
    assert!(t.zeek > 0, "no baselines compared");
    let ratio = |n: usize| n as f64 / t.zeek as f64;
    assert!(
        ratio(t.found) >= MIN_FOUND,
        "found {:.3} < {MIN_FOUND}",
        ratio(t.found)
    );
    assert!(
        ratio(t.counts) >= MIN_COUNTS,
        "counts {:.3} < {MIN_COUNTS}",
        ratio(t.counts)
    );
    assert!(
        ratio(t.state_and_history) >= MIN_STATE_AND_HISTORY,
        "state+history {:.3} < {MIN_STATE_AND_HISTORY}",
        ratio(t.state_and_history)
    );
    let _ = std::fs::remove_dir_all(&out_root);
}
