//! Record writers for netloupe.
//!
//! Writes the logs of a run into an output directory with Zeek's log names and field names:
//! JSON lines (as `zeek LogAscii::use_json=T` writes them) and, optionally, Zeek's TSV layout with
//! its `#fields`/`#types` header so that zeek-cut, RITA and other Zeek tooling read it unchanged.
//! Every string that came off the wire is escaped for the format it goes into.
#![forbid(unsafe_code)]

mod escape;
pub mod json;
mod records;
pub mod tsv;
mod writer;

pub use escape::{json_escape_into, tsv_escape_into};
pub use records::{WeirdRecord, CONN_FIELDS, WEIRD_FIELDS};
pub use writer::{LogFormat, LogKind, LogWriter};

use std::net::IpAddr;

/// Networks considered local for `local_orig`/`local_resp` (RFC 1918, RFC 4193 ULA, loopback,
/// link-local), used until a site configuration says otherwise.
pub fn is_default_local(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v.is_private() || v.is_loopback() || v.is_link_local(),
        IpAddr::V6(v) => {
            let s = v.segments();
            (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80 || v.is_loopback()
        }
    }
}

/// Formats a packet timestamp (ns since the epoch) like Zeek: seconds with six decimals.
pub fn format_ts(ts_ns: i64, out: &mut String) {
    use std::fmt::Write;
    let micros = ts_ns.div_euclid(1000);
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let _ = write!(out, "{secs}.{frac:06}");
}

/// Formats a duration in ns as seconds with six decimals.
pub fn format_interval(ns: i64, out: &mut String) {
    format_ts(ns, out)
}
