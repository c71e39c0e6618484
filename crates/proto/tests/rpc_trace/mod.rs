//! Shared trace replay for the SMB and DCE-RPC Zeek comparisons: TCP payloads per connection to
//! an `SmbSession` or `DceRpcSession`, Zeek's TSV logs, pairing and reporting.
#![allow(dead_code)]

#[path = "../zeek_log/mod.rs"]
mod zeek_log;
pub use zeek_log::Tally;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::dcerpc::DceRpcSession;
use netloupe_proto::smb::SmbSession;
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

// The shared corpus, `../shared/corpus` from the repository root.
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");

pub type ConnId = (IpAddr, u16, IpAddr, u16);
pub type Endpoint = (IpAddr, u16);

/// The parser for a TCP connection: SMB on 445/139, DCE/RPC elsewhere (when `rpc_elsewhere`).
pub fn parser_for(resp_port: u16, rpc_elsewhere: bool) -> Option<Box<dyn SessionParser>> {
    match resp_port {
        445 | 139 => Some(Box::new(SmbSession::new())),
        _ if rpc_elsewhere => Some(Box::new(DceRpcSession::new())),
        _ => None,
    }
}

/// Replays every TCP connection of a trace (payloads per direction in capture order, exact
/// retransmissions dropped); `None` when the trace cannot be read.
pub fn run_trace(path: &Path, rpc_elsewhere: bool) -> Option<Vec<(ConnId, AppRecord)>> {
    let mut f = CaptureFile::open(path).ok()?;
    let mut dec = Decoder::new(DecodeConfig {
        verify_checksums: false,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    type Slot = (ConnId, Option<Box<dyn SessionParser>>);
    let mut conns: HashMap<(Endpoint, Endpoint), Slot> = HashMap::new();
    let mut order = Vec::new();
    let mut seen: HashSet<(IpAddr, u16, u32, usize)> = HashSet::new();
    let mut out = Vec::new();
    let mut recs = Vec::new();
    let mut last_ts = 0;
    loop {
        let pkt = match f.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(_) => break,
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
        let syn_ack = t.flags & 0x12 == 0x12;
        let (id, s) = conns.entry(key).or_insert_with(|| {
            order.push(key);
            let orig_is_a = if t.flags & 0x02 != 0 {
                !syn_ack
            } else {
                t.dst_port < t.src_port
            };
            let id = if orig_is_a {
                (a.0, a.1, b.0, b.1)
            } else {
                (b.0, b.1, a.0, a.1)
            };
            (id, parser_for(id.3, rpc_elsewhere))
        });
        let Some(s) = s.as_mut() else {
            continue;
        };
        if p.payload.is_empty() || !seen.insert((p.ip.src, t.src_port, t.seq, p.payload.len())) {
            continue;
        }
        if s.violated() {
            continue;
        }
        let dir = if (p.ip.src, t.src_port) == (id.0, id.1) {
            Direction::Orig
        } else {
            Direction::Resp
        };
        s.data(
            Ctx {
                ts_ns: pkt.ts_ns,
                dir,
            },
            p.payload,
            &mut out,
        );
        for r in out.drain(..) {
            recs.push((*id, r));
        }
    }
    for key in order {
        let (id, s) = conns.get_mut(&key).unwrap();
        if let Some(s) = s.as_mut() {
            s.end(last_ts, &mut out);
        }
        for r in out.drain(..) {
            recs.push((*id, r));
        }
    }
    Some(recs)
}

pub struct Log {
    pub fields: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub fn read_zeek_log(path: &Path) -> Option<Log> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(String::from).collect();
        } else if line.starts_with('#') || line.is_empty() || fields.is_empty() {
            continue;
        } else {
            rows.push(line.split('\t').map(unescape).collect());
        }
    }
    Some(Log { fields, rows })
}

/// Zeek's TSV escaping undone (`\\` and `\xNN`).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'\\' {
                out.push(b'\\');
                i += 2;
                continue;
            }
            if b[i + 1] == b'x' && i + 3 < b.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn secs(ns: i64) -> String {
    format!("{:.6}", ns as f64 / 1e9)
}

pub fn opt(v: &Option<String>) -> String {
    match v {
        None => "-".into(),
        Some(s) if s.is_empty() => "(empty)".into(),
        Some(s) => s.clone(),
    }
}

/// Agreement of our records with one Zeek log over the baselines listing it. `field` gives our
/// value of a Zeek field (None: not compared, or not our record type); `key` names the field
/// used to pair records within a connection (several joined by `|`).
pub fn compare(
    log_name: &str,
    key: &str,
    rpc_elsewhere: bool,
    field: &dyn Fn(&AppRecord, &str) -> Option<String>,
) -> Option<Tally> {
    let index = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(idx) = std::fs::read_to_string(&index) else {
        println!("SKIP: corpus index {} missing", index.display());
        return None;
    };
    let mut t = Tally::default();
    let mut done = HashSet::new();
    for line in idx.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || !cols[2].split(',').any(|l| l == log_name) {
            continue;
        }
        if !done.insert((cols[0], cols[1])) {
            continue;
        }
        let name = cols[0].trim_start_matches("Baseline/");
        let trace: PathBuf = Path::new(CORPUS).join(cols[1]);
        if !trace.exists() {
            println!("SKIP {}: trace missing", cols[1]);
            continue;
        }
        let Some(log) = read_zeek_log(&Path::new(CORPUS).join(cols[0]).join(log_name)) else {
            continue;
        };
        let Some(recs) = run_trace(&trace, rpc_elsewhere) else {
            println!("SKIP {}: unreadable", cols[1]);
            continue;
        };
        let keys: Vec<&str> = key.split('|').collect();
        let our_key = |r: &AppRecord| -> Option<String> {
            let v: Option<Vec<String>> = keys.iter().map(|k| field(r, k)).collect();
            v.map(|v| v.join("|"))
        };
        let recs: Vec<&(ConnId, AppRecord)> =
            recs.iter().filter(|(_, r)| our_key(r).is_some()).collect();
        let col = |n: &str| log.fields.iter().position(|f| f == n);
        let kcs: Option<Vec<usize>> = keys.iter().map(|k| col(k)).collect();
        let (Some(oh), Some(op), Some(rh), Some(rp), Some(kcs)) = (
            col("id.orig_h"),
            col("id.orig_p"),
            col("id.resp_h"),
            col("id.resp_p"),
            kcs,
        ) else {
            println!("SKIP {name}: unexpected fields");
            continue;
        };
        let compared: Vec<(usize, &String)> = log
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| recs.first().is_none_or(|(_, r)| field(r, f).is_some()))
            .filter(|(_, f)| !matches!(f.as_str(), "ts" | "uid" | "fuid") && !f.starts_with("id."))
            .collect();
        let mut used = vec![false; recs.len()];
        for row in &log.rows {
            if row.len() != log.fields.len() {
                continue;
            }
            t.total += 1;
            let row_key: Vec<&str> = kcs.iter().map(|&c| row[c].as_str()).collect();
            let row_key = row_key.join("|");
            let same_conn = |id: &ConnId| {
                id.0.to_string() == row[oh]
                    && id.1.to_string() == row[op]
                    && id.2.to_string() == row[rh]
                    && id.3.to_string() == row[rp]
            };
            let found = (0..recs.len())
                .find(|&i| {
                    !used[i]
                        && same_conn(&recs[i].0)
                        && our_key(&recs[i].1).as_deref() == Some(&row_key)
                })
                .or_else(|| {
                    // Only when no record of ours has this key: a Zeek row repeated (Zeek logs
                    // again once a file gets its fuid) stays unmatched rather than taking
                    // another record.
                    let any = (0..recs.len()).any(|i| {
                        same_conn(&recs[i].0) && our_key(&recs[i].1).as_deref() == Some(&row_key)
                    });
                    (0..recs.len()).find(|&i| !any && !used[i] && same_conn(&recs[i].0))
                });
            let conn = format!("{} {} {} {}", row[oh], row[op], row[rh], row[rp]);
            let Some(i) = found else {
                t.unmatched += 1;
                t.diffs
                    .push(format!("{name}: no record for {conn} {row_key}"));
                for (_, f) in &compared {
                    t.per_field.entry(f.to_string()).or_default().1 += 1;
                }
                continue;
            };
            used[i] = true;
            let mut equal = true;
            for (c, f) in &compared {
                let ours = field(&recs[i].1, f).unwrap_or_default();
                let e = t.per_field.entry(f.to_string()).or_default();
                e.1 += 1;
                if ours == row[*c] {
                    e.0 += 1;
                } else {
                    equal = false;
                    t.diffs
                        .push(format!("{name} {conn}: {f}: zeek={} ours={ours}", row[*c]));
                }
            }
            if equal {
                t.all_equal += 1;
            }
        }
        for (i, u) in used.iter().enumerate() {
            if !u {
                t.diffs.push(format!(
                    "{name}: extra record of ours: {:?} {:?}",
                    recs[i].0,
                    our_key(&recs[i].1)
                ));
            }
        }
    }
    Some(t)
}
