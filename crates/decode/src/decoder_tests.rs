//! Per-layer tests with hand-built packets.

use super::*;
use crate::anomaly::AnomalyDetail;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------------------------------------
// Builders. Checksums here use a deliberately naive 16-bit loop, independent of `checksum.rs`.

fn naive_sum(chunks: &[&[u8]]) -> u32 {
    let mut bytes = Vec::new();
    for c in chunks {
        bytes.extend_from_slice(c);
    }
    let mut s = 0u32;
    for pair in bytes.chunks(2) {
        s += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    s
}

fn naive_checksum(chunks: &[&[u8]]) -> u16 {
    let mut s = naive_sum(chunks);
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

fn pseudo(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = octets(src);
    p.extend(octets(dst));
    if src.is_ipv4() {
        p.extend([0, proto]);
        p.extend((len as u16).to_be_bytes());
    } else {
        p.extend((len as u32).to_be_bytes());
        p.extend([0, 0, 0, proto]);
    }
    p
}

/// Fills the 16-bit checksum at `at` of `seg` (pseudo-header included when given).
fn fill_checksum(seg: &mut [u8], at: usize, pseudo: Option<&[u8]>) {
    seg[at] = 0;
    seg[at + 1] = 0;
    let c = match pseudo {
        Some(p) => naive_checksum(&[p, seg]),
        None => naive_checksum(&[seg]),
    };
    seg[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

const A4: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B4: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const O4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const P4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

fn a6() -> Ipv6Addr {
    "2001:db8::1".parse().unwrap()
}
fn b6() -> Ipv6Addr {
    "2001:db8::2".parse().unwrap()
}

#[derive(Clone)]
struct V4 {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    id: u16,
    /// Flags and fragment offset field.
    frag: u16,
    options: Vec<u8>,
}

impl V4 {
    fn new(src: Ipv4Addr, dst: Ipv4Addr, proto: u8) -> Self {
        V4 {
            src,
            dst,
            proto,
            id: 0x1234,
            frag: 0x4000,
            options: vec![],
        }
    }
    fn build(&self, payload: &[u8]) -> Vec<u8> {
        let hlen = 20 + self.options.len();
        assert_eq!(hlen % 4, 0);
        let mut h = vec![0x40 | (hlen / 4) as u8, 0];
        h.extend(((hlen + payload.len()) as u16).to_be_bytes());
        h.extend(self.id.to_be_bytes());
        h.extend(self.frag.to_be_bytes());
        h.extend([64, self.proto, 0, 0]);
        h.extend(self.src.octets());
        h.extend(self.dst.octets());
        h.extend(&self.options);
        fill_checksum(&mut h, 10, None);
        h.extend(payload);
        h
    }
}

fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8]) -> Vec<u8> {
    V4::new(src, dst, proto).build(payload)
}

fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend((payload.len() as u16).to_be_bytes());
    h.extend([nh, 64]);
    h.extend(src.octets());
    h.extend(dst.octets());
    h.extend(payload);
    h
}

fn tcp_seg(
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    flags: u8,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let hlen = 20 + options.len();
    let mut t = Vec::new();
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend(1000u32.to_be_bytes());
    t.extend(2000u32.to_be_bytes());
    t.extend([((hlen / 4) as u8) << 4, flags]);
    t.extend(8192u16.to_be_bytes());
    t.extend([0, 0, 0, 0]);
    t.extend(options);
    t.extend(payload);
    let p = pseudo(src, dst, ipproto::TCP, t.len());
    fill_checksum(&mut t, 16, Some(&p));
    t
}

fn udp_seg(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(sport.to_be_bytes());
    u.extend(dport.to_be_bytes());
    u.extend(((8 + payload.len()) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend(payload);
    let p = pseudo(src, dst, ipproto::UDP, u.len());
    fill_checksum(&mut u, 6, Some(&p));
    u
}

fn icmp_seg(v6: Option<(Ipv6Addr, Ipv6Addr)>, icmp_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![icmp_type, 0, 0, 0, 0, 1, 0, 1];
    m.extend(payload);
    match v6 {
        Some((s, d)) => {
            let p = pseudo(s.into(), d.into(), ipproto::ICMPV6, m.len());
            fill_checksum(&mut m, 2, Some(&p));
        }
        None => fill_checksum(&mut m, 2, None),
    }
    m
}

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 0xa];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 0xb];

fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = MAC_B.to_vec();
    f.extend(MAC_A);
    f.extend(et.to_be_bytes());
    f.extend(payload);
    f
}

fn tag(tpid: u16, vid: u16, next: u16) -> Vec<u8> {
    let mut t = tpid.to_be_bytes().to_vec();
    t.extend(vid.to_be_bytes());
    t.extend(next.to_be_bytes());
    t
}

/// A TCP/IPv4 packet from A4:1234 to B4:80 carrying "hello".
fn tcp4() -> Vec<u8> {
    ipv4(
        A4,
        B4,
        ipproto::TCP,
        &tcp_seg(
            A4.into(),
            B4.into(),
            1234,
            80,
            tcpflags::ACK | tcpflags::PSH,
            &[],
            b"hello",
        ),
    )
}

fn udp4(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    ipv4(
        A4,
        B4,
        ipproto::UDP,
        &udp_seg(A4.into(), B4.into(), sport, dport, payload),
    )
}

fn tcp6() -> Vec<u8> {
    ipv6(
        a6(),
        b6(),
        ipproto::TCP,
        &tcp_seg(a6().into(), b6().into(), 4321, 443, tcpflags::SYN, &[], b""),
    )
}

// ---------------------------------------------------------------------------------------------
// Harness.

struct Run {
    decoder: Decoder,
    anomalies: Vec<Anomaly>,
}

impl Run {
    fn new() -> Self {
        Run {
            decoder: Decoder::new(DecodeConfig::default()),
            anomalies: Vec::new(),
        }
    }
    fn unverified() -> Self {
        Run {
            decoder: Decoder::new(DecodeConfig {
                verify_checksums: false,
                ..DecodeConfig::default()
            }),
            anomalies: Vec::new(),
        }
    }
}

/// Decodes with a split borrow so that the anomalies stay readable while the result lives.
fn dec<'a>(
    decoder: &'a mut Decoder,
    anomalies: &mut Vec<Anomaly>,
    linktype: u32,
    data: &'a [u8],
) -> Decoded<'a> {
    anomalies.clear();
    decoder.decode(0, linktype, data, anomalies)
}

fn names(anomalies: &[Anomaly]) -> Vec<&'static str> {
    anomalies.iter().map(|a| a.kind.name()).collect()
}

fn decode_one(linktype: u32, data: &[u8]) -> (String, Vec<&'static str>) {
    let mut r = Run::new();
    let d = format!(
        "{:?}",
        dec(&mut r.decoder, &mut r.anomalies, linktype, data)
    );
    (d, names(&r.anomalies))
}

fn expect_ip<'a>(d: Decoded<'a>) -> IpPacket<'a> {
    match d {
        Decoded::Ip(p) => p,
        other => panic!("expected an IP packet, got {other:?}"),
    }
}

fn tuple(p: &IpPacket<'_>) -> (IpAddr, IpAddr, u8, u16, u16) {
    let (sp, dp) = match p.transport {
        Transport::Tcp(t) => (t.src_port, t.dst_port),
        Transport::Udp { src_port, dst_port } | Transport::Sctp { src_port, dst_port } => {
            (src_port, dst_port)
        }
        Transport::Icmp(i) => (i.icmp_type.into(), i.code.into()),
        Transport::Other => (0, 0),
    };
    (p.ip.src, p.ip.dst, p.ip.proto, sp, dp)
}

fn tcp4_tuple() -> (IpAddr, IpAddr, u8, u16, u16) {
    (A4.into(), B4.into(), ipproto::TCP, 1234, 80)
}

fn tunnels(p: &IpPacket<'_>) -> Vec<(TunnelKind, IpAddr, IpAddr, u8, u16, u16)> {
    p.tunnels
        .iter()
        .map(|t| (t.kind, t.src, t.dst, t.proto, t.src_port, t.dst_port))
        .collect()
}

/// Asserts a clean decode of the TCP/IPv4 test packet through `linktype`.
fn assert_tcp4(linktype: u32, frame: &[u8]) -> LinkInfo {
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, linktype, frame));
    assert_eq!(tuple(&p), tcp4_tuple());
    assert_eq!(p.payload, b"hello");
    assert!(!p.bad_checksum);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    p.link
}

// ---------------------------------------------------------------------------------------------
// Link layers.

#[test]
fn ethernet_ipv4_tcp() {
    let frame = eth(0x0800, &tcp4());
    let link = assert_tcp4(1, &frame);
    assert_eq!(link.src_mac, Some(MAC_A));
    assert_eq!(link.dst_mac, Some(MAC_B));
    assert_eq!(link.vlan, None);
}

#[test]
fn ethernet_padding_is_ignored() {
    let mut frame = eth(0x0800, &udp4(53, 53, b""));
    frame.resize(60, 0xee);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert_eq!(p.payload, b"");
    assert_eq!(p.ip.ip_len, 28);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn vlan_and_qinq() {
    let mut f = eth(0x8100, &tag(0, 100, 0x0800)[2..]);
    f.extend(tcp4());
    let link = assert_tcp4(1, &f);
    assert_eq!((link.vlan, link.inner_vlan), (Some(100), None));

    for outer_tpid in [0x88a8u16, 0x9100, 0x8100] {
        let mut f = eth(outer_tpid, &tag(0, 0x2000 | 10, 0x8100)[2..]);
        f.extend(&tag(0, 20, 0x0800)[2..]);
        f.extend(tcp4());
        let link = assert_tcp4(1, &f);
        assert_eq!(
            (link.vlan, link.inner_vlan),
            (Some(10), Some(20)),
            "tpid {outer_tpid:#x}"
        );
    }

    let mut f = eth(0x8100, &[]);
    for _ in 0..20 {
        f.extend([0, 1, 0x81, 0x00]);
    }
    let (d, names) = decode_one(1, &f);
    assert!(d.contains("Dropped"), "{d}");
    assert_eq!(names, ["too_many_VLAN_tags"]);
}

fn mpls_label(label: u32, bottom: bool) -> [u8; 4] {
    (label << 12 | u32::from(bottom) << 8 | 64).to_be_bytes()
}

#[test]
fn mpls_stacks() {
    let mut f = eth(0x8847, &mpls_label(100, false));
    f.extend(mpls_label(200, true));
    f.extend(tcp4());
    assert_tcp4(1, &f);

    let mut f = eth(0x8848, &mpls_label(100, true));
    f.extend(tcp6());
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &f));
    assert_eq!(
        tuple(&p),
        (a6().into(), b6().into(), ipproto::TCP, 4321, 443)
    );

    // Ethernet pseudowire with a control word.
    let mut f = eth(0x8847, &mpls_label(16, true));
    f.extend([0, 0, 0, 0]);
    f.extend(eth(0x0800, &tcp4()));
    assert_tcp4(1, &f);

    // No bottom of stack before the frame ends.
    let f = eth(0x8847, &mpls_label(16, false));
    let (d, names) = decode_one(1, &f);
    assert!(d.contains("Dropped(BadMplsStack)"), "{d}");
    assert_eq!(names, ["bad_MPLS_stack"]);
    // Too many labels.
    let mut f = eth(0x8847, &[]);
    for _ in 0..40 {
        f.extend(mpls_label(1, false));
    }
    assert_eq!(decode_one(1, &f).1, ["bad_MPLS_stack"]);
}

fn pppoe(ppp_proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x11, 0, 0x12, 0x34];
    p.extend(((payload.len() + 2) as u16).to_be_bytes());
    p.extend(ppp_proto.to_be_bytes());
    p.extend(payload);
    p
}

#[test]
fn pppoe_sessions_and_discovery() {
    let mut f = eth(0x8864, &pppoe(0x0021, &tcp4()));
    f.extend([0; 10]); // padding after the PPPoE payload
    assert_tcp4(1, &f);

    let f = eth(0x8864, &pppoe(0x0057, &tcp6()));
    let mut r = Run::new();
    assert_eq!(
        expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &f))
            .ip
            .dst,
        IpAddr::from(b6())
    );

    assert_eq!(
        decode_one(1, &eth(0x8863, &[0x11, 9, 0, 0, 0, 0])).0,
        "NonIp(\"pppoe_discovery\")"
    );
    assert_eq!(
        decode_one(1, &eth(0x8864, &pppoe(0xc021, &[1, 1, 0, 4]))).0,
        "NonIp(\"ppp_control\")"
    );
    assert_eq!(
        decode_one(1, &eth(0x8864, &[0x11, 0])).1,
        ["truncated_PPPoE"]
    );
    assert_eq!(
        decode_one(1, &eth(0x8864, &pppoe(0x0033, &[1]))).1,
        ["unknown_PPP_protocol"]
    );
}

#[test]
fn arp_request() {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
    a.extend(MAC_A);
    a.extend(A4.octets());
    a.extend([0; 6]);
    a.extend(B4.octets());
    let mut r = Run::new();
    match dec(&mut r.decoder, &mut r.anomalies, 1, &eth(0x0806, &a)) {
        Decoded::Arp(link, arp) => {
            assert_eq!(link.src_mac, Some(MAC_A));
            assert_eq!(arp.opcode, 1);
            assert_eq!(
                (arp.sender_mac, arp.sender_ip, arp.target_ip),
                (MAC_A, A4, B4)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(decode_one(1, &eth(0x0806, &a[..20])).1, ["truncated_ARP"]);
}

#[test]
fn non_ip_ethertypes() {
    assert_eq!(
        decode_one(1, &eth(0x88cc, &[2, 7, 4])),
        ("NonIp(\"lldp\")".into(), vec![])
    );
    // 802.3 length field with an STP LLC header.
    assert_eq!(
        decode_one(1, &eth(38, &[0x42, 0x42, 0x03, 0, 0])),
        ("NonIp(\"llc\")".into(), vec![])
    );
    // SNAP carrying IPv4.
    let mut snap = vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
    snap.extend(tcp4());
    assert_tcp4(1, &eth(snap.len() as u16, &snap));
    let (d, names) = decode_one(1, &eth(0x7777, &[1, 2, 3]));
    assert_eq!(d, "Dropped(UnknownEtherType)");
    assert_eq!(names, ["unknown_ether_type"]);
    assert_eq!(decode_one(1, &[1, 2, 3]).1, ["truncated_link_header"]);
}

#[test]
fn cooked_and_loopback_link_types() {
    // Linux SLL.
    let mut sll = vec![0, 0, 0, 1, 0, 6];
    sll.extend(MAC_A);
    sll.extend([0, 0, 0x08, 0x00]);
    sll.extend(tcp4());
    assert_eq!(assert_tcp4(113, &sll).src_mac, Some(MAC_A));
    // SLL2.
    let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6];
    sll2.extend(MAC_A);
    sll2.extend([0, 0]);
    sll2.extend(tcp4());
    assert_eq!(assert_tcp4(276, &sll2).src_mac, Some(MAC_A));

    // BSD NULL in either byte order, LOOP in network order.
    for af in [[2, 0, 0, 0], [0, 0, 0, 2]] {
        let mut f = af.to_vec();
        f.extend(tcp4());
        assert_tcp4(0, &f);
    }
    for af in [10u32, 24, 28, 30] {
        for bytes in [af.to_le_bytes(), af.to_be_bytes()] {
            let mut f = bytes.to_vec();
            f.extend(tcp6());
            let mut r = Run::new();
            assert_eq!(
                expect_ip(dec(&mut r.decoder, &mut r.anomalies, 0, &f))
                    .ip
                    .proto,
                ipproto::TCP,
                "af {af}"
            );
        }
    }
    let mut f = vec![0, 0, 0, 2];
    f.extend(tcp4());
    assert_tcp4(108, &f);
    assert_eq!(
        decode_one(0, &[7, 0, 0, 0, 0x45]).1,
        ["unknown_link_protocol"]
    );

    // PPP with and without address/control, with a compressed protocol field.
    for prefix in [
        &[0xff, 0x03, 0x00, 0x21][..],
        &[0x00, 0x21],
        &[0x21],
        &[0xff, 0x03, 0x21],
    ] {
        let mut f = prefix.to_vec();
        f.extend(tcp4());
        assert_tcp4(9, &f);
        assert_tcp4(50, &f);
    }
    // Cisco HDLC inside DLT_PPP_SERIAL, and as its own link type.
    let mut f = vec![0x0f, 0, 0x08, 0];
    f.extend(tcp4());
    assert_tcp4(50, &f);
    assert_tcp4(104, &f);

    // Raw IP link types.
    for lt in [12, 14, 101, 228] {
        assert_tcp4(lt, &tcp4());
    }
    for lt in [12, 14, 101, 229] {
        let pkt = tcp6();
        let mut r = Run::new();
        assert_eq!(
            expect_ip(dec(&mut r.decoder, &mut r.anomalies, lt, &pkt))
                .ip
                .src,
            IpAddr::from(a6())
        );
    }
    assert_eq!(decode_one(101, &[0x55, 0]).1, ["bad_IP_version"]);
    assert_eq!(decode_one(228, &tcp6()).1, ["bad_IP_version"]);
    let (d, names) = decode_one(4242, &tcp4());
    assert_eq!(d, "Dropped(UnknownLinkType)");
    assert_eq!(names, ["unknown_link_type"]);
}

// ---------------------------------------------------------------------------------------------
// IPv4.

#[test]
fn ipv4_header_checksum_known_packet() {
    // A textbook IPv4 header with checksum 0xb861.
    let hdr = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];
    assert_eq!(crate::checksum::fold(crate::checksum::sum(&hdr)), 0xffff);
    let mut bad = hdr;
    bad[11] ^= 1;
    assert_ne!(crate::checksum::fold(crate::checksum::sum(&bad)), 0xffff);
}

#[test]
fn ipv4_options_and_lengths() {
    // Router alert + NOP + end: valid.
    let mut v = V4::new(A4, B4, ipproto::TCP);
    v.options = vec![0x94, 4, 0, 0, 1, 1, 1, 0];
    let pkt = v.build(&tcp_seg(
        A4.into(),
        B4.into(),
        1234,
        80,
        tcpflags::ACK,
        &[],
        b"hello",
    ));
    assert_tcp4(228, &pkt);
    // An option running past the header: reported, packet still decoded.
    v.options = vec![0x07, 40, 0, 0];
    let pkt = v.build(&tcp_seg(
        A4.into(),
        B4.into(),
        1234,
        80,
        tcpflags::ACK,
        &[],
        b"hello",
    ));
    let mut r = Run::new();
    assert_eq!(
        tuple(&expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt))),
        tcp4_tuple()
    );
    assert_eq!(names(&r.anomalies), ["bad_IPv4_option"]);

    let mut pkt = tcp4();
    pkt[0] = 0x44;
    assert_eq!(decode_one(228, &pkt).1, ["bad_IP_header_length"]);

    let mut pkt = tcp4();
    pkt[2..4].copy_from_slice(&10u16.to_be_bytes());
    fill_checksum(&mut pkt[..20], 10, None);
    assert_eq!(decode_one(228, &pkt).1, ["inappropriate_IP_total_length"]);

    // Total length zero (segmentation offload): the captured length is used.
    let mut pkt = tcp4();
    pkt[2..4].copy_from_slice(&[0, 0]);
    fill_checksum(&mut pkt[..20], 10, None);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
    assert_eq!(
        (p.payload, p.ip.ip_len, p.bad_checksum),
        (&b"hello"[..], pkt.len() as u32, false)
    );
    assert_eq!(names(&r.anomalies), ["ip_hdr_len_zero"]);
}

#[test]
fn ipv4_bad_header_checksum() {
    let mut pkt = tcp4();
    pkt[10] ^= 0x55;
    let (d, names) = decode_one(228, &pkt);
    assert_eq!(d, "Dropped(BadIpChecksum)");
    assert_eq!(names, ["bad_IP_checksum"]);
    let mut r = Run::unverified();
    assert_eq!(
        tuple(&expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt))),
        tcp4_tuple()
    );
}

#[test]
fn ipv4_snap_length_cut() {
    let pkt = tcp4();
    let cut = &pkt[..pkt.len() - 3];
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, cut));
    assert_eq!(tuple(&p), tcp4_tuple());
    assert_eq!(
        (p.payload, p.payload_len, p.ip.ip_len),
        (&b"he"[..], 5, pkt.len() as u32)
    );
    assert!(!p.bad_checksum, "checksums of cut packets are not verified");
    assert_eq!(names(&r.anomalies), ["truncated_IP"]);
}

// ---------------------------------------------------------------------------------------------
// IPv6.

fn ext(nh: u8, len8: usize) -> Vec<u8> {
    let mut e = vec![nh, (len8 - 1) as u8];
    e.resize(len8 * 8, 0);
    if len8 * 8 >= 8 {
        e[2] = 1; // PadN
        e[3] = (len8 * 8 - 4) as u8;
    }
    e
}

#[test]
fn ipv6_extension_chain() {
    let t = tcp_seg(
        a6().into(),
        b6().into(),
        4321,
        443,
        tcpflags::SYN,
        &[],
        b"x",
    );
    let mut chain = ext(ipproto::ROUTING, 1);
    let mut routing = vec![ipproto::DSTOPTS, 2, 0, 0, 0, 0, 0, 0];
    routing.extend([0; 16]);
    chain.extend(routing);
    chain.extend(ext(ipproto::TCP, 2));
    chain.extend(&t);
    let pkt = ipv6(a6(), b6(), ipproto::HOPOPT, &chain);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &pkt));
    assert_eq!(
        tuple(&p),
        (a6().into(), b6().into(), ipproto::TCP, 4321, 443)
    );
    assert_eq!(p.payload, b"x");
    assert_eq!(p.ip.ip_len as usize, pkt.len());
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);

    // AH: length in 4-byte units minus 2.
    let u = udp_seg(a6().into(), b6().into(), 500, 500, b"ike");
    let mut ah = vec![ipproto::UDP, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
    ah.extend([0xaa; 12]);
    ah.extend(&u);
    let mut r = Run::new();
    let frame = ipv6(a6(), b6(), ipproto::AH, &ah);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &frame));
    assert_eq!(
        tuple(&p),
        (a6().into(), b6().into(), ipproto::UDP, 500, 500)
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);

    // ESP and no-next-header end the chain with an opaque transport.
    for (nh, body) in [
        (ipproto::ESP, vec![0, 0, 1, 0, 0, 0, 0, 1, 9, 9]),
        (ipproto::NONE, vec![]),
    ] {
        let mut dst = ext(nh, 1);
        dst.extend(body);
        let mut r = Run::new();
        let frame = ipv6(a6(), b6(), ipproto::DSTOPTS, &dst);
        let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &frame));
        assert_eq!((p.ip.proto, p.transport), (nh, Transport::Other));
    }

    // Atomic fragment: no reassembly needed.
    let mut frag = vec![ipproto::TCP, 0, 0, 0, 0, 0, 0, 7];
    frag.extend(&t);
    let mut r = Run::new();
    let frame = ipv6(a6(), b6(), ipproto::FRAGMENT, &frag);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &frame));
    assert_eq!((p.ip.proto, p.ip.reassembled), (ipproto::TCP, false));

    // Chain too long.
    let mut long = Vec::new();
    for _ in 0..20 {
        long.extend(ext(ipproto::DSTOPTS, 1));
    }
    assert_eq!(
        decode_one(229, &ipv6(a6(), b6(), ipproto::DSTOPTS, &long)).1,
        ["IPv6_extension_header_chain_too_long"]
    );
    // Extension header longer than the payload length states.
    let pkt = ipv6(
        a6(),
        b6(),
        ipproto::DSTOPTS,
        &[ipproto::TCP, 3, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(decode_one(229, &pkt).1, ["bad_IPv6_extension_header"]);
}

#[test]
fn ipv6_jumbogram_length() {
    let t = tcp_seg(a6().into(), b6().into(), 1, 2, tcpflags::ACK, &[], b"jumbo");
    let mut hbh = vec![ipproto::TCP, 0, 0xc2, 4, 0, 0, 0, 0];
    hbh.extend(&t);
    let mut pkt = ipv6(a6(), b6(), ipproto::HOPOPT, &hbh);
    pkt[4..6].copy_from_slice(&[0, 0]);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &pkt));
    assert_eq!(p.payload, b"jumbo");
}

/// Splits `payload` into two IPv4 fragments with the given id.
fn ipv4_fragments(payload: &[u8], id: u16, split: usize) -> (Vec<u8>, Vec<u8>) {
    let mut v = V4::new(A4, B4, ipproto::UDP);
    v.id = id;
    v.frag = 0x2000;
    let first = v.build(&payload[..split]);
    v.frag = (split / 8) as u16;
    let second = v.build(&payload[split..]);
    (first, second)
}

#[test]
fn ipv4_two_fragments_reassemble() {
    let big: Vec<u8> = (0..100u8).collect();
    let dgram = udp_seg(A4.into(), B4.into(), 5000, 6000, &big);
    let (first, second) = ipv4_fragments(&dgram, 77, 64);
    let mut r = Run::new();
    assert!(
        matches!(
            dec(&mut r.decoder, &mut r.anomalies, 228, &second),
            Decoded::FragmentHeld
        ),
        "{:?}",
        r.anomalies
    );
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &first));
    assert_eq!(tuple(&p), (A4.into(), B4.into(), ipproto::UDP, 5000, 6000));
    assert_eq!(p.payload, &big[..]);
    assert!(p.ip.reassembled);
    assert_eq!(p.ip.ip_len as usize, 20 + dgram.len());
    assert!(!p.bad_checksum);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn ipv6_two_fragments_reassemble() {
    let big: Vec<u8> = (0..120u8).collect();
    let dgram = tcp_seg(a6().into(), b6().into(), 7000, 22, tcpflags::ACK, &[], &big);
    let frag_hdr = |off: u16, more: bool| {
        let mut h = vec![ipproto::TCP, 0];
        h.extend((off | u16::from(more)).to_be_bytes());
        h.extend(0xdead_beefu32.to_be_bytes());
        h
    };
    let mut f1 = frag_hdr(0, true);
    f1.extend(&dgram[..72]);
    let mut f2 = frag_hdr(72, false);
    f2.extend(&dgram[72..]);
    // A destination options header before the fragment header belongs to the unfragmentable part.
    let mut p1 = ext(ipproto::FRAGMENT, 1);
    p1.extend(f1);
    let mut p2 = ext(ipproto::FRAGMENT, 1);
    p2.extend(f2);
    let pkt1 = ipv6(a6(), b6(), ipproto::DSTOPTS, &p1);
    let pkt2 = ipv6(a6(), b6(), ipproto::DSTOPTS, &p2);
    let mut r = Run::new();
    assert!(
        matches!(
            dec(&mut r.decoder, &mut r.anomalies, 229, &pkt1),
            Decoded::FragmentHeld
        ),
        "{:?}",
        r.anomalies
    );
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &pkt2));
    assert_eq!(
        tuple(&p),
        (a6().into(), b6().into(), ipproto::TCP, 7000, 22)
    );
    assert_eq!(p.payload, &big[..]);
    assert!(p.ip.reassembled);
    assert_eq!(p.ip.ip_len as usize, 40 + 8 + dgram.len());
    assert!(!p.bad_checksum);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

// ---------------------------------------------------------------------------------------------
// Transports.

#[test]
fn tcp_options_parsed() {
    let opts = [
        2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 42, 0, 0, 0, 0, 1, 1, 0, 0,
    ];
    let pkt = ipv4(
        A4,
        B4,
        ipproto::TCP,
        &tcp_seg(A4.into(), B4.into(), 1234, 80, tcpflags::SYN, &opts, b""),
    );
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
    let Transport::Tcp(t) = p.transport else {
        panic!()
    };
    assert_eq!(
        (t.mss, t.window_scale, t.sack_permitted, t.ts_val),
        (Some(1460), Some(7), true, Some(42))
    );
    assert_eq!(
        (t.header_len, t.seq, t.ack, t.window),
        (44, 1000, 2000, 8192)
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);

    // Malformed options: tolerated, reported.
    for opts in [[2, 3, 0, 0], [8, 40, 0, 0], [5, 0, 0, 0]] {
        let pkt = ipv4(
            A4,
            B4,
            ipproto::TCP,
            &tcp_seg(A4.into(), B4.into(), 1234, 80, tcpflags::SYN, &opts, b""),
        );
        let mut r = Run::new();
        assert_eq!(
            tuple(&expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt))),
            tcp4_tuple()
        );
        assert_eq!(names(&r.anomalies), ["bad_TCP_option"], "{opts:?}");
    }
}

#[test]
fn tcp_flag_anomalies_still_deliver() {
    use tcpflags::*;
    for (flags, expect) in [
        (SYN | FIN, vec!["TCP_SYN_with_FIN"]),
        (SYN | RST, vec!["TCP_SYN_with_RST"]),
        (FIN | RST | ACK, vec!["TCP_FIN_with_RST"]),
        (0, vec!["TCP_no_flags"]),
        (FIN | PSH | URG, vec!["TCP_christmas"]),
        (SYN | ACK, vec![]),
        (FIN | ACK, vec![]),
        (RST, vec![]),
    ] {
        let pkt = ipv4(
            A4,
            B4,
            ipproto::TCP,
            &tcp_seg(A4.into(), B4.into(), 1234, 80, flags, &[], b""),
        );
        let mut r = Run::new();
        let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
        assert!(matches!(p.transport, Transport::Tcp(t) if t.flags == flags));
        assert_eq!(names(&r.anomalies), expect, "flags {flags:#x}");
    }
}

#[test]
fn tcp_header_problems() {
    let mut pkt = tcp4();
    pkt[20 + 12] = 0x40; // data offset 4
    assert_eq!(decode_one(228, &pkt).1, ["bad_TCP_header_len"]);
    pkt[20 + 12] = 0xf0; // 60 bytes, more than the segment
    assert_eq!(decode_one(228, &pkt).1, ["bad_TCP_header_len"]);
    let pkt = ipv4(A4, B4, ipproto::TCP, &[0; 10]);
    assert_eq!(decode_one(228, &pkt).1, ["truncated_TCP_header"]);
}

#[test]
fn transport_checksums() {
    // Known good.
    let mut r = Run::new();
    assert!(!expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &tcp4())).bad_checksum);
    assert!(!expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &tcp6())).bad_checksum);
    assert!(r.anomalies.is_empty());

    // Bad TCP checksum: delivered, flagged.
    let mut pkt = tcp4();
    pkt[20 + 16] ^= 0x10;
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
    assert!(p.bad_checksum);
    assert_eq!(names(&r.anomalies), ["bad_TCP_checksum"]);
    let mut r = Run::unverified();
    assert!(!expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt)).bad_checksum);
    assert!(r.anomalies.is_empty());

    // UDP: zero checksum means none over IPv4; bad otherwise.
    let mut pkt = udp4(1000, 53, b"query");
    pkt[26..28].copy_from_slice(&[0, 0]);
    let mut r = Run::new();
    assert!(!expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt)).bad_checksum);
    pkt[26] = 0x12;
    let mut r = Run::new();
    assert!(expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt)).bad_checksum);
    assert_eq!(names(&r.anomalies), ["bad_UDP_checksum"]);
    // Zero UDP checksum over IPv6 is not allowed.
    let mut pkt = ipv6(
        a6(),
        b6(),
        ipproto::UDP,
        &udp_seg(a6().into(), b6().into(), 1, 53, b"q"),
    );
    pkt[46..48].copy_from_slice(&[0, 0]);
    let mut r = Run::new();
    assert!(expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &pkt)).bad_checksum);

    // ICMP and ICMPv6 echo requests.
    let pkt = ipv4(A4, B4, ipproto::ICMP, &icmp_seg(None, 8, b"ping"));
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
    assert_eq!(
        (p.transport, p.payload, p.bad_checksum),
        (
            Transport::Icmp(IcmpHeader {
                v6: false,
                icmp_type: 8,
                code: 0
            }),
            &b"ping"[..],
            false
        )
    );
    assert!(r.anomalies.is_empty());
    // An ICMPv4 type no standard defines, and a code its type does not define: the packet is
    // still an ICMP flow, with the anomaly.
    for (t, code, kind) in [
        (24, 0, AnomalyKind::UnknownIcmpType),
        (5, 213, AnomalyKind::UnknownIcmpCode),
        (3, 16, AnomalyKind::UnknownIcmpCode),
    ] {
        let mut seg = icmp_seg(None, t, b"x");
        seg[1] = code;
        seg[2..4].copy_from_slice(&[0, 0]);
        fill_checksum(&mut seg, 2, None);
        let pkt = ipv4(A4, B4, ipproto::ICMP, &seg);
        let mut r = Run::new();
        expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
        let kinds: Vec<AnomalyKind> = r.anomalies.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [kind], "type {t} code {code}");
    }
    let pkt = ipv6(
        a6(),
        b6(),
        ipproto::ICMPV6,
        &icmp_seg(Some((a6(), b6())), 128, b"ping6"),
    );
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &pkt));
    assert_eq!(
        (p.transport, p.bad_checksum),
        (
            Transport::Icmp(IcmpHeader {
                v6: true,
                icmp_type: 128,
                code: 0
            }),
            false
        )
    );
    let mut bad = pkt.clone();
    bad[43] ^= 1;
    let mut r = Run::new();
    assert!(expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &bad)).bad_checksum);
    assert_eq!(names(&r.anomalies), ["bad_ICMP_checksum"]);
}

#[test]
fn udp_length_problems() {
    for bad_len in [4u16, 200] {
        let mut pkt = udp4(1000, 2000, b"abcdef");
        pkt[24..26].copy_from_slice(&bad_len.to_be_bytes());
        let mut r = Run::new();
        let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
        assert_eq!((p.payload, p.bad_checksum), (&b"abcdef"[..], false));
        assert_eq!(names(&r.anomalies), ["bad_UDP_length"]);
    }
    // UDP length shorter than the IP payload: trailing bytes are not payload.
    let mut pkt = udp4(1000, 2000, b"abcdef");
    pkt[24..26].copy_from_slice(&10u16.to_be_bytes());
    let mut r = Run::unverified();
    assert_eq!(
        expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt)).payload,
        b"ab"
    );
    assert_eq!(
        decode_one(228, &ipv4(A4, B4, ipproto::UDP, &[0; 5])).1,
        ["truncated_UDP_header"]
    );
}

#[test]
fn sctp_and_other_protocols() {
    let mut s = vec![0x0b, 0x59, 0x0b, 0x5a, 0, 0, 0, 1, 0, 0, 0, 0];
    s.extend([1, 0, 0, 4]);
    let mut r = Run::new();
    let frame = ipv4(A4, B4, ipproto::SCTP, &s);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &frame));
    assert_eq!(
        p.transport,
        Transport::Sctp {
            src_port: 2905,
            dst_port: 2906
        }
    );
    assert_eq!(
        decode_one(228, &ipv4(A4, B4, ipproto::SCTP, &s[..8])).1,
        ["truncated_SCTP_header"]
    );
    let mut r = Run::new();
    let frame = ipv4(A4, B4, 89, b"ospf");
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &frame));
    assert_eq!(
        (p.transport, p.ip.proto, p.payload),
        (Transport::Other, 89, &b"ospf"[..])
    );
}

#[test]
fn land_attack() {
    let pkt = ipv4(
        A4,
        A4,
        ipproto::TCP,
        &tcp_seg(A4.into(), A4.into(), 139, 139, tcpflags::SYN, &[], b""),
    );
    let mut r = Run::new();
    expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
    assert_eq!(names(&r.anomalies), ["land_attack"]);
}

// ---------------------------------------------------------------------------------------------
// Tunnels.

fn gre(flags: u16, proto: u16, extra: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut g = flags.to_be_bytes().to_vec();
    g.extend(proto.to_be_bytes());
    g.extend(extra);
    g.extend(payload);
    g
}

fn outer_gre(payload: &[u8]) -> Vec<u8> {
    eth(0x0800, &ipv4(O4, P4, ipproto::GRE, payload))
}

fn gre_layer(kind: TunnelKind) -> (TunnelKind, IpAddr, IpAddr, u8, u16, u16) {
    (kind, O4.into(), P4.into(), ipproto::GRE, 0, 0)
}

fn assert_tunnelled(
    frame: &[u8],
    layers: &[(TunnelKind, IpAddr, IpAddr, u8, u16, u16)],
) -> LinkInfo {
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, frame));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(tuple(&p), tcp4_tuple());
    assert_eq!(p.payload, b"hello");
    assert_eq!(tunnels(&p), layers);
    assert_eq!(
        p.tunnels.innermost().map(|t| t.kind),
        layers.last().map(|l| l.0)
    );
    p.link
}

#[test]
fn gre_variants() {
    assert_tunnelled(
        &outer_gre(&gre(0, 0x0800, &[], &tcp4())),
        &[gre_layer(TunnelKind::Gre)],
    );
    // Checksum, key and sequence number present.
    assert_tunnelled(
        &outer_gre(&gre(0xb000, 0x0800, &[0; 12], &tcp4())),
        &[gre_layer(TunnelKind::Gre)],
    );
    // Transparent Ethernet bridging: the inner frame's MACs are the packet's.
    let mut inner = eth(0x0800, &tcp4());
    inner[6..12].copy_from_slice(&[6; 6]);
    let link = assert_tunnelled(
        &outer_gre(&gre(0x2000, 0x6558, &[0, 0, 0, 9], &inner)),
        &[gre_layer(TunnelKind::Gre)],
    );
    assert_eq!(link.src_mac, Some([6; 6]));
    // MPLS over GRE.
    let mut mpls = mpls_label(5, true).to_vec();
    mpls.extend(tcp4());
    assert_tunnelled(
        &outer_gre(&gre(0, 0x8847, &[], &mpls)),
        &[gre_layer(TunnelKind::Gre)],
    );
    // GRE over IPv6.
    let frame = eth(
        0x86dd,
        &ipv6(a6(), b6(), ipproto::GRE, &gre(0, 0x0800, &[], &tcp4())),
    );
    assert_tunnelled(
        &frame,
        &[(
            TunnelKind::Gre,
            a6().into(),
            b6().into(),
            ipproto::GRE,
            0,
            0,
        )],
    );
    // Enhanced GRE (PPTP) with PPP inside.
    let mut ppp = vec![0xff, 0x03, 0x00, 0x21];
    ppp.extend(tcp4());
    let mut key = (ppp.len() as u16).to_be_bytes().to_vec();
    key.extend([0, 7, 0, 0, 0, 1]);
    assert_tunnelled(
        &outer_gre(&gre(0x3001, 0x880b, &key, &ppp)),
        &[gre_layer(TunnelKind::Gre)],
    );
}

#[test]
fn gre_oddities_fall_back_to_outer() {
    for (g, anomaly) in [
        (gre(0x0003, 0x0800, &[], &tcp4()), "unknown_gre_version"),
        (gre(0, 0x1234, &[], &tcp4()), "unknown_gre_protocol"),
        (vec![0, 0], "truncated_GRE"),
        (gre(0xb000, 0x0800, &[0; 4], &[]), "truncated_GRE"),
    ] {
        let mut r = Run::new();
        let frame = outer_gre(&g);
        let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
        assert_eq!(
            (p.ip.proto, p.transport, p.tunnels.len()),
            (ipproto::GRE, Transport::Other, 0)
        );
        assert_eq!(names(&r.anomalies), [anomaly]);
    }
    // An inner packet that does not decode: the outer GRE packet is the flow.
    let mut r = Run::new();
    let frame = outer_gre(&gre(0, 0x0800, &[], &[0x45, 0, 0]));
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert_eq!((p.ip.src, p.tunnels.len()), (IpAddr::from(O4), 0));
    assert_eq!(names(&r.anomalies), ["truncated_IP_header"]);
}

#[test]
fn erspan_types() {
    let inner = eth(0x0800, &tcp4());
    // Type II: sequence number in GRE, 8-byte ERSPAN header.
    let mut e2 = vec![0x10, 0x00, 0x00, 0x01, 0, 0, 0, 0];
    e2.extend(&inner);
    assert_tunnelled(
        &outer_gre(&gre(0x1000, 0x88be, &[0, 0, 0, 1], &e2)),
        &[gre_layer(TunnelKind::Erspan)],
    );
    // Type I: no sequence number, no header.
    assert_tunnelled(
        &outer_gre(&gre(0, 0x88be, &[], &inner)),
        &[gre_layer(TunnelKind::Erspan)],
    );
    // Type III without and with the platform-specific subheader.
    for o_bit in [false, true] {
        let mut e3 = vec![0x20, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, u8::from(o_bit)];
        if o_bit {
            e3.extend([0x11; 8]);
        }
        e3.extend(&inner);
        assert_tunnelled(
            &outer_gre(&gre(0x1000, 0x22eb, &[0, 0, 0, 1], &e3)),
            &[gre_layer(TunnelKind::Erspan)],
        );
    }
}

fn udp_tunnel(dport: u16, payload: &[u8]) -> Vec<u8> {
    eth(
        0x0800,
        &ipv4(
            O4,
            P4,
            ipproto::UDP,
            &udp_seg(O4.into(), P4.into(), 40000, dport, payload),
        ),
    )
}

#[test]
fn vxlan_and_geneve() {
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    vx.extend(eth(0x0800, &tcp4()));
    assert_tunnelled(
        &udp_tunnel(4789, &vx),
        &[(
            TunnelKind::Vxlan,
            O4.into(),
            P4.into(),
            ipproto::UDP,
            40000,
            4789,
        )],
    );

    // Geneve with 8 bytes of options carrying Ethernet, and carrying IPv4 directly.
    let layer = (
        TunnelKind::Geneve,
        O4.into(),
        P4.into(),
        ipproto::UDP,
        40000,
        6081,
    );
    let mut gv = vec![0x02, 0, 0x65, 0x58, 0, 0, 1, 0];
    gv.extend([0x01, 0x02, 0x03, 0x01, 0xaa, 0xbb, 0xcc, 0xdd]);
    gv.extend(eth(0x0800, &tcp4()));
    assert_tunnelled(&udp_tunnel(6081, &gv), &[layer]);
    let mut gv = vec![0, 0, 0x08, 0x00, 0, 0, 1, 0];
    gv.extend(tcp4());
    assert_tunnelled(&udp_tunnel(6081, &gv), &[layer]);

    // The inner flow's packet length is what the tunnel carried: the inner Ethernet frame for
    // VXLAN, the inner IP datagram for Geneve carrying IPv4.
    let mut r = Run::new();
    let frame = udp_tunnel(4789, &vx);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    let inner = p.tunnels.iter().last().map(|l| l.inner_len);
    assert_eq!(inner, Some((14 + tcp4().len()) as u32));
    let mut r = Run::new();
    let frame = udp_tunnel(6081, &gv);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    let inner = p.tunnels.iter().last().map(|l| l.inner_len);
    assert_eq!(inner, Some(tcp4().len() as u32));

    // VXLAN carrying ARP: the outer UDP datagram is what gets tracked (its connection is
    // logged), not an ARP packet.
    let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 1];
    arp.extend(MAC_A);
    arp.extend(A4.octets());
    arp.extend(MAC_B);
    arp.extend(B4.octets());
    let mut vx_arp = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    vx_arp.extend(eth(0x0806, &arp));
    let mut r = Run::new();
    let frame = udp_tunnel(4789, &vx_arp);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert_eq!(
        (p.transport, p.tunnels.len()),
        (
            Transport::Udp {
                src_port: 40000,
                dst_port: 4789
            },
            0
        )
    );

    // Not VXLAN without the I flag: plain UDP, no anomaly.
    let mut r = Run::new();
    let mut vx_bad = vx.clone();
    vx_bad[0] = 0;
    let frame = udp_tunnel(4789, &vx_bad);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert_eq!(
        (p.transport, p.tunnels.len()),
        (
            Transport::Udp {
                src_port: 40000,
                dst_port: 4789
            },
            0
        )
    );
    assert!(r.anomalies.is_empty());

    // VXLAN whose inner frame does not decode: the outer UDP flow, with the anomaly.
    let mut vx_trunc = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    vx_trunc.extend(eth(0x0800, &[0x45, 0, 0, 40]));
    let mut r = Run::new();
    let frame = udp_tunnel(4789, &vx_trunc);
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert_eq!(
        (p.ip.src, p.transport, p.tunnels.len()),
        (
            O4.into(),
            Transport::Udp {
                src_port: 40000,
                dst_port: 4789
            },
            0
        )
    );
    assert_eq!(p.link.src_mac, Some(MAC_A));
    assert_eq!(names(&r.anomalies), ["truncated_IP_header"]);
    // Too short to be VXLAN.
    let mut r = Run::new();
    expect_ip(dec(
        &mut r.decoder,
        &mut r.anomalies,
        1,
        &udp_tunnel(4789, &[8, 0]),
    ));
    assert_eq!(names(&r.anomalies), ["truncated_VXLAN"]);
    let mut r = Run::new();
    expect_ip(dec(
        &mut r.decoder,
        &mut r.anomalies,
        1,
        &udp_tunnel(6081, &[0, 0, 0x12, 0x34, 0, 0, 0, 0]),
    ));
    assert_eq!(names(&r.anomalies), ["unknown_Geneve_protocol"]);
}

#[test]
fn ip_in_ip_variants() {
    let ipip = eth(0x0800, &ipv4(O4, P4, ipproto::IPIP, &tcp4()));
    assert_tunnelled(
        &ipip,
        &[(
            TunnelKind::IpInIp,
            O4.into(),
            P4.into(),
            ipproto::IPIP,
            0,
            0,
        )],
    );
    // 6in4.
    let six = eth(0x0800, &ipv4(O4, P4, ipproto::IPV6, &tcp6()));
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &six));
    assert_eq!(
        tuple(&p),
        (a6().into(), b6().into(), ipproto::TCP, 4321, 443)
    );
    assert_eq!(
        tunnels(&p),
        [(
            TunnelKind::IpInIp,
            O4.into(),
            P4.into(),
            ipproto::IPV6,
            0,
            0
        )]
    );
    // 4in6.
    let four = eth(0x86dd, &ipv6(a6(), b6(), ipproto::IPIP, &tcp4()));
    assert_tunnelled(
        &four,
        &[(
            TunnelKind::IpInIp,
            a6().into(),
            b6().into(),
            ipproto::IPIP,
            0,
            0,
        )],
    );
    // Wrong inner version: the outer packet.
    let mut r = Run::new();
    let frame = eth(0x0800, &ipv4(O4, P4, ipproto::IPIP, &tcp6()));
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert_eq!((p.ip.proto, p.tunnels.len()), (ipproto::IPIP, 0));
    assert_eq!(names(&r.anomalies), ["bad_IP_version"]);
}

#[test]
fn nested_tunnels_and_depth_limit() {
    // GRE inside VXLAN inside IP-in-IP.
    let gre_pkt = ipv4(O4, P4, ipproto::GRE, &gre(0, 0x0800, &[], &tcp4()));
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
    vx.extend(eth(0x0800, &gre_pkt));
    let vx_pkt = ipv4(
        P4,
        O4,
        ipproto::UDP,
        &udp_seg(P4.into(), O4.into(), 1, 4789, &vx),
    );
    let frame = eth(0x0800, &ipv4(A4, B4, ipproto::IPIP, &vx_pkt));
    assert_tunnelled(
        &frame,
        &[
            (
                TunnelKind::IpInIp,
                A4.into(),
                B4.into(),
                ipproto::IPIP,
                0,
                0,
            ),
            (
                TunnelKind::Vxlan,
                P4.into(),
                O4.into(),
                ipproto::UDP,
                1,
                4789,
            ),
            gre_layer(TunnelKind::Gre),
        ],
    );

    // Six levels of IP-in-IP: the fourth layer's packet is returned with the anomaly.
    let mut pkt = tcp4();
    for _ in 0..6 {
        pkt = ipv4(O4, P4, ipproto::IPIP, &pkt);
    }
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
    assert_eq!(
        (p.ip.proto, p.tunnels.len()),
        (ipproto::IPIP, MAX_TUNNEL_DEPTH)
    );
    assert_eq!(names(&r.anomalies), ["exceeded_tunnel_max_depth"]);
}

// ---------------------------------------------------------------------------------------------
// Robustness.

#[test]
fn every_truncation_point_is_reported() {
    let frame = eth(0x0800, &tcp4());
    for len in 0..frame.len() {
        for verify in [true, false] {
            let mut r = if verify {
                Run::new()
            } else {
                Run::unverified()
            };
            let d = format!(
                "{:?}",
                dec(&mut r.decoder, &mut r.anomalies, 1, &frame[..len])
            );
            assert!(!r.anomalies.is_empty(), "prefix {len}: {d} without anomaly");
        }
    }
}

#[test]
fn every_truncation_of_tunnels_is_safe() {
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    vx.extend(eth(0x0800, &tcp4()));
    let mut e3 = vec![0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    e3.extend([0; 8]);
    e3.extend(eth(0x0800, &tcp4()));
    let frames = [
        udp_tunnel(4789, &vx),
        outer_gre(&gre(0x1000, 0x22eb, &[0, 0, 0, 1], &e3)),
        eth(0x86dd, &ipv6(a6(), b6(), ipproto::IPIP, &tcp4())),
        eth(0x8864, &pppoe(0x0021, &tcp4())),
    ];
    for frame in &frames {
        for len in 0..frame.len() {
            let mut r = Run::new();
            let d = format!(
                "{:?}",
                dec(&mut r.decoder, &mut r.anomalies, 1, &frame[..len])
            );
            assert!(!r.anomalies.is_empty(), "prefix {len}: {d} without anomaly");
        }
    }
}

#[test]
fn anomalies_carry_addresses() {
    let mut pkt = tcp4();
    pkt[20 + 16] ^= 1;
    let mut r = Run::new();
    expect_ip(dec(&mut r.decoder, &mut r.anomalies, 228, &pkt));
    assert_eq!(
        r.anomalies,
        [Anomaly {
            kind: AnomalyKind::BadTcpChecksum,
            src: Some(A4.into()),
            dst: Some(B4.into()),
            detail: AnomalyDetail::None
        }]
    );
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_packets_never_panic() {
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    vx.extend(eth(0x0800, &tcp4()));
    let mut e2 = vec![0x10, 0, 0, 1, 0, 0, 0, 0];
    e2.extend(
        eth(0x8100, &[0, 5, 0x86, 0xdd])
            .into_iter()
            .chain(tcp6())
            .collect::<Vec<_>>(),
    );
    let mut gv = vec![0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 1, 2, 3, 0];
    gv.extend(eth(0x0800, &tcp4()));
    let (f1, f2) = ipv4_fragments(&udp_seg(A4.into(), B4.into(), 1, 2, &[7; 40]), 9, 24);
    let mut ext_chain = ext(ipproto::ROUTING, 1);
    ext_chain.extend(ext(ipproto::AH, 2));
    ext_chain.extend(udp_seg(a6().into(), b6().into(), 1, 2, b"x"));
    // (link type index in fuzzing::LINK_TYPES, packet)
    let seeds: Vec<(u8, Vec<u8>)> = vec![
        (0, eth(0x0800, &tcp4())),
        (0, udp_tunnel(4789, &vx)),
        (0, udp_tunnel(6081, &gv)),
        (0, outer_gre(&gre(0x1000, 0x88be, &[0, 0, 0, 1], &e2))),
        (
            0,
            eth(
                0x8847,
                &[
                    mpls_label(1, true).to_vec(),
                    vec![0; 4],
                    eth(0x0800, &tcp4()),
                ]
                .concat(),
            ),
        ),
        (0, eth(0x8864, &pppoe(0x0057, &tcp6()))),
        (
            0,
            eth(
                0x88a8,
                &[
                    tag(0, 1, 0x8100)[2..].to_vec(),
                    tag(0, 2, 0x0800)[2..].to_vec(),
                    tcp4(),
                ]
                .concat(),
            ),
        ),
        (11, f1),
        (11, f2),
        (12, ipv6(a6(), b6(), ipproto::HOPOPT, &ext_chain)),
        (12, ipv6(a6(), b6(), ipproto::IPIP, &tcp4())),
        (1, [vec![2, 0, 0, 0], tcp4()].concat()),
        (2, [vec![0xff, 3, 0, 0x21], tcp4()].concat()),
        (10, [vec![0; 14], vec![8, 0], tcp4()].concat()),
        (13, [vec![0x86, 0xdd], vec![0; 18], tcp6()].concat()),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut input = Vec::new();
    for i in 0..100_000 {
        let (lt, seed) = &seeds[i % seeds.len()];
        input.clear();
        input.push(*lt);
        input.extend(seed);
        let mutations = 1 + rng.below(6);
        for _ in 0..mutations {
            match rng.below(5) {
                0 => {
                    let at = 1 + rng.below(input.len() - 1);
                    input[at] = rng.next() as u8;
                }
                1 => {
                    let at = 1 + rng.below(input.len() - 1);
                    input[at] ^= 1 << rng.below(8);
                }
                2 => {
                    let keep = 1 + rng.below(input.len());
                    input.truncate(keep);
                }
                3 => {
                    // Interesting values at a random spot.
                    let at = 1 + rng.below(input.len() - 1);
                    input[at] = [0, 0xff, 0x7f, 0x80, 1, 0x45, 0x60][rng.below(7)];
                }
                _ => {
                    let at = 1 + rng.below(input.len() - 1);
                    input.insert(at, rng.next() as u8);
                }
            }
            if input.len() < 2 {
                break;
            }
        }
        crate::fuzzing::decode_packet(&input);
    }
}

// ---------------------------------------------------------------------------------------------
// Less common framings.

/// An 802.11 QoS data frame from a station to an AP carrying `payload` behind LLC/SNAP.
fn wlan_data(et: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x88, 0x01, 0, 0];
    f.extend([0xb; 6]); // BSSID
    f.extend(MAC_A); // source
    f.extend(MAC_B); // destination
    f.extend([0, 0, 0, 0]); // sequence control, QoS control
    f.extend([0xaa, 0xaa, 0x03, 0, 0, 0]);
    f.extend(et.to_be_bytes());
    f.extend(payload);
    f
}

#[test]
fn wireless_and_other_framings() {
    let frame = wlan_data(0x0800, &tcp4());
    let link = assert_tcp4(105, &frame);
    assert_eq!((link.src_mac, link.dst_mac), (Some(MAC_A), Some(MAC_B)));
    let mut radiotap = vec![0, 0, 8, 0, 0, 0, 0, 0];
    radiotap.extend(&frame);
    assert_tcp4(127, &radiotap);
    let mut ppi = vec![0, 0, 8, 0, 105, 0, 0, 0];
    ppi.extend(&frame);
    assert_tcp4(192, &ppi);
    assert_eq!(
        decode_one(105, &[0x80, 0, 0, 0]).0,
        "NonIp(\"wlan_management\")"
    );
    let mut protected = frame.clone();
    protected[1] |= 0x40;
    assert_eq!(decode_one(105, &protected).0, "NonIp(\"wlan_protected\")");
    // Aruba access points tunnel 802.11 frames in GRE.
    assert_tunnelled(
        &outer_gre(&gre(0, 0x8200, &[], &frame)),
        &[gre_layer(TunnelKind::Gre)],
    );

    // FDDI with SNAP.
    let mut fddi = vec![0x50];
    fddi.extend(MAC_B);
    fddi.extend(MAC_A);
    fddi.extend([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
    fddi.extend(tcp4());
    assert_eq!(assert_tcp4(10, &fddi).src_mac, Some(MAC_A));

    // Cisco FabricPath and VN-Tag.
    let mut fp = eth(0x8903, &[0, 0x20]);
    fp.extend(eth(0x0800, &tcp4()));
    assert_tcp4(1, &fp);
    let mut vn = eth(0x8926, &[0x80, 0x01, 0x00, 0x02, 0x08, 0x00]);
    vn.extend(tcp4());
    assert_tcp4(1, &vn);

    // Cisco HDLC framing on a PPP link type.
    let mut f = vec![0x0f, 0, 0x08, 0];
    f.extend(tcp4());
    assert_tcp4(9, &f);

    // ARP carried in GRE.
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 2];
    a.extend(MAC_A);
    a.extend(A4.octets());
    a.extend(MAC_B);
    a.extend(B4.octets());
    let mut r = Run::new();
    let frame = outer_gre(&gre(0, 0x0806, &[], &a));
    assert!(
        matches!(dec(&mut r.decoder, &mut r.anomalies, 1, &frame), Decoded::Arp(_, arp) if arp.opcode == 2)
    );
}

#[test]
fn ipv6_pseudo_header_uses_final_destination_and_home_address() {
    let (c, final_dst, home) = (
        Ipv6Addr::from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]),
        b6(),
        a6(),
    );
    let via: Ipv6Addr = "2001:db8::99".parse().unwrap();
    // Type 0 routing header with one segment left: the checksum is over the final hop.
    let u = udp_seg(c.into(), final_dst.into(), 7, 9, b"routed");
    let mut rh = vec![ipproto::UDP, 2, 0, 1, 0, 0, 0, 0];
    rh.extend(final_dst.octets());
    rh.extend(&u);
    let pkt = ipv6(c, via, ipproto::ROUTING, &rh);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &pkt));
    assert_eq!((p.ip.dst, p.bad_checksum), (IpAddr::from(via), false));

    // Home address option: the checksum is from the home address.
    let t = tcp_seg(home.into(), b6().into(), 5, 6, tcpflags::SYN, &[], b"");
    let mut dst_opts = vec![ipproto::TCP, 2, 1, 2, 0, 0, 0xc9, 16];
    dst_opts.extend(home.octets());
    dst_opts.extend(&t);
    let pkt = ipv6(c, b6(), ipproto::DSTOPTS, &dst_opts);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 229, &pkt));
    assert_eq!((p.ip.src, p.bad_checksum), (IpAddr::from(c), false));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

/// `cargo test --release -p netloupe-decode decode_throughput -- --ignored --nocapture`
#[test]
#[ignore = "timing, run by hand in release mode"]
fn decode_throughput() {
    let payload = vec![0x5a; 1400];
    let pkt = eth(
        0x0800,
        &ipv4(
            A4,
            B4,
            ipproto::TCP,
            &tcp_seg(
                A4.into(),
                B4.into(),
                1234,
                80,
                tcpflags::ACK,
                &[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
                &payload,
            ),
        ),
    );
    let small = eth(0x0800, &tcp4());
    for (name, frame) in [("1466-byte TCP", &pkt), ("59-byte TCP", &small)] {
        for verify_checksums in [true, false] {
            let mut decoder = Decoder::new(DecodeConfig {
                verify_checksums,
                ..DecodeConfig::default()
            });
            let mut anomalies = Vec::new();
            let n = 2_000_000u32;
            let start = std::time::Instant::now();
            let mut ok = 0u32;
            for i in 0..n {
                anomalies.clear();
                if let Decoded::Ip(p) =
                    decoder.decode(i64::from(i), 1, std::hint::black_box(frame), &mut anomalies)
                {
                    ok += u32::from(!p.bad_checksum);
                }
            }
            assert_eq!(ok, n);
            let ns = start.elapsed().as_nanos() as f64 / f64::from(n);
            println!(
                "{name}, verify {verify_checksums}: {ns:.1} ns/packet, {:.2} GB/s",
                frame.len() as f64 / ns
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GTPv1-U (3GPP TS 29.281).

/// A GTPv1-U header: `flags`, message type, length of what follows the first 8 octets, TEID,
/// then `opt` (the optional 4 octets and extension headers, as given) and `tpdu`.
fn gtp(flags: u8, msg_type: u8, opt: &[u8], tpdu: &[u8]) -> Vec<u8> {
    let mut g = vec![flags, msg_type];
    g.extend(((opt.len() + tpdu.len()) as u16).to_be_bytes());
    g.extend(0x0102_0304u32.to_be_bytes());
    g.extend(opt);
    g.extend(tpdu);
    g
}

fn gtp_layer(sport: u16, dport: u16) -> (TunnelKind, IpAddr, IpAddr, u8, u16, u16) {
    (
        TunnelKind::Gtp,
        O4.into(),
        P4.into(),
        ipproto::UDP,
        sport,
        dport,
    )
}

fn udp_tunnel_ports(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    eth(
        0x0800,
        &ipv4(
            O4,
            P4,
            ipproto::UDP,
            &udp_seg(O4.into(), P4.into(), sport, dport, payload),
        ),
    )
}

/// Decodes `frame` and expects the outer UDP datagram O4 -> P4 (no tunnel), returning the
/// anomaly names.
fn expect_outer_udp(frame: &[u8], sport: u16, dport: u16) -> Vec<&'static str> {
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, frame));
    assert_eq!(
        (p.ip.src, p.transport, p.tunnels.len()),
        (
            O4.into(),
            Transport::Udp {
                src_port: sport,
                dst_port: dport
            },
            0
        )
    );
    names(&r.anomalies)
}

#[test]
fn gtpu_g_pdu_carries_ipv4_and_ipv6() {
    // Plain G-PDU (no optional fields), IPv4 T-PDU, to port 2152.
    let g = gtp(0x30, 0xff, &[], &tcp4());
    let frame = udp_tunnel(2152, &g);
    assert_tunnelled(&frame, &[gtp_layer(40000, 2152)]);
    // The layer's lengths, as for VXLAN: outer IP length and UDP payload length.
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    let t = p.tunnels.innermost().copied().unwrap();
    assert_eq!(t.payload_len as usize, g.len());
    assert_eq!(t.ip_len as usize, 20 + 8 + g.len());
    // From port 2152 to an ephemeral port works as well.
    assert_tunnelled(
        &udp_tunnel_ports(2152, 40000, &g),
        &[gtp_layer(2152, 40000)],
    );
    // IPv6 T-PDU (picked by the version nibble).
    let mut r = Run::new();
    let frame = udp_tunnel(2152, &gtp(0x30, 0xff, &[], &tcp6()));
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        tuple(&p),
        (a6().into(), b6().into(), ipproto::TCP, 4321, 443)
    );
    assert_eq!(tunnels(&p), [gtp_layer(40000, 2152)]);
}

#[test]
fn gtpu_optional_fields_and_extension_headers() {
    // S flag: sequence number, N-PDU number and a next-type octet that is not interpreted
    // without E (here nonzero on purpose).
    let g = gtp(0x32, 0xff, &[0x12, 0x34, 0, 0x85], &tcp4());
    assert_tunnelled(&udp_tunnel(2152, &g), &[gtp_layer(40000, 2152)]);
    // PN flag alone.
    let g = gtp(0x31, 0xff, &[0, 0, 7, 0], &tcp4());
    assert_tunnelled(&udp_tunnel(2152, &g), &[gtp_layer(40000, 2152)]);
    // E flag with two extension headers: a PDU session container (0x85, 1 unit) then a PDCP
    // PDU number (0xc0, 2 units), the chain ending with 0.
    let mut opt = vec![0, 0, 0, 0x85];
    opt.extend([1, 0x10, 0x01, 0xc0]);
    opt.extend([2, 0x00, 0x2a, 0, 0, 0, 0, 0]);
    let g = gtp(0x34, 0xff, &opt, &tcp4());
    assert_tunnelled(&udp_tunnel(2152, &g), &[gtp_layer(40000, 2152)]);
    // E, S and PN together.
    let g = gtp(0x37, 0xff, &opt, &tcp4());
    assert_tunnelled(&udp_tunnel(2152, &g), &[gtp_layer(40000, 2152)]);

    // A zero-length extension header is an error: the outer UDP packet, with an anomaly.
    let mut bad = vec![0, 0, 0, 0x85];
    bad.extend([0, 0, 0, 0]);
    let g = gtp(0x34, 0xff, &bad, &tcp4());
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["bad_GTPv1_extension_header"]
    );
    // An extension running past the GTP length.
    let g = gtp(0x34, 0xff, &[0, 0, 0, 0x85, 4, 0, 0, 0], &[]);
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["truncated_GTPv1"]
    );
    // An endless chain (every extension names another) is bounded.
    let mut opt = vec![0, 0, 0, 0x85];
    for _ in 0..(MAX_GTP_EXT_HEADERS + 1) {
        opt.extend([1, 0, 0, 0x85]);
    }
    let g = gtp(0x34, 0xff, &opt, &tcp4());
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["GTPv1_extension_header_chain_too_long"]
    );
    // Optional fields announced by a flag but not covered by the length.
    let g = gtp(0x32, 0xff, &[], &[]);
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["truncated_GTPv1"]
    );
}

#[test]
fn gtpu_other_messages_and_failures_stay_udp() {
    // Echo request (type 1), error indication (26), end marker (254): plain UDP, no anomaly.
    for t in [1u8, 2, 26, 254] {
        let g = gtp(0x32, t, &[0, 1, 0, 0], &[]);
        assert!(expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152).is_empty());
    }
    // GTP' (PT 0), GTPv0 and GTPv2 headers are not GTPv1-U.
    for flags in [0x20u8, 0x10, 0x48] {
        let g = gtp(flags, 0xff, &[], &tcp4());
        assert!(expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152).is_empty());
    }
    // Other ports are not looked at.
    let g = gtp(0x30, 0xff, &[], &tcp4());
    assert!(expect_outer_udp(&udp_tunnel(2153, &g), 40000, 2153).is_empty());
    // The inner packet does not decode: the outer UDP packet, with the inner anomaly.
    let g = gtp(0x30, 0xff, &[], &[0x45, 0, 0, 40]);
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["truncated_IP_header"]
    );
    // Neither IPv4 nor IPv6 inside, or an empty T-PDU.
    let g = gtp(0x30, 0xff, &[], &[0x12, 0x34, 0x56, 0x78]);
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["GTPv1_unknown_payload_protocol"]
    );
    let g = gtp(0x30, 0xff, &[], &[]);
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["GTPv1_unknown_payload_protocol"]
    );
    // A length beyond the datagram.
    let mut g = gtp(0x30, 0xff, &[], &tcp4());
    g[3] += 1;
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &g), 40000, 2152),
        ["truncated_GTPv1"]
    );
    // Too short for a header: truncated if it starts like a G-PDU, ordinary UDP otherwise.
    assert_eq!(
        expect_outer_udp(&udp_tunnel(2152, &[0x30, 0xff, 0]), 40000, 2152),
        ["truncated_GTPv1"]
    );
    assert!(expect_outer_udp(&udp_tunnel(2152, &[0x30, 0x01, 0]), 40000, 2152).is_empty());
    assert!(expect_outer_udp(&udp_tunnel(2152, b"hi"), 40000, 2152).is_empty());
    // Trailing bytes after the GTP message are not part of the T-PDU.
    let mut g = gtp(0x30, 0xff, &[], &tcp4());
    g.extend([0xee; 6]);
    assert_tunnelled(&udp_tunnel(2152, &g), &[gtp_layer(40000, 2152)]);
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn gtpu_real_packets() {
    // ndpi/pcap/ipv6_in_gtp.pcap#1 (150 bytes): Ethernet, two 802.1Q tags, IPv4 10.238.80.26 ->
    // 10.238.254.75 UDP 2152 -> 2152, G-PDU flags 0x30 TEID 0x12808fb8 length 92, carrying
    // IPv6 UDP 49120 -> 25658.
    let frame = unhex(
        "00000000000234b35407ca5681000ca18100600508004568008068490000ff11ee790aee501a0aeefe4b\
         08680868006c000030ff005c12808fb86008b852003411402607fc204052039e490aea4d17fee09cfd00\
         976abc67193e0000000000000007bfe0643a00343748806e1597c35ac22f32b5ab35f3f8171e4e61ee02\
         5025e03ece7388f973f214ffdbb74b976c6da896cf2e4ac4",
    );
    assert_eq!(frame.len(), 150);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let inner_src: IpAddr = "2607:fc20:4052:39e:490a:ea4d:17fe:e09c".parse().unwrap();
    let inner_dst: IpAddr = "fd00:976a:bc67:193e::7".parse().unwrap();
    assert_eq!(
        tuple(&p),
        (inner_src, inner_dst, ipproto::UDP, 49120, 25658)
    );
    let o_src: IpAddr = "10.238.80.26".parse().unwrap();
    let o_dst: IpAddr = "10.238.254.75".parse().unwrap();
    assert_eq!(
        tunnels(&p),
        [(TunnelKind::Gtp, o_src, o_dst, ipproto::UDP, 2152, 2152)]
    );
    let t = p.tunnels.innermost().copied().unwrap();
    assert_eq!((t.ip_len, t.payload_len), (128, 100));
    assert_eq!(p.payload.len(), 44);

    // zeek/Traces/tunnels/gtp/gtp6_gtp_0x32.pcap#3 (114 bytes): G-PDU with flags 0x32 (S set,
    // sequence number 0) carrying a TCP SYN-ACK 173.194.69.188:5228 -> 10.222.10.10:44960.
    let frame = unhex(
        "00005e0001dee8b7482b01c00800452800640e600000f3112d8df395adc64fbc9a5b086808680050cae3\
         32ff004000026d7a000000004508003c8a6000002a06fdedadc245bc0ade0a0a146cafa03d045c1d4426\
         2ba2a0123764ddda0000020405640402080ac51c0d9c000c8ae001030306",
    );
    assert_eq!(frame.len(), 114);
    let mut r = Run::new();
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, &frame));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        tuple(&p),
        (
            "173.194.69.188".parse().unwrap(),
            "10.222.10.10".parse().unwrap(),
            ipproto::TCP,
            5228,
            44960
        )
    );
    match p.transport {
        Transport::Tcp(h) => assert_eq!(h.flags, tcpflags::SYN | tcpflags::ACK),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tunnels(&p),
        [(
            TunnelKind::Gtp,
            "243.149.173.198".parse().unwrap(),
            "79.188.154.91".parse().unwrap(),
            ipproto::UDP,
            2152,
            2152
        )]
    );
}

/// Packets of a little-endian microsecond pcap file.
fn pcap_packets(d: &[u8]) -> Vec<&[u8]> {
    assert_eq!(
        &d[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "not a little-endian pcap"
    );
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= d.len() {
        let cap = u32::from_le_bytes(d[off + 8..off + 12].try_into().unwrap()) as usize;
        out.push(&d[off + 16..off + 16 + cap]);
        off += 16 + cap;
    }
    out
}

/// Zeek's GTP traces from the shared corpus (skipped when it is absent): the number of packets
/// decoded through a GTP tunnel equals the number of G-PDUs (tshark: `gtp.message == 255`,
/// outer fragments reassembled), and control messages (GTP-C, GTP', echo, error indication)
/// stay plain UDP.
#[test]
fn gtpu_zeek_traces() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/zeek/Traces/tunnels/gtp");
    if !dir.is_dir() {
        eprintln!("corpus not found at {}: skipped", dir.display());
        return;
    }
    // (file, packets, tunnelled, checksums verified). The first two traces have wrong outer UDP
    // checksums (anonymised addresses), so they are checked as with `zeek -C`.
    let expect = [
        ("gtp1_gn_normal_incl_fragmentation.pcap", 108, 68, false),
        ("gtp2_different_udp_port.pcap", 120, 78, false),
        ("gtp3_false_gtp.pcap", 1, 0, true),
        ("gtp4_udp_2152_inside.pcap", 1, 1, true),
        ("gtp6_gtp_0x32.pcap", 31, 31, true),
        ("gtp7_ipv6.pcap", 2, 2, true),
        ("gtp8_teredo.pcap", 10, 10, true),
        ("gtp10_not_0xff.pcap", 3, 0, true),
        ("gtp_control_prime.pcap", 10, 0, true),
        ("gtp_create_pdp_ctx.pcap", 4, 0, true),
        // #2 completes a fragmented G-PDU with flags 0x36 and a PDCP PDU number extension.
        ("gtp_ext_header.pcap", 2, 1, true),
    ];
    for (file, packets, tunnelled, verify) in expect {
        let data = std::fs::read(dir.join(file)).unwrap();
        let pkts = pcap_packets(&data);
        assert_eq!(pkts.len(), packets, "{file}");
        let mut r = if verify {
            Run::new()
        } else {
            Run::unverified()
        };
        let mut n = 0;
        for pkt in pkts {
            if let Decoded::Ip(p) = dec(&mut r.decoder, &mut r.anomalies, 1, pkt) {
                if !p.tunnels.is_empty() {
                    assert_eq!(p.tunnels.len(), 1, "{file}");
                    assert_eq!(p.tunnels.innermost().unwrap().kind, TunnelKind::Gtp);
                    n += 1;
                }
            }
            assert!(r.anomalies.is_empty(), "{file}: {:?}", r.anomalies);
        }
        assert_eq!(n, tunnelled, "{file}");
    }
    // gtp_ext_header.pcap#2: the reassembled G-PDU's inner TCP segment (1448 bytes of data).
    let data = std::fs::read(dir.join("gtp_ext_header.pcap")).unwrap();
    let pkts = pcap_packets(&data);
    let mut r = Run::new();
    assert!(matches!(
        dec(&mut r.decoder, &mut r.anomalies, 1, pkts[0]),
        Decoded::FragmentHeld
    ));
    let p = expect_ip(dec(&mut r.decoder, &mut r.anomalies, 1, pkts[1]));
    assert_eq!(
        tuple(&p),
        (
            "10.155.182.202".parse().unwrap(),
            "10.155.186.57".parse().unwrap(),
            ipproto::TCP,
            41511,
            6005
        )
    );
    assert_eq!(p.payload.len(), 1448);
    // gtp9_unknown_or_too_short_payload.pcap: 12 G-PDUs, one of which carries no IP packet.
    let data = std::fs::read(dir.join("gtp9_unknown_or_too_short_payload.pcap")).unwrap();
    let mut r = Run::unverified();
    let (mut n, mut unknown) = (0, 0);
    for pkt in pcap_packets(&data) {
        if let Decoded::Ip(p) = dec(&mut r.decoder, &mut r.anomalies, 1, pkt) {
            n += usize::from(!p.tunnels.is_empty());
        }
        unknown += names(&r.anomalies)
            .iter()
            .filter(|a| **a == "GTPv1_unknown_payload_protocol")
            .count();
    }
    assert_eq!((n, unknown), (11, 1));
}

#[test]
fn nsh() {
    // RFC 8300: MD type 1 (six words) then IPv4; MD type 2 with one context word then
    // Ethernet; NSH in NSH.
    let md1 = |next: u8| {
        vec![
            0x0f, 0xc6, 0x01, next, 0, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]
    };
    let mut f = md1(1);
    f.extend(tcp4());
    assert_tcp4(1, &eth(0x894f, &f));
    let mut f = vec![0x0f, 0xc3, 0x02, 0x03, 0, 0, 1, 0xff, 0, 1, 0, 0];
    f.extend(eth(0x0800, &tcp4()));
    assert_tcp4(1, &eth(0x894f, &f));
    let mut f = md1(4);
    f.extend(md1(1));
    f.extend(tcp4());
    assert_tcp4(1, &eth(0x894f, &f));
    // A version other than 0, a length MD type 1 cannot have, a short header.
    for bad in [
        &[0x4f, 0xc6, 0x01, 0x01][..],
        &[0x0f, 0xc2, 0x01, 0x01],
        &[0x0f, 0xc6],
    ] {
        let mut f = bad.to_vec();
        if f.len() == 4 {
            f.extend([0; 20]);
            f.extend(tcp4());
        }
        let mut r = Run::new();
        let frame = eth(0x894f, &f);
        let d = dec(&mut r.decoder, &mut r.anomalies, 1, &frame);
        assert!(matches!(d, Decoded::Dropped(_)), "{bad:?}");
    }
}
