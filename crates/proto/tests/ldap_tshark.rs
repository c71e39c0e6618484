//! LDAP messages compared with tshark's dissection.
//!
//! Zeek's LDAP baselines are not in the corpus, so the reference is Wireshark's LDAP/CLDAP
//! dissector: for every capture of [`CAPTURES`], `tshark -Y "ldap || cldap"` lists each
//! message's id, operation, search base and result code; the same capture's TCP connections
//! (payloads per direction in capture order) and UDP datagrams go to an `LdapSession`, which
//! lists the messages it parsed. A tshark message "agrees" when the same connection has a
//! message of ours with equal id, operation, base object and result code (multiset matching,
//! so order across directions does not matter). The share of tshark's messages that agree is
//! printed per capture and overall and kept from regressing by [`FLOOR`].
//!
//! Skipped (with a message) when tshark or the corpus is missing.

mod tcp_trace;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::ldap::{LdapSession, TracedMessage};
use netloupe_proto::{Ctx, Direction, SessionParser};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

/// Share of tshark's messages we parse identically, as reached on the corpus of this writing
/// (1422/1429: the 7 others are ndpi/pcap/kerberos.pcap's bind responses, whose requests are
/// not LDAP, so the connection is a violation from its first message).
const FLOOR: f64 = 1422.0 / 1429.0;

/// Every corpus capture in which tshark finds LDAP or CLDAP: the MANIFEST's LDAP entries and
/// those found by a scan of the 2,058 corpus captures (`tshark -Y "ldap || cldap"` on each, or,
/// for the suricata-verify and Zeek parts, on those where tcpdump sees port 389 or 3268).
const CAPTURES: &[&str] = &[
    "ndpi/pcap/kerberos.pcap",
    "suricata-verify/tests/detect-ldap-result/ldap.pcap",
    "suricata-verify/tests/ldap-abandon/ldap.pcap",
    "suricata-verify/tests/ldap-add/ldap.pcap",
    "suricata-verify/tests/ldap-bind/ldap.pcap",
    "suricata-verify/tests/ldap-compare/ldap.pcap",
    "suricata-verify/tests/ldap-delete/ldap.pcap",
    "suricata-verify/tests/ldap-extended/ldap.pcap",
    "suricata-verify/tests/ldap-modify-dn/ldap.pcap",
    "suricata-verify/tests/ldap-modify/ldap.pcap",
    "suricata-verify/tests/ldap-search/ldap.pcap",
    "suricata-verify/tests/ldap-starttls/input.pcap",
    "suricata-verify/tests/ldap-udp/cldap.pcap",
    "suricata-verify/tests/ldap-unbind/ldap.pcap",
    "suricata-verify/tests/ldap-unsolicited/ldap.pcap",
    "suricata-verify/tests/krb5-request-frag-log/krb5-frag.pcap",
    "zeek/Traces/ldap/aduser1-ntlm.pcap",
    "zeek/Traces/ldap/aduser1.pcap",
    "zeek/Traces/ldap/asn1-max-recursion.pcap",
    "zeek/Traces/ldap/ctu-60387-63723-ldap.pcap",
    "zeek/Traces/ldap/ctu-sme-11-win7ad-1-ldap-tcp-50041.pcap",
    "zeek/Traces/ldap/gap-data-missing.pcapng",
    "zeek/Traces/ldap/issue-32.pcapng",
    "zeek/Traces/ldap/krb5-sign-seal-01.pcap",
    "zeek/Traces/ldap/ldap-add.pcap",
    "zeek/Traces/ldap/ldap-max-recursion.pcap",
    "zeek/Traces/ldap/ldap-starttls.pcap",
    "zeek/Traces/ldap/ldap-who-am-i.pcap",
    "zeek/Traces/ldap/ldap_escaping_test.pcapng",
    "zeek/Traces/ldap/ldap_invalid_credentials.pcap",
    "zeek/Traces/ldap/ldap_search_umlaut.pcap",
    "zeek/Traces/ldap/ldap_star_single.pcapng",
    "zeek/Traces/ldap/missing_krbtgt_ldap_request.pcapng",
    "zeek/Traces/ldap/missing_ldap_logs.pcapng",
    "zeek/Traces/ldap/modify-request.pcapng",
    "zeek/Traces/ldap/pending-adds-10.pcap",
    "zeek/Traces/ldap/pending-searches-10.pcap",
    "zeek/Traces/ldap/sasl-ntlm.pcap",
    "zeek/Traces/ldap/sasl-scram-sha-512.pcap",
    "zeek/Traces/ldap/sasl-srp-who-am-i.pcap",
    "zeek/Traces/ldap/simpleauth.pcap",
    "labeled/eternalsafety/tests/traces/eternalchampion.pcap",
    "labeled/pcap-attack/CredAccess/DCShadow_add_primarygroupid_512_to_std_account.pcapng",
];

type Endpoint = (IpAddr, u16);
/// (udp, lower endpoint, higher endpoint).
type Key = (bool, Endpoint, Endpoint);

fn key(udp: bool, a: Endpoint, b: Endpoint) -> Key {
    if a <= b {
        (udp, a, b)
    } else {
        (udp, b, a)
    }
}

/// (message id, operation, base object, result code), as both sides list them.
type Msg = (i64, u32, Option<String>, Option<i64>);

fn last(s: &str) -> &str {
    s.rsplit('|').next().unwrap_or("")
}

/// tshark's LDAP messages of a capture, by connection. `None` when tshark cannot run.
fn tshark(path: &Path) -> Option<HashMap<Key, Vec<Msg>>> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-Y", "ldap || cldap", "-T", "fields"])
        .args([
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=|",
            "-E",
            "separator=/t",
        ])
        .args([
            "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
        ])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport"])
        .args(["-e", "udp.srcport", "-e", "udp.dstport"])
        .args(["-e", "ldap.messageID", "-e", "ldap.protocolOp"])
        .args(["-e", "ldap.baseObject", "-e", "ldap.resultCode"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut map: HashMap<Key, Vec<Msg>> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 12 {
            continue;
        }
        let src = if f[0].is_empty() { f[1] } else { f[0] };
        let dst = if f[2].is_empty() { f[3] } else { f[2] };
        let (Ok(src), Ok(dst)) = (last(src).parse::<IpAddr>(), last(dst).parse::<IpAddr>()) else {
            continue;
        };
        let udp = f[4].is_empty();
        let (sp, dp) = if udp { (f[6], f[7]) } else { (f[4], f[5]) };
        let (Ok(sp), Ok(dp)) = (last(sp).parse::<u16>(), last(dp).parse::<u16>()) else {
            continue;
        };
        let ids: Vec<&str> = f[8].split('|').filter(|s| !s.is_empty()).collect();
        let ops: Vec<&str> = f[9].split('|').filter(|s| !s.is_empty()).collect();
        let mut bases = f[10].split('|');
        let mut codes = f[11].split('|').filter(|s| !s.is_empty());
        let conn = map.entry(key(udp, (src, sp), (dst, dp))).or_default();
        for (id, o) in ids.iter().zip(&ops) {
            let (Ok(id), Ok(o)) = (id.parse::<i64>(), o.parse::<u32>()) else {
                continue;
            };
            let base = (o == 3).then(|| bases.next().unwrap_or("").to_string());
            let code = matches!(o, 1 | 5 | 7 | 9 | 11 | 13 | 15 | 24)
                .then(|| codes.next().and_then(|c| c.parse().ok()))
                .flatten();
            conn.push((id, o, base, code));
        }
    }
    Some(map)
}

fn summary(t: &TracedMessage) -> Msg {
    (t.message_id, t.opcode, t.base_object.clone(), t.result_code)
}

/// Our messages of a capture, by connection: TCP payloads per direction in capture order,
/// each UDP datagram whole.
fn ours(path: &Path) -> HashMap<Key, Vec<Msg>> {
    let mut map: HashMap<Key, Vec<Msg>> = HashMap::new();
    for c in tcp_trace::read_tcp(path) {
        let mut s = LdapSession::new(true).trace_messages();
        let mut out = Vec::new();
        for (ts, dir, bytes) in &c.events {
            s.data(
                Ctx {
                    ts_ns: *ts,
                    dir: *dir,
                },
                bytes,
                &mut out,
            );
        }
        s.end(0, &mut out);
        let (a, ap, b, bp) = c.orig;
        map.entry(key(false, (a, ap), (b, bp)))
            .or_default()
            .extend(s.traced().iter().map(summary));
    }
    let Ok(mut f) = CaptureFile::open(path) else {
        return map;
    };
    let mut dec = Decoder::new(DecodeConfig {
        verify_checksums: false,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    while let Ok(Some(p)) = f.next_packet() {
        anomalies.clear();
        let Decoded::Ip(ip) = dec.decode(p.ts_ns, p.linktype, p.data, &mut anomalies) else {
            continue;
        };
        let Transport::Udp { src_port, dst_port } = ip.transport else {
            continue;
        };
        if src_port != 389 && dst_port != 389 {
            continue;
        }
        let mut s = LdapSession::new(false).trace_messages();
        let mut out = Vec::new();
        let ctx = Ctx {
            ts_ns: p.ts_ns,
            dir: Direction::Orig,
        };
        s.data(ctx, ip.payload, &mut out);
        map.entry(key(true, (ip.ip.src, src_port), (ip.ip.dst, dst_port)))
            .or_default()
            .extend(s.traced().iter().map(summary));
    }
    map
}

#[test]
fn ldap_messages_agree_with_tshark() {
    if Command::new("tshark").arg("-v").output().is_err() {
        println!("SKIP: tshark not installed");
        return;
    }
    let paths: Vec<PathBuf> = CAPTURES
        .iter()
        .map(|c| Path::new(CORPUS).join(c))
        .filter(|p| p.exists())
        .collect();
    if paths.is_empty() {
        println!("SKIP: corpus missing");
        return;
    }
    let (mut total, mut agree, mut extra) = (0usize, 0usize, 0usize);
    for p in &paths {
        let Some(theirs) = tshark(p) else {
            println!("  tshark failed on {}", p.display());
            continue;
        };
        let mut mine = ours(p);
        let (mut t, mut a) = (0, 0);
        let mut diffs = Vec::new();
        for (k, msgs) in &theirs {
            let pool = mine.entry(*k).or_default();
            for m in msgs {
                t += 1;
                if let Some(i) = pool.iter().position(|x| x == m) {
                    pool.swap_remove(i);
                    a += 1;
                } else if diffs.len() < 3 {
                    diffs.push(format!("{m:?}"));
                }
            }
        }
        let e: usize = mine.values().map(Vec::len).sum();
        let name = p.strip_prefix(CORPUS).unwrap_or(p).display().to_string();
        println!(
            "  {name}: {a}/{t} agree, {e} more of ours; {}",
            diffs.join(" ")
        );
        total += t;
        agree += a;
        extra += e;
    }
    let share = if total == 0 {
        1.0
    } else {
        agree as f64 / total as f64
    };
    println!(
        "ldap vs tshark: {agree}/{total} messages agree ({:.1}%) over {} captures; {extra} messages parsed by us only",
        share * 100.0,
        paths.len()
    );
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}
