//! The ldap.log and ldap_search.log records, fields as Zeek's LDAP analyzer names and fills
//! them (`base/protocols/ldap/main.zeek`).

use netloupe_output::json::JsonObject;

/// An ldap.log record: one operation other than search (request and response joined by
/// message id).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LdapRecord {
    /// Time the message id was first seen.
    pub ts_ns: i64,
    pub message_id: i64,
    /// A bind request's LDAP version.
    pub version: Option<i64>,
    /// "bind simple", "bind SASL", "sicily_negotiate", "sicily_response", "unbind", "modify",
    /// "add", "delete", "compare", "abandon", "extended", "intermediate".
    pub opcode: Option<String>,
    /// The result code's name ("success", "invalid credentials", ...).
    pub result: Option<String>,
    pub diagnostic_message: Option<String>,
    /// The DN bound as or modified, the extended request's OID and name
    /// ("1.3.6.1.4.1.1466.20037 (StartTLS)"). Zeek reads no DN from add, compare and
    /// modify-DN requests, nor does this record.
    pub object: Option<String>,
    /// A SASL bind's mechanism, "NTLMSSP" for a Sicily bind, "REDACTED" for a simple bind with
    /// a password; a modify request's changes ("replace(attr=value)"), a deleted DN, an
    /// abandoned message id.
    pub argument: Option<String>,
    /// Carried over UDP (CLDAP) rather than TCP (not an ldap.log field).
    pub udp: bool,
}

impl LdapRecord {
    /// Writes the ldap.log fields after the connection fields (written by the caller). Unset
    /// fields are omitted.
    pub fn write_json(&self, o: &mut JsonObject) {
        o.raw("message_id", self.message_id);
        if let Some(v) = self.version {
            o.raw("version", v);
        }
        let strs = [
            ("opcode", &self.opcode),
            ("result", &self.result),
            ("diagnostic_message", &self.diagnostic_message),
            ("object", &self.object),
            ("argument", &self.argument),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
    }
}

/// An ldap_search.log record: a search request, its entries counted, and its final result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LdapSearchRecord {
    pub ts_ns: i64,
    pub message_id: i64,
    /// "base", "single", "tree".
    pub scope: Option<String>,
    /// "never", "searching", "finding", "always".
    pub deref_aliases: Option<String>,
    pub base_object: Option<String>,
    /// SearchResultEntry messages seen.
    pub result_count: u64,
    pub result: Option<String>,
    pub diagnostic_message: Option<String>,
    pub filter: Option<String>,
    /// Attributes requested (Zeek logs them with `LDAP::default_log_search_attributes`).
    pub attributes: Vec<String>,
    /// Size and time limits of the request (not ldap_search.log fields).
    pub size_limit: Option<i64>,
    pub time_limit: Option<i64>,
    /// Carried over UDP (CLDAP) rather than TCP (not an ldap_search.log field).
    pub udp: bool,
}

impl LdapSearchRecord {
    /// Writes the ldap_search.log fields after the connection fields.
    pub fn write_json(&self, o: &mut JsonObject) {
        o.raw("message_id", self.message_id);
        let strs = [
            ("scope", &self.scope),
            ("deref_aliases", &self.deref_aliases),
            ("base_object", &self.base_object),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        o.raw("result_count", self.result_count);
        let strs = [
            ("result", &self.result),
            ("diagnostic_message", &self.diagnostic_message),
            ("filter", &self.filter),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if !self.attributes.is_empty() {
            o.str_array("attributes", &self.attributes);
        }
    }
}
