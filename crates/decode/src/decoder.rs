//! The packet decoder: link layer down to the innermost transport header.
//!
//! (Skeleton: API fixed, implementation pending.)

use crate::defrag::{DefragConfig, Defragmenter};
use crate::{Anomaly, AnomalyKind, Decoded};

#[derive(Debug, Clone, Copy)]
pub struct DecodeConfig {
    /// Verify IPv4 header checksums and TCP/UDP/ICMP checksums (Zeek's default; turn off for
    /// captures taken with checksum offload, like `zeek -C`).
    pub verify_checksums: bool,
    pub defrag: DefragConfig,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig { verify_checksums: true, defrag: DefragConfig::default() }
    }
}

pub struct Decoder {
    cfg: DecodeConfig,
    defrag: Defragmenter,
}

impl Decoder {
    pub fn new(cfg: DecodeConfig) -> Self {
        Decoder { cfg, defrag: Defragmenter::new(cfg.defrag) }
    }

    /// Decodes one packet captured at `ts_ns` on an interface of link type `linktype`.
    /// Anomalies found are appended to `anomalies` (the caller clears it between packets).
    pub fn decode<'a>(&'a mut self, ts_ns: i64, linktype: u32, data: &'a [u8], anomalies: &mut Vec<Anomaly>) -> Decoded<'a> {
        let _ = (ts_ns, linktype, data, anomalies, &self.cfg);
        Decoded::Dropped(AnomalyKind::UnknownLinkType)
    }

    /// Expires stale fragments (call as packet time advances).
    pub fn expire(&mut self, now_ns: i64, anomalies: &mut Vec<Anomaly>) {
        self.defrag.expire(now_ns, anomalies)
    }

    pub fn defrag_stats(&self) -> crate::defrag::DefragStats {
        self.defrag.stats()
    }
}
