use super::session::DEFAULT_WATCH_NS;
use super::*;
use crate::test_util::unhex;
use crate::{AppRecord, Ctx, Direction, SessionParser};
use std::net::{IpAddr, Ipv4Addr};

/// Zeek corpus Traces/dhcp/dhcp_ack_subscriber_id_and_agent_remote_id.pcap, packet 1: a DHCPACK
/// from 10.10.0.1 with relay agent information (circuit id, remote id, subscriber id).
fn ack_with_relay_info() -> Vec<u8> {
    let mut v = unhex("0201060000003d110000000000000000c0a8000a0000000000000000000a2800fa42");
    v.resize(236, 0);
    v.extend(unhex(
        "638253633501053a04000007083b0400000c2e330400000e1036040a0a00010104ffffff00522401167468\
         6973206973206f6e6c79206120746573742e2e2e02011306072d73756249442dff",
    ));
    v.resize(v.len() + 50, 0);
    v
}

/// Zeek corpus Traces/dhcp/dhcp_inform.pcap, packet 1: DHCPINFORM from 128.2.6.122 (zeros of
/// the sname/file fields elided in the literal, restored by `resize`).
fn inform() -> Vec<u8> {
    let mut v = unhex("01010600a42cec51000000008002067a00000000000000000000000090b11c994929");
    v.resize(236, 0);
    v.extend(unhex("63825363350108370101ff"));
    v
}

#[test]
fn parses_ack_with_relay_agent_information() {
    let m = parse_message(&ack_with_relay_info()).unwrap();
    assert_eq!(m.op, 2);
    assert_eq!(m.xid, 0x3d11);
    assert_eq!(m.yiaddr, Ipv4Addr::new(192, 168, 0, 10));
    assert_eq!(m.mac().as_deref(), Some("00:0a:28:00:fa:42"));
    let o = m.options.as_ref().unwrap();
    assert_eq!(o.msg_type, Some(5));
    assert_eq!(o.lease_time, Some(3600));
    assert_eq!(o.server_id, Some(Ipv4Addr::new(10, 10, 0, 1)));
    assert_eq!(o.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(o.circuit_id.as_deref(), Some("this is only a test..."));
    assert_eq!(o.agent_remote_id.as_deref(), Some("\x13"));
    assert_eq!(o.subscriber_id.as_deref(), Some("-subID-"));
    assert!(!o.truncated);
}

#[test]
fn ack_alone_makes_a_record() {
    let mut s = DhcpSession::new();
    let mut out = Vec::new();
    let ctx = Ctx {
        ts_ns: 5,
        dir: Direction::Orig,
    };
    s.data(ctx, &ack_with_relay_info(), &mut out);
    assert!(out.is_empty());
    assert!(s.confirmed());
    s.end(10, &mut out);
    let [AppRecord::Dhcp(r)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(r.ts_ns, 5);
    assert_eq!(r.msg_types, ["ACK"]);
    assert_eq!(
        r.client_addr,
        Some(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 10)))
    );
    assert_eq!(r.server_addr, Some(IpAddr::V4(Ipv4Addr::new(10, 10, 0, 1))));
    assert_eq!(r.assigned_addr, Some(Ipv4Addr::new(192, 168, 0, 10)));
    assert_eq!(r.lease_time, Some(3600));
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    r.write_json(&mut o);
    o.end();
    assert!(line.contains("\"lease_time\":3600.000000"), "{line}");
    assert!(line.contains("\"msg_types\":[\"ACK\"]"), "{line}");
    assert!(line.contains("\"agent_remote_id\":\"\\u0013\""), "{line}");
}

#[test]
fn inform_and_ack_join_by_xid() {
    let orig = IpAddr::V4(Ipv4Addr::new(128, 2, 6, 122));
    let resp = IpAddr::V4(Ipv4Addr::new(128, 2, 6, 152));
    let mut s = DhcpSession::new().with_addrs(orig, resp);
    let mut out = Vec::new();
    s.data(
        Ctx {
            ts_ns: 1_000,
            dir: Direction::Orig,
        },
        &inform(),
        &mut out,
    );
    // The ACK of the same capture (packet 2) differs in op and carries a server identifier;
    // rebuilt from the INFORM.
    let mut ack = inform();
    ack[0] = 2;
    let n = ack.len();
    ack.truncate(n - 7);
    ack.extend(unhex("350105360480020698ff"));
    s.data(
        Ctx {
            ts_ns: 4_328_000,
            dir: Direction::Resp,
        },
        &ack,
        &mut out,
    );
    s.end(0, &mut out);
    let [AppRecord::Dhcp(r)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(r.msg_types, ["INFORM", "ACK"]);
    assert_eq!(r.client_addr, Some(orig));
    // No address handed out: no server_addr, as in Zeek's baseline.
    assert_eq!(r.server_addr, None);
    assert_eq!(r.duration_ns, 4_327_000);
    assert_eq!(r.mac.as_deref(), Some("90:b1:1c:99:49:29"));
}

#[test]
fn join_limits_start_new_records() {
    let m = parse_message(&inform()).unwrap();
    let mut j = DhcpJoin::new();
    j.max_uids = 2;
    let mut out = Vec::new();
    j.message(0, Some("C1"), None, &m, &mut out);
    j.message(1, Some("C1"), None, &m, &mut out);
    assert!(out.is_empty());
    j.message(2, Some("C2"), None, &m, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].uids, ["C1", "C2"]);
    // Watch time: an old transaction is emitted when time moves on.
    j.message(3, Some("C3"), None, &m, &mut out);
    j.expire(3 + DEFAULT_WATCH_NS + 1, &mut out);
    assert_eq!(out.len(), 2);
}

#[test]
fn client_fqdn_wire_and_ascii() {
    let mut v = inform();
    let n = v.len();
    v.truncate(n - 1);
    // Option 81, E flag: wire-encoded "a.example".
    v.extend(unhex("510d0400000161076578616d706c6500ff"));
    let m = parse_message(&v).unwrap();
    assert_eq!(m.options.unwrap().client_fqdn.as_deref(), Some("a.example"));
    let mut v = inform();
    let n = v.len();
    v.truncate(n - 1);
    v.extend(unhex("51050000006869ff"));
    let m = parse_message(&v).unwrap();
    assert_eq!(m.options.unwrap().client_fqdn.as_deref(), Some("hi"));
}

#[test]
fn every_prefix_is_safe() {
    for msg in [ack_with_relay_info(), inform()] {
        for n in 0..=msg.len() {
            let _ = parse_message(&msg[..n]);
            fuzz(&msg[..n]);
        }
    }
}

#[test]
fn fuzz_pseudo_random() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let base = ack_with_relay_info();
    for round in 0..3000 {
        let mut buf = if round % 2 == 0 {
            base.clone()
        } else {
            vec![0; (x % 600) as usize]
        };
        for _ in 0..1 + round % 16 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if !buf.is_empty() {
                let i = (x as usize) % buf.len();
                buf[i] = (x >> 32) as u8;
            }
        }
        let _ = parse_message(&buf);
        let mut framed = vec![(buf.len() >> 8) as u8, buf.len() as u8];
        framed.extend(&buf);
        fuzz(&framed);
        fuzz(&buf);
    }
}
