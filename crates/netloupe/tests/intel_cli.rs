//! `netloupe intel check|lookup` and the config file, run as a user would.

mod common;

use common::{netloupe, tmp_dir};

fn run(args: &[&str]) -> (i32, String, String) {
    let o = netloupe().args(args).output().expect("netloupe runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn check_reports_counts_and_every_bad_line_and_unreadable_feeds() {
    let dir = tmp_dir("intel-check");
    let feed = dir.join("list.txt");
    std::fs::write(
        &feed,
        "# comment\n192.0.2.1\n*.evil.example\nbad \u{1b}[31mline\n198.51.100.0/24\n1.2.3.4/99\n",
    )
    .unwrap();
    let f = feed.to_str().unwrap();
    let (code, out, _) = run(&["intel", "check", f]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("list.txt (plain"), "{out}");
    assert!(out.contains("addr                 1"), "{out}");
    assert!(out.contains("subnet               1"), "{out}");
    assert!(out.contains("domain               1"), "{out}");
    assert!(out.contains("line 4: "), "{out}");
    assert!(
        out.contains("line 6: CIDR prefix length out of range"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "terminal escapes are escaped: {out:?}"
    );
    assert!(out.contains("\\x1b[31m"), "{out}");

    let missing = dir.join("missing.txt");
    let (code, out, _) = run(&["intel", "check", f, missing.to_str().unwrap()]);
    assert_eq!(code, 2, "an unreadable feed is exit code 2: {out}");
    assert!(out.contains("missing.txt: NOT LOADED"), "{out}");
    assert!(out.contains("total: 3 indicators from 1 feed(s)"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lookup_finds_covering_entries_and_says_when_nothing_does() {
    let dir = tmp_dir("intel-lookup");
    let a = dir.join("a.txt");
    let b = dir.join("b.intel");
    std::fs::write(&a, "*.evil.example\n10.0.0.0/8\n").unwrap();
    std::fs::write(
        &b,
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n10.1.2.3\tIntel::ADDR\tpartner\tC2 server\n",
    )
    .unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let (code, out, _) = run(&["intel", "lookup", "--intel", a, "--intel", b, "10.1.2.3"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("listed by a.txt as subnet 10.0.0.0/8"),
        "{out}"
    );
    assert!(out.contains("listed by b.intel as addr 10.1.2.3"), "{out}");
    assert!(out.contains("ref C2 server"), "{out}");
    let (code, out, _) = run(&["intel", "lookup", "--intel", a, "www.EVIL.example."]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("as domain *.evil.example"), "{out}");
    let (code, out, _) = run(&["intel", "lookup", "--intel", a, "192.0.2.1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not listed"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_file_feeds_are_relative_to_it_and_unknown_keys_are_errors() {
    let dir = tmp_dir("intel-config");
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    std::fs::write(
        dir.join("feeds/ja3.txt"),
        "e7d705a3286e19ea42f587b344ee6865\n",
    )
    .unwrap();
    let cfg = dir.join("netloupe.toml");
    std::fs::write(
        &cfg,
        "[intel]\nrefresh = \"6h\"\n\n[[intel.feed]]\nname = \"ja3-hunt\"\npath = \"feeds/ja3.txt\"\ntype = \"ja3\"\nconfidence = 70\nseverity = \"high\"\ntags = [\"c2\"]\n",
    )
    .unwrap();
    let (code, out, err) = run(&["intel", "check", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ja3-hunt (plain"), "{out}");
    assert!(out.contains("ja3                  1"), "{out}");
    let (code, out, _) = run(&[
        "intel",
        "lookup",
        "--config",
        cfg.to_str().unwrap(),
        "E7D705A3286E19EA42F587B344EE6865",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "as ja3 e7d705a3286e19ea42f587b344ee6865, severity high, confidence 70, tags c2"
        ),
        "{out}"
    );

    std::fs::write(
        &cfg,
        "[[intel.feed]]\npath = \"feeds/ja3.txt\"\nrefesh = \"1h\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["intel", "check", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("unknown key \"refesh\" in intel.feed[0]"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn alerts_carry_the_technique_the_feed_implies_in_alerts_log_and_eve() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let pcap = corpus.join("labeled/pcap-attack/Command and Control/C2_Foudre_Backdoor_DGA.pcapng");
    if !pcap.is_file() {
        println!("skipping: {} not in the corpus", pcap.display());
        return;
    }
    let dir = tmp_dir("intel-eve");
    std::fs::write(dir.join("c2.txt"), "185.56.137.138\n").unwrap();
    let cfg = dir.join("netloupe.toml");
    std::fs::write(
        &cfg,
        "[[intel.feed]]\nname = \"c2-list\"\npath = \"c2.txt\"\nseverity = \"high\"\nconfidence = 90\ntags = [\"botnet_cc\"]\n",
    )
    .unwrap();
    let out = dir.join("out");
    common::analyze_ok(
        &[
            "-q",
            "-C",
            "--format",
            "eve",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &out,
        &pcap,
    );
    let alerts = common::read_jsonl(&out.join("alerts.log"));
    assert_eq!(alerts.len(), 1, "one alert for the host pair: {alerts:?}");
    let a = &alerts[0];
    assert_eq!(a["detector"], "intel");
    assert_eq!(a["severity"], "high");
    assert_eq!(a["confidence"], 90);
    assert_eq!(a["score"], 76);
    assert_eq!(a["attack"]["technique_id"], "T1071");
    assert_eq!(a["attack"]["tactic"], "Command and Control");
    assert_eq!(a["dst"], "185.56.137.138");
    let intel = common::read_jsonl(&out.join("intel.log"));
    assert!(!intel.is_empty(), "the sighting is in intel.log");
    assert_eq!(intel[0]["technique"], "T1071");
    let eve = common::read_jsonl(&out.join("eve.json"));
    let ev: Vec<_> = eve.iter().filter(|e| e["event_type"] == "alert").collect();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["alert"]["signature_id"], 1_900_100);
    assert_eq!(ev[0]["alert"]["severity"], 1);
    assert_eq!(ev[0]["alert"]["metadata"]["mitre_technique_id"][0], "T1071");
    assert_eq!(ev[0]["community_id"], a["community_ids"][0]);
    // The alert's flow is one of the capture's flows.
    let flow_ids: Vec<_> = eve
        .iter()
        .filter(|e| e["event_type"] == "flow")
        .map(|e| e["flow_id"].clone())
        .collect();
    assert!(flow_ids.contains(&ev[0]["flow_id"]));
    let _ = std::fs::remove_dir_all(&dir);
}
