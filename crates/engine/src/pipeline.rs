//! Wiring of one run: read, decode, shard, track, write, account.

use crate::config::EngineConfig;
use crate::convert::{flow_packets, TunnelRegistry};
use crate::sink::{open_logs, run_sink, SinkMsg, SinkSummary};
use crate::stats::{InputStats, RunStats};
use crossbeam_channel::{bounded, Receiver, Sender};
use netloupe_capture::{CaptureError, MergedSource};
use netloupe_decode::anomaly::AnomalyDetail;
use netloupe_decode::{Anomaly, Decoded, Decoder};
use netloupe_flow::{AppEvent, ConnRecord, FlowPacket, FlowStats, FlowTable};
use netloupe_output::WeirdRecord;
use netloupe_proto::{FileHashes, HashHandle, HashService};
use std::collections::HashMap;
use std::time::Instant;

/// Called now and then with (input bytes consumed, total input bytes if known, packets read).
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>, u64) + Sync);

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub stats: RunStats,
    /// Problems with the inputs, each naming the file and byte offset.
    pub input_errors: Vec<CaptureError>,
}

impl RunOutcome {
    /// No input could be read at all.
    pub fn nothing_readable(&self) -> bool {
        self.stats.packets_read == 0 && !self.input_errors.is_empty()
    }
    /// Some input was damaged beyond a truncated ending.
    pub fn damaged_input(&self) -> bool {
        self.input_errors.iter().any(|e| !e.is_truncation())
    }
}

const BATCH: usize = 512;
const RECORD_BATCH: usize = 256;
const TICK_NS: i64 = 1_000_000_000;

enum WorkerMsg {
    Packets(PacketBatch),
    /// Packet time advanced: end flows whose time is up.
    Tick(i64),
}

/// Runs the analysis described by `cfg`. Errors are only returned for problems with the output
/// (it cannot be written); problems with the input are reported in the outcome.
pub fn run(cfg: &EngineConfig, progress: Option<Progress<'_>>) -> Result<RunOutcome, String> {
    let started = Instant::now();
    let cpu_at_start = crate::stats::process_cpu_s();
    std::fs::create_dir_all(&cfg.out_dir).map_err(|e| {
        format!(
            "cannot create output directory {}: {e}",
            cfg.out_dir.display()
        )
    })?;
    let open_ts = wall_clock_stamp();
    let logs = open_logs(
        &cfg.out_dir,
        &cfg.formats,
        &open_ts,
        cfg.flow.community_id_seed,
        cfg.eve_dns_version,
    )
    .map_err(|e| e.to_string())?;
    let (sink_tx, sink_rx) = bounded::<SinkMsg>(64);
    let sink_dir = cfg.out_dir.clone();
    let sink_intel = cfg.intel.as_ref().map(|set| crate::sink::SinkIntel {
        set: set.clone(),
        updates: cfg.intel_updates.clone(),
        seed: cfg.flow.community_id_seed,
    });
    let sink = std::thread::Builder::new()
        .name("netloupe-sink".into())
        .spawn(move || run_sink(sink_rx, &sink_dir, logs, wall_clock_stamp, sink_intel))
        .map_err(|e| e.to_string())?;

    let (mut source, open_errors) = MergedSource::open_indexed(&cfg.inputs);
    let mut stats = RunStats {
        threads: cfg.threads.max(1),
        ..RunStats::default()
    };
    stats.inputs = cfg
        .inputs
        .iter()
        .map(|p| InputStats {
            path: p.display().to_string(),
            ..Default::default()
        })
        .collect();
    let mut input_errors: Vec<CaptureError> = Vec::new();
    let note_error =
        |(idx, e): (usize, CaptureError), stats: &mut RunStats, errs: &mut Vec<CaptureError>| {
            if let Some(i) = stats.inputs.get_mut(idx) {
                if e.is_truncation() {
                    i.truncated = true;
                }
                i.error = Some(e.to_string());
            }
            errs.push(e);
        };
    for e in open_errors {
        note_error(e, &mut stats, &mut input_errors);
    }

    let mut decoder = Decoder::new(cfg.decode);
    let mut tunnels = TunnelRegistry::new(cfg.max_tunnels, cfg.flow.udp_inactivity_ns);
    let mut anomalies: Vec<Anomaly> = Vec::with_capacity(8);
    let mut weird_seen: HashMap<&'static str, u64> = HashMap::new();
    let mut weird_batch: Vec<WeirdRecord> = Vec::new();
    let mut next_tick = i64::MIN;

    // File digests are computed on a thread of their own: the flow threads hand body bytes over
    // and the log writer waits for the digests just before writing files.log.
    let hasher = if cfg.flow.app.enabled && cfg.flow.app.parsers.file_hashes != FileHashes::NONE {
        Some(HashService::start().map_err(|e| format!("cannot start the hashing thread: {e}"))?)
    } else {
        None
    };
    let mut flows =
        FlowBackend::start(cfg, &sink_tx, hasher.as_ref().and_then(HashService::handle))?;

    while let Some(pkt) = source.next_packet() {
        stats.packets_read += 1;
        stats.bytes_captured += pkt.data.len() as u64;
        stats.bytes_wire += u64::from(pkt.orig_len);
        if let Some(i) = stats.inputs.get_mut(pkt.file_index) {
            i.packets += 1;
        }
        let ts = pkt.ts_ns;
        stats.first_ts_ns = Some(stats.first_ts_ns.map_or(ts, |f| f.min(ts)));
        stats.last_ts_ns = Some(stats.last_ts_ns.map_or(ts, |l| l.max(ts)));
        let mut report = false;
        if ts >= next_tick {
            // Packet time drives every timeout (network time, as in Zeek).
            next_tick = ts.saturating_add(TICK_NS);
            decoder.expire(ts, &mut anomalies);
            flows.tick(ts)?;
            report = progress.is_some();
        } else if stats.packets_read & 0xffff == 0 {
            report = progress.is_some();
        }
        anomalies.clear();
        let frame_len = u32::try_from(pkt.data.len()).unwrap_or(u32::MAX);
        let decoded = decoder.decode(ts, pkt.linktype, pkt.data, &mut anomalies);
        if (pkt.orig_len as usize) > pkt.data.len() && matches!(decoded, Decoded::Dropped(_)) {
            // The snap length cut the packet short: say so beside the decoder's reason.
            anomalies.push(Anomaly {
                kind: netloupe_decode::AnomalyKind::SnapLengthCut,
                src: None,
                dst: None,
                detail: AnomalyDetail::Number(u64::from(pkt.orig_len)),
            });
        }
        let mut conn_id = None;
        match decoded {
            Decoded::Ip(ref ip) => {
                stats.to_flows += 1;
                conn_id = packet_id(ip);
                let mut res = Ok(());
                flow_packets(ts, frame_len, ip, &mut tunnels, |fp, payload| {
                    if res.is_ok() {
                        res = flows.packet(fp, payload);
                    }
                });
                res?;
            }
            Decoded::Arp(..) => stats.arp += 1,
            Decoded::FragmentHeld => stats.fragments_held += 1,
            Decoded::NonIp(kind) => *stats.non_ip.entry(kind).or_default() += 1,
            Decoded::Dropped(kind) => *stats.dropped.entry(kind.name()).or_default() += 1,
        }
        for a in anomalies.drain(..) {
            // Anomalies about the packet's own (innermost) addresses carry its ports too.
            let id = conn_id.filter(|&(s, _, d, _)| a.src == Some(s) && a.dst == Some(d));
            record_anomaly(
                ts,
                &a,
                id,
                &mut stats,
                &mut weird_seen,
                &mut weird_batch,
                cfg,
            );
        }
        if weird_batch.len() >= RECORD_BATCH {
            let _ = sink_tx.send(SinkMsg::Weirds(std::mem::take(&mut weird_batch)));
        }
        if report {
            if let Some(p) = progress {
                let (done, total) = source.progress();
                p(done, total, stats.packets_read);
            }
        }
    }
    for (i, input) in stats.inputs.iter_mut().enumerate() {
        if let Some(f) = source.file(i) {
            let w = f.warnings();
            input.caplen_over_snaplen = w.caplen_over_snaplen;
            input.caplen_over_orig_len = w.caplen_over_orig_len;
            input.bad_tsresol = w.bad_tsresol;
        }
    }
    for e in source.take_indexed_errors() {
        note_error(e, &mut stats, &mut input_errors);
    }
    // Fragments still waiting at the end will never complete: report them.
    anomalies.clear();
    decoder.expire(i64::MAX, &mut anomalies);
    let end_ts = stats.last_ts_ns.unwrap_or(0);
    for a in anomalies.drain(..) {
        record_anomaly(
            end_ts,
            &a,
            None,
            &mut stats,
            &mut weird_seen,
            &mut weird_batch,
            cfg,
        );
    }
    if !weird_batch.is_empty() {
        let _ = sink_tx.send(SinkMsg::Weirds(std::mem::take(&mut weird_batch)));
    }

    stats.flow = flows.finish()?;
    HashService::detach_current_thread();
    drop(sink_tx);
    let summary: SinkSummary = sink
        .join()
        .map_err(|_| "log writer thread panicked".to_string())?
        .map_err(|e| format!("writing logs in {}: {e}", cfg.out_dir.display()))?;
    stats.file_hashing = hasher.map(HashService::finish).unwrap_or_default();
    stats.conn_records = summary.conn_records;
    stats.app_records = summary.app_records;
    stats.weird_records_written = summary.weird_records;
    stats.dhcp_transactions_evicted = summary.dhcp_evicted;
    stats.by_proto = summary.by_proto;
    stats.top_ports = summary.top_ports;
    stats.intel = summary.intel;
    stats.defrag = decoder.defrag_stats();
    stats.tunnels_tracked = tunnels.len() as u64;
    stats.tunnels_evicted = tunnels.evicted;
    stats.elapsed_s = started.elapsed().as_secs_f64();
    stats.cpu_s = crate::stats::process_cpu_s()
        .zip(cpu_at_start)
        .map(|(end, start)| end - start);
    if let Some(p) = progress {
        let (done, total) = source.progress();
        p(done, total, stats.packets_read);
    }
    let stats_path = cfg.out_dir.join("stats.json");
    let text = serde_json::to_string_pretty(&stats.to_json()).map_err(|e| e.to_string())?;
    std::fs::write(&stats_path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", stats_path.display()))?;
    Ok(RunOutcome {
        stats,
        input_errors,
    })
}

/// The packet's (src, sport, dst, dport), ICMP type and code standing in for ports as in Zeek.
fn packet_id(
    ip: &netloupe_decode::IpPacket<'_>,
) -> Option<(std::net::IpAddr, u16, std::net::IpAddr, u16)> {
    use netloupe_decode::Transport;
    let (sp, dp) = match ip.transport {
        Transport::Tcp(t) => (t.src_port, t.dst_port),
        Transport::Udp { src_port, dst_port } | Transport::Sctp { src_port, dst_port } => {
            (src_port, dst_port)
        }
        Transport::Icmp(i) => (u16::from(i.icmp_type), u16::from(i.code)),
        Transport::Other => return None,
    };
    Some((ip.ip.src, sp, ip.ip.dst, dp))
}

#[allow(clippy::too_many_arguments)]
fn record_anomaly(
    ts: i64,
    a: &Anomaly,
    id: Option<(std::net::IpAddr, u16, std::net::IpAddr, u16)>,
    stats: &mut RunStats,
    seen: &mut HashMap<&'static str, u64>,
    batch: &mut Vec<WeirdRecord>,
    cfg: &EngineConfig,
) {
    let name = a.kind.name();
    *stats.anomalies.entry(name).or_default() += 1;
    let n = seen.entry(name).or_default();
    *n += 1;
    let keep = *n <= cfg.weird_log_first
        || (cfg.weird_log_every > 0
            && (*n - cfg.weird_log_first).is_multiple_of(cfg.weird_log_every));
    if !keep {
        stats.weird_records_suppressed += 1;
        return;
    }
    let addl = match a.detail {
        AnomalyDetail::None => None,
        AnomalyDetail::Text(t) => Some(t.to_string()),
        AnomalyDetail::Number(n) => Some(n.to_string()),
    };
    batch.push(WeirdRecord {
        ts_ns: ts,
        uid: None,
        id,
        src: a.src,
        dst: a.dst,
        name,
        addl,
        source: "decoder",
    });
}

/// Flow tracking either inline (one thread) or on N sharded workers.
enum FlowBackend {
    Inline {
        table: Box<FlowTable>,
        out: Vec<ConnRecord>,
        events: Vec<AppEvent>,
        sink: Sender<SinkMsg>,
    },
    Sharded {
        workers: Vec<WorkerHandle>,
        spare: Receiver<PacketBatch>,
    },
}

/// Packets for one worker with their payloads in one arena (one allocation per batch, reused).
#[derive(Default)]
struct PacketBatch {
    packets: Vec<(FlowPacket, u32, u32)>,
    payload: Vec<u8>,
}

impl PacketBatch {
    fn with_capacity() -> Self {
        PacketBatch {
            packets: Vec::with_capacity(BATCH),
            payload: Vec::with_capacity(BATCH * 256),
        }
    }
    fn clear(&mut self) {
        self.packets.clear();
        self.payload.clear();
    }
}

struct WorkerHandle {
    tx: Sender<WorkerMsg>,
    batch: PacketBatch,
    join: std::thread::JoinHandle<FlowStats>,
}

impl FlowBackend {
    fn start(
        cfg: &EngineConfig,
        sink: &Sender<SinkMsg>,
        hasher: Option<HashHandle>,
    ) -> Result<FlowBackend, String> {
        let n = cfg.threads.max(1);
        if n == 1 {
            if let Some(h) = hasher {
                h.attach_current_thread(0);
            }
            return Ok(FlowBackend::Inline {
                table: Box::new(FlowTable::new(cfg.flow)),
                out: Vec::with_capacity(RECORD_BATCH),
                events: Vec::new(),
                sink: sink.clone(),
            });
        }
        // Emptied batches come back here so the reading thread reuses them (no allocation
        // per batch once warm).
        let (spare_tx, spare_rx) = bounded::<PacketBatch>(n * 40);
        let mut workers = Vec::with_capacity(n);
        for i in 0..n {
            let (tx, rx) = bounded::<WorkerMsg>(32);
            let sink = sink.clone();
            let spare_tx = spare_tx.clone();
            let flow_cfg = cfg.flow;
            let hasher = hasher.clone();
            let join = std::thread::Builder::new()
                .name(format!("netloupe-flow-{i}"))
                .spawn(move || {
                    if let Some(h) = hasher {
                        h.attach_current_thread(i as u32);
                    }
                    worker(rx, sink, spare_tx, flow_cfg)
                })
                .map_err(|e| e.to_string())?;
            workers.push(WorkerHandle {
                tx,
                batch: PacketBatch::with_capacity(),
                join,
            });
        }
        Ok(FlowBackend::Sharded {
            workers,
            spare: spare_rx,
        })
    }

    fn packet(&mut self, p: FlowPacket, payload: &[u8]) -> Result<(), String> {
        match self {
            FlowBackend::Inline {
                table,
                out,
                events,
                sink,
            } => {
                table.process_payload(&p, payload, out);
                if out.len() >= RECORD_BATCH {
                    send_records(sink, out)?;
                }
                table.drain_app_events(events);
                send_table_weirds(sink, table)?;
                if events.len() >= RECORD_BATCH {
                    send_events(sink, events)?;
                }
            }
            FlowBackend::Sharded { workers, spare } => {
                let n = workers.len() as u64;
                let w = &mut workers[(p.key().shard_hash() % n) as usize];
                let off = w.batch.payload.len() as u32;
                w.batch.payload.extend_from_slice(payload);
                w.batch.packets.push((p, off, payload.len() as u32));
                if w.batch.packets.len() >= BATCH {
                    let fresh = spare
                        .try_recv()
                        .unwrap_or_else(|_| PacketBatch::with_capacity());
                    let full = std::mem::replace(&mut w.batch, fresh);
                    w.tx.send(WorkerMsg::Packets(full))
                        .map_err(|_| "flow worker stopped".to_string())?;
                }
            }
        }
        Ok(())
    }

    fn tick(&mut self, now: i64) -> Result<(), String> {
        match self {
            FlowBackend::Inline {
                table,
                out,
                events,
                sink,
            } => {
                table.sweep(now, out);
                if !out.is_empty() {
                    send_records(sink, out)?;
                }
                table.drain_app_events(events);
                send_table_weirds(sink, table)?;
                send_events(sink, events)?;
            }
            FlowBackend::Sharded { workers, .. } => {
                for w in workers.iter_mut() {
                    // Packets before the tick must be processed before it.
                    if !w.batch.packets.is_empty() {
                        let full = std::mem::take(&mut w.batch);
                        w.tx.send(WorkerMsg::Packets(full))
                            .map_err(|_| "flow worker stopped".to_string())?;
                    }
                    w.tx.send(WorkerMsg::Tick(now))
                        .map_err(|_| "flow worker stopped".to_string())?;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<FlowStats, String> {
        match self {
            FlowBackend::Inline {
                mut table,
                mut out,
                mut events,
                sink,
            } => {
                let mut failed = false;
                table.flush(&mut out, &mut |o| failed |= send_records(&sink, o).is_err());
                send_records(&sink, &mut out)?;
                table.drain_app_events(&mut events);
                send_table_weirds(&sink, &mut table)?;
                send_events(&sink, &mut events)?;
                if failed {
                    return Err("log writer stopped (see its error)".into());
                }
                Ok(table.stats())
            }
            FlowBackend::Sharded { workers, .. } => {
                let mut total = FlowStats::default();
                let mut joins = Vec::new();
                for w in workers {
                    if !w.batch.packets.is_empty() {
                        w.tx.send(WorkerMsg::Packets(w.batch))
                            .map_err(|_| "flow worker stopped".to_string())?;
                    }
                    drop(w.tx);
                    joins.push(w.join);
                }
                for j in joins {
                    let s = j.join().map_err(|_| "flow worker panicked".to_string())?;
                    total.add(&s);
                }
                Ok(total)
            }
        }
    }
}

fn send_records(sink: &Sender<SinkMsg>, out: &mut Vec<ConnRecord>) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    sink.send(SinkMsg::Conns(std::mem::replace(
        out,
        Vec::with_capacity(RECORD_BATCH),
    )))
    .map_err(|_| "log writer stopped (see its error)".to_string())
}

/// Sends the flow table's weirds (session-layer anomalies) to the log writer, if any.
fn send_table_weirds(sink: &Sender<SinkMsg>, table: &mut FlowTable) -> Result<(), String> {
    let mut weirds = Vec::new();
    table.drain_weirds(&mut weirds);
    if weirds.is_empty() {
        return Ok(());
    }
    sink.send(SinkMsg::Weirds(weirds))
        .map_err(|_| "log writer stopped (see its error)".to_string())
}

fn send_events(sink: &Sender<SinkMsg>, events: &mut Vec<AppEvent>) -> Result<(), String> {
    if events.is_empty() {
        return Ok(());
    }
    sink.send(SinkMsg::App(std::mem::take(events)))
        .map_err(|_| "log writer stopped (see its error)".to_string())
}

fn worker(
    rx: Receiver<WorkerMsg>,
    sink: Sender<SinkMsg>,
    spare: Sender<PacketBatch>,
    cfg: netloupe_flow::FlowConfig,
) -> FlowStats {
    let mut table = FlowTable::new(cfg);
    let mut out = Vec::with_capacity(RECORD_BATCH);
    let mut events = Vec::new();
    for msg in rx {
        match msg {
            WorkerMsg::Packets(mut batch) => {
                for (p, off, len) in &batch.packets {
                    let payload = batch
                        .payload
                        .get(*off as usize..(*off + *len) as usize)
                        .unwrap_or(&[]);
                    table.process_payload(p, payload, &mut out);
                }
                batch.clear();
                let _ = spare.try_send(batch);
            }
            WorkerMsg::Tick(now) => {
                table.sweep(now, &mut out);
                table.drain_app_events(&mut events);
                let _ = send_table_weirds(&sink, &mut table);
                let _ = send_events(&sink, &mut events);
            }
        }
        if out.len() >= RECORD_BATCH {
            let _ = send_records(&sink, &mut out);
        }
        table.drain_app_events(&mut events);
        let _ = send_table_weirds(&sink, &mut table);
        if events.len() >= RECORD_BATCH {
            let _ = send_events(&sink, &mut events);
        }
    }
    table.flush(&mut out, &mut |o| {
        let _ = send_records(&sink, o);
    });
    let _ = send_records(&sink, &mut out);
    table.drain_app_events(&mut events);
    let _ = send_table_weirds(&sink, &mut table);
    let _ = send_events(&sink, &mut events);
    table.stats()
}

/// Zeek's `#open`/`#close` stamp (wall clock: when the log was written, not packet time).
fn wall_clock_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, mo, d, h, mi, s) = civil(secs as i64);
    format!("{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}")
}

fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let rem = t.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 { y + 1 } else { y },
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}
