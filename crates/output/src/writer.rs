//! Log files in an output directory.

use crate::records::{weird_json, weird_tsv, CONN_FIELDS, WEIRD_FIELDS};
use crate::WeirdRecord;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, Zeek field names (`<dir>/<name>.log`).
    Json,
    /// Zeek's tab-separated layout with its header (`<dir>/zeek/<name>.log`).
    ZeekTsv,
    /// Suricata's EVE JSON: every event of the run in one file, `<dir>/eve.json` (written by
    /// the engine, not by a per-log `LogWriter`).
    Eve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Conn,
    Weird,
    /// A protocol log (dns, http, ssl, ...): its lines are formatted by the caller. JSON only
    /// for now (the TSV layout needs each protocol's field list).
    Protocol(&'static str),
}

impl LogKind {
    pub fn name(self) -> &'static str {
        match self {
            LogKind::Conn => "conn",
            LogKind::Weird => "weird",
            LogKind::Protocol(name) => name,
        }
    }
    fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            LogKind::Conn => crate::CONN_FIELDS,
            LogKind::Weird => crate::WEIRD_FIELDS,
            LogKind::Protocol(_) => &[],
        }
    }
}

/// A buffered writer for one log in one format.
pub struct LogWriter {
    kind: LogKind,
    format: LogFormat,
    out: BufWriter<File>,
    line: String,
    records: u64,
}

impl LogWriter {
    /// Creates `<dir>/<kind>.log` (JSON) or `<dir>/zeek/<kind>.log` (TSV, with header).
    pub fn create(
        dir: &Path,
        kind: LogKind,
        format: LogFormat,
        open_ts: &str,
    ) -> std::io::Result<LogWriter> {
        let path = match format {
            LogFormat::Json => dir.join(format!("{}.log", kind.name())),
            LogFormat::Eve => dir.join("eve.json"),
            LogFormat::ZeekTsv => {
                let d = dir.join("zeek");
                std::fs::create_dir_all(&d)?;
                d.join(format!("{}.log", kind.name()))
            }
        };
        let file = File::create(&path).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
        })?;
        let mut w = LogWriter {
            kind,
            format,
            out: BufWriter::with_capacity(1 << 20, file),
            line: String::new(),
            records: 0,
        };
        if format == LogFormat::ZeekTsv {
            let names: Vec<&str> = kind.fields().iter().map(|f| f.0).collect();
            let types: Vec<&str> = kind.fields().iter().map(|f| f.1).collect();
            write!(
                w.out,
                "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{}\n#open\t{}\n#fields\t{}\n#types\t{}\n",
                kind.name(),
                open_ts,
                names.join("\t"),
                types.join("\t")
            )?;
        }
        let _ = (CONN_FIELDS, WEIRD_FIELDS);
        Ok(w)
    }

    pub fn write_weird(&mut self, r: &WeirdRecord) -> std::io::Result<()> {
        debug_assert_eq!(self.kind, LogKind::Weird);
        self.line.clear();
        match self.format {
            LogFormat::Json | LogFormat::Eve => weird_json(r, &mut self.line),
            LogFormat::ZeekTsv => weird_tsv(r, &mut self.line),
        }
        self.emit()
    }

    pub fn format(&self) -> LogFormat {
        self.format
    }

    /// Writes one already formatted record (a JSON object without the newline).
    pub fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        // (For TSV logs the line is the tab-separated fields, formatted by the caller.)
        self.line.clear();
        self.line.push_str(line);
        self.emit()
    }

    fn emit(&mut self) -> std::io::Result<()> {
        self.line.push('\n');
        self.records += 1;
        self.out.write_all(self.line.as_bytes())
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// Flushes; TSV logs get Zeek's `#close` trailer.
    pub fn finish(mut self, close_ts: &str) -> std::io::Result<()> {
        if self.format == LogFormat::ZeekTsv {
            writeln!(self.out, "#close\t{close_ts}")?;
        }
        self.out.flush()
    }
}
