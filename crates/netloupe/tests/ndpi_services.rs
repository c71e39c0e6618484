//! End-to-end protocol identification compared with nDPI's expected results.
//!
//! For every capture of the shared nDPI corpus (`ndpi/pcap/X` with `ndpi/result/X.out`) the
//! binary runs `netloupe analyze -C` (nDPI does not verify checksums, and many of its captures
//! were taken with checksum offload), and each flow of nDPI's result file is matched, by protocol
//! and 5-tuple in either orientation, with the records of our conn.log. For the flows nDPI
//! identified by content ("Confidence: DPI...") with a protocol we support, our `service` agrees
//! when it contains the Zeek name of the mapped protocol. Everything goes through the whole
//! pipeline: capture, decode, flow table, TCP reassembly, content detection and the parsers'
//! confirmation. Unlike the detector-level test, nDPI flows missing from our conn.log count as
//! disagreements, and a flow split over several conn records (same 5-tuple) agrees when any of
//! them lists the service.
//!
//! The nDPI result parsing and the nDPI-name mapping are the ones of the detector-level test
//! (`crates/proto/tests/detect_corpus.rs`), copied here (this crate does not depend on
//! netloupe-proto).
//!
//! Also compared, on the flows whose service agrees: conn.log's `off_port_services` with nDPI's
//! "Known Proto on Non Std Port" risk (a protocol off its registered port).
//!
//! Printed: agreement and whether the 97% target is met, the per-service table, the confusion
//! list (nDPI label -> our service), the nDPI flows missing from our conn.log with a probable
//! reason, the flows split over several conn records, false positives (a supported service
//! claimed on a flow nDPI labels with another supported protocol) and our claims on flows nDPI
//! labels with unsupported protocols or leaves Unknown. `NDPI_SERVICES_DUMP=1` prints every
//! disagreement and every split flow with our conn records' fields; `NDPI_SERVICES_CHECKSUMS=1`
//! runs netloupe with checksum verification (its default) instead of `-C`, for information only
//! (the floors are not asserted then: offloaded checksums hide most of the corpus). Run with
//! `cargo test -p netloupe --test ndpi_services -- --nocapture`.

#[path = "../../proto/tests/ndpi_labels/mod.rs"]
mod ndpi_labels;
use ndpi_labels::*;
use netloupe_proto::Service;

mod common;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The target.
const TARGET: f64 = 0.97;
/// Agreement reached end to end at the time of writing (2648/2786 = 95.05%, with `-C`); the
/// assertion keeps it from regressing. Most of the gap to the target is TLS seen mid-stream
/// (application data only): the detector recognises the records but the TLS parser confirms only
/// on a ClientHello or ServerHello, so conn.log lists no service (as Zeek would not).
/// 2747/2806 = 97.90% since DTLS is identified (20 more flows in the comparison, 19 agreeing;
/// it was 2728/2786 = 97.92% without them).
const FLOOR: f64 = 0.9789;
/// False positives reached at the time of writing (two fuzzed NetBIOS name-service datagrams
/// read as DNS).
const MAX_FALSE_POSITIVES: usize = 2;
/// Agreement of conn.log's `off_port_services` with nDPI's "Known Proto on Non Std Port" risk
/// at the time of writing (1894/2728 = 69.43%), on flows whose service agrees. The tools' port
/// tables differ: 801 of the 834 disagreements are HTTP on 8080, customary for HTTP in Zeek's
/// and IANA's lists (http-alt) and not in nDPI's; most others are ports one table has and the
/// other lacks (TLS on 5223/8443/853, DCE-RPC on dynamic ports) or connections seen mid-stream,
/// which netloupe does not judge.
const PORT_FLOOR: f64 = 0.694;
/// Parallel runs of the binary.
const WORKERS: usize = 2;

/// The fields of one conn.log record that matter here.
#[derive(Debug, Clone)]
struct Conn {
    orig: Endpoint,
    services: Vec<String>,
    history: String,
    missed_bytes: u64,
    /// Absent for connections without a duration (a single packet), as in Zeek.
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    /// conn.log `off_port_services` is set: a service on a port registered to none of them.
    off_port: bool,
    resp_port: u16,
}

/// One capture analysed by the binary.
struct Run {
    name: String,
    expected: Vec<Expected>,
    /// Exit status of the binary (None: it could not be started or was killed).
    status: Option<i32>,
    conns: HashMap<Key, Vec<Conn>>,
    /// Hosts seen in conn.log (to tell "flow missing" from "hosts never seen").
    hosts: BTreeSet<IpAddr>,
    /// Ports of the UDP records (to recognise tunnels we do not decode).
    udp_ports: BTreeSet<u16>,
    /// Decoder anomalies of stats.json (name -> count).
    anomalies: BTreeMap<String, u64>,
}

fn endpoint(v: &Value, h: &str, p: &str) -> Option<Endpoint> {
    Some((
        v.get(h)?.as_str()?.parse().ok()?,
        u16::try_from(v.get(p)?.as_u64()?).ok()?,
    ))
}

fn parse_conn(v: &Value) -> Option<(Key, Conn)> {
    let tcp = match v.get("proto")?.as_str()? {
        "tcp" => true,
        "udp" => false,
        _ => return None,
    };
    let orig = endpoint(v, "id.orig_h", "id.orig_p")?;
    let resp = endpoint(v, "id.resp_h", "id.resp_p")?;
    // `service` is a comma-separated string in Zeek's JSON; accept an array as well.
    let services = match v.get("service") {
        Some(Value::String(s)) => s
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let s = |f: &str| v.get(f).and_then(Value::as_str).unwrap_or("").to_string();
    let n = |f: &str| v.get(f).and_then(Value::as_u64);
    Some((
        key(tcp, orig, resp),
        Conn {
            orig,
            services,
            history: s("history"),
            missed_bytes: n("missed_bytes").unwrap_or(0),
            orig_bytes: n("orig_bytes"),
            resp_bytes: n("resp_bytes"),
            off_port: v.get("off_port_services").is_some(),
            resp_port: resp.1,
        },
    ))
}

fn analyse(
    pcap: &Path,
    out: &Path,
    verify_checksums: bool,
    name: String,
    expected: Vec<Expected>,
) -> Run {
    let mut cmd = common::netloupe();
    cmd.args(["analyze", "-q", "--no-progress"]);
    if !verify_checksums {
        cmd.arg("-C");
    }
    let status = cmd
        .arg("-o")
        .arg(out)
        .arg(pcap)
        .status()
        .ok()
        .and_then(|s| s.code());
    let mut conns: HashMap<Key, Vec<Conn>> = HashMap::new();
    let mut hosts = BTreeSet::new();
    let mut udp_ports = BTreeSet::new();
    for v in common::read_jsonl(&out.join("conn.log")) {
        for h in ["id.orig_h", "id.resp_h"] {
            if let Some(ip) = v
                .get(h)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
            {
                hosts.insert(ip);
            }
        }
        if let Some((k, c)) = parse_conn(&v) {
            if !k.0 {
                udp_ports.extend([k.1 .1, k.2 .1]);
            }
            conns.entry(k).or_default().push(c);
        }
    }
    let mut anomalies = BTreeMap::new();
    if out.join("stats.json").is_file() {
        let stats = common::read_json(&out.join("stats.json"));
        if let Some(m) = stats.get("anomalies").and_then(Value::as_object) {
            for (k, v) in m {
                anomalies.insert(k.clone(), v.as_u64().unwrap_or(0));
            }
        }
    }
    let _ = std::fs::remove_dir_all(out);
    Run {
        name,
        expected,
        status,
        conns,
        hosts,
        udp_ports,
        anomalies,
    }
}

/// Why an nDPI flow has no conn record, as far as the outputs tell.
fn why_missing(run: &Run, e: &Expected) -> String {
    let (_, a, b) = e.key;
    if run.status.is_none_or(|s| s != 0 && s != 3) {
        return format!("netloupe exited with {:?}", run.status);
    }
    if !run.hosts.contains(&a.0) && !run.hosts.contains(&b.0) {
        // Neither host appears anywhere: the packets never reached the flow table as IP.
        const TUNNELS: &[(u16, &str)] = &[
            (2152, "GTP-U"),
            (5246, "CAPWAP"),
            (5247, "CAPWAP"),
            (3544, "Teredo"),
            (5072, "AYIYA"),
        ];
        if let Some((_, t)) = TUNNELS.iter().find(|(p, _)| run.udp_ports.contains(p)) {
            return format!("inside a {t} tunnel (not decoded)");
        }
        if run.anomalies.is_empty() {
            return "hosts never seen".into();
        }
        let names: Vec<&str> = run.anomalies.keys().map(String::as_str).collect();
        return format!("hosts never seen; decoder anomalies: {}", names.join(","));
    }
    let other = if e.tcp { "udp" } else { "tcp" };
    if run.conns.contains_key(&(!e.tcp, a, b)) {
        return format!("found as {other} only");
    }
    "hosts seen, this 5-tuple not".into()
}

/// Hints at why a flow we found disagrees (from our conn records; the detector's and the
/// parsers' decisions are not in the logs).
fn why_disagree(e: &Expected, conns: &[Conn]) -> &'static str {
    if conns.len() > 1 {
        return "connection split into several records";
    }
    let c = &conns[0];
    if !c.services.is_empty() {
        return "another service claimed";
    }
    if e.tcp {
        if !c.history.contains(['S', 's', 'H', 'h']) {
            return "mid-stream TCP (no SYN or SYN-ACK seen)";
        }
        if c.history.contains('H') && !c.history.contains('S') {
            return "roles reversed (the originator sent the SYN-ACK)";
        }
    }
    if c.missed_bytes > 0 {
        return "content gap (missed_bytes > 0)";
    }
    if !e.tcp {
        let resp_p = if c.orig == e.key.1 {
            e.key.2 .1
        } else {
            e.key.1 .1
        };
        if c.orig.1 < 1024 && resp_p >= 1024 {
            return "originator on the well-known port (first datagram a response?)";
        }
    }
    if c.orig_bytes.is_none() && c.resp_bytes.is_none() {
        return "single-packet connection";
    }
    "no service (undecided, or the parser did not confirm)"
}

/// A capture to analyse: pcap, file name, nDPI's flows.
type Job = (PathBuf, String, Vec<Expected>);

type Tally = BTreeMap<(String, String), (usize, String)>;

fn bump(t: &mut Tally, k: (String, String), capture: &str) {
    t.entry(k).or_insert((0, capture.to_string())).0 += 1;
}

#[test]
fn conn_service_agrees_with_ndpi() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let corpus = corpus.join("ndpi");
    let pcap_dir = corpus.join("pcap");
    let result_dir = corpus.join("result");
    let Ok(dir) = std::fs::read_dir(&pcap_dir) else {
        println!("skipping: {} not found", pcap_dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = dir.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let mut jobs: Vec<Job> = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Ok(text) = std::fs::read_to_string(result_dir.join(format!("{name}.out"))) else {
            continue;
        };
        let expected = parse_results(&text);
        if !expected.is_empty() {
            jobs.push((path, name, expected));
        }
    }
    if jobs.is_empty() {
        println!(
            "skipping: no capture with expected results under {}",
            corpus.display()
        );
        return;
    }

    // nDPI does not verify checksums; NDPI_SERVICES_CHECKSUMS=1 runs netloupe with its default
    // verification instead (packets with bad checksums ignored).
    let verify_checksums = std::env::var_os("NDPI_SERVICES_CHECKSUMS").is_some();
    // Run the binary over the captures, WORKERS at a time.
    let out_root = common::tmp_dir("ndpi-services");
    let n_jobs = jobs.len();
    let queue: Mutex<Vec<(usize, Job)>> = Mutex::new(jobs.into_iter().enumerate().rev().collect());
    let done = AtomicUsize::new(0);
    let mut runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let Some((i, (pcap, name, expected))) = queue.lock().unwrap().pop() else {
                            break;
                        };
                        let out = out_root.join(i.to_string());
                        mine.push(analyse(&pcap, &out, verify_checksums, name, expected));
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let _ = std::fs::remove_dir_all(&out_root);
    assert_eq!(done.load(Ordering::Relaxed), n_jobs);
    runs.sort_by(|a, b| a.name.cmp(&b.name));

    let dump = std::env::var_os("NDPI_SERVICES_DUMP").is_some();
    let mut supported = 0usize;
    let mut agree = 0usize;
    // On flows whose service agrees: (nDPI's "Known Proto on Non Std Port" risk, our
    // off_port_services) -> count, and the disagreeing (label, port) pairs.
    let mut port_flags: BTreeMap<(bool, bool), usize> = BTreeMap::new();
    let mut port_disagree: BTreeMap<(bool, String), (usize, String)> = BTreeMap::new();
    let mut by_port_skipped = 0usize;
    let mut per_service: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut confusion = Tally::new();
    let mut causes = Tally::new();
    let mut false_pos = Tally::new();
    let mut missing = Tally::new();
    let mut missing_n = 0usize;
    let mut split_n = 0usize;
    let mut split_disagree = 0usize;
    // Split flows that agree although their first record alone would not.
    let mut split_rescued = 0usize;
    let mut unsupported_claims: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut unknown_claims: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed_runs: Vec<String> = Vec::new();
    for run in &runs {
        if run.status.is_none_or(|s| s != 0 && s != 3) {
            failed_runs.push(format!("{} (exit {:?})", run.name, run.status));
        }
        for e in &run.expected {
            let proto = if e.tcp { "TCP" } else { "UDP" };
            let relevant = e.by_content && !e.accept.is_empty();
            let Some(conns) = run.conns.get(&e.key) else {
                if relevant {
                    supported += 1;
                    missing_n += 1;
                    per_service.entry(svc_row(&e.accept)).or_default().0 += 1;
                    bump(
                        &mut confusion,
                        (format!("{proto} {}", e.label), "(no conn record)".into()),
                        &run.name,
                    );
                    bump(
                        &mut missing,
                        (format!("{proto} {}", e.label), why_missing(run, e)),
                        &run.name,
                    );
                    if dump {
                        println!("[missing] {} {} {:?}", run.name, e.label, e.key);
                    }
                }
                continue;
            };
            // Several records for one nDPI flow: the union of their services.
            let mut ours: Vec<&str> = Vec::new();
            for c in conns {
                for s in &c.services {
                    if !ours.contains(&s.as_str()) {
                        ours.push(s);
                    }
                }
            }
            let ours_name = if ours.is_empty() {
                "-".to_string()
            } else {
                ours.join(",")
            };
            if e.label == "Unknown" {
                if !ours.is_empty() {
                    *unknown_claims
                        .entry(format!("{proto} {ours_name}"))
                        .or_default() += 1;
                }
                continue;
            }
            if !e.by_content {
                if !e.accept.is_empty() {
                    by_port_skipped += 1;
                }
                continue;
            }
            if e.accept.is_empty() {
                if !ours.is_empty() {
                    *unsupported_claims
                        .entry((format!("{proto} {}", e.label), ours_name))
                        .or_default() += 1;
                }
                continue;
            }
            supported += 1;
            if conns.len() > 1 {
                split_n += 1;
                if dump {
                    println!(
                        "[split] {} {} {:?} ours={ours_name} records={conns:?}",
                        run.name, e.label, e.key
                    );
                }
            }
            let ps = per_service.entry(svc_row(&e.accept)).or_default();
            ps.0 += 1;
            if e.accept
                .iter()
                .any(|s| ours.iter().any(|o| s.is_zeek_name(o)))
            {
                agree += 1;
                ps.1 += 1;
                let ours_off = conns.iter().any(|c| c.off_port);
                *port_flags.entry((e.non_std_port, ours_off)).or_default() += 1;
                if e.non_std_port != ours_off {
                    let what = format!("{proto} {} port {}", e.label, conns[0].resp_port);
                    let d = port_disagree
                        .entry((e.non_std_port, what))
                        .or_insert((0, run.name.clone()));
                    d.0 += 1;
                }
                if conns.len() > 1
                    && !e
                        .accept
                        .iter()
                        .any(|s| conns[0].services.iter().any(|o| s.is_zeek_name(o)))
                {
                    split_rescued += 1;
                }
                continue;
            }
            if conns.len() > 1 {
                split_disagree += 1;
            }
            let label = format!("{proto} {}", e.label);
            bump(
                &mut confusion,
                (label.clone(), ours_name.clone()),
                &run.name,
            );
            bump(
                &mut causes,
                (label.clone(), why_disagree(e, conns).to_string()),
                &run.name,
            );
            if !ours.is_empty() {
                bump(&mut false_pos, (label, ours_name.clone()), &run.name);
            }
            if dump {
                println!(
                    "[mismatch] {} {} {:?} ours={ours_name} records={:?}",
                    run.name, e.label, e.key, conns
                );
            }
        }
    }

    let share = agree as f64 / supported.max(1) as f64;
    println!(
        "captures: {} (netloupe run with {})",
        runs.len(),
        if verify_checksums {
            "checksum verification"
        } else {
            "-C, as nDPI ignores checksums"
        }
    );
    if !failed_runs.is_empty() {
        println!("netloupe failed on: {}", failed_runs.join(", "));
    }
    println!(
        "flows nDPI identified by content with a protocol we support: {supported}; \
         conn.log service agrees on {agree}/{supported} = {:.2}%",
        share * 100.0
    );
    println!(
        "target {:.0}%: {}",
        TARGET * 100.0,
        if share >= TARGET { "MET" } else { "NOT MET" }
    );
    let found = supported - missing_n;
    println!(
        "  over the {found} flows found in conn.log: {agree}/{found} = {:.2}%",
        agree as f64 * 100.0 / found.max(1) as f64
    );
    println!(
        "  (not in our conn.log: {missing_n}; split over several conn records: {split_n}, \
         {split_disagree} of them disagreeing, {split_rescued} agreeing only through a later \
         record; nDPI port/IP guesses left out: {by_port_skipped})"
    );
    println!("per service (label -> agreed/total):");
    for (s, (n, a)) in &per_service {
        println!("  {s:<12} {a}/{n} ({:.1}%)", *a as f64 * 100.0 / *n as f64);
    }
    println!("confusion (nDPI label -> our service: count, first capture):");
    for ((l, o), (n, f)) in &confusion {
        println!("  {l} -> {o}: {n} ({f})");
    }
    println!("probable causes of the disagreements on flows we have (label, hint: count):");
    for ((l, c), (n, f)) in &causes {
        println!("  {l}, {c}: {n} ({f})");
    }
    println!("nDPI flows not in our conn.log (label, probable reason: count, first capture):");
    for ((l, r), (n, f)) in &missing {
        println!("  {l}, {r}: {n} ({f})");
    }
    let fp: usize = false_pos.values().map(|v| v.0).sum();
    println!("false positives (another supported service claimed): {fp}");
    for ((l, o), (n, f)) in &false_pos {
        println!("  {l} -> {o}: {n} ({f})");
    }
    println!("claims on flows nDPI labels with an unsupported protocol:");
    for ((l, o), n) in &unsupported_claims {
        println!("  {l} -> {o}: {n}");
    }
    println!("claims on flows nDPI left Unknown:");
    for (o, n) in &unknown_claims {
        println!("  {o}: {n}");
    }
    let flag = |n: bool, o: bool| port_flags.get(&(n, o)).copied().unwrap_or(0);
    let judged: usize = port_flags.values().sum();
    let port_agree = flag(true, true) + flag(false, false);
    let port_share = port_agree as f64 / judged.max(1) as f64;
    println!(
        "protocol off its registered port, on the {judged} flows whose service agrees: \
         {port_agree}/{judged} = {:.2}% agree with nDPI's \"Known Proto on Non Std Port\" risk \
         (both {}, neither {}, nDPI only {}, ours only {})",
        port_share * 100.0,
        flag(true, true),
        flag(false, false),
        flag(true, false),
        flag(false, true)
    );
    println!("  disagreements (who flags, flow: count, first capture):");
    for ((ndpi, what), (n, f)) in &port_disagree {
        let who = if *ndpi { "nDPI only" } else { "ours only" };
        println!("  {who}, {what}: {n} ({f})");
    }
    if verify_checksums {
        return;
    }
    assert!(
        port_share >= PORT_FLOOR,
        "off-port agreement {:.2}% fell below {:.2}%",
        port_share * 100.0,
        PORT_FLOOR * 100.0
    );
    assert!(
        share >= FLOOR,
        "agreement {:.2}% fell below {:.2}%",
        share * 100.0,
        FLOOR * 100.0
    );
    assert!(
        fp <= MAX_FALSE_POSITIVES,
        "{fp} false positives (at most {MAX_FALSE_POSITIVES})"
    );
}

/// The per-service row of a label (as in detect_corpus.rs).
fn svc_row(accept: &[Service]) -> &'static str {
    match accept[0] {
        s if accept.len() > 1 => {
            if s == Service::Tls {
                "Tls-wrapped"
            } else {
                "other"
            }
        }
        s => s.zeek_name(),
    }
}
