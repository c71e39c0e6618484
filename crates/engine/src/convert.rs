//! From a decoded packet to the flow layer's input, and the tunnel registry that gives
//! encapsulated flows their `tunnel_parents`.

use hashbrown::HashMap;
use netloupe_decode::{IpPacket, Transport, TunnelLayer};
use netloupe_flow::{tunnel_uid, FlowKey, FlowPacket, Uid, L4};

/// Tunnels seen so far: outer endpoints → (first seen, last seen). Lives on the reading thread,
/// which sees every packet in order, so a tunnel's uid is the same whatever the thread count.
pub(crate) struct TunnelRegistry {
    tunnels: HashMap<FlowKey, (i64, i64)>,
    max: usize,
    idle_ns: i64,
    udp_idle_ns: i64,
    pub evicted: u64,
}

impl TunnelRegistry {
    /// `udp_idle_ns` is the flow table's UDP inactivity timeout: a UDP tunnel is also a UDP
    /// connection, and its uid must be that connection's uid, which restarts after that long.
    pub fn new(max: usize, udp_idle_ns: i64) -> Self {
        // Zeek forgets a tunnel after an hour without traffic (Tunnel::expiration_interval).
        TunnelRegistry {
            tunnels: HashMap::new(),
            max: max.max(1),
            idle_ns: 3600 * 1_000_000_000,
            udp_idle_ns,
            evicted: 0,
        }
    }

    pub fn uid_for(&mut self, layer: &TunnelLayer, ts_ns: i64) -> Uid {
        let key = FlowKey::new(
            layer.src,
            layer.src_port,
            layer.dst,
            layer.dst_port,
            layer.proto,
            false,
        );
        if !self.tunnels.contains_key(&key) && self.tunnels.len() >= self.max {
            // Forget the quietest half; a forgotten tunnel seen again gets a new uid (counted).
            let mut lasts: Vec<i64> = self.tunnels.values().map(|v| v.1).collect();
            let mid = lasts.len() / 2;
            let (_, cut, _) = lasts.select_nth_unstable(mid);
            let cut = *cut;
            let before = self.tunnels.len();
            self.tunnels.retain(|_, v| v.1 > cut);
            self.evicted += (before - self.tunnels.len()) as u64;
        }
        let idle = if layer.proto == 17 {
            self.udp_idle_ns
        } else {
            self.idle_ns
        };
        let e = self.tunnels.entry(key).or_insert((ts_ns, ts_ns));
        if ts_ns - e.1 >= idle {
            *e = (ts_ns, ts_ns);
        }
        e.1 = e.1.max(ts_ns);
        tunnel_uid(&key, e.0)
    }

    pub fn len(&self) -> usize {
        self.tunnels.len()
    }
}

/// The flow-layer packets of one decoded packet: the innermost flow and, for each UDP-based
/// tunnel it came through (VXLAN, Geneve), the outer UDP flow, which Zeek also logs as a
/// connection. Each inner flow names its tunnel's uid as its parent.
///
/// `frame_len` is the captured length of the whole packet: the wire length of the outermost
/// flow; a flow inside a tunnel gets the length of what its tunnel carried.
pub(crate) fn flow_packets<'a>(
    ts_ns: i64,
    frame_len: u32,
    p: &IpPacket<'a>,
    tunnels: &mut TunnelRegistry,
    mut emit: impl FnMut(FlowPacket, &'a [u8]),
) {
    let mut parent: Option<Uid> = None;
    let mut wire_len = frame_len;
    for layer in p.tunnels.iter() {
        let uid = tunnels.uid_for(layer, ts_ns);
        if layer.proto == 17 {
            emit(
                FlowPacket {
                    ts_ns,
                    src: layer.src,
                    dst: layer.dst,
                    proto: 17,
                    l4: L4::Udp {
                        sport: layer.src_port,
                        dport: layer.dst_port,
                        ulen: layer.payload_len.saturating_add(8).min(u32::from(u16::MAX)) as u16,
                    },
                    ip_len: layer.ip_len,
                    wire_len,
                    payload_len: layer.payload_len,
                    complete: true,
                    bad_checksum: false,
                    tunnel_parent: parent,
                    vlan: None,
                    inner_vlan: None,
                },
                &[],
            );
        }
        parent = Some(uid);
        wire_len = layer.inner_len;
    }
    emit(flow_packet(ts_ns, wire_len, p, parent), p.payload);
}

fn flow_packet(
    ts_ns: i64,
    wire_len: u32,
    p: &IpPacket<'_>,
    tunnel_parent: Option<Uid>,
) -> FlowPacket {
    let l4 = match p.transport {
        Transport::Tcp(t) => L4::Tcp {
            sport: t.src_port,
            dport: t.dst_port,
            seq: t.seq,
            ack: t.ack,
            flags: t.flags,
            window: t.window,
            window_scale: t.window_scale,
        },
        Transport::Udp { src_port, dst_port } => L4::Udp {
            sport: src_port,
            dport: dst_port,
            ulen: (p.payload_len.saturating_add(8)).min(u32::from(u16::MAX)) as u16,
        },
        Transport::Icmp(i) => L4::Icmp {
            icmp_type: i.icmp_type,
            code: i.code,
            v6: i.v6,
        },
        Transport::Sctp { src_port, dst_port } => L4::Sctp {
            sport: src_port,
            dport: dst_port,
        },
        Transport::Other => L4::Other,
    };
    FlowPacket {
        ts_ns,
        src: p.ip.src,
        dst: p.ip.dst,
        proto: p.ip.proto,
        l4,
        ip_len: p.ip.ip_len,
        wire_len,
        payload_len: p.payload_len,
        complete: p.payload.len() as u64 >= u64::from(p.payload_len),
        bad_checksum: p.bad_checksum,
        tunnel_parent,
        vlan: p.link.vlan,
        inner_vlan: p.link.inner_vlan,
    }
}
