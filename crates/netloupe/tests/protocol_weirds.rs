//! Protocol parsers' anomalies reach weird.log (with the connection's uid and the analyzer as
//! `source`), compared with Zeek's baselines: for Zeek's SMTP BDAT traces (default settings),
//! the protocol weirds (not the decoder's) are the ones Zeek logs, name by name and count by
//! count. Other baselines with protocol weirds are printed for information: several use
//! non-default limits (FTP's max_pending_commands, max_command_length) or script-level weirds
//! netloupe does not raise (SMTP address limits, `smtp_mail_transaction_invalid`).

mod common;

use std::collections::BTreeMap;

/// Baselines whose protocol weirds must be equal.
const EQUAL: &[&str] = &[
    "scripts.base.protocols.smtp.bdat-cmd-invalid",
    "scripts.base.protocols.smtp.bdat-chunk-size-overflow2",
    "scripts.base.protocols.smtp.bdat-negative-chunk-size",
];

fn counts<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for n in names {
        *m.entry(n.to_string()).or_default() += 1;
    }
    m
}

#[test]
fn protocol_weirds_as_in_zeek() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let zeek = corpus.join("zeek");
    let Some(index) = common::baseline_index(&zeek) else {
        println!("skipping: no baseline index under {}", zeek.display());
        return;
    };
    let mut checked = 0;
    for e in index
        .iter()
        .filter(|e| e.logs.iter().any(|l| l == "weird.log"))
    {
        let name = e.dir.rsplit('/').next().unwrap_or(&e.dir).to_string();
        if !(name.contains(".smtp.") || name.contains(".ftp.") || name.contains(".ssh.")) {
            continue;
        }
        let Some(log) = common::read_zeek_log(&zeek.join(&e.dir).join("weird.log")) else {
            continue;
        };
        let Some(col) = log.col("name") else {
            continue;
        };
        let want = counts(log.rows.iter().map(|r| r[col].as_str()));
        let out = common::tmp_dir(&format!("weirds-{name}"));
        common::analyze_ok(&["-C"], &out, &zeek.join(&e.trace));
        let ours_rows = common::read_jsonl(&out.join("weird.log"));
        let protocol: Vec<_> = ours_rows
            .iter()
            .filter(|w| w["source"] != "decoder")
            .collect();
        for w in &protocol {
            assert!(w["uid"].is_string(), "{w}");
            assert_ne!(w["source"], "session", "{w}");
        }
        let ours = counts(protocol.iter().filter_map(|w| w["name"].as_str()));
        println!("{name}: zeek {want:?} ours {ours:?}");
        if EQUAL.contains(&name.as_str()) {
            assert_eq!(ours, want, "{name}");
            checked += 1;
        }
    }
    if checked == 0 {
        println!("skipping the comparison: none of the SMTP BDAT baselines is in the corpus");
    }
}
