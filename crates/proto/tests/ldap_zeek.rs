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
use std::collections::{HashMap, HashSet};
use std::path::Path;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/zeek/Traces/ldap"
);
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ldap_zeek");
/// Share of Zeek's rows with every compared field equal, as reached at this writing.
const FLOOR: f64 = 1.0;

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

/// Our record's fields as Zeek's TSV writes them (`-` unset).
type Fields = HashMap<&'static str, String>;

fn field(v: Option<String>) -> String {
    tcp_trace::opt(&v)
}

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
                    let f: Fields = HashMap::from([
                        ("version", field(r.version.map(|v| v.to_string()))),
                        ("opcode", field(r.opcode)),
                        ("result", field(r.result)),
                        ("diagnostic_message", field(r.diagnostic_message)),
                        ("object", field(r.object)),
                        ("argument", field(r.argument)),
                    ]);
                    map.insert(("ldap", port, r.message_id), f);
                }
                AppRecord::LdapSearch(r) => {
                    let f: Fields = HashMap::from([
                        ("scope", field(r.scope)),
                        ("deref_aliases", field(r.deref_aliases)),
                        ("base_object", field(r.base_object)),
                        ("result_count", r.result_count.to_string()),
                        ("result", field(r.result)),
                        ("diagnostic_message", field(r.diagnostic_message)),
                        ("filter", field(r.filter)),
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
    let mut tally = Tally::default();
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
        let fields: Vec<String> = z.fields.iter().map(|f| singular(f).to_string()).collect();
        let col = |f: &str| fields.iter().position(|x| x == f).unwrap();
        let (port, mid) = (col("id.orig_p"), col("message_id"));
        let mut t = Tally::default();
        let mut seen = HashSet::new();
        for row in &z.rows {
            let row: Vec<String> = row.iter().map(|v| tcp_trace::unescape(v)).collect();
            let key = (log, row[port].parse().unwrap(), row[mid].parse().unwrap());
            seen.insert(key);
            match mine.get(&key) {
                Some(m) => t.compare_fields(&format!("{name} {key:?}"), &fields, &row, m),
                None => t.missing(format!("{name}: no record for {key:?}")),
            }
        }
        t.extra = mine
            .keys()
            .filter(|k| k.0 == log && !seen.contains(*k))
            .count();
        println!(
            "  {name}: {}/{} equal, {} more of ours",
            t.all_equal, t.total, t.extra
        );
        tally.merge(t);
    }
    let share = tally
        .report("ldap.log and ldap_search.log", 30)
        .unwrap_or(1.0);
    assert_eq!(tally.extra, 0, "records Zeek does not have");
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}
