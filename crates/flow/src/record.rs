//! The finished-flow record (Zeek conn.log fields plus Community ID).

use crate::community_id::community_id_v1;
use crate::key::{icmp4_counterpart, icmp6_counterpart};
use crate::uid::Uid;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Sctp,
    Unknown,
}

impl Proto {
    /// Zeek's `transport_proto` names (SCTP, which Zeek does not track, is named plainly).
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Sctp => "sctp",
            Proto::Unknown => "unknown_transport",
        }
    }
}

/// One connection as conn.log reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnRecord {
    /// Time of the first packet, ns since the epoch.
    pub ts_ns: i64,
    pub uid: Uid,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
    pub proto: Proto,
    pub ip_proto: u8,
    /// Application protocols confirmed on the connection (filled by later stages).
    pub service: Vec<&'static str>,
    /// last packet time - first packet time; None when Zeek would log `-` (no packet updated it).
    pub duration_ns: Option<i64>,
    /// None where Zeek logs `-` (a side that never became active for UDP/ICMP/other).
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub conn_state: &'static str,
    pub missed_bytes: u64,
    pub history: String,
    pub orig_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_pkts: u64,
    pub resp_ip_bytes: u64,
    pub tunnel_parents: Vec<Uid>,
    pub vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    /// Seed for [`ConnRecord::community_id`].
    pub community_id_seed: u16,
}

impl ConnRecord {
    /// The Community ID v1 of the connection. Computed on demand (by the log writer, off the
    /// packet path) because it costs a SHA-1.
    pub fn community_id(&self) -> String {
        let proto = self.ip_proto;
        if matches!(proto, 1 | 58) {
            // The ICMP "ports" are (type, counterpart type) or, for one-way messages, (type,
            // code); Community ID wants the originator's type and code.
            let t = self.orig_p as u8;
            let two_way = if proto == 1 {
                icmp4_counterpart(t)
            } else {
                icmp6_counterpart(t)
            }
            .is_some();
            let code = if two_way { 0 } else { self.resp_p };
            community_id_v1(
                self.community_id_seed,
                self.orig_h,
                self.resp_h,
                proto,
                self.orig_p,
                code,
            )
        } else {
            community_id_v1(
                self.community_id_seed,
                self.orig_h,
                self.resp_h,
                proto,
                self.orig_p,
                self.resp_p,
            )
        }
    }
}
