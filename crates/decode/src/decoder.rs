//! The packet decoder: link layer down to the innermost transport header.
//!
//! One [`Walk`] lives for the duration of one packet and carries what the layers learn on the
//! way in (link facts, tunnel layers, the addresses anomalies are attributed to). Every layer
//! function returns the final [`Decoded`] so that tunnels can simply recurse, and a failed inner
//! decode can fall back to the outer packet without copying anything.

use crate::anomaly::AnomalyDetail;
use crate::checksum;
use crate::defrag::{DefragConfig, DefragOutcome, Defragmenter, Fragment, FragmentKey};
use crate::{
    ipproto, tcpflags, Anomaly, AnomalyKind, ArpPacket, Decoded, IcmpHeader, IpLayer, IpPacket,
    LinkInfo, TcpHeader, Transport, TunnelKind, TunnelLayer, TunnelStack, MAX_TUNNEL_DEPTH,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy)]
pub struct DecodeConfig {
    /// Verify IPv4 header checksums and TCP/UDP/ICMP checksums (Zeek's default; turn off for
    /// captures taken with checksum offload, like `zeek -C`).
    pub verify_checksums: bool,
    pub defrag: DefragConfig,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            verify_checksums: true,
            defrag: DefragConfig::default(),
        }
    }
}

pub struct Decoder {
    cfg: DecodeConfig,
    defrag: Defragmenter,
}

impl Decoder {
    pub fn new(cfg: DecodeConfig) -> Self {
        Decoder {
            cfg,
            defrag: Defragmenter::new(cfg.defrag),
        }
    }

    /// Decodes one packet captured at `ts_ns` on an interface of link type `linktype`.
    /// Anomalies found are appended to `anomalies` (the caller clears it between packets).
    pub fn decode<'a>(
        &'a mut self,
        ts_ns: i64,
        linktype: u32,
        data: &'a [u8],
        anomalies: &mut Vec<Anomaly>,
    ) -> Decoded<'a> {
        let mut walk = Walk {
            verify: self.cfg.verify_checksums,
            ts_ns,
            defrag: Some(&mut self.defrag),
            anomalies,
            link: LinkInfo::default(),
            tunnels: TunnelStack::default(),
            src: None,
            dst: None,
            csum_src: None,
            csum_dst: None,
            nest: 0,
        };
        walk.link_layer(linktype, data)
    }

    /// Expires stale fragments (call as packet time advances).
    pub fn expire(&mut self, now_ns: i64, anomalies: &mut Vec<Anomaly>) {
        self.defrag.expire(now_ns, anomalies)
    }

    pub fn defrag_stats(&self) -> crate::defrag::DefragStats {
        self.defrag.stats()
    }
}

/// Link types (numbers as in `netloupe_capture::linktype`; decode does not depend on capture).
mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const PPP: u32 = 9;
    pub const RAW_OLD: u32 = 12;
    pub const RAW_OPENBSD: u32 = 14;
    pub const PPP_HDLC: u32 = 50;
    pub const PPP_ETHER: u32 = 51;
    pub const RAW: u32 = 101;
    pub const C_HDLC: u32 = 104;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
    pub const FDDI: u32 = 10;
    pub const IEEE802_11: u32 = 105;
    pub const IEEE802_11_RADIOTAP: u32 = 127;
    pub const PPI: u32 = 192;
}

mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const QINQ_OLD2: u16 = 0x9200;
    pub const IPV6: u16 = 0x86dd;
    pub const PPP: u16 = 0x880b;
    pub const MPLS_UC: u16 = 0x8847;
    pub const MPLS_MC: u16 = 0x8848;
    pub const PPPOE_SESS: u16 = 0x8864;
    pub const TEB: u16 = 0x6558;
    pub const ERSPAN_2: u16 = 0x88be;
    pub const ERSPAN_3: u16 = 0x22eb;
    /// Cisco FabricPath / DCE: 2 bytes of FTag and TTL, then the original Ethernet frame.
    pub const FABRICPATH: u16 = 0x8903;
    /// Cisco VN-Tag: 4 bytes of tag, then the next ethertype.
    pub const VNTAG: u16 = 0x8926;
    /// Network Service Header (RFC 8300).
    pub const NSH: u16 = 0x894f;
    /// Aruba's GRE protocol numbers for tunnelled 802.11 frames.
    pub const ARUBA_FIRST: u16 = 0x8200;
    pub const ARUBA_LAST: u16 = 0x8216;
    /// Largest value of the 802.3 length field; anything up to here is not an ethertype.
    pub const MAX_8023_LEN: u16 = 1500;
}

/// VLAN tags accepted on one Ethernet frame.
const MAX_VLAN_TAGS: u32 = 8;
/// MPLS labels accepted in one stack.
const MAX_MPLS_LABELS: usize = 16;
/// IPv6 extension headers accepted before giving up.
const MAX_IPV6_EXT_HEADERS: usize = 16;
/// Link-layer re-entries (Ethernet inside MPLS pseudowires inside Ethernet ...) that do not
/// count as tunnel layers but must still be bounded.
const MAX_NEST: u8 = 16;
const VXLAN_PORT: u16 = 4789;
const GENEVE_PORT: u16 = 6081;
/// GTPv1-U (3GPP TS 29.281) registered UDP port, recognised as source or destination.
const GTPU_PORT: u16 = 2152;
/// GTPv1-U extension headers walked before giving up on a packet.
const MAX_GTP_EXT_HEADERS: usize = 16;

/// Names of non-IP ethertypes that are common and legitimate: counted as `NonIp(name)` rather
/// than as an unknown-ethertype anomaly.
fn ethertype_name(et: u16) -> Option<&'static str> {
    Some(match et {
        0x0842 => "wake_on_lan",
        0x2000 => "cdp",
        0x22f0 => "avtp",
        0x22f3 => "trill",
        0x6002 => "dec_mop",
        0x6003 => "decnet",
        0x6004 => "dec_lat",
        0x8035 => "rarp",
        0x809b => "appletalk",
        0x80f3 => "aarp",
        0x8137 | 0x8138 => "ipx",
        0x8808 => "ethernet_flow_control",
        0x8809 => "slow_protocols",
        0x8819 => "cobranet",
        0x8863 => "pppoe_discovery",
        0x886d => "intel_ans",
        0x8870 => "jumbo_llc",
        0x887b => "homeplug",
        0x888e => "eapol",
        0x8892 => "profinet",
        0x889a => "hyperscsi",
        0x88a2 => "aoe",
        0x88a4 => "ethercat",
        0x88b5 | 0x88b6 => "local_experimental",
        0x88b8 => "goose",
        0x88ba => "sv",
        0x88c7 => "preauth",
        0x88cc => "lldp",
        0x88d9 => "lltd",
        0x88dc => "wsmp",
        0x88e1 => "homeplug_av",
        0x88e3 => "mrp",
        0x88e5 => "macsec",
        0x88e7 => "pbb",
        0x88f5 => "mvrp",
        0x88f6 => "mmrp",
        0x88f7 => "ptp",
        0x88fb => "prp",
        0x8902 => "cfm",
        0x8906 => "fcoe",
        0x890d => "tdls",
        0x8914 => "fip",
        0x891d => "tte",
        0x892f => "hsr",
        0x893a => "ieee1905",
        0x9000 => "loopback",
        0x8899 => "realtek",
        0x8874 => "broadcom",
        0x88ab => "powerlink",
        0xcafe => "vlt",
        _ => return None,
    })
}

#[inline]
fn be16(d: &[u8], off: usize) -> Option<u16> {
    d.get(off..)?
        .first_chunk::<2>()
        .map(|b| u16::from_be_bytes(*b))
}

#[inline]
fn mac(d: &[u8], off: usize) -> Option<[u8; 6]> {
    d.get(off..)?.first_chunk::<6>().copied()
}

/// The highest code an ICMPv4 type defines, for the types in use (RFC 792, 950, 1256, 1812):
/// None for a type no standard defines.
fn icmp4_code_limit(icmp_type: u8) -> Option<u8> {
    Some(match icmp_type {
        // Destination unreachable: codes 0-15 (RFC 792, 1122, 1812).
        3 => 15,
        // Redirect: network, host, TOS+network, TOS+host.
        5 => 3,
        // Router advertisement: normal, or not routing common traffic (RFC 3344).
        9 => 16,
        // Time exceeded: in transit, in reassembly.
        11 => 1,
        // Parameter problem: pointer, missing option, bad length.
        12 => 2,
        0 | 4 | 8 | 10 | 13..=18 => 0,
        _ => return None,
    })
}

#[inline]
fn u32_len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How a fragment handed to the defragmenter came back.
enum Reassembly<'a> {
    Held,
    Complete(&'a [u8]),
    Dropped(AnomalyKind),
}

/// A layer decoder that a tunnel hands its inner bytes to.
type Inner<'a, 'v> = fn(&mut Walk<'a, 'v>, &'a [u8]) -> Decoded<'a>;

/// State of the decoding of one packet.
struct Walk<'a, 'v> {
    verify: bool,
    ts_ns: i64,
    /// Taken by the first reassembly: the reassembled datagram borrows the defragmenter for the
    /// rest of the packet's life.
    defrag: Option<&'a mut Defragmenter>,
    anomalies: &'v mut Vec<Anomaly>,
    link: LinkInfo,
    tunnels: TunnelStack,
    /// Addresses of the innermost IP header seen so far, for anomaly attribution.
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    /// Pseudo-header addresses when IPv6 extension headers replace the header's own: the
    /// home address option (RFC 6275) and the final hop of a routing header (RFC 8200 8.1).
    csum_src: Option<IpAddr>,
    csum_dst: Option<IpAddr>,
    nest: u8,
}

impl<'a, 'v> Walk<'a, 'v> {
    #[cold]
    fn anomaly(&mut self, kind: AnomalyKind, detail: AnomalyDetail) {
        self.anomalies.push(Anomaly {
            kind,
            src: self.src,
            dst: self.dst,
            detail,
        });
    }

    #[cold]
    fn drop(&mut self, kind: AnomalyKind, detail: AnomalyDetail) -> Decoded<'a> {
        self.anomaly(kind, detail);
        Decoded::Dropped(kind)
    }

    fn link_layer(&mut self, linktype: u32, data: &'a [u8]) -> Decoded<'a> {
        match linktype {
            linktype::ETHERNET => self.ethernet(data),
            linktype::RAW | linktype::RAW_OLD | linktype::RAW_OPENBSD => self.raw_ip(data),
            linktype::IPV4 => self.ipv4(data),
            linktype::IPV6 => self.ipv6(data),
            linktype::NULL => self.null(data, false),
            linktype::LOOP => self.null(data, true),
            linktype::LINUX_SLL => self.sll(data),
            linktype::LINUX_SLL2 => self.sll2(data),
            // Both PPP link types are also used for Cisco HDLC frames (address 0x0f/0x8f),
            // which no PPP frame starts with.
            linktype::PPP | linktype::PPP_HDLC => match data.first() {
                Some(0x0f | 0x8f) => self.chdlc(data),
                _ => self.ppp(data),
            },
            linktype::PPP_ETHER => self.pppoe_session(data),
            linktype::C_HDLC => self.chdlc(data),
            linktype::FDDI => self.fddi(data),
            linktype::IEEE802_11 => self.ieee80211(data),
            linktype::IEEE802_11_RADIOTAP => self.radiotap(data),
            linktype::PPI => self.ppi(data),
            _ => self.drop(
                AnomalyKind::UnknownLinkType,
                AnomalyDetail::Number(linktype.into()),
            ),
        }
    }

    fn raw_ip(&mut self, data: &'a [u8]) -> Decoded<'a> {
        match data.first().map(|b| b >> 4) {
            Some(4) => self.ipv4(data),
            Some(6) => self.ipv6(data),
            Some(v) => self.drop(AnomalyKind::BadIpVersion, AnomalyDetail::Number(v.into())),
            None => self.drop(AnomalyKind::TruncatedIpHeader, AnomalyDetail::Number(0)),
        }
    }

    /// BSD NULL (`network_order == false`: the writer's byte order) and OpenBSD LOOP.
    fn null(&mut self, data: &'a [u8], network_order: bool) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<4>() else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("null"),
            );
        };
        let family = if network_order {
            u32::from_be_bytes(*h)
        } else {
            // Address families are small numbers, so the byte order that yields one is the
            // writer's.
            let le = u32::from_le_bytes(*h);
            if le > 0xffff {
                u32::from_be_bytes(*h)
            } else {
                le
            }
        };
        let rest = &data[4..];
        match family {
            2 => self.ipv4(rest),
            // Linux, NetBSD/OpenBSD, FreeBSD, macOS/Darwin.
            10 | 24 | 28 | 30 => self.ipv6(rest),
            _ => self.drop(
                AnomalyKind::UnknownLinkProtocol,
                AnomalyDetail::Number(family.into()),
            ),
        }
    }

    fn sll(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<16>() else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("linux_sll"),
            );
        };
        let hatype = u16::from_be_bytes([h[2], h[3]]);
        if u16::from_be_bytes([h[4], h[5]]) == 6 {
            self.link.src_mac = mac(h, 6);
        }
        let proto = u16::from_be_bytes([h[14], h[15]]);
        self.sll_payload(hatype, proto, &data[16..])
    }

    fn sll2(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<20>() else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("linux_sll2"),
            );
        };
        let proto = u16::from_be_bytes([h[0], h[1]]);
        let hatype = u16::from_be_bytes([h[8], h[9]]);
        if h[11] == 6 {
            self.link.src_mac = mac(h, 12);
        }
        self.sll_payload(hatype, proto, &data[20..])
    }

    fn sll_payload(&mut self, hatype: u16, proto: u16, rest: &'a [u8]) -> Decoded<'a> {
        const ARPHRD_NETLINK: u16 = 824;
        if hatype == ARPHRD_NETLINK {
            return Decoded::NonIp("netlink");
        }
        // Below 0x600 the protocol field holds Linux ETH_P_* pseudo-protocols, not ethertypes.
        match proto {
            0x0001 | 0x0004 => Decoded::NonIp("llc"),
            0x000c | 0x000d => Decoded::NonIp("can"),
            p if p < 0x600 => Decoded::NonIp("linux_sll_other"),
            p => self.ethertype(p, rest),
        }
    }

    fn fddi(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<13>() else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("fddi"),
            );
        };
        self.link.dst_mac = mac(h, 1);
        self.link.src_mac = mac(h, 7);
        self.llc(&data[13..])
    }

    /// An 802.2 LLC frame: only SNAP with the ethertype OUIs leads back to an ethertype.
    fn llc(&mut self, data: &'a [u8]) -> Decoded<'a> {
        match data {
            [0xaa, 0xaa, 0x03, 0, 0, 0 | 0xf8, a, b, rest @ ..] => {
                self.ethertype(u16::from_be_bytes([*a, *b]), rest)
            }
            _ => Decoded::NonIp("llc"),
        }
    }

    fn radiotap(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<4>() else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("radiotap"),
            );
        };
        // A trailing FCS, when the flags field announces one, is left in place: the IP
        // length excludes it.
        match data.get(usize::from(u16::from_le_bytes([h[2], h[3]]))..) {
            Some(frame) => self.ieee80211(frame),
            None => self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("radiotap"),
            ),
        }
    }

    fn ppi(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<8>() else {
            return self.drop(AnomalyKind::TruncatedLinkHeader, AnomalyDetail::Text("ppi"));
        };
        let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
        let dlt = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        match data.get(len..) {
            Some(frame) if dlt == linktype::IEEE802_11 => self.ieee80211(frame),
            Some(frame) if dlt == linktype::ETHERNET => self.ethernet(frame),
            Some(_) => self.drop(
                AnomalyKind::UnknownLinkType,
                AnomalyDetail::Number(dlt.into()),
            ),
            None => self.drop(AnomalyKind::TruncatedLinkHeader, AnomalyDetail::Text("ppi")),
        }
    }

    /// An 802.11 frame: only unprotected data frames carry something decodable.
    fn ieee80211(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(&[fc0, flags]) = data.first_chunk::<2>() else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("802.11"),
            );
        };
        let subtype = fc0 >> 4;
        match (fc0 >> 2) & 3 {
            2 => {}
            0 => return Decoded::NonIp("wlan_management"),
            1 => return Decoded::NonIp("wlan_control"),
            _ => return Decoded::NonIp("wlan_other"),
        }
        // Subtypes with bit 2 set carry no data (null function, CF-ack/poll only).
        if subtype & 0x4 != 0 {
            return Decoded::NonIp("wlan_null");
        }
        if flags & 0x40 != 0 {
            return Decoded::NonIp("wlan_protected");
        }
        let (to_ds, from_ds) = (flags & 1 != 0, flags & 2 != 0);
        let qos = subtype & 0x8 != 0;
        let mut header_len = 24;
        if to_ds && from_ds {
            header_len += 6;
        }
        if qos {
            header_len += 2;
            // The order bit on a QoS frame announces an HT control field.
            if flags & 0x80 != 0 {
                header_len += 4;
            }
        }
        let Some(header) = data.get(..header_len) else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("802.11"),
            );
        };
        if qos
            && header
                .get(header_len - 2 - if flags & 0x80 != 0 { 4 } else { 0 })
                .is_some_and(|b| b & 0x80 != 0)
        {
            return Decoded::NonIp("wlan_amsdu");
        }
        let (dst_at, src_at) = match (to_ds, from_ds) {
            (false, false) => (4, 10),
            (true, false) => (16, 10),
            (false, true) => (4, 16),
            (true, true) => (16, 24),
        };
        self.link.dst_mac = mac(header, dst_at);
        self.link.src_mac = mac(header, src_at);
        self.llc(&data[header_len..])
    }

    fn chdlc(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(proto) = be16(data, 2) else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("chdlc"),
            );
        };
        self.ethertype(proto, &data[4..])
    }

    /// A PPP frame, with or without the HDLC address/control bytes and with a 1- or 2-byte
    /// protocol field.
    fn ppp(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let data = match data {
            [0xff, 0x03, rest @ ..] => rest,
            _ => data,
        };
        let (proto, rest) = match data {
            // An odd first byte is a complete (compressed, RFC 1661 PFC) protocol number.
            [b, rest @ ..] if b & 1 == 1 => (u16::from(*b), rest),
            [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
            _ => return self.drop(AnomalyKind::TruncatedLinkHeader, AnomalyDetail::Text("ppp")),
        };
        match proto {
            0x0021 => self.ipv4(rest),
            0x0057 => self.ipv6(rest),
            0x0281 | 0x0283 => self.mpls(rest),
            0x002b => Decoded::NonIp("ppp_ipx"),
            0x00fd | 0x00fb => Decoded::NonIp("ppp_compressed"),
            0x8000..=0xffff => Decoded::NonIp("ppp_control"),
            p => self.drop(
                AnomalyKind::UnknownPppProtocol,
                AnomalyDetail::Number(p.into()),
            ),
        }
    }

    fn pppoe_session(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<6>() else {
            return self.drop(AnomalyKind::TruncatedPppoe, AnomalyDetail::None);
        };
        let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
        let body = &data[6..];
        // The length field bounds the PPP frame; Ethernet padding may follow it.
        let body = body.get(..len).unwrap_or(body);
        self.ppp(body)
    }

    fn ethernet(&mut self, data: &'a [u8]) -> Decoded<'a> {
        self.nest += 1;
        if self.nest > MAX_NEST {
            return self.drop(
                AnomalyKind::TunnelTooDeep,
                AnomalyDetail::Text("link layer nesting"),
            );
        }
        let Some(h) = data.first_chunk::<14>() else {
            return self.drop(
                AnomalyKind::TruncatedLinkHeader,
                AnomalyDetail::Text("ethernet"),
            );
        };
        self.link.dst_mac = mac(h, 0);
        self.link.src_mac = mac(h, 6);
        self.ethertype(u16::from_be_bytes([h[12], h[13]]), &data[14..])
    }

    fn ethertype(&mut self, mut et: u16, mut data: &'a [u8]) -> Decoded<'a> {
        let mut tags = 0;
        loop {
            match et {
                ethertype::IPV4 => return self.ipv4(data),
                ethertype::IPV6 => return self.ipv6(data),
                ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD | ethertype::QINQ_OLD2 => {
                    let (Some(tci), Some(next)) = (be16(data, 0), be16(data, 2)) else {
                        return self.drop(
                            AnomalyKind::TruncatedLinkHeader,
                            AnomalyDetail::Text("vlan"),
                        );
                    };
                    tags += 1;
                    if tags > MAX_VLAN_TAGS {
                        return self.drop(
                            AnomalyKind::TooManyVlanTags,
                            AnomalyDetail::Number(tags.into()),
                        );
                    }
                    let vid = tci & 0x0fff;
                    if self.link.vlan.is_none() {
                        self.link.vlan = Some(vid);
                    } else if self.link.inner_vlan.is_none() {
                        self.link.inner_vlan = Some(vid);
                    }
                    et = next;
                    data = &data[4..];
                }
                ethertype::ARP => return self.arp(data),
                ethertype::NSH => return self.nsh(data),
                ethertype::MPLS_UC | ethertype::MPLS_MC => return self.mpls(data),
                ethertype::PPPOE_SESS => return self.pppoe_session(data),
                ethertype::PPP => return self.ppp(data),
                ethertype::FABRICPATH => {
                    return match data.get(2..) {
                        Some(frame) => self.ethernet(frame),
                        None => self.drop(
                            AnomalyKind::TruncatedLinkHeader,
                            AnomalyDetail::Text("fabricpath"),
                        ),
                    }
                }
                ethertype::VNTAG => {
                    let Some(next) = be16(data, 4) else {
                        return self.drop(
                            AnomalyKind::TruncatedLinkHeader,
                            AnomalyDetail::Text("vntag"),
                        );
                    };
                    et = next;
                    data = &data[6..];
                }
                len if len <= ethertype::MAX_8023_LEN => return self.llc(data),
                other => {
                    return match ethertype_name(other) {
                        Some(name) => Decoded::NonIp(name),
                        None => self.drop(
                            AnomalyKind::UnknownEtherType,
                            AnomalyDetail::Number(other.into()),
                        ),
                    }
                }
            }
        }
    }

    /// Network Service Header (RFC 8300): base header (version, length in 4-byte words, MD type,
    /// next protocol), service path header, context headers; then the next protocol.
    fn nsh(&mut self, data: &'a [u8]) -> Decoded<'a> {
        self.nest += 1;
        if self.nest > MAX_NEST {
            return self.drop(
                AnomalyKind::TunnelTooDeep,
                AnomalyDetail::Text("link layer nesting"),
            );
        }
        let Some(h) = data.first_chunk::<8>() else {
            return self.drop(AnomalyKind::TruncatedLinkHeader, AnomalyDetail::Text("nsh"));
        };
        let version = h[0] >> 6;
        let words = usize::from(h[1] & 0x3f);
        let md_type = h[2] & 0x0f;
        // MD type 1 has four fixed context words; type 2 variable-length ones.
        let len_ok = match md_type {
            1 => words == 6,
            2 => words >= 2,
            _ => false,
        };
        if version != 0 || !len_ok {
            return self.drop(
                AnomalyKind::UnknownLinkProtocol,
                AnomalyDetail::Text("nsh header"),
            );
        }
        let Some(inner) = data.get(words * 4..) else {
            return self.drop(AnomalyKind::TruncatedLinkHeader, AnomalyDetail::Text("nsh"));
        };
        match h[3] {
            1 => self.ipv4(inner),
            2 => self.ipv6(inner),
            3 => self.ethernet(inner),
            4 => self.nsh(inner),
            5 => self.mpls(inner),
            other => self.drop(
                AnomalyKind::UnknownLinkProtocol,
                AnomalyDetail::Number(other.into()),
            ),
        }
    }

    fn mpls(&mut self, mut data: &'a [u8]) -> Decoded<'a> {
        self.nest += 1;
        if self.nest > MAX_NEST {
            return self.drop(
                AnomalyKind::TunnelTooDeep,
                AnomalyDetail::Text("link layer nesting"),
            );
        }
        for _ in 0..MAX_MPLS_LABELS {
            let Some((label, rest)) = data.split_first_chunk::<4>() else {
                return self.drop(
                    AnomalyKind::BadMplsStack,
                    AnomalyDetail::Text("truncated label stack"),
                );
            };
            data = rest;
            if label[2] & 1 == 0 {
                continue;
            }
            // MPLS does not say what it carries: guess from the first nibble.
            return match data.first().map(|b| b >> 4) {
                Some(4) => self.ipv4(data),
                Some(6) => self.ipv6(data),
                // Pseudowire control word, then an Ethernet frame.
                Some(0) => match data.get(4..) {
                    Some(frame) => self.ethernet(frame),
                    None => self.drop(
                        AnomalyKind::BadMplsStack,
                        AnomalyDetail::Text("truncated control word"),
                    ),
                },
                Some(_) => self.drop(
                    AnomalyKind::BadMplsStack,
                    AnomalyDetail::Text("unknown payload"),
                ),
                None => self.drop(AnomalyKind::BadMplsStack, AnomalyDetail::Text("no payload")),
            };
        }
        self.drop(
            AnomalyKind::BadMplsStack,
            AnomalyDetail::Text("too many labels"),
        )
    }

    fn arp(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<8>() else {
            return self.drop(AnomalyKind::ArpTruncated, AnomalyDetail::None);
        };
        let ptype = u16::from_be_bytes([h[2], h[3]]);
        if h[4] != 6 || h[5] != 4 || ptype != ethertype::IPV4 {
            return Decoded::NonIp("arp_other");
        }
        let Some(b) = data.first_chunk::<28>() else {
            return self.drop(AnomalyKind::ArpTruncated, AnomalyDetail::None);
        };
        let ip = |o: usize| Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]);
        let arp = ArpPacket {
            opcode: u16::from_be_bytes([h[6], h[7]]),
            sender_mac: mac(b, 8).unwrap_or_default(),
            sender_ip: ip(14),
            target_mac: mac(b, 18).unwrap_or_default(),
            target_ip: ip(24),
        };
        Decoded::Arp(self.link, arp)
    }

    fn reassemble(&mut self, frag: Fragment<'_>) -> Reassembly<'a> {
        let Some(defrag) = self.defrag.take() else {
            self.anomaly(AnomalyKind::NestedFragment, AnomalyDetail::None);
            return Reassembly::Dropped(AnomalyKind::NestedFragment);
        };
        let before = self.anomalies.len();
        match defrag.push(self.ts_ns, frag, self.anomalies) {
            DefragOutcome::Held => Reassembly::Held,
            DefragOutcome::Complete(payload) => Reassembly::Complete(payload),
            DefragOutcome::Dropped(kind) => {
                // Every drop must be countable from the anomalies.
                if self.anomalies.len() == before {
                    self.anomaly(kind, AnomalyDetail::None);
                }
                Reassembly::Dropped(kind)
            }
        }
    }

    fn ipv4(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<20>() else {
            return match data.first() {
                Some(b) if b >> 4 != 4 => self.drop(
                    AnomalyKind::BadIpVersion,
                    AnomalyDetail::Number((b >> 4).into()),
                ),
                _ => self.drop(
                    AnomalyKind::TruncatedIpHeader,
                    AnomalyDetail::Number(data.len() as u64),
                ),
            };
        };
        if h[0] >> 4 != 4 {
            return self.drop(
                AnomalyKind::BadIpVersion,
                AnomalyDetail::Number((h[0] >> 4).into()),
            );
        }
        let src = IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15]));
        let dst = IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19]));
        self.src = Some(src);
        self.dst = Some(dst);
        (self.csum_src, self.csum_dst) = (None, None);
        let hlen = usize::from(h[0] & 0x0f) * 4;
        if hlen < 20 {
            return self.drop(
                AnomalyKind::BadIpHeaderLength,
                AnomalyDetail::Number(hlen as u64),
            );
        }
        let Some(hdr) = data.get(..hlen) else {
            return self.drop(
                AnomalyKind::TruncatedIpHeader,
                AnomalyDetail::Number(data.len() as u64),
            );
        };
        let mut total = usize::from(u16::from_be_bytes([h[2], h[3]]));
        if total == 0 {
            // Segmentation offload hands the capture a super-segment with no length yet.
            self.anomaly(AnomalyKind::IpLenZero, AnomalyDetail::None);
            total = data.len();
        }
        if total < hlen {
            return self.drop(
                AnomalyKind::IpTotalLengthMismatch,
                AnomalyDetail::Number(total as u64),
            );
        }
        if self.verify && checksum::fold(checksum::sum(hdr)) != 0xffff {
            return self.drop(AnomalyKind::BadIpChecksum, AnomalyDetail::None);
        }
        if hlen > 20 {
            self.ipv4_options(&hdr[20..]);
        }
        let truncated = data.len() < total;
        if truncated {
            self.anomaly(
                AnomalyKind::TruncatedIp,
                AnomalyDetail::Number(total as u64),
            );
        }
        // Bytes past the total length are link-layer padding.
        let body = &data[hlen..total.min(data.len())];
        let proto = h[9];
        let frag = u16::from_be_bytes([h[6], h[7]]);
        let mut ip = IpLayer {
            src,
            dst,
            proto,
            ttl: h[8],
            ip_len: u32_len(total),
            reassembled: false,
            dont_fragment: frag & 0x4000 != 0,
        };
        let more = frag & 0x2000 != 0;
        let offset = u32::from(frag & 0x1fff) * 8;
        if more || offset != 0 {
            if truncated {
                // Reassembling a partial fragment would forge data; TruncatedIp is reported.
                return Decoded::Dropped(AnomalyKind::TruncatedIp);
            }
            let key = FragmentKey {
                src,
                dst,
                id: u32::from(u16::from_be_bytes([h[4], h[5]])),
                proto,
            };
            return match self.reassemble(Fragment {
                key,
                offset,
                more,
                data: body,
            }) {
                Reassembly::Held => Decoded::FragmentHeld,
                Reassembly::Dropped(kind) => Decoded::Dropped(kind),
                Reassembly::Complete(payload) => {
                    ip.ip_len = u32_len(hlen + payload.len());
                    ip.reassembled = true;
                    self.transport(ip, payload, payload.len())
                }
            };
        }
        self.transport(ip, body, total - hlen)
    }

    fn ipv4_options(&mut self, mut opts: &[u8]) {
        while let Some(&kind) = opts.first() {
            match kind {
                0 => break,
                1 => opts = &opts[1..],
                _ => match opts.get(1).map(|&l| usize::from(l)) {
                    Some(len) if len >= 2 && len <= opts.len() => opts = &opts[len..],
                    _ => {
                        self.anomaly(
                            AnomalyKind::BadIpv4Option,
                            AnomalyDetail::Number(kind.into()),
                        );
                        break;
                    }
                },
            }
        }
    }

    fn ipv6(&mut self, data: &'a [u8]) -> Decoded<'a> {
        let Some(h) = data.first_chunk::<40>() else {
            return match data.first() {
                Some(b) if b >> 4 != 6 => self.drop(
                    AnomalyKind::BadIpVersion,
                    AnomalyDetail::Number((b >> 4).into()),
                ),
                _ => self.drop(
                    AnomalyKind::TruncatedIpHeader,
                    AnomalyDetail::Number(data.len() as u64),
                ),
            };
        };
        if h[0] >> 4 != 6 {
            return self.drop(
                AnomalyKind::BadIpVersion,
                AnomalyDetail::Number((h[0] >> 4).into()),
            );
        }
        let addr = |o: usize| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&h[o..o + 16]);
            IpAddr::V6(Ipv6Addr::from(a))
        };
        let (src, dst) = (addr(8), addr(24));
        self.src = Some(src);
        self.dst = Some(dst);
        (self.csum_src, self.csum_dst) = (None, None);
        let mut nh = h[6];
        let captured = &data[40..];
        let payload_len = usize::from(u16::from_be_bytes([h[4], h[5]]));
        // A zero payload length with a hop-by-hop header is a jumbogram (RFC 2675); its real
        // length lives in an option, and the captured length is as good.
        let stated = if payload_len == 0 && nh == ipproto::HOPOPT {
            captured.len()
        } else {
            payload_len
        };
        let truncated = captured.len() < stated;
        if truncated {
            self.anomaly(
                AnomalyKind::TruncatedIp,
                AnomalyDetail::Number((stated + 40) as u64),
            );
        }
        let mut body = &captured[..stated.min(captured.len())];
        let mut remaining = stated;
        let mut header_bytes = 40usize;
        let mut ip = IpLayer {
            src,
            dst,
            proto: nh,
            ttl: h[7],
            ip_len: u32_len(stated + 40),
            reassembled: false,
            dont_fragment: false,
        };
        let mut count = 0;
        loop {
            let len = match nh {
                ipproto::HOPOPT | ipproto::ROUTING | ipproto::DSTOPTS | ipproto::AH => {
                    let ext_len = match body.get(1) {
                        Some(&l) => usize::from(l),
                        None if remaining < 2 => {
                            return self.drop(
                                AnomalyKind::BadIpv6ExtensionHeader,
                                AnomalyDetail::Number(nh.into()),
                            )
                        }
                        None => {
                            return self.drop(
                                AnomalyKind::TruncatedIpHeader,
                                AnomalyDetail::Number(nh.into()),
                            )
                        }
                    };
                    if nh == ipproto::AH {
                        (ext_len + 2) * 4
                    } else {
                        (ext_len + 1) * 8
                    }
                }
                ipproto::FRAGMENT => 8,
                _ => break,
            };
            count += 1;
            if count > MAX_IPV6_EXT_HEADERS {
                return self.drop(
                    AnomalyKind::Ipv6ExtensionHeaderChainTooLong,
                    AnomalyDetail::Number(count as u64),
                );
            }
            if len > remaining {
                return self.drop(
                    AnomalyKind::BadIpv6ExtensionHeader,
                    AnomalyDetail::Number(nh.into()),
                );
            }
            let Some((ext, rest)) = body.split_at_checked(len) else {
                return self.drop(
                    AnomalyKind::TruncatedIpHeader,
                    AnomalyDetail::Number(nh.into()),
                );
            };
            let this = nh;
            nh = ext[0];
            body = rest;
            remaining -= len;
            if this != ipproto::FRAGMENT {
                header_bytes += len;
                match this {
                    ipproto::ROUTING => self.routing_final_destination(ext),
                    ipproto::DSTOPTS => self.home_address_option(ext),
                    _ => {}
                }
                continue;
            }
            let offflags = u16::from_be_bytes([ext[2], ext[3]]);
            let offset = u32::from(offflags & 0xfff8);
            let more = offflags & 1 != 0;
            if offset == 0 && !more {
                // Atomic fragment (RFC 6946): a whole datagram that merely carries the header.
                continue;
            }
            if truncated {
                return Decoded::Dropped(AnomalyKind::TruncatedIp);
            }
            let id = u32::from_be_bytes([ext[4], ext[5], ext[6], ext[7]]);
            let key = FragmentKey {
                src,
                dst,
                id,
                proto: nh,
            };
            match self.reassemble(Fragment {
                key,
                offset,
                more,
                data: body,
            }) {
                Reassembly::Held => return Decoded::FragmentHeld,
                Reassembly::Dropped(kind) => return Decoded::Dropped(kind),
                Reassembly::Complete(payload) => {
                    body = payload;
                    remaining = payload.len();
                    ip.ip_len = u32_len(header_bytes + payload.len());
                    ip.reassembled = true;
                }
            }
        }
        ip.proto = nh;
        self.transport(ip, body, remaining)
    }

    fn routing_final_destination(&mut self, ext: &[u8]) {
        let (Some(&routing_type), Some(&segments_left)) = (ext.get(2), ext.get(3)) else {
            return;
        };
        if segments_left == 0 {
            return;
        }
        let final_hop = match routing_type {
            // Type 0 and type 2 list the remaining hops in order: the last is the destination.
            0 | 2 if ext.len() >= 24 => ext.get(ext.len() - 16..),
            // Segment routing lists segments in reverse: entry 0 is the destination.
            4 => ext.get(8..24),
            _ => None,
        };
        if let Some(a) = final_hop.and_then(|a| a.first_chunk::<16>()) {
            self.csum_dst = Some(IpAddr::V6(Ipv6Addr::from(*a)));
        }
    }

    fn home_address_option(&mut self, ext: &[u8]) {
        const HOME_ADDRESS: u8 = 0xc9;
        let mut opts = ext.get(2..).unwrap_or_default();
        while let Some(&kind) = opts.first() {
            if kind == 0 {
                opts = &opts[1..];
                continue;
            }
            let Some(len) = opts.get(1).map(|&l| usize::from(l) + 2) else {
                return;
            };
            let Some(opt) = opts.get(..len) else { return };
            if kind == HOME_ADDRESS {
                if let Some(a) = opt[2..].first_chunk::<16>() {
                    self.csum_src = Some(IpAddr::V6(Ipv6Addr::from(*a)));
                }
                return;
            }
            opts = &opts[len..];
        }
    }

    /// `seg` is the captured transport segment (already capped at the IP-stated length),
    /// `stated` the length the IP layer gives it.
    fn transport(&mut self, ip: IpLayer, seg: &'a [u8], stated: usize) -> Decoded<'a> {
        match ip.proto {
            ipproto::TCP => self.tcp(ip, seg, stated),
            ipproto::UDP => self.udp(ip, seg, stated),
            ipproto::ICMP => self.icmp(ip, seg, stated, false),
            ipproto::ICMPV6 => self.icmp(ip, seg, stated, true),
            ipproto::SCTP => self.sctp(ip, seg, stated),
            ipproto::IPIP | ipproto::IPV6 => self.ip_in_ip(ip, seg, stated),
            ipproto::GRE => self.gre(ip, seg, stated),
            _ => self.opaque(ip, seg, stated),
        }
    }

    fn packet(
        &self,
        ip: IpLayer,
        transport: Transport,
        payload: &'a [u8],
        payload_len: usize,
        bad_checksum: bool,
    ) -> Decoded<'a> {
        Decoded::Ip(IpPacket {
            link: self.link,
            ip,
            transport,
            payload,
            payload_len: u32_len(payload_len),
            tunnels: self.tunnels,
            bad_checksum,
        })
    }

    fn opaque(&self, ip: IpLayer, seg: &'a [u8], stated: usize) -> Decoded<'a> {
        self.packet(ip, Transport::Other, seg, stated, false)
    }

    fn pseudo_header(&self, ip: &IpLayer, proto: u8, len: usize) -> u64 {
        checksum::pseudo_header(
            self.csum_src.unwrap_or(ip.src),
            self.csum_dst.unwrap_or(ip.dst),
            proto,
            len,
        )
    }

    /// Transport checksum over `seg` with the pseudo-header of `ip`.
    fn l4_checksum_ok(&self, ip: &IpLayer, proto: u8, seg: &[u8]) -> bool {
        checksum::fold(self.pseudo_header(ip, proto, seg.len()) + checksum::sum(seg)) == 0xffff
    }

    fn land(&mut self, ip: &IpLayer, sport: u16, dport: u16) {
        if ip.src == ip.dst && sport == dport {
            self.anomaly(AnomalyKind::LandAttack, AnomalyDetail::Number(sport.into()));
        }
    }

    fn tcp(&mut self, ip: IpLayer, seg: &'a [u8], stated: usize) -> Decoded<'a> {
        let Some(h) = seg.first_chunk::<20>() else {
            return self.drop(
                AnomalyKind::TruncatedTcpHeader,
                AnomalyDetail::Number(seg.len() as u64),
            );
        };
        let header_len = usize::from(h[12] >> 4) * 4;
        if header_len < 20 || header_len > stated {
            return self.drop(
                AnomalyKind::BadTcpHeaderLength,
                AnomalyDetail::Number(header_len as u64),
            );
        }
        let flags = h[13];
        let mut tcp = TcpHeader {
            src_port: u16::from_be_bytes([h[0], h[1]]),
            dst_port: u16::from_be_bytes([h[2], h[3]]),
            seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
            flags,
            window: u16::from_be_bytes([h[14], h[15]]),
            header_len: header_len as u8,
            ..TcpHeader::default()
        };
        // A snap length may cut the options; the truncation is already reported by IP.
        let cut = seg.len() < header_len;
        if header_len > 20 {
            let opts = seg
                .get(20..header_len)
                .unwrap_or(seg.get(20..).unwrap_or_default());
            self.tcp_options(opts, &mut tcp, cut);
        }
        self.tcp_flag_anomalies(flags);
        self.land(&ip, tcp.src_port, tcp.dst_port);
        let bad =
            self.verify && seg.len() == stated && !self.l4_checksum_ok(&ip, ipproto::TCP, seg);
        if bad {
            self.anomaly(AnomalyKind::BadTcpChecksum, AnomalyDetail::None);
        }
        let payload = seg.get(header_len..).unwrap_or_default();
        self.packet(ip, Transport::Tcp(tcp), payload, stated - header_len, bad)
    }

    fn tcp_flag_anomalies(&mut self, flags: u8) {
        use tcpflags::*;
        let all = |mask: u8| flags & mask == mask;
        if all(SYN | FIN) {
            self.anomaly(
                AnomalyKind::TcpSynWithFin,
                AnomalyDetail::Number(flags.into()),
            );
        }
        if all(SYN | RST) {
            self.anomaly(
                AnomalyKind::TcpSynWithRst,
                AnomalyDetail::Number(flags.into()),
            );
        }
        if all(FIN | RST) {
            self.anomaly(
                AnomalyKind::TcpFinWithRst,
                AnomalyDetail::Number(flags.into()),
            );
        }
        if flags & (FIN | SYN | RST | PSH | ACK | URG) == 0 {
            self.anomaly(AnomalyKind::TcpNoFlags, AnomalyDetail::Number(flags.into()));
        }
        if all(FIN | PSH | URG) {
            self.anomaly(AnomalyKind::TcpXmas, AnomalyDetail::Number(flags.into()));
        }
    }

    fn tcp_options(&mut self, mut opts: &[u8], tcp: &mut TcpHeader, cut: bool) {
        while let Some(&kind) = opts.first() {
            match kind {
                0 => break,
                1 => opts = &opts[1..],
                _ => {
                    let len = opts.get(1).map(|&l| usize::from(l));
                    let len = match len {
                        Some(len) if len >= 2 && len <= opts.len() => len,
                        _ => {
                            // Running into the snap length is not the sender's fault.
                            if !(cut && len.is_none_or(|l| l >= 2)) {
                                self.anomaly(
                                    AnomalyKind::BadTcpOption,
                                    AnomalyDetail::Number(kind.into()),
                                );
                            }
                            break;
                        }
                    };
                    let value = &opts[2..len];
                    match (kind, value) {
                        (2, &[a, b]) => tcp.mss = Some(u16::from_be_bytes([a, b])),
                        (3, &[shift]) => tcp.window_scale = Some(shift),
                        (4, []) => tcp.sack_permitted = true,
                        (8, &[a, b, c, d, ..]) if value.len() == 8 => {
                            tcp.ts_val = Some(u32::from_be_bytes([a, b, c, d]))
                        }
                        (2 | 3 | 4 | 8, _) => self.anomaly(
                            AnomalyKind::BadTcpOption,
                            AnomalyDetail::Number(kind.into()),
                        ),
                        _ => {}
                    }
                    opts = &opts[len..];
                }
            }
        }
    }

    fn udp(&mut self, ip: IpLayer, seg: &'a [u8], stated: usize) -> Decoded<'a> {
        let Some(h) = seg.first_chunk::<8>() else {
            return self.drop(
                AnomalyKind::TruncatedUdpHeader,
                AnomalyDetail::Number(seg.len() as u64),
            );
        };
        let src_port = u16::from_be_bytes([h[0], h[1]]);
        let dst_port = u16::from_be_bytes([h[2], h[3]]);
        let udp_len = usize::from(u16::from_be_bytes([h[4], h[5]]));
        let len_ok = udp_len >= 8 && udp_len <= stated;
        let datagram_len = if len_ok {
            udp_len
        } else {
            self.anomaly(
                AnomalyKind::BadUdpLength,
                AnomalyDetail::Number(udp_len as u64),
            );
            stated
        };
        self.land(&ip, src_port, dst_port);
        let captured_end = datagram_len.min(seg.len());
        let payload = &seg[8..captured_end];
        let tunnel_port = dst_port == VXLAN_PORT || dst_port == GENEVE_PORT;
        let gtp_port = dst_port == GTPU_PORT || src_port == GTPU_PORT;
        let bad = self.verify && len_ok && seg.len() >= datagram_len && {
            match u16::from_be_bytes([h[6], h[7]]) {
                // No checksum: allowed over IPv4, and over IPv6 for tunnels (RFC 6935).
                0 => ip.src.is_ipv6() && !tunnel_port,
                _ => !self.l4_checksum_ok(&ip, ipproto::UDP, &seg[..datagram_len]),
            }
        };
        if bad {
            self.anomaly(AnomalyKind::BadUdpChecksum, AnomalyDetail::None);
        }
        let transport = Transport::Udp { src_port, dst_port };
        let outer = self.packet(ip, transport, payload, datagram_len - 8, bad);
        if bad || !(tunnel_port || gtp_port) {
            return outer;
        }
        let layer = TunnelLayer {
            kind: TunnelKind::Vxlan,
            src: ip.src,
            dst: ip.dst,
            proto: ipproto::UDP,
            src_port,
            dst_port,
            ip_len: ip.ip_len,
            payload_len: (datagram_len - 8) as u32,
            inner_len: 0,
        };
        if dst_port == VXLAN_PORT {
            self.vxlan(layer, payload, outer)
        } else if dst_port == GENEVE_PORT {
            self.geneve(
                TunnelLayer {
                    kind: TunnelKind::Geneve,
                    ..layer
                },
                payload,
                outer,
            )
        } else {
            self.gtpu(
                TunnelLayer {
                    kind: TunnelKind::Gtp,
                    ..layer
                },
                payload,
                datagram_len - 8,
                outer,
            )
        }
    }

    fn icmp(&mut self, ip: IpLayer, seg: &'a [u8], stated: usize, v6: bool) -> Decoded<'a> {
        let Some(h) = seg.first_chunk::<4>() else {
            return self.drop(
                AnomalyKind::TruncatedIcmpHeader,
                AnomalyDetail::Number(seg.len() as u64),
            );
        };
        let bad = self.verify && seg.len() == stated && {
            let sum = checksum::sum(seg);
            let sum = if v6 {
                sum + self.pseudo_header(&ip, ipproto::ICMPV6, seg.len())
            } else {
                sum
            };
            checksum::fold(sum) != 0xffff
        };
        if bad {
            self.anomaly(AnomalyKind::BadIcmpChecksum, AnomalyDetail::None);
        }
        // Only whole messages are judged (a datagram cut short is reported as such).
        if !v6 && seg.len() >= stated {
            match icmp4_code_limit(h[0]) {
                None => self.anomaly(
                    AnomalyKind::UnknownIcmpType,
                    AnomalyDetail::Number(h[0].into()),
                ),
                Some(max) if h[1] > max => self.anomaly(
                    AnomalyKind::UnknownIcmpCode,
                    AnomalyDetail::Number(h[1].into()),
                ),
                Some(_) => {}
            }
        }
        let header_len = seg.len().min(8);
        let icmp = IcmpHeader {
            v6,
            icmp_type: h[0],
            code: h[1],
        };
        self.packet(
            ip,
            Transport::Icmp(icmp),
            &seg[header_len..],
            stated.saturating_sub(8),
            bad,
        )
    }

    fn sctp(&mut self, ip: IpLayer, seg: &'a [u8], stated: usize) -> Decoded<'a> {
        let Some(h) = seg.first_chunk::<12>() else {
            return self.drop(
                AnomalyKind::TruncatedSctpHeader,
                AnomalyDetail::Number(seg.len() as u64),
            );
        };
        let src_port = u16::from_be_bytes([h[0], h[1]]);
        let dst_port = u16::from_be_bytes([h[2], h[3]]);
        self.packet(
            ip,
            Transport::Sctp { src_port, dst_port },
            &seg[12..],
            stated - 12,
            false,
        )
    }

    /// Decodes the inner packet of a tunnel with `inner`; when that yields no flow, the outer
    /// packet `outer` is returned instead so that the packet is still accounted for (the inner
    /// failure has been reported as an anomaly).
    fn tunnel(
        &mut self,
        layer: TunnelLayer,
        outer: Decoded<'a>,
        inner: Inner<'a, 'v>,
        data: &'a [u8],
    ) -> Decoded<'a> {
        if self.tunnels.len() >= MAX_TUNNEL_DEPTH {
            self.anomaly(
                AnomalyKind::TunnelTooDeep,
                AnomalyDetail::Number(self.tunnels.len() as u64),
            );
            return outer;
        }
        let saved = (self.link, self.tunnels, self.src, self.dst);
        self.tunnels.push(TunnelLayer {
            inner_len: u32_len(data.len()),
            ..layer
        });
        let udp = layer.proto == ipproto::UDP;
        match inner(self, data) {
            d @ (Decoded::Ip(_) | Decoded::FragmentHeld) => d,
            // ARP inside a UDP tunnel (VXLAN, Geneve): the outer UDP datagram is still a
            // packet of its connection, which is what gets tracked.
            d @ Decoded::Arp(..) if !udp => d,
            Decoded::Arp(..) | Decoded::Dropped(_) | Decoded::NonIp(_) => {
                (self.link, self.tunnels, self.src, self.dst) = saved;
                outer
            }
        }
    }

    fn ip_in_ip(&mut self, ip: IpLayer, seg: &'a [u8], stated: usize) -> Decoded<'a> {
        let outer = self.opaque(ip, seg, stated);
        let layer = TunnelLayer {
            kind: TunnelKind::IpInIp,
            src: ip.src,
            dst: ip.dst,
            proto: ip.proto,
            src_port: 0,
            dst_port: 0,
            ip_len: ip.ip_len,
            payload_len: 0,
            inner_len: 0,
        };
        let inner: Inner<'a, 'v> = if ip.proto == ipproto::IPIP {
            Self::ipv4
        } else {
            Self::ipv6
        };
        self.tunnel(layer, outer, inner, seg)
    }

    fn gre(&mut self, ip: IpLayer, seg: &'a [u8], stated: usize) -> Decoded<'a> {
        const CSUM: u16 = 0x8000;
        const ROUTING: u16 = 0x4000;
        const KEY: u16 = 0x2000;
        const SEQ: u16 = 0x1000;
        const ACK: u16 = 0x0080;
        let outer = self.opaque(ip, seg, stated);
        let (Some(flags), Some(proto)) = (be16(seg, 0), be16(seg, 2)) else {
            self.anomaly(AnomalyKind::TruncatedGre, AnomalyDetail::None);
            return outer;
        };
        let mut off = 4usize;
        let mut pptp_len = None;
        match flags & 7 {
            0 => {
                for (bit, len) in [(CSUM | ROUTING, 4), (KEY, 4), (SEQ, 4)] {
                    if flags & bit != 0 {
                        off += len;
                    }
                }
                if flags & ROUTING != 0 {
                    // Source route entries (RFC 1701), ended by a null entry.
                    let mut entries = 0;
                    loop {
                        let (Some(family), Some(&len)) = (be16(seg, off), seg.get(off + 3)) else {
                            self.anomaly(AnomalyKind::TruncatedGre, AnomalyDetail::Text("routing"));
                            return outer;
                        };
                        off += 4 + usize::from(len);
                        entries += 1;
                        if (family == 0 && len == 0) || entries > 16 {
                            break;
                        }
                    }
                }
            }
            1 => {
                // Enhanced GRE (PPTP, RFC 2637): key holds payload length and call id.
                if proto != ethertype::PPP || flags & KEY == 0 {
                    self.anomaly(
                        AnomalyKind::UnknownGreProtocol,
                        AnomalyDetail::Number(proto.into()),
                    );
                    return outer;
                }
                pptp_len = be16(seg, 4);
                off += 4;
                if flags & SEQ != 0 {
                    off += 4;
                }
                if flags & ACK != 0 {
                    off += 4;
                }
            }
            v => {
                self.anomaly(
                    AnomalyKind::UnknownGreVersion,
                    AnomalyDetail::Number(v.into()),
                );
                return outer;
            }
        }
        let Some(mut body) = seg.get(off..) else {
            self.anomaly(AnomalyKind::TruncatedGre, AnomalyDetail::None);
            return outer;
        };
        if let Some(len) = pptp_len {
            if len == 0 {
                // Acknowledgement-only packet: the tunnel's own traffic.
                return outer;
            }
            body = body.get(..usize::from(len)).unwrap_or(body);
        }
        let mut kind = TunnelKind::Gre;
        let inner: Inner<'a, 'v> = match proto {
            ethertype::IPV4 => Self::ipv4,
            ethertype::IPV6 => Self::ipv6,
            ethertype::TEB => Self::ethernet,
            ethertype::MPLS_UC | ethertype::MPLS_MC => Self::mpls,
            ethertype::PPP => Self::ppp,
            ethertype::ARUBA_FIRST..=ethertype::ARUBA_LAST => Self::ieee80211,
            ethertype::ARP => Self::arp,
            ethertype::ERSPAN_2 | ethertype::ERSPAN_3 => {
                kind = TunnelKind::Erspan;
                // Type I has no header and no GRE sequence number; type II has both.
                let header_len = match proto {
                    ethertype::ERSPAN_2 if flags & SEQ == 0 => 0,
                    ethertype::ERSPAN_2 => 8,
                    // Type III: the O bit announces an 8-byte platform-specific subheader.
                    _ => match body.get(11) {
                        Some(b) if b & 1 != 0 => 20,
                        _ => 12,
                    },
                };
                let Some(frame) = body.get(header_len..) else {
                    self.anomaly(AnomalyKind::TruncatedGre, AnomalyDetail::Text("erspan"));
                    return outer;
                };
                body = frame;
                Self::ethernet
            }
            other => {
                self.anomaly(
                    AnomalyKind::UnknownGreProtocol,
                    AnomalyDetail::Number(other.into()),
                );
                return outer;
            }
        };
        let layer = TunnelLayer {
            kind,
            src: ip.src,
            dst: ip.dst,
            proto: ipproto::GRE,
            src_port: 0,
            dst_port: 0,
            ip_len: ip.ip_len,
            payload_len: 0,
            inner_len: 0,
        };
        self.tunnel(layer, outer, inner, body)
    }

    fn vxlan(&mut self, layer: TunnelLayer, payload: &'a [u8], outer: Decoded<'a>) -> Decoded<'a> {
        let Some((h, frame)) = payload.split_first_chunk::<8>() else {
            self.anomaly(
                AnomalyKind::TruncatedVxlan,
                AnomalyDetail::Number(payload.len() as u64),
            );
            return outer;
        };
        // Without the I flag this is not VXLAN, just UDP to that port.
        if h[0] & 0x08 == 0 {
            return outer;
        }
        self.tunnel(layer, outer, Self::ethernet, frame)
    }

    fn geneve(&mut self, layer: TunnelLayer, payload: &'a [u8], outer: Decoded<'a>) -> Decoded<'a> {
        let Some(h) = payload.first_chunk::<8>() else {
            self.anomaly(
                AnomalyKind::TruncatedGeneve,
                AnomalyDetail::Number(payload.len() as u64),
            );
            return outer;
        };
        if h[0] >> 6 != 0 {
            return outer;
        }
        let header_len = 8 + usize::from(h[0] & 0x3f) * 4;
        let Some(inner_data) = payload.get(header_len..) else {
            self.anomaly(
                AnomalyKind::TruncatedGeneve,
                AnomalyDetail::Number(payload.len() as u64),
            );
            return outer;
        };
        let inner: Inner<'a, 'v> = match u16::from_be_bytes([h[2], h[3]]) {
            ethertype::TEB => Self::ethernet,
            ethertype::IPV4 => Self::ipv4,
            ethertype::IPV6 => Self::ipv6,
            ethertype::ARP => Self::arp,
            other => {
                self.anomaly(
                    AnomalyKind::UnknownGeneveProtocol,
                    AnomalyDetail::Number(other.into()),
                );
                return outer;
            }
        };
        self.tunnel(layer, outer, inner, inner_data)
    }

    /// GTPv1-U (3GPP TS 29.281 section 5): only a G-PDU (message type 255) carries a user
    /// packet (T-PDU), decoded as IPv4 or IPv6 by its version nibble. Other GTP messages (echo,
    /// error indication, end marker, ...) and anything not GTPv1 (version 1, PT 1) stay plain
    /// UDP. `stated` is the UDP payload length per the UDP header (`payload` may be cut short by
    /// the snap length).
    ///
    /// Header: flags (version:3, PT:1, spare:1, E:1, S:1, PN:1), message type, length (octets
    /// after the first 8), TEID. If any of E, S, PN is set, 4 more octets follow: sequence number
    /// (2), N-PDU number (1), next extension header type (1, meaningful only with E). Each
    /// extension header is `length` (in 4-octet units, the whole extension) octets whose last is
    /// the next extension header type; 0 ends the chain.
    fn gtpu(
        &mut self,
        layer: TunnelLayer,
        payload: &'a [u8],
        stated: usize,
        outer: Decoded<'a>,
    ) -> Decoded<'a> {
        const E: u8 = 0x04;
        const S: u8 = 0x02;
        const PN: u8 = 0x01;
        const G_PDU: u8 = 0xff;
        let Some(h) = payload.first_chunk::<8>() else {
            // Too short for any GTPv1 header; call it truncated only if it began like a G-PDU.
            let gpdu_start = payload.first().is_some_and(|&f| f >> 4 == 0x3)
                && payload.get(1).is_none_or(|&t| t == G_PDU);
            if gpdu_start {
                self.anomaly(
                    AnomalyKind::Other("truncated_GTPv1"),
                    AnomalyDetail::Number(payload.len() as u64),
                );
            }
            return outer;
        };
        // Version 1 with PT 1 (GTP, not GTP'), carrying a user packet.
        if h[0] >> 4 != 0x3 || h[1] != G_PDU {
            return outer;
        }
        let msg_end = 8 + usize::from(u16::from_be_bytes([h[2], h[3]]));
        let truncated = |w: &mut Self, n: usize| {
            w.anomaly(
                AnomalyKind::Other("truncated_GTPv1"),
                AnomalyDetail::Number(n as u64),
            );
        };
        if msg_end > stated {
            truncated(self, stated);
            return outer;
        }
        let mut off = 8usize;
        if h[0] & (E | S | PN) != 0 {
            off = 12;
            if msg_end < off {
                truncated(self, msg_end);
                return outer;
            }
            let Some(opt) = payload.get(8..12) else {
                truncated(self, payload.len());
                return outer;
            };
            let mut next = if h[0] & E != 0 { opt[3] } else { 0 };
            let mut count = 0usize;
            while next != 0 {
                count += 1;
                if count > MAX_GTP_EXT_HEADERS {
                    self.anomaly(
                        AnomalyKind::Other("GTPv1_extension_header_chain_too_long"),
                        AnomalyDetail::Number(count as u64),
                    );
                    return outer;
                }
                let Some(&units) = payload.get(off) else {
                    truncated(self, payload.len());
                    return outer;
                };
                let ext_len = usize::from(units) * 4;
                if ext_len == 0 {
                    self.anomaly(
                        AnomalyKind::Other("bad_GTPv1_extension_header"),
                        AnomalyDetail::Number(next.into()),
                    );
                    return outer;
                }
                if off + ext_len > msg_end {
                    truncated(self, msg_end);
                    return outer;
                }
                let Some(ext) = payload.get(off..off + ext_len) else {
                    truncated(self, payload.len());
                    return outer;
                };
                next = ext[ext_len - 1];
                off += ext_len;
            }
        }
        // `off <= msg_end` and `off <= payload.len()` from the checks above.
        let body = &payload[off..msg_end.min(payload.len())];
        let inner: Inner<'a, 'v> = match body.first().map(|b| b >> 4) {
            Some(4) => Self::ipv4,
            Some(6) => Self::ipv6,
            other => {
                self.anomaly(
                    AnomalyKind::Other("GTPv1_unknown_payload_protocol"),
                    match other {
                        Some(v) => AnomalyDetail::Number(v.into()),
                        None => AnomalyDetail::None,
                    },
                );
                return outer;
            }
        };
        self.tunnel(layer, outer, inner, body)
    }
}

#[cfg(test)]
#[path = "decoder_tests.rs"]
mod tests;
