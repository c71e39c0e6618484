//! Parser caps are counted in stats.json: a DNS client sending more unanswered queries on one
//! connection than the parser keeps (`proto::dns::session::MAX_PENDING`, 64) gets every query in
//! dns.log, the oldest written early, and the evictions in `inspection.parser_evictions.dns`.
//! The capture is made here with `netloupe_engine::synth`.

mod common;

use netloupe_engine::synth::{ether, ipv4, udp, PcapWriter, DEMO_T0_NS};
use std::net::{IpAddr, Ipv4Addr};

fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}

#[test]
fn unanswered_dns_queries_beyond_the_cap_are_counted() {
    let (c, s) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 53));
    let queries = 70u16;
    let dir = common::tmp_dir("parser-caps");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dns-flood.pcap");
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), 1).unwrap();
    for i in 0..queries {
        let q = dns_query(0x1000 + i, &format!("host{i}.example.com"));
        let u = udp(IpAddr::V4(c), IpAddr::V4(s), 33333, 53, &q);
        let f = ether(0x0800, None, &ipv4(c, s, 17, i, (false, 0), &u));
        w.packet(DEMO_T0_NS + i64::from(i) * 1_000_000, &f).unwrap();
    }
    drop(w);
    let out = dir.join("out");
    common::analyze_ok(&[], &out, &path);
    let dns = common::read_jsonl(&out.join("dns.log"));
    assert_eq!(dns.len(), usize::from(queries), "every query is logged");
    let stats = common::read_json(&out.join("stats.json"));
    assert_eq!(
        stats["inspection"]["parser_evictions"]["dns"],
        u64::from(queries) - 64,
        "{}",
        stats["inspection"]
    );
}
