//! NTLM and Kerberos records as the carrying protocols' parsers route them, compared with
//! Zeek's ntlm.log and kerberos.log baselines.
//!
//! Unlike ntlm_zeek.rs and kerberos_zeek.rs (which search the streams and call the trackers
//! directly), every TCP payload of a baseline's trace is fed, in capture order, to the
//! session parser of its connection: `SmbSession` on ports 139/445, `HttpSession` on 80/8080,
//! else `DceRpcSession` (the traces are RPC on dynamic endpoints); the `AppRecord::Ntlm` and
//! `AppRecord::Kerberos` records they emit (data and end) are matched with Zeek's rows by
//! connection endpoints (either order), then greedily by the number of equal fields. As in
//! ntlm_zeek.rs, packets with bad checksums are dropped or kept, whichever agrees better
//! (Zeek's tests run some traces with -C).

mod zeek_log;
use zeek_log::*;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::dcerpc::DceRpcSession;
use netloupe_proto::http::HttpSession;
use netloupe_proto::kerberos::KerberosRecord;
use netloupe_proto::ntlm::NtlmRecord;
use netloupe_proto::smb::SmbSession;
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::HashMap;
use std::fmt::Debug;
use std::net::IpAddr;
use std::path::Path;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");
/// Share of Zeek's ntlm.log records found with all compared fields equal (reached: 1.0).
const NTLM_FLOOR: f64 = 1.0;
/// Same for kerberos.log records of connections that are not Kerberos on port 88 (reached:
/// 1.0).
const KRB_FLOOR: f64 = 1.0;

type Endpoint = (IpAddr, u16);
type Key = (Endpoint, Endpoint);

struct Conn {
    orig: Endpoint,
    parser: Box<dyn SessionParser>,
}

#[derive(Default)]
struct Recs {
    ntlm: Vec<(Key, NtlmRecord)>,
    krb: Vec<(Key, KerberosRecord)>,
}

fn collect(key: Key, out: &mut Vec<AppRecord>, r: &mut Recs) {
    for a in out.drain(..) {
        match a {
            AppRecord::Ntlm(n) => r.ntlm.push((key, n)),
            AppRecord::Kerberos(k) => r.krb.push((key, k)),
            _ => {}
        }
    }
}

fn run(path: &Path, verify_checksums: bool) -> Option<Recs> {
    let mut f = CaptureFile::open(path).ok()?;
    let mut dec = Decoder::new(DecodeConfig {
        verify_checksums,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    let mut conns: HashMap<Key, Conn> = HashMap::new();
    let mut order = Vec::new();
    let mut recs = Recs::default();
    let mut out = Vec::new();
    let mut last_ts = 0;
    while let Ok(Some(pkt)) = f.next_packet() {
        anomalies.clear();
        last_ts = pkt.ts_ns;
        let Decoded::Ip(p) = dec.decode(pkt.ts_ns, pkt.linktype, pkt.data, &mut anomalies) else {
            continue;
        };
        let Transport::Tcp(t) = p.transport else {
            continue;
        };
        if p.bad_checksum {
            continue;
        }
        let a = (p.ip.src, t.src_port);
        let b = (p.ip.dst, t.dst_port);
        let key = if a <= b { (a, b) } else { (b, a) };
        let syn = t.flags & 0x12 == 0x02;
        if p.payload.is_empty() && !syn {
            continue;
        }
        let c = conns.entry(key).or_insert_with(|| {
            order.push(key);
            let sp = [t.src_port, t.dst_port];
            let parser: Box<dyn SessionParser> = if sp.iter().any(|p| *p == 445 || *p == 139) {
                Box::new(SmbSession::new())
            } else if sp.iter().any(|p| *p == 80 || *p == 8080) {
                Box::new(HttpSession::new())
            } else {
                Box::new(DceRpcSession::new())
            };
            Conn { orig: a, parser }
        });
        if p.payload.is_empty() {
            continue;
        }
        let dir = if a == c.orig {
            Direction::Orig
        } else {
            Direction::Resp
        };
        c.parser.data(
            Ctx {
                ts_ns: pkt.ts_ns,
                dir,
            },
            p.payload,
            &mut out,
        );
        collect(key, &mut out, &mut recs);
    }
    for key in order {
        let c = conns.get_mut(&key).unwrap();
        c.parser.end(last_ts, &mut out);
        collect(key, &mut out, &mut recs);
    }
    Some(recs)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string().replace('\\', "\\\\"))
        .unwrap_or_else(|| "-".into())
}

fn tf(v: Option<bool>) -> String {
    opt(&v.map(|x| if x { "T" } else { "F" }))
}

fn ntlm_field(r: &NtlmRecord, name: &str) -> Option<String> {
    Some(match name {
        "username" => opt(&r.username),
        "hostname" => opt(&r.hostname),
        "domainname" => opt(&r.domainname),
        "server_nb_computer_name" => opt(&r.server_nb_computer_name),
        "server_dns_computer_name" => opt(&r.server_dns_computer_name),
        "server_tree_name" => opt(&r.server_tree_name),
        "success" => tf(r.success),
        _ => return None,
    })
}

fn krb_field(r: &KerberosRecord, name: &str) -> Option<String> {
    Some(match name {
        "request_type" => opt(&r.request_type),
        "client" => opt(&r.client),
        "service" => opt(&r.service),
        "success" => tf(r.success),
        "error_msg" => opt(&r.error_msg),
        "from" => opt(&r.from.map(|t| format!("{t}.000000"))),
        "till" => opt(&r.till.map(|t| format!("{t}.000000"))),
        "cipher" => opt(&r.cipher),
        "forwardable" => tf(r.forwardable),
        "renewable" => tf(r.renewable),
        "client_cert_subject" => opt(&r.client_cert_subject),
        "server_cert_subject" => opt(&r.server_cert_subject),
        _ => return None,
    })
}

/// Compares Zeek's rows (those whose `keep` holds) with ours.
fn compare<R: Debug + Default>(
    name: &str,
    log: &Log,
    ours: &[(Key, R)],
    field: fn(&R, &str) -> Option<String>,
    keep: &dyn Fn(&[String], &[String]) -> bool,
    o: &mut Tally,
) {
    let col = |n: &str| log.fields.iter().position(|f| f == n);
    let (Some(oh), Some(op), Some(rh), Some(rp)) = (
        col("id.orig_h"),
        col("id.orig_p"),
        col("id.resp_h"),
        col("id.resp_p"),
    ) else {
        o.diffs.push(format!("{name}: unexpected fields"));
        return;
    };
    let mut used = vec![false; ours.len()];
    let compared: Vec<(usize, &String)> = log
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| field(&R::default(), f).is_some())
        .collect();
    let ends = |e: &Endpoint| (e.0.to_string(), e.1.to_string());
    for row in &log.rows {
        if row.len() != log.fields.len() || !keep(&log.fields, row) {
            continue;
        }
        o.total += 1;
        let zo = (row[oh].clone(), row[op].clone());
        let zr = (row[rh].clone(), row[rp].clone());
        let score = |i: usize| {
            compared
                .iter()
                .filter(|(c, f)| field(&ours[i].1, f).as_deref() == Some(&row[*c][..]))
                .count()
        };
        let best = (0..ours.len())
            .filter(|&i| {
                let (a, b) = (ends(&ours[i].0 .0), ends(&ours[i].0 .1));
                !used[i] && ((a == zo && b == zr) || (a == zr && b == zo))
            })
            .max_by_key(|&i| score(i));
        let Some(best) = best else {
            o.unmatched += 1;
            o.diffs.push(format!("{name}: no record for {zo:?} {zr:?}"));
            for (_, f) in &compared {
                o.per_field.entry(f.to_string()).or_default().1 += 1;
            }
            continue;
        };
        used[best] = true;
        let mut equal = true;
        for (c, f) in &compared {
            let v = field(&ours[best].1, f).unwrap();
            let e = o.per_field.entry(f.to_string()).or_default();
            e.1 += 1;
            if v == row[*c] {
                e.0 += 1;
            } else {
                equal = false;
                o.diffs.push(format!(
                    "{name} {}:{}: {f}: zeek={} ours={v}",
                    row[oh], row[op], row[*c]
                ));
            }
        }
        if equal {
            o.all_equal += 1;
        }
    }
    for (i, u) in used.iter().enumerate() {
        let (a, b) = (ends(&ours[i].0 .0), ends(&ours[i].0 .1));
        let in_log = log.rows.iter().any(|row| {
            row.len() == log.fields.len() && keep(&log.fields, row) && {
                let zo = (row[oh].clone(), row[op].clone());
                let zr = (row[rh].clone(), row[rp].clone());
                (a == zo && b == zr) || (a == zr && b == zo)
            }
        });
        if !u && in_log {
            o.extra += 1;
            o.diffs
                .push(format!("{name}: extra record of ours: {:?}", ours[i]));
        }
    }
}

fn baselines(log: &str) -> Vec<(String, String)> {
    let index = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(idx) = std::fs::read_to_string(&index) else {
        return Vec::new();
    };
    idx.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols.len() >= 3 && cols[2].split(',').any(|l| l == log))
                .then(|| (cols[0].to_string(), cols[1].to_string()))
        })
        .collect()
}

#[test]
fn ntlm_routed_by_session_parsers_agrees_with_zeek() {
    let list = baselines("ntlm.log");
    if list.is_empty() {
        println!("SKIP: corpus index or ntlm.log baselines missing");
        return;
    }
    let mut sum = Tally::default();
    let all = |_: &[String], _: &[String]| true;
    for (base, trace) in list {
        let Some(log) = read_zeek_log(&Path::new(CORPUS).join(&base).join("ntlm.log")) else {
            continue;
        };
        let trace = Path::new(CORPUS).join(&trace);
        let (Some(checked), Some(unchecked)) = (run(&trace, true), run(&trace, false)) else {
            println!("SKIP {}: trace missing or unreadable", trace.display());
            continue;
        };
        let name = base.trim_start_matches("Baseline/scripts.base.protocols.");
        let (mut a, mut b) = (Tally::default(), Tally::default());
        compare(name, &log, &checked.ntlm, ntlm_field, &all, &mut a);
        compare(name, &log, &unchecked.ntlm, ntlm_field, &all, &mut b);
        let ours = if b.all_equal > a.all_equal {
            println!("{name}: checksums ignored (as with zeek -C)");
            unchecked
        } else {
            checked
        };
        let before = (sum.total, sum.all_equal);
        compare(name, &log, &ours.ntlm, ntlm_field, &all, &mut sum);
        println!(
            "{name}: {}/{} records equal",
            sum.all_equal - before.1,
            sum.total - before.0
        );
    }
    let Some(share) = sum.report("ntlm.log via the session parsers", usize::MAX) else {
        return;
    };
    assert!(
        share >= NTLM_FLOOR,
        "agreement {share:.3} below floor {NTLM_FLOOR}"
    );
}

#[test]
fn kerberos_in_smb_routed_by_session_parser_agrees_with_zeek() {
    let list = baselines("kerberos.log");
    if list.is_empty() {
        println!("SKIP: corpus index or kerberos.log baselines missing");
        return;
    }
    // Kerberos on port 88 is KerberosSession's (kerberos_zeek.rs); the rest is routed here.
    let not_88 = |fields: &[String], row: &[String]| {
        let p = |n: &str| fields.iter().position(|f| f == n).map(|i| row[i].as_str());
        p("id.orig_p") != Some("88") && p("id.resp_p") != Some("88")
    };
    let mut sum = Tally::default();
    for (base, trace) in list {
        let Some(log) = read_zeek_log(&Path::new(CORPUS).join(&base).join("kerberos.log")) else {
            continue;
        };
        if !log.fields.iter().any(|f| f == "id.orig_p") {
            continue; // a log without connection ids (not written per connection)
        }
        let trace = Path::new(CORPUS).join(&trace);
        let Some(recs) = run(&trace, false) else {
            println!("SKIP {}: trace missing or unreadable", trace.display());
            continue;
        };
        let name = base.trim_start_matches("Baseline/scripts.base.protocols.");
        let before = (sum.total, sum.all_equal);
        compare(name, &log, &recs.krb, krb_field, &not_88, &mut sum);
        if sum.total > before.0 {
            println!(
                "{name}: {}/{} records equal",
                sum.all_equal - before.1,
                sum.total - before.0
            );
        }
    }
    let Some(share) = sum.report(
        "kerberos.log (not port 88) via the session parsers",
        usize::MAX,
    ) else {
        return;
    };
    assert!(
        share >= KRB_FLOOR,
        "agreement {share:.3} below floor {KRB_FLOOR}"
    );
}
