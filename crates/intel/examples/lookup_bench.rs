//! Address lookup cost against a feed: `lookup_bench FEED CONN_LOG` loads FEED and looks up
//! both endpoints of every conn.log record, five rounds, printing ns per lookup (the matcher's
//! share of the intel benchmark, without the rest of the pipeline's noise).

use netloupe_intel::{FeedSpec, IntelConfig, Seen};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: lookup_bench FEED CONN_LOG");
        std::process::exit(1);
    }
    let cfg = IntelConfig {
        feeds: vec![FeedSpec::from_arg(&args[1])],
        ..Default::default()
    };
    let (set, _) = netloupe_intel::load_all(&cfg);
    let text = std::fs::read_to_string(&args[2]).unwrap();
    let mut addrs = Vec::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for k in ["id.orig_h", "id.resp_h"] {
            addrs.push(v[k].as_str().unwrap().parse::<std::net::IpAddr>().unwrap());
        }
    }
    let mut out = Vec::new();
    for round in 0..5 {
        let t = std::time::Instant::now();
        let mut n = 0;
        for &a in &addrs {
            out.clear();
            set.lookup(Seen::Addr(a), 0, &mut out);
            n += out.len();
        }
        let e = t.elapsed();
        println!(
            "round {round}: {} lookups, {n} hits, {:.1} ns/lookup",
            addrs.len(),
            e.as_nanos() as f64 / addrs.len() as f64
        );
    }
}
