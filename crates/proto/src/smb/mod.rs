//! (skeleton: being written)

/// smb_mapping.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmbMappingRecord {
    pub ts_ns: i64,
}

impl SmbMappingRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}

/// smb_files.log record (skeleton: being written).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmbFilesRecord {
    pub ts_ns: i64,
}

impl SmbFilesRecord {
    pub fn write_json(&self, _o: &mut netloupe_output::json::JsonObject) {}
}
