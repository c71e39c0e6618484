//! Decode anomalies: stable names, counted and reported (Zeek `weird` names where Zeek has one).

use std::net::IpAddr;

/// Stable anomaly names. The `name()` strings are part of netloupe's output (weird.log,
/// stats.json): never rename one, only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AnomalyKind {
    UnknownLinkType,
    TruncatedLinkHeader,
    TruncatedIp,
    TruncatedIpHeader,
    InternallyTruncatedHeader,
    BadIpVersion,
    BadIpHeaderLength,
    BadIpChecksum,
    IpTotalLengthMismatch,
    TruncatedTcpHeader,
    BadTcpHeaderLength,
    BadTcpChecksum,
    TruncatedUdpHeader,
    BadUdpLength,
    BadUdpChecksum,
    BadIcmpChecksum,
    TruncatedIcmpHeader,
    TruncatedSctpHeader,
    TcpSynWithFin,
    TcpSynWithRst,
    TcpFinWithRst,
    TcpNoFlags,
    TcpXmas,
    BadIpv6ExtensionHeader,
    Ipv6ExtensionHeaderChainTooLong,
    BadMplsStack,
    TruncatedPppoe,
    UnknownGreVersion,
    UnknownGreProtocol,
    TruncatedGre,
    TruncatedVxlan,
    TruncatedGeneve,
    TunnelTooDeep,
    UnknownEtherType,
    FragmentTooLarge,
    FragmentOverlap,
    FragmentOverlapDifferentData,
    FragmentTimeout,
    FragmentTableFull,
    FragmentInconsistentLength,
    ZeroLengthFragment,
    ArpTruncated,
    LandAttack,
    SnapLengthCut,
    /// IPv4 total length of zero (TCP segmentation offload on the capturing host): the
    /// captured length is used instead.
    IpLenZero,
    BadIpv4Option,
    BadTcpOption,
    UnknownPppProtocol,
    /// A link-layer protocol/family field (BSD NULL/LOOP address family, ...) naming nothing
    /// the decoder knows.
    UnknownLinkProtocol,
    TooManyVlanTags,
    UnknownGeneveProtocol,
    /// A fragment inside a datagram that was itself just reassembled (only one reassembly per
    /// packet is possible).
    NestedFragment,
    /// An ICMPv4 type that no RFC in use defines (Suricata's `decoder.icmpv4.unknown_type`).
    UnknownIcmpType,
    /// An ICMPv4 code its type does not define (Suricata's `decoder.icmpv4.unknown_code`).
    UnknownIcmpCode,
    Other(&'static str),
}

impl AnomalyKind {
    pub fn name(self) -> &'static str {
        use AnomalyKind::*;
        match self {
            UnknownLinkType => "unknown_link_type",
            TruncatedLinkHeader => "truncated_link_header",
            TruncatedIp => "truncated_IP",
            TruncatedIpHeader => "truncated_IP_header",
            InternallyTruncatedHeader => "internally_truncated_header",
            BadIpVersion => "bad_IP_version",
            BadIpHeaderLength => "bad_IP_header_length",
            BadIpChecksum => "bad_IP_checksum",
            IpTotalLengthMismatch => "inappropriate_IP_total_length",
            TruncatedTcpHeader => "truncated_TCP_header",
            BadTcpHeaderLength => "bad_TCP_header_len",
            BadTcpChecksum => "bad_TCP_checksum",
            TruncatedUdpHeader => "truncated_UDP_header",
            BadUdpLength => "bad_UDP_length",
            BadUdpChecksum => "bad_UDP_checksum",
            BadIcmpChecksum => "bad_ICMP_checksum",
            TruncatedIcmpHeader => "truncated_ICMP_header",
            TruncatedSctpHeader => "truncated_SCTP_header",
            TcpSynWithFin => "TCP_SYN_with_FIN",
            TcpSynWithRst => "TCP_SYN_with_RST",
            TcpFinWithRst => "TCP_FIN_with_RST",
            TcpNoFlags => "TCP_no_flags",
            TcpXmas => "TCP_christmas",
            BadIpv6ExtensionHeader => "bad_IPv6_extension_header",
            Ipv6ExtensionHeaderChainTooLong => "IPv6_extension_header_chain_too_long",
            BadMplsStack => "bad_MPLS_stack",
            TruncatedPppoe => "truncated_PPPoE",
            UnknownGreVersion => "unknown_gre_version",
            UnknownGreProtocol => "unknown_gre_protocol",
            TruncatedGre => "truncated_GRE",
            TruncatedVxlan => "truncated_VXLAN",
            TruncatedGeneve => "truncated_Geneve",
            TunnelTooDeep => "exceeded_tunnel_max_depth",
            UnknownEtherType => "unknown_ether_type",
            FragmentTooLarge => "excessively_large_fragment",
            FragmentOverlap => "fragment_overlap",
            FragmentOverlapDifferentData => "fragment_overlap_different_data",
            FragmentTimeout => "fragment_timeout",
            FragmentTableFull => "fragment_table_full",
            FragmentInconsistentLength => "fragment_inconsistency",
            ZeroLengthFragment => "zero_length_fragment",
            ArpTruncated => "truncated_ARP",
            LandAttack => "land_attack",
            SnapLengthCut => "snap_length_cut",
            IpLenZero => "ip_hdr_len_zero",
            BadIpv4Option => "bad_IPv4_option",
            BadTcpOption => "bad_TCP_option",
            UnknownPppProtocol => "unknown_PPP_protocol",
            UnknownLinkProtocol => "unknown_link_protocol",
            TooManyVlanTags => "too_many_VLAN_tags",
            UnknownGeneveProtocol => "unknown_Geneve_protocol",
            NestedFragment => "fragment_in_reassembled_datagram",
            UnknownIcmpType => "unknown_ICMP_type",
            UnknownIcmpCode => "unknown_ICMP_code",
            Other(s) => s,
        }
    }
}

/// One anomaly seen while decoding a packet, with the addresses it concerns when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// Source and destination of the innermost IP header decoded so far, when there was one.
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    /// Extra detail, Zeek's `addl` (a static description or a small number).
    pub detail: AnomalyDetail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyDetail {
    None,
    Text(&'static str),
    Number(u64),
}
