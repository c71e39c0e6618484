//! (skeleton: being written)

/// dhcp.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DhcpRecord {
    pub ts_ns: i64,
}

impl DhcpRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
