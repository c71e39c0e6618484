//! Protocol identification compared with nDPI's expected results.
//!
//! For every capture of the shared nDPI corpus (`ndpi/pcap/X` with `ndpi/result/X.out`), packets
//! are decoded and grouped into flows by 5-tuple; the first 4 KB of TCP payload per direction is
//! concatenated in capture order (retransmissions of already seen sequence numbers skipped, no
//! other reassembly) and fed to a [`Detector`] as a growing prefix, UDP datagrams are fed one by
//! one. The verdict is compared with nDPI's label for the flows nDPI identified by content
//! ("Confidence: DPI..."; port- and IP-based guesses are left out) with a protocol we support.
//!
//! Printed: agreement, the confusion list (nDPI label -> ours), false positives (we claim a
//! supported service nDPI labels as another supported one) and our claims on flows nDPI labels
//! with a protocol we do not support. Run with
//! `cargo test -p netloupe-proto --test detect_corpus -- --nocapture`.

mod ndpi_labels;
use ndpi_labels::*;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport as DecT};
use netloupe_proto::detect::{Detector, Transport, Verdict};
use netloupe_proto::{Direction, Service};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

// The shared corpus, `../shared/corpus` from the repository root.
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/ndpi");
/// Prefix kept per TCP direction.
const PREFIX: usize = 4096;
/// Agreement reached on the corpus at the time of writing (2631/2662 = 98.84%); the assertion
/// keeps it from regressing.
const FLOOR: f64 = 0.988;
/// False positives reached at the time of writing (one fuzzed NBNS datagram read as DNS).
const MAX_FALSE_POSITIVES: usize = 1;

struct Flow {
    orig: Endpoint,
    resp: Endpoint,
    tcp: bool,
    buf: [Vec<u8>; 2],
    next_seq: [Option<u32>; 2],
    det: Detector,
    final_: bool,
    /// First bytes of the first payload of each direction (for `DETECT_DUMP`).
    first: [Vec<u8>; 2],
}

struct Outcome {
    service: Option<Service>,
    first: [Vec<u8>; 2],
    orig: Endpoint,
}

/// Runs the detector over one capture: our verdict per flow.
fn detect_capture(path: &Path) -> HashMap<Key, Outcome> {
    let mut flows: HashMap<Key, Flow> = HashMap::new();
    let Ok(mut f) = CaptureFile::open(path) else {
        return HashMap::new();
    };
    let mut dec = Decoder::new(DecodeConfig::default());
    let mut anomalies = Vec::new();
    while let Ok(Some(pkt)) = f.next_packet() {
        anomalies.clear();
        let Decoded::Ip(p) = dec.decode(pkt.ts_ns, pkt.linktype, pkt.data, &mut anomalies) else {
            continue;
        };
        let (tcp, sp, dp, seq, flags) = match p.transport {
            DecT::Tcp(h) => (true, h.src_port, h.dst_port, h.seq, h.flags),
            DecT::Udp { src_port, dst_port } => (false, src_port, dst_port, 0, 0),
            _ => continue,
        };
        let src = (p.ip.src, sp);
        let dst = (p.ip.dst, dp);
        let flow = flows.entry(key(tcp, src, dst)).or_insert_with(|| {
            // The sender of a SYN+ACK is the responder; otherwise the first sender originates.
            let (orig, resp) = if tcp && flags & 0x12 == 0x12 {
                (dst, src)
            } else {
                (src, dst)
            };
            Flow {
                orig,
                resp,
                tcp,
                buf: [Vec::new(), Vec::new()],
                next_seq: [None, None],
                det: Detector::new(),
                final_: false,
                first: [Vec::new(), Vec::new()],
            }
        });
        let dir = if src == flow.orig {
            Direction::Orig
        } else {
            Direction::Resp
        };
        let di = usize::from(dir == Direction::Resp);
        if flow.tcp && flags & 0x02 != 0 {
            flow.next_seq[di] = Some(seq.wrapping_add(1));
        }
        if p.payload.is_empty() {
            continue;
        }
        if flow.first[di].is_empty() {
            flow.first[di] = p.payload[..p.payload.len().min(96)].to_vec();
        }
        if flow.final_ {
            continue;
        }
        let (op, rp) = (flow.orig.1, flow.resp.1);
        let v = if flow.tcp {
            if let Some(next) = flow.next_seq[di] {
                // Already delivered (retransmission): skip.
                if (seq.wrapping_sub(next) as i32) < 0 {
                    continue;
                }
            }
            flow.next_seq[di] = Some(seq.wrapping_add(p.payload.len() as u32));
            let b = &mut flow.buf[di];
            if b.len() >= PREFIX {
                continue;
            }
            let room = PREFIX - b.len();
            b.extend_from_slice(&p.payload[..p.payload.len().min(room)]);
            flow.det.feed(Transport::Tcp, dir, b, op, rp)
        } else {
            flow.det.feed(Transport::Udp, dir, p.payload, op, rp)
        };
        if v != Verdict::NeedMore {
            flow.final_ = true;
        }
    }
    flows
        .into_iter()
        .map(|(k, f)| {
            (
                k,
                Outcome {
                    service: f.det.result(),
                    first: f.first,
                    orig: f.orig,
                },
            )
        })
        .collect()
}

fn dump(filter: &Option<String>, what: &str, file: &str, e: &Expected, o: Option<&Outcome>) {
    let (Some(f), Some(o)) = (filter, o) else {
        return;
    };
    if !e.label.contains(f.as_str()) && f != what {
        return;
    }
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    println!(
        "[{what}] {file} {} {:?} orig={:?} ours={:?}\n   o: {}\n   r: {}",
        e.label,
        e.key,
        o.orig,
        o.service,
        hex(&o.first[0]),
        hex(&o.first[1])
    );
}

#[test]
fn detect_matches_ndpi_labels() {
    let pcaps = Path::new(CORPUS).join("pcap");
    let results = Path::new(CORPUS).join("result");
    let Ok(dir) = std::fs::read_dir(&pcaps) else {
        println!("skipping: corpus {CORPUS} not found");
        return;
    };
    let mut files: Vec<_> = dir.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let mut supported = 0usize;
    let mut agree = 0usize;
    let mut missing = 0usize;
    let mut by_port_skipped = 0usize;
    let mut captures = 0usize;
    // DETECT_DUMP=<label substring> prints the first bytes of the flows that disagree.
    let dump_filter = std::env::var("DETECT_DUMP").ok();
    // (nDPI label, ours) -> (count, first capture)
    let mut confusion: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    let mut per_service: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut false_pos: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    let mut unsupported_claims: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut unknown_claims: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Ok(text) = std::fs::read_to_string(results.join(format!("{name}.out"))) else {
            continue;
        };
        let expected = parse_results(&text);
        if expected.is_empty() {
            continue;
        }
        captures += 1;
        let ours = detect_capture(path);
        for e in &expected {
            let got = ours.get(&e.key);
            let ours_s = match got {
                None => {
                    if e.by_content && !e.accept.is_empty() {
                        missing += 1;
                        if dump_filter.as_deref() == Some("missing") {
                            println!("[missing] {name} {} {:?}", e.label, e.key);
                        }
                    }
                    continue;
                }
                Some(o) => o.service,
            };
            let ours_name = ours_s.map_or("-".to_string(), |s| format!("{s:?}"));
            let proto = if e.tcp { "TCP" } else { "UDP" };
            if e.label == "Unknown" {
                if let Some(s) = ours_s {
                    *unknown_claims.entry(format!("{proto} {s:?}")).or_default() += 1;
                    dump(&dump_filter, "Unknown", &name, e, got);
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
                if let Some(s) = ours_s {
                    *unsupported_claims
                        .entry((format!("{proto} {}", e.label), format!("{s:?}")))
                        .or_default() += 1;
                    dump(&dump_filter, "unsupported", &name, e, got);
                }
                continue;
            }
            supported += 1;
            let svc_name = match e.accept[0] {
                s if e.accept.len() > 1 => {
                    if s == Service::Tls {
                        "Tls-wrapped"
                    } else {
                        "other"
                    }
                }
                s => s.zeek_name(),
            };
            let ps = per_service.entry(svc_name).or_default();
            ps.0 += 1;
            if ours_s.is_some_and(|s| e.accept.contains(&s)) {
                agree += 1;
                ps.1 += 1;
            } else {
                dump(&dump_filter, "mismatch", &name, e, got);
                let c = confusion
                    .entry((format!("{proto} {}", e.label), ours_name.clone()))
                    .or_insert((0, name.clone()));
                c.0 += 1;
                if ours_s.is_some() {
                    let c = false_pos
                        .entry((format!("{proto} {}", e.label), ours_name))
                        .or_insert((0, name.clone()));
                    c.0 += 1;
                }
            }
        }
    }
    if captures == 0 {
        println!("skipping: no capture with expected results under {CORPUS}");
        return;
    }
    let share = agree as f64 / supported.max(1) as f64;
    println!("captures: {captures}");
    println!(
        "flows nDPI identified by content with a protocol we support: {supported}; \
         agreement {agree}/{supported} = {:.2}%",
        share * 100.0
    );
    println!("  (not found in our flow table: {missing}; nDPI port/IP guesses left out: {by_port_skipped})");
    println!("per service (label -> agreed/total):");
    for (s, (n, a)) in &per_service {
        println!("  {s:<12} {a}/{n}");
    }
    println!("confusion (nDPI label -> ours: count, first capture):");
    for ((l, o), (n, f)) in &confusion {
        println!("  {l} -> {o}: {n} ({f})");
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
