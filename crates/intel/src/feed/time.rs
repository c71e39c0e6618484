//! Timestamps in feeds, as ns since the Unix epoch: RFC 3339 (STIX, TAXII, MISP `first_seen`),
//! `YYYY-MM-DD HH:MM:SS` in UTC (abuse.ch CSVs, sometimes with a trailing ` UTC`), bare dates
//! (`YYYY-MM-DD`, taken as midnight UTC: Feodo Tracker's `last_online`, MISP event dates), and
//! epoch seconds written as digits (MISP `timestamp`, possibly with a fraction).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// Longer inputs are not timestamps; refusing them early keeps the parsers below cheap on junk.
const MAX_LEN: usize = 64;

/// ns since the epoch of an RFC 3339 / ISO 8601 / "YYYY-MM-DD HH:MM:SS" (UTC) / epoch-seconds
/// timestamp. `None` for anything else, and for instants outside what an `i64` of ns holds
/// (years 1678 to 2262).
pub fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > MAX_LEN {
        return None;
    }
    if s.bytes().next()?.is_ascii_digit() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return epoch_seconds(s);
    }
    let ns = if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        t.unix_timestamp_nanos()
    } else {
        naive_utc(s)?.assume_utc().unix_timestamp_nanos()
    };
    i64::try_from(ns).ok()
}

/// `SSSSSSSSSS[.fff]`; only a date-like run of digits (`20240102`) is ambiguous, and MISP never
/// writes one, so every run of digits is taken as seconds.
fn epoch_seconds(s: &str) -> Option<i64> {
    let (secs, frac) = match s.split_once('.') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    if secs.is_empty() || frac.contains('.') || secs.len() > 12 {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    // Digits past the ninth are below a nanosecond.
    let mut ns: i64 = 0;
    for (i, b) in frac.bytes().take(9).enumerate() {
        ns += i64::from(b - b'0') * 10i64.pow(8 - i as u32);
    }
    secs.checked_mul(1_000_000_000)?.checked_add(ns)
}

/// The timezone-less forms, in UTC: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.f]]`, the same with a
/// `T` separator, with or without a trailing ` UTC` or `Z`.
fn naive_utc(s: &str) -> Option<PrimitiveDateTime> {
    let s = s
        .strip_suffix(" UTC")
        .or_else(|| s.strip_suffix("UTC"))
        .or_else(|| s.strip_suffix(['Z', 'z']))
        .unwrap_or(s)
        .trim_end();
    if s.len() == 10 {
        let date = Date::parse(s, format_description!("[year]-[month]-[day]")).ok()?;
        return Some(date.midnight());
    }
    let forms = [
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    forms
        .iter()
        .find_map(|f| PrimitiveDateTime::parse(s, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;
    /// 2024-01-02T03:04:05Z
    const T0: i64 = 1_704_164_645 * SEC;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_ts("2024-01-02T03:04:05Z"), Some(T0));
        assert_eq!(parse_ts("2024-01-02T03:04:05.250Z"), Some(T0 + SEC / 4));
        assert_eq!(
            parse_ts("2024-01-02T03:04:05.123456789Z"),
            Some(T0 + 123_456_789)
        );
        assert_eq!(parse_ts("2024-01-02T05:04:05+02:00"), Some(T0));
        assert_eq!(parse_ts("2024-01-01T22:04:05.000000-05:00"), Some(T0));
        assert_eq!(parse_ts("  2024-01-02T03:04:05Z\n"), Some(T0));
    }

    #[test]
    fn abuse_ch_and_dates() {
        assert_eq!(parse_ts("2024-01-02 03:04:05"), Some(T0));
        assert_eq!(parse_ts("2024-01-02 03:04:05 UTC"), Some(T0));
        assert_eq!(parse_ts("2024-01-02T03:04:05"), Some(T0));
        assert_eq!(parse_ts("2024-01-02 03:04"), Some(T0 - 5 * SEC));
        assert_eq!(
            parse_ts("2024-01-02"),
            Some(T0 - (3 * 3600 + 4 * 60 + 5) * SEC)
        );
        assert_eq!(parse_ts("1970-01-01"), Some(0));
    }

    #[test]
    fn epoch_seconds_as_digits() {
        assert_eq!(parse_ts("1704164645"), Some(T0));
        assert_eq!(parse_ts("1704164645.5"), Some(T0 + SEC / 2));
        assert_eq!(parse_ts("1704164645.1234567891"), Some(T0 + 123_456_789));
        assert_eq!(parse_ts("0"), Some(0));
    }

    #[test]
    fn junk_and_out_of_range() {
        for bad in [
            "",
            "   ",
            "None",
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "2024-01-02 25:00:00",
            "1.2.3",
            ".5",
            "99999999999999999999",
            "9999-12-31T23:59:59Z",
            "2024-01-02T03:04:05+99:00",
            "2024-01-02T03:04:05Zjunk",
        ] {
            assert_eq!(parse_ts(bad), None, "{bad:?}");
        }
        assert_eq!(parse_ts(&"1".repeat(1000)), None);
    }
}
