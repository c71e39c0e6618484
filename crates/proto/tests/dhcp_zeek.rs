//! dhcp.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index with a dhcp.log (or the cluster test's manager.dhcp.log)
//! is replayed: the UDP datagrams on ports 67/68 of its trace are parsed and fed, with their
//! connection (a synthetic uid per 5-tuple) and IP source, to one `DhcpJoin` for the whole
//! trace, since Zeek's dhcp.log joins a transaction across connections. Two baselines change
//! Zeek's limits (`DHCP::max_msg_types_per_log` 8, `DHCP::max_uids_per_log` 5); the same limits
//! are set here. Records are matched with Zeek's rows greedily by the number of equal fields;
//! uids are compared by count (Zeek's are random). Per-connection `DhcpSession`s are also run
//! over each trace to check they see the same messages.

mod zeek_log;
use zeek_log::*;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::dhcp::{parse_message, DhcpJoin, DhcpRecord, DhcpSession};
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");
/// Share of Zeek's records found with all compared fields equal (reached: 1.0).
const FLOOR: f64 = 1.0;

type Endpoint = (IpAddr, u16);

struct Run {
    joined: Vec<DhcpRecord>,
    /// Messages seen by the per-connection sessions (sum of msg_types lengths).
    session_msgs: usize,
}

fn run(path: &Path, join: &mut DhcpJoin) -> Option<Run> {
    let mut f = CaptureFile::open(path).ok()?;
    let mut dec = Decoder::new(DecodeConfig::default());
    let mut anomalies = Vec::new();
    let mut conns: HashMap<(Endpoint, Endpoint), (String, Endpoint, DhcpSession)> = HashMap::new();
    let mut joined = Vec::new();
    let mut out = Vec::new();
    let mut last_ts = 0;
    while let Ok(Some(pkt)) = f.next_packet() {
        anomalies.clear();
        last_ts = pkt.ts_ns;
        let Decoded::Ip(p) = dec.decode(pkt.ts_ns, pkt.linktype, pkt.data, &mut anomalies) else {
            continue;
        };
        let Transport::Udp { src_port, dst_port } = p.transport else {
            continue;
        };
        if !matches!(src_port, 67 | 68) && !matches!(dst_port, 67 | 68) {
            continue;
        }
        let a = (p.ip.src, src_port);
        let b = (p.ip.dst, dst_port);
        let key = if a <= b { (a, b) } else { (b, a) };
        let n = conns.len();
        let (uid, orig, session) = conns
            .entry(key)
            .or_insert_with(|| (format!("C{n}"), a, DhcpSession::new().with_addrs(a.0, b.0)));
        let dir = if a == *orig {
            Direction::Orig
        } else {
            Direction::Resp
        };
        session.data(
            Ctx {
                ts_ns: pkt.ts_ns,
                dir,
            },
            p.payload,
            &mut out,
        );
        if let Some(m) = parse_message(p.payload) {
            join.message(pkt.ts_ns, Some(uid), Some(p.ip.src), &m, &mut joined);
        }
    }
    join.flush(&mut joined);
    for (_, _, s) in conns.values_mut() {
        s.end(last_ts, &mut out);
    }
    let session_msgs = out
        .iter()
        .map(|r| match r {
            AppRecord::Dhcp(d) => d.msg_types.len(),
            _ => 0,
        })
        .sum();
    Some(Run {
        joined,
        session_msgs,
    })
}

/// Zeek's escaping of non-printable bytes in log strings.
fn zeek_escape(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if (c as u32) < 0x20 || c as u32 == 0x7f {
            o.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            o.push(c);
        }
    }
    o
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| zeek_escape(&x.to_string()))
        .unwrap_or_else(|| "-".into())
}

fn field(r: &DhcpRecord, name: &str) -> Option<String> {
    Some(match name {
        "uids" => format!("{} uids", r.uids.len()),
        "client_addr" => opt(&r.client_addr),
        "server_addr" => opt(&r.server_addr),
        "mac" => opt(&r.mac),
        "host_name" => opt(&r.host_name),
        "client_fqdn" => opt(&r.client_fqdn),
        "domain" => opt(&r.domain),
        "requested_addr" => opt(&r.requested_addr),
        "assigned_addr" => opt(&r.assigned_addr),
        "lease_time" => opt(&r.lease_time.map(|l| format!("{l}.000000"))),
        "client_message" => opt(&r.client_message),
        "server_message" => opt(&r.server_message),
        "msg_types" => {
            if r.msg_types.is_empty() {
                "-".into()
            } else {
                r.msg_types.join(",")
            }
        }
        "duration" => format!("{:.6}", r.duration_ns as f64 / 1e9),
        "circuit_id" => opt(&r.circuit_id),
        "agent_remote_id" => opt(&r.agent_remote_id),
        "subscriber_id" => opt(&r.subscriber_id),
        _ => return None,
    })
}

fn zeek_value(name: &str, v: &str) -> String {
    if name == "uids" {
        return format!("{} uids", v.split(',').count());
    }
    v.to_string()
}

fn compare(name: &str, log: &Log, ours: &[DhcpRecord], o: &mut Tally) {
    let mut used = vec![false; ours.len()];
    let compared: Vec<(usize, &String)> = log
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| field(&DhcpRecord::default(), f).is_some())
        .collect();
    for row in &log.rows {
        if row.len() != log.fields.len() {
            continue;
        }
        o.total += 1;
        let score = |i: usize| {
            compared
                .iter()
                .filter(|(c, f)| field(&ours[i], f) == Some(zeek_value(f, &row[*c])))
                .count()
        };
        let best = (0..ours.len())
            .filter(|&i| !used[i])
            .max_by_key(|&i| (score(i), std::cmp::Reverse(i)));
        let Some(best) = best else {
            o.unmatched += 1;
            o.diffs.push(format!("{name}: no record for {row:?}"));
            for (_, f) in &compared {
                o.per_field.entry(f.to_string()).or_default().1 += 1;
            }
            continue;
        };
        used[best] = true;
        let mut equal = true;
        for (c, f) in &compared {
            let ours_v = field(&ours[best], f).unwrap();
            let zeek_v = zeek_value(f, &row[*c]);
            let e = o.per_field.entry(f.to_string()).or_default();
            e.1 += 1;
            if ours_v == zeek_v {
                e.0 += 1;
            } else {
                equal = false;
                o.diffs
                    .push(format!("{name}: {f}: zeek={zeek_v} ours={ours_v}"));
            }
        }
        if equal {
            o.all_equal += 1;
        }
    }
    let extra = used.iter().filter(|u| !**u).count();
    if extra > 0 {
        o.diffs
            .push(format!("{name}: {extra} extra records of ours"));
    }
}

#[test]
fn dhcp_log_agrees_with_zeek() {
    let index = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(idx) = std::fs::read_to_string(&index) else {
        println!("SKIP: corpus index {} missing", index.display());
        return;
    };
    let mut sum = Tally::default();
    for line in idx.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            continue;
        }
        let Some(logname) = cols[2]
            .split(',')
            .find(|l| *l == "dhcp.log" || *l == "manager.dhcp.log")
        else {
            continue;
        };
        let trace = Path::new(CORPUS).join(cols[1]);
        let Some(log) = read_zeek_log(&Path::new(CORPUS).join(cols[0]).join(logname)) else {
            continue;
        };
        let name = cols[0].trim_start_matches("Baseline/scripts.base.protocols.");
        let mut join = DhcpJoin::new();
        if name.ends_with("dhcp-prevent-large-msgtypes") {
            join.max_msg_types = 8;
        }
        if name.ends_with("dhcp-prevent-large-uids") {
            join.max_uids = 5;
        }
        let Some(r) = run(&trace, &mut join) else {
            println!("SKIP {}: trace missing or unreadable", cols[1]);
            continue;
        };
        let joined_msgs: usize = r.joined.iter().map(|d| d.msg_types.len()).sum();
        assert_eq!(
            joined_msgs, r.session_msgs,
            "{name}: sessions and join differ"
        );
        let before = (sum.total, sum.all_equal);
        compare(name, &log, &r.joined, &mut sum);
        println!(
            "{name}: {}/{} records equal",
            sum.all_equal - before.1,
            sum.total - before.0
        );
    }
    let Some(share) = sum.report("dhcp.log", 60) else {
        return;
    };
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}
