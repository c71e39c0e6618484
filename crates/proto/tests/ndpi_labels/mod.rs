//! nDPI's expected per-flow results (the `result/*.out` files of the corpus) and the mapping of
//! nDPI's protocol names to netloupe's services. Shared by the detector-level test
//! (crates/proto/tests/detect_corpus.rs) and the end-to-end test
//! (crates/netloupe/tests/ndpi_services.rs).
#![allow(dead_code)]

use netloupe_proto::Service;
use std::net::IpAddr;

pub type Endpoint = (IpAddr, u16);
/// (tcp, lower endpoint, higher endpoint): both directions of a flow.
pub type Key = (bool, Endpoint, Endpoint);

pub fn key(tcp: bool, a: Endpoint, b: Endpoint) -> Key {
    if a <= b {
        (tcp, a, b)
    } else {
        (tcp, b, a)
    }
}

/// nDPI protocol name -> the services that count as agreeing.
pub fn map_name(name: &str, tcp: bool, ports: (u16, u16)) -> &'static [Service] {
    use Service::*;
    match name {
        "DNS" => &[Dns],
        "HTTP" | "HTTP_Proxy" | "HTTP_Connect" => &[Http],
        "TLS" | "DoH_DoT" => &[Tls],
        "QUIC" => &[Quic],
        "DTLS" => &[Dtls],
        "SSH" => &[Ssh],
        // SMB over TCP; nDPI also names the SMB browser datagrams of the NetBIOS datagram
        // service (UDP 138), which are not an SMB session.
        "SMBv1" | "SMBv23" if tcp => &[Smb],
        "DCERPC" => &[DceRpc],
        "Kerberos" => &[Kerberos],
        "RDP" => &[Rdp],
        "LDAP" => &[Ldap],
        "DHCP" => &[Dhcp],
        "SMTP" => &[Smtp],
        // nDPI names the TLS-wrapped mail/file protocols (implicit TLS or after STARTTLS).
        "SMTPS" => &[Tls, Smtp],
        "FTP_CONTROL" => &[Ftp],
        "FTPS" => &[Tls, Ftp],
        "POP3" => &[Pop3],
        "POPS" => &[Tls, Pop3],
        "IMAP" => &[Imap],
        "IMAPS" => &[Tls, Imap],
        "SNMP" => &[Snmp],
        "NTP" => &[Ntp],
        "SIP" => &[Sip],
        "MDNS" => &[Mdns],
        "LLMNR" => &[Llmnr],
        // nDPI's NetBIOS covers the name (137), datagram (138) and session (139) services;
        // only the name service is ours.
        "NetBIOS" if !tcp && (ports.0 == 137 || ports.1 == 137) => &[Nbns],
        "MySQL" => &[Mysql],
        "PostgreSQL" => &[Postgresql],
        _ => &[],
    }
}

pub struct Expected {
    pub label: String,
    pub tcp: bool,
    pub key: Key,
    /// Services that agree with the label (empty: a protocol we do not support).
    pub accept: Vec<Service>,
    pub by_content: bool,
    /// nDPI flagged the flow with its "Known Proto on Non Std Port" risk.
    pub non_std_port: bool,
}

pub fn parse_endpoint(s: &str) -> Option<Endpoint> {
    let (ip, port) = if let Some(rest) = s.strip_prefix('[') {
        let (ip, port) = rest.split_once("]:")?;
        (ip, port)
    } else {
        s.rsplit_once(':')?
    };
    Some((ip.parse().ok()?, port.parse().ok()?))
}

pub fn parse_results(text: &str) -> Vec<Expected> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut it = line.split_whitespace();
        if it.next().and_then(|n| n.parse::<u32>().ok()).is_none() {
            continue;
        }
        let tcp = match it.next() {
            Some("TCP") => true,
            Some("UDP") => false,
            _ => continue,
        };
        let (Some(a), Some(arrow), Some(b)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if arrow != "<->" && arrow != "->" {
            continue;
        }
        let (Some(a), Some(b)) = (parse_endpoint(a), parse_endpoint(b)) else {
            continue;
        };
        let Some(p) = line.find("[proto: ") else {
            continue;
        };
        let rest = &line[p + 8..];
        let Some(end) = rest.find(']') else { continue };
        let proto = &rest[..end];
        let Some((_, label)) = proto.rsplit_once('/') else {
            continue;
        };
        let by_content = line.contains("[Confidence: DPI");
        let mut accept: Vec<Service> = Vec::new();
        for part in label.split('.') {
            for &s in map_name(part, tcp, (a.1, b.1)) {
                if !accept.contains(&s) {
                    accept.push(s);
                }
            }
        }
        out.push(Expected {
            label: label.to_string(),
            tcp,
            key: key(tcp, a, b),
            accept,
            by_content,
            non_std_port: line.contains("Known Proto on Non Std Port"),
        });
    }
    out
}
