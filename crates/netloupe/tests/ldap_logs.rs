//! ldap.log and ldap_search.log through the binary, on LDAP captures of the corpus: LDAP found
//! by content on a port that is not its own, CLDAP over UDP, StartTLS handed to the TLS parser,
//! NTLM of a SASL bind reaching ntlm.log, and no simple-bind password in any log.
//! (Zeek's LDAP baselines are not in the corpus; `crates/proto/tests/ldap_tshark.rs` compares
//! every LDAP message with tshark.)

mod common;

use serde_json::Value;
use std::path::Path;

fn run(name: &str, capture: &str) -> Option<std::path::PathBuf> {
    let corpus = common::corpus_dir()?;
    let input = corpus.join(capture);
    if !input.is_file() {
        println!("skipping: {} missing", input.display());
        return None;
    }
    let out = common::tmp_dir(name);
    common::analyze_ok(&["-C"], &out, &input);
    Some(out)
}

fn log(out: &Path, name: &str) -> Vec<Value> {
    common::read_jsonl(&out.join(format!("{name}.log")))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

#[test]
fn simple_bind_on_another_port() {
    let Some(out) = run(
        "ldap-diff-port",
        "zeek/Traces/ldap/simpleauth-diff-port.pcap",
    ) else {
        return;
    };
    let conn = log(&out, "conn");
    assert_eq!(conn.len(), 1);
    // Zeek 7's name for its LDAP-over-TCP analyzer.
    assert_eq!(s(&conn[0], "service"), "ldap_tcp");
    let l = log(&out, "ldap");
    assert_eq!(l.len(), 2);
    for r in &l {
        assert_eq!(s(r, "uid"), s(&conn[0], "uid"));
        assert_eq!(r["id.resp_p"], 32681);
        assert_eq!(s(r, "opcode"), "bind simple");
        assert_eq!(s(r, "result"), "success");
        assert_eq!(s(r, "argument"), "REDACTED");
        assert_eq!(r["version"], 3);
    }
    let q = log(&out, "ldap_search");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["message_id"], 2);
    assert_eq!(s(&q[0], "scope"), "tree");
    assert_eq!(q[0]["result_count"], 1);
    assert_eq!(
        s(&q[0], "filter"),
        "(&(objectclass=*)(sAMAccountName=xxxxxxxx))"
    );
}

#[test]
fn cldap_ping_over_udp() {
    let Some(out) = run("cldap", "suricata-verify/tests/ldap-udp/cldap.pcap") else {
        return;
    };
    let conn = log(&out, "conn");
    assert_eq!(conn.len(), 1);
    assert_eq!(s(&conn[0], "proto"), "udp");
    assert_eq!(s(&conn[0], "service"), "ldap_udp");
    let q = log(&out, "ldap_search");
    assert_eq!(q.len(), 1);
    assert_eq!(s(&q[0], "scope"), "base");
    assert_eq!(s(&q[0], "result"), "success");
    assert_eq!(
        s(&q[0], "filter"),
        "(&(&(DnsDomain=s4.howto.abartlet.net)(Host=WINDOWS7-3))(NtVer=0x00000016))"
    );
}

#[test]
fn starttls_then_tls() {
    let Some(out) = run("ldap-starttls", "zeek/Traces/ldap/ldap-starttls.pcap") else {
        return;
    };
    let conn = log(&out, "conn");
    assert_eq!(conn.len(), 1);
    let svc: Vec<&str> = s(&conn[0], "service").split(',').collect();
    // Zeek's baseline (scripts.base.protocols.ldap.starttls/conn.log) says "ldap_tcp,ssl".
    assert!(svc.contains(&"ldap_tcp") && svc.contains(&"ssl"), "{svc:?}");
    let l = log(&out, "ldap");
    assert_eq!(l.len(), 1);
    assert_eq!(s(&l[0], "object"), "1.3.6.1.4.1.1466.20037 (StartTLS)");
    assert_eq!(log(&out, "ssl").len(), 1);
}

#[test]
fn sasl_ntlm_bind_reaches_ntlm_log() {
    let Some(out) = run("ldap-sasl-ntlm", "zeek/Traces/ldap/sasl-ntlm.pcap") else {
        return;
    };
    let n = log(&out, "ntlm");
    assert_eq!(n.len(), 1);
    assert_eq!(s(&n[0], "username"), "sasladmin@slapd.ldap");
    assert_eq!(n[0]["success"], true);
    let l = log(&out, "ldap");
    let ops: Vec<&str> = l.iter().map(|r| s(r, "opcode")).collect();
    assert_eq!(ops, ["bind SASL", "bind SASL", "unbind"]);
    assert_eq!(log(&out, "ldap_search").len(), 1);
}

#[test]
fn gss_spnego_carrying_raw_ntlmssp() {
    // As Zeek's baseline scripts.base.protocols.ldap.sasl-gss-spnego-ntlm/ntlm.log: the NTLM
    // CHALLENGE of each connection, no AUTHENTICATE.
    let Some(out) = run(
        "ldap-spnego-ntlm",
        "zeek/Traces/ldap/ctu-60387-63723-ldap.pcap",
    ) else {
        return;
    };
    let n = log(&out, "ntlm");
    let ports: Vec<_> = n.iter().map(|r| r["id.orig_p"].clone()).collect();
    assert_eq!(ports, [60387, 63723]);
    for r in &n {
        assert_eq!(s(r, "server_nb_computer_name"), "STRATOLAB-DC");
        assert_eq!(
            s(r, "server_dns_computer_name"),
            "Stratolab-DC.StratoLab.org"
        );
        assert_eq!(s(r, "server_tree_name"), "StratoLab.org");
        assert!(r.get("username").is_none() && r.get("success").is_none());
    }
}

#[test]
fn sealed_sasl_counted_in_stats() {
    let Some(out) = run("ldap-sealed", "zeek/Traces/ldap/krb5-sign-seal-01.pcap") else {
        return;
    };
    let stats = common::read_json(&out.join("stats.json"));
    let enc = stats["inspection"]["encrypted_bytes"].as_u64().unwrap();
    assert!(enc > 0, "{}", stats["inspection"]);
    // The cleartext before the sealing is logged, as Zeek logs it.
    assert_eq!(log(&out, "ldap").len(), 1);
    assert_eq!(log(&out, "ldap_search").len(), 1);
}
