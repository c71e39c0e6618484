//! ftp.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index that has an ftp.log is replayed: TCP payloads of each
//! connection go, per direction and in capture order, to an `FtpSession` configured as the
//! baseline's test script configures Zeek (logged commands, password capture, length limits),
//! and the records are paired with Zeek's rows per connection, in order. For each field both
//! logs have (`mime_type` and `fuid` are not produced: the data connections are not parsed
//! here), agreement is counted; a Zeek record "agrees" when every compared field is equal.

mod stream_harness;
use stream_harness::*;

use netloupe_proto::ftp::{FtpConfig, FtpSession};
use netloupe_proto::{AppRecord, SessionParser};
use std::collections::BTreeMap;
use std::path::Path;

/// Share of Zeek's records found with all compared fields equal, as reached on the corpus of
/// this writing; the assertion keeps it from regressing.
const FLOOR: f64 = 1.0;

/// The settings of the baseline's Zeek test script (testing/btest/scripts/base/protocols/ftp).
fn config(baseline: &str) -> FtpConfig {
    let mut c = FtpConfig::default();
    let mut log = |cmds: &[&str]| c.logged_commands.extend(cmds.iter().map(|s| s.to_string()));
    let test = baseline.rsplit('.').next().unwrap_or("");
    match test {
        "ftp-auth-tls" => log(&["<init>", "AUTH"]),
        "ftp-invalid-reply-code"
        | "ftp-missing-reply-code"
        | "ftp-missing-space-after-reply-code"
        | "ftp-password-pass-command"
        | "ftp-password-pass-command-hidden" => log(&["USER", "PASS", "SYST", "QUIT"]),
        "ftp-max-arg-length" => log(&["CWD", "USER"]),
        "ftp-max-command-length" | "ftp-max-pending-commands" => log(&["USER", "SYST"]),
        "ftp-multiline-reply" => log(&["<init>", "USER", "PASS"]),
        "ftp-samba-retr" => log(&["USER", "PASS", "RETR"]),
        _ => {}
    }
    match test {
        "ftp-password-pass-command" => c.capture_password = true,
        "ftp-max-arg-length" => {
            c.max_arg_length = 13;
            c.max_reply_msg_length = 17;
        }
        "ftp-max-pending-commands" => c.max_pending_commands = 5,
        "ftp-max-user-length" => {
            c.max_user_length = 4;
            c.max_password_length = 2;
            c.capture_password = true;
        }
        _ => {}
    }
    c
}

fn make(baseline: &str, id: ConnId) -> Box<dyn SessionParser> {
    let mut s = FtpSession::with_config(config(baseline));
    s.set_endpoints(id.0, id.2);
    Box::new(s)
}

/// Our record's ftp.log fields, as Zeek's TSV writes them.
fn fields(r: &AppRecord) -> Option<BTreeMap<&'static str, String>> {
    let AppRecord::Ftp(r) = r else { return None };
    if !r.logged {
        // Kept for EVE only; not an ftp.log row.
        return None;
    }
    let dc = r.data_channel;
    Some(BTreeMap::from([
        ("user", tsv(&r.user, false)),
        ("password", opt(&r.password)),
        ("command", tsv(&r.command, false)),
        ("arg", opt(&r.arg)),
        ("file_size", num(r.file_size)),
        ("reply_code", num(r.reply_code)),
        ("reply_msg", opt(&r.reply_msg)),
        ("data_channel.passive", boolean(dc.map(|d| d.passive))),
        ("data_channel.orig_h", num(dc.and_then(|d| d.orig_h))),
        ("data_channel.resp_h", num(dc.and_then(|d| d.resp_h))),
        ("data_channel.resp_p", num(dc.map(|d| d.resp_p))),
    ]))
}

#[test]
fn ftp_over_whole_corpus() {
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
    println!("{n_traces} traces, {n_recs} ftp records");
    assert!(n_recs > 20);
}

#[test]
fn ftp_log_agrees_with_zeek() {
    let Some(t) = compare("ftp.log", &make, &fields, &[]) else {
        return;
    };
    if t.total == 0 {
        println!("SKIP: no ftp.log baseline found");
        return;
    }
    let share = t.report("ftp.log", usize::MAX).unwrap_or(1.0);
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}

// ---- Shared harness (the same in smtp_zeek.rs, ftp_zeek.rs and rdp_zeek.rs) ----

// The shared corpus, `../shared/corpus` from the repository root.
