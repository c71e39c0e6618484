//! Read throughput of the capture reader.
//!
//! `bench FILE...` reads the files (merged when several) and prints packets/s and GB/s.
//! `bench --make OUT MB CAPTURE...` first writes OUT, a classic pcap of about MB megabytes
//! made of the Ethernet packets of the given captures, repeated with advancing timestamps;
//! `--make-ng` does the same as pcapng.
use netloupe_capture::{linktype, CaptureFile, MergedSource};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

fn make(out: &str, mb: u64, inputs: &[PathBuf], ng: bool) -> std::io::Result<()> {
    let mut packets: Vec<Vec<u8>> = Vec::new();
    for p in inputs {
        let Ok(mut f) = CaptureFile::open(p) else {
            continue;
        };
        while let Ok(Some(pkt)) = f.next_packet() {
            if pkt.linktype == linktype::ETHERNET {
                packets.push(pkt.data.to_vec());
            }
        }
    }
    assert!(!packets.is_empty(), "no Ethernet packets in the inputs");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let header: &[u32] = if ng {
        // Section header, then one Ethernet interface with default (microsecond) resolution.
        &[
            0x0A0D_0D0A,
            28,
            0x1A2B_3C4D,
            1,
            u32::MAX,
            u32::MAX,
            28,
            1,
            20,
            1,
            0,
            20,
        ]
    } else {
        &[0xa1b2_c3d4, 0x0004_0002, 0, 0, 262_144, 1]
    };
    for v in header {
        w.write_all(&v.to_le_bytes())?;
    }
    let (mut written, mut ts_us) = (24u64, 1_700_000_000_000_000u64);
    'outer: loop {
        for p in &packets {
            ts_us += 7;
            let len = p.len() as u32;
            if ng {
                let padded = len.div_ceil(4) * 4;
                let block_len = 32 + padded;
                let hdr = [
                    6,
                    block_len,
                    0,
                    (ts_us >> 32) as u32,
                    ts_us as u32,
                    len,
                    len,
                ];
                for v in hdr {
                    w.write_all(&v.to_le_bytes())?;
                }
                w.write_all(p)?;
                w.write_all(&[0; 3][..(padded - len) as usize])?;
                w.write_all(&block_len.to_le_bytes())?;
                written += u64::from(block_len);
            } else {
                let hdr = [
                    (ts_us / 1_000_000) as u32,
                    (ts_us % 1_000_000) as u32,
                    len,
                    len,
                ];
                for v in hdr {
                    w.write_all(&v.to_le_bytes())?;
                }
                w.write_all(p)?;
                written += 16 + u64::from(len);
            }
            if written >= mb << 20 {
                break 'outer;
            }
        }
    }
    w.flush()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str);
    let files: Vec<PathBuf> = if mode == Some("--make") || mode == Some("--make-ng") {
        let out = &args[1];
        let mb: u64 = args[2].parse().expect("size in MB");
        let inputs: Vec<PathBuf> = args[3..].iter().map(PathBuf::from).collect();
        make(out, mb, &inputs, mode == Some("--make-ng")).expect("write");
        vec![PathBuf::from(out)]
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let start = Instant::now();
    let (mut src, errs) = MergedSource::open(&files);
    for e in errs {
        eprintln!("{e}");
    }
    let (mut n, mut bytes, mut check) = (0u64, 0u64, 0u64);
    while let Some(p) = src.next_packet() {
        n += 1;
        bytes += p.data.len() as u64;
        // Touch the data so that nothing is optimised away, as a consumer would.
        check = check.wrapping_add(u64::from(p.data.first().copied().unwrap_or(0)));
    }
    let secs = start.elapsed().as_secs_f64();
    let (read, _) = src.progress();
    println!(
        "{n} packets, {bytes} bytes of packets, {read} file bytes in {secs:.3} s: {:.2} Mpackets/s, {:.2} GB/s (check {check})",
        n as f64 / secs / 1e6,
        read as f64 / secs / 1e9
    );
    for e in src.take_errors() {
        eprintln!("{e}");
    }
}
