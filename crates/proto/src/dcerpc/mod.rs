//! (skeleton: being written)

/// dce_rpc.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DceRpcRecord {
    pub ts_ns: i64,
}

impl DceRpcRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
