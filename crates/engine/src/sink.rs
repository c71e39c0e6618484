//! The log-writing thread: formats and writes records so that workers never wait on I/O.

use crossbeam_channel::Receiver;
use netloupe_flow::ConnRecord;
use netloupe_output::{LogFormat, LogKind, LogWriter, WeirdRecord};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub(crate) enum SinkMsg {
    Conns(Vec<ConnRecord>),
    Weirds(Vec<WeirdRecord>),
}

#[derive(Default)]
pub(crate) struct SinkSummary {
    pub conn_records: u64,
    pub weird_records: u64,
    pub by_proto: BTreeMap<&'static str, u64>,
    pub top_ports: Vec<(String, u64)>,
}

struct Logs {
    conn: Vec<LogWriter>,
    weird: Vec<LogWriter>,
}

pub(crate) fn open_logs(
    dir: &Path,
    formats: &[LogFormat],
    open_ts: &str,
) -> std::io::Result<(Vec<LogWriter>, Vec<LogWriter>)> {
    let mut conn = Vec::new();
    let mut weird = Vec::new();
    let mut fmts = vec![LogFormat::Json];
    for f in formats {
        if !fmts.contains(f) {
            fmts.push(*f);
        }
    }
    for f in fmts {
        conn.push(LogWriter::create(dir, LogKind::Conn, f, open_ts)?);
        weird.push(LogWriter::create(dir, LogKind::Weird, f, open_ts)?);
    }
    Ok((conn, weird))
}

pub(crate) fn run_sink(
    rx: Receiver<SinkMsg>,
    conn: Vec<LogWriter>,
    weird: Vec<LogWriter>,
    close_ts: impl Fn() -> String,
) -> std::io::Result<SinkSummary> {
    let mut logs = Logs { conn, weird };
    let mut s = SinkSummary::default();
    let mut ports: HashMap<(&'static str, u16), u64> = HashMap::new();
    for msg in rx {
        match msg {
            SinkMsg::Conns(v) => {
                for r in &v {
                    for w in &mut logs.conn {
                        w.write_conn(r)?;
                    }
                    s.conn_records += 1;
                    *s.by_proto.entry(r.proto.name()).or_default() += 1;
                    *ports.entry((r.proto.name(), r.resp_p)).or_default() += 1;
                }
            }
            SinkMsg::Weirds(v) => {
                for r in &v {
                    for w in &mut logs.weird {
                        w.write_weird(r)?;
                    }
                    s.weird_records += 1;
                }
            }
        }
    }
    let close = close_ts();
    for w in logs.conn.into_iter().chain(logs.weird) {
        w.finish(&close)?;
    }
    let mut top: Vec<((&str, u16), u64)> = ports.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    s.top_ports = top
        .into_iter()
        .take(10)
        .map(|((p, port), n)| (format!("{port}/{p}"), n))
        .collect();
    Ok(s)
}
