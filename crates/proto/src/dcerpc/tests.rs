//! DCE/RPC parser tests over real bytes: the drsuapi association of Zeek's
//! `Traces/dce-rpc/cs_window7-join_stream092.pcap` (frames 4-16: bind with Kerberos auth,
//! bind_ack with secondary address `\PIPE\drsuapi`, alter_context, and DRSBind, DRSCrackNames,
//! DRSUnbind requests and responses).

use super::names::{interface, operation_name};
use super::pdu::{self, ptype};
use super::*;
use crate::{AppRecord, Ctx, Direction, SessionParser};

/// (frame, ts_ns, direction, payload) from testdata (produced with tshark `-e tcp.payload`).
fn frames() -> Vec<(u32, i64, Direction, Vec<u8>)> {
    include_str!("testdata/cs_window7-join_stream092.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let (s, ns) = f[1].split_once('.').unwrap();
            let ts = s.parse::<i64>().unwrap() * 1_000_000_000 + ns[..9].parse::<i64>().unwrap();
            let dir = if f[2] == "O" {
                Direction::Orig
            } else {
                Direction::Resp
            };
            let hex = f[3].as_bytes();
            let bytes = hex
                .chunks(2)
                .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
                .collect();
            (f[0].parse().unwrap(), ts, dir, bytes)
        })
        .collect()
}

fn run(chunks: &[(i64, Direction, &[u8])]) -> (DceRpcSession, Vec<DceRpcRecord>) {
    let mut s = DceRpcSession::new();
    let mut out = Vec::new();
    for (ts, dir, b) in chunks {
        s.data(
            Ctx {
                ts_ns: *ts,
                dir: *dir,
            },
            b,
            &mut out,
        );
    }
    s.end(0, &mut out);
    let recs = out
        .into_iter()
        .map(|r| match r {
            AppRecord::DceRpc(r) => r,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (s, recs)
}

#[test]
fn drsuapi_association_as_zeek_logs_it() {
    let fr = frames();
    let chunks: Vec<(i64, Direction, &[u8])> = fr
        .iter()
        .map(|(_, t, d, b)| (*t, *d, b.as_slice()))
        .collect();
    let (mut s, recs) = run(&chunks);
    assert!(s.confirmed());
    let ops: Vec<_> = recs.iter().map(|r| r.operation.clone().unwrap()).collect();
    assert_eq!(ops, ["DRSBind", "DRSCrackNames", "DRSUnbind"]);
    // Zeek's baseline (scripts.base.protocols.dce-rpc.context): rtt 0.005544, 0.000788, 0.000580.
    let rtts: Vec<i64> = recs.iter().map(|r| r.rtt_ns.unwrap() / 1000).collect();
    assert_eq!(rtts, [5544, 788, 580]);
    for r in &recs {
        assert_eq!(r.named_pipe.as_deref(), Some("\\PIPE\\drsuapi"));
        assert_eq!(r.endpoint.as_deref(), Some("drsuapi"));
        assert_eq!(
            r.uuid.as_deref(),
            Some("e3514235-4b06-11d1-ab04-00c04fc2dcd2")
        );
    }
    // Kerberos tokens (auth_type 9, SPNEGO) of bind, bind_ack, alter_context, alter_resp.
    let blobs = s.take_auth_blobs();
    assert_eq!(blobs.len(), 4);
    assert!(blobs
        .iter()
        .all(|b| b.auth_type == pdu::AUTHN_GSS_NEGOTIATE));
    assert!(blobs.iter().all(|b| b.ntlmssp().is_none()));
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    recs[0].write_json(&mut o);
    o.end();
    assert_eq!(
        line,
        r#"{"rtt":0.005544,"named_pipe":"\\PIPE\\drsuapi","endpoint":"drsuapi","operation":"DRSBind"}"#
    );
}

#[test]
fn pdu_fields_of_the_bind_and_bind_ack() {
    let fr = frames();
    // Frame 4 is the bind's first segment (the bind spans frames 4 and 6).
    let bind: Vec<u8> = [fr[0].3.clone(), fr[1].3.clone()].concat();
    let h = pdu::parse_header(&bind).unwrap();
    assert_eq!(
        (h.ptype, h.frag_len as usize, h.call_id),
        (ptype::BIND, bind.len(), 2)
    );
    let ctx = pdu::bind_contexts(&h, &bind);
    assert_eq!(ctx.len(), 3);
    assert!(ctx
        .iter()
        .all(|c| c.uuid == "e3514235-4b06-11d1-ab04-00c04fc2dcd2"));
    assert_eq!(ctx[0].version, 4);
    let ack = &fr[2].3;
    let h = pdu::parse_header(ack).unwrap();
    let (sec, results) = pdu::bind_ack(&h, ack).unwrap();
    assert_eq!(sec, "\\PIPE\\drsuapi");
    // This server answers the three proposed contexts with a single (accepted) result.
    assert_eq!(results, [0]);
}

#[test]
fn byte_by_byte_and_every_prefix() {
    let fr = frames();
    let stream: Vec<(Direction, u8)> = fr
        .iter()
        .flat_map(|(_, _, d, b)| b.iter().map(move |&x| (*d, x)))
        .collect();
    // One byte per delivery gives the same records.
    let chunks: Vec<(i64, Direction, Vec<u8>)> =
        stream.iter().map(|(d, x)| (1, *d, vec![*x])).collect();
    let refs: Vec<(i64, Direction, &[u8])> = chunks
        .iter()
        .map(|(t, d, b)| (*t, *d, b.as_slice()))
        .collect();
    let (_, recs) = run(&refs);
    assert_eq!(recs.len(), 3);
    // Every prefix of each PDU stream: no panic.
    for (_, _, d, b) in &fr {
        for n in 0..b.len() {
            let _ = run(&[(1, *d, &b[..n])]);
        }
    }
}

#[test]
fn gap_resynchronises_on_a_header() {
    let fr = frames();
    let mut s = DceRpcSession::new();
    let mut out = Vec::new();
    for (i, (_, ts, d, b)) in fr.iter().enumerate() {
        if i == 5 {
            // The first DRSBind request is lost mid-PDU.
            s.data(
                Ctx {
                    ts_ns: *ts,
                    dir: *d,
                },
                &b[..10],
                &mut out,
            );
            s.gap(*d, (b.len() - 10) as u64);
            continue;
        }
        s.data(
            Ctx {
                ts_ns: *ts,
                dir: *d,
            },
            b,
            &mut out,
        );
    }
    s.end(0, &mut out);
    assert!(!s.violated());
    assert_eq!(out.len(), 2);
}

#[test]
fn not_rpc_is_a_violation() {
    let (s, recs) = run(&[(1, Direction::Orig, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")]);
    assert!(s.violated() && !s.confirmed() && recs.is_empty());
}

#[test]
fn names_from_the_specifications() {
    let svcctl = "367abb81-9844-35f1-ad32-98f038001003";
    assert_eq!(operation_name(svcctl, 12), "CreateServiceW");
    assert_eq!(operation_name(svcctl, 15), "OpenSCManagerW");
    assert_eq!(operation_name(svcctl, 19), "StartServiceW");
    assert_eq!(operation_name(svcctl, 10), "unknown-10");
    let nl = "12345678-1234-abcd-ef00-01234567cffb";
    assert_eq!(operation_name(nl, 4), "NetrServerReqChallenge");
    assert_eq!(operation_name(nl, 26), "NetrServerAuthenticate3");
    assert_eq!(operation_name(nl, 30), "NetrServerPasswordSet2");
    assert_eq!(operation_name(nl, 45), "NetrLogonSamLogonWithFlags");
    let sp = "12345678-1234-abcd-ef00-0123456789ab";
    assert_eq!(
        operation_name(sp, 62),
        "RpcRemoteFindFirstPrinterChangeNotification"
    );
    assert_eq!(
        operation_name(sp, 65),
        "RpcRemoteFindFirstPrinterChangeNotificationEx"
    );
    assert_eq!(
        operation_name("e3514235-4b06-11d1-ab04-00c04fc2dcd2", 3),
        "DRSGetNCChanges"
    );
    assert_eq!(
        operation_name("1ff70682-0a51-30e8-076d-740be8cee98b", 0),
        "NetrJobAdd"
    );
    assert_eq!(
        operation_name("86d35949-83c9-4044-b424-db363231fd0c", 1),
        "SchRpcRegisterTask"
    );
    assert_eq!(
        operation_name("e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3),
        "ept_map"
    );
    assert_eq!(
        operation_name("000001a0-0000-0000-c000-000000000046", 4),
        "RemoteCreateInstance"
    );
    assert_eq!(
        operation_name("9556dc99-828c-11cf-a37e-00aa003240c7", 24),
        "ExecMethod"
    );
    assert_eq!(
        operation_name("12345778-1234-abcd-ef00-0123456789ac", 13),
        "SamrEnumerateUsersInDomain"
    );
    assert_eq!(
        operation_name("12345778-1234-abcd-ef00-0123456789ab", 76),
        "LsarLookupSids3"
    );
    assert_eq!(
        operation_name("4b324fc8-1670-01d3-1278-5a47bf6ee188", 15),
        "NetrShareEnum"
    );
    assert_eq!(
        operation_name("6bffd098-a112-3610-9833-46c3f87e345a", 2),
        "NetrWkstaUserEnum"
    );
    // Every table is unique per UUID.
    for i in names::INTERFACES {
        assert!(std::ptr::eq(interface(i.uuid).unwrap(), i), "{}", i.uuid);
    }
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn fuzz_body_survives_random_and_mutated_inputs() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let real: Vec<u8> = frames().into_iter().flat_map(|f| f.3).collect();
    for i in 0..3000 {
        let mut v: Vec<u8> = if i % 2 == 0 {
            (0..rng.next() % 600).map(|_| rng.next() as u8).collect()
        } else {
            let start = rng.next() as usize % real.len();
            let len = rng.next() as usize % 3000;
            let mut v = vec![rng.next() as u8];
            v.extend_from_slice(&real[start..(start + len).min(real.len())]);
            v
        };
        for _ in 0..rng.next() % 6 {
            if v.len() > 1 {
                let at = 1 + rng.next() as usize % (v.len() - 1);
                v[at] = rng.next() as u8;
            }
        }
        fuzz(&v);
    }
}
