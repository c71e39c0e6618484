//! Feed formats: each parser turns a feed's bytes into [`Indicator`]s plus the problems it met.
//! A bad line or object is reported with its position and skipped; it never stops the rest of
//! the feed from loading.
//!
//! | format | module | what it reads |
//! |---|---|---|
//! | plain | `plain.rs` | one value per line, type detected per line, `#`/`;`/`//` comments |
//! | csv | `csv.rs` | column mapping, presets for abuse.ch Feodo Tracker, URLhaus, ThreatFox, SSLBL |
//! | zeek | `zeek.rs` | Zeek intel files (`#fields indicator indicator_type meta.source ...`) |
//! | stix | `stix.rs` | STIX 2.1 bundles (and TAXII envelopes): indicator patterns, validity, revocation |
//! | misp | `misp.rs` | MISP event JSON: attributes and objects with `to_ids` |
//!
//! Shared by them: `entry.rs` (an entry's metadata from the feed's defaults plus its own tags,
//! technique, reference) and `time.rs` (the timestamp forms feeds use).

mod csv;
mod entry;
mod misp;
mod plain;
mod stix;
pub mod time;
mod zeek;

pub use self::csv::CsvPreset;
pub use stix::parse_objects as parse_stix_objects;

use crate::indicator::{FeedId, Indicator, IndicatorMeta, IndicatorType, Severity};
use crate::normalize;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The formats netloupe reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedFormat {
    Plain,
    Csv,
    Zeek,
    Stix,
    Misp,
    /// A TAXII 2.1 server (fetched by `fetch::taxii`, parsed as STIX).
    Taxii,
}

impl FeedFormat {
    pub fn name(self) -> &'static str {
        match self {
            FeedFormat::Plain => "plain",
            FeedFormat::Csv => "csv",
            FeedFormat::Zeek => "zeek",
            FeedFormat::Stix => "stix",
            FeedFormat::Misp => "misp",
            FeedFormat::Taxii => "taxii",
        }
    }

    pub fn from_name(s: &str) -> Option<FeedFormat> {
        Some(match s.to_ascii_lowercase().as_str() {
            "plain" | "list" | "txt" => FeedFormat::Plain,
            "csv" => FeedFormat::Csv,
            "zeek" | "bro" => FeedFormat::Zeek,
            "stix" | "stix2" => FeedFormat::Stix,
            "misp" => FeedFormat::Misp,
            "taxii" | "taxii2" => FeedFormat::Taxii,
            _ => return None,
        })
    }

    /// Recognises a feed by its content (and, for CSV, its name): JSON bundles/envelopes are
    /// STIX, JSON with `Event`/`response` is MISP, `#fields` is Zeek, a known abuse.ch header or
    /// a `.csv` name is CSV, anything else a plain list.
    pub fn detect(name: &str, bytes: &[u8]) -> FeedFormat {
        let head = &bytes[..bytes.len().min(64 * 1024)];
        let text = String::from_utf8_lossy(head);
        let t = text.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            if t.contains("\"Event\"") || t.contains("\"response\"") || t.contains("\"Attribute\"")
            {
                return FeedFormat::Misp;
            }
            return FeedFormat::Stix;
        }
        if t.lines().any(|l| l.starts_with("#fields")) {
            return FeedFormat::Zeek;
        }
        if CsvPreset::detect(t).is_some() || name.to_ascii_lowercase().ends_with(".csv") {
            return FeedFormat::Csv;
        }
        FeedFormat::Plain
    }
}

/// Which CSV columns hold what. Columns are named by header (the first row, or the commented
/// header line abuse.ch files start with) or by 0-based index written as digits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// A known layout (`feodo`, `urlhaus`, `threatfox`, `sslbl`, `sslbl-ja3`); the other fields
    /// override it.
    pub preset: Option<String>,
    pub delimiter: Option<char>,
    pub value: Option<String>,
    /// A column naming each row's type (netloupe's names, or ThreatFox's `ioc_type` values).
    #[serde(rename = "type")]
    pub type_column: Option<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Columns whose values become tags (comma-separated lists are split).
    #[serde(default)]
    pub tags: Vec<String>,
    pub reference: Option<String>,
    pub confidence: Option<String>,
    pub description: Option<String>,
    /// Whether the first row is a header. By default it is when it names the mapped value
    /// column; say `true` for a header row above columns given by index.
    pub header: Option<bool>,
}

/// How a feed is to be read, and what to assume where it says nothing (from the config file
/// or the command line).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct FeedOptions {
    /// Detected from the content when absent.
    pub format: Option<FeedFormat>,
    /// The type of every value (plain lists of JA3s, CSVs without a type column); detected per
    /// value when absent.
    #[serde(rename = "type", default, deserialize_with = "de_type")]
    pub kind: Option<IndicatorType>,
    pub confidence: Option<u8>,
    #[serde(default, deserialize_with = "de_severity")]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Domains of this feed list their subdomains too.
    #[serde(default)]
    pub subdomains: bool,
    pub csv: Option<CsvMapping>,
}

fn de_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<IndicatorType>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|s| {
        IndicatorType::from_name(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown indicator type {s:?}")))
    })
    .transpose()
}

fn de_severity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Severity>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|s| {
        Severity::from_name(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown severity {s:?}")))
    })
    .transpose()
}

/// Where in a feed a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// 1-based line number (line-oriented formats).
    Line(u64),
    /// An object's id or position (JSON formats), e.g. `indicator--0a3f...` or `Attribute[3]`.
    Object(String),
    /// The feed as a whole.
    Feed,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Object(o) => write!(f, "object {o}"),
            Location::Feed => f.write_str("feed"),
        }
    }
}

/// A line or object that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedProblem {
    pub at: Location,
    pub message: String,
    /// The offending text (shortened), for the report.
    pub text: String,
}

/// At most this many problems are kept per feed (all are counted).
pub const MAX_PROBLEMS_KEPT: usize = 10_000;

/// Shares equal strings (tags, techniques, per-event references) and equal tag sets between
/// the indicators of a feed: a million entries tagged alike then cost no allocation each.
#[derive(Default, Debug)]
pub struct Interner {
    strings: hashbrown::HashSet<Arc<str>>,
    tag_sets: hashbrown::HashSet<Arc<[Arc<str>]>>,
}

impl Interner {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(a.clone());
        a
    }

    /// The shared copy of a tag set.
    pub fn tag_set(&mut self, tags: &[Arc<str>]) -> Arc<[Arc<str>]> {
        if let Some(a) = self.tag_sets.get(tags) {
            return a.clone();
        }
        let a: Arc<[Arc<str>]> = Arc::from(tags);
        self.tag_sets.insert(a.clone());
        a
    }
}

/// What parsing one feed produced.
#[derive(Debug)]
pub struct FeedLoad {
    pub feed: FeedId,
    pub indicators: Vec<Indicator>,
    pub problems: Vec<FeedProblem>,
    pub problem_count: u64,
    /// Entries deliberately not loaded, by reason (`revoked`, `not to_ids`, ...).
    pub skipped: BTreeMap<&'static str, u64>,
    pub interner: Interner,
    /// Defaults from the feed's options, applied to every entry.
    defaults: IndicatorMeta,
    subdomains: bool,
    kind: Option<IndicatorType>,
}

impl FeedLoad {
    pub fn new(feed: FeedId, opts: &FeedOptions) -> FeedLoad {
        let mut interner = Interner::default();
        let tags: Vec<Arc<str>> = opts.tags.iter().map(|t| interner.get(t)).collect();
        let tags = interner.tag_set(&tags);
        FeedLoad {
            feed,
            indicators: Vec::new(),
            problems: Vec::new(),
            problem_count: 0,
            skipped: BTreeMap::new(),
            interner,
            defaults: IndicatorMeta {
                confidence: opts.confidence,
                severity: opts.severity,
                tags,
                ..IndicatorMeta::default()
            },
            subdomains: opts.subdomains,
            kind: opts.kind,
        }
    }

    /// The feed-level defaults (confidence, severity, tags from the options) to start each
    /// entry's metadata from.
    pub fn defaults(&self) -> IndicatorMeta {
        self.defaults.clone()
    }

    /// The type the feed's options force on every value, if any.
    pub fn forced_type(&self) -> Option<IndicatorType> {
        self.kind
    }

    /// Records a problem at `at`.
    pub fn problem(&mut self, at: Location, message: impl Into<String>, text: &str) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            let mut t: String = text.chars().take(200).collect();
            if t.len() < text.len() {
                t.push('…');
            }
            self.problems.push(FeedProblem {
                at,
                message: message.into(),
                text: t,
            });
        }
    }

    /// Counts an entry deliberately left out.
    pub fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    /// Adds `raw` as an indicator of `kind` (or of the feed's forced type, or of the type
    /// detected from the value), with `meta`; a value that does not normalise is a problem at
    /// `at`. Returns whether it was added.
    pub fn add(
        &mut self,
        kind: Option<IndicatorType>,
        raw: &str,
        meta: IndicatorMeta,
        at: Location,
    ) -> bool {
        let kind = kind.or(self.kind);
        let parsed = match kind {
            Some(k) => normalize::value(k, raw).map(|(v, s)| (k, v, s)),
            None => normalize::classify(raw),
        };
        match parsed {
            Ok((kind, value, sub)) => {
                self.indicators.push(Indicator {
                    value: value.into_boxed_str(),
                    kind,
                    subdomains: sub || (self.subdomains && kind == IndicatorType::Domain),
                    feed: self.feed,
                    meta: meta.into(),
                });
                true
            }
            Err(why) => {
                self.problem(at, why, raw);
                false
            }
        }
    }
}

/// A JSON feed's document (a UTF-8 byte-order mark tolerated); a feed that is not JSON is one
/// problem for the whole feed.
fn json_document(bytes: &[u8], load: &mut FeedLoad) -> Option<serde_json::Value> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match serde_json::from_slice(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            load.problem(Location::Feed, format!("not JSON: {e}"), "");
            None
        }
    }
}

/// Parses a feed of `format` (detected from `name` and the content when `None`).
pub fn parse(bytes: &[u8], name: &str, opts: &FeedOptions, feed: FeedId) -> (FeedFormat, FeedLoad) {
    let format = opts
        .format
        .unwrap_or_else(|| FeedFormat::detect(name, bytes));
    let mut load = FeedLoad::new(feed, opts);
    if matches!(
        format,
        FeedFormat::Plain | FeedFormat::Csv | FeedFormat::Zeek
    ) {
        // About one indicator per line: sized once, a million-line feed is never held twice
        // while the vector doubles.
        load.indicators
            .reserve(memchr::memchr_iter(b'\n', bytes).count());
    }
    match format {
        FeedFormat::Plain => plain::parse(bytes, &mut load),
        FeedFormat::Csv => csv::parse(bytes, opts.csv.as_ref(), &mut load),
        FeedFormat::Zeek => zeek::parse(bytes, &mut load),
        FeedFormat::Stix | FeedFormat::Taxii => stix::parse(bytes, &mut load),
        FeedFormat::Misp => misp::parse(bytes, &mut load),
    }
    (format, load)
}

/// Helpers for the format parsers' tests.
#[cfg(test)]
pub(crate) mod testutil {
    use super::{FeedFormat, FeedLoad, FeedOptions, Location};
    use crate::indicator::{Indicator, IndicatorType};

    /// A sample feed from `testdata/feeds`.
    pub fn sample(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/feeds")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Parses `bytes` as `format` with `opts`.
    pub fn load_with(format: FeedFormat, bytes: &[u8], opts: FeedOptions) -> FeedLoad {
        let opts = FeedOptions {
            format: Some(format),
            ..opts
        };
        super::parse(bytes, "test", &opts, 0).1
    }

    pub fn load(format: FeedFormat, bytes: &[u8]) -> FeedLoad {
        load_with(format, bytes, FeedOptions::default())
    }

    /// Type and value of every indicator, in order.
    pub fn values(load: &FeedLoad) -> Vec<(IndicatorType, &str)> {
        load.indicators
            .iter()
            .map(|i| (i.kind, &*i.value))
            .collect()
    }

    /// Where each problem is, in order.
    pub fn problem_at(load: &FeedLoad) -> Vec<Location> {
        load.problems.iter().map(|p| p.at.clone()).collect()
    }

    /// Skip counts as (reason, count).
    pub fn skips(load: &FeedLoad) -> Vec<(&'static str, u64)> {
        load.skipped.iter().map(|(k, v)| (*k, *v)).collect()
    }

    pub fn tags(i: &Indicator) -> Vec<&str> {
        i.meta.tags.iter().map(|t| &**t).collect()
    }

    /// The indicator with this value (the first, if several).
    pub fn find<'l>(load: &'l FeedLoad, value: &str) -> &'l Indicator {
        load.indicators
            .iter()
            .find(|i| &*i.value == value)
            .unwrap_or_else(|| panic!("no indicator {value:?}"))
    }

    /// ns since the epoch of a timestamp the tests spell out.
    pub fn ts(s: &str) -> i64 {
        super::time::parse_ts(s).unwrap_or_else(|| panic!("bad test timestamp {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::sample;
    use super::*;

    const SAMPLES: [&str; 9] = [
        "feodo_ipblocklist.csv",
        "urlhaus.csv",
        "threatfox.csv",
        "sslbl.csv",
        "sslbl_ja3.csv",
        "custom.csv",
        "intel.dat",
        "bundle.json",
        "misp_event.json",
    ];
    const FORMATS: [FeedFormat; 5] = [
        FeedFormat::Plain,
        FeedFormat::Csv,
        FeedFormat::Zeek,
        FeedFormat::Stix,
        FeedFormat::Misp,
    ];

    #[test]
    fn detect_every_sample() {
        let want = [
            FeedFormat::Csv,
            FeedFormat::Csv,
            FeedFormat::Csv,
            FeedFormat::Csv,
            FeedFormat::Csv,
            FeedFormat::Csv,
            FeedFormat::Zeek,
            FeedFormat::Stix,
            FeedFormat::Misp,
        ];
        for (name, want) in SAMPLES.iter().zip(want) {
            assert_eq!(FeedFormat::detect(name, &sample(name)), want, "{name}");
        }
    }

    /// Every sample, cut short anywhere or with bytes changed, read as every format: problems,
    /// never a panic. (The fuzz target `intel_feed` does the same at scale.)
    #[test]
    fn damaged_samples_never_panic() {
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for name in SAMPLES {
            let bytes = sample(name);
            for format in FORMATS {
                let opts = FeedOptions {
                    format: Some(format),
                    ..FeedOptions::default()
                };
                for cut in (0..bytes.len()).step_by(97) {
                    let _ = parse(&bytes[..cut], name, &opts, 0);
                }
                for _ in 0..50 {
                    let mut b = bytes.clone();
                    for _ in 0..4 {
                        let i = (next() as usize) % b.len();
                        b[i] = next() as u8;
                    }
                    let _ = parse(&b, name, &opts, 0);
                }
            }
        }
    }
}
