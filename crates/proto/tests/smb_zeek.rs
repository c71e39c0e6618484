//! smb_files.log and smb_mapping.log compared with Zeek's baselines, and the SMB parser over
//! the labeled lateral-movement captures (401TRG detections).
//!
//! Every baseline of the corpus index with an smb_files.log or smb_mapping.log is replayed:
//! TCP payloads of each connection to 445/139 go, per direction and in capture order (exact
//! retransmissions dropped), to an `SmbSession`. Zeek's rows and ours are paired per connection
//! (by name, resp. path, when possible); ts, uid, fuid and id.* are not compared (the baselines
//! mask ts; fuids are random).

use netloupe_proto::AppRecord;
use std::path::{Path, PathBuf};

mod rpc_trace;
use rpc_trace::*;

/// A FILETIME-derived time as Zeek prints it: Zeek converts the 100 ns count to seconds in
/// double precision (`ft / 1e7 - 11644473600`), which loses about a microsecond; the test
/// does the same so that the comparison is about the parsed value, not the rounding.
fn zeek_filetime(ns: i64) -> String {
    let ft = (ns / 100) as i128 + 116_444_736_000_000_000;
    format!("{:.6}", ft as f64 / 1e7 - 11_644_473_600.0)
}

/// Share of Zeek's records found with all compared fields equal, as reached on the corpus of
/// this writing; the assertions keep them from regressing.
const FILES_FLOOR: f64 = 0.96;
const MAPPING_FLOOR: f64 = 1.0;

fn files_field(r: &AppRecord, f: &str) -> Option<String> {
    let AppRecord::SmbFiles(r) = r else {
        return None;
    };
    let t = |g: fn(&netloupe_proto::smb::SmbTimes) -> i64| {
        r.times
            .as_ref()
            .map(|x| zeek_filetime(g(x)))
            .unwrap_or_else(|| "-".into())
    };
    Some(match f {
        "action" => r.action.as_str().to_string(),
        "path" => opt(&r.path),
        "name" => opt(&r.name),
        "size" => r.size.to_string(),
        "prev_name" => opt(&r.prev_name),
        "times.modified" => t(|x| x.modified),
        "times.accessed" => t(|x| x.accessed),
        "times.created" => t(|x| x.created),
        "times.changed" => t(|x| x.changed),
        _ => return None,
    })
}

fn mapping_field(r: &AppRecord, f: &str) -> Option<String> {
    let AppRecord::SmbMapping(r) = r else {
        return None;
    };
    Some(match f {
        "path" => opt(&r.path),
        "service" => opt(&r.service),
        "native_file_system" => opt(&r.native_file_system),
        "share_type" => r.share_type.clone(),
        _ => return None,
    })
}

#[test]
fn smb_files_log_agrees_with_zeek() {
    let Some(t) = compare("smb_files.log", "action|name", false, &files_field) else {
        return;
    };
    let share = t.report("smb_files.log", usize::MAX).unwrap_or(1.0);
    assert!(
        share >= FILES_FLOOR,
        "agreement {share:.3} below floor {FILES_FLOOR}"
    );
}

#[test]
fn smb_mapping_log_agrees_with_zeek() {
    let Some(t) = compare("smb_mapping.log", "path", false, &mapping_field) else {
        return;
    };
    let share = t.report("smb_mapping.log", usize::MAX).unwrap_or(1.0);
    assert!(
        share >= MAPPING_FLOOR,
        "agreement {share:.3} below floor {MAPPING_FLOOR}"
    );
}

/// Every SMB trace of the corpus through the parser: no panic.
#[test]
fn smb_over_corpus_traces() {
    let dir = Path::new(CORPUS).join("Traces/smb");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!("SKIP: {} missing", dir.display());
        return;
    };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let n = run_trace(&p, true).map(|r| r.len());
        println!("{}: {n:?} records", p.display());
    }
}

fn describe(r: &AppRecord) -> String {
    match r {
        AppRecord::SmbMapping(m) => format!("smb_mapping {} {}", opt(&m.path), m.share_type),
        AppRecord::SmbFiles(f) => format!(
            "smb_files {} {}\\{} size={}",
            f.action.as_str(),
            opt(&f.path),
            opt(&f.name),
            f.size
        ),
        AppRecord::DceRpc(d) => format!(
            "dce_rpc {} {} {} rtt={:?}",
            opt(&d.named_pipe),
            opt(&d.endpoint),
            opt(&d.operation),
            d.rtt_ns.map(secs)
        ),
        _ => String::new(),
    }
}

/// The labeled lateral-movement captures: PsExec-style service creation and start over
/// svcctl, `at` jobs over atsvc, and file writes to ADMIN$/C$ must all be visible.
#[test]
fn lateral_movement_captures() {
    let dir = Path::new(CORPUS).join("../labeled/401trg-detections/pcaps");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!("SKIP: {} missing", dir.display());
        return;
    };
    let mut paths: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("smb"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        println!("SKIP: no smb captures in {}", dir.display());
        return;
    }
    let (mut create_svc, mut start_svc, mut job_add, mut admin_write) = (0, 0, 0, 0);
    for p in &paths {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let Some(recs) = run_trace(p, true) else {
            println!("SKIP {name}: unreadable");
            continue;
        };
        println!("== {name}: {} records", recs.len());
        for (id, r) in &recs {
            println!("  {}:{} -> {}:{} {}", id.0, id.1, id.2, id.3, describe(r));
            match r {
                AppRecord::DceRpc(d) => match (d.endpoint.as_deref(), d.operation.as_deref()) {
                    // 32-bit PsExec on a 64-bit target calls RCreateServiceWOW64W (opnum 45).
                    (
                        Some("svcctl"),
                        Some(
                            "CreateServiceW"
                            | "CreateServiceA"
                            | "CreateServiceWOW64W"
                            | "CreateServiceWOW64A"
                            | "CreateWowService",
                        ),
                    ) => create_svc += 1,
                    (Some("svcctl"), Some("StartServiceW")) => start_svc += 1,
                    (Some("atsvc"), Some("NetrJobAdd")) => job_add += 1,
                    _ => {}
                },
                AppRecord::SmbFiles(f) => {
                    let share = f.path.as_deref().unwrap_or("").to_ascii_uppercase();
                    if f.action == netloupe_proto::smb::SmbAction::Write
                        && (share.ends_with("\\ADMIN$") || share.ends_with("\\C$"))
                    {
                        admin_write += 1;
                    }
                }
                _ => {}
            }
        }
    }
    println!(
        "service creations: {create_svc}, StartServiceW: {start_svc}, NetrJobAdd: {job_add}, \
         writes to ADMIN$/C$: {admin_write}"
    );
    assert!(create_svc > 0 && start_svc > 0 && job_add > 0 && admin_write > 0);
}
