//! Application protocols netloupe identifies, with Zeek's names for conn.log's `service`.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Dns,
    Http,
    Tls,
    /// TLS over datagrams (RFC 6347, RFC 9147): WebRTC media keys, VPNs (AnyConnect,
    /// OpenConnect), CoAP/IoT.
    Dtls,
    Quic,
    Ssh,
    Smb,
    DceRpc,
    Kerberos,
    Ntlm,
    Rdp,
    Ldap,
    Dhcp,
    Smtp,
    Ftp,
    Pop3,
    Imap,
    Snmp,
    Ntp,
    Sip,
    Mdns,
    Llmnr,
    Nbns,
    Mysql,
    Postgresql,
    Dnp3,
    Mqtt,
    Rfb,
    Telnet,
    BittorrentDht,
    /// An FTP data connection, known from its control connection's PASV/EPSV reply or
    /// PORT/EPRT command (never from content).
    FtpData,
}

impl Service {
    /// The name Zeek writes in conn.log's `service` (and uses for its log files).
    pub fn zeek_name(self) -> &'static str {
        use Service::*;
        match self {
            Dns => "dns",
            Http => "http",
            Tls => "ssl",
            Dtls => "dtls",
            Quic => "quic",
            Ssh => "ssh",
            Smb => "smb",
            DceRpc => "dce_rpc",
            Kerberos => "krb",
            Ntlm => "ntlm",
            Rdp => "rdp",
            Ldap => "ldap",
            Dhcp => "dhcp",
            Smtp => "smtp",
            Ftp => "ftp",
            Pop3 => "pop3",
            Imap => "imap",
            Snmp => "snmp",
            Ntp => "ntp",
            Sip => "sip",
            // Zeek's DNS analyzer handles mDNS and LLMNR and logs them as dns.
            Mdns => "dns",
            Llmnr => "dns",
            Nbns => "netbios-ns",
            Mysql => "mysql",
            Postgresql => "postgresql",
            // No Zeek analyzer logs these by default: Suricata's app-layer names.
            Dnp3 => "dnp3",
            Mqtt => "mqtt",
            Rfb => "rfb",
            Telnet => "telnet",
            BittorrentDht => "bittorrent-dht",
            FtpData => "ftp-data",
        }
    }

    /// Zeek's analyzer tag, as weird.log's `source` names it ("FTP", "SMTP", "SSL", ...).
    pub fn analyzer_tag(self) -> &'static str {
        use Service::*;
        match self {
            Dns | Mdns | Llmnr => "DNS",
            Http => "HTTP",
            Tls | Quic => "SSL",
            Dtls => "DTLS",
            Ssh => "SSH",
            Smb => "SMB",
            DceRpc => "DCE_RPC",
            Kerberos => "KRB",
            Ntlm => "NTLM",
            Rdp => "RDP",
            Ldap => "LDAP",
            Dhcp => "DHCP",
            Smtp => "SMTP",
            Ftp => "FTP",
            Pop3 => "POP3",
            Imap => "IMAP",
            Snmp => "SNMP",
            Ntp => "NTP",
            Sip => "SIP",
            Nbns => "NETBIOS",
            Mysql => "MYSQL",
            Postgresql => "POSTGRESQL",
            Dnp3 => "DNP3",
            Mqtt => "MQTT",
            Rfb => "RFB",
            Telnet => "TELNET",
            BittorrentDht => "BITTORRENT",
            FtpData => "FTP_DATA",
        }
    }

    /// The name Zeek writes in conn.log's `service` on this transport: Zeek 7 names its LDAP
    /// analyzers per transport (`ldap_tcp`, `ldap_udp`) and Kerberos over TCP `krb_tcp`; the
    /// others as [`Service::zeek_name`].
    pub fn zeek_name_on(self, udp: bool) -> &'static str {
        match (self, udp) {
            (Service::Ldap, false) => "ldap_tcp",
            (Service::Ldap, true) => "ldap_udp",
            // Zeek 7 names its Kerberos-over-TCP analyzer `krb_tcp` (UDP stays `krb`).
            (Service::Kerberos, false) => "krb_tcp",
            _ => self.zeek_name(),
        }
    }

    /// Whether `name` (from conn.log's `service`) names this protocol on either transport.
    pub fn is_zeek_name(self, name: &str) -> bool {
        name == self.zeek_name()
            || name == self.zeek_name_on(false)
            || name == self.zeek_name_on(true)
    }

    /// Whether the protocol customarily runs on ports chosen at run time (DCE-RPC services
    /// behind the endpoint mapper, FTP data channels, BitTorrent peers) or only inside others
    /// (NTLM): never "on a port that is not its own", whatever its registered ports.
    pub fn any_port(self) -> bool {
        matches!(
            self,
            Service::DceRpc
                | Service::Ntlm
                | Service::FtpData
                | Service::BittorrentDht
                | Service::Dtls
        )
    }

    /// The services registered on `port` of IP protocol `ip_proto`.
    pub fn registered_on(ip_proto: u8, port: u16) -> impl Iterator<Item = Service> {
        Service::ALL
            .iter()
            .copied()
            .filter(move |s| s.registered_ports().contains(&(ip_proto, port)))
    }

    /// Every service, in the order conn.log's `service` lists them (`quic,ssl`).
    pub const ALL: &'static [Service] = &[
        Service::Dns,
        Service::Http,
        Service::Quic,
        Service::Tls,
        Service::Dtls,
        Service::Ssh,
        Service::Smb,
        Service::DceRpc,
        Service::Kerberos,
        Service::Ntlm,
        Service::Rdp,
        Service::Ldap,
        Service::Dhcp,
        Service::Smtp,
        Service::Ftp,
        Service::Pop3,
        Service::Imap,
        Service::Snmp,
        Service::Ntp,
        Service::Sip,
        Service::Mdns,
        Service::Llmnr,
        Service::Nbns,
        Service::Mysql,
        Service::Postgresql,
        Service::Dnp3,
        Service::Mqtt,
        Service::Rfb,
        Service::Telnet,
        Service::BittorrentDht,
        Service::FtpData,
    ];

    /// IANA-registered (or customary) ports of the protocol, to tell "protocol on a port that is
    /// not its own" and "registered port carrying something else".
    pub fn registered_ports(self) -> &'static [(u8, u16)] {
        use Service::*;
        const TCP: u8 = 6;
        const UDP: u8 = 17;
        match self {
            Dns => &[(UDP, 53), (TCP, 53)],
            Http => &[
                (TCP, 80),
                (TCP, 8080),
                (TCP, 8000),
                (TCP, 8008),
                (TCP, 3128),
            ],
            Tls => &[
                (TCP, 443),
                (TCP, 8443),
                (TCP, 993),
                (TCP, 995),
                (TCP, 465),
                (TCP, 636),
                (TCP, 989),
                (TCP, 990),
                (TCP, 5223),
                (TCP, 853),
            ],
            Quic => &[(UDP, 443)],
            // Negotiated per session (WebRTC) or shared with others (UDP 443 of VPNs).
            Dtls => &[],
            Ssh => &[(TCP, 22)],
            Smb => &[(TCP, 445), (TCP, 139)],
            DceRpc => &[(TCP, 135)],
            Kerberos => &[(TCP, 88), (UDP, 88)],
            Ntlm => &[],
            // RDP's UDP transport (MS-RDPEUDP) shares the port.
            Rdp => &[(TCP, 3389), (UDP, 3389)],
            Ldap => &[(TCP, 389), (UDP, 389), (TCP, 3268)],
            Dhcp => &[(UDP, 67), (UDP, 68)],
            Smtp => &[(TCP, 25), (TCP, 587)],
            Ftp => &[(TCP, 21)],
            Pop3 => &[(TCP, 110)],
            Imap => &[(TCP, 143)],
            Snmp => &[(UDP, 161), (UDP, 162)],
            Ntp => &[(UDP, 123)],
            Sip => &[(UDP, 5060), (TCP, 5060)],
            Mdns => &[(UDP, 5353)],
            Llmnr => &[(UDP, 5355)],
            Nbns => &[(UDP, 137)],
            Mysql => &[(TCP, 3306)],
            Postgresql => &[(TCP, 5432)],
            Dnp3 => &[(TCP, 20000), (UDP, 20000)],
            Mqtt => &[(TCP, 1883)],
            Rfb => &[(TCP, 5900)],
            Telnet => &[(TCP, 23)],
            // Peers choose their ports.
            BittorrentDht => &[],
            // Any port: announced on the control connection.
            FtpData => &[],
        }
    }
}
