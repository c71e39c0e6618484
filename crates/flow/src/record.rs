//! The finished-flow record (Zeek conn.log fields plus Community ID).

use crate::community_id::community_id_v1;
use crate::key::{icmp4_counterpart, icmp6_counterpart};
use crate::uid::Uid;
use netloupe_output::json::JsonObject as Obj;
use netloupe_output::tsv::TsvLine as Fields;
use netloupe_output::{format_interval, format_ts, is_default_local, json_escape_into};
use std::net::IpAddr;

/// The connection fields Zeek puts after `ts` in conn.log and every protocol log: `uid`,
/// `id.orig_h`, `id.orig_p`, `id.resp_h`, `id.resp_p`.
pub fn write_conn_id(
    o: &mut Obj<'_>,
    uid: Uid,
    (orig_h, orig_p, resp_h, resp_p): (IpAddr, u16, IpAddr, u16),
) {
    o.key("uid");
    o.out().push('"');
    uid.render('C', o.out());
    o.out().push('"');
    o.ip("id.orig_h", orig_h);
    o.int("id.orig_p", orig_p);
    o.ip("id.resp_h", resp_h);
    o.int("id.resp_p", resp_p);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Sctp,
    Unknown,
}

impl Proto {
    /// Zeek's `transport_proto` names (SCTP, which Zeek does not track, is named plainly).
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Sctp => "sctp",
            Proto::Unknown => "unknown_transport",
        }
    }
}

/// One connection as conn.log reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnRecord {
    /// Time of the first packet, ns since the epoch.
    pub ts_ns: i64,
    pub uid: Uid,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
    pub proto: Proto,
    pub ip_proto: u8,
    /// Application protocols confirmed on the connection (filled by later stages).
    pub service: Vec<&'static str>,
    /// last packet time - first packet time; None when Zeek would log `-` (no packet updated it).
    pub duration_ns: Option<i64>,
    /// None where Zeek logs `-` (a side that never became active for UDP/ICMP/other).
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub conn_state: &'static str,
    pub missed_bytes: u64,
    pub history: String,
    pub orig_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_pkts: u64,
    pub resp_ip_bytes: u64,
    /// Bytes of the packets at the connection's own layer, link header included (the frame, or
    /// what the tunnel carried): Suricata's `flow.bytes_to*`. Not part of conn.log.
    pub orig_wire_bytes: u64,
    pub resp_wire_bytes: u64,
    pub tunnel_parents: Vec<Uid>,
    pub vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    /// Services confirmed on a responder port registered to none of them (SSH on 443, HTTP on
    /// 4444); empty when one of the connection's services owns the port. Not a Zeek field
    /// (conn.log JSON `off_port_services`); for detectors of unexpected protocol use.
    pub off_port_services: Vec<&'static str>,
    /// Services the responder port is registered for, when the connection carried data but
    /// none of them (a registered port carrying something else, or nothing identifiable).
    /// conn.log JSON `port_expected_services`.
    pub port_expected_services: Vec<&'static str>,
    /// Seed for [`ConnRecord::community_id`].
    pub community_id_seed: u16,
    /// Packet time at which the flow table ended the connection (a timeout sweep, port reuse,
    /// or the end of input): how long it had been idle then is Suricata's flow `reason`. Not
    /// part of conn.log.
    pub ended_ns: i64,
}

impl ConnRecord {
    /// The Community ID v1 of the connection. Computed on demand (by the log writer, off the
    /// packet path) because it costs a SHA-1.
    pub fn community_id(&self) -> String {
        let proto = self.ip_proto;
        if matches!(proto, 1 | 58) {
            // The ICMP "ports" are (type, counterpart type) or, for one-way messages, (type,
            // code); Community ID wants the originator's type and code.
            let t = self.orig_p as u8;
            let two_way = if proto == 1 {
                icmp4_counterpart(t)
            } else {
                icmp6_counterpart(t)
            }
            .is_some();
            let code = if two_way { 0 } else { self.resp_p };
            community_id_v1(
                self.community_id_seed,
                self.orig_h,
                self.resp_h,
                proto,
                self.orig_p,
                code,
            )
        } else {
            community_id_v1(
                self.community_id_seed,
                self.orig_h,
                self.resp_h,
                proto,
                self.orig_p,
                self.resp_p,
            )
        }
    }

    /// The record as a conn.log JSON object (Zeek field names, plus community_id).
    pub fn write_json(&self, out: &mut String) {
        let r = self;
        let mut o = Obj::new(out);
        o.ts("ts", r.ts_ns);
        write_conn_id(&mut o, r.uid, (r.orig_h, r.orig_p, r.resp_h, r.resp_p));
        o.str("proto", r.proto.name());
        if !r.service.is_empty() {
            o.key("service");
            o.out().push('"');
            for (i, s) in r.service.iter().enumerate() {
                if i > 0 {
                    o.out().push(',');
                }
                json_escape_into(s, o.out());
            }
            o.out().push('"');
        }
        if let Some(d) = r.duration_ns {
            o.interval("duration", d);
        }
        if let Some(b) = r.orig_bytes {
            o.int("orig_bytes", b);
        }
        if let Some(b) = r.resp_bytes {
            o.int("resp_bytes", b);
        }
        o.str("conn_state", r.conn_state);
        o.raw("local_orig", is_default_local(r.orig_h));
        o.raw("local_resp", is_default_local(r.resp_h));
        o.int("missed_bytes", r.missed_bytes);
        if !r.history.is_empty() {
            o.str("history", &r.history);
        }
        o.int("orig_pkts", r.orig_pkts);
        o.int("orig_ip_bytes", r.orig_ip_bytes);
        o.int("resp_pkts", r.resp_pkts);
        o.int("resp_ip_bytes", r.resp_ip_bytes);
        if !r.tunnel_parents.is_empty() {
            o.key("tunnel_parents");
            o.out().push('[');
            for (i, u) in r.tunnel_parents.iter().enumerate() {
                if i > 0 {
                    o.out().push(',');
                }
                o.out().push('"');
                u.render('C', o.out());
                o.out().push('"');
            }
            o.out().push(']');
        }
        o.int("ip_proto", r.ip_proto);
        if let Some(v) = r.vlan {
            o.int("vlan", v);
        }
        if let Some(v) = r.inner_vlan {
            o.int("inner_vlan", v);
        }
        if !r.off_port_services.is_empty() {
            o.str_array("off_port_services", &r.off_port_services);
        }
        if !r.port_expected_services.is_empty() {
            o.str_array("port_expected_services", &r.port_expected_services);
        }
        o.str("community_id", &r.community_id());
        o.end();
    }

    /// The record as a line of Zeek's conn.log TSV (fields as `netloupe_output::CONN_FIELDS`).
    pub fn write_tsv(&self, out: &mut String) {
        let r = self;
        let mut f = Fields::new(out);
        f.with(|o| format_ts(r.ts_ns, o));
        f.with(|o| r.uid.render('C', o));
        f.disp(r.orig_h);
        f.disp(r.orig_p);
        f.disp(r.resp_h);
        f.disp(r.resp_p);
        f.disp(r.proto.name());
        if r.service.is_empty() {
            f.unset();
        } else {
            f.string(&r.service.join(","));
        }
        match r.duration_ns {
            Some(d) => f.with(|o| format_interval(d, o)),
            None => f.unset(),
        }
        f.opt(r.orig_bytes);
        f.opt(r.resp_bytes);
        f.disp(r.conn_state);
        f.disp(if is_default_local(r.orig_h) { "T" } else { "F" });
        f.disp(if is_default_local(r.resp_h) { "T" } else { "F" });
        f.disp(r.missed_bytes);
        if r.history.is_empty() {
            f.unset();
        } else {
            f.string(&r.history);
        }
        f.disp(r.orig_pkts);
        f.disp(r.orig_ip_bytes);
        f.disp(r.resp_pkts);
        f.disp(r.resp_ip_bytes);
        if r.tunnel_parents.is_empty() {
            f.unset();
        } else {
            f.with(|o| {
                for (i, u) in r.tunnel_parents.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    u.render('C', o);
                }
            });
        }
        f.disp(r.ip_proto);
        f.opt(r.vlan);
        f.opt(r.inner_vlan);
        f.string(&r.community_id());
    }
}
