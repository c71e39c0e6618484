//! The log-writing thread: formats and writes records so that workers never wait on I/O.

use crate::eve::EveWriter;
use crate::intel_match::{Ctx, IntelMatcher, IntelStats};
use crate::range_files::{ConnId, RangeFiles};
use crossbeam_channel::Receiver;
use netloupe_flow::{AppEvent, AppRecord, ConnRecord};
use netloupe_output::json::JsonObject;
use netloupe_output::{LogFormat, LogKind, LogWriter, WeirdRecord};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub(crate) enum SinkMsg {
    Conns(Vec<ConnRecord>),
    Weirds(Vec<WeirdRecord>),
    App(Vec<AppEvent>),
}

#[derive(Default)]
pub(crate) struct SinkSummary {
    pub conn_records: u64,
    /// Records written per protocol log (dns, http, ssl, x509, ssh, files).
    pub app_records: BTreeMap<&'static str, u64>,
    pub weird_records: u64,
    /// DHCP transactions written before their connections ended (too many held at once).
    pub dhcp_evicted: u64,
    pub by_proto: BTreeMap<&'static str, u64>,
    pub top_ports: Vec<(String, u64)>,
    /// Threat-intelligence matching, when feeds were loaded: the counters and the set in use
    /// at the end.
    pub intel: Option<(IntelStats, std::sync::Arc<netloupe_intel::IntelSet>)>,
}

/// Threat intelligence for the log writer: the set to match against and where reloaded sets
/// arrive from.
pub(crate) struct SinkIntel {
    pub set: std::sync::Arc<netloupe_intel::IntelSet>,
    pub updates: Option<crossbeam_channel::Receiver<crate::IntelUpdate>>,
    pub seed: u16,
}

struct Logs {
    conn: Vec<LogWriter>,
    weird: Vec<LogWriter>,
}

/// The logs a run writes: per-log writers (JSON lines, Zeek TSV) and, with `--format eve`,
/// Suricata's eve.json.
pub(crate) struct OpenLogs {
    pub conn: Vec<LogWriter>,
    pub weird: Vec<LogWriter>,
    pub eve: Option<EveWriter>,
}

pub(crate) fn open_logs(
    dir: &Path,
    formats: &[LogFormat],
    open_ts: &str,
    community_id_seed: u16,
    eve_dns_version: u8,
) -> std::io::Result<OpenLogs> {
    let mut conn = Vec::new();
    let mut weird = Vec::new();
    let mut fmts = vec![LogFormat::Json];
    for f in formats {
        if !fmts.contains(f) && *f != LogFormat::Eve {
            fmts.push(*f);
        }
    }
    for f in fmts {
        conn.push(LogWriter::create(dir, LogKind::Conn, f, open_ts)?);
        weird.push(LogWriter::create(dir, LogKind::Weird, f, open_ts)?);
    }
    let eve = if formats.contains(&LogFormat::Eve) {
        Some(EveWriter::create(dir, community_id_seed, eve_dns_version)?)
    } else {
        None
    };
    Ok(OpenLogs { conn, weird, eve })
}

pub(crate) fn run_sink(
    rx: Receiver<SinkMsg>,
    dir: &Path,
    open: OpenLogs,
    close_ts: impl Fn() -> String,
    intel: Option<SinkIntel>,
) -> std::io::Result<SinkSummary> {
    let OpenLogs {
        conn,
        weird,
        mut eve,
    } = open;
    let mut logs = Logs { conn, weird };
    let mut s = SinkSummary::default();
    let mut ports: HashMap<(&'static str, u16), u64> = HashMap::new();
    let mut line = String::with_capacity(512);
    let mut app_logs: HashMap<&'static str, LogWriter> = HashMap::new();
    let mut range_files = RangeFiles::default();
    let mut dhcp = crate::dhcp_join::DhcpTransactions::default();
    let mut dhcp_done = Vec::new();
    let updates = intel.as_ref().and_then(|i| i.updates.clone());
    let mut matcher = intel.map(|i| IntelMatcher::new(i.set, i.seed));
    for msg in rx {
        if let (Some(m), Some(u)) = (&mut matcher, &updates) {
            // A reloaded set applies from the next record on; the packet path never waits.
            while let Ok(up) = u.try_recv() {
                m.replace(up.set);
                m.stats.reload_errors.extend(up.errors);
            }
        }
        match msg {
            SinkMsg::Conns(v) => {
                for r in &v {
                    for w in &mut logs.conn {
                        line.clear();
                        match w.format() {
                            LogFormat::Json | LogFormat::Eve => r.write_json(&mut line),
                            LogFormat::ZeekTsv => r.write_tsv(&mut line),
                        }
                        w.write_line(&line)?;
                    }
                    if let Some(eve) = &mut eve {
                        eve.conn(r)?;
                    }
                    if let Some(m) = &mut matcher {
                        m.conn(r);
                        write_intel(m, &mut app_logs, dir, &mut eve)?;
                    }
                    s.conn_records += 1;
                    *s.by_proto.entry(r.proto.name()).or_default() += 1;
                    *ports.entry((r.proto.name(), r.resp_p)).or_default() += 1;
                }
            }
            SinkMsg::App(mut v) => {
                for e in &mut v {
                    e.record.resolve_deferred();
                    let e = &*e;
                    if let Some(eve) = &mut eve {
                        eve.app(e)?;
                    }
                    if let Some(m) = &mut matcher {
                        m.app(e);
                        write_intel(m, &mut app_logs, dir, &mut eve)?;
                    }
                    if !e.record.in_zeek_log() {
                        continue;
                    }
                    if let AppRecord::Dhcp(r) = &e.record {
                        // One record per transaction, across connections (dhcp_join.rs).
                        dhcp.add(ConnId::of(e), r.clone(), &mut dhcp_done);
                        for (conn, r) in dhcp_done.drain(..) {
                            write_dhcp(&mut app_logs, dir, &mut line, &conn, &r)?;
                            *s.app_records.entry("dhcp").or_default() += 1;
                        }
                        continue;
                    }
                    let name = e.record.log_name();
                    line.clear();
                    let mut o = JsonObject::new(&mut line);
                    o.ts("ts", e.record.ts_ns());
                    event_id(&mut o, e);
                    e.record.write_json(&mut o);
                    o.end();
                    app_log(&mut app_logs, dir, name)?.write_line(&line)?;
                    *s.app_records.entry(name).or_default() += 1;
                    // HTTP bodies and SMTP message parts are files (files.log), as in
                    // Zeek. Pieces of range-requested files are gathered over connections
                    // and written at the end, as Zeek logs them.
                    let files = match &e.record {
                        AppRecord::Http(h) => &h.files[..],
                        AppRecord::Smtp(m) => &m.files[..],
                        _ => &[],
                    };
                    if !files.is_empty() {
                        let conn = ConnId::of(e);
                        for f in files {
                            if range_files.add(conn, f) {
                                continue;
                            }
                            if let Some(m) = &mut matcher {
                                m.file(&Ctx::of_event(e, f.ts_ns), f);
                                write_intel(m, &mut app_logs, dir, &mut eve)?;
                            }
                            line.clear();
                            let mut o = JsonObject::new(&mut line);
                            o.ts("ts", f.ts_ns);
                            conn_id(&mut o, &conn);
                            f.write_json(&mut o);
                            o.end();
                            app_log(&mut app_logs, dir, "files")?.write_line(&line)?;
                            *s.app_records.entry("files").or_default() += 1;
                        }
                    }
                }
            }
            SinkMsg::Weirds(v) => {
                for r in &v {
                    for w in &mut logs.weird {
                        w.write_weird(r)?;
                    }
                    if let Some(eve) = &mut eve {
                        eve.weird(r)?;
                    }
                    s.weird_records += 1;
                }
            }
        }
    }
    for (conn, r) in dhcp.finish() {
        write_dhcp(&mut app_logs, dir, &mut line, &conn, &r)?;
        *s.app_records.entry("dhcp").or_default() += 1;
    }
    s.dhcp_evicted = dhcp.evicted;
    for (conn, f) in range_files.finish() {
        if let Some(m) = &mut matcher {
            m.file(&Ctx::of_conn_id(&conn, f.ts_ns, false), &f);
            write_intel(m, &mut app_logs, dir, &mut eve)?;
        }
        line.clear();
        let mut o = JsonObject::new(&mut line);
        o.ts("ts", f.ts_ns);
        conn_id(&mut o, &conn);
        f.write_json(&mut o);
        o.end();
        app_log(&mut app_logs, dir, "files")?.write_line(&line)?;
        *s.app_records.entry("files").or_default() += 1;
    }
    s.intel = matcher.map(|m| {
        let set = m.set_arc();
        (m.stats, set)
    });
    let close = close_ts();
    if let Some(eve) = eve {
        eve.finish()?;
    }
    for w in logs
        .conn
        .into_iter()
        .chain(logs.weird)
        .chain(app_logs.into_values())
    {
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

/// Writes what the intel matcher produced for the last record: intel.log lines, alerts.log
/// lines and EVE `alert` events.
fn write_intel(
    m: &mut IntelMatcher,
    logs: &mut HashMap<&'static str, LogWriter>,
    dir: &Path,
    eve: &mut Option<EveWriter>,
) -> std::io::Result<()> {
    if m.out.intel_lines.is_empty() && m.out.alerts.is_empty() {
        return Ok(());
    }
    for l in m.out.intel_lines.drain(..) {
        app_log(logs, dir, "intel")?.write_line(&l)?;
    }
    let mut line = String::new();
    for (a, sid) in m.out.alerts.drain(..) {
        line.clear();
        a.write_json(&mut line);
        app_log(logs, dir, "alerts")?.write_line(&line)?;
        if let Some(eve) = eve {
            eve.alert(&a, sid)?;
        }
    }
    Ok(())
}

/// The connection fields Zeek puts after `ts` in every protocol log.
fn event_id(o: &mut JsonObject<'_>, e: &AppEvent) {
    conn_id(o, &ConnId::of(e));
}

fn conn_id(o: &mut JsonObject<'_>, c: &ConnId) {
    netloupe_flow::write_conn_id(o, c.uid, (c.orig_h, c.orig_p, c.resp_h, c.resp_p));
}

/// A dhcp.log line: the transaction's first connection (uid, id), then Zeek's fields (`uids`
/// lists every connection of the transaction).
fn write_dhcp(
    logs: &mut HashMap<&'static str, LogWriter>,
    dir: &Path,
    line: &mut String,
    conn: &ConnId,
    r: &netloupe_proto::dhcp::DhcpRecord,
) -> std::io::Result<()> {
    line.clear();
    let mut o = JsonObject::new(line);
    o.ts("ts", r.ts_ns);
    conn_id(&mut o, conn);
    r.write_json(&mut o);
    o.end();
    app_log(logs, dir, "dhcp")?.write_line(line)
}

/// The writer of a protocol log, created when its first record arrives.
fn app_log<'a>(
    logs: &'a mut HashMap<&'static str, LogWriter>,
    dir: &Path,
    name: &'static str,
) -> std::io::Result<&'a mut LogWriter> {
    if !logs.contains_key(name) {
        let w = LogWriter::create(dir, LogKind::Protocol(name), LogFormat::Json, "")?;
        logs.insert(name, w);
    }
    Ok(logs.get_mut(name).expect("inserted above"))
}
