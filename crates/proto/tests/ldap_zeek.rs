//! ldap.log and ldap_search.log compared with Zeek's own baselines.
//!
//! The corpus has Zeek's LDAP traces but not their baselines; Zeek's btest baselines for them
//! (zeek/zeek, `testing/btest/Baseline/scripts.base.protocols.ldap.*`) are kept as fixtures in
//! `tests/ldap_zeek/<trace>.<log>` (older ones name the fields in the plural, `opcodes`,
//! `scopes`, ...: read as the singular). Each trace's TCP connections (payloads per direction in
//! capture order) go to an `LdapSession`; records are matched with Zeek's rows by originator
//! port and message id, and every field Zeek logs by default is compared (not `attributes`,
//! which Zeek only logs with `LDAP::default_log_search_attributes`).

mod tcp_trace;
mod zeek_log;
use zeek_log::*;

use netloupe_proto::ldap::LdapSession;
use netloupe_proto::{AppRecord, Ctx, SessionParser};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/zeek/Traces/ldap"
);
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ldap_zeek");
/// Share of Zeek's rows with every compared field equal, as reached at this writing.
const FLOOR: f64 = 1.0;

/// Zeek's TSV value: `-` unset, `\xNN` and `\\` escapes undone.
fn unescape(v: &str) -> Option<String> {
    if v == "-" {
        return None;
    }
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'x' && i + 3 < b.len() {
                if let Ok(x) = u8::from_str_radix(&v[i + 2..i + 4], 16) {
                    out.push(x);
                    i += 4;
                    continue;
                }
            }
            out.push(b[i + 1]);
            i += 2;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn singular(f: &str) -> &str {
    match f {
        "opcodes" => "opcode",
        "results" => "result",
        "diagnostic_messages" => "diagnostic_message",
        "objects" => "object",
        "arguments" => "argument",
        "scopes" => "scope",
        "derefs" => "deref_aliases",
        "base_objects" => "base_object",
        f => f,
    }
}

type Fields = BTreeMap<&'static str, Option<String>>;

const LDAP_FIELDS: [&str; 6] = [
    "version",
    "opcode",
    "result",
    "diagnostic_message",
    "object",
    "argument",
];
const SEARCH_FIELDS: [&str; 7] = [
    "scope",
    "deref_aliases",
    "base_object",
    "result_count",
    "result",
    "diagnostic_message",
    "filter",
];

/// Our records of a trace, by (log, originator port, message id).
fn ours(path: &Path) -> HashMap<(&'static str, u16, i64), Fields> {
    let mut map = HashMap::new();
    for c in tcp_trace::read_tcp(path) {
        let mut s = LdapSession::new(true);
        let mut out = Vec::new();
        for (ts, dir, bytes) in &c.events {
            s.data(
                Ctx {
                    ts_ns: *ts,
                    dir: *dir,
                },
                bytes,
                &mut out,
            );
        }
        s.end(0, &mut out);
        let port = c.orig.1;
        for r in out {
            match r {
                AppRecord::Ldap(r) => {
                    let f: Fields = BTreeMap::from([
                        ("version", r.version.map(|v| v.to_string())),
                        ("opcode", r.opcode),
                        ("result", r.result),
                        ("diagnostic_message", r.diagnostic_message),
                        ("object", r.object),
                        ("argument", r.argument),
                    ]);
                    map.insert(("ldap", port, r.message_id), f);
                }
                AppRecord::LdapSearch(r) => {
                    let f: Fields = BTreeMap::from([
                        ("scope", r.scope),
                        ("deref_aliases", r.deref_aliases),
                        ("base_object", r.base_object),
                        ("result_count", Some(r.result_count.to_string())),
                        ("result", r.result),
                        ("diagnostic_message", r.diagnostic_message),
                        ("filter", r.filter),
                    ]);
                    map.insert(("ldap_search", port, r.message_id), f);
                }
                _ => {}
            }
        }
    }
    map
}

#[test]
fn ldap_logs_agree_with_zeek() {
    if !Path::new(CORPUS).is_dir() {
        println!("SKIP: corpus traces missing");
        return;
    }
    let mut fixtures: Vec<_> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    fixtures.sort();
    let (mut rows, mut equal, mut extra) = (0usize, 0usize, 0usize);
    let mut per_field: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for fx in &fixtures {
        let name = fx.file_name().unwrap().to_string_lossy().into_owned();
        let (trace, log) = name.split_once('.').unwrap();
        let log: &'static str = if log == "ldap.log" {
            "ldap"
        } else {
            "ldap_search"
        };
        let Some(pcap) = ["pcap", "pcapng"]
            .iter()
            .map(|e| Path::new(CORPUS).join(format!("{trace}.{e}")))
            .find(|p| p.exists())
        else {
            println!("  {trace}: trace missing");
            continue;
        };
        let mine = ours(&pcap);
        let z = read_zeek_log(fx).unwrap();
        let col = |f: &str| z.fields.iter().position(|x| singular(x) == f);
        let (port, mid) = (col("id.orig_p").unwrap(), col("message_id").unwrap());
        let compared: &[&str] = if log == "ldap" {
            &LDAP_FIELDS
        } else {
            &SEARCH_FIELDS
        };
        let (mut n, mut e) = (0, 0);
        let mut seen = std::collections::HashSet::new();
        for row in &z.rows {
            n += 1;
            let key = (log, row[port].parse().unwrap(), row[mid].parse().unwrap());
            seen.insert(key);
            let Some(m) = mine.get(&key) else {
                diffs.push(format!("{name}: no record for {key:?}"));
                continue;
            };
            let mut all = true;
            for f in compared {
                let theirs = col(f).and_then(|i| unescape(&row[i]));
                let ours = m.get(f).cloned().flatten();
                let pf = per_field.entry(f).or_default();
                pf.1 += 1;
                if theirs == ours {
                    pf.0 += 1;
                } else {
                    all = false;
                    diffs.push(format!("{name} {key:?} {f}: zeek {theirs:?} ours {ours:?}"));
                }
            }
            if all {
                e += 1;
            }
        }
        let x = mine
            .keys()
            .filter(|k| k.0 == log && !seen.contains(*k))
            .count();
        println!("  {name}: {e}/{n}, {x} more of ours");
        extra += x;
        rows += n;
        equal += e;
    }
    for (f, (e, n)) in &per_field {
        println!("  field {f}: {e}/{n}");
    }
    for d in diffs.iter().take(30) {
        println!("  {d}");
    }
    let share = equal as f64 / rows.max(1) as f64;
    println!(
        "ldap vs Zeek baselines: {equal}/{rows} rows equal ({:.1}%) over {} logs; {extra} rows of ours Zeek does not have",
        share * 100.0,
        fixtures.len()
    );
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}
