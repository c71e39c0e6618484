//! Reloading intel while a run lasts: netloupe reads a capture from a pipe; after the first
//! packets the feed file changes and the process gets SIGHUP; traffic sent after the reload is
//! announced is judged by the new feed only (a value removed from the feed no longer matches,
//! a value added does), and every packet is still accounted for.

mod common;

use common::{netloupe, read_json, read_jsonl, tmp_dir};
use netloupe_engine::synth::{ether, ipv4, udp, PcapWriter};
use std::io::{BufRead, BufReader, Write};
use std::net::Ipv4Addr;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One UDP datagram from 10.0.0.1 to `dst`, as a pcap record at `t_s` seconds.
fn datagram(w: &mut PcapWriter<Vec<u8>>, t_s: i64, dst: Ipv4Addr, sport: u16) {
    let src = Ipv4Addr::new(10, 0, 0, 1);
    let frame = ether(
        0x0800,
        None,
        &ipv4(
            src,
            dst,
            17,
            1,
            (false, 0),
            &udp(src.into(), dst.into(), sport, 9999, b"ping"),
        ),
    );
    w.packet(t_s * 1_000_000_000, &frame).unwrap();
}

/// Reads stderr lines until one contains `what` (a blocking read: the child prints it or ends).
fn wait_for(stderr: &mut impl BufRead, what: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "{what:?} not printed: {seen:?}");
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("netloupe ended before printing {what:?}: {seen:?}");
        }
        if line.contains(what) {
            return;
        }
        seen.push(line);
    }
}

#[test]
fn sighup_reload_applies_to_later_traffic_without_losing_packets() {
    reload_applies_to_later_traffic(false);
}

#[test]
fn refresh_interval_reload_applies_to_later_traffic() {
    reload_applies_to_later_traffic(true);
}

/// With `by_refresh`, the feed is re-read on a 1-second refresh interval instead of SIGHUP.
fn reload_applies_to_later_traffic(by_refresh: bool) {
    let dir = tmp_dir(if by_refresh {
        "intel-refresh"
    } else {
        "intel-reload"
    });
    let feed = dir.join("feed.txt");
    let old_only = Ipv4Addr::new(203, 0, 113, 1);
    let new_only = Ipv4Addr::new(203, 0, 113, 2);
    std::fs::write(&feed, format!("# before the reload\n{old_only}\n")).unwrap();
    let out = dir.join("out");
    let mut cmd = netloupe();
    cmd.args(["analyze", "--intel"]).arg(&feed);
    if by_refresh {
        cmd.args(["--intel-refresh", "1"]);
    }
    let mut child = cmd
        .arg("-o")
        .arg(&out)
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("netloupe starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());

    // netloupe announces its feeds once it handles SIGHUP.
    let mut seen_lines = Vec::new();
    wait_for(
        &mut stderr,
        "netloupe: intel: 1 indicators",
        &mut seen_lines,
    );

    // Part 1: the pcap header and traffic to both addresses.
    let mut w = PcapWriter::new(Vec::new(), 1).unwrap();
    datagram(&mut w, 1_000, old_only, 4001);
    datagram(&mut w, 1_000, new_only, 4002);
    stdin.write_all(&w.into_inner()).unwrap();
    stdin.flush().unwrap();

    // The feed changes; SIGHUP (or the refresh interval); wait for the announcement.
    // Two entries: a refresh that still read the old feed (one entry) cannot be taken for it.
    std::fs::write(
        &feed,
        format!("# after the reload\n{new_only}\n192.0.2.99\n"),
    )
    .unwrap();
    if by_refresh {
        wait_for(
            &mut stderr,
            "intel reloaded (refresh interval): 2 indicators",
            &mut seen_lines,
        );
    } else {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        wait_for(
            &mut stderr,
            "intel reloaded (SIGHUP): 2 indicators",
            &mut seen_lines,
        );
    }

    // Part 2, much later in packet time (the first flows have long ended): new flows to both.
    let header_len = PcapWriter::new(Vec::new(), 1).unwrap().into_inner().len();
    let mut w = PcapWriter::new(Vec::new(), 1).unwrap();
    datagram(&mut w, 5_000, old_only, 5001);
    datagram(&mut w, 5_000, new_only, 5002);
    stdin.write_all(&w.into_inner()[header_len..]).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let st = child.wait().unwrap();
    assert!(st.success(), "netloupe failed: {rest}");

    let intel = read_jsonl(&out.join("intel.log"));
    let part2: Vec<(String, u64)> = intel
        .iter()
        .filter(|r| r["ts"].as_f64().unwrap_or(0.0) >= 5_000.0)
        .map(|r| {
            (
                r["seen.indicator"].as_str().unwrap().to_string(),
                r["id.orig_p"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        part2,
        vec![(new_only.to_string(), 5002)],
        "after the reload only the new feed matches: {intel:?}"
    );
    let stats = read_json(&out.join("stats.json"));
    assert_eq!(stats["packets"]["read"], 4);
    assert_eq!(stats["packets"]["balanced"], true);
    assert_eq!(stats["packets"]["to_flows"], 4);
    if by_refresh {
        // The interval keeps reloading while the run lasts.
        assert!(stats["intel"]["reloads"].as_u64().unwrap() >= 1);
    } else {
        assert_eq!(stats["intel"]["reloads"], 1);
    }
    assert_eq!(read_jsonl(&out.join("conn.log")).len(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}
