//! The kerberos.log record: a request and its reply (or error), or either alone.

use netloupe_output::json::JsonObject;

/// A kerberos.log record, fields as Zeek names and fills them:
/// - `request_type` "AS", "TGS" (KDC requests, or their replies seen alone) or "AP" (an
///   AP-REQ carried by another protocol's GSS-API token);
/// - `client`: the request's client name and realm ("name/REALM"; an AS-REQ without a name
///   gives "/REALM"); for a TGS-REQ, whose client is encrypted, the reply's or error's;
/// - `service`: the request's server name, else the reply ticket's or error's;
/// - `success`: true for a KDC reply or AP-REP, false for a KRB-ERROR;
/// - `error_msg`: the error's e-text, or its code's RFC 4120 name;
/// - `from`, `till`, `forwardable`, `renewable`: from the request;
/// - `cipher`: encryption type of the ticket in the reply (of the AP-REQ).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KerberosRecord {
    /// Time of the request (of the reply, when seen alone).
    pub ts_ns: i64,
    pub request_type: Option<String>,
    pub client: Option<String>,
    pub service: Option<String>,
    pub success: Option<bool>,
    /// Error code of a KRB-ERROR (not a kerberos.log field).
    pub error_code: Option<i32>,
    pub error_msg: Option<String>,
    /// Requested start and end times, seconds since the epoch.
    pub from: Option<i64>,
    pub till: Option<i64>,
    pub cipher: Option<String>,
    pub forwardable: Option<bool>,
    pub renewable: Option<bool>,
    /// PKINIT certificates' subjects (client: from the request, server: from the reply).
    pub client_cert_subject: Option<String>,
    pub server_cert_subject: Option<String>,
    /// Carried over TCP (else UDP). Not a kerberos.log field.
    pub tcp: bool,
}

impl KerberosRecord {
    /// Writes the kerberos.log fields after the connection fields (written by the caller).
    /// Unset fields are omitted.
    pub fn write_json(&self, o: &mut JsonObject) {
        let strs = [
            ("request_type", &self.request_type),
            ("client", &self.client),
            ("service", &self.service),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if let Some(s) = self.success {
            o.raw("success", s);
        }
        if let Some(e) = &self.error_msg {
            o.str("error_msg", e);
        }
        if let Some(t) = self.from {
            o.ts("from", t.saturating_mul(1_000_000_000));
        }
        if let Some(t) = self.till {
            o.ts("till", t.saturating_mul(1_000_000_000));
        }
        if let Some(c) = &self.cipher {
            o.str("cipher", c);
        }
        if let Some(f) = self.forwardable {
            o.raw("forwardable", f);
        }
        if let Some(r) = self.renewable {
            o.raw("renewable", r);
        }
        if let Some(s) = &self.client_cert_subject {
            o.str("client_cert_subject", s);
        }
        if let Some(s) = &self.server_cert_subject {
            o.str("server_cert_subject", s);
        }
    }
}
