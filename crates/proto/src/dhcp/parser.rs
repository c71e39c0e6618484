//! DHCP message parsing (RFC 2131 BOOTP header, RFC 2132 options, RFC 4702 client FQDN,
//! RFC 3046 relay agent information). Pure functions over one UDP payload.
//!
//! Caps: a message is one datagram; options are read up to the end of the datagram (and, with
//! option overload, the `file` and `sname` fields); each text option keeps at most 255 bytes
//! (an option's own limit), lists at most [`MAX_LIST`] entries.

use std::net::Ipv4Addr;

/// Fixed BOOTP header length (op through file), before the magic cookie.
pub const HEADER_LEN: usize = 236;
/// RFC 2131 3: the options start with this cookie.
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// Longest address list (routers, DNS servers) or parameter request list kept.
pub const MAX_LIST: usize = 64;

/// Message types (option 53), RFC 2132 9.6 and the lease query extensions (RFC 4388, 6926,
/// 7724).
pub fn msg_type_name(t: u8) -> String {
    match t {
        1 => "DISCOVER",
        2 => "OFFER",
        3 => "REQUEST",
        4 => "DECLINE",
        5 => "ACK",
        6 => "NAK",
        7 => "RELEASE",
        8 => "INFORM",
        9 => "FORCERENEW",
        10 => "LEASEQUERY",
        11 => "LEASEUNASSIGNED",
        12 => "LEASEUNKNOWN",
        13 => "LEASEACTIVE",
        14 => "BULKLEASEQUERY",
        15 => "LEASEQUERYDONE",
        16 => "ACTIVELEASEQUERY",
        17 => "LEASEQUERYSTATUS",
        18 => "TLS",
        _ => return format!("UNKNOWN-{t}"),
    }
    .to_string()
}

/// The options netloupe reads (others are skipped).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DhcpOptions {
    /// 53: DHCP message type.
    pub msg_type: Option<u8>,
    /// 1: subnet mask.
    pub subnet_mask: Option<Ipv4Addr>,
    /// 3: routers.
    pub routers: Vec<Ipv4Addr>,
    /// 6: domain name servers.
    pub dns_servers: Vec<Ipv4Addr>,
    /// 12: host name.
    pub host_name: Option<String>,
    /// 15: domain name.
    pub domain_name: Option<String>,
    /// 50: requested IP address.
    pub requested_addr: Option<Ipv4Addr>,
    /// 51: lease time, seconds.
    pub lease_time: Option<u32>,
    /// 54: server identifier.
    pub server_id: Option<Ipv4Addr>,
    /// 55: parameter request list.
    pub params: Vec<u8>,
    /// 56: message (error text of a NAK, reason of a DECLINE).
    pub message: Option<String>,
    /// 57: maximum message size.
    pub max_size: Option<u16>,
    /// 60: vendor class identifier.
    pub vendor_class: Option<String>,
    /// 61: client identifier (type byte then value), raw.
    pub client_id: Option<Vec<u8>>,
    /// 81: client FQDN (RFC 4702): the domain name.
    pub client_fqdn: Option<String>,
    /// 82 sub-option 1: agent circuit id.
    pub circuit_id: Option<String>,
    /// 82 sub-option 2: agent remote id.
    pub agent_remote_id: Option<String>,
    /// 82 sub-option 6: subscriber id (RFC 3993).
    pub subscriber_id: Option<String>,
    /// An option ran past the end of the message.
    pub truncated: bool,
}

/// One BOOTP/DHCP message.
#[derive(Debug, Clone, PartialEq)]
pub struct DhcpMessage {
    /// 1: BOOTREQUEST (client), 2: BOOTREPLY (server).
    pub op: u8,
    pub htype: u8,
    pub hlen: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: [u8; 16],
    /// The options, when the magic cookie is present (plain BOOTP has none).
    pub options: Option<DhcpOptions>,
}

impl DhcpMessage {
    /// Sent by a client (BOOTREQUEST).
    pub fn from_client(&self) -> bool {
        self.op == 1
    }
    /// The DHCP message type, if this is DHCP rather than plain BOOTP.
    pub fn msg_type(&self) -> Option<u8> {
        self.options.as_ref().and_then(|o| o.msg_type)
    }
    /// Client hardware address as Zeek writes it ("aa:bb:..."), for hardware address lengths
    /// 1 to 16; `None` otherwise.
    pub fn mac(&self) -> Option<String> {
        let n = self.hlen as usize;
        if n == 0 || n > 16 {
            return None;
        }
        let mut s = String::with_capacity(n * 3);
        for (i, b) in self.chaddr[..n].iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&format!("{b:02x}"));
        }
        Some(s)
    }
}

fn ip(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn text(b: &[u8]) -> String {
    // Trailing NULs are padding some clients add to text options.
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn addr_list(b: &[u8]) -> Vec<Ipv4Addr> {
    b.chunks_exact(4).take(MAX_LIST).map(ip).collect()
}

/// RFC 4702 2.3: the domain name of option 81 is in DNS wire form when the E flag is set,
/// ASCII otherwise.
fn fqdn(b: &[u8]) -> Option<String> {
    if b.len() < 3 {
        return None;
    }
    let flags = b[0];
    let name = &b[3..];
    if flags & 0x04 == 0 {
        return Some(text(name));
    }
    let mut labels = Vec::new();
    let mut i = 0;
    while i < name.len() {
        let l = name[i] as usize;
        if l == 0 || l > 63 {
            break;
        }
        let Some(lab) = name.get(i + 1..i + 1 + l) else {
            break;
        };
        labels.push(String::from_utf8_lossy(lab).into_owned());
        i += 1 + l;
    }
    Some(labels.join("."))
}

fn relay_agent(b: &[u8], o: &mut DhcpOptions) {
    let mut i = 0;
    while i + 2 <= b.len() {
        let (code, len) = (b[i], b[i + 1] as usize);
        let Some(v) = b.get(i + 2..i + 2 + len) else {
            o.truncated = true;
            return;
        };
        let s = String::from_utf8_lossy(v).into_owned();
        match code {
            1 => o.circuit_id = Some(s),
            2 => o.agent_remote_id = Some(s),
            6 => o.subscriber_id = Some(s),
            _ => {}
        }
        i += 2 + len;
    }
}

/// Reads an options area into `o`; returns the overload flags (option 52) seen.
fn parse_options(b: &[u8], o: &mut DhcpOptions) -> u8 {
    let mut overload = 0;
    let mut i = 0;
    while i < b.len() {
        let code = b[i];
        match code {
            0 => {
                i += 1;
                continue;
            }
            255 => break,
            _ => {}
        }
        let Some(&len) = b.get(i + 1) else {
            o.truncated = true;
            break;
        };
        let len = len as usize;
        let Some(v) = b.get(i + 2..i + 2 + len) else {
            o.truncated = true;
            break;
        };
        match (code, len) {
            (1, 4) => o.subnet_mask = Some(ip(v)),
            (3, _) => o.routers = addr_list(v),
            (6, _) => o.dns_servers = addr_list(v),
            (12, 1..) => o.host_name = Some(text(v)),
            (15, 1..) => o.domain_name = Some(text(v)),
            (50, 4) => o.requested_addr = Some(ip(v)),
            (51, 4) => o.lease_time = Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]])),
            (52, 1) => overload = v[0],
            (53, 1) => o.msg_type = Some(v[0]),
            (54, 4) => o.server_id = Some(ip(v)),
            (55, _) => o.params = v.iter().copied().take(MAX_LIST).collect(),
            (56, 1..) => o.message = Some(text(v)),
            (57, 2) => o.max_size = Some(u16::from_be_bytes([v[0], v[1]])),
            (60, 1..) => o.vendor_class = Some(text(v)),
            (61, 1..) => o.client_id = Some(v.to_vec()),
            (81, _) => o.client_fqdn = fqdn(v),
            (82, _) => relay_agent(v, o),
            _ => {}
        }
        i += 2 + len;
    }
    overload
}

/// Parses one BOOTP/DHCP message. `None` when shorter than the fixed header, or when `op` is
/// neither request nor reply.
pub fn parse_message(data: &[u8]) -> Option<DhcpMessage> {
    if data.len() < HEADER_LEN || !matches!(data[0], 1 | 2) {
        return None;
    }
    let mut chaddr = [0u8; 16];
    chaddr.copy_from_slice(&data[28..44]);
    let mut msg = DhcpMessage {
        op: data[0],
        htype: data[1],
        hlen: data[2],
        xid: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
        secs: u16::from_be_bytes([data[8], data[9]]),
        flags: u16::from_be_bytes([data[10], data[11]]),
        ciaddr: ip(&data[12..16]),
        yiaddr: ip(&data[16..20]),
        siaddr: ip(&data[20..24]),
        giaddr: ip(&data[24..28]),
        chaddr,
        options: None,
    };
    if data.len() >= HEADER_LEN + 4 && data[HEADER_LEN..HEADER_LEN + 4] == MAGIC_COOKIE {
        let mut o = DhcpOptions::default();
        let overload = parse_options(&data[HEADER_LEN + 4..], &mut o);
        // RFC 2132 9.3: option overload moves options into `file` (1), `sname` (2) or both.
        if overload & 1 != 0 {
            parse_options(&data[108..236], &mut o);
        }
        if overload & 2 != 0 {
            parse_options(&data[44..108], &mut o);
        }
        msg.options = Some(o);
    }
    Some(msg)
}
