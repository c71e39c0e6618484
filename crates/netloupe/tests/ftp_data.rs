//! FTP data connections tied to their control connection, through the binary: on Zeek's FTP
//! traces (PASV, PORT, EPSV, EPRT over IPv4 and IPv6), every connection's conn.log `service`
//! equals the one in Zeek's baseline conn.log (`ftp-data` for the data channels), on one and
//! on two worker threads, and stats.json counts the announcements.

mod common;

use std::collections::BTreeMap;

const CASES: &[(&str, &str)] = &[
    (
        "Traces/ftp/ipv4.pcap",
        "Baseline/scripts.base.protocols.ftp.ftp-ipv4/conn.log",
    ),
    (
        "Traces/ftp/ipv6.pcap",
        "Baseline/scripts.base.protocols.ftp.ftp-ipv6/conn.log",
    ),
];

/// (originator port, responder port) → service ("-" when none).
type Services = BTreeMap<(u64, u64), String>;

fn ours(out: &std::path::Path) -> Services {
    common::read_jsonl(&out.join("conn.log"))
        .iter()
        .map(|c| {
            let p = |k: &str| c[k].as_u64().unwrap_or(0);
            let service = c["service"].as_str().unwrap_or("-").to_string();
            ((p("id.orig_p"), p("id.resp_p")), service)
        })
        .collect()
}

#[test]
fn data_channels_are_ftp_data_as_in_zeek() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let zeek = corpus.join("zeek");
    for (trace, baseline) in CASES {
        let (input, base) = (zeek.join(trace), zeek.join(baseline));
        let Some(log) = common::read_zeek_log(&base).filter(|_| input.is_file()) else {
            println!("skipping {trace}: trace or baseline missing");
            continue;
        };
        let col = |n: &str| log.col(n).expect("conn.log column");
        let (op, rp, sv) = (col("id.orig_p"), col("id.resp_p"), col("service"));
        let want: Services = log
            .rows
            .iter()
            .map(|r| {
                let port = |i: usize| r[i].parse::<u64>().unwrap_or(0);
                ((port(op), port(rp)), r[sv].clone())
            })
            .collect();
        assert!(
            want.values().filter(|s| *s == "ftp-data").count() >= 4,
            "{baseline}: the baseline has data channels"
        );
        for threads in ["1", "2"] {
            let out = common::tmp_dir(&format!("ftp-data-{threads}-{}", want.len()));
            let st = common::netloupe()
                .args(["analyze", "-C", "--threads", threads, "-o"])
                .arg(&out)
                .arg(&input)
                .output()
                .expect("netloupe runs");
            assert!(
                st.status.success(),
                "{}",
                String::from_utf8_lossy(&st.stderr)
            );
            assert_eq!(ours(&out), want, "{trace} with {threads} thread(s)");
            let stats = common::read_json(&out.join("stats.json"));
            let e = &stats["inspection"]["expected_connections"];
            let data = want.values().filter(|s| *s == "ftp-data").count() as u64;
            assert_eq!(e["matched"].as_u64(), Some(data), "{trace}: {e}");
            assert!(e["announced"].as_u64() >= Some(data), "{trace}: {e}");
        }
    }
}
