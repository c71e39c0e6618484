//! One ssh.log record per connection.

use netloupe_output::json::JsonObject;

/// An ssh.log record with Zeek's fields, plus the HASSH fingerprints (the fields of the
/// Salesforce `hassh` Zeek package, written only when known).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SshRecord {
    /// Time the first identification string was seen.
    pub ts_ns: i64,
    /// Protocol major version both sides speak (1 or 2), when both banners were seen.
    pub version: Option<u8>,
    /// Authentication outcome inferred from encrypted packet sizes (see the session docs);
    /// `None` when no decision could be made.
    pub auth_success: Option<bool>,
    /// Authentication attempts inferred.
    pub auth_attempts: u32,
    /// "INBOUND"/"OUTBOUND" relative to the local networks: set by the caller, which knows
    /// them.
    pub direction: Option<&'static str>,
    pub client: Option<String>,
    pub server: Option<String>,
    pub cipher_alg: Option<String>,
    pub mac_alg: Option<String>,
    pub compression_alg: Option<String>,
    pub kex_alg: Option<String>,
    pub host_key_alg: Option<String>,
    /// `SHA256:` and the unpadded base64 of the server host key's SHA-256, as Zeek shows it.
    pub host_key_fingerprint: Option<String>,
    pub hassh_version: Option<&'static str>,
    /// MD5 (hex) of `hassh_algorithms`.
    pub hassh: Option<String>,
    /// Client's `kex;enc_c2s;mac_c2s;comp_c2s` name-lists.
    pub hassh_algorithms: Option<String>,
    pub hassh_server: Option<String>,
    /// Server's `kex;enc_s2c;mac_s2c;comp_s2c` name-lists.
    pub hassh_server_algorithms: Option<String>,
    /// Client's host key algorithms list.
    pub cshka: Option<String>,
    /// Server's host key algorithms list.
    pub sshka: Option<String>,
}

impl SshRecord {
    /// Writes the ssh.log fields after the connection fields (ts, uid, id.*), which the caller
    /// writes (using `ts_ns` for ts). Unset fields are omitted, as in Zeek's JSON logs.
    pub fn write_json(&self, o: &mut JsonObject) {
        if let Some(v) = self.version {
            o.raw("version", v);
        }
        if let Some(s) = self.auth_success {
            o.raw("auth_success", s);
        }
        o.raw("auth_attempts", self.auth_attempts);
        if let Some(d) = self.direction {
            o.str("direction", d);
        }
        let strs: [(&str, &Option<String>); 8] = [
            ("client", &self.client),
            ("server", &self.server),
            ("cipher_alg", &self.cipher_alg),
            ("mac_alg", &self.mac_alg),
            ("compression_alg", &self.compression_alg),
            ("kex_alg", &self.kex_alg),
            ("host_key_alg", &self.host_key_alg),
            ("host_key_fingerprint", &self.host_key_fingerprint),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if let Some(v) = self.hassh_version {
            o.str("hasshVersion", v);
        }
        let hassh: [(&str, &Option<String>); 6] = [
            ("hassh", &self.hassh),
            ("hasshAlgorithms", &self.hassh_algorithms),
            ("hasshServer", &self.hassh_server),
            ("hasshServerAlgorithms", &self.hassh_server_algorithms),
            ("cshka", &self.cshka),
            ("sshka", &self.sshka),
        ];
        for (k, v) in hassh {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
    }
}
