//! ssh.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index that has an ssh.log is replayed: TCP payloads of each
//! connection go, per direction and in capture order, to an `SshSession`, and the records are
//! matched with Zeek's rows by (id.orig_h, id.orig_p, id.resp_h, id.resp_p). For each field both
//! logs have (`direction` excepted: it depends on Zeek's site configuration), agreement is
//! counted; a Zeek record "agrees" when every compared field is equal.
//!
//! Set NETLOUPE_SSH_DUMP=1 to print the encrypted delivery sizes of each connection next to
//! Zeek's authentication verdict (the material the heuristic was designed from).

mod zeek_log;
use zeek_log::*;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::ssh::{SshRecord, SshSession};
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

// The shared corpus, `../shared/corpus` from the repository root.
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");
/// Share of Zeek's records found with all compared fields equal, as reached on the corpus of
/// this writing; the assertion keeps it from regressing.
const FLOOR: f64 = 1.0;

type ConnId = (IpAddr, u16, IpAddr, u16);
type Endpoint = (IpAddr, u16);

struct Run {
    recs: Vec<(ConnId, SshRecord)>,
    events: HashMap<ConnId, String>,
}

fn run_trace(path: &Path) -> Run {
    try_run(path).expect("read trace")
}

/// Runs an SSH session over every TCP connection of a trace; `None` when the trace cannot be
/// read to its end.
fn try_run(path: &Path) -> Option<Run> {
    let mut f = CaptureFile::open(path).ok()?;
    let mut dec = Decoder::new(DecodeConfig {
        verify_checksums: false,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    let mut conns: HashMap<(Endpoint, Endpoint), (ConnId, SshSession)> = HashMap::new();
    let mut order = Vec::new();
    // Segments already delivered (retransmissions are skipped).
    let mut seen: HashSet<(IpAddr, u16, u32, usize)> = HashSet::new();
    let mut out = Vec::new();
    let mut recs = Vec::new();
    let mut last_ts = 0;
    let mut complete = true;
    loop {
        let pkt = match f.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(_) => {
                complete = false;
                break;
            }
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
            // Originator: the SYN's sender; the other end for a SYN-ACK; else the sender
            // towards the lower port.
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
            (id, SshSession::new())
        });
        if p.payload.is_empty() || !seen.insert((p.ip.src, t.src_port, t.seq, p.payload.len())) {
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
            if let AppRecord::Ssh(r) = r {
                recs.push((*id, r));
            }
        }
    }
    let mut run = Run {
        recs,
        events: HashMap::new(),
    };
    for key in order {
        let (id, s) = conns.get_mut(&key).unwrap();
        let ev: Vec<String> = s
            .encrypted_events()
            .iter()
            .map(|e| format!("{}{}", if e.from_client { "c" } else { "s" }, e.len))
            .collect();
        run.events.insert(*id, ev.join(" "));
        s.end(last_ts, &mut out);
        for r in out.drain(..) {
            if let AppRecord::Ssh(r) = r {
                run.recs.push((*id, r));
            }
        }
    }
    complete.then_some(run)
}

fn traces(dir: &Path, out: &mut Vec<PathBuf>) {
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

/// Every TCP connection of every corpus trace through an SSH session (whatever it carries):
/// no panic, and the SSH ones give records.
#[test]
fn ssh_over_whole_corpus() {
    let mut all = Vec::new();
    traces(&Path::new(CORPUS).join("Traces"), &mut all);
    if all.is_empty() {
        println!("SKIP: corpus traces missing");
        return;
    }
    all.sort();
    let (mut n_traces, mut n_recs, mut v2) = (0, 0, 0);
    for t in &all {
        if let Some(r) = try_run(t) {
            n_traces += 1;
            n_recs += r.recs.len();
            v2 += r.recs.iter().filter(|(_, r)| r.version == Some(2)).count();
        }
    }
    println!("{n_traces} traces, {n_recs} ssh records ({v2} of version 2)");
    assert!(v2 > 20);
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "-".into())
}

/// Our record's value of an ssh.log field, as Zeek's TSV writes it.
fn field(r: &SshRecord, name: &str) -> Option<String> {
    Some(match name {
        "version" => opt(&r.version),
        "auth_success" => opt(&r.auth_success.map(|b| if b { "T" } else { "F" })),
        "auth_attempts" => r.auth_attempts.to_string(),
        "client" => opt(&r.client),
        "server" => opt(&r.server),
        "cipher_alg" => opt(&r.cipher_alg),
        "mac_alg" => opt(&r.mac_alg),
        "compression_alg" => opt(&r.compression_alg),
        "kex_alg" => opt(&r.kex_alg),
        "host_key_alg" => opt(&r.host_key_alg),
        "host_key_fingerprint" => opt(&r.host_key_fingerprint),
        "hassh" => opt(&r.hassh),
        "hasshServer" => opt(&r.hassh_server),
        _ => return None,
    })
}

#[test]
fn ssh_log_agrees_with_zeek() {
    let index = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(idx) = std::fs::read_to_string(&index) else {
        println!("SKIP: corpus index {} missing", index.display());
        return;
    };
    let dump = std::env::var_os("NETLOUPE_SSH_DUMP").is_some();
    let (mut total, mut all_equal, mut unmatched) = (0usize, 0usize, 0usize);
    let mut per_field: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for line in idx.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || !cols[2].split(',').any(|l| l == "ssh.log") {
            continue;
        }
        let name = cols[0].trim_start_matches("Baseline/");
        let trace: PathBuf = Path::new(CORPUS).join(cols[1]);
        if !trace.exists() {
            println!("SKIP {}: trace missing", cols[1]);
            continue;
        }
        let log =
            read_zeek_log(&Path::new(CORPUS).join(cols[0]).join("ssh.log")).expect("read log");
        let run = run_trace(&trace);
        let col = |n: &str| log.fields.iter().position(|f| f == n);
        let (Some(oh), Some(op), Some(rh), Some(rp)) = (
            col("id.orig_h"),
            col("id.orig_p"),
            col("id.resp_h"),
            col("id.resp_p"),
        ) else {
            println!("SKIP {name}: unexpected fields");
            continue;
        };
        let compared: Vec<(usize, &String)> = log
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| field(&SshRecord::default(), f).is_some())
            .collect();
        let mut used = vec![false; run.recs.len()];
        for row in &log.rows {
            if row.len() != log.fields.len() {
                continue;
            }
            total += 1;
            let found = run.recs.iter().enumerate().position(|(i, (id, _))| {
                !used[i]
                    && id.0.to_string() == row[oh]
                    && id.1.to_string() == row[op]
                    && id.2.to_string() == row[rh]
                    && id.3.to_string() == row[rp]
            });
            let conn = format!("{} {} {} {}", row[oh], row[op], row[rh], row[rp]);
            if dump {
                let key: Option<ConnId> = (|| {
                    Some((
                        row[oh].parse().ok()?,
                        row[op].parse().ok()?,
                        row[rh].parse().ok()?,
                        row[rp].parse().ok()?,
                    ))
                })();
                let ev = key
                    .and_then(|k| run.events.get(&k))
                    .cloned()
                    .unwrap_or_default();
                let zs = col("auth_success").map(|c| row[c].as_str()).unwrap_or("?");
                let za = col("auth_attempts").map(|c| row[c].as_str()).unwrap_or("?");
                let alg = |f: &str| col(f).map(|c| row[c].as_str()).unwrap_or("?");
                println!(
                    "DUMP {name} {conn} zeek={zs}/{za} {} {}: {ev}",
                    alg("cipher_alg"),
                    alg("mac_alg")
                );
            }
            let Some(i) = found else {
                unmatched += 1;
                diffs.push(format!("{name}: no record for {conn}"));
                for (_, f) in &compared {
                    per_field.entry(f.to_string()).or_default().1 += 1;
                }
                continue;
            };
            used[i] = true;
            let mut equal = true;
            for (c, f) in &compared {
                let mut ours = field(&run.recs[i].1, f).unwrap();
                // The baselines cut fingerprints to 32 base64 characters; ours are whole.
                if f.as_str() == "host_key_fingerprint"
                    && row[*c].len() == 39
                    && ours.starts_with(&row[*c])
                {
                    ours.truncate(39);
                }
                let e = per_field.entry(f.to_string()).or_default();
                e.1 += 1;
                if ours == row[*c] {
                    e.0 += 1;
                } else {
                    equal = false;
                    diffs.push(format!("{name} {conn}: {f}: zeek={} ours={ours}", row[*c]));
                }
            }
            if equal {
                all_equal += 1;
            }
        }
        for (i, u) in used.iter().enumerate() {
            if !u {
                diffs.push(format!("{name}: extra record of ours: {:?}", run.recs[i].0));
            }
        }
    }
    if total == 0 {
        println!("SKIP: no ssh.log baseline found");
        return;
    }
    println!("ssh.log vs Zeek: {total} Zeek records, {unmatched} without a counterpart");
    for (f, (eq, n)) in &per_field {
        println!("  {f:20} {eq}/{n}");
    }
    let share = all_equal as f64 / total as f64;
    println!(
        "records with all compared fields equal: {all_equal}/{total} ({:.1}%)",
        share * 100.0
    );
    println!("differences ({}):", diffs.len());
    for d in &diffs {
        println!("  {d}");
    }
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}
