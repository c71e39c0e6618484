//! Prints the first packets of a capture: `cargo run -p netloupe-capture --example dump -- FILE [N]`.
use netloupe_capture::CaptureFile;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().expect("usage: dump FILE [N]"));
    let limit: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    let mut f = match CaptureFile::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut n = 0;
    loop {
        match f.next_packet() {
            Ok(Some(p)) if n < limit => {
                n += 1;
                println!(
                    "{:>6} ts={}.{:09} linktype={} caplen={} len={} offset={}",
                    n,
                    p.ts_ns.div_euclid(1_000_000_000),
                    p.ts_ns.rem_euclid(1_000_000_000),
                    p.linktype,
                    p.data.len(),
                    p.orig_len,
                    p.offset
                );
            }
            Ok(Some(_)) => n += 1,
            Ok(None) => break,
            Err(e) => {
                eprintln!("{e}");
                break;
            }
        }
    }
    println!("{n} packets, warnings: {:?}", f.warnings());
}
