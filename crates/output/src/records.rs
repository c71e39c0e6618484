//! Field layouts and serialisation of each record type, in Zeek's field order.

use crate::escape::tsv_escape_into;
use crate::{format_interval, format_ts, is_default_local};
use netloupe_flow::ConnRecord;
use std::fmt::Write;
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

pub(crate) fn conn_json(r: &ConnRecord, out: &mut String) {
    let mut o = Obj::new(out);
    o.ts("ts", r.ts_ns);
    o.str("uid", &r.uid.to_conn_string());
    o.raw("id.orig_h", format_args!("\"{}\"", r.orig_h));
    o.raw("id.orig_p", r.orig_p);
    o.raw("id.resp_h", format_args!("\"{}\"", r.resp_h));
    o.raw("id.resp_p", r.resp_p);
    o.str("proto", r.proto.name());
    if !r.service.is_empty() {
        o.str("service", &r.service.join(","));
    }
    if let Some(d) = r.duration_ns {
        o.interval("duration", d);
    }
    if let Some(b) = r.orig_bytes {
        o.raw("orig_bytes", b);
    }
    if let Some(b) = r.resp_bytes {
        o.raw("resp_bytes", b);
    }
    o.str("conn_state", r.conn_state);
    o.raw("local_orig", is_default_local(r.orig_h));
    o.raw("local_resp", is_default_local(r.resp_h));
    o.raw("missed_bytes", r.missed_bytes);
    if !r.history.is_empty() {
        o.str("history", &r.history);
    }
    o.raw("orig_pkts", r.orig_pkts);
    o.raw("orig_ip_bytes", r.orig_ip_bytes);
    o.raw("resp_pkts", r.resp_pkts);
    o.raw("resp_ip_bytes", r.resp_ip_bytes);
    if !r.tunnel_parents.is_empty() {
        o.key("tunnel_parents");
        o.out.push('[');
        for (i, u) in r.tunnel_parents.iter().enumerate() {
            if i > 0 {
                o.out.push(',');
            }
            o.out.push('"');
            u.render('C', o.out);
            o.out.push('"');
        }
        o.out.push(']');
    }
    o.raw("ip_proto", r.ip_proto);
    if let Some(v) = r.vlan {
        o.raw("vlan", v);
    }
    if let Some(v) = r.inner_vlan {
        o.raw("inner_vlan", v);
    }
    o.str("community_id", &r.community_id());
    o.end();
}

pub(crate) fn conn_tsv(r: &ConnRecord, out: &mut String) {
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

/// Tab-separated fields with Zeek's unset marker.
struct Fields<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Fields<'a> {
    fn new(out: &'a mut String) -> Self {
        Fields { out, first: true }
    }
    fn sep(&mut self) {
        if !self.first {
            self.out.push('\t');
        }
        self.first = false;
    }
    fn with(&mut self, f: impl FnOnce(&mut String)) {
        self.sep();
        f(self.out);
    }
    fn disp(&mut self, v: impl std::fmt::Display) {
        self.sep();
        let _ = write!(self.out, "{v}");
    }
    fn string(&mut self, s: &str) {
        self.sep();
        tsv_escape_into(s, self.out);
    }
    fn unset(&mut self) {
        self.sep();
        self.out.push('-');
    }
    fn opt<T: std::fmt::Display>(&mut self, v: Option<T>) {
        match v {
            Some(v) => self.disp(v),
            None => self.unset(),
        }
    }
}
