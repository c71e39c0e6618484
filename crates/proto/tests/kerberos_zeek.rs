//! kerberos.log compared with Zeek's baselines.
//!
//! Every baseline of the corpus index with a kerberos.log is replayed: connections on port 88
//! go to a `KerberosSession` (UDP datagrams, or TCP payloads per direction in capture order);
//! on other TCP connections (SMB, ...) each payload is searched for GSS-API Kerberos tokens,
//! fed to a `KerberosTracker`. Records are matched with Zeek's rows by connection (orig: the
//! SYN sender, else the first sender unless it sent from port 88), then greedily by the
//! number of equal fields. File ids (client_cert_fuid, server_cert_fuid) are not compared.

mod zeek_log;
use zeek_log::*;

use netloupe_capture::CaptureFile;
use netloupe_decode::{DecodeConfig, Decoded, Decoder, Transport};
use netloupe_proto::kerberos::{
    find_gssapi_krb5, KerberosRecord, KerberosSession, KerberosTracker,
};
use netloupe_proto::{AppRecord, Ctx, Direction, SessionParser};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/zeek");
/// Share of Zeek's records found with all compared fields equal (reached: 1.0).
const FLOOR: f64 = 1.0;

type ConnId = (IpAddr, u16, IpAddr, u16);
type Endpoint = (IpAddr, u16);

enum Parser {
    Session(KerberosSession),
    Gss(KerberosTracker),
}

fn run(path: &Path) -> Option<Vec<(ConnId, KerberosRecord)>> {
    let mut f = CaptureFile::open(path).ok()?;
    let mut dec = Decoder::new(DecodeConfig {
        verify_checksums: false,
        ..Default::default()
    });
    let mut anomalies = Vec::new();
    let mut conns: HashMap<(Endpoint, Endpoint, bool), (ConnId, Parser)> = HashMap::new();
    let mut order = Vec::new();
    let mut out = Vec::new();
    let mut recs = Vec::new();
    let mut last_ts = 0;
    while let Ok(Some(pkt)) = f.next_packet() {
        anomalies.clear();
        last_ts = pkt.ts_ns;
        let Decoded::Ip(p) = dec.decode(pkt.ts_ns, pkt.linktype, pkt.data, &mut anomalies) else {
            continue;
        };
        let (sp, dp, tcp, syn) = match p.transport {
            Transport::Udp { src_port, dst_port } => (src_port, dst_port, false, false),
            Transport::Tcp(t) => (t.src_port, t.dst_port, true, t.flags & 0x12 == 0x02),
            _ => continue,
        };
        let a = (p.ip.src, sp);
        let b = (p.ip.dst, dp);
        let key = if a <= b { (a, b, tcp) } else { (b, a, tcp) };
        let (id, parser) = conns.entry(key).or_insert_with(|| {
            order.push(key);
            let flip = !syn && sp == 88 && dp != 88;
            let id = if flip {
                (b.0, b.1, a.0, a.1)
            } else {
                (a.0, a.1, b.0, b.1)
            };
            let parser = if sp == 88 || dp == 88 {
                Parser::Session(KerberosSession::new(tcp))
            } else {
                Parser::Gss(KerberosTracker::new())
            };
            (id, parser)
        });
        if p.payload.is_empty() {
            continue;
        }
        let dir = if (p.ip.src, sp) == (id.0, id.1) {
            Direction::Orig
        } else {
            Direction::Resp
        };
        match parser {
            Parser::Session(s) => {
                s.data(
                    Ctx {
                        ts_ns: pkt.ts_ns,
                        dir,
                    },
                    p.payload,
                    &mut out,
                );
                for r in out.drain(..) {
                    if let AppRecord::Kerberos(r) = r {
                        recs.push((*id, r));
                    }
                }
            }
            Parser::Gss(t) => {
                let mut o = Vec::new();
                for m in find_gssapi_krb5(p.payload) {
                    t.message(pkt.ts_ns, &m, &mut o);
                }
                recs.extend(o.into_iter().map(|r| (*id, r)));
            }
        }
    }
    for key in order {
        let (id, parser) = conns.get_mut(&key).unwrap();
        match parser {
            Parser::Session(s) => {
                s.end(last_ts, &mut out);
                for r in out.drain(..) {
                    if let AppRecord::Kerberos(r) = r {
                        recs.push((*id, r));
                    }
                }
            }
            Parser::Gss(t) => {
                let mut o = Vec::new();
                t.flush(&mut o);
                recs.extend(o.into_iter().map(|r| (*id, r)));
            }
        }
    }
    Some(recs)
}

/// A value as Zeek's TSV writer prints it (backslashes doubled).
fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string().replace('\\', "\\\\"))
        .unwrap_or_else(|| "-".into())
}

fn b(v: Option<bool>) -> String {
    opt(&v.map(|x| if x { "T" } else { "F" }))
}

fn field(r: &KerberosRecord, name: &str) -> Option<String> {
    Some(match name {
        "request_type" => opt(&r.request_type),
        "client" => opt(&r.client),
        "service" => opt(&r.service),
        "success" => b(r.success),
        "error_msg" => opt(&r.error_msg),
        "from" => opt(&r.from.map(|t| format!("{t}.000000"))),
        "till" => opt(&r.till.map(|t| format!("{t}.000000"))),
        "cipher" => opt(&r.cipher),
        "forwardable" => b(r.forwardable),
        "renewable" => b(r.renewable),
        "client_cert_subject" => opt(&r.client_cert_subject),
        "server_cert_subject" => opt(&r.server_cert_subject),
        _ => return None,
    })
}

fn compare(name: &str, log: &Log, ours: &[(ConnId, KerberosRecord)], o: &mut Tally) {
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
        .filter(|(_, f)| field(&KerberosRecord::default(), f).is_some())
        .collect();
    for row in &log.rows {
        if row.len() != log.fields.len() {
            continue;
        }
        o.total += 1;
        let score = |i: usize| {
            compared
                .iter()
                .filter(|(c, f)| field(&ours[i].1, f).as_deref() == Some(&row[*c][..]))
                .count()
        };
        let best = (0..ours.len())
            .filter(|&i| {
                let id = &ours[i].0;
                !used[i]
                    && id.0.to_string() == row[oh]
                    && id.1.to_string() == row[op]
                    && id.2.to_string() == row[rh]
                    && id.3.to_string() == row[rp]
            })
            .max_by_key(|&i| score(i));
        let Some(best) = best else {
            o.unmatched += 1;
            o.diffs.push(format!(
                "{name}: no record for {} {} {} {}",
                row[oh], row[op], row[rh], row[rp]
            ));
            for (_, f) in &compared {
                o.per_field.entry(f.to_string()).or_default().1 += 1;
            }
            continue;
        };
        used[best] = true;
        let mut equal = true;
        for (c, f) in &compared {
            let ours_v = field(&ours[best].1, f).unwrap();
            let e = o.per_field.entry(f.to_string()).or_default();
            e.1 += 1;
            if ours_v == row[*c] {
                e.0 += 1;
            } else {
                equal = false;
                o.diffs.push(format!(
                    "{name} {}:{}: {f}: zeek={} ours={ours_v}",
                    row[oh], row[op], row[*c]
                ));
            }
        }
        if equal {
            o.all_equal += 1;
        }
    }
    for (i, u) in used.iter().enumerate() {
        if !u {
            o.extra += 1;
            o.diffs
                .push(format!("{name}: extra record of ours: {:?}", ours[i]));
        }
    }
}

#[test]
fn kerberos_log_agrees_with_zeek() {
    let index = Path::new(CORPUS).join("baseline_index.tsv");
    let Ok(idx) = std::fs::read_to_string(&index) else {
        println!("SKIP: corpus index {} missing", index.display());
        return;
    };
    let mut sum = Tally::default();
    for line in idx.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || !cols[2].split(',').any(|l| l == "kerberos.log") {
            continue;
        }
        let Some(log) = read_zeek_log(&Path::new(CORPUS).join(cols[0]).join("kerberos.log")) else {
            continue;
        };
        let Some(ours) = run(&Path::new(CORPUS).join(cols[1])) else {
            println!("SKIP {}: trace missing or unreadable", cols[1]);
            continue;
        };
        let name = cols[0].trim_start_matches("Baseline/scripts.base.protocols.");
        let before = (sum.total, sum.all_equal);
        compare(name, &log, &ours, &mut sum);
        println!(
            "{name}: {}/{} records equal",
            sum.all_equal - before.1,
            sum.total - before.0
        );
    }
    let Some(share) = sum.report("kerberos.log", 60) else {
        return;
    };
    assert!(share >= FLOOR, "agreement {share:.3} below floor {FLOOR}");
}
