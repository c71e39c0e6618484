//! Shared harness of the stream-protocol Zeek comparisons (smtp, ftp, rdp): reads a trace into
//! TCP connections (reassembled per direction, gaps reported), feeds a parser, and compares its
//! records with Zeek's baseline rows field by field.
#![allow(dead_code)]

#[path = "../zeek_log/mod.rs"]
mod zeek_log;
pub use zeek_log::{read_zeek_log, Tally};

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");

pub type ConnId = (IpAddr, u16, IpAddr, u16);
pub type Endpoint = (IpAddr, u16);

pub struct Conn {
    pub id: ConnId,
    pub parser: Box<dyn SessionParser>,
    /// Next expected sequence number per direction (gaps are reported to the parser).
    pub next: [Option<u32>; 2],
    /// Bytes of an HTTP CONNECT head still to skip per direction (tunnelled sessions).
    pub http_head: [bool; 2],
    pub seen: [bool; 2],
    /// Segments not delivered yet: (seq, time, bytes).
    pub future: [Vec<(u32, i64, Vec<u8>)>; 2],
    pub fin: [bool; 2],
    /// The client opened an HTTP CONNECT tunnel.
    pub connect: bool,
}

/// Runs a parser over every TCP connection of a trace: payloads per direction in capture
/// order, retransmissions dropped, holes reported as gaps. `None` when the trace cannot be
/// read to its end.
pub fn run_trace(
    path: &Path,
    make: &dyn Fn(ConnId) -> Box<dyn SessionParser>,
) -> Option<Vec<(ConnId, AppRecord)>> {
    let mut f = CaptureFile::open(path).ok()?;
    let mut dec = Decoder::new(DecodeConfig {
        verify_checksums: false,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    let mut conns: HashMap<(Endpoint, Endpoint), Conn> = HashMap::new();
    let mut order = Vec::new();
    let mut out = Vec::new();
    let mut recs = Vec::new();
    let mut last_ts = 0;
    loop {
        let pkt = match f.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(_) => return None,
        };
        anomalies.clear();
        last_ts = pkt.ts_ns;
        let Decoded::Ip(p) = dec.decode(pkt.ts_ns, pkt.linktype, pkt.data, &mut anomalies) else {
            continue;
        };
        let Transport::Tcp(t) = p.transport else {
            continue;
        };
        let a = (p.ip.src, t.src_port);
        let b = (p.ip.dst, t.dst_port);
        let key = if a <= b { (a, b) } else { (b, a) };
        let syn = t.flags & 0x02 != 0;
        let syn_ack = t.flags & 0x12 == 0x12;
        let c = conns.entry(key).or_insert_with(|| {
            order.push(key);
            // Originator: the SYN's sender, the other end of a SYN-ACK; else the sender
            // towards a well-known port, else the first sender.
            let orig_is_a = if syn {
                !syn_ack
            } else if (t.dst_port < 1024) != (t.src_port < 1024) {
                t.dst_port < 1024
            } else {
                true
            };
            let id = if orig_is_a {
                (a.0, a.1, b.0, b.1)
            } else {
                (b.0, b.1, a.0, a.1)
            };
            Conn {
                id,
                parser: make(id),
                next: [None, None],
                http_head: [false, false],
                seen: [false, false],
                future: [Vec::new(), Vec::new()],
                fin: [false, false],
                connect: false,
            }
        });
        let dir = if (p.ip.src, t.src_port) == (c.id.0, c.id.1) {
            Direction::Orig
        } else {
            Direction::Resp
        };
        let d = (dir == Direction::Resp) as usize;
        if syn {
            c.next[d] = Some(t.seq.wrapping_add(1));
        }
        // Bytes of the other direction acknowledged but never captured are a gap (checked
        // before this packet's own payload, as a reassembler would).
        if t.flags & 0x10 != 0 {
            let o = 1 - d;
            let odir = if o == 0 {
                Direction::Orig
            } else {
                Direction::Resp
            };
            if let Some(n) = c.next[o] {
                let ahead = t.ack.wrapping_sub(n) as i32;
                let covered = c.future[o].iter().any(|(s, _, b)| {
                    let off = n.wrapping_sub(*s) as i32;
                    off >= 0 && (off as usize) < b.len()
                });
                if ahead > 0 && !covered && !(c.fin[o] && ahead == 1) {
                    let first = c.future[o]
                        .iter()
                        .map(|(s, _, _)| s.wrapping_sub(n))
                        .min()
                        .unwrap_or(u32::MAX);
                    let len = (ahead as u32).min(first);
                    if !c.parser.violated() {
                        c.parser.gap(odir, len as u64);
                    }
                    c.next[o] = Some(n.wrapping_add(len));
                    drain(c, odir, &mut out);
                    recs.extend(out.drain(..).map(|r| (c.id, r)));
                }
            }
        }
        if t.flags & 0x01 != 0 {
            c.fin[d] = true;
        }
        if p.payload.is_empty() {
            continue;
        }
        c.next[d].get_or_insert(t.seq);
        c.future[d].push((t.seq, pkt.ts_ns, p.payload.to_vec()));
        drain(c, dir, &mut out);
        recs.extend(out.drain(..).map(|r| (c.id, r)));
    }
    for key in order {
        let c = conns.get_mut(&key).unwrap();
        if !c.parser.violated() {
            c.parser.end(last_ts, &mut out);
        }
        recs.extend(out.drain(..).map(|r| (c.id, r)));
    }
    Some(recs)
}

/// Delivers the segments of one direction that are in order; a hole that stays open past 64
/// segments is reported as a gap.
pub fn drain(c: &mut Conn, dir: Direction, out: &mut Vec<AppRecord>) {
    let d = (dir == Direction::Resp) as usize;
    loop {
        let Some(next) = c.next[d] else { return };
        let Some(k) = c.future[d].iter().position(|(s, _, b)| {
            let off = next.wrapping_sub(*s) as i32;
            off >= 0 && (off as usize) < b.len()
        }) else {
            c.future[d]
                .retain(|(s, _, b)| s.wrapping_add(b.len() as u32).wrapping_sub(next) as i32 > 0);
            if c.future[d].len() > 64 {
                let first = c.future[d]
                    .iter()
                    .map(|(s, _, _)| s.wrapping_sub(next))
                    .min()
                    .unwrap();
                if !c.parser.violated() {
                    c.parser.gap(dir, first as u64);
                }
                c.next[d] = Some(next.wrapping_add(first));
                continue;
            }
            return;
        };
        let (s, ts, b) = c.future[d].swap_remove(k);
        let off = next.wrapping_sub(s) as usize;
        c.next[d] = Some(s.wrapping_add(b.len() as u32));
        deliver(c, dir, ts, &b[off..], out);
    }
}

pub fn deliver(c: &mut Conn, dir: Direction, ts_ns: i64, payload: &[u8], out: &mut Vec<AppRecord>) {
    let d = (dir == Direction::Resp) as usize;
    let mut payload = payload;
    if !c.seen[d] {
        c.seen[d] = true;
        c.http_head[d] = match dir {
            Direction::Orig => {
                c.connect = payload.starts_with(b"CONNECT ");
                c.connect
            }
            Direction::Resp => c.connect && payload.starts_with(b"HTTP/"),
        };
    }
    if c.http_head[d] {
        match payload.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => {
                c.http_head[d] = false;
                payload = &payload[i + 4..];
            }
            None => return,
        }
    }
    if payload.is_empty() || c.parser.violated() {
        return;
    }
    c.parser.data(Ctx { ts_ns, dir }, payload, out);
    if c.parser.violated() {
        c.parser.end(ts_ns, out);
    }
}

/// A string as Zeek's TSV writer shows it: backslashes and non-printable bytes escaped,
/// "(empty)" for "", and in containers the separator escaped too.
pub fn tsv(s: &str, in_container: bool) -> String {
    if s.is_empty() {
        return "(empty)".into();
    }
    let mut o = String::new();
    for &b in s.as_bytes() {
        match b {
            b'\\' => o.push_str("\\\\"),
            b',' if in_container => o.push_str("\\x2c"),
            0x20..=0x7e => o.push(b as char),
            _ => o.push_str(&format!("\\x{b:02x}")),
        }
    }
    o
}

pub fn opt(v: &Option<String>) -> String {
    v.as_ref()
        .map(|s| tsv(s, false))
        .unwrap_or_else(|| "-".into())
}

#[allow(dead_code)]
pub fn num<T: ToString>(v: Option<T>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
}

#[allow(dead_code)]
pub fn boolean(v: Option<bool>) -> String {
    v.map(|b| if b { "T" } else { "F" }.to_string())
        .unwrap_or_else(|| "-".into())
}

/// A Zeek set: sorted, so that Zeek's hash order does not matter.
#[allow(dead_code)]
pub fn set(v: &[String]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let mut s: Vec<String> = v.iter().map(|x| tsv(x, true)).collect();
    s.sort();
    s.join(",")
}

#[allow(dead_code)]
pub fn vector(v: &[String]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter().map(|x| tsv(x, true)).collect::<Vec<_>>().join(",")
}

pub fn traces(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            traces(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Compares the records of every baseline listing `log` with Zeek's rows: rows and records
/// are paired per connection in order; `sets` names the fields compared as sets.
pub fn compare(
    log: &str,
    make: &dyn Fn(&str, ConnId) -> Box<dyn SessionParser>,
    fields: &dyn Fn(&AppRecord) -> Option<BTreeMap<&'static str, String>>,
    sets: &[&str],
) -> Option<Tally> {
    let index = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(idx) = std::fs::read_to_string(&index) else {
        println!("SKIP: corpus index {} missing", index.display());
        return None;
    };
    let mut t = Tally::default();
    for line in idx.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || !cols[2].split(',').any(|l| l == log) {
            continue;
        }
        let name = cols[0].trim_start_matches("Baseline/").to_string();
        let trace = Path::new(CORPUS).join(cols[1]);
        if !trace.exists() {
            println!("SKIP {}: trace missing", cols[1]);
            continue;
        }
        let Some(zlog) = read_zeek_log(&Path::new(CORPUS).join(cols[0]).join(log)) else {
            continue;
        };
        let Some(recs) = run_trace(&trace, &|id| make(&name, id)) else {
            println!("SKIP {name}: trace unreadable");
            continue;
        };
        let col = |n: &str| zlog.fields.iter().position(|f| f == n);
        let (Some(oh), Some(op), Some(rh), Some(rp)) = (
            col("id.orig_h"),
            col("id.orig_p"),
            col("id.resp_h"),
            col("id.resp_p"),
        ) else {
            println!("SKIP {name}: unexpected fields");
            continue;
        };
        let ours: Vec<(ConnId, BTreeMap<&'static str, String>)> = recs
            .iter()
            .filter_map(|(id, r)| Some((*id, fields(r)?)))
            .collect();
        let Some(sample) = ours.first().map(|o| o.1.clone()) else {
            for row in &zlog.rows {
                t.total += 1;
                t.unmatched += 1;
                t.diffs.push(format!(
                    "{name}: no record for {} {} {} {}",
                    row[oh], row[op], row[rh], row[rp]
                ));
            }
            continue;
        };
        let compared: Vec<(usize, &'static str)> = zlog
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| sample.keys().find(|k| **k == f.as_str()).map(|k| (i, *k)))
            .collect();
        let mut used = vec![false; ours.len()];
        for row in &zlog.rows {
            if row.len() != zlog.fields.len() {
                continue;
            }
            t.total += 1;
            let conn = format!("{} {} {} {}", row[oh], row[op], row[rh], row[rp]);
            let found = ours.iter().enumerate().position(|(i, (id, _))| {
                !used[i]
                    && id.0.to_string() == row[oh]
                    && id.1.to_string() == row[op]
                    && id.2.to_string() == row[rh]
                    && id.3.to_string() == row[rp]
            });
            let Some(i) = found else {
                t.unmatched += 1;
                t.diffs.push(format!("{name}: no record for {conn}"));
                for (_, f) in &compared {
                    t.per_field.entry(f.to_string()).or_default().1 += 1;
                }
                continue;
            };
            used[i] = true;
            let mut equal = true;
            for (c, f) in &compared {
                let ours_v = &ours[i].1[f];
                let zeek_v = if sets.contains(f) && row[*c] != "-" && row[*c] != "(empty)" {
                    let mut v: Vec<&str> = row[*c].split(',').collect();
                    v.sort();
                    v.join(",")
                } else {
                    row[*c].clone()
                };
                let e = t.per_field.entry(f.to_string()).or_default();
                e.1 += 1;
                if *ours_v == zeek_v {
                    e.0 += 1;
                } else {
                    equal = false;
                    t.diffs
                        .push(format!("{name} {conn}: {f}: zeek={zeek_v} ours={ours_v}"));
                }
            }
            if equal {
                t.all_equal += 1;
            }
        }
        for (i, u) in used.iter().enumerate() {
            if !u {
                t.diffs
                    .push(format!("{name}: extra record of ours: {:?}", ours[i].0));
            }
        }
    }
    Some(t)
}
