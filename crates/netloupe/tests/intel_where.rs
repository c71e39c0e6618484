//! Every place an indicator can appear, on real captures: a first run collects values from
//! the logs (DNS queries and answers, HTTP hosts, URLs and user agents, TLS server names over
//! TCP and QUIC, JA3/JA3S/JA4, certificate fingerprints, SSH HASSH, file digests, SMTP
//! addresses, connection endpoints); the values are written into feeds of three formats (a
//! STIX 2.1 bundle, a MISP event, a Zeek intel file); a second run with the feeds must sight
//! every value on the record it came from (same uid), at Zeek's `seen.where`, with the right
//! feed in `sources`.

mod common;

use common::{analyze_ok, corpus_dir, read_jsonl, tmp_dir};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// A value a feed will list and where the second run must see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    uid: String,
    where_: &'static str,
    /// The value in the feed.
    value: String,
    feed: &'static str,
}

fn s(v: &Value) -> Option<String> {
    v.as_str().filter(|x| !x.is_empty()).map(str::to_string)
}

/// STIX patterning string literal.
fn lit(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Values of one capture's logs, with the feed each goes into.
fn collect(out: &Path) -> Vec<Expect> {
    let mut e = Vec::new();
    let mut add = |uid: &Value, where_: &'static str, value: String, feed: &'static str| {
        if let Some(uid) = s(uid) {
            e.push(Expect {
                uid,
                where_,
                value,
                feed,
            });
        }
    };
    for r in read_jsonl(&out.join("dns.log")).iter().take(3) {
        if let Some(q) = s(&r["query"]) {
            add(&r["uid"], "DNS::IN_REQUEST", q, "stix");
        }
        for a in r["answers"].as_array().into_iter().flatten() {
            if let Some(a) = a.as_str().filter(|a| a.parse::<std::net::IpAddr>().is_ok()) {
                add(&r["uid"], "DNS::IN_RESPONSE", a.to_string(), "stix");
                break;
            }
        }
    }
    for r in read_jsonl(&out.join("http.log")).iter().take(3) {
        if let Some(h) = s(&r["host"]) {
            if h.parse::<std::net::IpAddr>().is_err() {
                add(&r["uid"], "HTTP::IN_HOST_HEADER", h.clone(), "stix");
                if let Some(u) = s(&r["uri"]).filter(|u| u.starts_with('/')) {
                    add(&r["uid"], "HTTP::IN_URL", format!("http://{h}{u}"), "stix");
                }
            }
        }
        if let Some(ua) = s(&r["user_agent"]) {
            add(&r["uid"], "HTTP::IN_USER_AGENT_HEADER", ua, "misp");
        }
    }
    for r in read_jsonl(&out.join("ssl.log")).iter().take(3) {
        if let Some(n) = s(&r["server_name"]) {
            add(&r["uid"], "SSL::IN_SERVER_NAME", n, "stix");
        }
        if let Some(j) = s(&r["ja3"]) {
            add(&r["uid"], "SSL::IN_JA3", j, "misp");
        }
        if let Some(j) = s(&r["ja3s"]) {
            add(&r["uid"], "SSL::IN_JA3S", j, "zeek");
        }
        if let Some(j) = s(&r["ja4"]) {
            add(&r["uid"], "SSL::IN_JA4", j, "zeek");
        }
    }
    for r in read_jsonl(&out.join("x509.log")).iter().take(2) {
        if let Some(f) = s(&r["fingerprint"]) {
            add(&r["uid"], "X509::IN_CERT", f, "stix");
        }
    }
    for r in read_jsonl(&out.join("ssh.log")).iter().take(2) {
        if let Some(h) = s(&r["hassh"]) {
            add(&r["uid"], "SSH::IN_HASSH", h, "misp");
        }
        if let Some(h) = s(&r["hasshServer"]) {
            add(&r["uid"], "SSH::IN_HASSH_SERVER", h, "misp");
        }
    }
    for r in read_jsonl(&out.join("files.log")).iter().take(3) {
        let uid = r["uid"].clone();
        if let Some(h) = s(&r["md5"]) {
            add(&uid, "Files::IN_HASH", h, "stix");
        }
        if let Some(h) = s(&r["sha1"]) {
            add(&uid, "Files::IN_HASH", h, "misp");
        }
        if let Some(h) = s(&r["sha256"]) {
            add(&uid, "Files::IN_HASH", h, "zeek");
        }
    }
    for r in read_jsonl(&out.join("smtp.log")).iter().take(2) {
        if let Some(m) = s(&r["mailfrom"]) {
            add(&r["uid"], "SMTP::IN_MAIL_FROM", m, "stix");
        }
        for t in r["rcptto"].as_array().into_iter().flatten().take(1) {
            if let Some(t) = s(t) {
                add(&r["uid"], "SMTP::IN_RCPT_TO", t, "misp");
            }
        }
    }
    if let Some(r) = read_jsonl(&out.join("conn.log")).first() {
        if let Some(a) = s(&r["id.resp_h"]) {
            add(&r["uid"], "Conn::IN_RESP", a, "zeek");
        }
    }
    e
}

/// The feeds listing `values`: a STIX 2.1 bundle, a MISP event and a Zeek intel file.
fn write_feeds(dir: &Path, values: &[Expect]) {
    let mut objects = Vec::new();
    let mut attrs = Vec::new();
    let mut zeek = String::from("#fields\tindicator\tindicator_type\tmeta.source\n");
    for (i, v) in values.iter().enumerate() {
        let val = &v.value;
        match v.feed {
            "stix" => {
                let path = match v.where_ {
                    "DNS::IN_REQUEST" | "HTTP::IN_HOST_HEADER" | "SSL::IN_SERVER_NAME" => {
                        "domain-name:value".to_string()
                    }
                    "DNS::IN_RESPONSE" if val.contains(':') => "ipv6-addr:value".into(),
                    "DNS::IN_RESPONSE" => "ipv4-addr:value".into(),
                    "HTTP::IN_URL" => "url:value".into(),
                    "X509::IN_CERT" => "x509-certificate:hashes.'SHA-256'".into(),
                    "Files::IN_HASH" => "file:hashes.MD5".into(),
                    "SMTP::IN_MAIL_FROM" => "email-addr:value".into(),
                    w => panic!("no STIX path for {w}"),
                };
                objects.push(json!({
                    "type": "indicator",
                    "spec_version": "2.1",
                    "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                    "created": "2020-01-01T00:00:00.000Z",
                    "modified": "2020-01-01T00:00:00.000Z",
                    "pattern": format!("[{path} = {}]", lit(val)),
                    "pattern_type": "stix",
                    "valid_from": "2000-01-01T00:00:00Z",
                    "indicator_types": ["malicious-activity"],
                }));
            }
            "misp" => {
                let ty = match v.where_ {
                    "HTTP::IN_USER_AGENT_HEADER" => "user-agent",
                    "SSL::IN_JA3" => "ja3-fingerprint-md5",
                    "SSH::IN_HASSH" => "hassh-md5",
                    "SSH::IN_HASSH_SERVER" => "hasshserver-md5",
                    "Files::IN_HASH" => "sha1",
                    "SMTP::IN_RCPT_TO" => "email-dst",
                    w => panic!("no MISP type for {w}"),
                };
                attrs.push(json!({"type": ty, "category": "Network activity", "to_ids": true, "value": val}));
            }
            _ => {
                let ty = match v.where_ {
                    "SSL::IN_JA3S" => "Intel::JA3S",
                    "SSL::IN_JA4" => "Intel::JA4",
                    "Files::IN_HASH" => "Intel::FILE_HASH",
                    "Conn::IN_RESP" => "Intel::ADDR",
                    w => panic!("no Zeek type for {w}"),
                };
                zeek.push_str(&format!("{val}\t{ty}\twhere-test\n"));
            }
        }
    }
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects});
    std::fs::write(dir.join("bundle.json"), bundle.to_string()).unwrap();
    let event = json!({"Event": {"info": "where test", "threat_level_id": "2", "uuid": "5f0c0000-0000-4000-8000-000000000001", "Attribute": attrs}});
    std::fs::write(dir.join("event.json"), event.to_string()).unwrap();
    std::fs::write(dir.join("feed.intel"), zeek).unwrap();
}

#[test]
fn every_kind_of_value_is_sighted_where_it_was_seen() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let captures = [
        "zeek/Traces/http/bro.org.pcap",
        "zeek/Traces/tls/chrome-34-google.pcap",
        "zeek/Traces/smtp.pcap",
        "zeek/Traces/quic/chromium-115.0.5790.110-api-cirrus-com.pcap",
        "zeek/Traces/ssh/single-conn.pcap",
        "zeek/Traces/dns53.pcap",
    ];
    let dir = tmp_dir("intel-where");
    let mut all = Vec::new();
    let mut per_capture = Vec::new();
    for (i, c) in captures.iter().enumerate() {
        let path = corpus.join(c);
        if !path.is_file() {
            println!("skipping {c}: not in the corpus");
            continue;
        }
        let out = dir.join(format!("a{i}"));
        analyze_ok(&["-q"], &out, &path);
        let e = collect(&out);
        all.extend(e.iter().cloned());
        per_capture.push((path, e));
    }
    let wheres: BTreeSet<&str> = all.iter().map(|e| e.where_).collect();
    println!("values listed: {}, places: {wheres:?}", all.len());
    for w in [
        "DNS::IN_REQUEST",
        "DNS::IN_RESPONSE",
        "HTTP::IN_HOST_HEADER",
        "HTTP::IN_URL",
        "HTTP::IN_USER_AGENT_HEADER",
        "SSL::IN_SERVER_NAME",
        "SSL::IN_JA3",
        "SSL::IN_JA3S",
        "SSL::IN_JA4",
        "X509::IN_CERT",
        "SSH::IN_HASSH",
        "SSH::IN_HASSH_SERVER",
        "Files::IN_HASH",
        "SMTP::IN_MAIL_FROM",
        "SMTP::IN_RCPT_TO",
        "Conn::IN_RESP",
    ] {
        assert!(wheres.contains(w), "the chosen captures show no {w}");
    }
    write_feeds(&dir, &all);
    let feed_names = [
        ("stix", "bundle.json"),
        ("misp", "event.json"),
        ("zeek", "feed.intel"),
    ];
    let mut missing = Vec::new();
    let mut found = 0;
    for (i, (path, expects)) in per_capture.iter().enumerate() {
        let out = dir.join(format!("b{i}"));
        let mut args = vec!["-q".to_string()];
        for (_, f) in feed_names {
            args.push("--intel".into());
            args.push(dir.join(f).display().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        analyze_ok(&args, &out, path);
        let intel = read_jsonl(&out.join("intel.log"));
        for e in expects {
            let file = feed_names.iter().find(|(n, _)| *n == e.feed).unwrap().1;
            let hit = intel.iter().any(|r| {
                r["uid"] == e.uid.as_str()
                    && r["seen.where"] == e.where_
                    && r["sources"]
                        .as_array()
                        .is_some_and(|s| s.iter().any(|x| x == file))
            });
            if hit {
                found += 1;
            } else {
                missing.push(format!(
                    "{}: {} {} ({}) not sighted",
                    path.file_name().unwrap().to_string_lossy(),
                    e.where_,
                    e.value,
                    e.uid
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("sighted {found}/{}", all.len());
    for m in &missing {
        println!("  MISSING {m}");
    }
    assert!(missing.is_empty(), "{} values not sighted", missing.len());
}
