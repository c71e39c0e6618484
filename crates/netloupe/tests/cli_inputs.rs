//! The command line against its inputs, run as users run it (the real binary):
//!
//! - damaged and odd files: each problem is reported on stderr with the file and byte offset,
//!   what was read before it is analysed and written, and the exit code is the documented one;
//! - every container format (classic pcap in both byte orders and resolutions, pcapng with
//!   several interfaces, gzip, standard input, several files merged in time order);
//! - every link type the decoder knows a TCP conversation can arrive on;
//! - the JSON and Zeek TSV logs;
//! - determinism across runs and thread counts;
//! - packet accounting (`packets.read == packets.accounted`, and read is what was written).
//!
//! Every capture is written here, by this file or by `netloupe_engine::synth`.

mod common;

use netloupe_engine::synth::{self, ether, ipv4, ipv6, tcp, udp, DEMO_T0_NS};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Stdio;

type Packets = Vec<(i64, Vec<u8>)>;

const T0: i64 = DEMO_T0_NS;
const MS: i64 = 1_000_000;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

// ---------------------------------------------------------------------------------------------
// Running the binary

struct Run {
    out: PathBuf,
    code: i32,
    stderr: String,
}

impl Run {
    fn conn(&self) -> Vec<Value> {
        common::read_jsonl(&self.out.join("conn.log"))
    }
    fn conn_lines(&self) -> Vec<String> {
        common::sorted_lines(&self.out.join("conn.log"))
    }
    fn weird_lines(&self) -> Vec<String> {
        common::sorted_lines(&self.out.join("weird.log"))
    }
    fn stats(&self) -> Value {
        common::read_json(&self.out.join("stats.json"))
    }

    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code (expected {code}); stderr:\n{}",
            self.stderr
        );
        self
    }

    /// stats.json exists, balances, and counts `read` packets.
    fn expect_read(&self, read: u64) -> &Self {
        let s = self.stats();
        let p = &s["packets"];
        assert_eq!(p["read"], read, "packets.read; stats: {p}");
        assert_eq!(p["accounted"], p["read"], "packets.accounted; stats: {p}");
        assert_eq!(p["balanced"], true, "packets.balanced; stats: {p}");
        self
    }

    /// stderr has a line reporting `level` ("warning" or "error") for `file` at `offset`.
    fn expect_message(&self, level: &str, file: &Path, offset: u64) -> &Self {
        let want = format!(
            "netloupe: {level}: {}: at byte offset {offset}: ",
            file.display()
        );
        assert!(
            self.stderr.lines().any(|l| l.starts_with(&want)),
            "stderr lacks a line starting {want:?}:\n{}",
            self.stderr
        );
        self
    }

    /// The byte offset stderr reports for `file`.
    fn reported_offset(&self, file: &Path) -> u64 {
        let key = format!("{}: at byte offset ", file.display());
        let line = self
            .stderr
            .lines()
            .find(|l| l.contains(&key))
            .unwrap_or_else(|| panic!("no message about {key:?}:\n{}", self.stderr));
        let rest = &line[line.find(&key).unwrap_or(0) + key.len()..];
        rest.split(':')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no offset in {line:?}"))
    }
}

fn run_netloupe(out: &Path, inputs: &[&Path], extra: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = common::netloupe();
    cmd.args(["analyze", "--no-progress", "-q"])
        .args(extra)
        .arg("-o")
        .arg(out)
        .args(inputs)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("start netloupe");
    let feeder = stdin.map(|data| {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        std::thread::spawn(move || {
            // netloupe may stop reading at damage: a broken pipe is fine.
            let _ = pipe.write_all(&data);
        })
    });
    let o = child.wait_with_output().expect("wait for netloupe");
    if let Some(f) = feeder {
        f.join().expect("stdin feeder");
    }
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "netloupe panicked:\n{stderr}");
    let code = o
        .status
        .code()
        .unwrap_or_else(|| panic!("netloupe killed by a signal ({:?}):\n{stderr}", o.status));
    Run {
        out: out.to_path_buf(),
        code,
        stderr,
    }
}

fn analyze(out: &Path, inputs: &[&Path], extra: &[&str]) -> Run {
    run_netloupe(out, inputs, extra, None)
}

fn write(path: &Path, data: &[u8]) -> PathBuf {
    std::fs::write(path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.to_path_buf()
}

/// Analyses `packets` written as a plain capture: the reference a damaged file's output must
/// match for the packets before the damage.
fn clean_run(dir: &Path, name: &str, linktype: u32, packets: &[(i64, Vec<u8>)]) -> Run {
    let p = write(
        &dir.join(format!("{name}.pcap")),
        &pcap(LE_MICROS, linktype, packets),
    );
    let r = analyze(&dir.join(name), &[&p], &[]);
    r.expect_code(0).expect_read(packets.len() as u64);
    r
}

/// The text of a number field in a JSON line as written (parsing would round timestamps).
fn raw_number<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":");
    let start = line.find(&pat)? + pat.len();
    let rest = &line[start..];
    Some(&rest[..rest.find([',', '}']).unwrap_or(rest.len())])
}

fn union_sorted(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    let mut v = a;
    v.extend(b);
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// Capture writers

fn put16(v: &mut Vec<u8>, x: u16, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn put32(v: &mut Vec<u8>, x: u32, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

#[derive(Clone, Copy, Debug)]
struct PcapFormat {
    big_endian: bool,
    nanos: bool,
}

const LE_MICROS: PcapFormat = PcapFormat {
    big_endian: false,
    nanos: false,
};

fn pcap_header(f: PcapFormat, linktype: u32) -> Vec<u8> {
    let be = f.big_endian;
    let mut v = Vec::new();
    put32(&mut v, if f.nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be);
    put16(&mut v, 2, be);
    put16(&mut v, 4, be);
    put32(&mut v, 0, be);
    put32(&mut v, 0, be);
    put32(&mut v, 65535, be);
    put32(&mut v, linktype, be);
    v
}

/// Appends one record whose header claims `caplen` captured bytes (normally `data.len()`).
fn pcap_record(v: &mut Vec<u8>, f: PcapFormat, ts_ns: i64, caplen: u32, data: &[u8]) {
    let be = f.big_endian;
    let sub = ts_ns.rem_euclid(1_000_000_000);
    put32(v, ts_ns.div_euclid(1_000_000_000) as u32, be);
    put32(v, if f.nanos { sub } else { sub / 1000 } as u32, be);
    put32(v, caplen, be);
    put32(v, caplen.max(data.len() as u32), be);
    v.extend_from_slice(data);
}

fn pcap(f: PcapFormat, linktype: u32, packets: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut v = pcap_header(f, linktype);
    for (ts, data) in packets {
        pcap_record(&mut v, f, *ts, data.len() as u32, data);
    }
    v
}

/// Byte offset of each record of a classic pcap holding `packets`.
fn record_offsets(packets: &[(i64, Vec<u8>)]) -> Vec<u64> {
    let mut at = 24u64;
    packets
        .iter()
        .map(|(_, d)| {
            let o = at;
            at += 16 + d.len() as u64;
            o
        })
        .collect()
}

/// A pcapng section being written (one section header, then interfaces and packets).
struct PcapNg {
    be: bool,
    v: Vec<u8>,
}

impl PcapNg {
    fn new(be: bool) -> PcapNg {
        let mut s = PcapNg { be, v: Vec::new() };
        let mut body = Vec::new();
        put32(&mut body, 0x1A2B_3C4D, be);
        put16(&mut body, 1, be);
        put16(&mut body, 0, be);
        body.extend_from_slice(&[0xff; 8]); // section length unknown
        s.block(0x0A0D_0D0A, &body);
        s
    }

    fn block(&mut self, btype: u32, body: &[u8]) {
        let padded = body.len().next_multiple_of(4);
        let len = (12 + padded) as u32;
        put32(&mut self.v, btype, self.be);
        put32(&mut self.v, len, self.be);
        self.v.extend_from_slice(body);
        self.v.resize(self.v.len() + padded - body.len(), 0);
        put32(&mut self.v, len, self.be);
    }

    fn interface(&mut self, linktype: u16, tsresol: Option<u8>) {
        self.interface_offset(linktype, tsresol, None);
    }

    /// An interface description with `if_tsresol` and `if_tsoffset` (seconds) when given.
    fn interface_offset(&mut self, linktype: u16, tsresol: Option<u8>, tsoffset: Option<i64>) {
        let be = self.be;
        let mut b = Vec::new();
        put16(&mut b, linktype, be);
        put16(&mut b, 0, be);
        put32(&mut b, 65535, be);
        if let Some(r) = tsresol {
            put16(&mut b, 9, be); // if_tsresol
            put16(&mut b, 1, be);
            b.extend_from_slice(&[r, 0, 0, 0]);
        }
        if let Some(o) = tsoffset {
            put16(&mut b, 14, be); // if_tsoffset
            put16(&mut b, 8, be);
            b.extend_from_slice(&if be { o.to_be_bytes() } else { o.to_le_bytes() });
        }
        if tsresol.is_some() || tsoffset.is_some() {
            put16(&mut b, 0, be); // opt_endofopt
            put16(&mut b, 0, be);
        }
        self.block(1, &b);
    }

    /// An enhanced packet block; `caplen` as claimed (normally `data.len()`).
    fn packet_claiming(&mut self, if_id: u32, ts_units: u64, caplen: u32, data: &[u8]) {
        let be = self.be;
        let mut b = Vec::new();
        put32(&mut b, if_id, be);
        put32(&mut b, (ts_units >> 32) as u32, be);
        put32(&mut b, ts_units as u32, be);
        put32(&mut b, caplen, be);
        put32(&mut b, caplen.max(data.len() as u32), be);
        b.extend_from_slice(data);
        self.block(6, &b);
    }

    fn packet(&mut self, if_id: u32, ts_units: u64, data: &[u8]) {
        self.packet_claiming(if_id, ts_units, data.len() as u32, data);
    }
}

/// One Ethernet interface with microsecond timestamps.
fn pcapng_ethernet(packets: &[(i64, Vec<u8>)]) -> Vec<u8> {
    pcapng_ethernet_res(packets, false)
}

/// One Ethernet interface with micro- or nanosecond timestamps.
fn pcapng_ethernet_res(packets: &[(i64, Vec<u8>)], nanos: bool) -> Vec<u8> {
    let mut ng = PcapNg::new(false);
    ng.interface(1, Some(if nanos { 9 } else { 6 }));
    for (ts, d) in packets {
        ng.packet(0, if nanos { *ts } else { *ts / 1000 } as u64, d);
    }
    ng.v
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

const GZIP_BLOCK: usize = 1000;

/// gzip (RFC 1952) made of stored deflate blocks of `GZIP_BLOCK` bytes: a valid gzip file
/// without a compressor.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks: Vec<&[u8]> = data.chunks(GZIP_BLOCK).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let n = chunks.len();
    for (i, c) in chunks.into_iter().enumerate() {
        v.push(u8::from(i + 1 == n));
        v.extend_from_slice(&(c.len() as u16).to_le_bytes());
        v.extend_from_slice(&(!(c.len() as u16)).to_le_bytes());
        v.extend_from_slice(c);
    }
    v.extend_from_slice(&crc32(data).to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v
}

/// How many bytes of `data` a gzip reader can recover from `gzip(data)` cut to `cut` bytes.
fn gzip_recoverable(data_len: usize, cut: usize) -> usize {
    let mut pos = 10;
    let mut got = 0;
    let mut left = data_len;
    while left > 0 && pos + 5 <= cut {
        let n = left.min(GZIP_BLOCK);
        let avail = n.min(cut - pos - 5);
        got += avail;
        if avail < n {
            break;
        }
        pos += 5 + n;
        left -= n;
    }
    got
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Traffic

const CLIENT4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const SERVER4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const CLIENT6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const SERVER6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(a), IpAddr::V4(b)) => ipv4(a, b, proto, 1, (false, 0), payload),
        (IpAddr::V6(a), IpAddr::V6(b)) => ipv6(a, b, proto, payload),
        _ => panic!("mixed address families"),
    }
}

/// A TCP conversation that keeps its sequence numbers right; packets are IP (no link layer).
struct Conv {
    c: IpAddr,
    s: IpAddr,
    cp: u16,
    sp: u16,
    cseq: u32,
    sseq: u32,
}

impl Conv {
    fn new(c: impl Into<IpAddr>, cp: u16, s: impl Into<IpAddr>, sp: u16) -> Conv {
        Conv {
            c: c.into(),
            s: s.into(),
            cp,
            sp,
            cseq: 1000,
            sseq: 5000,
        }
    }

    fn seg(&mut self, from_client: bool, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (src, dst, ports, seq, ack) = if from_client {
            (self.c, self.s, (self.cp, self.sp), self.cseq, self.sseq)
        } else {
            (self.s, self.c, (self.sp, self.cp), self.sseq, self.cseq)
        };
        let ack = if flags & ACK != 0 { ack } else { 0 };
        let t = tcp(src, dst, ports, seq, ack, flags, payload);
        let adv = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        if from_client {
            self.cseq = self.cseq.wrapping_add(adv);
        } else {
            self.sseq = self.sseq.wrapping_add(adv);
        }
        ip_packet(src, dst, 6, &t)
    }

    /// Handshake, "hello" and "world!!", close: 8 packets, one every `step` ns from `t`.
    fn full(mut self, t: i64, step: i64) -> Packets {
        let segs = [
            self.seg(true, SYN, b""),
            self.seg(false, SYN | ACK, b""),
            self.seg(true, ACK, b""),
            self.seg(true, PSH | ACK, b"hello"),
            self.seg(false, PSH | ACK, b"world!!"),
            self.seg(true, FIN | ACK, b""),
            self.seg(false, FIN | ACK, b""),
            self.seg(true, ACK, b""),
        ];
        segs.into_iter()
            .enumerate()
            .map(|(i, s)| (t + i as i64 * step, s))
            .collect()
    }
}

/// The standard conversation: CLIENT:40000 -> SERVER:80, 10 ms between packets.
fn conversation(v6: bool, t: i64) -> Packets {
    if v6 {
        Conv::new(CLIENT6, 40000, SERVER6, 80).full(t, 10 * MS)
    } else {
        Conv::new(CLIENT4, 40000, SERVER4, 80).full(t, 10 * MS)
    }
}

/// Asserts `r` is the conn record of a [`Conv::full`] conversation.
fn check_conversation(r: &Value, orig: IpAddr, orig_p: u16, resp: IpAddr, resp_p: u16) {
    let ctx = format!("record {r}");
    assert_eq!(r["id.orig_h"], orig.to_string(), "{ctx}");
    assert_eq!(r["id.orig_p"], orig_p, "{ctx}");
    assert_eq!(r["id.resp_h"], resp.to_string(), "{ctx}");
    assert_eq!(r["id.resp_p"], resp_p, "{ctx}");
    assert_eq!(r["proto"], "tcp", "{ctx}");
    assert_eq!(r["conn_state"], "SF", "{ctx}");
    assert_eq!(r["history"], "ShADdFf", "{ctx}");
    assert_eq!(r["orig_pkts"], 5, "{ctx}");
    assert_eq!(r["resp_pkts"], 3, "{ctx}");
    assert_eq!(r["orig_bytes"], 5, "{ctx}");
    assert_eq!(r["resp_bytes"], 7, "{ctx}");
    assert_eq!(r["missed_bytes"], 0, "{ctx}");
    let hdr = if orig.is_ipv6() { 60 } else { 40 };
    assert_eq!(r["orig_ip_bytes"], 5 * hdr + 5, "{ctx}");
    assert_eq!(r["resp_ip_bytes"], 3 * hdr + 7, "{ctx}");
    assert_eq!(r["ip_proto"], 6, "{ctx}");
}

/// Wraps an IP packet in the link layer of `linktype`. `big_endian_host` is the byte order of
/// the writer (BSD NULL's address family is in it).
fn frame(linktype: u32, ip: &[u8], big_endian_host: bool) -> Vec<u8> {
    let v6 = ip[0] >> 4 == 6;
    let ethertype: u16 = if v6 { 0x86dd } else { 0x0800 };
    let mut f = Vec::new();
    match linktype {
        1 => return ether(ethertype, None, ip),
        // BSD NULL: AF_INET 2, AF_INET6 24 (NetBSD/OpenBSD), in the writer's byte order.
        0 => put32(&mut f, if v6 { 24 } else { 2 }, big_endian_host),
        // OpenBSD LOOP: the same in network order.
        108 => put32(&mut f, if v6 { 24 } else { 2 }, true),
        // Linux cooked v1: packet type, ARPHRD_ETHER, address length, address (8), protocol.
        113 => {
            f.extend_from_slice(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            f.extend_from_slice(&ethertype.to_be_bytes());
        }
        // Linux cooked v2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address
        // length, address (8).
        276 => {
            f.extend_from_slice(&ethertype.to_be_bytes());
            f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
        }
        // PPP in HDLC-like framing: address, control, protocol.
        9 => f.extend_from_slice(&[0xff, 0x03, 0x00, if v6 { 0x57 } else { 0x21 }]),
        // Raw IP link types, and link types netloupe does not know.
        _ => {}
    }
    f.extend_from_slice(ip);
    f
}

fn on_ethernet(packets: Packets) -> Packets {
    packets
        .into_iter()
        .map(|(t, ip)| (t, frame(1, &ip, false)))
        .collect()
}

/// A busy capture of `n` clients: complete conversations, retransmitted SYNs and data, port
/// reuse, UDP flows that time out and come back, rejected and unanswered SYNs, SYNs with a bad
/// checksum. Ethernet frames in time order.
fn many_flows(n: u32) -> Packets {
    let mut p: Packets = Vec::new();
    for i in 0..n {
        let c = IpAddr::V4(Ipv4Addr::from(0x0a01_0000 + i));
        let s = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1 + (i % 50) as u8));
        let cp = 1024 + (i % 60_000) as u16;
        let t = T0 + i64::from(i) * 30 * MS;
        match i % 5 {
            0 => p.extend(Conv::new(c, cp, s, 80).full(t, MS)),
            1 => {
                let conv = Conv::new(c, cp, s, 443).full(t, MS);
                p.push((t + MS / 2, conv[0].1.clone())); // SYN again before the SYN-ACK
                p.push((t + 3 * MS + MS / 2, conv[3].1.clone())); // request again
                p.extend(conv);
            }
            2 => {
                // The same 5-tuple twice: a new connection after the first closed.
                p.extend(Conv::new(c, cp, s, 22).full(t, MS));
                let mut again = Conv::new(c, cp, s, 22);
                again.cseq = 777_000;
                again.sseq = 888_000;
                p.extend(again.full(t + 2_000 * MS, MS));
            }
            3 => {
                // Beyond the UDP timeout (60 s) the same 5-tuple is a new flow.
                for later in [0, 90_000 * MS] {
                    p.push((t + later, ip_packet(c, s, 17, &udp(c, s, cp, 53, b"query"))));
                    p.push((
                        t + later + MS,
                        ip_packet(s, c, 17, &udp(s, c, 53, cp, b"answer")),
                    ));
                }
            }
            _ => {
                let mut conv = Conv::new(c, cp, s, 8080);
                p.push((t, conv.seg(true, SYN, b"")));
                if i % 10 == 4 {
                    p.push((t + MS, conv.seg(false, RST | ACK, b"")));
                } else {
                    let mut bad = Conv::new(c, cp + 1, s, 8080).seg(true, SYN, b"");
                    bad[36] ^= 0x5a; // TCP checksum
                    p.push((t + MS, bad));
                }
            }
        }
    }
    p.sort_by_key(|x| x.0);
    on_ethernet(p)
}

/// `packets` with random damage: bytes flipped (in the headers, mostly) or cut short.
fn mangled(packets: &[(i64, Vec<u8>)], seed: u64) -> Packets {
    let mut rng = Rng(seed);
    packets
        .iter()
        .map(|(t, d)| {
            let mut d = d.clone();
            match rng.below(4) {
                0 => {}
                1 if !d.is_empty() => {
                    for _ in 0..1 + rng.below(3) {
                        let i = rng.below(d.len() as u64) as usize;
                        d[i] ^= 1 + rng.below(255) as u8;
                    }
                }
                2 => d.truncate(rng.below(d.len() as u64 + 1) as usize),
                _ if !d.is_empty() => {
                    let i = rng.below(d.len().min(60) as u64) as usize;
                    d[i] = rng.next() as u8;
                }
                _ => {}
            }
            (*t, d)
        })
        .collect()
}

/// The connections of the demonstration capture, as "proto orig:port > resp:port".
const DEMO_FLOWS: &[&str] = &[
    "icmp 192.168.1.10:8 > 192.168.1.1:0",
    "tcp 10.99.0.1:33000 > 10.99.0.2:22",
    "tcp 192.168.1.10:49152 > 93.184.216.34:80",
    "tcp 192.168.1.10:49153 > 93.184.216.34:8081",
    "tcp 2001:db8::10:50000 > 2001:db8::443:443",
    "udp 10.20.0.9:40000 > 10.20.0.5:514",
    "udp 172.16.0.1:51000 > 172.16.0.2:4789", // the VXLAN tunnel itself
    "udp 192.168.1.10:40001 > 10.20.0.5:9999",
    "udp 192.168.1.10:53001 > 192.168.1.1:53",
];

fn flow_names(conn: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = conn
        .iter()
        .map(|r| {
            format!(
                "{} {}:{} > {}:{}",
                r["proto"].as_str().unwrap_or("?"),
                r["id.orig_h"].as_str().unwrap_or("?"),
                r["id.orig_p"],
                r["id.resp_h"].as_str().unwrap_or("?"),
                r["id.resp_p"]
            )
        })
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// 1. Bad input

#[test]
fn capture_cut_in_its_last_record_is_a_warning_and_keeps_the_rest() {
    let dir = common::tmp_dir("cli-cut");
    let demo = synth::demo_packets();
    let full = pcap(LE_MICROS, 1, &demo);
    let last = *record_offsets(&demo).last().unwrap();
    let reference = clean_run(&dir, "ref", 1, &demo[..demo.len() - 1]);
    assert!(!reference.conn_lines().is_empty());
    // Inside the record header, inside the data, one byte short of the end.
    for (n, cut) in [last as usize + 7, last as usize + 21, full.len() - 1]
        .into_iter()
        .enumerate()
    {
        let path = write(&dir.join(format!("cut{n}.pcap")), &full[..cut]);
        let r = analyze(&dir.join(format!("out{n}")), &[&path], &[]);
        r.expect_code(0)
            .expect_read(demo.len() as u64 - 1)
            .expect_message("warning", &path, last);
        assert!(r.stderr.contains("truncated"), "{}", r.stderr);
        assert_eq!(r.conn_lines(), reference.conn_lines(), "cut at {cut}");
        assert_eq!(r.weird_lines(), reference.weird_lines(), "cut at {cut}");
        let s = r.stats();
        let input = &s["inputs"][0];
        assert_eq!(input["path"], path.display().to_string());
        assert_eq!(input["packets"], demo.len() - 1);
        assert_eq!(input["truncated"], true);
        let err = input["error"].as_str().unwrap_or_default();
        assert!(err.contains(&format!("at byte offset {last}")), "{err}");
    }
}

#[test]
fn files_that_are_not_captures_exit_2() {
    let dir = common::tmp_dir("cli-not-capture");
    let mut garbage = Rng(7).bytes(4096);
    garbage[0] = 0x42; // neither gzip nor a capture magic number
    let mut wrong_magic = pcap(LE_MICROS, 1, &synth::demo_packets());
    wrong_magic[..4].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage", garbage.clone(), "not a pcap or pcapng file"),
        ("wrong-magic", wrong_magic, "not a pcap or pcapng file"),
        ("empty", Vec::new(), "empty file"),
        ("gzip-garbage", gzip(&garbage), "not a pcap or pcapng file"),
        ("gzip-empty", gzip(&[]), "empty file"),
    ];
    for (name, data, what) in cases {
        let path = write(&dir.join(name), &data);
        let r = analyze(&dir.join(format!("{name}-out")), &[&path], &[]);
        r.expect_code(2)
            .expect_read(0)
            .expect_message("error", &path, 0);
        assert!(
            r.stderr.contains(what),
            "{name}: want {what:?}:\n{}",
            r.stderr
        );
        assert_eq!(r.conn_lines(), Vec::<String>::new(), "{name}");
        let s = r.stats();
        assert!(s["inputs"][0]["error"].is_string(), "{name}: {s}");
    }
    // A file too short for its own header: nothing readable either.
    let short = write(&dir.join("short"), &pcap_header(LE_MICROS, 1)[..10]);
    let r = analyze(&dir.join("short-out"), &[&short], &[]);
    r.expect_code(2).expect_read(0);
    assert_eq!(r.reported_offset(&short), 0);
}

#[test]
fn missing_file_exits_2_and_is_named() {
    let dir = common::tmp_dir("cli-missing");
    let path = dir.join("no-such-capture.pcap");
    let r = analyze(&dir.join("out"), &[&path], &[]);
    r.expect_code(2)
        .expect_read(0)
        .expect_message("error", &path, 0);
    assert!(r.stderr.contains("cannot open"), "{}", r.stderr);
    assert!(r.stats()["inputs"][0]["error"].is_string());
    // A directory is not a capture either.
    let sub = dir.join("a-directory");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let r = analyze(&dir.join("out-dir"), &[&sub], &[]);
    r.expect_code(2)
        .expect_read(0)
        .expect_message("error", &sub, 0);
}

#[test]
fn absurd_record_length_is_damage_exit_3_and_keeps_earlier_flows() {
    let dir = common::tmp_dir("cli-absurd");
    let demo = synth::demo_packets();
    let good = 12;
    let reference = clean_run(&dir, "ref", 1, &demo[..good]);
    let offset = record_offsets(&demo)[good];
    for f in [
        LE_MICROS,
        PcapFormat {
            big_endian: true,
            nanos: true,
        },
    ] {
        let mut v = pcap(f, 1, &demo[..good]);
        // A record claiming 2 GB, followed by the rest of the capture.
        pcap_record(&mut v, f, demo[good].0, 0x7fff_ffff, &demo[good].1);
        for (ts, d) in &demo[good + 1..] {
            pcap_record(&mut v, f, *ts, d.len() as u32, d);
        }
        let path = write(&dir.join(format!("absurd-{}.pcap", f.big_endian)), &v);
        let r = analyze(&dir.join(format!("out-{}", f.big_endian)), &[&path], &[]);
        r.expect_code(3)
            .expect_read(good as u64)
            .expect_message("error", &path, offset);
        assert!(r.stderr.contains("2147483647"), "{}", r.stderr);
        assert_eq!(r.conn_lines(), reference.conn_lines(), "{f:?}");
        assert_eq!(r.stats()["inputs"][0]["truncated"], false);
    }
}

#[test]
fn damaged_pcapng_is_exit_3_and_keeps_earlier_flows() {
    let dir = common::tmp_dir("cli-bad-pcapng");
    let demo = synth::demo_packets();
    let good = 10;
    let reference = clean_run(&dir, "ref", 1, &demo[..good]);
    let prefix = pcapng_ethernet(&demo[..good]);
    let offset = prefix.len() as u64;
    let rest = pcapng_ethernet(&demo[good..]);
    let rest = &rest[28 + 32..]; // without its section header and interface
                                 // (name, bytes at the damage point, what the message says)
    let mut huge_block = Vec::new();
    put32(&mut huge_block, 6, false);
    put32(&mut huge_block, 0x7fff_fff0, false);
    huge_block.extend_from_slice(&[0; 64]);
    let mut bad_iface = PcapNg::new(false);
    bad_iface.packet(5, (demo[good].0 / 1000) as u64, &demo[good].1);
    let mut bad_caplen = PcapNg::new(false);
    bad_caplen.packet_claiming(0, (demo[good].0 / 1000) as u64, 0x7fff_ffff, &demo[good].1);
    let cases = [
        ("huge-block", huge_block, "2147483632"),
        (
            "undefined-interface",
            bad_iface.v[28..].to_vec(),
            "interface 5",
        ),
        (
            "absurd-caplen",
            bad_caplen.v[28..].to_vec(),
            "enhanced packet block",
        ),
    ];
    for (name, damage, what) in cases {
        let mut v = prefix.clone();
        v.extend_from_slice(&damage);
        v.extend_from_slice(rest);
        let path = write(&dir.join(format!("{name}.pcapng")), &v);
        let r = analyze(&dir.join(name), &[&path], &[]);
        r.expect_code(3)
            .expect_read(good as u64)
            .expect_message("error", &path, offset);
        assert!(
            r.stderr.contains(what),
            "{name}: want {what:?}:\n{}",
            r.stderr
        );
        assert_eq!(r.conn_lines(), reference.conn_lines(), "{name}");
    }
    // A block whose length runs past the end of the file: the capture was cut.
    let mut cut = prefix.clone();
    let mut last = PcapNg::new(false);
    last.packet(0, (demo[good].0 / 1000) as u64, &demo[good].1);
    cut.extend_from_slice(&last.v[28..last.v.len() - 8]);
    let path = write(&dir.join("cut.pcapng"), &cut);
    let r = analyze(&dir.join("cut"), &[&path], &[]);
    r.expect_code(0)
        .expect_read(good as u64)
        .expect_message("warning", &path, offset);
    assert_eq!(r.conn_lines(), reference.conn_lines());
}

#[test]
fn record_length_past_end_of_file_is_truncation() {
    let dir = common::tmp_dir("cli-past-end");
    let demo = synth::demo_packets();
    let n = demo.len();
    let reference = clean_run(&dir, "ref", 1, &demo[..n - 1]);
    let mut v = pcap(LE_MICROS, 1, &demo[..n - 1]);
    let (ts, last) = &demo[n - 1];
    pcap_record(&mut v, LE_MICROS, *ts, last.len() as u32 + 1000, last);
    let path = write(&dir.join("past-end.pcap"), &v);
    let r = analyze(&dir.join("out"), &[&path], &[]);
    r.expect_code(0).expect_read(n as u64 - 1).expect_message(
        "warning",
        &path,
        record_offsets(&demo)[n - 1],
    );
    assert_eq!(r.conn_lines(), reference.conn_lines());
    assert_eq!(r.stats()["inputs"][0]["truncated"], true);
}

#[test]
fn cut_gzip_is_truncation_and_keeps_what_was_decompressed() {
    let dir = common::tmp_dir("cli-cut-gz");
    let demo = synth::demo_packets();
    let plain = pcap(LE_MICROS, 1, &demo);
    let gz = gzip(&plain);
    let offsets = record_offsets(&demo);
    for cut in [gz.len() / 2, gz.len() - 20, gz.len() - 6] {
        let recoverable = gzip_recoverable(plain.len(), cut) as u64;
        let complete = demo
            .iter()
            .zip(&offsets)
            .take_while(|((_, d), &o)| o + 16 + d.len() as u64 <= recoverable)
            .count();
        let path = write(&dir.join(format!("cut{cut}.pcap.gz")), &gz[..cut]);
        let r = analyze(&dir.join(format!("out{cut}")), &[&path], &[]);
        r.expect_code(0).expect_read(complete as u64);
        assert!(r.stderr.contains("netloupe: warning: "), "{}", r.stderr);
        assert!(r.stderr.contains("gzip"), "{}", r.stderr);
        let at = r.reported_offset(&path);
        assert!(
            at <= plain.len() as u64 && offsets.get(complete).is_none_or(|&o| at >= o),
            "cut at {cut}: offset {at} (first record lost at {:?})",
            offsets.get(complete)
        );
        let reference = clean_run(&dir, &format!("ref{cut}"), 1, &demo[..complete]);
        assert_eq!(r.conn_lines(), reference.conn_lines(), "cut at {cut}");
        assert_eq!(r.stats()["inputs"][0]["truncated"], true);
    }
}

#[test]
fn good_file_with_a_bad_one_keeps_the_good_flows() {
    let dir = common::tmp_dir("cli-good-bad");
    let demo = synth::demo_packets();
    let good = write(&dir.join("good.pcap"), &pcap(LE_MICROS, 1, &demo));
    let good_ref = clean_run(&dir, "good-ref", 1, &demo);
    // The bad files hold another conversation, damaged after 5 packets.
    let other = on_ethernet(conversation(false, T0 + 10_000 * MS));
    let other_ref = clean_run(&dir, "other-ref", 1, &other[..5]);
    let damage_at = record_offsets(&other)[5];
    let mut absurd = pcap(LE_MICROS, 1, &other[..5]);
    pcap_record(&mut absurd, LE_MICROS, other[5].0, 0x7fff_ffff, &other[5].1);
    let full_other = pcap(LE_MICROS, 1, &other);
    let cut = full_other[..damage_at as usize + 20].to_vec();
    let mut garbage = Rng(99).bytes(2000);
    garbage[0] = 0x42;

    let both = union_sorted(good_ref.conn_lines(), other_ref.conn_lines());
    struct Case {
        name: &'static str,
        /// None: the file does not exist.
        data: Option<Vec<u8>>,
        bad_first: bool,
        code: i32,
        read: u64,
        conn: Vec<String>,
    }
    let cases = [
        Case {
            name: "garbage",
            data: Some(garbage),
            bad_first: false,
            code: 3,
            read: 24,
            conn: good_ref.conn_lines(),
        },
        Case {
            name: "missing",
            data: None,
            bad_first: true,
            code: 3,
            read: 24,
            conn: good_ref.conn_lines(),
        },
        Case {
            name: "absurd",
            data: Some(absurd),
            bad_first: false,
            code: 3,
            read: 29,
            conn: both.clone(),
        },
        Case {
            name: "cut",
            data: Some(cut),
            bad_first: true,
            code: 0,
            read: 29,
            conn: both,
        },
    ];
    for Case {
        name,
        data,
        bad_first: first,
        code,
        read,
        conn,
    } in cases
    {
        let bad = dir.join(format!("{name}.pcap"));
        if let Some(d) = &data {
            write(&bad, d);
        }
        let inputs: Vec<&Path> = if first {
            vec![&bad, &good]
        } else {
            vec![&good, &bad]
        };
        let r = analyze(&dir.join(format!("{name}-out")), &inputs, &[]);
        r.expect_code(code).expect_read(read);
        let level = if code == 0 { "warning" } else { "error" };
        let at = match name {
            "absurd" | "cut" => damage_at,
            _ => 0,
        };
        r.expect_message(level, &bad, at);
        assert_eq!(r.conn_lines(), conn, "{name}");
        let s = r.stats();
        let (gi, bi) = if first { (1, 0) } else { (0, 1) };
        assert_eq!(s["inputs"][gi]["packets"], 24, "{name}: {s}");
        assert!(s["inputs"][gi]["error"].is_null(), "{name}: {s}");
        assert!(s["inputs"][bi]["error"].is_string(), "{name}: {s}");
        assert_eq!(s["inputs"][bi]["packets"], read - 24, "{name}: {s}");
    }
}

#[test]
fn same_file_twice_gets_its_error_on_each_input() {
    let dir = common::tmp_dir("cli-same-twice");
    let demo = synth::demo_packets();
    let full = pcap(LE_MICROS, 1, &demo);
    let last = *record_offsets(&demo).last().unwrap();
    let path = write(&dir.join("cut.pcap"), &full[..last as usize + 3]);
    let r = analyze(&dir.join("out"), &[&path, &path], &[]);
    r.expect_code(0).expect_read(2 * (demo.len() as u64 - 1));
    let s = r.stats();
    for i in 0..2 {
        let input = &s["inputs"][i];
        assert_eq!(input["packets"], demo.len() - 1, "{s}");
        assert_eq!(input["truncated"], true, "inputs[{i}]: {s}");
        assert!(input["error"].is_string(), "inputs[{i}]: {s}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Formats

#[test]
fn classic_pcap_in_both_byte_orders_and_resolutions() {
    let dir = common::tmp_dir("cli-pcap-formats");
    // Packets 10.000789 ms apart from .123456789: the resolutions give different durations.
    let packets =
        on_ethernet(Conv::new(CLIENT4, 40000, SERVER4, 80).full(T0 + 123_456_789, 10 * MS + 789));
    let mut lines: BTreeMap<bool, Vec<String>> = BTreeMap::new();
    for big_endian in [false, true] {
        for nanos in [false, true] {
            let f = PcapFormat { big_endian, nanos };
            let name = format!("be{big_endian}-ns{nanos}");
            let path = write(&dir.join(format!("{name}.pcap")), &pcap(f, 1, &packets));
            let r = analyze(&dir.join(&name), &[&path], &[]);
            r.expect_code(0).expect_read(8);
            assert_eq!(r.stderr, "", "{name}");
            let conn = r.conn();
            assert_eq!(conn.len(), 1, "{name}");
            check_conversation(&conn[0], CLIENT4.into(), 40000, SERVER4.into(), 80);
            let line = r.conn_lines().remove(0);
            assert_eq!(raw_number(&line, "ts"), Some("1704067200.123456"), "{name}");
            // As in Zeek, the ACK after both FINs does not extend the duration: it ends at the
            // 7th packet, .183461523 (.183461 in microseconds).
            let duration = if nanos { "0.060004" } else { "0.060005" };
            assert_eq!(raw_number(&line, "duration"), Some(duration), "{name}");
            // Same resolution, either byte order: the very same record.
            if let Some(prev) = lines.insert(nanos, vec![line.clone()]) {
                assert_eq!(prev, vec![line], "{name}");
            }
        }
    }
    // Kuznetsov's modified format (magic 0xa1b2cd34): 8 more bytes in every record header.
    let mut m = pcap_header(LE_MICROS, 1);
    m[..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes());
    for (ts, d) in &packets {
        put32(&mut m, (ts / 1_000_000_000) as u32, false);
        put32(&mut m, (ts % 1_000_000_000 / 1000) as u32, false);
        put32(&mut m, d.len() as u32, false);
        put32(&mut m, d.len() as u32, false);
        m.extend_from_slice(&[0, 0, 0, 2, 0x08, 0x00, 0, 0]); // ifindex, protocol, type, pad
        m.extend_from_slice(d);
    }
    let path = write(&dir.join("modified.pcap"), &m);
    let r = analyze(&dir.join("modified"), &[&path], &[]);
    r.expect_code(0).expect_read(8);
    assert_eq!(Some(&r.conn_lines()), lines.get(&false), "modified pcap");
}

/// Three interfaces: Ethernet in microseconds, IPv4 (228) in nanoseconds, raw IP (101) in
/// 2^-20 s declared after the first packets. One conversation on each.
fn three_interface_pcapng(big_endian: bool) -> (Vec<u8>, usize) {
    let a = Conv::new(CLIENT4, 40000, SERVER4, 80).full(T0 + 1_000_123_000, 10 * MS);
    let b = Conv::new(Ipv4Addr::new(192, 0, 2, 3), 40001, SERVER4, 443)
        .full(T0 + 2_123_456_789, 10 * MS);
    let c = Conv::new(CLIENT6, 40002, SERVER6, 8080).full(T0 + 3_500_000_000, 15_625_000);
    let mut all: Vec<(i64, u32, Vec<u8>)> = Vec::new();
    all.extend(a.into_iter().map(|(t, p)| (t, 0, frame(1, &p, false))));
    all.extend(b.into_iter().map(|(t, p)| (t, 1, p)));
    all.extend(c.into_iter().map(|(t, p)| (t, 2, p)));
    all.sort_by_key(|x| x.0);
    let mut ng = PcapNg::new(big_endian);
    ng.interface(1, Some(6));
    ng.interface(228, Some(9));
    let mut iface2 = false;
    for (t, i, data) in &all {
        let units = match i {
            0 => *t as u64 / 1000,
            1 => *t as u64,
            _ => {
                if !iface2 {
                    ng.interface(101, Some(0x80 | 20));
                    iface2 = true;
                }
                ((*t as u128) << 20).div_ceil(1_000_000_000) as u64
            }
        };
        ng.packet(*i, units, data);
    }
    (ng.v, all.len())
}

#[test]
fn pcapng_interfaces_keep_their_link_types_and_resolutions() {
    let dir = common::tmp_dir("cli-pcapng");
    let mut outputs = Vec::new();
    for big_endian in [false, true] {
        let (bytes, n) = three_interface_pcapng(big_endian);
        let path = write(&dir.join(format!("three-be{big_endian}.pcapng")), &bytes);
        let r = analyze(&dir.join(format!("out-be{big_endian}")), &[&path], &[]);
        r.expect_code(0).expect_read(n as u64);
        assert_eq!(r.stderr, "");
        let lines = r.conn_lines();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        let expect = [
            (
                IpAddr::from(CLIENT4),
                40000,
                IpAddr::from(SERVER4),
                80,
                "1704067201.000123",
                "0.060000",
            ),
            (
                Ipv4Addr::new(192, 0, 2, 3).into(),
                40001,
                SERVER4.into(),
                443,
                "1704067202.123456",
                "0.060000",
            ),
            (
                CLIENT6.into(),
                40002,
                SERVER6.into(),
                8080,
                "1704067203.500000",
                "0.093750",
            ),
        ];
        for (orig, op, resp, rp, ts, duration) in expect {
            let line = lines
                .iter()
                .find(|l| l.contains(&format!("\"id.orig_p\":{op},")))
                .unwrap_or_else(|| panic!("no record for port {op}: {lines:#?}"));
            let v: Value = serde_json::from_str(line).expect("JSON");
            check_conversation(&v, orig, op, resp, rp);
            assert_eq!(raw_number(line, "ts"), Some(ts), "{line}");
            assert_eq!(raw_number(line, "duration"), Some(duration), "{line}");
        }
        outputs.push(lines);
    }
    assert_eq!(outputs[0], outputs[1], "big-endian section differs");
}

#[test]
fn pcapng_sections_of_either_byte_order_each_with_their_interfaces() {
    let dir = common::tmp_dir("cli-pcapng-sections");
    let (mut bytes, n) = three_interface_pcapng(false);
    // A second, big-endian section: its interface 0 is raw IP in milliseconds, with times
    // counted from an if_tsoffset of 2024-01-01.
    let d =
        Conv::new(Ipv4Addr::new(192, 0, 2, 4), 40003, SERVER4, 25).full(T0 + 10_000 * MS, 10 * MS);
    let mut ng = PcapNg::new(true);
    ng.interface_offset(101, Some(3), Some(T0 / 1_000_000_000));
    for (t, ip) in &d {
        ng.packet(0, ((t - T0) / MS) as u64, ip);
    }
    bytes.extend_from_slice(&ng.v);
    let path = write(&dir.join("sections.pcapng"), &bytes);
    let r = analyze(&dir.join("out"), &[&path], &[]);
    r.expect_code(0).expect_read((n + d.len()) as u64);
    assert_eq!(r.stderr, "");
    let lines = r.conn_lines();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let line = lines
        .iter()
        .find(|l| l.contains("\"id.orig_p\":40003,"))
        .expect("record of the second section");
    let v: Value = serde_json::from_str(line).expect("JSON");
    check_conversation(
        &v,
        Ipv4Addr::new(192, 0, 2, 4).into(),
        40003,
        SERVER4.into(),
        25,
    );
    assert_eq!(raw_number(line, "ts"), Some("1704067210.000000"), "{line}");
    assert_eq!(raw_number(line, "duration"), Some("0.060000"), "{line}");
}

#[test]
fn gzip_compressed_captures() {
    let dir = common::tmp_dir("cli-gzip");
    let demo = synth::demo_packets();
    let plain = pcap(LE_MICROS, 1, &demo);
    let reference = clean_run(&dir, "ref", 1, &demo);
    let mut two_members = gzip(&plain[..3001]);
    two_members.extend_from_slice(&gzip(&plain[3001..]));
    let cases = [
        ("pcap.gz", gzip(&plain)),
        ("two-members.pcap.gz", two_members),
        ("pcapng.gz", gzip(&pcapng_ethernet(&demo))),
    ];
    for (name, data) in cases {
        let path = write(&dir.join(name), &data);
        let r = analyze(&dir.join(format!("{name}-out")), &[&path], &[]);
        r.expect_code(0).expect_read(demo.len() as u64);
        assert_eq!(r.stderr, "", "{name}");
        assert_eq!(r.conn_lines(), reference.conn_lines(), "{name}");
        assert_eq!(r.weird_lines(), reference.weird_lines(), "{name}");
    }
    // The three-interface pcapng compressed gives what it gives uncompressed.
    let (ng, n) = three_interface_pcapng(false);
    let a = write(&dir.join("three.pcapng"), &ng);
    let b = write(&dir.join("three.pcapng.gz"), &gzip(&ng));
    let ra = analyze(&dir.join("three"), &[&a], &[]);
    let rb = analyze(&dir.join("three-gz"), &[&b], &[]);
    ra.expect_code(0).expect_read(n as u64);
    rb.expect_code(0).expect_read(n as u64);
    assert_eq!(ra.conn_lines(), rb.conn_lines());
}

#[test]
fn standard_input() {
    let dir = common::tmp_dir("cli-stdin");
    let demo = synth::demo_packets();
    let plain = pcap(LE_MICROS, 1, &demo);
    let reference = clean_run(&dir, "ref", 1, &demo);
    let dash = Path::new("-");
    for (name, data) in [("plain", plain.clone()), ("gz", gzip(&plain))] {
        let r = run_netloupe(&dir.join(name), &[dash], &[], Some(data));
        r.expect_code(0).expect_read(demo.len() as u64);
        assert_eq!(r.conn_lines(), reference.conn_lines(), "{name}");
        assert_eq!(r.weird_lines(), reference.weird_lines(), "{name}");
        assert_eq!(r.stats()["inputs"][0]["path"], "-");
    }
    // Standard input merged with a file.
    let other = on_ethernet(conversation(true, T0 + 5 * MS));
    let other_ref = clean_run(&dir, "other-ref", 1, &other);
    let file = write(&dir.join("other.pcap"), &pcap(LE_MICROS, 1, &other));
    let r = run_netloupe(
        &dir.join("merged"),
        &[&file, dash],
        &[],
        Some(plain.clone()),
    );
    r.expect_code(0)
        .expect_read((demo.len() + other.len()) as u64);
    assert_eq!(
        r.conn_lines(),
        union_sorted(reference.conn_lines(), other_ref.conn_lines())
    );
    // Empty standard input, and standard input cut short.
    let r = run_netloupe(&dir.join("empty"), &[dash], &[], Some(Vec::new()));
    r.expect_code(2)
        .expect_read(0)
        .expect_message("error", dash, 0);
    let last = *record_offsets(&demo).last().unwrap();
    let r = run_netloupe(
        &dir.join("cut"),
        &[dash],
        &[],
        Some(plain[..last as usize + 3].to_vec()),
    );
    r.expect_code(0)
        .expect_read(demo.len() as u64 - 1)
        .expect_message("warning", dash, last);
}

#[test]
fn several_files_are_merged_in_time_order() {
    let dir = common::tmp_dir("cli-merge");
    let demo = synth::demo_packets();
    // Nanosecond files: some demo packets are 1 ns apart, and packets of different files with
    // equal timestamps have no order to keep.
    let ns = PcapFormat {
        big_endian: false,
        nanos: true,
    };
    let whole_path = write(&dir.join("whole.pcap"), &pcap(ns, 1, &demo));
    let whole = analyze(&dir.join("whole"), &[&whole_path], &[]);
    whole.expect_code(0).expect_read(demo.len() as u64);
    // Alternate packets into two files.
    let even: Packets = demo.iter().step_by(2).cloned().collect();
    let odd: Packets = demo.iter().skip(1).step_by(2).cloned().collect();
    let a = write(&dir.join("even.pcap"), &pcap(ns, 1, &even));
    let b = write(&dir.join("odd.pcap"), &pcap(ns, 1, &odd));
    for (name, inputs) in [("ab", [&a, &b]), ("ba", [&b, &a])] {
        let inputs: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
        let r = analyze(&dir.join(name), &inputs, &[]);
        r.expect_code(0).expect_read(demo.len() as u64);
        assert_eq!(r.conn_lines(), whole.conn_lines(), "{name}");
        assert_eq!(r.weird_lines(), whole.weird_lines(), "{name}");
        let s = r.stats();
        assert_eq!(s["inputs"][0]["packets"], 12);
        assert_eq!(s["inputs"][1]["packets"], 12);
    }
    // Every third packet into each of three containers: pcap, big-endian pcap, and
    // gzip-compressed pcapng.
    let part = |k: usize| -> Packets { demo.iter().skip(k).step_by(3).cloned().collect() };
    let be_ns = PcapFormat {
        big_endian: true,
        nanos: true,
    };
    let p0 = write(&dir.join("p0.pcap"), &pcap(ns, 1, &part(0)));
    let p1 = write(&dir.join("p1.pcap"), &pcap(be_ns, 1, &part(1)));
    let p2 = write(
        &dir.join("p2.pcapng.gz"),
        &gzip(&pcapng_ethernet_res(&part(2), true)),
    );
    let r = analyze(&dir.join("three"), &[&p0, &p1, &p2], &["--threads", "2"]);
    r.expect_code(0).expect_read(demo.len() as u64);
    assert_eq!(r.conn_lines(), whole.conn_lines());
    assert_eq!(r.weird_lines(), whole.weird_lines());
}

// ---------------------------------------------------------------------------------------------
// 3. Link types

#[test]
fn conversation_on_every_supported_link_type() {
    let dir = common::tmp_dir("cli-linktypes");
    // (name, link type, big-endian file, IPv6)
    let cases: &[(&str, u32, bool, bool)] = &[
        ("ethernet", 1, false, false),
        ("raw-101", 101, false, false),
        ("raw-12", 12, false, false),
        ("ipv4-228", 228, false, false),
        ("sll-113", 113, false, false),
        ("sll2-276", 276, false, false),
        ("null-le", 0, false, false),
        ("null-be", 0, true, false),
        ("loop-108", 108, false, false),
        ("ppp-9", 9, false, false),
        ("ethernet-v6", 1, false, true),
        ("raw-101-v6", 101, false, true),
        ("ipv6-229", 229, false, true),
        ("sll-113-v6", 113, false, true),
        ("sll2-276-v6", 276, true, true),
        ("null-v6", 0, false, true),
        ("loop-108-v6", 108, false, true),
        ("ppp-9-v6", 9, false, true),
    ];
    let mut expected: BTreeMap<bool, String> = BTreeMap::new();
    let mut failures = Vec::new();
    for &(name, linktype, big_endian, v6) in cases {
        let packets: Packets = conversation(v6, T0)
            .into_iter()
            .map(|(t, ip)| (t, frame(linktype, &ip, big_endian)))
            .collect();
        let f = PcapFormat {
            big_endian,
            nanos: false,
        };
        let path = write(
            &dir.join(format!("{name}.pcap")),
            &pcap(f, linktype, &packets),
        );
        let r = analyze(&dir.join(name), &[&path], &[]);
        r.expect_code(0).expect_read(8);
        let s = r.stats();
        if s["packets"]["to_flows"] != 8 {
            failures.push(format!(
                "{name}: {} packets to flows",
                s["packets"]["to_flows"]
            ));
            continue;
        }
        let conn = r.conn();
        if conn.len() != 1 {
            failures.push(format!("{name}: {} conn records", conn.len()));
            continue;
        }
        let (c, sv): (IpAddr, IpAddr) = if v6 {
            (CLIENT6.into(), SERVER6.into())
        } else {
            (CLIENT4.into(), SERVER4.into())
        };
        check_conversation(&conn[0], c, 40000, sv, 80);
        // The link layer leaves no trace in the record: the same line as on Ethernet.
        let line = r.conn_lines().remove(0);
        let first = expected.entry(v6).or_insert_with(|| line.clone());
        if *first != line {
            failures.push(format!(
                "{name}: record differs from Ethernet's:\n{line}\n{first}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unsupported_link_type_is_counted_not_fatal() {
    let dir = common::tmp_dir("cli-linktype-147");
    let packets: Packets = conversation(false, T0)
        .into_iter()
        .map(|(t, ip)| (t, frame(147, &ip, false)))
        .collect();
    let path = write(&dir.join("user0.pcap"), &pcap(LE_MICROS, 147, &packets));
    let r = analyze(&dir.join("out"), &[&path], &[]);
    r.expect_code(0).expect_read(8);
    let s = r.stats();
    assert_eq!(s["packets"]["dropped"]["unknown_link_type"], 8, "{s}");
    assert_eq!(s["anomalies"]["unknown_link_type"], 8, "{s}");
    assert_eq!(r.conn().len(), 0);
    let weird = common::read_jsonl(&r.out.join("weird.log"));
    assert!(!weird.is_empty());
    for w in &weird {
        assert_eq!(w["name"], "unknown_link_type", "{w}");
        assert_eq!(w["addl"], "147", "{w}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Output

/// conn.log's fields in Zeek's order, plus community_id.
const CONN_FIELDS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
    "ip_proto",
    "vlan",
    "inner_vlan",
    "community_id",
];

/// Fields every conn record has (the others are left out when unset, as Zeek's JSON does).
const CONN_ALWAYS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "ip_proto",
    "community_id",
];

const WEIRD_FIELDS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "name",
    "addl",
    "notice",
    "peer",
    "source",
];

/// Keys of a JSON line in the order written.
fn keys_in_order(line: &str, known: &[&str]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = known
        .iter()
        .filter_map(|k| line.find(&format!("\"{k}\":")).map(|i| (i, k.to_string())))
        .collect();
    found.sort();
    found.into_iter().map(|x| x.1).collect()
}

#[test]
fn conn_log_is_json_with_zeek_field_names() {
    let dir = common::tmp_dir("cli-conn-json");
    let r = clean_run(&dir, "demo", 1, &synth::demo_packets());
    let text = std::fs::read_to_string(r.out.join("conn.log")).expect("conn.log");
    let mut uids = BTreeSet::new();
    let mut n = 0;
    for line in text.lines() {
        n += 1;
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let obj = v.as_object().expect("object");
        for k in CONN_ALWAYS {
            assert!(obj.contains_key(*k), "{k} missing: {line}");
        }
        for k in obj.keys() {
            assert!(
                CONN_FIELDS.contains(&k.as_str()),
                "unknown field {k}: {line}"
            );
        }
        // In Zeek's order.
        let order = keys_in_order(line, CONN_FIELDS);
        let want: Vec<String> = CONN_FIELDS
            .iter()
            .filter(|k| obj.contains_key(**k))
            .map(|k| k.to_string())
            .collect();
        assert_eq!(order, want, "{line}");
        assert!(v["ts"].is_f64(), "{line}");
        let uid = v["uid"].as_str().expect("uid");
        assert!(uid.starts_with('C') && uid.len() > 10, "{line}");
        assert!(uids.insert(uid.to_string()), "duplicate uid {uid}");
        for k in [
            "id.orig_p",
            "id.resp_p",
            "orig_pkts",
            "resp_ip_bytes",
            "ip_proto",
        ] {
            assert!(v[k].is_u64(), "{k}: {line}");
        }
        assert!(v["id.orig_h"]
            .as_str()
            .is_some_and(|a| a.parse::<IpAddr>().is_ok()));
        assert!(v["id.resp_h"]
            .as_str()
            .is_some_and(|a| a.parse::<IpAddr>().is_ok()));
        assert!(["tcp", "udp", "icmp"].contains(&v["proto"].as_str().unwrap_or("")));
        assert!(v["local_orig"].is_boolean() && v["local_resp"].is_boolean());
        assert!(v["community_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("1:")));
    }
    assert_eq!(n, DEMO_FLOWS.len());
    assert_eq!(r.stats()["flows"]["records"], n);
    assert_eq!(flow_names(&r.conn()), DEMO_FLOWS);
    // The demo's web download, field by field.
    let web = r
        .conn()
        .into_iter()
        .find(|v| v["id.resp_p"] == 80 && v["proto"] == "tcp")
        .expect("HTTP record");
    assert_eq!(web["id.orig_h"], "192.168.1.10");
    assert_eq!(web["id.orig_p"], 49152);
    assert_eq!(web["id.resp_h"], "93.184.216.34");
    assert_eq!(web["conn_state"], "SF");
    assert_eq!(web["history"], "ShADdFf");
    assert_eq!(web["orig_bytes"], 64);
    assert_eq!(web["resp_bytes"], 2466);
}

/// Parses a Zeek TSV log: (header lines by tag, #fields, #types, data rows, #close value).
struct Tsv {
    header: BTreeMap<String, String>,
    fields: Vec<String>,
    types: Vec<String>,
    rows: Vec<Vec<String>>,
    close: Option<String>,
}

fn read_tsv(path: &Path) -> Tsv {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut t = Tsv {
        header: BTreeMap::new(),
        fields: Vec::new(),
        types: Vec::new(),
        rows: Vec::new(),
        close: None,
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"#separator \\x09"),
        "{}",
        path.display()
    );
    assert!(text.ends_with('\n'));
    for (i, l) in lines.iter().enumerate().skip(1) {
        if let Some(h) = l.strip_prefix('#') {
            let (tag, value) = h.split_once('\t').unwrap_or((h, ""));
            match tag {
                "fields" => t.fields = value.split('\t').map(str::to_string).collect(),
                "types" => t.types = value.split('\t').map(str::to_string).collect(),
                "close" => {
                    assert_eq!(i, lines.len() - 1, "#close is not last");
                    t.close = Some(value.to_string());
                }
                _ => {
                    assert!(t.fields.is_empty(), "#{tag} after #fields");
                    t.header.insert(tag.to_string(), value.to_string());
                }
            }
        } else {
            assert!(!t.types.is_empty(), "data before #types: {l}");
            assert!(t.close.is_none());
            t.rows.push(l.split('\t').map(str::to_string).collect());
        }
    }
    t
}

fn is_stamp(s: &str) -> bool {
    s.len() == 19
        && s.chars().enumerate().all(|(i, c)| {
            if [4, 7, 10, 13, 16].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// How a JSON value is written in Zeek TSV.
fn tsv_value(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "T" } else { "F" }.into(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| tsv_value(Some(x)))
            .collect::<Vec<_>>()
            .join(","),
        Some(x) => x.to_string(),
    }
}

/// Every TSV row against the JSON record it corresponds to.
fn compare_tsv_row(fields: &[String], row: &[String], json_line: &str) {
    let v: Value = serde_json::from_str(json_line).expect("JSON");
    for (f, cell) in fields.iter().zip(row) {
        if matches!(f.as_str(), "ts" | "duration") {
            let raw = raw_number(json_line, f).unwrap_or("-");
            assert_eq!(cell, raw, "{f}: TSV {row:?} JSON {json_line}");
        } else {
            assert_eq!(
                *cell,
                tsv_value(v.get(f)),
                "{f}: TSV {row:?} JSON {json_line}"
            );
        }
    }
}

fn check_zeek_tsv(r: &Run) {
    // conn.log
    let t = read_tsv(&r.out.join("zeek/conn.log"));
    assert_eq!(t.header.get("path").map(String::as_str), Some("conn"));
    assert_eq!(t.header.get("set_separator").map(String::as_str), Some(","));
    assert_eq!(
        t.header.get("empty_field").map(String::as_str),
        Some("(empty)")
    );
    assert_eq!(t.header.get("unset_field").map(String::as_str), Some("-"));
    assert!(
        t.header.get("open").is_some_and(|s| is_stamp(s)),
        "{:?}",
        t.header
    );
    assert!(
        t.close.as_deref().is_some_and(is_stamp),
        "#close {:?}",
        t.close
    );
    assert_eq!(t.fields, CONN_FIELDS);
    assert_eq!(t.types.len(), t.fields.len());
    assert_eq!(&t.types[..3], ["time", "string", "addr"]);
    for row in &t.rows {
        assert_eq!(row.len(), t.fields.len(), "{row:?}");
    }
    let json: BTreeMap<String, String> = r
        .conn_lines()
        .into_iter()
        .map(|l| {
            let v: Value = serde_json::from_str(&l).expect("JSON");
            (v["uid"].as_str().unwrap_or_default().to_string(), l)
        })
        .collect();
    let tsv_uids: BTreeSet<&str> = t.rows.iter().map(|row| row[1].as_str()).collect();
    let json_uids: BTreeSet<&str> = json.keys().map(String::as_str).collect();
    assert_eq!(tsv_uids, json_uids);
    assert_eq!(t.rows.len(), json.len());
    for row in &t.rows {
        compare_tsv_row(&t.fields, row, &json[&row[1]]);
    }
    // weird.log: the same records in the same order.
    let w = read_tsv(&r.out.join("zeek/weird.log"));
    assert_eq!(w.header.get("path").map(String::as_str), Some("weird"));
    assert!(w.close.as_deref().is_some_and(is_stamp));
    assert_eq!(w.fields, WEIRD_FIELDS);
    assert_eq!(w.types.len(), w.fields.len());
    let text = std::fs::read_to_string(r.out.join("weird.log")).unwrap_or_default();
    let weird_json: Vec<&str> = text.lines().collect();
    assert_eq!(w.rows.len(), weird_json.len());
    for (row, line) in w.rows.iter().zip(&weird_json) {
        assert_eq!(row.len(), w.fields.len(), "{row:?}");
        compare_tsv_row(&w.fields, row, line);
    }
}

#[test]
fn zeek_tsv_has_zeek_header_and_the_json_records() {
    let dir = common::tmp_dir("cli-tsv");
    let demo = synth::demo_packets();
    let path = write(&dir.join("demo.pcap"), &pcap(LE_MICROS, 1, &demo));
    let r = analyze(&dir.join("demo"), &[&path], &["--format", "zeek-tsv"]);
    r.expect_code(0).expect_read(demo.len() as u64);
    check_zeek_tsv(&r);
    // Damaged traffic gives many weird records; several threads.
    let mut noisy = demo.clone();
    noisy.extend(many_flows(200));
    let noisy = mangled(&noisy, 3);
    let path = write(&dir.join("noisy.pcap"), &pcap(LE_MICROS, 1, &noisy));
    let r = analyze(
        &dir.join("noisy"),
        &[&path],
        &["--format", "zeek-tsv", "--threads", "2"],
    );
    r.expect_code(0).expect_read(noisy.len() as u64);
    check_zeek_tsv(&r);
}

fn check_weird_json(r: &Run) -> usize {
    let text = std::fs::read_to_string(r.out.join("weird.log")).expect("weird.log");
    let mut n = 0;
    for line in text.lines() {
        n += 1;
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let obj = v.as_object().expect("object");
        for k in obj.keys() {
            assert!(
                WEIRD_FIELDS.contains(&k.as_str()),
                "unknown field {k}: {line}"
            );
        }
        assert_eq!(keys_in_order(line, WEIRD_FIELDS), {
            let mut k: Vec<String> = WEIRD_FIELDS
                .iter()
                .filter(|k| obj.contains_key(**k))
                .map(|k| k.to_string())
                .collect();
            k.dedup();
            k
        });
        assert!(v["ts"].is_f64(), "{line}");
        assert!(v["name"].as_str().is_some_and(|s| !s.is_empty()), "{line}");
        assert_eq!(v["notice"], false, "{line}");
        assert!(v["peer"].is_string() && v["source"].is_string(), "{line}");
        if let Some(a) = obj.get("addl") {
            assert!(a.is_string(), "{line}");
        }
    }
    let s = r.stats();
    assert_eq!(s["weird_log"]["written"], n, "{s}");
    let anomalies: u64 = s["anomalies"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert_eq!(
        anomalies,
        n as u64 + s["weird_log"]["suppressed"].as_u64().unwrap_or(0),
        "{s}"
    );
    n
}

#[test]
fn weird_log_is_valid_json_for_demo_and_damaged_traffic() {
    let dir = common::tmp_dir("cli-weird");
    let demo = synth::demo_packets();
    let r = clean_run(&dir, "demo", 1, &demo);
    assert_eq!(check_weird_json(&r), 2);
    let mut noisy = demo.clone();
    noisy.extend(many_flows(300));
    for seed in [1, 2] {
        let noisy = mangled(&noisy, seed);
        let r = clean_run(&dir, &format!("noisy{seed}"), 1, &noisy);
        assert!(check_weird_json(&r) > 50);
        common::read_jsonl(&r.out.join("conn.log"));
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Determinism

/// The parts of stats.json that must not depend on the thread count.
fn thread_independent_stats(s: &Value) -> Value {
    serde_json::json!({
        "packets": s["packets"],
        "bytes": s["bytes"],
        "anomalies": s["anomalies"],
        "records": s["flows"]["records"],
        "created": s["flows"]["created"],
        "by_proto": s["flows"]["by_proto"],
        "weird_log": s["weird_log"],
        "defrag": s["defrag"],
    })
}

fn check_same_output_any_threads(dir: &Path, name: &str, path: &Path, n: u64) -> Vec<String> {
    let runs: Vec<Run> = [("1", "a"), ("1", "b"), ("3", "c")]
        .iter()
        .map(|(threads, tag)| {
            let r = analyze(
                &dir.join(format!("{name}-{threads}-{tag}")),
                &[path],
                &["--threads", threads],
            );
            r.expect_code(0).expect_read(n);
            r
        })
        .collect();
    let base = runs[0].conn_lines();
    assert!(!base.is_empty());
    assert_eq!(
        runs[0].stats()["flows"]["records"],
        base.len(),
        "{name}: records in stats vs conn.log"
    );
    for r in &runs[1..] {
        assert_eq!(r.conn_lines(), base, "{name}: {}", r.out.display());
        assert_eq!(r.weird_lines(), runs[0].weird_lines(), "{name}");
        assert_eq!(
            thread_independent_stats(&r.stats()),
            thread_independent_stats(&runs[0].stats()),
            "{name}"
        );
    }
    base
}

#[test]
fn same_records_every_run_and_any_thread_count() {
    let dir = common::tmp_dir("cli-determinism");
    let demo = synth::demo_packets();
    let path = write(&dir.join("demo.pcap"), &pcap(LE_MICROS, 1, &demo));
    assert_eq!(
        check_same_output_any_threads(&dir, "demo", &path, demo.len() as u64).len(),
        DEMO_FLOWS.len()
    );

    let n = 5000;
    let many = many_flows(n);
    let path = write(&dir.join("many.pcap"), &pcap(LE_MICROS, 1, &many));
    let lines = check_same_output_any_threads(&dir, "many", &path, many.len() as u64);
    // Per 10 clients: 2 conversations, 2 with retransmissions, 2 x 2 on a reused port,
    // 2 x 2 UDP flows separated by a timeout, 1 rejected, 1 unanswered + 1 with a bad checksum.
    let records: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let count = |f: &dyn Fn(&Value) -> bool| records.iter().filter(|v| f(v)).count();
    assert_eq!(count(&|v| v["id.resp_p"] == 80), 1000);
    assert_eq!(count(&|v| v["id.resp_p"] == 443), 1000);
    assert_eq!(count(&|v| v["id.resp_p"] == 22), 2000, "port reuse");
    assert_eq!(count(&|v| v["proto"] == "udp"), 2000, "UDP timeout");
    assert_eq!(count(&|v| v["conn_state"] == "REJ"), 500);
    assert_eq!(
        count(&|v| v["id.resp_p"] == 80 || v["id.resp_p"] == 22),
        count(&|v| (v["id.resp_p"] == 80 || v["id.resp_p"] == 22)
            && v["conn_state"] == "SF"
            && v["history"] == "ShADdFf")
    );
    for v in records.iter().filter(|v| v["id.resp_p"] == 443) {
        assert_eq!(v["conn_state"], "SF", "{v}");
        assert_eq!(v["orig_pkts"], 7, "{v}");
        assert_eq!(v["orig_bytes"], 5, "retransmitted bytes counted once: {v}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Accounting (every test above checks it on its own captures; this one on damaged frames)

#[test]
fn every_packet_is_accounted_for_in_damaged_traffic() {
    let dir = common::tmp_dir("cli-accounting");
    let mut traffic = synth::demo_packets();
    traffic.extend(many_flows(400));
    for seed in 10..13 {
        let noisy = mangled(&traffic, seed);
        let path = write(
            &dir.join(format!("n{seed}.pcap")),
            &pcap(LE_MICROS, 1, &noisy),
        );
        for threads in ["1", "2"] {
            let r = analyze(
                &dir.join(format!("n{seed}-{threads}")),
                &[&path],
                &["--threads", threads],
            );
            r.expect_code(0).expect_read(noisy.len() as u64);
            let s = r.stats();
            let p = &s["packets"];
            let sum = |m: &Value| -> u64 {
                m.as_object()
                    .map(|o| o.values().filter_map(Value::as_u64).sum())
                    .unwrap_or(0)
            };
            let parts = p["to_flows"].as_u64().unwrap_or(0)
                + p["arp"].as_u64().unwrap_or(0)
                + sum(&p["non_ip"])
                + p["fragments_held"].as_u64().unwrap_or(0)
                + sum(&p["dropped"]);
            assert_eq!(p["read"], parts, "{p}");
            assert_eq!(s["inputs"][0]["packets"], noisy.len(), "{s}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. The command line itself

#[test]
fn analyze_help_lists_every_option_and_the_exit_codes() {
    let o = common::netloupe()
        .args(["analyze", "--help"])
        .output()
        .expect("run netloupe");
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for opt in [
        "--out",
        "-o,",
        "--threads",
        "--format",
        "zeek-tsv",
        "--no-checksums",
        "-C,",
        "--max-flows",
        "--tcp-timeout",
        "--udp-timeout",
        "--icmp-timeout",
        "--active-timeout",
        "--defrag-max-bytes",
        "--defrag-timeout",
        "--no-progress",
        "--quiet",
        "-q,",
        "--help",
        "<FILE>",
        "conn.log",
        "weird.log",
        "stats.json",
    ] {
        assert!(help.contains(opt), "help lacks {opt}:\n{help}");
    }
    let codes = help
        .split("EXIT CODES:")
        .nth(1)
        .unwrap_or_else(|| panic!("no EXIT CODES section:\n{help}"));
    for code in 0..=3 {
        assert!(
            codes
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "exit code {code} not explained:\n{codes}"
        );
    }
}

#[test]
fn demo_command_writes_the_shipped_capture_and_its_logs() {
    let dir = common::tmp_dir("cli-demo");
    let out = dir.join("demo");
    let o = common::netloupe()
        .args(["demo", "-o"])
        .arg(&out)
        .output()
        .expect("run netloupe");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let conn = common::read_jsonl(&out.join("conn.log"));
    assert_eq!(flow_names(&conn), DEMO_FLOWS);
    let stats = common::read_json(&out.join("stats.json"));
    assert_eq!(stats["packets"]["read"], 24);
    assert_eq!(stats["packets"]["balanced"], true);
    // testdata/demo.pcap is what netloupe writes, and what this file's writer writes.
    let written = std::fs::read(out.join("demo.pcap")).expect("demo.pcap");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/demo.pcap");
    assert_eq!(written, std::fs::read(shipped).expect("testdata/demo.pcap"));
    assert_eq!(written, pcap(LE_MICROS, 1, &synth::demo_packets()));
}

#[test]
fn output_that_cannot_be_written_exits_1() {
    let dir = common::tmp_dir("cli-bad-out");
    let demo = write(
        &dir.join("demo.pcap"),
        &pcap(LE_MICROS, 1, &synth::demo_packets()),
    );
    let blocker = write(&dir.join("a-file"), b"not a directory");
    let r = analyze(&blocker.join("out"), &[&demo], &[]);
    r.expect_code(1);
    assert!(r.stderr.contains("netloupe: error: "), "{}", r.stderr);
    let r = analyze(&dir.join("out"), &[&demo], &["--threads", "0"]);
    r.expect_code(1);
}

#[test]
fn usage_errors_exit_1_as_documented() {
    for args in [
        &["analyze", "--no-such-option", "x.pcap"][..],
        &["analyze"][..],
        &["analyze", "--threads", "many", "x.pcap"][..],
        &["analyze", "--format", "xml", "x.pcap"][..],
    ] {
        let o = common::netloupe()
            .args(args)
            .output()
            .expect("run netloupe");
        assert_eq!(
            o.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
