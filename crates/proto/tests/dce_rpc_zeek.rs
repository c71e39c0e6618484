//! dce_rpc.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index with a dce_rpc.log is replayed: TCP payloads of each
//! connection go, per direction and in capture order (exact retransmissions dropped), to an
//! `SmbSession` (ports 445/139, RPC over named pipes) or a `DceRpcSession` (any other port).
//! Zeek's rows and ours are paired per connection by operation; ts, uid and id.* are not
//! compared (the baselines mask ts).

use netloupe_proto::AppRecord;
use std::path::{Path, PathBuf};

mod rpc_trace;
use rpc_trace::*;

/// Share of Zeek's records found with all compared fields equal, as reached on the corpus of
/// this writing; the assertion keeps it from regressing.
const FLOOR: f64 = 0.94;

fn dce_field(r: &AppRecord, f: &str) -> Option<String> {
    let AppRecord::DceRpc(r) = r else {
        return None;
    };
    Some(match f {
        "rtt" => r.rtt_ns.map(secs).unwrap_or_else(|| "-".into()),
        "named_pipe" => opt(&r.named_pipe),
        "endpoint" => opt(&r.endpoint),
        "operation" => opt(&r.operation),
        _ => return None,
    })
}

#[test]
fn dce_rpc_log_agrees_with_zeek() {
    let Some(t) = compare("dce_rpc.log", "operation", true, &dce_field) else {
        return;
    };
    let share = t.report("dce_rpc.log", usize::MAX).unwrap_or(1.0);
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}

/// Every DCE/RPC trace of the corpus through the parsers: no panic; names are known.
#[test]
fn dce_rpc_over_corpus_traces() {
    let dir = Path::new(CORPUS).join("Traces/dce-rpc");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!("SKIP: {} missing", dir.display());
        return;
    };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    let mut n = 0;
    for p in paths {
        let Some(recs) = run_trace(&p, true) else {
            continue;
        };
        println!("{}:", p.display());
        for (_, r) in &recs {
            if let AppRecord::DceRpc(d) = r {
                n += 1;
                println!(
                    "  {} {} {} {:?}",
                    opt(&d.named_pipe),
                    opt(&d.endpoint),
                    opt(&d.operation),
                    d.rtt_ns.map(secs)
                );
            }
        }
    }
    assert!(n > 0);
}
