//! Protocols off their registered ports, through the binary: nDPI's `tls_port_80.pcapng` (a
//! TLS session to port 80, which nDPI flags "Known Proto on Non Std Port") gets conn.log
//! `off_port_services: ["ssl"]` and `port_expected_services: ["http"]`, counted in stats.json;
//! of `ssh.pcap`'s two SSH connections, the one to port 22 gets neither and the one to port
//! 8000 (customary for HTTP) both. The corpus-wide comparison with nDPI's risk flag is
//! in `ndpi_services.rs`.

mod common;

fn run(capture: &str) -> Option<(Vec<serde_json::Value>, serde_json::Value)> {
    let pcap = common::corpus_dir()?.join("ndpi/pcap").join(capture);
    if !pcap.is_file() {
        println!("skipping {capture}: not in the corpus");
        return None;
    }
    let out = common::tmp_dir(&format!("port-use-{capture}"));
    common::analyze_ok(&["-C"], &out, &pcap);
    Some((
        common::read_jsonl(&out.join("conn.log")),
        common::read_json(&out.join("stats.json")),
    ))
}

#[test]
fn tls_to_port_80_is_off_its_port_and_port_80_missed_http() {
    let Some((conns, stats)) = run("tls_port_80.pcapng") else {
        return;
    };
    let flagged: Vec<_> = conns
        .iter()
        .filter(|c| c.get("off_port_services").is_some())
        .collect();
    assert_eq!(flagged.len(), 1, "{conns:?}");
    let c = flagged[0];
    assert_eq!(c["id.resp_p"], 80);
    assert_eq!(c["service"], "ssl");
    assert_eq!(c["off_port_services"], serde_json::json!(["ssl"]));
    assert_eq!(c["port_expected_services"], serde_json::json!(["http"]));
    let pu = &stats["inspection"]["port_use"];
    assert_eq!(pu["off_port"], 1, "{pu}");
    assert_eq!(pu["port_mismatch"], 1, "{pu}");
}

#[test]
fn ssh_on_its_own_port_is_not_flagged_and_on_8000_is() {
    let Some((conns, stats)) = run("ssh.pcap") else {
        return;
    };
    let ssh = |port: u64| {
        conns
            .iter()
            .find(|c| c["service"] == "ssh" && c["id.resp_p"] == port)
            .unwrap_or_else(|| panic!("ssh.pcap has SSH to port {port}: {conns:?}"))
    };
    let own = ssh(22);
    assert!(own.get("off_port_services").is_none(), "{own}");
    assert!(own.get("port_expected_services").is_none(), "{own}");
    let other = ssh(8000);
    assert_eq!(other["off_port_services"], serde_json::json!(["ssh"]));
    assert_eq!(other["port_expected_services"], serde_json::json!(["http"]));
    assert_eq!(stats["inspection"]["port_use"]["off_port"], 1);
}
