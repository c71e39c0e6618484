//! (skeleton: being written)

/// rdp.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RdpRecord {
    pub ts_ns: i64,
}

impl RdpRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
