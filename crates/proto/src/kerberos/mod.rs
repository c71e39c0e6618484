//! (skeleton: being written)

/// kerberos.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KerberosRecord {
    pub ts_ns: i64,
}

impl KerberosRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
