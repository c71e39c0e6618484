//! (skeleton: being written)

/// ftp.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FtpRecord {
    pub ts_ns: i64,
}

impl FtpRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
