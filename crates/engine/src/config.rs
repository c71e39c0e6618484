//! Configuration of one analysis run.

use netloupe_decode::DecodeConfig;
use netloupe_flow::FlowConfig;
use netloupe_output::LogFormat;
use std::path::PathBuf;
use std::sync::Arc;

/// A reloaded threat-intelligence set, sent to a running analysis (SIGHUP, refresh interval).
#[derive(Debug, Clone)]
pub struct IntelUpdate {
    pub set: Arc<netloupe_intel::IntelSet>,
    /// Feeds that could not be read this time (the set holds the others).
    pub errors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    /// Flow workers. 1 runs flow tracking on the reading thread.
    pub threads: usize,
    pub decode: DecodeConfig,
    pub flow: FlowConfig,
    /// Formats written in addition to JSON lines (which are always written).
    pub formats: Vec<LogFormat>,
    /// weird.log keeps the first `weird_log_first` records of each name, then one in
    /// `weird_log_every` (all are counted in stats.json).
    pub weird_log_first: u64,
    pub weird_log_every: u64,
    /// Maximum distinct tunnels remembered for `tunnel_parents`.
    pub max_tunnels: usize,
    /// Format version of eve.json's `dns` events: 3 (Suricata 8) or 2 (Suricata 7).
    pub eve_dns_version: u8,
    /// Threat intelligence every record is matched against (intel.log, alerts.log).
    pub intel: Option<Arc<netloupe_intel::IntelSet>>,
    /// Where reloaded sets arrive while the run lasts.
    pub intel_updates: Option<crossbeam_channel::Receiver<IntelUpdate>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            inputs: Vec::new(),
            out_dir: PathBuf::from("netloupe-out"),
            threads: 1,
            decode: DecodeConfig::default(),
            flow: FlowConfig::default(),
            formats: vec![LogFormat::Json],
            weird_log_first: 1000,
            weird_log_every: 1000,
            max_tunnels: 65_536,
            eve_dns_version: 3,
            intel: None,
            intel_updates: None,
        }
    }
}
