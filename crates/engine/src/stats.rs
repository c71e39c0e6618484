//! Run statistics: every packet accounted for, every drop and eviction counted.

use netloupe_decode::defrag::DefragStats;
use netloupe_flow::FlowStats;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct InputStats {
    pub path: String,
    pub packets: u64,
    /// The file ended in the middle of a record (results up to there are kept).
    pub truncated: bool,
    pub error: Option<String>,
    /// Oddities of the container that did not stop reading.
    pub caplen_over_snaplen: u64,
    pub caplen_over_orig_len: u64,
    pub bad_tsresol: u64,
}

#[derive(Debug, Clone, Default)]
pub struct RunStats {
    pub packets_read: u64,
    /// Captured bytes (sum of caplen).
    pub bytes_captured: u64,
    /// Bytes on the wire (sum of orig_len).
    pub bytes_wire: u64,
    /// Packets that reached flow tracking.
    pub to_flows: u64,
    pub arp: u64,
    /// Valid frames without IP, by kind.
    pub non_ip: BTreeMap<&'static str, u64>,
    /// Fragments stored for reassembly (their data reaches flows inside the reassembled datagram).
    pub fragments_held: u64,
    /// Packets that could not be decoded far enough to form a flow, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Every anomaly seen, by name (a packet may have several; some do not drop it).
    pub anomalies: BTreeMap<&'static str, u64>,
    pub flow: FlowStats,
    pub defrag: DefragStats,
    pub tunnels_tracked: u64,
    pub tunnels_evicted: u64,
    pub conn_records: u64,
    /// Records written per protocol log (dns, http, ssl, x509, ssh, files).
    pub app_records: BTreeMap<&'static str, u64>,
    /// The file-hashing thread's work (files.log digests computed off the packet path).
    pub file_hashing: netloupe_proto::HashStats,
    pub weird_records_written: u64,
    /// DHCP transactions the log writer wrote before all their connections ended (it holds
    /// at most `dhcp_join::MAX_OPEN`).
    pub dhcp_transactions_evicted: u64,
    pub weird_records_suppressed: u64,
    pub inputs: Vec<InputStats>,
    pub elapsed_s: f64,
    /// CPU time of the whole process (every thread) during the analysis, where the system says
    /// it (Linux): steadier than wall time on a shared machine, and what "per CPU-second"
    /// comparisons need.
    pub cpu_s: Option<f64>,
    pub threads: usize,
    /// conn records by transport protocol, and by (proto, responder port) for the summary.
    pub by_proto: BTreeMap<&'static str, u64>,
    pub top_ports: Vec<(String, u64)>,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    /// Threat-intelligence matching (when feeds were given): counters and the set in use at
    /// the end of the run.
    pub intel: Option<(crate::IntelStats, std::sync::Arc<netloupe_intel::IntelSet>)>,
}

impl RunStats {
    /// The accounting identity: every packet read ended in exactly one of these buckets.
    pub fn accounted(&self) -> u64 {
        self.to_flows
            + self.arp
            + self.non_ip.values().sum::<u64>()
            + self.fragments_held
            + self.dropped.values().sum::<u64>()
    }

    pub fn to_json(&self) -> Value {
        let map = |m: &BTreeMap<&'static str, u64>| -> Value {
            Value::Object(
                m.iter()
                    .map(|(k, v)| ((*k).to_string(), json!(v)))
                    .collect::<Map<_, _>>(),
            )
        };
        let f = &self.flow;
        let d = &self.defrag;
        json!({
            "packets": {
                "read": self.packets_read,
                "to_flows": self.to_flows,
                "arp": self.arp,
                "non_ip": map(&self.non_ip),
                "fragments_held": self.fragments_held,
                "dropped": map(&self.dropped),
                "accounted": self.accounted(),
                "balanced": self.accounted() == self.packets_read,
            },
            "bytes": { "captured": self.bytes_captured, "wire": self.bytes_wire },
            "anomalies": map(&self.anomalies),
            "flows": {
                "created": f.flows_created,
                "records": self.conn_records,
                "ended_by_timeout": f.flows_ended_timeout,
                "ended_by_reuse": f.flows_ended_reuse,
                "ended_by_active_timeout": f.flows_ended_active_timeout,
                "flushed_at_end": f.flows_flushed_at_end,
                "evicted_table_full": f.flows_evicted,
                "peak_concurrent": f.peak_flows,
                "tcp_bad_checksum_packets": f.tcp_bad_checksum,
                "by_proto": map(&self.by_proto),
            },
            "defrag": {
                "fragments": d.fragments,
                "datagrams_completed": d.datagrams_completed,
                "datagrams_timed_out": d.datagrams_timed_out,
                "datagrams_evicted": d.datagrams_evicted,
                "fragments_dropped": d.fragments_dropped,
                "overlaps": d.overlaps,
                "overlaps_different_data": d.overlaps_different_data,
                "peak_bytes_held": d.peak_bytes_held,
            },
            "tunnels": { "tracked": self.tunnels_tracked, "evicted": self.tunnels_evicted },
            "inspection": {
                "sessions": f.app.sessions,
                "identified": f.app.identified,
                "unidentified": f.app.unidentified,
                "parser_violations": f.app.parser_violations,
                "encrypted_bytes": f.app.encrypted_bytes,
                "overlap_conflicts": f.app.overlap_conflicts,
                "peak_buffered_bytes": f.app.peak_buffered_bytes,
                "expected_connections": {
                    "announced": f.app.expected_announced,
                    "matched": f.app.expected_matched,
                    "dropped": f.app.expected_dropped,
                },
                "parser_evictions": parser_evictions(&f.app),
                "dhcp_transactions_evicted": self.dhcp_transactions_evicted,
                "port_use": {
                    "off_port": f.app.off_port,
                    "port_mismatch": f.app.port_mismatch,
                },
                "records": map(&self.app_records),
                "file_hashing": {
                    "files": self.file_hashing.files,
                    "bytes": self.file_hashing.bytes,
                    "discarded": self.file_hashing.discarded,
                },
                "reassembly": {
                    "segments": f.app.reassembly.segments,
                    "bytes_delivered": f.app.reassembly.bytes_delivered,
                    "retransmitted_bytes": f.app.reassembly.retransmitted_bytes,
                    "gaps": f.app.reassembly.gaps,
                    "gap_bytes": f.app.reassembly.gap_bytes,
                    "dropped_bytes_cap": f.app.reassembly.dropped_bytes_cap,
                },
            },
            "weird_log": { "written": self.weird_records_written, "suppressed": self.weird_records_suppressed },
            "inputs": self.inputs.iter().map(|i| json!({
                "path": i.path, "packets": i.packets, "truncated": i.truncated, "error": i.error,
                "caplen_over_snaplen": i.caplen_over_snaplen,
                "caplen_over_orig_len": i.caplen_over_orig_len,
                "bad_tsresol": i.bad_tsresol,
            })).collect::<Vec<_>>(),
            "time": {
                "first_packet": self.first_ts_ns.map(|t| t as f64 / 1e9),
                "last_packet": self.last_ts_ns.map(|t| t as f64 / 1e9),
                "elapsed_s": self.elapsed_s,
                "cpu_s": self.cpu_s,
                "packets_per_s": if self.elapsed_s > 0.0 { self.packets_read as f64 / self.elapsed_s } else { 0.0 },
                "gbit_per_s": if self.elapsed_s > 0.0 { self.bytes_captured as f64 * 8.0 / self.elapsed_s / 1e9 } else { 0.0 },
            },
            "threads": self.threads,
            "intel": self.intel.as_ref().map(|(st, set)| intel_json(st, set)),
        })
    }
}

/// stats.json's `intel` section: each feed (what it loaded, by type; what it skipped and
/// why; how many lines were bad), and what matching did.
fn intel_json(st: &crate::IntelStats, set: &netloupe_intel::IntelSet) -> Value {
    let feeds: Vec<Value> = set
        .feeds()
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "location": f.location,
                "format": f.format.name(),
                "indicators": f.loaded(),
                "by_type": f.counts.iter().map(|(k, v)| (k.name().to_string(), json!(v))).collect::<Map<_, _>>(),
                "skipped": f.skipped.iter().map(|(k, v)| ((*k).to_string(), json!(v))).collect::<Map<_, _>>(),
                "duplicates": f.duplicates,
                "problems": f.problem_count,
            })
        })
        .collect();
    json!({
        "feeds": feeds,
        "indicators": set.len(),
        "lookups": st.lookups,
        "hits": st.hits_by_where.values().sum::<u64>(),
        "hits_by_where": st.hits_by_where.iter().map(|(k, v)| ((*k).to_string(), json!(v))).collect::<Map<_, _>>(),
        "hits_by_feed": st.hits_by_feed,
        "alerts": st.alerts,
        "alerts_repeated": st.alerts_repeated,
        "alert_dedup_evicted": st.alert_dedup_evicted,
        "reloads": st.reloads,
        "reload_errors": st.reload_errors,
    })
}

/// User + system CPU seconds of this process so far, from `/proc/self/stat` (fields 14 and
/// 15, in clock ticks of 1/100 s: `USER_HZ` is 100 on every Linux ABI netloupe builds for).
/// `None` elsewhere.
pub(crate) fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Parser evictions by log name (mDNS and LLMNR are counted with DNS, as Zeek logs them).
fn parser_evictions(
    app: &netloupe_flow::AppStats,
) -> std::collections::BTreeMap<&'static str, u64> {
    let mut m = std::collections::BTreeMap::new();
    for (s, n) in netloupe_proto::Service::ALL
        .iter()
        .zip(app.parser_evictions)
    {
        if n > 0 {
            *m.entry(s.zeek_name()).or_default() += n;
        }
    }
    m
}
