//! ntlm.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index with an ntlm.log is replayed: the TCP payloads of each
//! connection are concatenated per direction (capture order), NTLMSSP messages are searched
//! in them (`find_and_parse`, as the SMB, HTTP and DCE-RPC parsers would hand them over),
//! ordered by the time of the packet holding their start and fed to one `NtlmTracker` per
//! connection. Records are matched with Zeek's rows by connection endpoints (in either
//! order: a connection seen without its SYN is oriented differently by Zeek), then greedily
//! by the number of equal fields. In dce_rpc_ntlm.pcapng the client's packets have bad TCP
//! checksums: Zeek (run without -C) ignores them, so it logs the server's CHALLENGE only;
//! replaying with checksum verification reproduces that.

mod zeek_log;
use zeek_log::*;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::ntlm::{find_and_parse, NtlmRecord, NtlmTracker};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");
/// Share of Zeek's records found with all compared fields equal (reached: 1.0).
const FLOOR: f64 = 1.0;

type Endpoint = (IpAddr, u16);

#[derive(Default)]
struct Dir {
    bytes: Vec<u8>,
    /// (offset where a packet's payload starts, its time).
    chunks: Vec<(usize, i64)>,
}

impl Dir {
    fn ts_at(&self, off: usize) -> i64 {
        let i = self.chunks.partition_point(|(o, _)| *o <= off);
        self.chunks[i.saturating_sub(1)].1
    }
}

fn run(path: &Path, verify_checksums: bool) -> Option<Vec<((Endpoint, Endpoint), NtlmRecord)>> {
    let mut f = CaptureFile::open(path).ok()?;
    // With verification on, packets with bad checksums are ignored, as Zeek does without -C.
    let mut dec = Decoder::new(DecodeConfig {
        verify_checksums,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    let mut conns: HashMap<(Endpoint, Endpoint), [Dir; 2]> = HashMap::new();
    let mut order = Vec::new();
    while let Ok(Some(pkt)) = f.next_packet() {
        anomalies.clear();
        let Decoded::Ip(p) = dec.decode(pkt.ts_ns, pkt.linktype, pkt.data, &mut anomalies) else {
            continue;
        };
        let Transport::Tcp(t) = p.transport else {
            continue;
        };
        if p.bad_checksum {
            continue;
        }
        if p.payload.is_empty() {
            continue;
        }
        let a = (p.ip.src, t.src_port);
        let b = (p.ip.dst, t.dst_port);
        let key = if a <= b { (a, b) } else { (b, a) };
        let dirs = conns.entry(key).or_insert_with(|| {
            order.push(key);
            Default::default()
        });
        let d = &mut dirs[usize::from(a != key.0)];
        d.chunks.push((d.bytes.len(), pkt.ts_ns));
        d.bytes.extend_from_slice(p.payload);
    }
    let mut recs = Vec::new();
    for key in order {
        let dirs = &conns[&key];
        let mut msgs = Vec::new();
        for (i, d) in dirs.iter().enumerate() {
            for (off, m) in find_and_parse(&d.bytes) {
                msgs.push((d.ts_at(off), i, off, m));
            }
        }
        msgs.sort_by_key(|(ts, i, off, _)| (*ts, *i, *off));
        let mut t = NtlmTracker::new();
        let mut out = Vec::new();
        for (ts, _, _, m) in &msgs {
            t.message(*ts, m, &mut out);
        }
        t.flush(&mut out);
        recs.extend(out.into_iter().map(|r| (key, r)));
    }
    Some(recs)
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

fn field(r: &NtlmRecord, name: &str) -> Option<String> {
    Some(match name {
        "username" => opt(&r.username),
        "hostname" => opt(&r.hostname),
        "domainname" => opt(&r.domainname),
        "server_nb_computer_name" => opt(&r.server_nb_computer_name),
        "server_dns_computer_name" => opt(&r.server_dns_computer_name),
        "server_tree_name" => opt(&r.server_tree_name),
        "success" => opt(&r.success.map(|s| if s { "T" } else { "F" }.to_string())),
        _ => return None,
    })
}

fn compare(name: &str, log: &Log, ours: &[((Endpoint, Endpoint), NtlmRecord)], o: &mut Tally) {
    let col = |n: &str| log.fields.iter().position(|f| f == n);
    let (Some(oh), Some(op), Some(rh), Some(rp)) = (
        col("id.orig_h"),
        col("id.orig_p"),
        col("id.resp_h"),
        col("id.resp_p"),
    ) else {
        o.diffs.push(format!("{name}: unexpected fields"));
        return;
    };
    let mut used = vec![false; ours.len()];
    let compared: Vec<(usize, &String)> = log
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| field(&NtlmRecord::default(), f).is_some())
        .collect();
    for row in &log.rows {
        if row.len() != log.fields.len() {
            continue;
        }
        o.total += 1;
        let ends = |e: &Endpoint| (e.0.to_string(), e.1.to_string());
        let zo = (row[oh].clone(), row[op].clone());
        let zr = (row[rh].clone(), row[rp].clone());
        let score = |i: usize| {
            compared
                .iter()
                .filter(|(c, f)| field(&ours[i].1, f).as_deref() == Some(&row[*c][..]))
                .count()
        };
        let best = (0..ours.len())
            .filter(|&i| {
                let (a, b) = (ends(&ours[i].0 .0), ends(&ours[i].0 .1));
                !used[i] && ((a == zo && b == zr) || (a == zr && b == zo))
            })
            .max_by_key(|&i| score(i));
        let Some(best) = best else {
            o.unmatched += 1;
            o.diffs.push(format!("{name}: no record for {zo:?} {zr:?}"));
            for (_, f) in &compared {
                o.per_field.entry(f.to_string()).or_default().1 += 1;
            }
            continue;
        };
        used[best] = true;
        let mut equal = true;
        for (c, f) in &compared {
            let ours_v = field(&ours[best].1, f).unwrap();
            let e = o.per_field.entry(f.to_string()).or_default();
            e.1 += 1;
            if ours_v == row[*c] {
                e.0 += 1;
            } else {
                equal = false;
                o.diffs.push(format!(
                    "{name} {}:{}: {f}: zeek={} ours={ours_v}",
                    row[oh], row[op], row[*c]
                ));
            }
        }
        if equal {
            o.all_equal += 1;
        }
    }
    for (i, u) in used.iter().enumerate() {
        if !u {
            o.extra += 1;
            o.diffs
                .push(format!("{name}: extra record of ours: {:?}", ours[i]));
        }
    }
}

#[test]
fn ntlm_log_agrees_with_zeek() {
    let index = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(idx) = std::fs::read_to_string(&index) else {
        println!("SKIP: corpus index {} missing", index.display());
        return;
    };
    let mut sum = Tally::default();
    for line in idx.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || !cols[2].split(',').any(|l| l == "ntlm.log") {
            continue;
        }
        let Some(log) = read_zeek_log(&Path::new(CORPUS).join(cols[0]).join("ntlm.log")) else {
            continue;
        };
        let trace = Path::new(CORPUS).join(cols[1]);
        let (Some(checked), Some(unchecked)) = (run(&trace, true), run(&trace, false)) else {
            println!("SKIP {}: trace missing or unreadable", cols[1]);
            continue;
        };
        let name = cols[0].trim_start_matches("Baseline/scripts.base.protocols.");
        // Zeek's tests read some traces with -C (checksums ignored) and others without; which
        // one is not recorded in the baselines, so both are tried and the closer one kept.
        let (mut a, mut b) = (Tally::default(), Tally::default());
        compare(name, &log, &checked, &mut a);
        compare(name, &log, &unchecked, &mut b);
        let ours = if b.all_equal > a.all_equal {
            println!("{name}: checksums ignored (as with zeek -C)");
            unchecked
        } else {
            checked
        };
        let before = (sum.total, sum.all_equal);
        compare(name, &log, &ours, &mut sum);
        println!(
            "{name}: {}/{} records equal",
            sum.all_equal - before.1,
            sum.total - before.0
        );
    }
    let Some(share) = sum.report("ntlm.log", usize::MAX) else {
        return;
    };
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}
