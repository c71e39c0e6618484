//! One dns.log record: a query and its response, or either alone.

use super::parser::{class_name, opcode_name, rcode_name, type_name};
use netloupe_output::json::JsonObject;

/// Transport of the DNS conversation (Zeek's `proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsProto {
    #[default]
    Udp,
    Tcp,
}

impl DnsProto {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsProto::Udp => "udp",
            DnsProto::Tcp => "tcp",
        }
    }
}

/// A dns.log record, fields named and filled as Zeek does.
///
/// Zeek's semantics, which these fields follow: `query`, `qclass`, `qtype`, `RD`, `TC` and `Z`
/// come from the query (or, for a response seen alone, `query` from the owner name of the first
/// answer); `rcode` and `rejected` from the response; `AA`, `RA` and `rtt` are only set once the
/// response holds at least one answer record (an `rtt` of exactly zero is left unset: it means
/// no query was seen).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DnsRecord {
    /// Time of the first message of the pair (the query, normally).
    pub ts_ns: i64,
    pub proto: DnsProto,
    pub trans_id: u16,
    /// Response time minus query time.
    pub rtt_ns: Option<i64>,
    pub query: Option<String>,
    /// The query name with its case as sent, when that differs from `query` (which Zeek logs
    /// lower-cased). Not part of dns.log.
    pub query_case: Option<String>,
    pub qclass: Option<u16>,
    pub qtype: Option<u16>,
    pub rcode: Option<u16>,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    pub z: u8,
    /// Text of each answer record (see [`super::parser::render_rdata`]).
    pub answers: Vec<String>,
    /// TTL of each answer, in seconds, parallel to `answers`.
    pub ttls: Vec<u32>,
    /// What each answer's text leaves out (SRV priority/weight/port, SSHFP algorithm and
    /// type), parallel to `answers`. Not part of dns.log.
    pub answer_details: Vec<super::parser::RrDetail>,
    /// The server answered without any record (Zeek's "rejected").
    pub rejected: bool,
    pub opcode: Option<u8>,
    /// Authority records' texts, distinct (Zeek's optional `auth`, not written by default).
    pub auth: Vec<String>,
    /// Additional records' texts, distinct (Zeek's optional `addl`, not written by default).
    pub addl: Vec<String>,
    /// The response (or query, for an unanswered one) did not parse to its end.
    pub malformed: Option<&'static str>,
}

impl DnsRecord {
    pub fn qclass_name(&self) -> Option<String> {
        self.qclass.map(class_name)
    }
    pub fn qtype_name(&self) -> Option<String> {
        self.qtype.map(type_name)
    }
    pub fn rcode_name(&self) -> Option<String> {
        self.rcode.map(rcode_name)
    }
    pub fn opcode_name(&self) -> Option<String> {
        self.opcode.map(opcode_name)
    }

    /// Writes the dns.log fields after the connection fields (ts, uid, id.*), which the caller
    /// writes (using `ts_ns` for ts). Unset fields are omitted, as in Zeek's JSON logs.
    pub fn write_json(&self, o: &mut JsonObject) {
        o.str("proto", self.proto.as_str());
        o.raw("trans_id", self.trans_id);
        if let Some(rtt) = self.rtt_ns {
            o.interval("rtt", rtt);
        }
        if let Some(q) = &self.query {
            o.str("query", q);
        }
        if let Some(c) = self.qclass {
            o.raw("qclass", c);
            o.str("qclass_name", &class_name(c));
        }
        if let Some(t) = self.qtype {
            o.raw("qtype", t);
            o.str("qtype_name", &type_name(t));
        }
        if let Some(r) = self.rcode {
            o.raw("rcode", r);
            o.str("rcode_name", &rcode_name(r));
        }
        o.raw("AA", self.aa);
        o.raw("TC", self.tc);
        o.raw("RD", self.rd);
        o.raw("RA", self.ra);
        o.raw("Z", self.z);
        if !self.answers.is_empty() {
            o.str_array("answers", &self.answers);
            o.key("TTLs");
            let out = o.out();
            out.push('[');
            for (i, t) in self.ttls.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&t.to_string());
                out.push_str(".0");
            }
            out.push(']');
        }
        o.raw("rejected", self.rejected);
        if let Some(op) = self.opcode {
            o.raw("opcode", op);
            o.str("opcode_name", &opcode_name(op));
        }
    }
}
