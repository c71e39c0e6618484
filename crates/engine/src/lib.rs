//! The netloupe analysis pipeline.
//!
//! ```text
//! MergedSource ─► Decoder (+defrag, tunnels) ─► shard by symmetric flow hash ─► FlowTable workers ─► LogSink
//!  pcap/pcapng      anomalies → weird.log          (one thread reads and          (own their flows,    conn.log, weird.log,
//!  gzip, stdin                                      decodes)                        no locks)            stats.json
//! ```
//!
//! With one thread everything but log writing runs inline on the reading thread (no channel on
//! the per-packet path); with N threads the reading thread decodes and hands batches of
//! [`netloupe_flow::FlowPacket`] to N workers that own their flows outright. Packet time drives
//! every timeout, so the records do not depend on the thread count. Every packet read is
//! accounted for in [`RunStats`]: it reached a flow, was ARP or another non-IP frame, was held as a
//! fragment, or was dropped for a named reason.
#![forbid(unsafe_code)]

mod config;
mod convert;
mod dhcp_join;
mod eve;
mod intel_match;
mod pipeline;
mod range_files;
mod sink;
mod stats;
pub mod synth;

pub use config::{EngineConfig, IntelUpdate};
pub use intel_match::IntelStats;
pub use netloupe_capture::{CaptureError, CaptureErrorKind};
pub use pipeline::{run, Progress, RunOutcome};
pub use stats::RunStats;
