//! Reads every capture of the shared corpus (when present) and checks packet counts against
//! its manifest, which were taken with capinfos.
use netloupe_capture::CaptureFile;
use std::path::{Path, PathBuf};

/// 1995-01-01 and 2035-01-01: a timestamp outside is worth a look (a bad resolution?).
const PLAUSIBLE_FROM: i64 = 788_918_400_000_000_000;
const PLAUSIBLE_TO: i64 = 2_051_222_400_000_000_000;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

#[test]
fn corpus_packet_counts_match_manifest() {
    let dir = corpus_dir();
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        println!("skipping: corpus not found at {}", dir.display());
        return;
    };
    let (mut ok, mut errors, mut truncated, mut mismatches) = (0, 0, 0, Vec::new());
    let mut packets_total = 0u64;
    let mut odd_times = Vec::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 7 || cols[6] == "-" {
            continue; // not a capture (rules, logs, expected outputs...)
        }
        let path = dir.join(cols[0]);
        let expected: Option<u64> = cols[5].parse().ok();
        let mut file = match CaptureFile::open(&path) {
            Ok(f) => f,
            Err(e) => {
                errors += 1;
                println!(
                    "open error: {e}  (manifest: {} packets, {})",
                    cols[5], cols[6]
                );
                continue;
            }
        };
        let mut n = 0u64;
        let mut odd_time = false;
        let err = loop {
            match file.next_packet() {
                Ok(Some(p)) => {
                    n += 1;
                    odd_time |= !(PLAUSIBLE_FROM..PLAUSIBLE_TO).contains(&p.ts_ns);
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        packets_total += n;
        if odd_time {
            odd_times.push(cols[0].to_string());
        }
        // capinfos's count for a file it could not finish, e.g. "6+ (read error)".
        let expected_before_error: Option<u64> = cols[5]
            .strip_suffix("+ (read error)")
            .and_then(|s| s.parse().ok());
        match err {
            Some(e) => {
                if expected_before_error.is_some_and(|x| x != n) {
                    mismatches.push(format!(
                        "{}: {n} before the error, capinfos {}",
                        cols[0], cols[5]
                    ));
                }
                if e.is_truncation() {
                    truncated += 1;
                } else {
                    errors += 1;
                }
                println!(
                    "read error after {n} packets: {e}  (manifest: {} packets, {})",
                    cols[5], cols[6]
                );
            }
            None if expected_before_error.is_some() => {
                mismatches.push(format!(
                    "{}: read without error, capinfos {}",
                    cols[0], cols[5]
                ));
            }
            None => {
                ok += 1;
                if expected != Some(n) {
                    mismatches.push(format!("{}: read {n}, manifest {}", cols[0], cols[5]));
                }
            }
        }
    }
    // Test generators often use times near 0 or in 1989: worth a look only if many appear.
    println!(
        "{} files with timestamps outside 1995..2035, e.g. {:?}",
        odd_times.len(),
        &odd_times[..odd_times.len().min(3)]
    );
    for m in &mismatches {
        println!("count mismatch: {m}");
    }
    println!(
        "corpus: {ok} read fully, {truncated} truncated, {errors} other errors, \
         {} count mismatches, {packets_total} packets",
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} files disagree with the manifest",
        mismatches.len()
    );
}
