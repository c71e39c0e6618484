//! IPv4 and IPv6 fragment reassembly with bounded memory.
//!
//! (Skeleton: API fixed, implementation pending.)

use crate::{Anomaly, AnomalyKind};
use std::net::IpAddr;

/// Limits of the defragmenter. Every limit hit is counted and reported as an anomaly.
#[derive(Debug, Clone, Copy)]
pub struct DefragConfig {
    /// Total bytes of fragment data held across all datagrams being reassembled.
    pub max_bytes: usize,
    /// Datagrams being reassembled at once.
    pub max_datagrams: usize,
    /// A datagram not complete this long after its first fragment (packet time) is dropped.
    pub timeout_ns: i64,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig { max_bytes: 64 << 20, max_datagrams: 16_384, timeout_ns: 60_000_000_000 }
    }
}

/// Identifies the datagram a fragment belongs to (RFC 791 / RFC 8200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 identification (16 bits) or IPv6 fragment identification (32 bits).
    pub id: u32,
    /// IPv4 protocol field; for IPv6 the next header after the fragment header.
    pub proto: u8,
}

/// One fragment as the IP decoder found it.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    pub key: FragmentKey,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: u32,
    /// More-fragments flag.
    pub more: bool,
    /// The fragment's data (the bytes after the IP header / fragment header).
    pub data: &'a [u8],
}

/// What happened to a fragment.
#[derive(Debug)]
pub enum DefragOutcome<'a> {
    /// Stored; the datagram is not complete yet.
    Held,
    /// The datagram is complete: its whole payload (transport header onwards).
    Complete(&'a [u8]),
    /// The fragment could not be used (the reason was also reported as an anomaly).
    Dropped(AnomalyKind),
}

/// Counters reported in stats.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefragStats {
    pub fragments: u64,
    pub datagrams_completed: u64,
    pub datagrams_timed_out: u64,
    pub datagrams_evicted: u64,
    pub fragments_dropped: u64,
    pub overlaps: u64,
    pub overlaps_different_data: u64,
    pub bytes_held: u64,
    pub peak_bytes_held: u64,
}

pub struct Defragmenter {
    cfg: DefragConfig,
    stats: DefragStats,
}

impl Defragmenter {
    pub fn new(cfg: DefragConfig) -> Self {
        Defragmenter { cfg, stats: DefragStats::default() }
    }

    /// Adds one fragment seen at `ts_ns`. Anomalies (overlaps, limits hit) are appended to
    /// `anomalies`.
    pub fn push(&mut self, ts_ns: i64, frag: Fragment<'_>, anomalies: &mut Vec<Anomaly>) -> DefragOutcome<'_> {
        let _ = (ts_ns, frag, anomalies, &self.cfg);
        DefragOutcome::Dropped(AnomalyKind::FragmentTableFull)
    }

    /// Drops datagrams whose first fragment is older than the timeout at packet time `now_ns`.
    pub fn expire(&mut self, now_ns: i64, anomalies: &mut Vec<Anomaly>) {
        let _ = (now_ns, anomalies);
    }

    pub fn stats(&self) -> DefragStats {
        self.stats
    }
}
