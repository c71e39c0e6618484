//! Shared helpers of the integration tests: where the corpus is, how to run the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared corpus, `../shared/corpus` from the repository root.
pub fn corpus_dir() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("../shared/corpus");
    if dir.join("MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        println!(
            "skipping: corpus not found at {} (expected ../shared/corpus from the repo root)",
            dir.display()
        );
        None
    }
}

pub fn netloupe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netloupe"))
}

/// Runs `netloupe analyze ARGS -o OUT INPUT` and fails the test, with its stderr, unless it
/// succeeds.
#[allow(dead_code)] // not every test binary uses every helper
pub fn analyze_ok(args: &[&str], out: &Path, input: &Path) {
    let st = netloupe()
        .arg("analyze")
        .args(args)
        .arg("-o")
        .arg(out)
        .arg(input)
        .output()
        .expect("netloupe runs");
    assert!(
        st.status.success(),
        "netloupe analyze {args:?} {}: {}",
        input.display(),
        String::from_utf8_lossy(&st.stderr)
    );
}

pub fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netloupe-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Reads a JSON-lines log.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// Reads a JSON document (stats.json).
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The non-empty lines of a text file, sorted (records written by several threads come out in
/// any order). A missing file gives no lines.
pub fn sorted_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// One row of the corpus' `zeek/baseline_index.tsv`: baseline directory, trace, log names.
pub struct BaselineEntry {
    pub dir: String,
    pub trace: String,
    pub logs: Vec<String>,
}

/// The rows of `baseline_index.tsv` under `zeek` (the corpus' `zeek` directory); `None` (with a
/// printed reason) when the index is missing.
pub fn baseline_index(zeek: &Path) -> Option<Vec<BaselineEntry>> {
    let path = zeek.join("baseline_index.tsv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipping: {} not found", path.display());
        return None;
    };
    Some(
        text.lines()
            .skip(1)
            .filter_map(|l| {
                let mut it = l.split('\t');
                let (dir, trace, logs) = (it.next()?, it.next()?, it.next()?);
                Some(BaselineEntry {
                    dir: dir.to_string(),
                    trace: trace.to_string(),
                    logs: logs.split(',').map(str::to_string).collect(),
                })
            })
            .collect(),
    )
}

/// A Zeek ASCII (TSV) log as found in the baselines: column names, column types when the
/// header has them (`zeek-cut` output has only a first line naming the columns), and the rows
/// with their raw values (`-` unset, `(empty)` empty, `\xNN` escapes kept).
pub struct ZeekLog {
    pub fields: Vec<String>,
    pub types: Option<Vec<String>>,
    pub rows: Vec<Vec<String>>,
}

impl ZeekLog {
    pub fn col(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }
}

/// Reads a baseline log; rows whose column count differs from the header are dropped.
pub fn read_zeek_log(path: &Path) -> Option<ZeekLog> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut log = ZeekLog {
        fields: Vec::new(),
        types: None,
        rows: Vec::new(),
    };
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            log.fields = f.split('\t').map(str::to_string).collect();
        } else if let Some(t) = line.strip_prefix("#types\t") {
            log.types = Some(t.split('\t').map(str::to_string).collect());
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if log.fields.is_empty() {
            // zeek-cut output: the first line names the columns.
            log.fields = line.split('\t').map(str::to_string).collect();
        } else {
            let row: Vec<String> = line.split('\t').map(str::to_string).collect();
            if row.len() == log.fields.len() {
                log.rows.push(row);
            }
        }
    }
    Some(log)
}

/// Undoes Zeek's ASCII escaping (`\xNN`, `\\`); bytes that are not UTF-8 become U+FFFD.
pub fn zeek_unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            if let Some(v) = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Undoes only the `\xNN` escapes our JSON writer uses for bytes that are not printable UTF-8;
/// a backslash in our (JSON-decoded) strings is a backslash, unlike in Zeek's TSV where it is
/// written `\\`.
pub fn json_unescape_hex(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            if let Some(v) = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
