//! A TCP overlap whose bytes differ (the shape of Ptacek-Newsham insertion/evasion) is reported
//! through the binary: weird.log `rexmit_inconsistency` with the connection's uid (Zeek's name),
//! an EVE `anomaly` event of type `stream` (Suricata's
//! `stream.reassembly_overlap_different_data`), and stats.json's
//! `inspection.overlap_conflicts`; the first copy of the bytes is what the parser sees. The
//! capture is made here with `netloupe_engine::synth`.

mod common;

use netloupe_engine::synth::{ether, ipv4, tcp, PcapWriter, DEMO_T0_NS};
use std::net::{IpAddr, Ipv4Addr};

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;

fn frame(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ports: (u16, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    data: &[u8],
) -> Vec<u8> {
    let t = tcp(
        IpAddr::V4(src),
        IpAddr::V4(dst),
        ports,
        seq,
        ack,
        flags,
        data,
    );
    ether(0x0800, None, &ipv4(src, dst, 6, 1, (false, 0), &t))
}

#[test]
fn differing_overlap_is_a_weird_and_an_eve_anomaly() {
    let (c, s) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
    let (cp, sp) = (40000u16, 80u16);
    let (ci, si) = (1000u32, 5000u32);
    let head = b"GET /index.html HTTP/1.1\r\n";
    let rest = b"Host: example.com\r\n\r\n";
    let forged = b"Host: evil.example\r\n\r\n"[..rest.len()].to_vec();
    let ms = 1_000_000i64;
    let pkts: Vec<(i64, Vec<u8>)> = vec![
        (0, frame(c, s, (cp, sp), ci, 0, SYN, b"")),
        (ms, frame(s, c, (sp, cp), si, ci + 1, SYN | ACK, b"")),
        (2 * ms, frame(c, s, (cp, sp), ci + 1, si + 1, ACK, b"")),
        // The second part first (out of order), then a differing copy of it, then the first.
        (
            3 * ms,
            frame(
                c,
                s,
                (cp, sp),
                ci + 1 + head.len() as u32,
                si + 1,
                ACK | PSH,
                rest,
            ),
        ),
        (
            4 * ms,
            frame(
                c,
                s,
                (cp, sp),
                ci + 1 + head.len() as u32,
                si + 1,
                ACK | PSH,
                &forged,
            ),
        ),
        (
            5 * ms,
            frame(c, s, (cp, sp), ci + 1, si + 1, ACK | PSH, head),
        ),
    ];
    let dir = common::tmp_dir("reassembly-evasion");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("overlap.pcap");
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), 1).unwrap();
    for (t, p) in &pkts {
        w.packet(DEMO_T0_NS + t, p).unwrap();
    }
    drop(w);
    let out = dir.join("out");
    common::analyze_ok(&["--format", "eve"], &out, &path);

    let conns = common::read_jsonl(&out.join("conn.log"));
    assert_eq!(conns.len(), 1);
    let uid = conns[0]["uid"].as_str().unwrap();
    let weirds: Vec<_> = common::read_jsonl(&out.join("weird.log"))
        .into_iter()
        .filter(|w| w["name"] == "rexmit_inconsistency")
        .collect();
    assert_eq!(weirds.len(), 1, "one weird per connection");
    assert_eq!(weirds[0]["uid"], uid);
    assert_eq!(weirds[0]["id.resp_p"], 80);
    let anomalies: Vec<_> = common::read_jsonl(&out.join("eve.json"))
        .into_iter()
        .filter(|e| e["event_type"] == "anomaly" && e["anomaly"]["type"] == "stream")
        .collect();
    assert_eq!(anomalies.len(), 1);
    assert_eq!(
        anomalies[0]["anomaly"]["event"],
        "stream.reassembly_overlap_different_data"
    );
    let stats = common::read_json(&out.join("stats.json"));
    assert_eq!(stats["inspection"]["overlap_conflicts"], 1);
    // The first copy won: the request's Host is the original one.
    let http = common::read_jsonl(&out.join("http.log"));
    assert_eq!(http.len(), 1, "{http:?}");
    assert_eq!(http[0]["host"], "example.com");
}
