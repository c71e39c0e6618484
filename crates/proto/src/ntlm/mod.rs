//! (skeleton: being written)

/// ntlm.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NtlmRecord {
    pub ts_ns: i64,
}

impl NtlmRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
