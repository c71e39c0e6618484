//! Packet decoding for netloupe.
//!
//! Turns the bytes of one captured packet into a [`Decoded`] view of its innermost IP flow:
//! addresses, transport ports and flags, the payload, and the tunnel layers it arrived through.
//! Handles the link types of `netloupe_capture::linktype`, Ethernet II with 802.1Q/QinQ, MPLS label
//! stacks, PPPoE sessions, ARP, IPv4 (options, header checksum), IPv6 and its extension headers,
//! ICMPv4/ICMPv6, TCP (options), UDP, SCTP, and the tunnels GRE (with ERSPAN II/III and transparent
//! Ethernet bridging), VXLAN, Geneve, IP-in-IP, 6in4 and 4in6. IP fragments are reassembled by
//! [`defrag::Defragmenter`] with bounded memory.
//!
//! Every byte is attacker-controlled: decoding never panics and never allocates on the per-packet
//! path except inside the bounded defragmenter. Anything odd is reported as an [`Anomaly`] with a
//! stable name (Zeek's weird names where Zeek has one) rather than silently dropped.
#![forbid(unsafe_code)]

pub mod anomaly;
mod checksum;
mod decoder;
pub mod defrag;
#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
mod corpus_tests;

pub use anomaly::{Anomaly, AnomalyKind};
pub use decoder::{DecodeConfig, Decoder};

use std::net::IpAddr;

/// IP protocol numbers used across the crate.
pub mod ipproto {
    pub const HOPOPT: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NONE: u8 = 59;
    pub const DSTOPTS: u8 = 60;
    pub const SCTP: u8 = 132;
}

/// TCP flag bits as they appear in the header's flags byte.
pub mod tcpflags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

/// The innermost network layer of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpLayer {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Transport protocol after IPv6 extension headers (the upper-layer protocol number).
    pub proto: u8,
    pub ttl: u8,
    /// Bytes of the IP datagram as its header states them: IPv4 total length, IPv6 payload
    /// length + 40. For a reassembled datagram, its reassembled length. This is what Zeek counts
    /// in `orig_ip_bytes`/`resp_ip_bytes`.
    pub ip_len: u32,
    /// The datagram was reassembled from fragments.
    pub reassembled: bool,
    /// Whether the IPv4 "don't fragment" bit was set (false for IPv6).
    pub dont_fragment: bool,
}

/// Transport header of the innermost flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp(TcpHeader),
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    Icmp(IcmpHeader),
    Sctp {
        src_port: u16,
        dst_port: u16,
    },
    /// Any other IP protocol (ESP, unknown numbers, ...): an opaque flow keyed by addresses and
    /// protocol number only.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpHeader {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// The flags byte (see [`tcpflags`]).
    pub flags: u8,
    pub window: u16,
    /// Header length in bytes (data offset * 4).
    pub header_len: u8,
    /// Window scale option, when present (SYN segments).
    pub window_scale: Option<u8>,
    /// MSS option, when present.
    pub mss: Option<u16>,
    pub sack_permitted: bool,
    /// Timestamp option value (TSval), when present.
    pub ts_val: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpHeader {
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
}

/// Kind of encapsulation a tunnel layer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    IpInIp,
    Gre,
    Erspan,
    Vxlan,
    Geneve,
    Teredo,
    /// GTPv1-U (mobile networks' user plane, UDP 2152).
    Gtp,
    /// Any other encapsulation the decoder learns later.
    Other,
}

impl TunnelKind {
    /// Zeek's `Tunnel::Type` names as used in tunnel.log.
    pub fn zeek_name(self) -> &'static str {
        match self {
            TunnelKind::IpInIp => "Tunnel::IP",
            TunnelKind::Gre => "Tunnel::GRE",
            TunnelKind::Erspan => "Tunnel::GRE",
            TunnelKind::Vxlan => "Tunnel::VXLAN",
            TunnelKind::Geneve => "Tunnel::GENEVE",
            TunnelKind::Teredo => "Tunnel::TEREDO",
            TunnelKind::Gtp => "Tunnel::GTPv1",
            TunnelKind::Other => "Tunnel::NONE",
        }
    }
}

/// One layer of encapsulation, outermost first: the outer IP endpoints (and the UDP ports
/// for UDP-based tunnels) that carried the inner packet. Zeek records these as the inner
/// connection's `tunnel_parents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TunnelLayer {
    pub kind: TunnelKind,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Outer IP protocol: 4/41 for IP-in-IP, 47 for GRE, 17 for VXLAN/Geneve/Teredo.
    pub proto: u8,
    /// UDP ports of the outer datagram for UDP tunnels, 0 otherwise.
    pub src_port: u16,
    pub dst_port: u16,
    /// Bytes of the outer IP datagram per its header (for the outer flow's IP byte count).
    pub ip_len: u32,
    /// For UDP tunnels, the outer UDP payload length (UDP length - 8); 0 otherwise.
    pub payload_len: u32,
    /// Captured bytes of what the tunnel carries, from its first byte (the inner Ethernet
    /// header for VXLAN, Geneve, TEB and ERSPAN; the inner IP header otherwise): the length of
    /// the packet at the inner flow's layer, which Suricata counts in `flow.bytes_to*`.
    pub inner_len: u32,
}

/// Maximum tunnel nesting that is decoded; deeper packets are reported as an anomaly.
pub const MAX_TUNNEL_DEPTH: usize = 4;

/// Layer-2 facts worth keeping about a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkInfo {
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// Outer 802.1Q VLAN id.
    pub vlan: Option<u16>,
    /// Inner VLAN id of a QinQ pair.
    pub inner_vlan: Option<u16>,
}

/// An ARP packet (request or reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpPacket {
    pub opcode: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: std::net::Ipv4Addr,
    pub target_mac: [u8; 6],
    pub target_ip: std::net::Ipv4Addr,
}

/// Fixed-capacity list of tunnel layers, outermost first (no allocation per packet).
#[derive(Debug, Clone, Copy, Default)]
pub struct TunnelStack {
    layers: [Option<TunnelLayer>; MAX_TUNNEL_DEPTH],
    len: u8,
}

impl TunnelStack {
    /// Appends a layer; returns false (and keeps the stack) when it is full.
    pub fn push(&mut self, layer: TunnelLayer) -> bool {
        let i = self.len as usize;
        if i >= MAX_TUNNEL_DEPTH {
            return false;
        }
        self.layers[i] = Some(layer);
        self.len += 1;
        true
    }
    pub fn clear(&mut self) {
        *self = TunnelStack::default();
    }
    pub fn len(&self) -> usize {
        self.len as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = &TunnelLayer> {
        self.layers[..self.len as usize].iter().flatten()
    }
    /// The innermost tunnel layer (the one that directly carried the inner packet).
    pub fn innermost(&self) -> Option<&TunnelLayer> {
        self.len
            .checked_sub(1)
            .and_then(|i| self.layers[i as usize].as_ref())
    }
}

/// What the decoder made of one packet.
// Returned by value once per packet: boxing the large variant would allocate per packet.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy)]
pub enum Decoded<'a> {
    /// An IP packet (possibly reassembled, possibly from inside tunnels) ready for flow tracking.
    Ip(IpPacket<'a>),
    /// An ARP packet.
    Arp(LinkInfo, ArpPacket),
    /// A fragment that was stored for reassembly; nothing to track yet.
    FragmentHeld,
    /// The packet was not decodable past some point; the reason is one of the anomalies
    /// reported for this packet and is counted under its name.
    Dropped(AnomalyKind),
    /// A valid frame that carries no IP (LLDP, STP, CDP, other ethertypes ...): counted by name.
    NonIp(&'static str),
}

/// A decoded IP packet: the innermost flow's view.
#[derive(Debug, Clone, Copy)]
pub struct IpPacket<'a> {
    pub link: LinkInfo,
    pub ip: IpLayer,
    pub transport: Transport,
    /// Transport payload (bytes after the TCP/UDP/ICMP header, capped at what was captured and
    /// at what the IP length states).
    pub payload: &'a [u8],
    /// Payload length as the headers state it (may exceed `payload.len()` on snap-length cut).
    pub payload_len: u32,
    pub tunnels: TunnelStack,
    /// The transport checksum was checked and found wrong (only when checking is enabled).
    pub bad_checksum: bool,
}
