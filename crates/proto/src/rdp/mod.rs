//! RDP connection setup (MS-RDPBCGR sections 2.2.1.1 to 2.2.1.4): the X.224 Connection
//! Request and Confirm with the cookie and the security protocol negotiation, then, for
//! standard RDP security, the MCS Connect Initial and Connect Response with the GCC client and
//! server data blocks. Produces Zeek's rdp.log records, one per connection.
//!
//! - [`parse`]: TPKT, X.224, BER and GCC framing and the data blocks.
//! - [`names`]: names for keyboard layouts, client builds, color depths, encryption settings.
//! - [`session`]: the per-connection state machine ([`RdpSession`]).
//!
//! Caps: a TPKT is at most 65535 bytes by its length field and is buffered whole; at most
//! [`parse::MAX_CHANNELS`] channel names are kept. Nothing after the MCS Connect Response is
//! read (it is encrypted, or TLS when an enhanced security protocol was chosen).

pub mod names;
pub mod parse;
pub mod session;

pub use session::{fuzz, RdpSession};

use netloupe_output::json::JsonObject;

/// An rdp.log record with Zeek's fields, plus the protocols the client asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RdpRecord {
    /// Time of the Connection Request.
    pub ts_ns: i64,
    /// The `mstshash` cookie of the Connection Request ("" when there is none).
    pub cookie: Option<String>,
    /// "Success" (or the MCS failure) for standard RDP security, "encrypted" when TLS/CredSSP
    /// takes over, the negotiation failure code's name when the server refused.
    pub result: Option<String>,
    /// Protocol the server selected: "RDP", "SSL", "HYBRID", "RDSTLS", "HYBRID_EX".
    pub security_protocol: Option<String>,
    /// Static virtual channels the client asked for.
    pub client_channels: Vec<String>,
    pub keyboard_layout: Option<String>,
    /// "RDP 8.1" and the like.
    pub client_build: Option<String>,
    pub client_name: Option<String>,
    pub client_dig_product_id: Option<String>,
    pub desktop_width: Option<u16>,
    pub desktop_height: Option<u16>,
    /// "32bit", "24bit", "16bit", "15bit", "8bit", "4bit".
    pub requested_color_depth: Option<String>,
    /// "RSA" (proprietary certificate) or "X.509".
    pub cert_type: Option<String>,
    /// Certificates the server sent (Zeek writes 0 when none were seen).
    pub cert_count: u32,
    /// Whether the server certificate is permanent rather than temporary.
    pub cert_permanent: Option<bool>,
    /// "None", "Low", "Client compatible", "High", "FIPS".
    pub encryption_level: Option<String>,
    /// "None", "40bit", "128bit", "56bit", "FIPS".
    pub encryption_method: Option<String>,
    /// PROTOCOL_* flags of the client's negotiation request (not in Zeek's log).
    pub requested_protocols: Option<u32>,
}

impl RdpRecord {
    /// Writes the rdp.log fields after the connection fields (ts, uid, id.*), which the caller
    /// writes. Unset fields are omitted, as in Zeek's JSON logs.
    pub fn write_json(&self, o: &mut JsonObject) {
        let s1: [(&str, &Option<String>); 3] = [
            ("cookie", &self.cookie),
            ("result", &self.result),
            ("security_protocol", &self.security_protocol),
        ];
        for (k, v) in s1 {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if !self.client_channels.is_empty() {
            o.str_array("client_channels", &self.client_channels);
        }
        let s2: [(&str, &Option<String>); 4] = [
            ("keyboard_layout", &self.keyboard_layout),
            ("client_build", &self.client_build),
            ("client_name", &self.client_name),
            ("client_dig_product_id", &self.client_dig_product_id),
        ];
        for (k, v) in s2 {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if let Some(w) = self.desktop_width {
            o.raw("desktop_width", w);
        }
        if let Some(h) = self.desktop_height {
            o.raw("desktop_height", h);
        }
        if let Some(v) = &self.requested_color_depth {
            o.str("requested_color_depth", v);
        }
        if let Some(v) = &self.cert_type {
            o.str("cert_type", v);
        }
        o.raw("cert_count", self.cert_count);
        if let Some(p) = self.cert_permanent {
            o.raw("cert_permanent", p);
        }
        if let Some(v) = &self.encryption_level {
            o.str("encryption_level", v);
        }
        if let Some(v) = &self.encryption_method {
            o.str("encryption_method", v);
        }
    }
}

#[cfg(test)]
mod tests;
