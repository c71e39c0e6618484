//! Zeek's TSV logs as the baselines of the corpus hold them, for the parser comparisons.
#![allow(dead_code)]

use std::path::Path;

/// A Zeek log: its field names and its rows (values as Zeek wrote them).
pub struct Log {
    pub fields: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Reads a Zeek TSV log. Some baselines (written with zeek-cut) lack the header lines and
/// start with the field names instead.
pub fn read_zeek_log(path: &Path) -> Option<Log> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(String::from).collect();
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if fields.is_empty() {
            if line.starts_with("ts\t") {
                fields = line.split('\t').map(String::from).collect();
            }
        } else {
            rows.push(line.split('\t').map(String::from).collect());
        }
    }
    Some(Log { fields, rows })
}

/// How our records compare with a Zeek log: per field and per record, with the differences
/// spelled out for the test output.
#[derive(Default)]
pub struct Tally {
    /// Zeek records compared.
    pub total: usize,
    /// Zeek records whose every compared field equals ours.
    pub all_equal: usize,
    /// Zeek records we have no counterpart for.
    pub unmatched: usize,
    /// Records of ours that Zeek does not have (counted only by the tests that look for them).
    pub extra: usize,
    /// Field name -> (equal, compared).
    pub per_field: std::collections::BTreeMap<String, (usize, usize)>,
    pub diffs: Vec<String>,
}

impl Tally {
    /// Adds another tally (of one more trace) to this one.
    pub fn merge(&mut self, o: Tally) {
        self.total += o.total;
        self.all_equal += o.all_equal;
        self.unmatched += o.unmatched;
        self.extra += o.extra;
        for (f, (eq, n)) in o.per_field {
            let e = self.per_field.entry(f).or_default();
            e.0 += eq;
            e.1 += n;
        }
        self.diffs.extend(o.diffs);
    }

    /// Compares one Zeek row with our record's fields by name; fields we do not produce are
    /// not compared.
    pub fn compare_fields(
        &mut self,
        what: &str,
        fields: &[String],
        row: &[String],
        ours: &std::collections::HashMap<&'static str, String>,
    ) {
        self.total += 1;
        let mut all = true;
        for (f, z) in fields.iter().zip(row) {
            let Some(v) = ours.get(f.as_str()) else {
                continue;
            };
            let e = self.per_field.entry(f.clone()).or_default();
            e.1 += 1;
            if v == z {
                e.0 += 1;
            } else {
                all = false;
                self.diffs
                    .push(format!("{what} {f}: zeek={z:?} ours={v:?}"));
            }
        }
        if all {
            self.all_equal += 1;
        }
    }

    /// A Zeek row we have no record for.
    pub fn missing(&mut self, diff: String) {
        self.total += 1;
        self.unmatched += 1;
        self.diffs.push(diff);
    }

    /// Prints the summary (at most `max_diffs` differences) and returns the share of records
    /// with all compared fields equal; `None` (after printing why) when nothing was compared.
    pub fn report(&self, log: &str, max_diffs: usize) -> Option<f64> {
        if self.total == 0 {
            println!("SKIP: no {log} baseline found");
            return None;
        }
        let extra = if self.extra > 0 {
            format!(", {} extra of ours", self.extra)
        } else {
            String::new()
        };
        println!(
            "{log} vs Zeek: {} Zeek records, {} without a counterpart{extra}",
            self.total, self.unmatched
        );
        for (f, (eq, n)) in &self.per_field {
            println!("  {f:26} {eq}/{n}");
        }
        let share = self.all_equal as f64 / self.total as f64;
        println!(
            "records with all compared fields equal: {}/{} ({:.1}%)",
            self.all_equal,
            self.total,
            share * 100.0
        );
        println!("differences ({}):", self.diffs.len());
        for d in self.diffs.iter().take(max_diffs) {
            println!("  {d}");
        }
        Some(share)
    }
}
