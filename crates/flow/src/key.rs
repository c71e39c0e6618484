//! Flow keys and the per-packet input of the flow table.

use crate::uid::Uid;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Transport facts of one packet, as the flow table needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        window: u16,
        /// Window scale option (SYN segments only).
        window_scale: Option<u8>,
    },
    Udp {
        sport: u16,
        dport: u16,
        /// The UDP header's length field (Zeek counts `orig_bytes` from it).
        ulen: u16,
    },
    Icmp {
        icmp_type: u8,
        code: u8,
        v6: bool,
    },
    Sctp {
        sport: u16,
        dport: u16,
    },
    Other,
}

/// One decoded packet as handed to a flow worker. Plain data (`Copy`), so batches of them move
/// between threads without allocation.
#[derive(Debug, Clone, Copy)]
pub struct FlowPacket {
    pub ts_ns: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol number of the innermost transport.
    pub proto: u8,
    pub l4: L4,
    /// Bytes of the IP datagram per its header (Zeek's `*_ip_bytes`).
    pub ip_len: u32,
    /// Bytes of the packet at the flow's own layer: the captured frame, link header included,
    /// or for a tunnelled flow what the tunnel carried (Suricata's `flow.bytes_to*`).
    pub wire_len: u32,
    /// Transport payload length as the headers state it.
    pub payload_len: u32,
    /// The whole transport segment was captured (checksums could be verified).
    pub complete: bool,
    /// Transport checksum verified and wrong.
    pub bad_checksum: bool,
    /// uid of the tunnel this packet arrived through, when it was encapsulated.
    pub tunnel_parent: Option<Uid>,
    pub vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
}

/// ICMPv4 counterpart types: request/reply pairs share a connection (Zeek and Community ID agree).
pub(crate) fn icmp4_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        8 => 0,
        0 => 8,
        13 => 14,
        14 => 13,
        15 => 16,
        16 => 15,
        10 => 9,
        9 => 10,
        17 => 18,
        18 => 17,
        _ => return None,
    })
}

pub(crate) fn icmp6_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        128 => 129,
        129 => 128,
        133 => 134,
        134 => 133,
        135 => 136,
        136 => 135,
        130 => 131,
        131 => 130,
        139 => 140,
        140 => 139,
        144 => 145,
        145 => 144,
        _ => return None,
    })
}

impl FlowPacket {
    /// The (source port, destination port, one-way) triple used for the key: ICMP maps type and
    /// counterpart type (or code, for one-way messages) to ports, as Zeek does.
    pub fn ports(&self) -> (u16, u16, bool) {
        match self.l4 {
            L4::Tcp { sport, dport, .. }
            | L4::Udp { sport, dport, .. }
            | L4::Sctp { sport, dport } => (sport, dport, false),
            L4::Icmp {
                icmp_type,
                code,
                v6,
            } => {
                let cp = if v6 {
                    icmp6_counterpart(icmp_type)
                } else {
                    icmp4_counterpart(icmp_type)
                };
                match cp {
                    Some(c) => (icmp_type as u16, c as u16, false),
                    None => (icmp_type as u16, code as u16, true),
                }
            }
            L4::Other => (0, 0, false),
        }
    }

    pub fn key(&self) -> FlowKey {
        let (sp, dp, one_way) = self.ports();
        FlowKey::new(self.src, sp, self.dst, dp, self.proto, one_way)
    }
}

/// Canonical bidirectional key: both directions of a conversation map to the same key (one-way
/// ICMP messages keep their direction, as in Zeek).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    // Addresses as (high, low) 64-bit halves of the IPv6 (or IPv4-mapped) address: comparing,
    // hashing and copying words is much cheaper than bytes on the per-packet path.
    a: [u64; 2],
    b: [u64; 2],
    pa: u16,
    pb: u16,
    proto: u8,
    /// bit 0: IPv4 addresses; bit 1: one-way.
    flags: u8,
}

fn words(a: IpAddr) -> [u64; 2] {
    match a {
        IpAddr::V4(v) => [0, 0x0000_ffff_0000_0000 | u64::from(u32::from(v))],
        IpAddr::V6(v) => {
            let x = u128::from(v);
            [(x >> 64) as u64, x as u64]
        }
    }
}

impl FlowKey {
    pub fn new(
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        proto: u8,
        one_way: bool,
    ) -> FlowKey {
        let (s, d) = (words(src), words(dst));
        let v4 = src.is_ipv4() && dst.is_ipv4();
        let flags = u8::from(v4) | (u8::from(one_way) << 1);
        if one_way || (s, sport) <= (d, dport) {
            FlowKey {
                a: s,
                b: d,
                pa: sport,
                pb: dport,
                proto,
                flags,
            }
        } else {
            FlowKey {
                a: d,
                b: s,
                pa: dport,
                pb: sport,
                proto,
                flags,
            }
        }
    }

    pub fn proto(&self) -> u8 {
        self.proto
    }

    fn addr(&self, x: &[u64; 2]) -> IpAddr {
        if self.flags & 1 != 0 {
            IpAddr::V4(Ipv4Addr::from(x[1] as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from((u128::from(x[0]) << 64) | u128::from(x[1])))
        }
    }

    /// The two endpoints in canonical order.
    pub fn endpoints(&self) -> ((IpAddr, u16), (IpAddr, u16)) {
        ((self.addr(&self.a), self.pa), (self.addr(&self.b), self.pb))
    }

    /// A hash that is the same for both directions of a flow (the key is canonical), used to pick
    /// the worker that owns the flow. Fixed function (not randomly seeded) so that sharding, and
    /// hence per-worker timing, is reproducible. Only the two addresses count: every
    /// connection between two hosts goes to the same worker, so a connection announced by
    /// another (an FTP data channel) is seen by the worker that heard the announcement,
    /// whatever the thread count.
    pub fn shard_hash(&self) -> u64 {
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
        for w in [self.a[0], self.a[1], self.b[0], self.b[1]] {
            h = (h ^ w).wrapping_mul(0x0100_0000_01b3_a5a5);
            h ^= h >> 29;
        }
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }

    /// Stable bytes of the key (for uids).
    pub(crate) fn hash_bytes(&self, out: &mut [u8; 38]) {
        out[..8].copy_from_slice(&self.a[0].to_be_bytes());
        out[8..16].copy_from_slice(&self.a[1].to_be_bytes());
        out[16..24].copy_from_slice(&self.b[0].to_be_bytes());
        out[24..32].copy_from_slice(&self.b[1].to_be_bytes());
        out[32..34].copy_from_slice(&self.pa.to_be_bytes());
        out[34..36].copy_from_slice(&self.pb.to_be_bytes());
        out[36] = self.proto;
        out[37] = self.flags;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_symmetric_and_one_way_is_not() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(
            FlowKey::new(a, 1234, b, 80, 6, false),
            FlowKey::new(b, 80, a, 1234, 6, false)
        );
        assert_eq!(
            FlowKey::new(a, 1234, b, 80, 6, false).shard_hash(),
            FlowKey::new(b, 80, a, 1234, 6, false).shard_hash()
        );
        assert_ne!(
            FlowKey::new(a, 3, b, 1, 1, true),
            FlowKey::new(b, 3, a, 1, 1, true)
        );
    }
}
