//! Timestamps in feeds (to be written).

/// ns since the epoch of an RFC 3339 / ISO 8601 / "YYYY-MM-DD HH:MM:SS" (UTC) / epoch-seconds
/// timestamp.
pub fn parse_ts(_s: &str) -> Option<i64> {
    None
}
