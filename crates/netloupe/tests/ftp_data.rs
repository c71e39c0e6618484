//! FTP data connections tied to their control connection, through the binary: on Zeek's FTP
//! traces (PASV, PORT, EPSV, EPRT over IPv4 and IPv6), every connection's conn.log `service`
//! equals the one in Zeek's baseline conn.log (`ftp-data` for the data channels), on one and
//! on two worker threads, and stats.json counts the announcements. Each data connection's
//! content is a file (files.log, source FTP_DATA) whose digests are those of the bytes tshark
//! reassembles, and the RETR records of ftp.log carry its fuid, and its MIME type exactly
//! where Zeek's baselines have one.

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
            common::analyze_ok(&["-C", "--threads", threads], &out, &input);
            assert_eq!(ours(&out), want, "{trace} with {threads} thread(s)");
            let stats = common::read_json(&out.join("stats.json"));
            let e = &stats["inspection"]["expected_connections"];
            let data = want.values().filter(|s| *s == "ftp-data").count() as u64;
            assert_eq!(e["matched"].as_u64(), Some(data), "{trace}: {e}");
            assert!(e["announced"].as_u64() >= Some(data), "{trace}: {e}");
        }
    }
}

/// The robots.txt both traces fetch (77 bytes; MD5 by tshark over the data connection's
/// payload, `ftp/ipv4.pcap` frame 46).
const ROBOTS_MD5: &str = "614c17288dad92fbe61f58731dacfea3";

#[test]
fn data_connection_content_is_a_file_tied_to_its_command() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let zeek = corpus.join("zeek");
    for (trace, baseline) in CASES {
        let input = zeek.join(trace);
        let ftp_base = zeek.join(baseline.replace("conn.log", "ftp.log"));
        let Some(log) = common::read_zeek_log(&ftp_base).filter(|_| input.is_file()) else {
            println!("skipping {trace}: trace or baseline missing");
            continue;
        };
        let (cmd, mime) = (log.col("command").unwrap(), log.col("mime_type").unwrap());
        let want_mimes: Vec<String> = log
            .rows
            .iter()
            .filter(|r| r[cmd] == "RETR")
            .map(|r| r[mime].clone())
            .collect();
        let out = common::tmp_dir(&format!("ftp-files-{}", want_mimes.len() + trace.len()));
        common::analyze_ok(&["-C"], &out, &input);
        let files = common::read_jsonl(&out.join("files.log"));
        let ftp_files: Vec<_> = files.iter().filter(|f| f["source"] == "FTP_DATA").collect();
        let data_conns = ours(&out).values().filter(|s| *s == "ftp-data").count();
        assert_eq!(
            ftp_files.len(),
            data_conns,
            "{trace}: one file per data connection"
        );
        let retrs: Vec<_> = common::read_jsonl(&out.join("ftp.log"))
            .into_iter()
            .filter(|r| r["command"] == "RETR")
            .collect();
        assert_eq!(retrs.len(), want_mimes.len(), "{trace}");
        for (r, want) in retrs.iter().zip(&want_mimes) {
            let got = r["mime_type"].as_str().unwrap_or("-");
            assert_eq!(got, want, "{trace}: RETR mime_type as in Zeek's baseline");
            let fuid = r["fuid"].as_str().expect("RETR has the data file's fuid");
            let f = ftp_files
                .iter()
                .find(|f| f["fuid"] == fuid)
                .expect("the RETR's file is in files.log");
            assert_eq!(f["md5"], ROBOTS_MD5, "{trace}");
            assert_eq!(f["seen_bytes"], 77, "{trace}");
            assert_eq!(f["mime_type"], "text/plain", "{trace}");
            assert_ne!(
                f["uid"], r["uid"],
                "{trace}: the file is on the data connection"
            );
        }
    }
}
