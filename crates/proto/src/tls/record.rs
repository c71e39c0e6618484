//! ssl.log and x509.log records.

use netloupe_output::json::JsonObject;

/// One TLS session: Zeek's ssl.log fields plus JA3/JA3S/JA4.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SslRecord {
    /// Time of the first TLS message of the connection (ns since the epoch).
    pub ts_ns: i64,
    /// Negotiated version ("TLSv12"); from the ServerHello (supported_versions in TLS 1.3).
    pub version: Option<String>,
    /// Negotiated cipher suite, IANA name.
    pub cipher: Option<String>,
    /// Key-exchange group: ServerKeyExchange named curve (TLS <= 1.2) or the ServerHello
    /// key_share group (TLS 1.3).
    pub curve: Option<String>,
    /// SNI host name the client asked for.
    pub server_name: Option<String>,
    pub resumed: bool,
    /// Last plaintext alert seen (either direction).
    pub last_alert: Option<String>,
    /// Protocol the server selected with ALPN.
    pub next_protocol: Option<String>,
    pub established: bool,
    /// Zeek's letters: handshake messages, change_cipher_spec, alerts, upper case from the
    /// originator.
    pub ssl_history: String,
    /// SHA-256 of the server's certificates (set, possibly empty, once any Certificate
    /// message was seen).
    pub cert_chain_fps: Option<Vec<String>>,
    pub client_cert_chain_fps: Option<Vec<String>>,
    /// Whether the SNI matches the host certificate's names (set when both exist).
    pub sni_matches_cert: Option<bool>,
    pub ja3: Option<String>,
    pub ja3s: Option<String>,
    pub ja4: Option<String>,
    /// The ClientHello offered TLS 1.3 by the `draft_version` extension (0xff02) of the drafts
    /// before 16. Not part of ssl.log (Zeek does not report it); Suricata's EVE names such a
    /// connection's version "TLS 1.3 draft-<16" when no ServerHello says otherwise.
    pub client_tls13_pre16_draft: bool,
    /// The handshake was carried by QUIC's CRYPTO frames (Initial packets), not by TLS
    /// records over TCP. Not part of ssl.log; Suricata logs QUIC in `quic` events, not `tls`
    /// ones, so EVE writes no `tls` event for such a record.
    pub over_quic: bool,
    /// The session was DTLS (over UDP). Not part of ssl.log (its `version` says DTLS);
    /// Suricata has no DTLS parser, so EVE writes no `tls` event for it either.
    pub over_dtls: bool,
}

impl SslRecord {
    /// Writes the protocol fields (not ts/uid/id, which the caller writes).
    pub fn write_json(&self, o: &mut JsonObject) {
        let opt = |o: &mut JsonObject, k: &str, v: &Option<String>| {
            if let Some(v) = v {
                o.str(k, v);
            }
        };
        opt(o, "version", &self.version);
        opt(o, "cipher", &self.cipher);
        opt(o, "curve", &self.curve);
        opt(o, "server_name", &self.server_name);
        o.raw("resumed", self.resumed);
        opt(o, "last_alert", &self.last_alert);
        opt(o, "next_protocol", &self.next_protocol);
        o.raw("established", self.established);
        o.str("ssl_history", &self.ssl_history);
        if let Some(v) = &self.cert_chain_fps {
            o.str_array("cert_chain_fps", v);
        }
        if let Some(v) = &self.client_cert_chain_fps {
            o.str_array("client_cert_chain_fps", v);
        }
        if let Some(b) = self.sni_matches_cert {
            o.raw("sni_matches_cert", b);
        }
        opt(o, "ja3", &self.ja3);
        opt(o, "ja3s", &self.ja3s);
        opt(o, "ja4", &self.ja4);
    }
}

/// One certificate seen in a TLS handshake: Zeek's x509.log fields, plus `self_signed` and
/// `expired`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct X509Record {
    /// Time of the packet that completed the Certificate message.
    pub ts_ns: i64,
    /// SHA-256 of the DER certificate, lower-case hex.
    pub fingerprint: String,
    /// SHA-1 of the DER certificate, lower-case hex. Not in x509.log (Zeek logs one
    /// fingerprint); certificate block lists (abuse.ch SSLBL) and Suricata's EVE use SHA-1.
    pub sha1: String,
    /// X.509 version (1, 2, 3).
    pub version: u32,
    /// Serial number, upper-case hex without leading zero bytes.
    pub serial: String,
    /// RFC 2253-style distinguished names ("CN=...,O=...,C=US").
    pub subject: String,
    pub issuer: String,
    /// Validity, seconds since the epoch.
    pub not_valid_before: i64,
    pub not_valid_after: i64,
    pub key_alg: String,
    pub sig_alg: String,
    pub key_type: Option<String>,
    pub key_length: Option<u64>,
    pub exponent: Option<String>,
    pub curve: Option<String>,
    pub san_dns: Option<Vec<String>>,
    pub san_uri: Option<Vec<String>>,
    pub san_email: Option<Vec<String>>,
    pub san_ip: Option<Vec<String>>,
    pub basic_constraints_ca: Option<bool>,
    pub basic_constraints_path_len: Option<u32>,
    /// First certificate of its chain.
    pub host_cert: bool,
    /// Sent by the client.
    pub client_cert: bool,
    /// Issuer equals subject (the signature is not verified).
    pub self_signed: bool,
    /// The connection's packet time is past `not_valid_after`.
    pub expired: bool,
}

impl X509Record {
    /// Writes the record's fields with Zeek's names (not ts, which the caller writes).
    pub fn write_json(&self, o: &mut JsonObject) {
        o.str("fingerprint", &self.fingerprint);
        o.raw("certificate.version", self.version);
        o.str("certificate.serial", &self.serial);
        o.str("certificate.subject", &self.subject);
        o.str("certificate.issuer", &self.issuer);
        o.ts(
            "certificate.not_valid_before",
            self.not_valid_before.saturating_mul(1_000_000_000),
        );
        o.ts(
            "certificate.not_valid_after",
            self.not_valid_after.saturating_mul(1_000_000_000),
        );
        o.str("certificate.key_alg", &self.key_alg);
        o.str("certificate.sig_alg", &self.sig_alg);
        if let Some(v) = &self.key_type {
            o.str("certificate.key_type", v);
        }
        if let Some(v) = self.key_length {
            o.raw("certificate.key_length", v);
        }
        if let Some(v) = &self.exponent {
            o.str("certificate.exponent", v);
        }
        if let Some(v) = &self.curve {
            o.str("certificate.curve", v);
        }
        for (k, v) in [
            ("san.dns", &self.san_dns),
            ("san.uri", &self.san_uri),
            ("san.email", &self.san_email),
            ("san.ip", &self.san_ip),
        ] {
            if let Some(v) = v {
                o.str_array(k, v);
            }
        }
        if let Some(v) = self.basic_constraints_ca {
            o.raw("basic_constraints.ca", v);
        }
        if let Some(v) = self.basic_constraints_path_len {
            o.raw("basic_constraints.path_len", v);
        }
        o.raw("host_cert", self.host_cert);
        o.raw("client_cert", self.client_cert);
        o.raw("self_signed", self.self_signed);
        o.raw("expired", self.expired);
    }
}
