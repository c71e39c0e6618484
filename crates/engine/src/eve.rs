//! Suricata EVE JSON output (`--format eve` → `OUTDIR/eve.json`).
//!
//! One JSON object per line with the field names of Suricata's EVE format (docs.suricata.io,
//! "EVE JSON Format"), built from the records netloupe already has: `flow` events from conn
//! records, `dns`/`http`/`tls`/`ssh`/`krb5`/`quic`/`rdp`/`dhcp`/`smtp`/`ftp`/`ldap`/`dcerpc`/
//! `smb` events from
//! protocol records, `anomaly` events from weird records. Nothing here re-reads packets, so
//! where a Suricata field needs data netloupe does not keep, the field is either derived (and
//! the derivation documented on the function that does it) or left out; `alert` events carry
//! netloupe's own alerts (threat-intel matches, detectors). Fields never written: `pcap_cnt`, `pkt_src`, `ether`,
//! `tx_id` for protocols other than DNS, HTTP and SMTP.
//!
//! Common fields of every event:
//! * `timestamp`: packet time as `2024-01-01T00:00:00.000000+0000` (UTC);
//! * `flow_id`: a stable number derived from the connection uid (FNV-1a of the uid text, kept
//!   below 2^53 so that every JSON reader holds it exactly), the same for every event of a
//!   connection, weird records included;
//! * `src_ip`/`src_port`/`dest_ip`/`dest_port`: the originator and responder (Zeek's
//!   orientation, which like Suricata's puts the client first), except DNS responses, which
//!   Suricata logs in the direction of the response packet;
//! * `proto` (`TCP`, `UDP`, `ICMP`, `IPv6-ICMP`, `SCTP`, or the protocol number), `community_id`,
//!   `app_proto` (Suricata's protocol names), `vlan` (outer first) when the flow had tags.

use netloupe_flow::community_id::community_id_v1;
use netloupe_flow::{AppEvent, AppRecord, ConnRecord, Proto};
use netloupe_output::json::JsonObject;
use netloupe_output::WeirdRecord;
use netloupe_proto::dns::parser::RrDetail;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::Path;

/// Per-connection state kept between events is bounded by this many connections; beyond it the
/// maps are cleared (a later event of a forgotten connection then lacks its certificate or
/// starts its DNS transaction count again).
const MAX_TRACKED: usize = 1 << 20;

/// Suricata's default flow timeouts (seconds) by protocol and state, used to tell a flow that
/// timed out from one still alive when the capture ended (`flow.reason`).
fn suricata_timeout_s(r: &ConnRecord) -> i64 {
    let established = r.orig_pkts > 0 && r.resp_pkts > 0;
    match r.proto {
        Proto::Tcp => match flow_state(r) {
            "new" => 60,
            "closed" => 60,
            _ => 600,
        },
        _ if established => 300,
        _ => 30,
    }
}

/// The writer of `eve.json`, owned by the sink thread.
pub(crate) struct EveWriter {
    out: BufWriter<File>,
    line: String,
    /// Host certificate of each TLS connection, waiting for its ssl record (Suricata logs one
    /// `tls` event with the certificate fields; netloupe has x509 then ssl records).
    certs: HashMap<String, AppRecord>,
    /// DNS transactions logged so far per connection (`tx_id`).
    dns_tx: HashMap<String, u64>,
    /// SMTP transactions logged so far per connection (`tx_id`).
    smtp_tx: HashMap<String, u64>,
    /// Community ID seed of the run.
    seed: u16,
    /// Format version of `dns` events: 3 (Suricata 8's default) or 2 (Suricata 7's).
    dns_version: u8,
}

impl EveWriter {
    pub(crate) fn create(dir: &Path, seed: u16, dns_version: u8) -> std::io::Result<EveWriter> {
        let path = dir.join("eve.json");
        let file = File::create(&path).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
        })?;
        Ok(EveWriter {
            out: BufWriter::with_capacity(1 << 20, file),
            line: String::with_capacity(1024),
            certs: HashMap::new(),
            dns_tx: HashMap::new(),
            smtp_tx: HashMap::new(),
            seed,
            dns_version,
        })
    }

    fn emit(&mut self) -> std::io::Result<()> {
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }

    /// A `flow` event for a finished connection.
    ///
    /// `bytes_toserver`/`bytes_toclient` are Suricata's: the captured length of every packet at
    /// the flow's own layer, link header included (the whole frame; for a flow inside a tunnel,
    /// what the tunnel carried, so an inner Ethernet header for VXLAN but none for GRE). Packet
    /// counts are Zeek's (segments with bad checksums are not counted unless `-C`). `state`
    /// and `tcp` come from Zeek's `conn_state` and history (see [`flow_state`],
    /// [`tcp_flags_from_history`]). `reason` is `timeout` when the connection had been idle
    /// for longer than Suricata's default timeout for its state by the packet time the flow
    /// table ended it, else `shutdown` (the capture ended first); `alerted` is always false.
    pub(crate) fn conn(&mut self, r: &ConnRecord) -> std::io::Result<()> {
        let end = r.ts_ns + r.duration_ns.unwrap_or(0);
        self.line.clear();
        let uid = r.uid.to_conn_string();
        let mut o = JsonObject::new(&mut self.line);
        eve_ts(&mut o, "timestamp", r.ts_ns);
        o.raw("flow_id", flow_id(&uid));
        o.str("event_type", "flow");
        if let Some(v) = r.vlan {
            o.key("vlan");
            match r.inner_vlan {
                Some(i) => {
                    let _ = write!(o.out(), "[{v},{i}]");
                }
                None => {
                    let _ = write!(o.out(), "[{v}]");
                }
            }
        }
        addr(&mut o, "src_ip", r.orig_h);
        let icmp = matches!(r.ip_proto, 1 | 58);
        if !icmp {
            o.raw("src_port", r.orig_p);
        }
        addr(&mut o, "dest_ip", r.resp_h);
        if !icmp {
            o.raw("dest_port", r.resp_p);
        }
        o.str("proto", &proto_name(r.ip_proto));
        if icmp {
            // Zeek's ports for ICMP: (type, counterpart type) for request/reply types, (type,
            // code) for the others. The code of request/reply messages is not kept: 0 (what
            // echo, timestamp, ... messages carry) is written.
            let t = r.orig_p as u8;
            match icmp_counterpart(r.ip_proto, t) {
                Some(reply) => {
                    o.raw("icmp_type", t);
                    o.raw("icmp_code", 0);
                    if r.resp_pkts > 0 {
                        o.raw("response_icmp_type", reply);
                        o.raw("response_icmp_code", 0);
                    }
                }
                None => {
                    o.raw("icmp_type", t);
                    o.raw("icmp_code", r.resp_p);
                }
            }
        }
        if let Some(a) = conn_app_proto(r) {
            o.str("app_proto", a);
        }
        o.key("flow");
        {
            let mut f = JsonObject::new(o.out());
            f.raw("pkts_toserver", r.orig_pkts);
            f.raw("pkts_toclient", r.resp_pkts);
            f.raw("bytes_toserver", r.orig_wire_bytes);
            f.raw("bytes_toclient", r.resp_wire_bytes);
            eve_ts(&mut f, "start", r.ts_ns);
            eve_ts(&mut f, "end", end);
            f.raw(
                "age",
                end.div_euclid(1_000_000_000) - r.ts_ns.div_euclid(1_000_000_000),
            );
            f.str("state", flow_state(r));
            // Ordered by the table, not by arrival here: records and events reach the writer
            // on separate channels, so the writer's own latest time varied between runs.
            let idle_s = (r.ended_ns - end) / 1_000_000_000;
            let reason = if idle_s > suricata_timeout_s(r) {
                "timeout"
            } else {
                "shutdown"
            };
            f.str("reason", reason);
            f.raw("alerted", false);
            f.end();
        }
        if r.proto == Proto::Tcp {
            let (ts, tc) = tcp_flags_from_history(&r.history);
            o.key("tcp");
            let mut t = JsonObject::new(o.out());
            let all = ts | tc;
            t.str("tcp_flags", &format!("{all:02x}"));
            t.str("tcp_flags_ts", &format!("{ts:02x}"));
            t.str("tcp_flags_tc", &format!("{tc:02x}"));
            for (bit, name) in [
                (0x01, "fin"),
                (0x02, "syn"),
                (0x04, "rst"),
                (0x08, "psh"),
                (0x10, "ack"),
            ] {
                if all & bit != 0 {
                    t.raw(name, true);
                }
            }
            t.str("state", tcp_state(r));
            t.end();
        }
        o.str("community_id", &r.community_id());
        o.end();
        self.emit()
    }

    /// The events of one protocol record (none for records Suricata has no event for).
    pub(crate) fn app(&mut self, e: &AppEvent) -> std::io::Result<()> {
        let uid = e.uid.to_conn_string();
        match &e.record {
            AppRecord::Dns(_) => self.dns(e, &uid),
            AppRecord::Http(_) => self.http(e, &uid),
            AppRecord::X509(x) => {
                if x.host_cert && !x.client_cert {
                    if self.certs.len() >= MAX_TRACKED {
                        self.certs.clear();
                    }
                    self.certs.entry(uid).or_insert_with(|| e.record.clone());
                }
                Ok(())
            }
            AppRecord::Ssl(_) => {
                let cert = self.certs.remove(&uid);
                self.tls(e, &uid, cert.as_ref())
            }
            AppRecord::Ssh(_) => self.ssh(e, &uid),
            AppRecord::Kerberos(_) => self.krb5(e, &uid),
            AppRecord::Quic(_) => self.quic(e, &uid),
            AppRecord::Rdp(_) => self.rdp(e, &uid),
            AppRecord::Dhcp(_) => self.dhcp(e, &uid),
            AppRecord::Smtp(_) => self.smtp(e, &uid),
            AppRecord::Ftp(_) => self.ftp(e, &uid),
            AppRecord::Ldap(_) | AppRecord::LdapSearch(_) => self.ldap(e, &uid),
            AppRecord::DceRpc(_) => self.dcerpc(e, &uid),
            AppRecord::SmbCmd(_) => self.smb(e, &uid),
            _ => Ok(()),
        }
    }

    /// An `alert` event for a netloupe alert, in Suricata's layout: `alert.signature_id` is
    /// stable per detector and indicator type (netloupe's range 1,900,000-1,999,999; Suricata
    /// keeps 1,000,000-1,999,999 for local rules), `alert.metadata` carries the ATT&CK ids and
    /// names the way Emerging Threats rules do (`mitre_tactic_id`, `mitre_technique_id`, ...),
    /// and `netloupe` the finding as alerts.log has it (`Alert::write_finding`).
    pub(crate) fn alert(
        &mut self,
        a: &netloupe_output::alert::Alert,
        sid: u32,
    ) -> std::io::Result<()> {
        self.line.clear();
        let mut o = JsonObject::new(&mut self.line);
        eve_ts(&mut o, "timestamp", a.ts_ns);
        if let Some(u) = a.uids.first() {
            o.raw("flow_id", flow_id(u));
        }
        o.str("event_type", "alert");
        if let Some(s) = a.src {
            addr(&mut o, "src_ip", s);
        }
        if let Some(p) = a.src_port {
            o.raw("src_port", p);
        }
        if let Some(d) = a.dst {
            addr(&mut o, "dest_ip", d);
        }
        if let Some(p) = a.dst_port {
            o.raw("dest_port", p);
        }
        if let Some(p) = a.proto {
            o.str("proto", &p.to_ascii_uppercase());
        }
        if let Some(c) = a.community_ids.first() {
            o.str("community_id", c);
        }
        o.key("alert");
        let mut n = JsonObject::new(o.out());
        n.str("action", "allowed");
        n.raw("gid", 1);
        n.raw("signature_id", sid);
        n.raw("rev", 1);
        n.str(
            "signature",
            &format!("NETLOUPE {} {}", a.detector.to_ascii_uppercase(), a.summary),
        );
        n.str("category", a.family);
        n.raw("severity", a.suricata_severity());
        n.key("metadata");
        let mut m = JsonObject::new(n.out());
        if let Some(t) = &a.technique {
            m.str_array("mitre_tactic_id", &[t.tactic_id]);
            m.str_array("mitre_tactic_name", &[t.tactic]);
            m.str_array("mitre_technique_id", &[t.id]);
            m.str_array("mitre_technique_name", &[t.name]);
        } else if let Some(id) = a.technique_id() {
            m.str_array("mitre_technique_id", &[id]);
        }
        m.end();
        n.end();
        o.key("netloupe");
        let mut x = JsonObject::new(o.out());
        a.write_finding(&mut x);
        x.end();
        o.end();
        self.emit()
    }

    /// An `anomaly` event for a weird record: `type: decode` for weirds of packet decoding, with
    /// Suricata's decoder event name where one corresponds (IPv4 or IPv6 chosen by the
    /// addresses), else the weird's own name; `type: stream` for TCP reassembly's
    /// (`rexmit_inconsistency`: data differing in overlapping segments); `type: applayer` with
    /// `app_proto` for a protocol parser's (named as in weird.log).
    pub(crate) fn weird(&mut self, w: &WeirdRecord) -> std::io::Result<()> {
        // Suricata does not log checksum errors as anomalies.
        if w.name.starts_with("bad_") && w.name.ends_with("_checksum") {
            return Ok(());
        }
        self.line.clear();
        let mut o = JsonObject::new(&mut self.line);
        eve_ts(&mut o, "timestamp", w.ts_ns);
        if let Some(u) = &w.uid {
            o.raw("flow_id", flow_id(u));
        }
        o.str("event_type", "anomaly");
        let v6 = match (w.id, w.src) {
            (Some((a, _, _, _)), _) | (None, Some(a)) => a.is_ipv6(),
            _ => false,
        };
        if let Some((oh, op, rh, rp)) = w.id {
            addr(&mut o, "src_ip", oh);
            o.raw("src_port", op);
            addr(&mut o, "dest_ip", rh);
            o.raw("dest_port", rp);
        } else {
            if let Some(s) = w.src {
                addr(&mut o, "src_ip", s);
            }
            if let Some(d) = w.dst {
                addr(&mut o, "dest_ip", d);
            }
        }
        o.key("anomaly");
        let mut a = JsonObject::new(o.out());
        // Weirds of TCP reassembly are Suricata's stream events, a parser's are app-layer
        // events (named as netloupe's weird), the others come from decoding.
        let (kind, event) = match (w.name, w.source) {
            ("rexmit_inconsistency", _) => {
                ("stream", Some("stream.reassembly_overlap_different_data"))
            }
            (_, "decoder") => ("decode", suricata_decoder_event(w.name, v6)),
            _ => ("applayer", None),
        };
        a.str("type", kind);
        a.str("event", event.unwrap_or(w.name));
        if kind == "applayer" {
            a.str("layer", "proto_parser");
        }
        a.end();
        if kind == "applayer" {
            o.str("app_proto", &w.source.to_ascii_lowercase());
        }
        o.end();
        self.emit()
    }

    /// `dns` events in Suricata's version 3 format (its default since 8.0): a `request` event
    /// when the query was seen, a `response` event (in the direction of the response) when the
    /// response was seen.
    ///
    /// What netloupe's dns record keeps, and so what is derived here:
    /// * the query name and type come from the query; for a response seen alone, the name is
    ///   the owner of its first answer and the type that answer's type;
    /// * answers are kept as Zeek's texts with their TTLs: `rrtype` is inferred from the text
    ///   (an IPv4 address is `A`, IPv6 `AAAA`, `TXT`/`SPF`/`SSHFP` texts carry their type, a
    ///   name answering an A/AAAA query is a `CNAME`, else the query type) and `rrname` follows
    ///   the CNAME chain from the query name;
    /// * `flags` is rebuilt from the header bits kept (QR, opcode, AA, TC, RD, RA, Z, rcode);
    ///   AA and RA are only known when the response carried answers (Zeek's semantics);
    /// * `authorities` are not written: the record keeps their texts without owner, type or
    ///   TTL.
    fn dns(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Dns(d) = &e.record else {
            return Ok(());
        };
        let query_seen = d.qtype.is_some() || d.rcode.is_none();
        let response_seen = d.rcode.is_some();
        let fid = flow_id(uid);
        let cid = event_community_id(e, self.seed);
        let answers = dns_answers(&e.record);
        // Suricata keeps the case of names as sent; Zeek (and so the record's `query`) lowers it.
        let qname = d
            .query_case
            .clone()
            .or_else(|| d.query.clone())
            .unwrap_or_default();
        let qtype = d.qtype_name().or_else(|| {
            answers
                .iter()
                .find(|a| a.1 != "CNAME")
                .or(answers.first())
                .map(|a| a.1.clone())
        });
        if query_seen {
            let tx = self.next_dns_tx(uid);
            self.line.clear();
            let mut o = JsonObject::new(&mut self.line);
            eve_ts(&mut o, "timestamp", d.ts_ns);
            o.raw("flow_id", fid);
            o.str("event_type", "dns");
            endpoints(&mut o, e, false, &d.proto.as_str().to_ascii_uppercase());
            o.raw("tx_id", tx);
            o.key("dns");
            let mut n = JsonObject::new(o.out());
            if self.dns_version == 2 {
                // Version 2: one `query` event per question, its name and type inline.
                n.str("type", "query");
                n.raw("id", d.trans_id);
                if d.z != 0 {
                    n.raw("z", true);
                }
                n.str("rrname", &qname);
                if let Some(t) = qtype.as_deref() {
                    n.str("rrtype", t);
                }
                n.raw("tx_id", tx);
                n.raw("opcode", d.opcode.unwrap_or(0));
                n.end();
            } else {
                n.raw("version", 3);
                n.str("type", "request");
                n.raw("tx_id", tx);
                n.raw("id", d.trans_id);
                let flags = dns_flags(&e.record, false);
                n.str("flags", &format!("{flags:x}"));
                if d.rd {
                    n.raw("rd", true);
                }
                if d.tc {
                    n.raw("tc", true);
                }
                if d.z != 0 {
                    n.raw("z", true);
                }
                n.raw("opcode", d.opcode.unwrap_or(0));
                write_queries(&mut n, &qname, qtype.as_deref());
                n.end();
            }
            app_event_tail(o, "dns", &cid);
            self.emit()?;
        }
        if response_seen {
            let tx = if query_seen {
                self.dns_tx.get(uid).copied().unwrap_or(1).saturating_sub(1)
            } else {
                self.next_dns_tx(uid)
            };
            self.line.clear();
            let ts = d.ts_ns + d.rtt_ns.unwrap_or(0);
            let mut o = JsonObject::new(&mut self.line);
            eve_ts(&mut o, "timestamp", ts);
            o.raw("flow_id", fid);
            o.str("event_type", "dns");
            // Version 3 logs the response in its own direction, version 2 in the flow's.
            let v2 = self.dns_version == 2;
            endpoints(&mut o, e, !v2, &d.proto.as_str().to_ascii_uppercase());
            o.raw("tx_id", tx);
            o.key("dns");
            let mut n = JsonObject::new(o.out());
            if v2 {
                n.raw("version", 2);
                n.str("type", "answer");
            } else {
                n.raw("version", 3);
                n.str("type", "response");
                n.raw("tx_id", tx);
            }
            n.raw("id", d.trans_id);
            let flags = dns_flags(&e.record, true);
            n.str("flags", &format!("{flags:x}"));
            n.raw("qr", true);
            if d.aa {
                n.raw("aa", true);
            }
            if d.tc {
                n.raw("tc", true);
            }
            if d.rd {
                n.raw("rd", true);
            }
            if d.ra {
                n.raw("ra", true);
            }
            if d.z != 0 {
                n.raw("z", true);
            }
            n.raw("opcode", d.opcode.unwrap_or(0));
            if v2 {
                n.str("rrname", &qname);
                if let Some(t) = qtype.as_deref() {
                    n.str("rrtype", t);
                }
            }
            if let Some(rc) = d.rcode_name() {
                n.str("rcode", &rc);
            }
            if !v2 {
                write_queries(&mut n, &qname, qtype.as_deref());
            }
            if !answers.is_empty() {
                n.key("answers");
                n.out().push('[');
                for (i, (name, ty, ttl, rdata)) in answers.iter().enumerate() {
                    if i > 0 {
                        n.out().push(',');
                    }
                    let mut a = JsonObject::new(n.out());
                    a.str("rrname", name);
                    a.str("rrtype", ty);
                    a.raw("ttl", ttl);
                    write_rdata(&mut a, d.answer_details.get(i), rdata);
                    a.end();
                }
                n.out().push(']');
                // `grouped`: the rdata by type, types in order of first appearance.
                let mut order: Vec<&str> = Vec::new();
                for (_, ty, _, _) in &answers {
                    if !order.contains(&ty.as_str()) {
                        order.push(ty);
                    }
                }
                n.key("grouped");
                let mut g = JsonObject::new(n.out());
                for ty in order {
                    let of_type = || answers.iter().enumerate().filter(|(_, a)| a.1 == ty);
                    let structured = of_type().any(|(i, _)| {
                        matches!(
                            d.answer_details.get(i),
                            Some(RrDetail::Srv { .. } | RrDetail::Sshfp { .. })
                        )
                    });
                    if structured {
                        // SRV and SSHFP data are objects, grouped as such.
                        g.key(ty);
                        g.out().push('[');
                        for (k, (i, a)) in of_type().enumerate() {
                            if k > 0 {
                                g.out().push(',');
                            }
                            let detail = d.answer_details.get(i);
                            let mut one = JsonObject::new(g.out());
                            write_rdata(&mut one, detail, &a.3);
                            one.end();
                        }
                        g.out().push(']');
                        continue;
                    }
                    let v: Vec<&str> = of_type().map(|(_, a)| a.3.as_str()).collect();
                    g.str_array(ty, &v);
                }
                g.end();
            }
            n.end();
            app_event_tail(o, "dns", &cid);
            self.emit()?;
        }
        Ok(())
    }

    fn next_dns_tx(&mut self, uid: &str) -> u64 {
        next_tx(&mut self.dns_tx, uid)
    }

    /// An `http` event per transaction. `length` is the response body length after removing
    /// chunked framing; `http_content_type` and `redirect` are not written (the record keeps the
    /// sniffed MIME type, not the Content-Type and Location headers).
    fn http(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Http(h) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(h.ts_ns, uid, "http", e, false, "TCP");
        o.raw("tx_id", h.trans_depth.saturating_sub(1));
        o.key("http");
        let mut n = JsonObject::new(o.out());
        if let Some(v) = &h.host {
            n.str("hostname", host_without_port(v));
        }
        if let Some(v) = &h.uri {
            n.str("url", v);
        }
        if let Some(v) = &h.user_agent {
            n.str("http_user_agent", v);
        }
        if let Some(v) = &h.referrer {
            n.str("http_refer", v);
        }
        if let Some(v) = &h.method {
            n.str("http_method", v);
        }
        if let Some(v) = &h.version {
            if v != "0.9" {
                n.str("protocol", &format!("HTTP/{v}"));
            }
        }
        if let Some(s) = h.status_code {
            if s != 0 {
                n.raw("status", s);
            }
        }
        n.raw("length", h.response_body_len);
        n.end();
        app_event_tail(o, "http", &cid);
        self.emit()
    }

    /// A `tls` event per TLS session, with the host certificate's fields when one was seen
    /// (`fingerprint` is Suricata's colon-separated SHA-1 of it). `ja3`/`ja3s` have their hash
    /// only (the record does not keep the strings).
    fn tls(&mut self, e: &AppEvent, uid: &str, cert: Option<&AppRecord>) -> std::io::Result<()> {
        let AppRecord::Ssl(s) = &e.record else {
            return Ok(());
        };
        if s.over_quic || s.over_dtls {
            // Suricata logs QUIC's hellos in its `quic` events, not as TLS sessions, and has
            // no DTLS parser.
            return Ok(());
        }
        let cert = match cert {
            Some(AppRecord::X509(c)) => Some(c),
            _ => None,
        };
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(s.ts_ns, uid, "tls", e, false, "TCP");
        o.key("tls");
        let mut n = JsonObject::new(o.out());
        if let Some(c) = cert {
            n.str("subject", &suricata_dn(&c.subject));
            n.str("issuerdn", &suricata_dn(&c.issuer));
            n.str("serial", &suricata_serial(&c.serial));
            n.str("notbefore", &iso_seconds(c.not_valid_before));
            n.str("notafter", &iso_seconds(c.not_valid_after));
            if !c.sha1.is_empty() {
                n.str("fingerprint", &colon_hex(&c.sha1));
            }
        }
        if s.resumed {
            n.raw("session_resumed", true);
        }
        if let Some(v) = &s.server_name {
            n.str("sni", v);
        }
        if let Some(v) = &s.version {
            n.str("version", &suricata_tls_version(v));
        } else if s.client_tls13_pre16_draft {
            // Only the client's draft_version extension says which version is spoken.
            n.str("version", "TLS 1.3 draft-<16");
        }
        if let Some(h) = &s.ja3 {
            n.key("ja3");
            let mut j = JsonObject::new(n.out());
            j.str("hash", h);
            j.end();
        }
        if let Some(h) = &s.ja3s {
            n.key("ja3s");
            let mut j = JsonObject::new(n.out());
            j.str("hash", h);
            j.end();
        }
        if let Some(v) = &s.ja4 {
            n.str("ja4", v);
        }
        n.end();
        app_event_tail(o, "tls", &cid);
        self.emit()
    }

    /// A `krb5` event per Kerberos exchange, from the kerberos.log record: `msg_type` is the
    /// reply's type (`KRB_AS_REP`, `KRB_TGS_REP`), `KRB_ERROR` with the request's type in
    /// `failed_request` and the error's name in `error_code`, or the request's type when no
    /// reply was seen; `cname`/`realm` split from Zeek's `client` ("name/realm"), `sname` is
    /// the service; `ticket_encryption` is the ticket's encryption type, weak for DES and RC4.
    /// The reply part's own encryption type (`encryption`) is not kept, so not written.
    fn krb5(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Kerberos(k) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let proto = if k.tcp { "TCP" } else { "UDP" };
        let mut o = self.begin(k.ts_ns, uid, "krb5", e, false, proto);
        o.key("krb5");
        let mut n = JsonObject::new(o.out());
        let kind = k.request_type.as_deref().unwrap_or("");
        let req = format!("KRB_{kind}_REQ");
        match k.success {
            Some(true) => n.str("msg_type", &format!("KRB_{kind}_REP")),
            Some(false) => {
                n.str("msg_type", "KRB_ERROR");
                n.str("failed_request", &req);
                if let Some(m) = &k.error_msg {
                    n.str("error_code", m);
                }
            }
            None => n.str("msg_type", &req),
        }
        if let Some(c) = &k.client {
            let (cname, realm) = c.rsplit_once('/').unwrap_or((c.as_str(), ""));
            if !cname.is_empty() {
                n.str("cname", cname);
            }
            if !realm.is_empty() {
                n.str("realm", realm);
            }
        }
        if let Some(s) = &k.service {
            n.str("sname", s);
        }
        if let Some(c) = &k.cipher {
            n.str("ticket_encryption", c);
            n.raw(
                "ticket_weak_encryption",
                c.starts_with("des") || c.starts_with("rc4"),
            );
        }
        n.end();
        app_event_tail(o, "krb5", &cid);
        self.emit()
    }

    /// An `ssh` event per connection: each side's identification split into protocol and
    /// software versions (the software version ends at the first space, comments dropped), and
    /// the HASSH fingerprints.
    fn ssh(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Ssh(s) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(s.ts_ns, uid, "ssh", e, false, "TCP");
        o.key("ssh");
        let mut n = JsonObject::new(o.out());
        let sides = [
            ("client", &s.client, &s.hassh, &s.hassh_algorithms),
            (
                "server",
                &s.server,
                &s.hassh_server,
                &s.hassh_server_algorithms,
            ),
        ];
        for (k, banner, hash, algs) in sides {
            if banner.is_none() && hash.is_none() {
                continue;
            }
            n.key(k);
            let mut c = JsonObject::new(n.out());
            if let Some(b) = banner {
                let (p, sw) = split_ssh_banner(b);
                c.str("proto_version", p);
                c.str("software_version", sw);
            }
            if let Some(h) = hash {
                c.key("hassh");
                let mut hh = JsonObject::new(c.out());
                hh.str("hash", h);
                if let Some(a) = algs {
                    hh.str("string", a);
                }
                hh.end();
            }
            c.end();
        }
        n.end();
        app_event_tail(o, "ssh", &cid);
        self.emit()
    }

    /// A `quic` event per QUIC connection, from the quic.log record (the client's first
    /// Initial): `version` as Suricata writes an IETF version, the number in hex without
    /// leading zeros ("1", "ff00001d", "6b3343cf"), recovered from Zeek's version name; `sni`
    /// and `ja4` of the ClientHello. Suricata logs one event per Initial or handshake packet
    /// with the hello's extension list, CYU hash and user agent; netloupe keeps neither the
    /// packets nor those, so one event is written and those fields are not.
    fn quic(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Quic(q) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(q.ts_ns, uid, "quic", e, false, "UDP");
        o.key("quic");
        let mut n = JsonObject::new(o.out());
        if let Some(v) = suricata_quic_version(&q.version) {
            n.str("version", &v);
        }
        if let Some(v) = &q.server_name {
            n.str("sni", v);
        }
        if let Some(v) = &q.ja4 {
            n.str("ja4", v);
        }
        n.end();
        app_event_tail(o, "quic", &cid);
        self.emit()
    }

    /// The header of a protocol event (timestamp, flow_id, event_type, endpoints, proto),
    /// the line cleared first.
    fn begin(
        &mut self,
        ts_ns: i64,
        uid: &str,
        event_type: &str,
        e: &AppEvent,
        reverse: bool,
        proto: &str,
    ) -> JsonObject<'_> {
        self.line.clear();
        let mut o = JsonObject::new(&mut self.line);
        eve_ts(&mut o, "timestamp", ts_ns);
        o.raw("flow_id", flow_id(uid));
        o.str("event_type", event_type);
        endpoints(&mut o, e, reverse, proto);
        o
    }

    /// `rdp` events from the rdp.log record, one per exchange the record shows: the client's
    /// Connection Request (`initial_request`, with its `cookie`), the server's negotiation
    /// answer (`initial_response`, the selected `protocol` in Suricata's lower-case names)
    /// and the client's MCS Connect Initial (`connect_request`: `client.client_name`,
    /// `client.desktop_width`/`desktop_height`, `client.id` (the digital product id) and the
    /// static virtual `channels`). The record keeps Zeek's texts of the build, keyboard
    /// layout and colour depth, not the numbers Suricata names differently, so those are not
    /// written; neither is `tx_id` (the record does not number the PDUs).
    fn rdp(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Rdp(r) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let one = |w: &mut Self, kind: &str, body: &dyn Fn(&mut JsonObject<'_>)| {
            let mut o = w.begin(r.ts_ns, uid, "rdp", e, kind == "initial_response", "TCP");
            o.key("rdp");
            let mut n = JsonObject::new(o.out());
            n.str("event_type", kind);
            body(&mut n);
            n.end();
            app_event_tail(o, "rdp", &cid);
            w.emit()
        };
        if r.cookie.is_some() || r.requested_protocols.is_some() {
            one(self, "initial_request", &|n| {
                if let Some(c) = r.cookie.as_deref().filter(|c| !c.is_empty()) {
                    n.str("cookie", c);
                }
            })?;
        }
        if let Some(p) = &r.security_protocol {
            one(self, "initial_response", &|n| {
                n.str("protocol", &p.to_ascii_lowercase());
            })?;
        }
        let client_data = r.client_name.is_some()
            || r.client_dig_product_id.is_some()
            || r.desktop_width.is_some()
            || !r.client_channels.is_empty();
        if client_data {
            one(self, "connect_request", &|n| {
                n.key("client");
                let mut c = JsonObject::new(n.out());
                if let Some(v) = r.desktop_width {
                    c.raw("desktop_width", v);
                }
                if let Some(v) = r.desktop_height {
                    c.raw("desktop_height", v);
                }
                if let Some(v) = &r.client_name {
                    c.str("client_name", v);
                }
                if let Some(v) = &r.client_dig_product_id {
                    c.str("id", v);
                }
                c.end();
                if !r.client_channels.is_empty() {
                    let ch: Vec<String> = r
                        .client_channels
                        .iter()
                        .map(|c| c.to_ascii_lowercase())
                        .collect();
                    n.str_array("channels", &ch);
                }
            })?;
        }
        Ok(())
    }

    /// `dhcp` events from the dhcp.log record, which aggregates a transaction's messages:
    /// one event per message type in `msg_types`, `type` `request` (client messages, from
    /// the client) or `reply` (OFFER, ACK, NAK, from the server; the connection's endpoints are
    /// swapped when its responder has the sender's port), `id` the transaction id,
    /// `client_mac`, `dhcp_type` the message type in lower case. Values the record keeps for
    /// the transaction go on the message they come from: `assigned_ip` on the ACK,
    /// `hostname` on the last client message, `lease_time`, `routers` and `dns_servers` on
    /// the last server reply. Only the first and last message times are kept: the first
    /// event has the first, the last event the last, the others the first.
    fn dhcp(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Dhcp(d) = &e.record else {
            return Ok(());
        };
        let is_reply = |t: &str| matches!(t, "OFFER" | "ACK" | "NAK");
        let last_client = d.msg_types.iter().rposition(|t| !is_reply(t));
        let last_reply = d.msg_types.iter().rposition(|t| is_reply(t));
        let cid = event_community_id(e, self.seed);
        for (i, t) in d.msg_types.iter().enumerate() {
            let reply = is_reply(t);
            let ts = if i + 1 == d.msg_types.len() {
                d.ts_ns + d.duration_ns
            } else {
                d.ts_ns
            };
            // The sender of a reply is the server (port 67), of a request the client: the
            // connection's responder when its port is the sender's.
            let reverse = e.resp_p == if reply { 67 } else { 68 };
            let mut o = self.begin(ts, uid, "dhcp", e, reverse, "UDP");
            o.key("dhcp");
            let mut n = JsonObject::new(o.out());
            n.str("type", if reply { "reply" } else { "request" });
            n.raw("id", d.trans_id);
            if let Some(m) = &d.mac {
                n.str("client_mac", m);
            }
            if t == "ACK" {
                if let Some(a) = d.assigned_addr {
                    n.display("assigned_ip", a);
                }
            }
            n.str("dhcp_type", &t.to_ascii_lowercase());
            if Some(i) == last_client {
                if let Some(h) = &d.host_name {
                    n.str("hostname", h);
                }
            }
            if Some(i) == last_reply {
                if let Some(l) = d.lease_time {
                    n.raw("lease_time", l);
                }
                if !d.routers.is_empty() {
                    let v: Vec<String> = d.routers.iter().map(|a| a.to_string()).collect();
                    n.str_array("routers", &v);
                }
                if !d.dns_servers.is_empty() {
                    let v: Vec<String> = d.dns_servers.iter().map(|a| a.to_string()).collect();
                    n.str_array("dns_servers", &v);
                }
            }
            n.end();
            app_event_tail(o, "dhcp", &cid);
            self.emit()?;
        }
        Ok(())
    }

    /// An `smtp` event per smtp.log record, `tx_id` numbering the connection's records from 0
    /// (Suricata counts every transaction, an envelope abandoned by RSET included, as Zeek's
    /// records do; Zeek's `trans_depth` counts delivered messages only):
    /// `smtp.helo`, `smtp.mail_from` and `smtp.rcpt_to` (netloupe keeps the addresses without
    /// their angle brackets; Suricata writes the command's argument, `<address>`, so the
    /// brackets are put back), and, when the message's headers were seen, the `email` object:
    /// `from`, `to`, `cc` and `subject` as in the headers and `status` `PARSE_DONE` (the
    /// record is written once the message ended), when message content was sent (even empty).
    /// Transactions Zeek does not log (a DATA attempt without envelope) are events too. The MIME details Suricata adds (`url`,
    /// `attachment`, `received`, ...) are not kept.
    fn smtp(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Smtp(m) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let tx = next_tx(&mut self.smtp_tx, uid);
        let mut o = self.begin(m.ts_ns, uid, "smtp", e, false, "TCP");
        o.raw("tx_id", tx);
        o.key("smtp");
        let mut n = JsonObject::new(o.out());
        if let Some(h) = &m.helo {
            n.str("helo", h);
        }
        if let Some(f) = &m.mailfrom {
            n.str("mail_from", &format!("<{f}>"));
        }
        if !m.rcptto.is_empty() {
            let v: Vec<String> = m.rcptto.iter().map(|r| format!("<{r}>")).collect();
            n.str_array("rcpt_to", &v);
        }
        n.end();
        let message = m.message
            || m.from.is_some()
            || !m.to.is_empty()
            || !m.cc.is_empty()
            || m.subject.is_some()
            || m.date.is_some()
            || m.msg_id.is_some()
            || m.body_bytes > 0;
        if message {
            o.key("email");
            let mut em = JsonObject::new(o.out());
            em.str("status", "PARSE_DONE");
            if let Some(f) = &m.from {
                em.str("from", f);
            }
            if !m.to.is_empty() {
                em.str_array("to", &m.to);
            }
            if !m.cc.is_empty() {
                em.str_array("cc", &m.cc);
            }
            if let Some(s) = &m.subject {
                em.str("subject", s);
            }
            em.end();
        }
        app_event_tail(o, "smtp", &cid);
        self.emit()
    }

    /// An `ftp` event per client command (the FTP parser keeps a record of each, marking the
    /// ones Zeek writes to ftp.log), and one for the server's greeting (Zeek's `<init>`,
    /// written without `command`, as Suricata 8's connection-open transaction):
    /// `command`; `command_data`, the argument (a hidden password stays hidden), except for
    /// commands naming a file, whose argument the record keeps only as an `ftp://` URL built
    /// with the working directory; `reply` and `completion_code` from the final reply line
    /// (netloupe keeps only that one); `reply_received` `yes`/`no`; for PORT, EPRT, PASV and
    /// EPSV the announced `dynamic_port` and `mode` (`active`/`passive`). Truncation flags
    /// are not written (the record does not say).
    fn ftp(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::Ftp(f) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(f.ts_ns, uid, "ftp", e, false, "TCP");
        o.key("ftp");
        let mut n = JsonObject::new(o.out());
        // Zeek's pseudo-command for the server's greeting ("<init>") is no client command:
        // Suricata 8 logs the greeting as a transaction of its own, with its reply only.
        if !f.command.starts_with('<') {
            n.str("command", &f.command);
        }
        if let Some(a) = &f.arg {
            if !a.starts_with("ftp://") && !a.is_empty() {
                n.str("command_data", a);
            }
        }
        if let Some(c) = f.reply_code {
            if let Some(m) = &f.reply_msg {
                n.str_array("reply", &[m.as_str()]);
            }
            n.str_array("completion_code", &[c.to_string()]);
        }
        if let Some(d) = &f.data_channel {
            n.raw("dynamic_port", d.resp_p);
            n.str("mode", if d.passive { "passive" } else { "active" });
        }
        n.str(
            "reply_received",
            if f.reply_code.is_some() { "yes" } else { "no" },
        );
        n.end();
        app_event_tail(o, "ftp", &cid);
        self.emit()
    }

    /// An `ldap` event per ldap.log or ldap_search.log record (one message id: the request
    /// and its responses). `request`: `message_id`, `operation` in Suricata's names
    /// (`bind_request`, `search_request`, ...; a "modify" record is a `modify_request` when it
    /// has changes, else it may be a modify-DN request and the operation is not written), and
    /// what the record keeps of it: an extended request's OID (`extended_request.name`), a
    /// deleted DN (`del_request.dn`), a search's base object, scope and alias dereferencing
    /// (as numbers), limits and attributes. `responses`, when a result was seen: for a search,
    /// one `search_result_entry` per entry counted (their contents are not kept) then
    /// `search_result_done`; otherwise the operation's response. A result has `result_code`
    /// (Zeek's name with `_` for spaces, which is Suricata's) and `message` (the diagnostic
    /// message, which the record keeps only when not empty). `matched_dn` is not kept.
    fn ldap(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let (ts, message_id, udp) = match &e.record {
            AppRecord::Ldap(r) => (r.ts_ns, r.message_id, r.udp),
            AppRecord::LdapSearch(r) => (r.ts_ns, r.message_id, r.udp),
            _ => return Ok(()),
        };
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(ts, uid, "ldap", e, false, if udp { "UDP" } else { "TCP" });
        o.key("ldap");
        let mut n = JsonObject::new(o.out());
        n.key("request");
        let mut q = JsonObject::new(n.out());
        q.raw("message_id", message_id);
        let result = |n: &mut JsonObject<'_>, op: &str, code: &str, msg: Option<&String>| {
            let mut r = JsonObject::new(n.out());
            r.raw("message_id", message_id);
            r.str("operation", op);
            r.key(op);
            let mut b = JsonObject::new(r.out());
            b.str(
                "result_code",
                &code.to_ascii_lowercase().replace([' ', '-'], "_"),
            );
            b.str("message", msg.map_or("", |m| m.as_str()));
            b.end();
            r.end();
        };
        match &e.record {
            AppRecord::Ldap(r) => {
                let op = match r.opcode.as_deref().unwrap_or("") {
                    o if o.starts_with("bind") || o.starts_with("sicily") => Some("bind"),
                    "unbind" => Some("unbind"),
                    "modify" if r.argument.is_some() => Some("modify"),
                    "add" => Some("add"),
                    "delete" => Some("del"),
                    "compare" => Some("compare"),
                    "abandon" => Some("abandon"),
                    "extended" => Some("extended"),
                    _ => None,
                };
                if let Some(op) = op {
                    q.str("operation", &format!("{op}_request"));
                    match op {
                        "extended" => {
                            if let Some(obj) = &r.object {
                                // "1.3.6.1.4.1.1466.20037 (StartTLS)": the OID.
                                let oid = obj.split(' ').next().unwrap_or("");
                                q.key("extended_request");
                                let mut x = JsonObject::new(q.out());
                                x.str("name", oid);
                                x.end();
                            }
                        }
                        "del" => {
                            if let Some(dn) = &r.argument {
                                q.key("del_request");
                                let mut x = JsonObject::new(q.out());
                                x.str("dn", dn);
                                x.end();
                            }
                        }
                        _ => {}
                    }
                }
                q.end();
                if let (Some(op), Some(code)) = (op, &r.result) {
                    n.key("responses");
                    n.out().push('[');
                    let name = format!("{op}_response");
                    result(&mut n, &name, code, r.diagnostic_message.as_ref());
                    n.out().push(']');
                }
            }
            AppRecord::LdapSearch(r) => {
                q.str("operation", "search_request");
                q.key("search_request");
                let mut x = JsonObject::new(q.out());
                if let Some(b) = &r.base_object {
                    x.str("base_object", b);
                }
                let scope = match r.scope.as_deref() {
                    Some("base") => Some(0),
                    Some("single") => Some(1),
                    Some("tree") => Some(2),
                    _ => None,
                };
                if let Some(v) = scope {
                    x.raw("scope", v);
                }
                let deref = match r.deref_aliases.as_deref() {
                    Some("never") => Some(0),
                    Some("searching") => Some(1),
                    Some("finding") => Some(2),
                    Some("always") => Some(3),
                    _ => None,
                };
                if let Some(v) = deref {
                    x.raw("deref_alias", v);
                }
                if let Some(v) = r.size_limit {
                    x.raw("size_limit", v);
                }
                if let Some(v) = r.time_limit {
                    x.raw("time_limit", v);
                }
                if !r.attributes.is_empty() {
                    x.str_array("attributes", &r.attributes);
                }
                x.end();
                q.end();
                if r.result_count > 0 || r.result.is_some() {
                    n.key("responses");
                    n.out().push('[');
                    for i in 0..r.result_count {
                        if i > 0 {
                            n.out().push(',');
                        }
                        let mut x = JsonObject::new(n.out());
                        x.raw("message_id", message_id);
                        x.str("operation", "search_result_entry");
                        x.end();
                    }
                    if let Some(code) = &r.result {
                        if r.result_count > 0 {
                            n.out().push(',');
                        }
                        result(
                            &mut n,
                            "search_result_done",
                            code,
                            r.diagnostic_message.as_ref(),
                        );
                    }
                    n.out().push(']');
                }
            }
            _ => q.end(),
        }
        n.end();
        app_event_tail(o, "ldap", &cid);
        self.emit()
    }

    /// A `dcerpc` event per call of DCE/RPC over TCP (dce_rpc.log record): `request`
    /// `REQUEST` with `req.opnum` and `req.stub_data_size` (the request's stub bytes over all
    /// fragments); `response` `RESPONSE`, `FAULT`, or `UNREPLIED` when none was seen. Calls
    /// on SMB named pipes are not written: Suricata logs those inside its `smb` events. Not
    /// kept, so not written: `call_id`, fragment counts, the response's stub size,
    /// `rpc_version`, and the bind's `interfaces`.
    fn dcerpc(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        let AppRecord::DceRpc(d) = &e.record else {
            return Ok(());
        };
        if d.over_smb {
            return Ok(());
        }
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(d.ts_ns, uid, "dcerpc", e, false, "TCP");
        o.key("dcerpc");
        let mut n = JsonObject::new(o.out());
        n.str("request", "REQUEST");
        n.key("req");
        let mut q = JsonObject::new(n.out());
        q.raw("opnum", d.opnum);
        q.raw("stub_data_size", d.stub_len);
        q.end();
        let response = match (d.fault, d.rtt_ns) {
            (Some(_), _) => "FAULT",
            (None, Some(_)) => "RESPONSE",
            (None, None) => "UNREPLIED",
        };
        n.str("response", response);
        n.end();
        app_event_tail(o, "dcerpc", &cid);
        self.emit()
    }

    /// An `smb` event per SMB transaction ([`netloupe_proto::smb::SmbCmdRecord`]: a command
    /// and its response; the reads, or the writes, of one open file; a write to a named pipe
    /// with the RPC response read after it), as Suricata logs them: `id` (from 1 per
    /// connection), `dialect` (`unknown` when the negotiation was not seen), `command`,
    /// `status` and `status_code` (none for a request never answered), `session_id`,
    /// `tree_id`, and what the command carries: `filename`, `share` or `named_pipe` (the
    /// tree's UNC path), `share_type` of tree connects, a create's `disposition`, `access`
    /// (`normal` or `delete on close`, also for a delete disposition set on an open file),
    /// times in seconds and `size`, `fuid` (SMB2 file ids),
    /// `rename`, a negotiation's `client_dialects` and `server_guid`, SMB1 session setups'
    /// native OS and LAN manager (`request`, `response`), and the DCE/RPC PDU types of pipe
    /// transactions (`dcerpc.request`, `dcerpc.response`, `UNREPLIED` when none, `opnum`,
    /// `call_id`). Not written: NTLMSSP and Kerberos details, bind interfaces. Tree mappings
    /// and file actions (the smb_mapping.log and smb_files.log records) have no event of
    /// their own: their commands do.
    fn smb(&mut self, e: &AppEvent, uid: &str) -> std::io::Result<()> {
        use netloupe_proto::smb::names;
        let AppRecord::SmbCmd(r) = &e.record else {
            return Ok(());
        };
        let cid = event_community_id(e, self.seed);
        let mut o = self.begin(r.ts_ns, uid, "smb", e, false, "TCP");
        o.key("smb");
        let mut n = JsonObject::new(o.out());
        n.raw("id", r.id);
        n.str("dialect", r.dialect.as_deref().unwrap_or("unknown"));
        match r.command_name() {
            Some(c) => n.str("command", c),
            None => n.str("command", &format!("{:#x}", r.command)),
        }
        if let Some(s) = r.status {
            n.str("status", &s.name());
            n.str("status_code", &s.code());
        }
        n.raw("session_id", r.session_id);
        n.raw("tree_id", r.tree_id);
        if let Some(f) = &r.filename {
            n.str("filename", f);
        }
        if let Some(sh) = &r.share {
            n.str(if r.share_pipe { "named_pipe" } else { "share" }, sh);
        }
        if let Some(t) = r.share_type {
            n.str("share_type", t);
        }
        if let Some(d) = r.disposition.and_then(names::disposition) {
            n.str("disposition", d);
        }
        if r.disposition.is_some() || r.delete_on_close {
            n.str(
                "access",
                if r.delete_on_close {
                    "delete on close"
                } else {
                    "normal"
                },
            );
        }
        if let Some([c, a, m, ch]) = r.times {
            n.raw("created", c);
            n.raw("accessed", a);
            n.raw("modified", m);
            n.raw("changed", ch);
        }
        if let Some(sz) = r.size {
            n.raw("size", sz);
        }
        if let (Some(f), false) = (r.fuid, r.smb1) {
            n.str("fuid", &names::guid(f));
        }
        if let Some((from, to)) = &r.rename {
            n.key("rename");
            let mut x = JsonObject::new(n.out());
            x.str("from", from);
            x.str("to", to);
            x.end();
        }
        if !r.client_dialects.is_empty() {
            n.str_array("client_dialects", &r.client_dialects);
        }
        if let Some(g) = r.server_guid {
            n.str("server_guid", &names::guid(g));
        }
        for (k, v) in [("request", &r.native[0]), ("response", &r.native[1])] {
            if let Some((os, lm)) = v {
                n.key(k);
                let mut x = JsonObject::new(n.out());
                x.str("native_os", os);
                x.str("native_lm", lm);
                x.end();
            }
        }
        if let Some(rpc) = &r.rpc {
            n.key("dcerpc");
            let mut x = JsonObject::new(n.out());
            x.str("request", dcerpc_ptype(rpc.request));
            x.str("response", rpc.response.map_or("UNREPLIED", dcerpc_ptype));
            if let Some(op) = rpc.opnum {
                x.raw("opnum", op);
            }
            x.raw("call_id", rpc.call_id);
            x.end();
        }
        n.end();
        app_event_tail(o, "smb", &cid);
        self.emit()
    }

    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A DCE/RPC PDU type as Suricata names it (C706 12.6.4).
fn dcerpc_ptype(t: u8) -> &'static str {
    match t {
        0 => "REQUEST",
        1 => "PING",
        2 => "RESPONSE",
        3 => "FAULT",
        4 => "WORKING",
        5 => "NOCALL",
        6 => "REJECT",
        7 => "ACK",
        8 => "CL_CANCEL",
        9 => "FACK",
        10 => "CANCEL_ACK",
        11 => "BIND",
        12 => "BINDACK",
        13 => "BINDNAK",
        14 => "ALTER_CONTEXT",
        15 => "ALTER_CONTEXT_RESP",
        16 => "AUTH3",
        17 => "SHUTDOWN",
        18 => "CO_CANCEL",
        19 => "ORPHANED",
        _ => "UNKNOWN",
    }
}

/// The next transaction number (from 0) of a connection in `counts`.
fn next_tx(counts: &mut HashMap<String, u64>, uid: &str) -> u64 {
    if counts.len() >= MAX_TRACKED && !counts.contains_key(uid) {
        counts.clear();
    }
    let c = counts.entry(uid.to_string()).or_insert(0);
    *c += 1;
    *c - 1
}

/// The Host header without its port, as Suricata's `hostname` ("[::1]:8000" → "[::1]").
fn host_without_port(h: &str) -> &str {
    if h.starts_with('[') {
        return match h.find(']') {
            Some(i) => &h[..=i],
            None => h,
        };
    }
    match h.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => h,
    }
}

/// An address as Suricata writes it: IPv6 with all eight groups of four digits.
fn addr(o: &mut JsonObject<'_>, k: &str, a: IpAddr) {
    match a {
        IpAddr::V4(v) => o.display(k, v),
        IpAddr::V6(v) => {
            let g = v.segments();
            o.str(
                k,
                &format!(
                    "{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}",
                    g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
                ),
            );
        }
    }
}

/// The reply type of an ICMP request type (and the request of a reply), for the types that
/// come in pairs.
fn icmp_counterpart(ip_proto: u8, t: u8) -> Option<u8> {
    let pairs: &[(u8, u8)] = if ip_proto == 1 {
        &[(8, 0), (13, 14), (15, 16), (17, 18), (10, 9)]
    } else {
        &[
            (128, 129),
            (130, 131),
            (133, 134),
            (135, 136),
            (139, 140),
            (144, 145),
        ]
    };
    pairs.iter().find_map(|&(a, b)| {
        if t == a {
            Some(b)
        } else if t == b {
            Some(a)
        } else {
            None
        }
    })
}

/// The connection's addresses (swapped for events in the responder's direction) and protocol.
fn endpoints(o: &mut JsonObject<'_>, e: &AppEvent, reverse: bool, proto: &str) {
    let (sh, sp, dh, dp) = if reverse {
        (e.resp_h, e.resp_p, e.orig_h, e.orig_p)
    } else {
        (e.orig_h, e.orig_p, e.resp_h, e.resp_p)
    };
    addr(o, "src_ip", sh);
    o.raw("src_port", sp);
    addr(o, "dest_ip", dh);
    o.raw("dest_port", dp);
    o.str("proto", proto);
}

/// Lower-case hex as colon-separated byte pairs (`ab:cd:...`), as Suricata writes digests.
fn colon_hex(hex: &str) -> String {
    let mut out = String::with_capacity(hex.len() * 3 / 2);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(std::str::from_utf8(pair).unwrap_or(""));
    }
    out
}

/// Ends an app-layer event with the fields every one ends with.
fn app_event_tail(mut o: JsonObject<'_>, app_proto: &str, community_id: &str) {
    o.str("app_proto", app_proto);
    o.str("community_id", community_id);
    o.end();
}

fn event_community_id(e: &AppEvent, seed: u16) -> String {
    let proto = if e.record.over_udp() { 17 } else { 6 };
    community_id_v1(seed, e.orig_h, e.resp_h, proto, e.orig_p, e.resp_p)
}

fn write_queries(n: &mut JsonObject<'_>, qname: &str, qtype: Option<&str>) {
    if qname.is_empty() && qtype.is_none() {
        return;
    }
    n.key("queries");
    n.out().push('[');
    let mut q = JsonObject::new(n.out());
    q.str("rrname", qname);
    if let Some(t) = qtype {
        q.str("rrtype", t);
    }
    q.end();
    n.out().push(']');
}

/// (rrname, rrtype, ttl, rdata) of each answer, derived from Zeek's answer texts (see
/// [`EveWriter::dns`]).
fn dns_answers(r: &AppRecord) -> Vec<(String, String, u32, String)> {
    let AppRecord::Dns(d) = r else {
        return Vec::new();
    };
    let qtype = d.qtype_name();
    let mut owner = d
        .query_case
        .clone()
        .or_else(|| d.query.clone())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(d.answers.len());
    for (i, text) in d.answers.iter().enumerate() {
        let ttl = d.ttls.get(i).copied().unwrap_or(0);
        let srv = matches!(d.answer_details.get(i), Some(RrDetail::Srv { .. }));
        let (ty, rdata) = if srv {
            ("SRV".to_string(), text.clone())
        } else if text.parse::<std::net::Ipv4Addr>().is_ok() {
            ("A".to_string(), text.clone())
        } else if text.parse::<std::net::Ipv6Addr>().is_ok() {
            ("AAAA".to_string(), text.clone())
        } else if let Some(rest) = text.strip_prefix("TXT ").or(text.strip_prefix("SPF ")) {
            let ty = &text[..3];
            // "TXT <len> <text>" (one string; several are joined by spaces).
            let s = rest.split_once(' ').map(|x| x.1).unwrap_or("");
            (ty.to_string(), s.to_string())
        } else if let Some(fp) = text.strip_prefix("SSHFP: ") {
            ("SSHFP".to_string(), fp.to_string())
        } else if matches!(qtype.as_deref(), Some("A") | Some("AAAA"))
            || (qtype.is_none() && later_address(&d.answers[i + 1..]))
        {
            ("CNAME".to_string(), text.clone())
        } else {
            (qtype.clone().unwrap_or_else(|| "A".into()), text.clone())
        };
        let name = owner.clone();
        if ty == "CNAME" {
            owner = rdata.clone();
        }
        out.push((name, ty, ttl, rdata));
    }
    out
}

/// An answer's data: `rdata` text, or Suricata's `srv` / `sshfp` object for those types (the
/// SSHFP fingerprint as colon-separated hex).
fn write_rdata(a: &mut JsonObject, detail: Option<&RrDetail>, rdata: &str) {
    match detail {
        Some(&RrDetail::Srv {
            priority,
            weight,
            port,
        }) => {
            a.key("srv");
            let mut s = JsonObject::new(a.out());
            s.raw("priority", priority);
            s.raw("weight", weight);
            s.raw("port", port);
            s.str("name", rdata);
            s.end();
        }
        Some(&RrDetail::Sshfp { algorithm, fp_type }) => {
            a.key("sshfp");
            let mut s = JsonObject::new(a.out());
            let fp: Vec<&str> = rdata
                .as_bytes()
                .chunks(2)
                .filter_map(|c| std::str::from_utf8(c).ok())
                .collect();
            s.str("fingerprint", &fp.join(":"));
            s.raw("algo", algorithm);
            s.raw("type", fp_type);
            s.end();
        }
        // NULL data as Suricata writes bytes: ASCII as is (escaped by the JSON writer), other
        // bytes as `\xNN` text.
        Some(RrDetail::Raw(bytes)) => {
            let mut t = String::with_capacity(bytes.len());
            for &b in bytes.iter() {
                if b.is_ascii() {
                    t.push(char::from(b));
                } else {
                    let _ = write!(t, "\\x{b:02x}");
                }
            }
            a.str("rdata", &t);
        }
        _ => a.str("rdata", rdata),
    }
}

/// Whether an address follows among the answers (a name before it is then a CNAME).
fn later_address(rest: &[String]) -> bool {
    rest.iter().any(|t| t.parse::<IpAddr>().is_ok())
}

/// The 16 header flag bits of the query (`response` false) or response.
fn dns_flags(r: &AppRecord, response: bool) -> u16 {
    let AppRecord::Dns(d) = r else {
        return 0;
    };
    let mut f: u16 = 0;
    if response {
        f |= 0x8000;
    }
    f |= u16::from(d.opcode.unwrap_or(0) & 0x0f) << 11;
    if response && d.aa {
        f |= 0x0400;
    }
    if d.tc {
        f |= 0x0200;
    }
    if d.rd {
        f |= 0x0100;
    }
    if response && d.ra {
        f |= 0x0080;
    }
    f |= u16::from(d.z & 0x07) << 4;
    if response {
        f |= d.rcode.unwrap_or(0) & 0x0f;
    }
    f
}

/// Suricata's `flow.state` from Zeek's `conn_state` (TCP) or the directions seen (others).
fn flow_state(r: &ConnRecord) -> &'static str {
    if r.proto != Proto::Tcp {
        return if r.orig_pkts > 0 && r.resp_pkts > 0 {
            "established"
        } else {
            "new"
        };
    }
    match r.conn_state {
        "S1" | "S2" | "S3" => "established",
        "SF" | "REJ" | "RSTO" | "RSTR" | "RSTOS0" | "RSTRH" => "closed",
        "OTH" => midstream_state(r).0,
        _ => "new",
    }
}

/// A connection picked up without its handshake (Zeek's `OTH`), as Suricata's midstream
/// pickup sees it: established once both sides sent, closed once both sent FIN or one RST.
fn midstream_state(r: &ConnRecord) -> (&'static str, &'static str) {
    let h = &r.history;
    if h.contains('R') || h.contains('r') || (h.contains('F') && h.contains('f')) {
        ("closed", "closed")
    } else if r.orig_pkts > 0 && r.resp_pkts > 0 {
        ("established", "established")
    } else {
        ("new", "none")
    }
}

/// Suricata's `tcp.state` from Zeek's `conn_state`: an approximation (Suricata tracks the
/// TCP state machine itself; a half-closed connection is reported as `fin_wait1` whichever side
/// closed first).
fn tcp_state(r: &ConnRecord) -> &'static str {
    match r.conn_state {
        "S0" => "syn_sent",
        "S1" => "established",
        "S2" | "S3" => "fin_wait1",
        "SF" | "REJ" | "RSTO" | "RSTR" | "RSTOS0" | "RSTRH" => "closed",
        "SH" | "SHR" => "syn_sent",
        "OTH" => midstream_state(r).1,
        _ => "none",
    }
}

/// TCP flags seen from the client (`ts`) and the server (`tc`), derived from Zeek's history
/// letters (upper case: originator): `S` SYN, `H` SYN+ACK, `A` ACK, `D` data (ACK+PSH: netloupe
/// does not keep the PSH bit, and data segments usually carry it), `F` FIN+ACK, `R` RST+ACK.
/// Approximations: PSH is assumed on data, ACK on FIN and RST (a bare RST is rarer than one
/// answering a segment), and flags Zeek does not record (URG, ECE, CWR) are missing.
fn tcp_flags_from_history(history: &str) -> (u8, u8) {
    let (mut ts, mut tc) = (0u8, 0u8);
    for c in history.chars() {
        let bits = match c.to_ascii_uppercase() {
            'S' => 0x02,
            'H' => 0x12,
            'A' => 0x10,
            'D' => 0x18,
            'F' => 0x11,
            'R' => 0x14,
            _ => 0,
        };
        if c.is_ascii_uppercase() {
            ts |= bits;
        } else {
            tc |= bits;
        }
    }
    (ts, tc)
}

/// Suricata's `app_proto` for a connection: the first confirmed service in Suricata's naming;
/// `failed` for a TCP or UDP connection that carried payload but was not identified.
fn conn_app_proto(r: &ConnRecord) -> Option<&'static str> {
    if let Some(s) = r.service.first() {
        return Some(suricata_app_proto(s));
    }
    // Payload: TCP data in the history (sizes from sequence numbers also count bytes never
    // seen), any UDP bytes.
    let payload = match r.proto {
        Proto::Tcp => r.history.contains(['D', 'd']),
        Proto::Udp => r.orig_bytes.unwrap_or(0) > 0 || r.resp_bytes.unwrap_or(0) > 0,
        _ => false,
    };
    payload.then_some("failed")
}

/// netloupe's (Zeek's) service name → Suricata's app-layer protocol name.
pub(crate) fn suricata_app_proto(service: &'static str) -> &'static str {
    match service {
        "ssl" => "tls",
        "dce_rpc" => "dcerpc",
        "krb" | "krb_tcp" => "krb5",
        "ldap_tcp" | "ldap_udp" => "ldap",
        "postgresql" => "pgsql",
        "netbios-ns" => "nbns",
        s => s,
    }
}

fn proto_name(p: u8) -> String {
    match p {
        6 => "TCP".into(),
        17 => "UDP".into(),
        1 => "ICMP".into(),
        58 => "IPv6-ICMP".into(),
        132 => "SCTP".into(),
        2 => "IGMP".into(),
        47 => "GRE".into(),
        n => n.to_string(),
    }
}

/// `flow_id`: FNV-1a (64 bits) of the uid text, kept below 2^53.
fn flow_id(uid: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in uid.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & ((1 << 53) - 1)).max(1)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn write_datetime(secs: i64, out: &mut String) {
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
}

/// A packet time as Suricata writes it: `2024-01-01T00:00:00.000000+0000` (UTC).
fn eve_ts(o: &mut JsonObject<'_>, k: &str, ns: i64) {
    o.key(k);
    let out = o.out();
    let micros = ns.div_euclid(1000);
    out.push('"');
    write_datetime(micros.div_euclid(1_000_000), out);
    let _ = write!(out, ".{:06}+0000\"", micros.rem_euclid(1_000_000));
}

/// Certificate validity as Suricata writes it: `2016-07-13T09:13:33`.
fn iso_seconds(secs: i64) -> String {
    let mut s = String::with_capacity(19);
    write_datetime(secs, &mut s);
    s
}

/// Zeek's RFC 2253 distinguished name (last RDN first, `,` separated, escaped) → Suricata's
/// (certificate order, `, ` separated, unescaped).
fn suricata_dn(dn: &str) -> String {
    let mut rdns: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut chars = dn.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else { break };
                if n.is_ascii_hexdigit() && chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    let h = chars.next().unwrap_or('0');
                    let v = u8::from_str_radix(&format!("{n}{h}"), 16).unwrap_or(b'?');
                    cur.push(v as char);
                } else {
                    cur.push(n);
                }
            }
            ',' => rdns.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    rdns.push(cur);
    rdns.reverse();
    rdns.join(", ")
}

/// The serial as Suricata writes it: the DER bytes as colon-separated upper-case hex. netloupe
/// keeps the number without leading zero bytes; DER adds one when the top bit is set.
fn suricata_serial(hex: &str) -> String {
    let mut h = hex.to_ascii_uppercase();
    if h.len() % 2 == 1 {
        h.insert(0, '0');
    }
    if h.chars()
        .next()
        .and_then(|c| c.to_digit(16))
        .is_some_and(|d| d >= 8)
    {
        h.insert_str(0, "00");
    }
    let bytes: Vec<&str> = (0..h.len() / 2).map(|i| &h[2 * i..2 * i + 2]).collect();
    bytes.join(":")
}

/// Zeek's version names ("TLSv12", "TLSv13-draft23") → Suricata's ("TLS 1.2",
/// "TLS 1.3 draft-23"; TLS 1.0 is "TLSv1").
fn suricata_tls_version(v: &str) -> String {
    match v {
        "TLSv10" => "TLSv1".into(),
        "TLSv11" => "TLS 1.1".into(),
        "TLSv12" => "TLS 1.2".into(),
        "TLSv13" => "TLS 1.3".into(),
        "DTLSv10" => "DTLS 1.0".into(),
        "DTLSv12" => "DTLS 1.2".into(),
        v => match v.strip_prefix("TLSv13-draft") {
            Some(n) => format!("TLS 1.3 draft-{n}"),
            None => v.to_string(),
        },
    }
}

/// Zeek's QUIC version name ("1", "quicv2", "draft-29", "mvfst (faceb002)", "unknown-ff00001d")
/// → Suricata's text of the version number (hex, no leading zeros).
fn suricata_quic_version(v: &str) -> Option<String> {
    let n: u32 = match v {
        "quicv2" => 0x6b33_43cf,
        "quicv2-draft" => 0x709a_50c4,
        _ => {
            if let Some(d) = v.strip_prefix("draft-") {
                0xff00_0000 | d.parse::<u32>().ok()?
            } else if let Some(h) = v.strip_prefix("unknown-") {
                u32::from_str_radix(h, 16).ok()?
            } else if let Some(h) = v.strip_prefix("mvfst (") {
                u32::from_str_radix(h.strip_suffix(')')?, 16).ok()?
            } else {
                v.parse::<u32>().ok()?
            }
        }
    };
    Some(format!("{n:x}"))
}

/// "SSH-2.0-OpenSSH_7.4 Debian" → ("2.0", "OpenSSH_7.4").
fn split_ssh_banner(b: &str) -> (&str, &str) {
    let rest = b.strip_prefix("SSH-").unwrap_or(b);
    let (proto, sw) = rest.split_once('-').unwrap_or((rest, ""));
    let sw = sw.split(' ').next().unwrap_or("");
    (proto, sw)
}

/// Suricata's decoder event for a netloupe weird, where one clearly corresponds.
fn suricata_decoder_event(name: &str, v6: bool) -> Option<&'static str> {
    let ip = |a: &'static str, b: &'static str| Some(if v6 { b } else { a });
    match name {
        "truncated_IP" => ip("decoder.ipv4.trunc_pkt", "decoder.ipv6.trunc_pkt"),
        "truncated_IP_header" => ip("decoder.ipv4.pkt_too_small", "decoder.ipv6.pkt_too_small"),
        "bad_IP_header_length" => Some("decoder.ipv4.hlen_too_small"),
        "bad_IP_version" => ip(
            "decoder.ipv4.wrong_ip_version",
            "decoder.ipv6.wrong_ip_version",
        ),
        "truncated_TCP_header" => Some("decoder.tcp.pkt_too_small"),
        "bad_TCP_header_len" => Some("decoder.tcp.hlen_too_small"),
        "bad_TCP_option" => Some("decoder.tcp.opt_invalid_len"),
        "truncated_UDP_header" => Some("decoder.udp.pkt_too_small"),
        "bad_UDP_length" => Some("decoder.udp.hlen_invalid"),
        "unknown_ICMP_type" => Some("decoder.icmpv4.unknown_type"),
        "unknown_ICMP_code" => Some("decoder.icmpv4.unknown_code"),
        "truncated_ICMP_header" => ip(
            "decoder.icmpv4.pkt_too_small",
            "decoder.icmpv6.pkt_too_small",
        ),
        "bad_IPv4_option" => Some("decoder.ipv4.opt_invalid_len"),
        "unknown_ether_type" => Some("decoder.ethernet.unknown_ethertype"),
        "too_many_VLAN_tags" => Some("decoder.vlan.too_many_layers"),
        "truncated_PPPoE" => Some("decoder.pppoe.pkt_too_small"),
        "truncated_GRE" => Some("decoder.gre.pkt_too_small"),
        "unknown_gre_version" => Some("decoder.gre.wrong_version"),
        "truncated_VXLAN" => Some("decoder.vxlan.pkt_too_small"),
        "fragment_overlap" | "fragment_overlap_different_data" => {
            ip("decoder.ipv4.frag_overlap", "decoder.ipv6.frag_overlap")
        }
        "excessively_large_fragment" => ip(
            "decoder.ipv4.frag_pkt_too_large",
            "decoder.ipv6.frag_pkt_too_large",
        ),
        "truncated_link_header" => Some("decoder.ethernet.pkt_too_small"),
        "bad_IPv6_extension_header" => Some("decoder.ipv6.exthdr_invalid_optlen"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_helpers() {
        let mut s = String::new();
        let mut o = JsonObject::new(&mut s);
        eve_ts(&mut o, "t", 1_496_936_758_525_601_000);
        o.end();
        assert_eq!(s, r#"{"t":"2017-06-08T15:45:58.525601+0000"}"#);
        assert_eq!(iso_seconds(0), "1970-01-01T00:00:00");
        assert_eq!(iso_seconds(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(
            suricata_serial("97E647098EEAC9B4"),
            "00:97:E6:47:09:8E:EA:C9:B4"
        );
        assert_eq!(suricata_serial("32"), "32");
        assert_eq!(
            suricata_dn("CN=R3,O=Let's Encrypt,C=US"),
            "C=US, O=Let's Encrypt, CN=R3"
        );
        assert_eq!(suricata_dn("CN=a\\,b,C=US"), "C=US, CN=a,b");
        assert_eq!(suricata_tls_version("TLSv13-draft19"), "TLS 1.3 draft-19");
        assert_eq!(
            split_ssh_banner("SSH-2.0-OpenSSH_7.4 Debian"),
            ("2.0", "OpenSSH_7.4")
        );
        assert_eq!(tcp_flags_from_history("ShADadFf"), (0x1b, 0x1b));
        assert_eq!(tcp_flags_from_history("Sr"), (0x02, 0x14));
        assert_eq!(host_without_port("[::1]:8000"), "[::1]");
        assert_eq!(host_without_port("example.com:8080"), "example.com");
        assert_eq!(host_without_port("example.com"), "example.com");
        assert_eq!(flow_id("CabC"), flow_id("CabC"));
        assert!(flow_id("CabC") < 1 << 53);
    }

    #[test]
    fn dns_answer_inference() {
        let mut d = AppRecord::Dns(Default::default());
        if let AppRecord::Dns(r) = &mut d {
            r.query = Some("www.example.com".into());
            r.qtype = Some(1);
            r.answers = vec!["example.com".into(), "1.2.3.4".into()];
            r.ttls = vec![10, 20];
        }
        let a = dns_answers(&d);
        assert_eq!(a[0].0, "www.example.com");
        assert_eq!(a[0].1, "CNAME");
        assert_eq!(a[1].0, "example.com");
        assert_eq!(a[1].1, "A");
        assert_eq!(a[1].2, 20);
        let mut t = AppRecord::Dns(Default::default());
        if let AppRecord::Dns(r) = &mut t {
            r.query = Some("google.com".into());
            r.qtype = Some(16);
            r.answers = vec!["TXT 35 v=spf1 include:_spf.google.com ~all".into()];
            r.ttls = vec![3217];
        }
        assert_eq!(dns_answers(&t)[0].3, "v=spf1 include:_spf.google.com ~all");
        let mut r = AppRecord::Dns(Default::default());
        if let AppRecord::Dns(d) = &mut r {
            d.rd = true;
            d.ra = true;
            d.rcode = Some(0);
            d.opcode = Some(0);
        }
        assert_eq!(dns_flags(&r, true), 0x8180);
    }

    #[test]
    fn dns_format_versions() {
        let key = netloupe_flow::FlowKey::new(
            "10.16.1.11".parse().unwrap(),
            52345,
            "10.16.1.1".parse().unwrap(),
            53,
            17,
            false,
        );
        let mut rec = netloupe_proto::dns::DnsRecord {
            ts_ns: 1_000_000_000,
            trans_id: 7,
            rtt_ns: Some(1_000),
            query: Some("example.com".into()),
            qclass: Some(1),
            qtype: Some(1),
            rcode: Some(0),
            rd: true,
            ra: true,
            opcode: Some(0),
            ..Default::default()
        };
        rec.answers = vec!["1.2.3.4".into()];
        rec.ttls = vec![5];
        let e = AppEvent {
            uid: netloupe_flow::tunnel_uid(&key, 0),
            orig_h: "10.16.1.11".parse().unwrap(),
            orig_p: 52345,
            resp_h: "10.16.1.1".parse().unwrap(),
            resp_p: 53,
            record: AppRecord::Dns(rec),
        };
        for version in [2u8, 3] {
            let dir = std::env::temp_dir().join(format!(
                "netloupe-eve-dns-v{version}-{}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let mut w = EveWriter::create(&dir, 0, version).unwrap();
            w.app(&e).unwrap();
            w.finish().unwrap();
            let text = std::fs::read_to_string(dir.join("eve.json")).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            let ev: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(ev.len(), 2, "{text}");
            let (q, a) = (&ev[0]["dns"], &ev[1]["dns"]);
            if version == 2 {
                assert_eq!(
                    (q["type"].as_str(), q["rrname"].as_str()),
                    (Some("query"), Some("example.com"))
                );
                assert_eq!(
                    (a["type"].as_str(), a["version"].as_u64()),
                    (Some("answer"), Some(2))
                );
                assert_eq!(a["rrtype"].as_str(), Some("A"));
                // Version 2 logs the answer in the flow's direction.
                assert_eq!(ev[1]["src_ip"].as_str(), Some("10.16.1.11"));
            } else {
                assert_eq!(q["type"].as_str(), Some("request"));
                assert_eq!(q["queries"][0]["rrname"].as_str(), Some("example.com"));
                assert_eq!(
                    (a["type"].as_str(), a["version"].as_u64()),
                    (Some("response"), Some(3))
                );
                assert_eq!(ev[1]["src_ip"].as_str(), Some("10.16.1.1"));
            }
            assert_eq!(a["answers"][0]["rdata"].as_str(), Some("1.2.3.4"));
        }
    }

    #[test]
    fn krb5_events() {
        let key = netloupe_flow::FlowKey::new(
            "10.0.0.2".parse().unwrap(),
            49216,
            "10.0.0.6".parse().unwrap(),
            88,
            6,
            false,
        );
        let ok = netloupe_proto::kerberos::KerberosRecord {
            ts_ns: 1_000_000_000,
            request_type: Some("TGS".into()),
            client: Some("spotless/OFFENSE.LOCAL".into()),
            service: Some("HTTP/dc.offense.local".into()),
            success: Some(true),
            cipher: Some("rc4-hmac".into()),
            tcp: true,
            ..Default::default()
        };
        let failed = netloupe_proto::kerberos::KerberosRecord {
            request_type: Some("AS".into()),
            success: Some(false),
            error_msg: Some("KDC_ERR_PREAUTH_REQUIRED".into()),
            cipher: None,
            ..ok.clone()
        };
        let dir = std::env::temp_dir().join(format!("netloupe-eve-krb5-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut w = EveWriter::create(&dir, 0, 3).unwrap();
        for r in [ok, failed] {
            let e = AppEvent {
                uid: netloupe_flow::tunnel_uid(&key, 0),
                orig_h: "10.0.0.2".parse().unwrap(),
                orig_p: 49216,
                resp_h: "10.0.0.6".parse().unwrap(),
                resp_p: 88,
                record: AppRecord::Kerberos(r),
            };
            w.app(&e).unwrap();
        }
        w.finish().unwrap();
        let text = std::fs::read_to_string(dir.join("eve.json")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let ev: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(ev[0]["proto"].as_str(), Some("TCP"));
        let k = &ev[0]["krb5"];
        assert_eq!(k["msg_type"].as_str(), Some("KRB_TGS_REP"));
        assert_eq!(k["cname"].as_str(), Some("spotless"));
        assert_eq!(k["realm"].as_str(), Some("OFFENSE.LOCAL"));
        assert_eq!(k["sname"].as_str(), Some("HTTP/dc.offense.local"));
        assert_eq!(k["ticket_encryption"].as_str(), Some("rc4-hmac"));
        assert_eq!(k["ticket_weak_encryption"].as_bool(), Some(true));
        let k = &ev[1]["krb5"];
        assert_eq!(k["msg_type"].as_str(), Some("KRB_ERROR"));
        assert_eq!(k["failed_request"].as_str(), Some("KRB_AS_REQ"));
        assert_eq!(k["error_code"].as_str(), Some("KDC_ERR_PREAUTH_REQUIRED"));
    }

    #[test]
    fn srv_and_sshfp_answers_are_objects() {
        let mut s = String::new();
        let mut o = JsonObject::new(&mut s);
        let srv = RrDetail::Srv {
            priority: 20,
            weight: 1,
            port: 5060,
        };
        write_rdata(&mut o, Some(&srv), "sip-anycast-2.voice.google.com");
        o.end();
        assert_eq!(
            s,
            r#"{"srv":{"priority":20,"weight":1,"port":5060,"name":"sip-anycast-2.voice.google.com"}}"#
        );
        let mut s = String::new();
        let mut o = JsonObject::new(&mut s);
        let fp = RrDetail::Sshfp {
            algorithm: 1,
            fp_type: 1,
        };
        write_rdata(&mut o, Some(&fp), "198c34a9");
        write_rdata(&mut o, None, "1.2.3.4");
        o.end();
        assert_eq!(
            s,
            r#"{"sshfp":{"fingerprint":"19:8c:34:a9","algo":1,"type":1},"rdata":"1.2.3.4"}"#
        );
        // NULL data (dns/dns-udp-null): control bytes JSON-escaped, non-ASCII as \xNN text.
        let mut s = String::new();
        let mut o = JsonObject::new(&mut s);
        let raw = RrDetail::Raw(b"VACKD\x03\xc5\xe9\x01"[..].into());
        write_rdata(&mut o, Some(&raw), "<unknown type=10>");
        o.end();
        assert_eq!(s, r#"{"rdata":"VACKD\u0003\\xc5\\xe9\u0001"}"#);
        // An SRV answer is typed by its data, whatever the query asked.
        let mut d = AppRecord::Dns(Default::default());
        if let AppRecord::Dns(r) = &mut d {
            r.query = Some("_sip._udp.example.com".into());
            r.qtype = Some(1);
            r.answers = vec!["sip.example.com".into()];
            r.ttls = vec![10];
            r.answer_details = vec![srv];
        }
        assert_eq!(dns_answers(&d)[0].1, "SRV");
    }

    /// The events written for `records` on one connection orig:op → resp:rp.
    fn events_for(
        name: &str,
        (orig, op, resp, rp, ip_proto): (&str, u16, &str, u16, u8),
        records: Vec<AppRecord>,
    ) -> Vec<serde_json::Value> {
        let key = netloupe_flow::FlowKey::new(
            orig.parse().unwrap(),
            op,
            resp.parse().unwrap(),
            rp,
            ip_proto,
            false,
        );
        let dir = std::env::temp_dir().join(format!("netloupe-eve-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut w = EveWriter::create(&dir, 0, 3).unwrap();
        for record in records {
            let e = AppEvent {
                uid: netloupe_flow::tunnel_uid(&key, 0),
                orig_h: orig.parse().unwrap(),
                orig_p: op,
                resp_h: resp.parse().unwrap(),
                resp_p: rp,
                record,
            };
            w.app(&e).unwrap();
        }
        w.finish().unwrap();
        let text = std::fs::read_to_string(dir.join("eve.json")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn quic_events() {
        let q = netloupe_proto::quic::QuicRecord {
            ts_ns: 1_000_000_000,
            version: "1".into(),
            server_name: Some("quic.example\"x".into()),
            ja4: Some("q13d0310h3_55b375c5d22e_cd85d2d88918".into()),
            client_protocol: Some("h3".into()),
            ..Default::default()
        };
        let draft = netloupe_proto::quic::QuicRecord {
            version: "draft-29".into(),
            server_name: None,
            ja4: None,
            ..q.clone()
        };
        let ev = events_for(
            "quic",
            ("10.0.0.1", 50000, "10.0.0.2", 443, 17),
            vec![AppRecord::Quic(q), AppRecord::Quic(draft)],
        );
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0]["event_type"].as_str(), Some("quic"));
        assert_eq!(ev[0]["proto"].as_str(), Some("UDP"));
        assert_eq!(ev[0]["app_proto"].as_str(), Some("quic"));
        assert!(ev[0]["flow_id"].as_u64().is_some());
        assert!(ev[0]["community_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("1:")));
        let n = &ev[0]["quic"];
        assert_eq!(n["version"].as_str(), Some("1"));
        assert_eq!(n["sni"].as_str(), Some("quic.example\"x"));
        assert_eq!(
            n["ja4"].as_str(),
            Some("q13d0310h3_55b375c5d22e_cd85d2d88918")
        );
        assert_eq!(ev[1]["quic"]["version"].as_str(), Some("ff00001d"));
        assert!(ev[1]["quic"].get("sni").is_none());
        assert_eq!(suricata_quic_version("quicv2").as_deref(), Some("6b3343cf"));
        assert_eq!(
            suricata_quic_version("mvfst (faceb002)").as_deref(),
            Some("faceb002")
        );
    }

    #[test]
    fn rdp_events() {
        let r = netloupe_proto::rdp::RdpRecord {
            ts_ns: 1_000_000_000,
            cookie: Some("A70067".into()),
            security_protocol: Some("HYBRID".into()),
            client_name: Some("ISD2-KM84178".into()),
            client_dig_product_id: Some("55274-OEM-0011903-00107".into()),
            desktop_width: Some(1152),
            desktop_height: Some(864),
            client_channels: vec!["rdpdr".into(), "cliprdr".into()],
            client_build: Some("RDP 5.1".into()),
            ..Default::default()
        };
        let ev = events_for(
            "rdp",
            ("10.0.0.1", 50000, "10.0.0.2", 3389, 6),
            vec![AppRecord::Rdp(r)],
        );
        assert_eq!(ev.len(), 3);
        for e in &ev {
            assert_eq!(e["event_type"].as_str(), Some("rdp"));
            assert_eq!(e["app_proto"].as_str(), Some("rdp"));
            assert_eq!(e["proto"].as_str(), Some("TCP"));
        }
        assert_eq!(ev[0]["rdp"]["event_type"].as_str(), Some("initial_request"));
        assert_eq!(ev[0]["rdp"]["cookie"].as_str(), Some("A70067"));
        assert_eq!(ev[0]["src_ip"].as_str(), Some("10.0.0.1"));
        assert_eq!(
            ev[1]["rdp"]["event_type"].as_str(),
            Some("initial_response")
        );
        assert_eq!(ev[1]["rdp"]["protocol"].as_str(), Some("hybrid"));
        assert_eq!(ev[1]["src_ip"].as_str(), Some("10.0.0.2"));
        let c = &ev[2]["rdp"];
        assert_eq!(c["event_type"].as_str(), Some("connect_request"));
        assert_eq!(c["client"]["client_name"].as_str(), Some("ISD2-KM84178"));
        assert_eq!(c["client"]["id"].as_str(), Some("55274-OEM-0011903-00107"));
        assert_eq!(c["client"]["desktop_width"].as_u64(), Some(1152));
        assert_eq!(c["client"]["desktop_height"].as_u64(), Some(864));
        assert!(c["client"].get("build").is_none());
        assert_eq!(c["channels"][1].as_str(), Some("cliprdr"));
        assert_eq!(ev[0]["flow_id"], ev[2]["flow_id"]);
        assert_eq!(ev[0]["community_id"], ev[1]["community_id"]);
    }

    #[test]
    fn dhcp_events() {
        let d = netloupe_proto::dhcp::DhcpRecord {
            ts_ns: 1_000_000_000,
            trans_id: 2_888_761_343,
            mac: Some("00:11:32:17:49:f0".into()),
            host_name: Some("ws01".into()),
            assigned_addr: Some("10.16.1.4".parse().unwrap()),
            lease_time: Some(3600),
            msg_types: vec!["REQUEST".into(), "ACK".into()],
            duration_ns: 2_000,
            routers: vec!["10.16.1.1".parse().unwrap()],
            dns_servers: vec!["10.16.1.1".parse().unwrap(), "8.8.8.8".parse().unwrap()],
            ..Default::default()
        };
        let ev = events_for(
            "dhcp",
            ("10.16.1.4", 68, "10.16.1.1", 67, 17),
            vec![AppRecord::Dhcp(d)],
        );
        assert_eq!(ev.len(), 2);
        let (q, a) = (&ev[0], &ev[1]);
        assert_eq!(q["event_type"].as_str(), Some("dhcp"));
        assert_eq!(q["proto"].as_str(), Some("UDP"));
        assert_eq!(q["app_proto"].as_str(), Some("dhcp"));
        assert_eq!(q["src_port"].as_u64(), Some(68));
        assert_eq!(q["dhcp"]["type"].as_str(), Some("request"));
        assert_eq!(q["dhcp"]["dhcp_type"].as_str(), Some("request"));
        assert_eq!(q["dhcp"]["id"].as_u64(), Some(2_888_761_343));
        assert_eq!(q["dhcp"]["client_mac"].as_str(), Some("00:11:32:17:49:f0"));
        assert_eq!(q["dhcp"]["hostname"].as_str(), Some("ws01"));
        assert!(q["dhcp"].get("assigned_ip").is_none());
        assert!(q["dhcp"].get("lease_time").is_none());
        assert_eq!(a["src_ip"].as_str(), Some("10.16.1.1"));
        assert_eq!(a["src_port"].as_u64(), Some(67));
        assert_eq!(
            a["timestamp"].as_str(),
            Some("1970-01-01T00:00:01.000002+0000")
        );
        assert_eq!(a["dhcp"]["type"].as_str(), Some("reply"));
        assert_eq!(a["dhcp"]["dhcp_type"].as_str(), Some("ack"));
        assert_eq!(a["dhcp"]["assigned_ip"].as_str(), Some("10.16.1.4"));
        assert_eq!(a["dhcp"]["lease_time"].as_u64(), Some(3600));
        assert_eq!(a["dhcp"]["routers"][0].as_str(), Some("10.16.1.1"));
        assert_eq!(a["dhcp"]["dns_servers"][1].as_str(), Some("8.8.8.8"));
        assert!(a["dhcp"].get("hostname").is_none());
        assert_eq!(q["community_id"], a["community_id"]);
    }

    #[test]
    fn smtp_events() {
        let m = netloupe_proto::smtp::SmtpRecord {
            ts_ns: 1_000_000_000,
            trans_depth: 1,
            helo: Some("client.example".into()),
            mailfrom: Some("bob@example.com".into()),
            rcptto: vec!["alice@example.com".into(), "carol@example.com".into()],
            from: Some("Bob <bob@example.com>".into()),
            to: vec!["alice@example.com".into()],
            subject: Some("hi \"there\"".into()),
            ..Default::default()
        };
        let envelope_only = netloupe_proto::smtp::SmtpRecord {
            // Zeek's trans_depth of an abandoned envelope is that of the next message.
            rcptto: Vec::new(),
            from: None,
            to: Vec::new(),
            subject: None,
            ..m.clone()
        };
        let ev = events_for(
            "smtp",
            ("10.0.0.1", 50000, "10.0.0.2", 25, 6),
            vec![AppRecord::Smtp(envelope_only), AppRecord::Smtp(m)],
        );
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0]["event_type"].as_str(), Some("smtp"));
        assert_eq!(ev[0]["app_proto"].as_str(), Some("smtp"));
        assert_eq!(ev[0]["tx_id"].as_u64(), Some(0));
        assert_eq!(
            ev[0]["smtp"]["mail_from"].as_str(),
            Some("<bob@example.com>")
        );
        assert!(ev[0]["smtp"].get("rcpt_to").is_none());
        assert!(ev[0].get("email").is_none());
        let e = &ev[1];
        assert_eq!(e["tx_id"].as_u64(), Some(1));
        assert_eq!(e["smtp"]["helo"].as_str(), Some("client.example"));
        assert_eq!(
            e["smtp"]["rcpt_to"][0].as_str(),
            Some("<alice@example.com>")
        );
        assert_eq!(
            e["smtp"]["rcpt_to"][1].as_str(),
            Some("<carol@example.com>")
        );
        assert_eq!(e["email"]["status"].as_str(), Some("PARSE_DONE"));
        assert_eq!(e["email"]["from"].as_str(), Some("Bob <bob@example.com>"));
        assert_eq!(e["email"]["to"][0].as_str(), Some("alice@example.com"));
        assert_eq!(e["email"]["subject"].as_str(), Some("hi \"there\""));
        assert_eq!(ev[0]["flow_id"], e["flow_id"]);
    }

    #[test]
    fn ftp_events() {
        let port = netloupe_proto::ftp::FtpRecord {
            ts_ns: 1_000_000_000,
            user: "anonymous".into(),
            command: "PORT".into(),
            arg: Some("10,0,0,1,232,157".into()),
            reply_code: Some(200),
            reply_msg: Some("PORT command successful.".into()),
            data_channel: Some(netloupe_proto::ftp::DataChannel {
                passive: false,
                orig_h: None,
                resp_h: None,
                resp_p: 59549,
            }),
            ..Default::default()
        };
        let retr = netloupe_proto::ftp::FtpRecord {
            command: "RETR".into(),
            arg: Some("ftp://10.0.0.2/index.html".into()),
            reply_code: None,
            reply_msg: None,
            data_channel: None,
            ..port.clone()
        };
        let ev = events_for(
            "ftp",
            ("10.0.0.1", 50000, "10.0.0.2", 21, 6),
            vec![AppRecord::Ftp(port), AppRecord::Ftp(retr)],
        );
        assert_eq!(ev.len(), 2);
        let f = &ev[0]["ftp"];
        assert_eq!(ev[0]["event_type"].as_str(), Some("ftp"));
        assert_eq!(ev[0]["app_proto"].as_str(), Some("ftp"));
        assert_eq!(f["command"].as_str(), Some("PORT"));
        assert_eq!(f["command_data"].as_str(), Some("10,0,0,1,232,157"));
        assert_eq!(f["reply"][0].as_str(), Some("PORT command successful."));
        assert_eq!(f["completion_code"][0].as_str(), Some("200"));
        assert_eq!(f["dynamic_port"].as_u64(), Some(59549));
        assert_eq!(f["mode"].as_str(), Some("active"));
        assert_eq!(f["reply_received"].as_str(), Some("yes"));
        let f = &ev[1]["ftp"];
        assert_eq!(f["command"].as_str(), Some("RETR"));
        // The record keeps a file argument only as a URL: not Suricata's command_data.
        assert!(f.get("command_data").is_none());
        assert!(f.get("completion_code").is_none());
        assert_eq!(f["reply_received"].as_str(), Some("no"));
    }

    #[test]
    fn ldap_events() {
        let ext = netloupe_proto::ldap::LdapRecord {
            ts_ns: 1_000_000_000,
            message_id: 1,
            opcode: Some("extended".into()),
            result: Some("success".into()),
            object: Some("1.3.6.1.4.1.1466.20037 (StartTLS)".into()),
            ..Default::default()
        };
        let del = netloupe_proto::ldap::LdapRecord {
            message_id: 2,
            opcode: Some("delete".into()),
            result: Some("insufficient access rights".into()),
            diagnostic_message: Some("no \"write\" right".into()),
            object: None,
            argument: Some("uid=jdoe,ou=People,dc=example,dc=com".into()),
            ..ext.clone()
        };
        let search = netloupe_proto::ldap::LdapSearchRecord {
            ts_ns: 1_000_000_000,
            message_id: 3,
            scope: Some("base".into()),
            deref_aliases: Some("never".into()),
            base_object: Some(String::new()),
            result_count: 1,
            result: Some("success".into()),
            attributes: vec!["Netlogon".into()],
            size_limit: Some(0),
            time_limit: Some(0),
            udp: true,
            ..Default::default()
        };
        let ev = events_for(
            "ldap",
            ("10.0.0.1", 50000, "10.0.0.2", 389, 6),
            vec![
                AppRecord::Ldap(ext),
                AppRecord::Ldap(del),
                AppRecord::LdapSearch(search),
            ],
        );
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0]["event_type"].as_str(), Some("ldap"));
        assert_eq!(ev[0]["app_proto"].as_str(), Some("ldap"));
        assert_eq!(ev[0]["proto"].as_str(), Some("TCP"));
        let l = &ev[0]["ldap"];
        assert_eq!(l["request"]["message_id"].as_u64(), Some(1));
        assert_eq!(l["request"]["operation"].as_str(), Some("extended_request"));
        assert_eq!(
            l["request"]["extended_request"]["name"].as_str(),
            Some("1.3.6.1.4.1.1466.20037")
        );
        let r = &l["responses"][0];
        assert_eq!(r["operation"].as_str(), Some("extended_response"));
        assert_eq!(
            r["extended_response"]["result_code"].as_str(),
            Some("success")
        );
        assert_eq!(r["extended_response"]["message"].as_str(), Some(""));
        let l = &ev[1]["ldap"];
        assert_eq!(l["request"]["operation"].as_str(), Some("del_request"));
        assert_eq!(
            l["request"]["del_request"]["dn"].as_str(),
            Some("uid=jdoe,ou=People,dc=example,dc=com")
        );
        let r = &l["responses"][0]["del_response"];
        assert_eq!(
            r["result_code"].as_str(),
            Some("insufficient_access_rights")
        );
        assert_eq!(r["message"].as_str(), Some("no \"write\" right"));
        assert_eq!(ev[2]["proto"].as_str(), Some("UDP"));
        let l = &ev[2]["ldap"];
        let q = &l["request"]["search_request"];
        assert_eq!(l["request"]["operation"].as_str(), Some("search_request"));
        assert_eq!(q["base_object"].as_str(), Some(""));
        assert_eq!(q["scope"].as_u64(), Some(0));
        assert_eq!(q["deref_alias"].as_u64(), Some(0));
        assert_eq!(q["size_limit"].as_u64(), Some(0));
        assert_eq!(q["attributes"][0].as_str(), Some("Netlogon"));
        assert!(q.get("types_only").is_none());
        assert_eq!(
            l["responses"][0]["operation"].as_str(),
            Some("search_result_entry")
        );
        assert_eq!(
            l["responses"][1]["operation"].as_str(),
            Some("search_result_done")
        );
        assert_eq!(
            l["responses"][1]["search_result_done"]["result_code"].as_str(),
            Some("success")
        );
        assert_eq!(l["responses"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn dcerpc_events() {
        let call = netloupe_proto::dcerpc::DceRpcRecord {
            ts_ns: 1_000_000_000,
            rtt_ns: Some(1_000),
            endpoint: Some("svcctl".into()),
            operation: Some("OpenSCManagerW".into()),
            opnum: 15,
            stub_len: 24,
            ..Default::default()
        };
        let unreplied = netloupe_proto::dcerpc::DceRpcRecord {
            rtt_ns: None,
            ..call.clone()
        };
        let fault = netloupe_proto::dcerpc::DceRpcRecord {
            fault: Some(5),
            ..call.clone()
        };
        let on_pipe = netloupe_proto::dcerpc::DceRpcRecord {
            over_smb: true,
            ..call.clone()
        };
        let ev = events_for(
            "dcerpc",
            ("10.0.0.1", 50000, "10.0.0.2", 135, 6),
            vec![
                AppRecord::DceRpc(call),
                AppRecord::DceRpc(unreplied),
                AppRecord::DceRpc(fault),
                AppRecord::DceRpc(on_pipe),
            ],
        );
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0]["event_type"].as_str(), Some("dcerpc"));
        assert_eq!(ev[0]["app_proto"].as_str(), Some("dcerpc"));
        let d = &ev[0]["dcerpc"];
        assert_eq!(d["request"].as_str(), Some("REQUEST"));
        assert_eq!(d["req"]["opnum"].as_u64(), Some(15));
        assert_eq!(d["req"]["stub_data_size"].as_u64(), Some(24));
        assert_eq!(d["response"].as_str(), Some("RESPONSE"));
        assert_eq!(ev[1]["dcerpc"]["response"].as_str(), Some("UNREPLIED"));
        assert_eq!(ev[2]["dcerpc"]["response"].as_str(), Some("FAULT"));
    }

    #[test]
    fn smb_events() {
        use netloupe_proto::smb::{SmbCmdRecord, SmbRpc, SmbStatus};
        // The tree connect and create of suricata-verify's smb2-05 (mimikatz copied).
        let tree = SmbCmdRecord {
            ts_ns: 1_000_000_000,
            id: 3,
            command: 3,
            dialect: Some("2.10".into()),
            status: Some(SmbStatus::Nt(0)),
            session_id: 4_398_046_511_121,
            tree_id: 1,
            share: Some("\\\\admin-pc\\c$".into()),
            share_type: Some("FILE"),
            ..Default::default()
        };
        let create = SmbCmdRecord {
            id: 4,
            command: 5,
            share_type: None,
            filename: Some("temp\\mimikatz.exe".into()),
            disposition: Some(1),
            times: Some([1_512_585_399, 1_512_585_399, 1_512_171_135, 1_512_585_399]),
            size: Some(804_352),
            fuid: Some(u128::from_le_bytes([
                0x49, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
            ])),
            ..tree.clone()
        };
        // An SMB1 logoff refused with a DOS error (smb1-02), a pipe write never answered.
        let logoff = SmbCmdRecord {
            id: 3,
            smb1: true,
            command: 0x74,
            dialect: None,
            status: Some(SmbStatus::Dos {
                class: 2,
                code: 0x5b,
            }),
            tree_id: 65535,
            ..Default::default()
        };
        let bind = SmbCmdRecord {
            id: 5,
            command: 9,
            share: Some("\\\\dc1\\IPC$".into()),
            share_pipe: true,
            rpc: Some(SmbRpc {
                request: 11,
                response: None,
                opnum: None,
                call_id: 2,
            }),
            ..Default::default()
        };
        let ev = events_for(
            "smb",
            ("10.0.0.1", 50000, "10.0.0.2", 445, 6),
            vec![
                AppRecord::SmbCmd(tree),
                AppRecord::SmbCmd(create),
                AppRecord::SmbCmd(logoff),
                AppRecord::SmbCmd(bind),
            ],
        );
        assert_eq!(ev.len(), 4);
        assert_eq!(ev[0]["event_type"].as_str(), Some("smb"));
        assert_eq!(ev[0]["app_proto"].as_str(), Some("smb"));
        let s = &ev[0]["smb"];
        assert_eq!(s["id"].as_u64(), Some(3));
        assert_eq!(s["dialect"].as_str(), Some("2.10"));
        assert_eq!(s["command"].as_str(), Some("SMB2_COMMAND_TREE_CONNECT"));
        assert_eq!(s["status"].as_str(), Some("STATUS_SUCCESS"));
        assert_eq!(s["status_code"].as_str(), Some("0x0"));
        assert_eq!(s["session_id"].as_u64(), Some(4_398_046_511_121));
        assert_eq!(s["tree_id"].as_u64(), Some(1));
        assert_eq!(s["share"].as_str(), Some("\\\\admin-pc\\c$"));
        assert_eq!(s["share_type"].as_str(), Some("FILE"));
        let s = &ev[1]["smb"];
        assert_eq!(s["command"].as_str(), Some("SMB2_COMMAND_CREATE"));
        assert_eq!(s["filename"].as_str(), Some("temp\\mimikatz.exe"));
        assert_eq!(s["disposition"].as_str(), Some("FILE_OPEN"));
        assert_eq!(s["access"].as_str(), Some("normal"));
        assert_eq!(s["size"].as_u64(), Some(804_352));
        assert_eq!(s["modified"].as_i64(), Some(1_512_171_135));
        assert_eq!(s["created"].as_i64(), Some(1_512_585_399));
        assert_eq!(
            s["fuid"].as_str(),
            Some("00000049-0000-0000-0001-0000ffffffff")
        );
        let s = &ev[2]["smb"];
        assert_eq!(s["dialect"].as_str(), Some("unknown"));
        assert_eq!(s["command"].as_str(), Some("SMB1_COMMAND_LOGOFF_ANDX"));
        assert_eq!(s["status"].as_str(), Some("SRV_BADUID"));
        assert_eq!(s["status_code"].as_str(), Some("0x005b"));
        let s = &ev[3]["smb"];
        assert!(s.get("status").is_none());
        assert_eq!(s["named_pipe"].as_str(), Some("\\\\dc1\\IPC$"));
        assert_eq!(s["dcerpc"]["request"].as_str(), Some("BIND"));
        assert_eq!(s["dcerpc"]["response"].as_str(), Some("UNREPLIED"));
    }

    #[test]
    fn dhcp_reply_on_a_server_originated_connection() {
        let d = netloupe_proto::dhcp::DhcpRecord {
            ts_ns: 1_000_000_000,
            trans_id: 7,
            msg_types: vec!["OFFER".into()],
            ..Default::default()
        };
        let ev = events_for(
            "dhcp-srv",
            ("10.100.0.2", 67, "255.255.255.255", 68, 17),
            vec![AppRecord::Dhcp(d)],
        );
        assert_eq!(ev[0]["src_ip"].as_str(), Some("10.100.0.2"));
        assert_eq!(ev[0]["src_port"].as_u64(), Some(67));
        assert_eq!(ev[0]["dhcp"]["type"].as_str(), Some("reply"));
    }
}
