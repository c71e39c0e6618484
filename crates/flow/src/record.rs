//! The finished-flow record (Zeek conn.log fields plus Community ID).

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
    pub community_id: String,
}
