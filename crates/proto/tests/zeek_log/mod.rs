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
