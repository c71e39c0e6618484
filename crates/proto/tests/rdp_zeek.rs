//! rdp.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index that has an rdp.log is replayed: TCP payloads of each
//! connection go, per direction and in capture order, to an `RdpSession`, and the records are
//! paired with Zeek's rows per connection. For each field both logs have, agreement is
//! counted; a Zeek record "agrees" when every compared field is equal.

mod stream_harness;
use stream_harness::*;

use netloupe_proto::rdp::RdpSession;
use netloupe_proto::{AppRecord, SessionParser};
use std::collections::BTreeMap;
use std::path::Path;

/// Share of Zeek's records found with all compared fields equal, as reached on the corpus of
/// this writing; the assertion keeps it from regressing.
const FLOOR: f64 = 1.0;

fn make(_baseline: &str, _id: ConnId) -> Box<dyn SessionParser> {
    Box::new(RdpSession::new())
}

/// Our record's rdp.log fields, as Zeek's TSV writes them.
fn fields(r: &AppRecord) -> Option<BTreeMap<&'static str, String>> {
    let AppRecord::Rdp(r) = r else { return None };
    Some(BTreeMap::from([
        ("cookie", opt(&r.cookie)),
        ("result", opt(&r.result)),
        ("security_protocol", opt(&r.security_protocol)),
        ("client_channels", vector(&r.client_channels)),
        ("keyboard_layout", opt(&r.keyboard_layout)),
        ("client_build", opt(&r.client_build)),
        ("client_name", opt(&r.client_name)),
        ("client_dig_product_id", opt(&r.client_dig_product_id)),
        ("desktop_width", num(r.desktop_width)),
        ("desktop_height", num(r.desktop_height)),
        ("requested_color_depth", opt(&r.requested_color_depth)),
        ("cert_type", opt(&r.cert_type)),
        ("cert_count", r.cert_count.to_string()),
        ("cert_permanent", boolean(r.cert_permanent)),
        ("encryption_level", opt(&r.encryption_level)),
        ("encryption_method", opt(&r.encryption_method)),
    ]))
}

#[test]
fn rdp_over_whole_corpus() {
    let mut all = Vec::new();
    traces(&Path::new(CORPUS).join("Traces"), &mut all);
    if all.is_empty() {
        println!("SKIP: corpus traces missing");
        return;
    }
    all.sort();
    let (mut n_traces, mut n_recs) = (0, 0);
    for t in &all {
        if let Some(r) = run_trace(t, &|id| make("", id)) {
            n_traces += 1;
            n_recs += r.len();
        }
    }
    println!("{n_traces} traces, {n_recs} rdp records");
    assert!(n_recs >= 5);
}

#[test]
fn rdp_log_agrees_with_zeek() {
    let Some(t) = compare("rdp.log", &make, &fields, &[]) else {
        return;
    };
    if t.total == 0 {
        println!("SKIP: no rdp.log baseline found");
        return;
    }
    let share = t.report("rdp.log", usize::MAX).unwrap_or(1.0);
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}

// ---- Shared harness (the same in smtp_zeek.rs, ftp_zeek.rs and rdp_zeek.rs) ----

// The shared corpus, `../shared/corpus` from the repository root.
