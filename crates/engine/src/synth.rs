//! Synthetic traffic made by netloupe itself: the demonstration capture shipped in testdata/,
//! captures for tests and for the memory benchmark. Packets carry correct checksums.

use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Writes classic pcap (microsecond, little-endian).
pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W, linktype: u32) -> std::io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?;
        out.write_all(&0u32.to_le_bytes())?;
        out.write_all(&65535u32.to_le_bytes())?;
        out.write_all(&linktype.to_le_bytes())?;
        Ok(PcapWriter { out })
    }

    pub fn packet(&mut self, ts_ns: i64, data: &[u8]) -> std::io::Result<()> {
        let us = ts_ns.div_euclid(1000);
        self.out
            .write_all(&(us.div_euclid(1_000_000) as u32).to_le_bytes())?;
        self.out
            .write_all(&(us.rem_euclid(1_000_000) as u32).to_le_bytes())?;
        self.out.write_all(&(data.len() as u32).to_le_bytes())?;
        self.out.write_all(&(data.len() as u32).to_le_bytes())?;
        self.out.write_all(data)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    sum
}

fn csum_fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    let mut s = 0;
    match (src, dst) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            s = csum_add(s, &a.octets());
            s = csum_add(s, &b.octets());
            s += u32::from(proto) + len as u32;
        }
        (a, b) => {
            s = csum_add(s, &v6(a).octets());
            s = csum_add(s, &v6(b).octets());
            s += (len as u32 >> 16) + (len as u32 & 0xffff) + u32::from(proto);
        }
    }
    s
}

fn v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V4(v) => v.to_ipv6_mapped(),
        IpAddr::V6(v) => v,
    }
}

/// TCP segment (header + payload) with its checksum.
pub fn tcp(
    src: IpAddr,
    dst: IpAddr,
    (sport, dport): (u16, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(5 << 4);
    t.push(flags);
    t.extend_from_slice(&64240u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let c = csum_fold(csum_add(pseudo(src, dst, 6, t.len()), &t));
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// UDP datagram with its checksum.
pub fn udp(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut u = Vec::with_capacity(len);
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&(len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let mut c = csum_fold(csum_add(pseudo(src, dst, 17, len), &u));
    if c == 0 {
        c = 0xffff;
    }
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// ICMPv4 echo request (type 8) or reply (type 0).
pub fn icmp_echo(icmp_type: u8, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![icmp_type, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(payload);
    let c = csum_fold(csum_add(0, &m));
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// IPv4 header + payload. `frag` = (more fragments, offset in 8-byte units).
pub fn ipv4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    id: u16,
    frag: (bool, u16),
    payload: &[u8],
) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&(total as u16).to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    let ff = (u16::from(frag.0) << 13) | (frag.1 & 0x1fff);
    h.extend_from_slice(&ff.to_be_bytes());
    h.push(64);
    h.push(proto);
    h.extend_from_slice(&[0, 0]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    let c = csum_fold(csum_add(0, &h));
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

pub fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.push(next);
    h.push(64);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h.extend_from_slice(payload);
    h
}

/// Ethernet II frame, optionally 802.1Q-tagged.
pub fn ether(ethertype: u16, vlan: Option<u16>, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
    if let Some(v) = vlan {
        f.extend_from_slice(&0x8100u16.to_be_bytes());
        f.extend_from_slice(&(v & 0x0fff).to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A TCP conversation builder that keeps sequence numbers right.
struct TcpConv {
    c: Ipv4Addr,
    s: Ipv4Addr,
    cp: u16,
    sp: u16,
    cseq: u32,
    sseq: u32,
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;

impl TcpConv {
    fn seg(&mut self, from_client: bool, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (src, dst, sp, dp, seq, ack) = if from_client {
            (self.c, self.s, self.cp, self.sp, self.cseq, self.sseq)
        } else {
            (self.s, self.c, self.sp, self.cp, self.sseq, self.cseq)
        };
        let t = tcp(
            IpAddr::V4(src),
            IpAddr::V4(dst),
            (sp, dp),
            seq,
            if flags & ACK != 0 { ack } else { 0 },
            flags,
            payload,
        );
        let adv = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        if from_client {
            self.cseq = self.cseq.wrapping_add(adv);
        } else {
            self.sseq = self.sseq.wrapping_add(adv);
        }
        ether(0x0800, None, &ipv4(src, dst, 6, 1, (false, 0), &t))
    }
}

/// 2024-01-01T00:00:00Z, where synthetic captures start.
pub const DEMO_T0_NS: i64 = 1_704_067_200_000_000_000;

/// The demonstration capture: a web download, a rejected connection, DNS, ping, a VLAN-tagged
/// flow, IPv6, a fragmented datagram, a VXLAN-tunnelled flow, ARP, and one damaged packet.
pub fn demo_packets() -> Vec<(i64, Vec<u8>)> {
    let mut p = Vec::new();
    let ms = 1_000_000i64;
    let mut t = DEMO_T0_NS;
    let client = Ipv4Addr::new(192, 168, 1, 10);
    let web = Ipv4Addr::new(93, 184, 216, 34);
    let dns = Ipv4Addr::new(192, 168, 1, 1);
    // ARP request and reply.
    let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1];
    arp.extend_from_slice(&client.octets());
    arp.extend_from_slice(&[0; 6]);
    arp.extend_from_slice(&dns.octets());
    p.push((t, ether(0x0806, None, &arp)));
    t += ms;
    // DNS query and answer.
    let q =
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01";
    p.push((
        t,
        ether(
            0x0800,
            None,
            &ipv4(
                client,
                dns,
                17,
                2,
                (false, 0),
                &udp(client.into(), dns.into(), 53001, 53, q),
            ),
        ),
    ));
    t += 12 * ms;
    let mut a = q.to_vec();
    a[2] = 0x81;
    a[3] = 0x80;
    a[7] = 1;
    a.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22");
    p.push((
        t,
        ether(
            0x0800,
            None,
            &ipv4(
                dns,
                client,
                17,
                3,
                (false, 0),
                &udp(dns.into(), client.into(), 53, 53001, &a),
            ),
        ),
    ));
    t += ms;
    // HTTP download: handshake, request, response in two segments, close.
    let mut c = TcpConv {
        c: client,
        s: web,
        cp: 49152,
        sp: 80,
        cseq: 1000,
        sseq: 5000,
    };
    p.push((t, c.seg(true, SYN, b"")));
    t += 20 * ms;
    p.push((t, c.seg(false, SYN | ACK, b"")));
    t += ms;
    p.push((t, c.seg(true, ACK, b"")));
    p.push((
        t + 1,
        c.seg(
            true,
            PSH | ACK,
            b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: netloupe-demo\r\n\r\n",
        ),
    ));
    t += 25 * ms;
    let body = vec![b'x'; 1200];
    let mut resp =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2400\r\n\r\n".to_vec();
    resp.extend_from_slice(&body);
    p.push((t, c.seg(false, ACK, &resp)));
    p.push((t + 10, c.seg(false, PSH | ACK, &body)));
    t += ms;
    p.push((t, c.seg(true, ACK, b"")));
    t += 100 * ms;
    p.push((t, c.seg(true, FIN | ACK, b"")));
    t += 20 * ms;
    p.push((t, c.seg(false, FIN | ACK, b"")));
    t += ms;
    p.push((t, c.seg(true, ACK, b"")));
    // A rejected connection attempt (REJ).
    let mut r = TcpConv {
        c: client,
        s: web,
        cp: 49153,
        sp: 8081,
        cseq: 7000,
        sseq: 0,
    };
    t += 5 * ms;
    p.push((t, r.seg(true, SYN, b"")));
    t += 20 * ms;
    r.sseq = 0;
    p.push((t, r.seg(false, RST | ACK, b"")));
    // Ping.
    let ping = b"netloupe ping payload";
    p.push((
        t,
        ether(
            0x0800,
            None,
            &ipv4(client, dns, 1, 4, (false, 0), &icmp_echo(8, 7, 1, ping)),
        ),
    ));
    t += ms;
    p.push((
        t,
        ether(
            0x0800,
            None,
            &ipv4(dns, client, 1, 5, (false, 0), &icmp_echo(0, 7, 1, ping)),
        ),
    ));
    // A VLAN-tagged syslog datagram.
    t += ms;
    let srv = Ipv4Addr::new(10, 20, 0, 5);
    p.push((
        t,
        ether(
            0x0800,
            Some(20),
            &{
                let mut x = 0x0800u16.to_be_bytes().to_vec();
                x.extend_from_slice(&ipv4(
                    Ipv4Addr::new(10, 20, 0, 9),
                    srv,
                    17,
                    6,
                    (false, 0),
                    &udp(
                        IpAddr::V4(Ipv4Addr::new(10, 20, 0, 9)),
                        IpAddr::V4(srv),
                        40000,
                        514,
                        b"<13>demo: hello",
                    ),
                ));
                x
            }[2..],
        ),
    ));
    // IPv6 TCP handshake only (S1-like, left open at end of capture).
    t += ms;
    let a6: Ipv6Addr = "2001:db8::10".parse().unwrap_or(Ipv6Addr::LOCALHOST);
    let b6: Ipv6Addr = "2001:db8::443".parse().unwrap_or(Ipv6Addr::LOCALHOST);
    p.push((
        t,
        ether(
            0x86dd,
            None,
            &ipv6(
                a6,
                b6,
                6,
                &tcp(a6.into(), b6.into(), (50000, 443), 1, 0, SYN, b""),
            ),
        ),
    ));
    t += 10 * ms;
    p.push((
        t,
        ether(
            0x86dd,
            None,
            &ipv6(
                b6,
                a6,
                6,
                &tcp(b6.into(), a6.into(), (443, 50000), 9, 2, SYN | ACK, b""),
            ),
        ),
    ));
    // A UDP datagram in two IPv4 fragments.
    t += ms;
    let big = udp(client.into(), srv.into(), 40001, 9999, &[0x5a; 1600]);
    let (f1, f2) = big.split_at(1480);
    p.push((
        t,
        ether(0x0800, None, &ipv4(client, srv, 17, 77, (true, 0), f1)),
    ));
    p.push((
        t + 1000,
        ether(0x0800, None, &ipv4(client, srv, 17, 77, (false, 185), f2)),
    ));
    // A VXLAN-tunnelled TCP SYN (outer UDP 4789, inner Ethernet/IPv4).
    t += ms;
    let vtep1 = Ipv4Addr::new(172, 16, 0, 1);
    let vtep2 = Ipv4Addr::new(172, 16, 0, 2);
    let inner_a = Ipv4Addr::new(10, 99, 0, 1);
    let inner_b = Ipv4Addr::new(10, 99, 0, 2);
    let inner = ether(
        0x0800,
        None,
        &ipv4(
            inner_a,
            inner_b,
            6,
            8,
            (false, 0),
            &tcp(inner_a.into(), inner_b.into(), (33000, 22), 42, 0, SYN, b""),
        ),
    );
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 0x64, 0];
    vx.extend_from_slice(&inner);
    p.push((
        t,
        ether(
            0x0800,
            None,
            &ipv4(
                vtep1,
                vtep2,
                17,
                9,
                (false, 0),
                &udp(vtep1.into(), vtep2.into(), 51000, 4789, &vx),
            ),
        ),
    ));
    // A damaged packet: IPv4 header claims more bytes than were captured.
    t += ms;
    let mut bad = ipv4(
        client,
        web,
        6,
        10,
        (false, 0),
        &tcp(client.into(), web.into(), (49154, 80), 1, 0, SYN, b""),
    );
    bad.truncate(30);
    p.push((t, ether(0x0800, None, &bad)));
    p
}

pub fn write_demo_pcap(path: &Path) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut w = PcapWriter::new(BufWriter::new(f), 1)?;
    for (ts, data) in demo_packets() {
        w.packet(ts, &data)?;
    }
    w.into_inner().flush()
}

/// `n` TCP SYNs from distinct clients within about a second: n concurrent idle flows at the
/// end of the capture (the memory-per-flow benchmark).
pub fn write_many_flows_pcap(path: &Path, n: u32) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut w = PcapWriter::new(BufWriter::with_capacity(1 << 20, f), 1)?;
    let server = Ipv4Addr::new(192, 0, 2, 1);
    let step = (1_000_000_000 / i64::from(n.max(1))).max(1);
    for i in 0..n {
        let client = Ipv4Addr::from(0x0a00_0000u32 + (i >> 8));
        let sport = 1024 + (i & 0xff) as u16;
        let seg = tcp(
            client.into(),
            server.into(),
            (sport, 443),
            i.wrapping_mul(2_654_435_761),
            0,
            SYN,
            b"",
        );
        w.packet(
            DEMO_T0_NS + i64::from(i) * step,
            &ether(
                0x0800,
                None,
                &ipv4(client, server, 6, i as u16, (false, 0), &seg),
            ),
        )?;
    }
    w.into_inner().flush()
}
