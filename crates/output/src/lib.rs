//! Record writers for netloupe.
//!
//! Writes the logs of a run into an output directory with Zeek's log names and field names:
//! JSON lines (as `zeek LogAscii::use_json=T` writes them) and, optionally, Zeek's TSV layout with
//! its `#fields`/`#types` header so that zeek-cut, RITA and other Zeek tooling read it unchanged.
//! Every string that came off the wire is escaped for the format it goes into (JSON, TSV, and
//! the terminal: [`terminal_escape`]). [`alert`] holds the alert every detector raises
//! (alerts.log, EVE `alert`) and the ATT&CK techniques alerts name.
#![forbid(unsafe_code)]

pub mod alert;
mod escape;
pub mod json;
mod records;
pub mod tsv;
mod writer;

pub use escape::{json_escape_into, terminal_escape, tsv_escape_into};
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
    let micros = ts_ns.div_euclid(1000);
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000) as u32;
    push_int(out, secs);
    out.push('.');
    let mut digits = [b'0'; 6];
    let mut n = frac;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    for d in digits {
        out.push(char::from(d));
    }
}

/// Appends an integer in decimal (without `core::fmt`: log writing formats millions of them).
pub fn push_int<I: itoa::Integer>(out: &mut String, v: I) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// Appends an address as `Display` writes it; IPv4 without `core::fmt`.
pub fn push_ip(out: &mut String, a: IpAddr) {
    match a {
        IpAddr::V4(v) => {
            for (i, octet) in v.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_int(out, octet);
            }
        }
        IpAddr::V6(v) => {
            use std::fmt::Write;
            let _ = write!(out, "{v}");
        }
    }
}

/// Formats a duration in ns as seconds with six decimals.
pub fn format_interval(ns: i64, out: &mut String) {
    format_ts(ns, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_numbers_match_core_fmt() {
        for ns in [
            0i64,
            1,
            999,
            1_000,
            1_500_000_123,
            1_700_000_000_123_456_789,
            -1,
            -1_500,
            -1_000_000_000,
            i64::MAX,
            i64::MIN,
        ] {
            let micros = ns.div_euclid(1000);
            let want = format!(
                "{}.{:06}",
                micros.div_euclid(1_000_000),
                micros.rem_euclid(1_000_000)
            );
            let mut got = String::new();
            format_ts(ns, &mut got);
            assert_eq!(got, want, "{ns}");
        }
        let mut s = String::new();
        push_int(&mut s, u64::MAX);
        push_int(&mut s, -7i32);
        assert_eq!(s, format!("{}{}", u64::MAX, -7));
    }

    #[test]
    fn addresses_match_display() {
        for a in [
            "0.0.0.0",
            "10.0.0.255",
            "255.255.255.255",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
    }
}
