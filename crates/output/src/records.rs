//! Field layouts and serialisation of each record type, in Zeek's field order.

use crate::format_ts;
use crate::tsv::TsvLine as Fields;
use std::net::IpAddr;

/// conn.log: Zeek's fields (name, Zeek type) in Zeek's order, plus `community_id`.
pub const CONN_FIELDS: &[(&str, &str)] = &[
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("proto", "enum"),
    ("service", "string"),
    ("duration", "interval"),
    ("orig_bytes", "count"),
    ("resp_bytes", "count"),
    ("conn_state", "string"),
    ("local_orig", "bool"),
    ("local_resp", "bool"),
    ("missed_bytes", "count"),
    ("history", "string"),
    ("orig_pkts", "count"),
    ("orig_ip_bytes", "count"),
    ("resp_pkts", "count"),
    ("resp_ip_bytes", "count"),
    ("tunnel_parents", "set[string]"),
    ("ip_proto", "count"),
    ("vlan", "int"),
    ("inner_vlan", "int"),
    ("community_id", "string"),
];

/// weird.log fields.
pub const WEIRD_FIELDS: &[(&str, &str)] = &[
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("name", "string"),
    ("addl", "string"),
    ("notice", "bool"),
    ("peer", "string"),
    ("source", "string"),
];

/// One anomaly as weird.log reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct WeirdRecord {
    pub ts_ns: i64,
    pub uid: Option<String>,
    pub id: Option<(IpAddr, u16, IpAddr, u16)>,
    /// Without connection context Zeek still reports the addresses (as `id` with ports 0 is not
    /// right either): kept separately.
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub name: &'static str,
    pub addl: Option<String>,
    pub source: &'static str,
}

use crate::json::JsonObject as Obj;

pub(crate) fn weird_json(r: &WeirdRecord, out: &mut String) {
    let mut o = Obj::new(out);
    o.ts("ts", r.ts_ns);
    if let Some(u) = &r.uid {
        o.str("uid", u);
    }
    if let Some((oh, op, rh, rp)) = r.id {
        o.raw("id.orig_h", format_args!("\"{oh}\""));
        o.raw("id.orig_p", op);
        o.raw("id.resp_h", format_args!("\"{rh}\""));
        o.raw("id.resp_p", rp);
    } else {
        if let Some(s) = r.src {
            o.raw("id.orig_h", format_args!("\"{s}\""));
        }
        if let Some(d) = r.dst {
            o.raw("id.resp_h", format_args!("\"{d}\""));
        }
    }
    o.str("name", r.name);
    if let Some(a) = &r.addl {
        o.str("addl", a);
    }
    o.raw("notice", false);
    o.str("peer", "netloupe");
    o.str("source", r.source);
    o.end();
}

pub(crate) fn weird_tsv(r: &WeirdRecord, out: &mut String) {
    let mut f = Fields::new(out);
    f.with(|o| format_ts(r.ts_ns, o));
    match &r.uid {
        Some(u) => f.string(u),
        None => f.unset(),
    }
    match r.id {
        Some((oh, op, rh, rp)) => {
            f.disp(oh);
            f.disp(op);
            f.disp(rh);
            f.disp(rp);
        }
        None => {
            match r.src {
                Some(s) => f.disp(s),
                None => f.unset(),
            }
            f.unset();
            match r.dst {
                Some(d) => f.disp(d),
                None => f.unset(),
            }
            f.unset();
        }
    }
    f.string(r.name);
    match &r.addl {
        Some(a) => f.string(a),
        None => f.unset(),
    }
    f.disp("F");
    f.disp("netloupe");
    f.string(r.source);
}
