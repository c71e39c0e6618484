//! The dhcp.log record: one DHCP transaction (one transaction id), aggregated over its
//! messages as Zeek does.

use super::parser::{msg_type_name, DhcpMessage};
use netloupe_output::json::JsonObject;
use std::net::{IpAddr, Ipv4Addr};

/// A dhcp.log record.
///
/// How each message of the transaction contributes (Zeek's dhcp.log semantics, checked
/// against its baselines):
/// - `client_addr`: the IP source of a client message when it is a real address (not 0.0.0.0
///   or broadcast), the latest such message winning; when the session does not know the
///   addresses, the message's `ciaddr` instead. Before any, a server reply's `yiaddr`.
/// - `server_addr`: set by an ACK that hands out an address (`yiaddr` non-zero): its server
///   identifier, or its IP source.
/// - `assigned_addr`: the `yiaddr` of that ACK; `lease_time`: option 51 of a server reply.
/// - `host_name`, `client_fqdn`, `requested_addr`, `client_message`, `client_software`: client
///   messages; `server_message`, `server_software`: server replies; `domain`, `mac`, relay agent
///   sub-options: any message. The latest value wins.
/// - `msg_types`: every message type in order; `duration`: last message time minus first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DhcpRecord {
    /// Time of the first message.
    pub ts_ns: i64,
    /// Connection uids (Zeek's `uids`): empty from a session, which does not know its uid;
    /// the caller (or [`super::DhcpJoin`]) fills it.
    pub uids: Vec<String>,
    /// Transaction id (not a dhcp.log field).
    pub trans_id: u32,
    pub client_addr: Option<IpAddr>,
    /// Where `client_addr` came from (not a dhcp.log field: joining records across
    /// connections needs it): (from a client message, that message's time); a server reply's
    /// yiaddr is `(false, time)`.
    pub client_addr_from: Option<(bool, i64)>,
    pub server_addr: Option<IpAddr>,
    pub mac: Option<String>,
    pub host_name: Option<String>,
    pub client_fqdn: Option<String>,
    pub domain: Option<String>,
    pub requested_addr: Option<Ipv4Addr>,
    pub assigned_addr: Option<Ipv4Addr>,
    /// Lease time, seconds.
    pub lease_time: Option<u32>,
    pub client_message: Option<String>,
    pub server_message: Option<String>,
    pub msg_types: Vec<String>,
    /// Time of each of `msg_types` (not a dhcp.log field): records of one transaction from
    /// several connections are joined in time order.
    pub msg_ts: Vec<i64>,
    /// Last message time minus first.
    pub duration_ns: i64,
    /// Relay agent circuit id (Zeek's optional sub-opts fields).
    pub circuit_id: Option<String>,
    pub agent_remote_id: Option<String>,
    pub subscriber_id: Option<String>,
    /// Vendor class of the client and of the server (Zeek's optional software fields).
    pub client_software: Option<String>,
    pub server_software: Option<String>,
    /// Not dhcp.log fields, kept for callers: routers and DNS servers offered, the client
    /// identifier (hex), the parameter request list.
    pub routers: Vec<Ipv4Addr>,
    pub dns_servers: Vec<Ipv4Addr>,
    pub client_id: Option<String>,
    pub params: Vec<u8>,
}

fn real(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => !v.is_unspecified() && !v.is_broadcast(),
        IpAddr::V6(v) => !v.is_unspecified(),
    }
}

fn set<T: Clone>(dst: &mut Option<T>, v: &Option<T>) {
    if v.is_some() {
        dst.clone_from(v);
    }
}

impl DhcpRecord {
    /// A record for the transaction of `msg`, starting at `ts_ns`.
    pub fn new(ts_ns: i64, xid: u32) -> Self {
        DhcpRecord {
            ts_ns,
            trans_id: xid,
            ..Default::default()
        }
    }

    /// Adds one message of the transaction; `src` is its IP source when known.
    pub fn apply(&mut self, ts_ns: i64, msg: &DhcpMessage, src: Option<IpAddr>) {
        self.duration_ns = self.duration_ns.max(ts_ns - self.ts_ns);
        let Some(o) = &msg.options else {
            return;
        };
        if let Some(t) = o.msg_type {
            self.msg_types.push(msg_type_name(t));
            self.msg_ts.push(ts_ns);
        }
        if let Some(m) = msg.mac() {
            self.mac = Some(m);
        }
        set(&mut self.domain, &o.domain_name);
        set(&mut self.circuit_id, &o.circuit_id);
        set(&mut self.agent_remote_id, &o.agent_remote_id);
        set(&mut self.subscriber_id, &o.subscriber_id);
        if msg.from_client() {
            match src {
                Some(a) if real(a) => {
                    self.client_addr = Some(a);
                    self.client_addr_from = Some((true, ts_ns));
                }
                Some(_) => {}
                None => {
                    if !msg.ciaddr.is_unspecified() {
                        self.client_addr = Some(IpAddr::V4(msg.ciaddr));
                        self.client_addr_from = Some((true, ts_ns));
                    }
                }
            }
            set(&mut self.host_name, &o.host_name);
            set(&mut self.client_fqdn, &o.client_fqdn);
            set(&mut self.requested_addr, &o.requested_addr);
            set(&mut self.client_message, &o.message);
            set(&mut self.client_software, &o.vendor_class);
            if let Some(id) = &o.client_id {
                self.client_id = Some(id.iter().map(|b| format!("{b:02x}")).collect());
            }
            if !o.params.is_empty() {
                self.params.clone_from(&o.params);
            }
        } else {
            let yi = !msg.yiaddr.is_unspecified();
            if yi && self.client_addr.is_none() {
                self.client_addr = Some(IpAddr::V4(msg.yiaddr));
                self.client_addr_from = Some((false, ts_ns));
            }
            if o.msg_type == Some(5) && yi {
                self.assigned_addr = Some(msg.yiaddr);
                self.server_addr = o.server_id.map(IpAddr::V4).or(src);
            }
            set(&mut self.lease_time, &o.lease_time);
            set(&mut self.server_message, &o.message);
            set(&mut self.server_software, &o.vendor_class);
            if !o.routers.is_empty() {
                self.routers.clone_from(&o.routers);
            }
            if !o.dns_servers.is_empty() {
                self.dns_servers.clone_from(&o.dns_servers);
            }
        }
    }

    /// Writes the dhcp.log fields after the connection fields, which the caller writes (ts
    /// from `ts_ns`). Unset fields are omitted; `uids` only when filled in.
    pub fn write_json(&self, o: &mut JsonObject) {
        if !self.uids.is_empty() {
            o.str_array("uids", &self.uids);
        }
        if let Some(a) = self.client_addr {
            o.display("client_addr", a);
        }
        if let Some(a) = self.server_addr {
            o.display("server_addr", a);
        }
        let strs = [
            ("mac", &self.mac),
            ("host_name", &self.host_name),
            ("client_fqdn", &self.client_fqdn),
            ("domain", &self.domain),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if let Some(a) = self.requested_addr {
            o.display("requested_addr", a);
        }
        if let Some(a) = self.assigned_addr {
            o.display("assigned_addr", a);
        }
        if let Some(l) = self.lease_time {
            o.interval("lease_time", l as i64 * 1_000_000_000);
        }
        let strs = [
            ("client_message", &self.client_message),
            ("server_message", &self.server_message),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if !self.msg_types.is_empty() {
            o.str_array("msg_types", &self.msg_types);
        }
        o.interval("duration", self.duration_ns);
        let strs = [
            ("circuit_id", &self.circuit_id),
            ("agent_remote_id", &self.agent_remote_id),
            ("subscriber_id", &self.subscriber_id),
            ("client_software", &self.client_software),
            ("server_software", &self.server_software),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
    }
}
