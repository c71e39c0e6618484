//! Zeek intel files: tab-separated, the columns named by a `#fields` line (`indicator`,
//! `indicator_type`, then any `meta.*` in any order); other `#` lines are comments. `-`,
//! `(empty)` and empty cells are unset. A file may hold several `#fields` sections (files
//! concatenated): each applies to the lines after it.
//!
//! Used: `meta.source` (a tag), `meta.url` or else `meta.desc` (the reference),
//! `meta.cif_confidence` (CIF's 0-10 scale, or 0-100), `meta.cif_tags` (tags), and
//! `meta.whitelist` (a `T` entry is an exception, not an indicator: skipped).
//! `meta.do_notice` and `meta.if_in` steer Zeek's own notices and have no meaning here.

use super::entry::{self, EntryMeta};
use super::{FeedLoad, Location};
use crate::indicator::IndicatorType;

/// Column positions of one `#fields` section.
#[derive(Debug)]
struct Columns {
    count: usize,
    indicator: usize,
    kind: usize,
    source: Option<usize>,
    desc: Option<usize>,
    url: Option<usize>,
    confidence: Option<usize>,
    tags: Option<usize>,
    whitelist: Option<usize>,
}

impl Columns {
    /// The columns of a `#fields` line (without the `#fields` word).
    fn parse(rest: &str) -> Result<Columns, String> {
        let names: Vec<&str> = rest
            .split('\t')
            .map(str::trim)
            .skip_while(|s| s.is_empty())
            .collect();
        let pos = |n: &str| names.iter().position(|x| *x == n);
        let need = |n: &str| pos(n).ok_or_else(|| format!("#fields names no {n:?} column"));
        Ok(Columns {
            count: names.len(),
            indicator: need("indicator")?,
            kind: need("indicator_type")?,
            source: pos("meta.source"),
            desc: pos("meta.desc"),
            url: pos("meta.url"),
            confidence: pos("meta.cif_confidence"),
            tags: pos("meta.cif_tags"),
            whitelist: pos("meta.whitelist"),
        })
    }
}

/// What an `indicator_type` loads as.
enum ZeekType {
    Is(IndicatorType),
    /// A digest whose kind depends on its length.
    ByLength(&'static [(usize, IndicatorType)]),
    /// A type netloupe does not match on.
    Unsupported,
}

fn zeek_type(s: &str) -> Option<ZeekType> {
    use IndicatorType as T;
    let name = s.trim();
    let name = name.strip_prefix("Intel::").unwrap_or(name);
    Some(match name.to_ascii_uppercase().as_str() {
        "ADDR" => ZeekType::Is(T::Addr),
        "SUBNET" => ZeekType::Is(T::Subnet),
        "DOMAIN" => ZeekType::Is(T::Domain),
        "URL" => ZeekType::Is(T::Url),
        "EMAIL" => ZeekType::Is(T::Email),
        "SOFTWARE" => ZeekType::Is(T::UserAgent),
        "JA3" => ZeekType::Is(T::Ja3),
        "JA3S" => ZeekType::Is(T::Ja3s),
        "JA4" => ZeekType::Is(T::Ja4),
        "HASSH" => ZeekType::Is(T::Hassh),
        "CERT_HASH" => ZeekType::ByLength(&[(40, T::CertSha1), (64, T::CertSha256)]),
        "FILE_HASH" => {
            ZeekType::ByLength(&[(32, T::FileMd5), (40, T::FileSha1), (64, T::FileSha256)])
        }
        "PUBKEY_HASH" | "USER_NAME" | "FILE_NAME" => ZeekType::Unsupported,
        _ => return None,
    })
}

pub(super) fn parse(bytes: &[u8], load: &mut FeedLoad) {
    let text = String::from_utf8_lossy(bytes);
    let mut columns: Option<Columns> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let at = || Location::Line(n);
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("#fields") {
            columns = match Columns::parse(rest) {
                Ok(c) => Some(c),
                Err(why) => {
                    load.problem(at(), why, line);
                    None
                }
            };
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some(cols) = &columns else {
            load.problem(at(), "data line before a usable #fields line", line);
            continue;
        };
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != cols.count {
            load.problem(
                at(),
                format!(
                    "{} columns where #fields names {}",
                    fields.len(),
                    cols.count
                ),
                line,
            );
            continue;
        }
        let get = |i: Option<usize>| i.map(|i| fields[i].trim()).filter(|s| !entry::is_unset(s));
        let Some(value) = get(Some(cols.indicator)) else {
            load.problem(at(), "no indicator", line);
            continue;
        };
        let Some(kind_name) = get(Some(cols.kind)) else {
            load.problem(at(), "no indicator_type", line);
            continue;
        };
        let kind = match zeek_type(kind_name) {
            None => {
                load.problem(at(), format!("unknown indicator_type {kind_name:?}"), line);
                continue;
            }
            Some(ZeekType::Unsupported) => {
                load.skip("unsupported Zeek type");
                continue;
            }
            Some(ZeekType::Is(k)) => k,
            Some(ZeekType::ByLength(kinds)) => {
                let len = value.bytes().filter(|&b| b != b':').count();
                match kinds.iter().find(|(l, _)| *l == len) {
                    Some(&(_, k)) => k,
                    None => {
                        load.problem(at(), format!("{kind_name} of {len} characters"), line);
                        continue;
                    }
                }
            }
        };
        if get(cols.whitelist).is_some_and(|w| w.eq_ignore_ascii_case("T")) {
            load.skip("whitelisted");
            continue;
        }
        let (kind, value) = if kind == IndicatorType::Addr {
            entry::addr_or_subnet(value)
        } else {
            (kind, value)
        };

        let mut m = EntryMeta::new(load);
        if let Some(s) = get(cols.source) {
            m.tag(&mut load.interner, s);
        }
        if let Some(t) = get(cols.tags) {
            m.tag_list(&mut load.interner, t);
        }
        if let Some(c) = get(cols.confidence).and_then(cif_confidence) {
            m.meta.confidence = Some(c);
        }
        if let Some(u) = get(cols.url) {
            m.reference(&mut load.interner, u);
        }
        if let Some(d) = get(cols.desc) {
            m.reference(&mut load.interner, d);
        }
        let meta = m.finish(&mut load.interner);
        load.add(Some(kind), value, meta, at());
    }
}

/// CIF grades confidence 0-10 (CIF v3, sometimes with a fraction) or 0-100 (CIF v1/v2).
fn cif_confidence(s: &str) -> Option<u8> {
    let f: f64 = s.trim().parse().ok()?;
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    let pct = if f <= 10.0 { f * 10.0 } else { f };
    Some(pct.min(100.0).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::testutil::{find, load, problem_at, sample, skips, tags, values};
    use crate::feed::FeedFormat;
    use crate::indicator::IndicatorType as T;

    #[test]
    fn intel_dat() {
        let l = load(FeedFormat::Zeek, &sample("intel.dat"));
        assert_eq!(
            values(&l),
            [
                (T::Addr, "192.0.2.66"),
                (T::Subnet, "198.51.100.0/24"),
                (T::Domain, "evil.example.com"),
                (T::Url, "evil.example.com/gate.php"),
                (T::Email, "phisher@evil.example"),
                (T::UserAgent, "Mozilla/4.0 (compatible; MSIE 6.0; Evil)"),
                (T::CertSha1, "e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98"),
                (
                    T::CertSha256,
                    "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
                ),
                (T::FileMd5, "92eb5ffee6ae2fec3ad71c777531578f"),
                (T::FileSha1, "84a516841ba77a5b4648de2cd0dfcb30ea46dbb4"),
                (
                    T::FileSha256,
                    "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
                ),
                (T::Ja3, "4a8a08f09d37b73795649038408b5f33"),
                (T::Ja3s, "8277e0910d750195b448797616e091ad"),
                (T::Ja4, "t13d1516h2_8daaf6152771_b186095e22b6"),
                (T::Hassh, "e1671797c52e15f763380b45e841ec32"),
                (T::Addr, "203.0.113.9"),
            ]
        );
        assert_eq!(
            problem_at(&l),
            [3, 24, 25, 26, 27, 28, 33, 34].map(Location::Line)
        );
        assert_eq!(
            l.problems[0].message,
            "data line before a usable #fields line"
        );
        assert_eq!(l.problems[1].message, "3 columns where #fields names 9");
        assert_eq!(
            l.problems[2].message,
            "unknown indicator_type \"Intel::BOGUS\""
        );
        assert_eq!(l.problems[3].message, "Intel::FILE_HASH of 20 characters");
        assert_eq!(l.problems[5].message, "no indicator");
        assert_eq!(
            l.problems[6].message,
            "#fields names no \"indicator_type\" column"
        );
        assert_eq!(
            skips(&l),
            [("unsupported Zeek type", 3), ("whitelisted", 1)]
        );

        let c2 = find(&l, "192.0.2.66");
        assert_eq!(tags(c2), ["abuse.ch", "c2", "T1071.001"]);
        assert_eq!(c2.meta.technique(), Some("T1071.001"));
        assert_eq!(c2.meta.confidence, Some(90));
        assert_eq!(
            c2.meta.reference.as_deref(),
            Some("https://threatfox.abuse.ch/ioc/1245871/")
        );
        let net = find(&l, "198.51.100.0/24");
        assert_eq!(net.meta.confidence, Some(85));
        assert_eq!(
            net.meta.reference.as_deref(),
            Some("Bulletproof hosting range")
        );
        assert_eq!(tags(net), ["spamhaus-drop"]);
        let dom = find(&l, "evil.example.com");
        assert_eq!(dom.meta.confidence, None);
        assert_eq!(dom.meta.reference, None);
        assert_eq!(
            find(&l, "evil.example.com/gate.php")
                .meta
                .reference
                .as_deref(),
            Some("http://reports.example.org/123")
        );
        assert_eq!(tags(find(&l, "203.0.113.9")), ["second-part"]);
    }

    #[test]
    fn confidence_scales() {
        assert_eq!(cif_confidence("9"), Some(90));
        assert_eq!(cif_confidence("7.5"), Some(75));
        assert_eq!(cif_confidence("85"), Some(85));
        assert_eq!(cif_confidence("1000"), Some(100));
        assert_eq!(cif_confidence("high"), None);
    }

    #[test]
    fn detected_and_junk() {
        assert_eq!(
            FeedFormat::detect("intel.dat", &sample("intel.dat")),
            FeedFormat::Zeek
        );
        let l = load(
            FeedFormat::Zeek,
            b"#fields\tindicator\tindicator_type\n-\t-\n\xff\t\xfe\n",
        );
        assert!(l.indicators.is_empty());
        assert_eq!(problem_at(&l), [2, 3].map(Location::Line));
    }
}
