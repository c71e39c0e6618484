//! Smoke test over the shared capture corpus: every packet of every capture decodes without a
//! panic; totals are printed for inspection (`cargo test -p netloupe-decode corpus -- --nocapture`).

use crate::{Anomaly, DecodeConfig, Decoded, Decoder};
use pcap_parser::{Block, PcapBlockOwned, PcapError};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

#[derive(Default)]
struct Totals {
    files: u64,
    unreadable: u64,
    packets: u64,
    outcomes: BTreeMap<&'static str, u64>,
    non_ip: BTreeMap<&'static str, u64>,
    anomalies: BTreeMap<&'static str, u64>,
    /// First file each anomaly was seen in, to start an investigation from.
    first_seen: BTreeMap<&'static str, String>,
    linktypes: BTreeMap<u32, u64>,
    /// `CORPUS_DETAIL=<anomaly name>` prints the first occurrences of that anomaly.
    detail_of: Option<String>,
    detail_printed: u32,
}

impl Totals {
    fn record(&mut self, decoded: &Decoded<'_>, anomalies: &[Anomaly], file: &str) {
        self.packets += 1;
        let outcome = match decoded {
            Decoded::Ip(p) if p.tunnels.is_empty() => "Ip",
            Decoded::Ip(_) => "Ip (tunnelled)",
            Decoded::Arp(..) => "Arp",
            Decoded::FragmentHeld => "FragmentHeld",
            Decoded::Dropped(_) => "Dropped",
            Decoded::NonIp(name) => {
                *self.non_ip.entry(name).or_default() += 1;
                "NonIp"
            }
        };
        *self.outcomes.entry(outcome).or_default() += 1;
        for a in anomalies {
            let name = a.kind.name();
            if self.detail_of.as_deref() == Some(name) && self.detail_printed < 1_000_000 {
                self.detail_printed += 1;
                println!(
                    "{name}: {file} packet {} {:?} {:?}->{:?}",
                    self.packets, a.detail, a.src, a.dst
                );
            }
            *self.anomalies.entry(name).or_default() += 1;
            self.first_seen
                .entry(name)
                .or_insert_with(|| file.to_string());
        }
        if let Decoded::Dropped(kind) = decoded {
            assert!(
                anomalies.iter().any(|a| a.kind == *kind),
                "{file}: drop without its anomaly"
            );
        }
    }
}

/// Feeds every packet of the capture at `path` to `f(ts_ns, linktype, data)`.
fn for_each_packet(path: &Path, mut f: impl FnMut(i64, u32, &[u8])) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let input: Box<dyn Read + Send> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut reader = pcap_parser::create_reader(1 << 20, input).map_err(|e| format!("{e:?}"))?;
    let mut legacy_linktype = None;
    let mut interfaces: Vec<u32> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => legacy_linktype = Some(h.network.0 as u32),
                    PcapBlockOwned::Legacy(b) => {
                        let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
                        let ts = i64::from(b.ts_sec) * 1_000_000_000 + i64::from(b.ts_usec) * 1000;
                        f(ts, legacy_linktype.unwrap_or(u32::MAX), data);
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(idb.linktype.0 as u32)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let data = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
                        // Assumes the default microsecond resolution: time only drives fragment expiry here.
                        let ts = (i64::from(epb.ts_high) << 32 | i64::from(epb.ts_low))
                            .saturating_mul(1000);
                        f(
                            ts,
                            interfaces
                                .get(epb.if_id as usize)
                                .copied()
                                .unwrap_or(u32::MAX),
                            data,
                        );
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let data = spb.data.get(..spb.origlen as usize).unwrap_or(spb.data);
                        f(0, interfaces.first().copied().unwrap_or(u32::MAX), data);
                    }
                    _ => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => return Ok(()),
            Err(PcapError::Incomplete(_)) => reader.refill().map_err(|e| format!("{e:?}"))?,
            Err(e) => return Err(format!("{e:?}")),
        }
    }
}

#[test]
fn corpus_smoke() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        println!("skipping: no corpus at {}", corpus.display());
        return;
    };
    let mut totals = Totals {
        detail_of: std::env::var("CORPUS_DETAIL").ok(),
        ..Totals::default()
    };
    let mut anomalies = Vec::new();
    let mut checked_checksum_traces = 0;
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(rel), Some(packets)) = (cols.next(), cols.nth(4)) else {
            continue;
        };
        if packets == "-" {
            continue;
        }
        let path = corpus.join(rel);
        let mut decoder = Decoder::new(DecodeConfig::default());
        totals.files += 1;
        let mut checksum_anomalies = 0;
        let result = for_each_packet(&path, |ts, linktype, data| {
            *totals.linktypes.entry(linktype).or_default() += 1;
            anomalies.clear();
            decoder.expire(ts, &mut anomalies);
            let decoded = decoder.decode(ts, linktype, data, &mut anomalies);
            totals.record(&decoded, &anomalies, rel);
            checksum_anomalies += anomalies
                .iter()
                .filter(|a| a.kind.name().contains("checksum"))
                .count();
        });
        // Zeek's checksum traces say in their names what the decoder must find (mobility
        // header checksums are not verified).
        if rel.contains("/chksums/") && !rel.contains("mip6") {
            let expect_bad = rel.contains("bad-chksum");
            assert_eq!(
                checksum_anomalies > 0,
                expect_bad,
                "{rel}: {checksum_anomalies} checksum anomalies"
            );
            checked_checksum_traces += 1;
        }
        if let Err(e) = result {
            // The capture reader is not under test; count and move on.
            totals.unreadable += 1;
            if std::env::var_os("CORPUS_VERBOSE").is_some() {
                println!("unreadable {rel}: {e}");
            }
        }
    }
    println!(
        "files {} (stopped early: {}), packets {}",
        totals.files, totals.unreadable, totals.packets
    );
    println!("checksum traces checked: {checked_checksum_traces}");
    println!("link types: {:?}", totals.linktypes);
    println!("outcomes: {:?}", totals.outcomes);
    println!("non-IP: {:?}", totals.non_ip);
    for (name, n) in &totals.anomalies {
        println!(
            "anomaly {name:45} {n:8}  first in {}",
            totals.first_seen[name]
        );
    }
    assert!(totals.packets > 0);
}
