//! Robustness over the whole corpus: every capture (many malformed on purpose) is analysed with
//! one and with two flow threads; neither run may panic, and both must produce the same records.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

fn sorted_lines(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

fn run(capture: &Path, out: &Path, threads: &str) -> Result<(), String> {
    let o = common::netloupe()
        .args(["analyze", "-q", "--threads", threads, "-o"])
        .arg(out)
        .arg(capture)
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        None => Err(format!("killed by a signal; stderr: {stderr}")),
        Some(101) => Err(format!("panicked: {stderr}")),
        Some(_) if stderr.contains("panicked") => Err(format!("panicked: {stderr}")),
        Some(c) if c > 3 => Err(format!("unexpected exit code {c}: {stderr}")),
        Some(_) => Ok(()),
    }
}

#[test]
fn every_capture_one_and_two_threads_same_records_no_panic() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    // Every file of the corpus, captures and the baseline/result files beside them alike: the
    // latter are garbage input as far as a capture reader is concerned, which must not panic either.
    let files: Vec<PathBuf> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .map(|f| corpus.join(f))
        .collect();
    let captures = manifest
        .lines()
        .skip(1)
        .filter(|l| l.split('\t').nth(6).is_some_and(|t| t != "-"))
        .count();
    let root = common::tmp_dir("robustness");
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::<String>::new());
    let stats = Mutex::new((0usize, 0u64, 0u64));
    let app_lines = Mutex::new(0u64);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8);
    std::thread::scope(|s| {
        for w in 0..workers {
            let (next, failures, stats, files, root, app_lines) =
                (&next, &failures, &stats, &files, &root, &app_lines);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let (o1, o2) = (root.join(format!("{w}-a")), root.join(format!("{w}-b")));
                for (o, t) in [(&o1, "1"), (&o2, "2")] {
                    let _ = std::fs::remove_dir_all(o);
                    if let Err(e) = run(f, o, t) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{} (--threads {t}): {e}", f.display()));
                    }
                }
                // Every log the run wrote (conn, weird and the protocol logs) must agree.
                let mut logs: Vec<String> = ["conn.log", "weird.log"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                for d in [&o1, &o2] {
                    if let Ok(rd) = std::fs::read_dir(d) {
                        for e in rd.flatten() {
                            let n = e.file_name().to_string_lossy().into_owned();
                            if n.ends_with(".log") && !logs.contains(&n) {
                                logs.push(n);
                            }
                        }
                    }
                }
                for log in &logs {
                    let (a, b) = (sorted_lines(&o1.join(log)), sorted_lines(&o2.join(log)));
                    *app_lines.lock().unwrap() +=
                        if log.as_str() != "conn.log" && log.as_str() != "weird.log" {
                            a.len() as u64
                        } else {
                            0
                        };
                    if a != b {
                        failures.lock().unwrap().push(format!(
                            "{}: {log} differs between 1 and 2 threads ({} vs {} lines)",
                            f.display(),
                            a.len(),
                            b.len()
                        ));
                    }
                }
                let st: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(o1.join("stats.json")).unwrap_or_else(|_| "{}".into()),
                )
                .unwrap_or_default();
                let read = st["packets"]["read"].as_u64().unwrap_or(0);
                let accounted = st["packets"]["accounted"].as_u64().unwrap_or(u64::MAX);
                if read != accounted {
                    failures.lock().unwrap().push(format!(
                        "{}: packets read {read} != accounted {accounted}",
                        f.display()
                    ));
                }
                let mut s = stats.lock().unwrap();
                s.0 += 1;
                s.1 += read;
                s.2 += sorted_lines(&o1.join("conn.log")).len() as u64;
            });
        }
    });
    let (n, packets, conns) = *stats.lock().unwrap();
    let app = *app_lines.lock().unwrap();
    println!(
        "corpus robustness: {n} files ({captures} captures), {packets} packets, {conns} conn records, {app} protocol-log records, each with --threads 1 and 2"
    );
    let failures = failures.into_inner().unwrap();
    for f in &failures {
        println!("FAILURE: {f}");
    }
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        failures.is_empty(),
        "{} failures (listed above)",
        failures.len()
    );
    assert_eq!(n, files.len());
}
