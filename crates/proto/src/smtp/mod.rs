//! (skeleton: being written)

/// smtp.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmtpRecord {
    pub ts_ns: i64,
}

impl SmtpRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
