//! (skeleton: being written)

/// quic.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuicRecord {
    pub ts_ns: i64,
}

impl QuicRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
