//! Shared reading of Zeek traces for the http and tls comparisons: TCP payloads per connection
//! in capture order (exact retransmissions dropped) and Zeek's TSV logs.
#![allow(dead_code)]

use netloupe_capture::CaptureFile;
use netloupe_decode::{Decoded, Decoder, Transport};
use netloupe_proto::Direction;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

// The shared corpus, `../shared/corpus` from the repository root.
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");

pub type Key = (IpAddr, u16, IpAddr, u16);

/// One TCP connection's payload deliveries in capture order.
pub struct TcpConn {
    pub orig: Key,
    pub events: Vec<(i64, Direction, Vec<u8>)>,
}

/// Reads a trace into TCP connections (originator = sender of the first packet, or of the
/// SYN), dropping exact retransmissions by sequence number.
pub fn read_tcp(path: &Path) -> Vec<TcpConn> {
    let mut f = match CaptureFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            println!("  cannot open {}: {e}", path.display());
            return vec![];
        }
    };
    // Like `zeek -C`: corpus traces often have offloaded (wrong) checksums.
    let mut dec = Decoder::new(netloupe_decode::DecodeConfig {
        verify_checksums: false,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    let mut conns: Vec<TcpConn> = Vec::new();
    let mut index: HashMap<Key, (usize, Direction)> = HashMap::new();
    let mut next_seq: HashMap<(usize, bool), u32> = HashMap::new();
    while let Ok(Some(p)) = f.next_packet() {
        anomalies.clear();
        let (ts, lt) = (p.ts_ns, p.linktype);
        let data = p.data.to_vec();
        let Decoded::Ip(ip) = dec.decode(ts, lt, &data, &mut anomalies) else {
            continue;
        };
        let Transport::Tcp(t) = ip.transport else {
            continue;
        };
        let key = (ip.ip.src, t.src_port, ip.ip.dst, t.dst_port);
        let rev = (ip.ip.dst, t.dst_port, ip.ip.src, t.src_port);
        let syn = t.flags & 0x02 != 0;
        let ack = t.flags & 0x10 != 0;
        let (ci, dir) = match (index.get(&key), index.get(&rev)) {
            (Some(&(i, d)), _) => (i, d),
            (None, Some(&(i, d))) => (
                i,
                if d == Direction::Orig {
                    Direction::Resp
                } else {
                    Direction::Orig
                },
            ),
            (None, None) => {
                // A SYN-ACK first means the other side is the originator.
                let orig = if syn && ack { rev } else { key };
                conns.push(TcpConn {
                    orig,
                    events: vec![],
                });
                let i = conns.len() - 1;
                index.insert(orig, (i, Direction::Orig));
                let d = if orig == key {
                    Direction::Orig
                } else {
                    Direction::Resp
                };
                (i, d)
            }
        };
        let is_orig = dir == Direction::Orig;
        let mut seq = t.seq;
        if syn {
            next_seq.insert((ci, is_orig), seq.wrapping_add(1));
            seq = seq.wrapping_add(1);
        }
        let mut payload = ip.payload;
        if payload.is_empty() {
            continue;
        }
        let expected = *next_seq.entry((ci, is_orig)).or_insert(seq);
        let behind = expected.wrapping_sub(seq) as i32;
        if behind > 0 {
            if behind as usize >= payload.len() {
                continue; // retransmission
            }
            payload = &payload[behind as usize..];
            seq = expected;
        }
        let end = seq.wrapping_add(payload.len() as u32);
        if (end.wrapping_sub(expected) as i32) > 0 {
            next_seq.insert((ci, is_orig), end);
        }
        conns[ci].events.push((ts, dir, payload.to_vec()));
    }
    conns
}

/// A Zeek ASCII log: field names and rows (values unescaped).
pub fn read_log(path: &Path) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields: Vec<String> = vec![];
    let mut rows = vec![];
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_string).collect();
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if fields.is_empty() {
            // zeek-cut output: the first line names the columns.
            fields = line.split('\t').map(str::to_string).collect();
        } else {
            rows.push(line.split('\t').map(unescape).collect());
        }
    }
    Some((fields, rows))
}

pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\\' {
            out.push(b'\\');
            i += 2;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Zeek optional string as its logs write it.
pub fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

/// A Zeek bool.
pub fn tf(b: bool) -> String {
    if b { "T" } else { "F" }.into()
}

/// A Zeek vector: `-` unset, `(empty)` empty, else comma-joined.
pub fn vec_field(v: &Option<Vec<String>>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.is_empty() => "(empty)".into(),
        Some(v) => v.join(","),
    }
}

/// (baseline folder, trace) of every baseline that holds `log`.
pub fn baselines(log: &str) -> Vec<(PathBuf, PathBuf)> {
    let idx = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(text) = std::fs::read_to_string(&idx) else {
        return vec![];
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split('\t');
            let (dir, trace, logs) = (it.next()?, it.next()?, it.next()?);
            logs.split(',')
                .any(|x| x == log)
                .then(|| (Path::new(CORPUS).join(dir), Path::new(CORPUS).join(trace)))
        })
        .collect()
}
