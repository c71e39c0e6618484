//! smtp.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index that has an smtp.log is replayed: TCP payloads of each
//! connection go, per direction and in capture order, to an `SmtpSession` (an HTTP CONNECT head
//! in front of a tunnelled session is skipped), and the records are paired with Zeek's rows per
//! connection, in order. For each field both logs have (`fuids` is not produced: no file
//! analysis here), agreement is counted, sets (rcptto, to, cc) compared sorted; a Zeek record
//! "agrees" when every compared field is equal.

mod stream_harness;
use stream_harness::*;

use netloupe_proto::smtp::SmtpSession;
use netloupe_proto::{AppRecord, SessionParser};
use std::collections::BTreeMap;
use std::path::Path;

/// Share of Zeek's records found with all compared fields equal, as reached on the corpus of
/// this writing; the assertion keeps it from regressing.
const FLOOR: f64 = 1.0;

fn make(_baseline: &str, id: ConnId) -> Box<dyn SessionParser> {
    let mut s = SmtpSession::new();
    s.set_endpoints(id.0, id.2);
    Box::new(s)
}

/// Our record's smtp.log fields, as Zeek's TSV writes them.
fn fields(r: &AppRecord) -> Option<BTreeMap<&'static str, String>> {
    let AppRecord::Smtp(r) = r else { return None };
    let path: Vec<String> = r.path.iter().map(|a| a.to_string()).collect();
    Some(BTreeMap::from([
        ("trans_depth", r.trans_depth.to_string()),
        ("helo", opt(&r.helo)),
        ("mailfrom", opt(&r.mailfrom)),
        ("rcptto", set(&r.rcptto)),
        ("date", opt(&r.date)),
        ("from", opt(&r.from)),
        ("to", set(&r.to)),
        ("cc", set(&r.cc)),
        ("reply_to", opt(&r.reply_to)),
        ("msg_id", opt(&r.msg_id)),
        ("in_reply_to", opt(&r.in_reply_to)),
        ("subject", opt(&r.subject)),
        ("x_originating_ip", num(r.x_originating_ip)),
        ("first_received", opt(&r.first_received)),
        ("second_received", opt(&r.second_received)),
        ("last_reply", opt(&r.last_reply)),
        ("path", vector(&path)),
        ("user_agent", opt(&r.user_agent)),
        ("tls", boolean(Some(r.tls))),
    ]))
}

#[test]
fn smtp_over_whole_corpus() {
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
    println!("{n_traces} traces, {n_recs} smtp records");
    assert!(n_recs > 10);
}

#[test]
fn smtp_log_agrees_with_zeek() {
    let Some(t) = compare("smtp.log", &make, &fields, &["rcptto", "to", "cc"]) else {
        return;
    };
    if t.total == 0 {
        println!("SKIP: no smtp.log baseline found");
        return;
    }
    let share = t.report("smtp.log", usize::MAX).unwrap_or(1.0);
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}

// ---- Shared harness (the same in smtp_zeek.rs, ftp_zeek.rs and rdp_zeek.rs) ----

// The shared corpus, `../shared/corpus` from the repository root.
