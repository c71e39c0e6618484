//! Threat-intelligence matching end to end on the labelled attack captures: a feed lists the
//! attacker and C2 addresses and domains named in `MANIFEST.tsv`'s labels; every flow of a
//! capture that involves one of them must have an intel.log sighting (on the right side:
//! `Conn::IN_ORIG` or `Conn::IN_RESP`) and its host pair an alert, every DNS query for a listed domain a
//! `DNS::IN_REQUEST` sighting, and no sighting may name a value the feed does not list.

mod common;

use common::{analyze_ok, corpus_dir, read_jsonl, tmp_dir};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Words in a label that introduce an attacker-controlled or C2 endpoint.
const ROLES: &[&str] = &[
    "attacker",
    "C2 server",
    "C2",
    "callbacks to",
    "calls back to",
    "call back to",
    "shell to",
    "scanner",
    "served by",
    "scan from",
    "handler",
];

#[derive(Default, Debug)]
struct Listed {
    addrs: BTreeSet<IpAddr>,
    domains: BTreeSet<String>,
}

/// The addresses and domains a label names in an attacker or C2 role, and the hosts of URLs
/// it names (the beaconing captures name the URL their C2-like client polls).
fn listed_in(label: &str) -> Listed {
    let mut l = Listed::default();
    for scheme in ["https://", "http://"] {
        let mut rest = label;
        while let Some(i) = rest.find(scheme) {
            rest = &rest[i + scheme.len()..];
            let host = rest
                .split(|c: char| c.is_whitespace() || c == '/' || c == ':' || c == ')')
                .next()
                .unwrap_or("");
            if host.parse::<IpAddr>().is_err() && host.contains('.') {
                l.domains.insert(host.to_ascii_lowercase());
            }
        }
    }
    for role in ROLES {
        let mut rest = label;
        while let Some(i) = rest.find(role) {
            let after = &rest[i + role.len()..];
            rest = after;
            // The role word must end there ("C2" is not "C2_Foudre").
            let Some(after) = after.strip_prefix(' ') else {
                continue;
            };
            let token = after
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == ')')
                .next()
                .unwrap_or("");
            // Drop a port or path: 192.0.2.1:4444, evil.example/x.
            let host = token.split(['/']).next().unwrap_or("");
            let host = match host.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => host,
            };
            if let Ok(a) = host.parse::<IpAddr>() {
                l.addrs.insert(a);
            } else if host.contains('.')
                && host.bytes().any(|b| b.is_ascii_alphabetic())
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                l.domains.insert(host.to_ascii_lowercase());
            }
        }
    }
    l
}

#[test]
fn labels_are_read_as_expected() {
    let l = listed_in("Lateral movement + C2: Metasploit psexec pass-the-hash over SMB then meterpreter reverse_tcp; attacker 192.168.10.50 -> victim 192.168.10.31:445, victim calls back to 192.168.10.50:4444");
    assert_eq!(l.addrs.len(), 1);
    assert!(l.addrs.contains(&"192.168.10.50".parse().unwrap()));
    let l = listed_in("C2: Foudre backdoor DGA lookups + HTTP C2 check-in; victim 10.0.2.15, C2 server 185.56.137.138:80");
    assert_eq!(
        l.addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        ["185.56.137.138"]
    );
    let l = listed_in("Exploit: X; attacker 203.0.113.217 -> victim 198.51.100.10:8080, victim fetches LDAP/Java class from attacker :1389/:8000");
    assert_eq!(l.addrs.len(), 1);
    let l = listed_in("C2 evil-domain.example beacon; scanner 10.0.0.1");
    assert!(l.domains.contains("evil-domain.example"));
    assert_eq!(l.addrs.len(), 1);
    let l = listed_in("Beaconing (controlled C2-like): curl https://testing.com every 2 s (very periodic); host 147.32.80.37 -> 141.193.213.21:443");
    assert_eq!(l.domains.iter().collect::<Vec<_>>(), ["testing.com"]);
    assert!(l.addrs.is_empty());
}

#[test]
fn labelled_c2_and_attackers_are_sighted_on_every_flow() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let mut captures: Vec<(String, Listed)> = Vec::new();
    for line in manifest.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 8 || !f[0].starts_with("labeled/") || f[5] == "-" {
            continue;
        }
        let l = listed_in(f[7]);
        if !l.addrs.is_empty() || !l.domains.is_empty() {
            captures.push((f[0].to_string(), l));
        }
    }
    assert!(
        captures.len() >= 20,
        "labels name attacker/C2 endpoints in {} captures only",
        captures.len()
    );
    let dir = tmp_dir("intel-labeled");
    // One feed for all captures, as an analyst's would be: a Zeek intel file.
    let mut all_addrs = BTreeSet::new();
    let mut all_domains = BTreeSet::new();
    for (_, l) in &captures {
        all_addrs.extend(l.addrs.iter().copied());
        all_domains.extend(l.domains.iter().cloned());
    }
    let mut feed = String::from("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n");
    for a in &all_addrs {
        feed.push_str(&format!(
            "{a}\tIntel::ADDR\tcorpus-labels\tattacker or C2 in a labelled capture\n"
        ));
    }
    for d in &all_domains {
        feed.push_str(&format!(
            "{d}\tIntel::DOMAIN\tcorpus-labels\tattacker or C2 in a labelled capture\n"
        ));
    }
    let feed_path = dir.join("labels.intel");
    std::fs::write(&feed_path, feed).unwrap();

    let mut flows_expected = 0usize;
    let mut flows_sighted = 0usize;
    let mut dns_expected = 0usize;
    let mut dns_sighted = 0usize;
    let mut sni_expected = 0usize;
    let mut sni_sighted = 0usize;
    let mut with_hits = 0usize;
    let mut absent: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut by_where: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (rel, l)) in captures.iter().enumerate() {
        let out = dir.join(format!("o{i}"));
        // -C: some captures were taken on a host with checksum offload (test-cc's client
        // segments all carry bad checksums), as analysts run Zeek on them.
        analyze_ok(
            &["-q", "-C", "--intel", feed_path.to_str().unwrap()],
            &out,
            &corpus.join(rel),
        );
        let conns = read_jsonl(&out.join("conn.log"));
        let intel = read_jsonl(&out.join("intel.log"));
        let alerts = read_jsonl(&out.join("alerts.log"));
        let dns = read_jsonl(&out.join("dns.log"));
        let ssl = read_jsonl(&out.join("ssl.log"));
        let sighted: BTreeSet<(String, String, String)> = intel
            .iter()
            .map(|r| {
                (
                    r["uid"].as_str().unwrap_or("").to_string(),
                    r["seen.indicator"].as_str().unwrap_or("").to_string(),
                    r["seen.where"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        // One alert per (originator, responder, indicator) and hour: every sighted pair has one.
        let alerted_pairs: BTreeSet<(String, String)> = alerts
            .iter()
            .map(|a| {
                (
                    a["src"].as_str().unwrap_or("").to_string(),
                    a["dst"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let alerted: BTreeSet<String> = intel
            .iter()
            .filter(|r| {
                alerted_pairs.contains(&(
                    r["id.orig_h"].as_str().unwrap_or("").to_string(),
                    r["id.resp_h"].as_str().unwrap_or("").to_string(),
                ))
            })
            .filter_map(|r| r["uid"].as_str().map(str::to_string))
            .collect();
        for r in &intel {
            *by_where
                .entry(r["seen.where"].as_str().unwrap_or("").to_string())
                .or_default() += 1;
            let v = r["seen.indicator"]
                .as_str()
                .unwrap_or("")
                .to_ascii_lowercase();
            let listed = v.parse::<IpAddr>().is_ok_and(|a| all_addrs.contains(&a))
                || all_domains.contains(v.trim_end_matches('.'));
            if !listed {
                failures.push(format!("{rel}: sighting of unlisted value {v:?}"));
            }
        }
        let mut involved = 0;
        for c in &conns {
            let uid = c["uid"].as_str().unwrap_or("").to_string();
            for (side, key) in [
                ("Conn::IN_ORIG", "id.orig_h"),
                ("Conn::IN_RESP", "id.resp_h"),
            ] {
                let Some(a) = c[key].as_str().and_then(|s| s.parse::<IpAddr>().ok()) else {
                    continue;
                };
                if !l.addrs.contains(&a) {
                    continue;
                }
                involved += 1;
                flows_expected += 1;
                if sighted.contains(&(uid.clone(), a.to_string(), side.to_string()))
                    && alerted.contains(&uid)
                {
                    flows_sighted += 1;
                } else {
                    failures.push(format!("{rel}: flow {uid} with {a} ({side}) not sighted"));
                }
            }
        }
        for d in &dns {
            let Some(q) = d["query"].as_str() else {
                continue;
            };
            if !l.domains.contains(&q.to_ascii_lowercase()) {
                continue;
            }
            involved += 1;
            dns_expected += 1;
            let uid = d["uid"].as_str().unwrap_or("").to_string();
            if sighted.contains(&(uid.clone(), q.to_string(), "DNS::IN_REQUEST".into())) {
                dns_sighted += 1;
            } else {
                failures.push(format!("{rel}: DNS query {q} ({uid}) not sighted"));
            }
        }
        for t in &ssl {
            let Some(sni) = t["server_name"].as_str() else {
                continue;
            };
            if !l.domains.contains(&sni.to_ascii_lowercase()) {
                continue;
            }
            involved += 1;
            sni_expected += 1;
            let uid = t["uid"].as_str().unwrap_or("").to_string();
            if sighted.contains(&(uid.clone(), sni.to_string(), "SSL::IN_SERVER_NAME".into()))
                && alerted.contains(&uid)
            {
                sni_sighted += 1;
            } else {
                failures.push(format!("{rel}: TLS SNI {sni} ({uid}) not sighted"));
            }
        }
        if involved == 0 {
            absent.push(format!("{rel} ({:?} {:?})", l.addrs, l.domains));
        } else if !intel.is_empty() {
            with_hits += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "labelled captures naming attacker/C2 endpoints: {}; feed: {} addresses, {} domains",
        captures.len(),
        all_addrs.len(),
        all_domains.len()
    );
    println!(
        "captures with sightings: {with_hits}/{} (the others' labelled endpoints never appear in their traffic: {})",
        captures.len() - absent.len(),
        absent.len()
    );
    for a in &absent {
        println!("  not in traffic: {a}");
    }
    println!(
        "flows sighted: {flows_sighted}/{flows_expected}; DNS queries sighted: {dns_sighted}/{dns_expected}; TLS server names sighted: {sni_sighted}/{sni_expected}"
    );
    println!("sightings by where: {by_where:?}");
    for f in failures.iter().take(30) {
        println!("  FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} failures (listed above)",
        failures.len()
    );
    assert_eq!(with_hits, captures.len() - absent.len());
    assert!(
        flows_expected > 100,
        "too few flows to say anything: {flows_expected}"
    );
}
