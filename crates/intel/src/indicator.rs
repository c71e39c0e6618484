//! The indicator model: what a feed lists, and what is known about each entry.

use std::fmt;
use std::sync::Arc;

/// What an indicator's value names. Hash types named after a protocol (JA3, certificate SHA-1,
/// file MD5, ...) match only where that value is seen; the generic `Md5`/`Sha1`/`Sha256` come
/// from feeds that list bare hashes without saying of what (plain lists), and match wherever a
/// digest of that length is seen (files, certificates, JA3/JA3S, HASSH).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndicatorType {
    Addr,
    Subnet,
    Domain,
    Url,
    Email,
    Ja3,
    Ja3s,
    Ja4,
    Hassh,
    CertSha1,
    CertSha256,
    FileMd5,
    FileSha1,
    FileSha256,
    Md5,
    Sha1,
    Sha256,
    /// A user-agent substring (case-insensitive).
    UserAgent,
    /// A user-agent regular expression.
    UserAgentPattern,
}

impl IndicatorType {
    pub const ALL: [IndicatorType; 19] = [
        IndicatorType::Addr,
        IndicatorType::Subnet,
        IndicatorType::Domain,
        IndicatorType::Url,
        IndicatorType::Email,
        IndicatorType::Ja3,
        IndicatorType::Ja3s,
        IndicatorType::Ja4,
        IndicatorType::Hassh,
        IndicatorType::CertSha1,
        IndicatorType::CertSha256,
        IndicatorType::FileMd5,
        IndicatorType::FileSha1,
        IndicatorType::FileSha256,
        IndicatorType::Md5,
        IndicatorType::Sha1,
        IndicatorType::Sha256,
        IndicatorType::UserAgent,
        IndicatorType::UserAgentPattern,
    ];

    /// netloupe's name (config files, `intel check`, `--type`).
    pub fn name(self) -> &'static str {
        match self {
            IndicatorType::Addr => "addr",
            IndicatorType::Subnet => "subnet",
            IndicatorType::Domain => "domain",
            IndicatorType::Url => "url",
            IndicatorType::Email => "email",
            IndicatorType::Ja3 => "ja3",
            IndicatorType::Ja3s => "ja3s",
            IndicatorType::Ja4 => "ja4",
            IndicatorType::Hassh => "hassh",
            IndicatorType::CertSha1 => "cert_sha1",
            IndicatorType::CertSha256 => "cert_sha256",
            IndicatorType::FileMd5 => "file_md5",
            IndicatorType::FileSha1 => "file_sha1",
            IndicatorType::FileSha256 => "file_sha256",
            IndicatorType::Md5 => "md5",
            IndicatorType::Sha1 => "sha1",
            IndicatorType::Sha256 => "sha256",
            IndicatorType::UserAgent => "user_agent",
            IndicatorType::UserAgentPattern => "user_agent_pattern",
        }
    }

    /// The type as Zeek's intel framework names it (`Intel::ADDR`, ...). JA3/JA3S/JA4/HASSH
    /// are the names the community packages for those fingerprints register.
    pub fn zeek_name(self) -> &'static str {
        match self {
            IndicatorType::Addr => "Intel::ADDR",
            IndicatorType::Subnet => "Intel::SUBNET",
            IndicatorType::Domain => "Intel::DOMAIN",
            IndicatorType::Url => "Intel::URL",
            IndicatorType::Email => "Intel::EMAIL",
            IndicatorType::Ja3 => "Intel::JA3",
            IndicatorType::Ja3s => "Intel::JA3S",
            IndicatorType::Ja4 => "Intel::JA4",
            IndicatorType::Hassh => "Intel::HASSH",
            IndicatorType::CertSha1 | IndicatorType::CertSha256 => "Intel::CERT_HASH",
            IndicatorType::FileMd5
            | IndicatorType::FileSha1
            | IndicatorType::FileSha256
            | IndicatorType::Md5
            | IndicatorType::Sha1
            | IndicatorType::Sha256 => "Intel::FILE_HASH",
            IndicatorType::UserAgent | IndicatorType::UserAgentPattern => "Intel::SOFTWARE",
        }
    }

    /// Parses netloupe's names and common aliases (case-insensitive).
    pub fn from_name(s: &str) -> Option<IndicatorType> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Some(match s.as_str() {
            "addr" | "ip" | "ipv4" | "ipv6" | "address" => IndicatorType::Addr,
            "subnet" | "cidr" | "net" | "network" => IndicatorType::Subnet,
            "domain" | "hostname" | "host" | "fqdn" => IndicatorType::Domain,
            "url" | "uri" => IndicatorType::Url,
            "email" | "email_addr" | "mail" => IndicatorType::Email,
            "ja3" => IndicatorType::Ja3,
            "ja3s" => IndicatorType::Ja3s,
            "ja4" => IndicatorType::Ja4,
            "hassh" | "hassh_server" | "hasshserver" => IndicatorType::Hassh,
            "cert_sha1" | "x509_sha1" => IndicatorType::CertSha1,
            "cert_sha256" | "x509_sha256" => IndicatorType::CertSha256,
            "file_md5" => IndicatorType::FileMd5,
            "file_sha1" => IndicatorType::FileSha1,
            "file_sha256" => IndicatorType::FileSha256,
            "md5" => IndicatorType::Md5,
            "sha1" => IndicatorType::Sha1,
            "sha256" => IndicatorType::Sha256,
            "user_agent" | "useragent" | "ua" => IndicatorType::UserAgent,
            "user_agent_pattern" | "ua_pattern" | "user_agent_regex" => {
                IndicatorType::UserAgentPattern
            }
            _ => return None,
        })
    }

    /// Whether values of this type are hex digests (kept lowercase, matched through one table).
    pub fn is_hex_digest(self) -> bool {
        matches!(
            self,
            IndicatorType::Ja3
                | IndicatorType::Ja3s
                | IndicatorType::Hassh
                | IndicatorType::CertSha1
                | IndicatorType::CertSha256
                | IndicatorType::FileMd5
                | IndicatorType::FileSha1
                | IndicatorType::FileSha256
                | IndicatorType::Md5
                | IndicatorType::Sha1
                | IndicatorType::Sha256
        )
    }
}

impl fmt::Display for IndicatorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How bad a listed thing is, as the feed says (or as its configuration defaults it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn from_name(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "info" | "informational" | "none" | "undefined" => Severity::Info,
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" => Severity::High,
            "critical" | "very high" => Severity::Critical,
            _ => return None,
        })
    }

    /// Suricata's alert severity (1 is the most severe, 3 the least).
    pub fn suricata(self) -> u8 {
        match self {
            Severity::Critical | Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low | Severity::Info => 3,
        }
    }
}

/// Index of a feed in an [`crate::IntelSet`]'s feed list.
pub type FeedId = u16;

/// Timestamps are ns since the Unix epoch; an open end of a window is `i64::MIN`/`i64::MAX`.
pub const NO_START: i64 = i64::MIN;
pub const NO_END: i64 = i64::MAX;

/// What a feed says about one entry. Strings shared by many entries (tags, references, the
/// malware a whole feed is about) are `Arc`s, interned per feed by [`crate::feed::Interner`].
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorMeta {
    /// 0-100, as STIX and ThreatFox grade it.
    pub confidence: Option<u8>,
    pub severity: Option<Severity>,
    pub tags: Arc<[Arc<str>]>,
    /// Validity window (STIX `valid_from`/`valid_until`); the indicator matches only traffic
    /// inside it. Packet time, not the wall clock, is compared: a capture from last year is
    /// judged by last year's intelligence, and live traffic by today's.
    pub valid_from: i64,
    pub valid_until: i64,
    /// When the feed first/last saw the thing (reported, not used for matching).
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    /// A URL or description a reader can follow up.
    pub reference: Option<Arc<str>>,
    /// ATT&CK technique the feed names for this entry (an explicit `T1071`-style tag or a
    /// STIX/MISP attack-pattern link); when absent, one is inferred from the tags at match time.
    pub technique: Option<Arc<str>>,
}

impl Default for IndicatorMeta {
    fn default() -> Self {
        IndicatorMeta {
            confidence: None,
            severity: None,
            tags: Arc::new([]),
            valid_from: NO_START,
            valid_until: NO_END,
            first_seen: None,
            last_seen: None,
            reference: None,
            technique: None,
        }
    }
}

impl IndicatorMeta {
    /// Whether the entry is valid at `ts_ns`.
    pub fn valid_at(&self, ts_ns: i64) -> bool {
        self.valid_from <= ts_ns && ts_ns <= self.valid_until
    }
}

/// What is rarely known about an entry, kept out of line so that the common entry (no
/// validity window, no seen-times, no named technique) costs a null pointer for all of it.
#[derive(Clone, Debug, PartialEq)]
struct MetaExtra {
    valid_from: i64,
    valid_until: i64,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    technique: Option<Arc<str>>,
}

/// [`IndicatorMeta`] as a loaded indicator stores it: 48 bytes instead of 104, which for a
/// million indicators is the difference between fitting the memory target or not.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMeta {
    pub confidence: Option<u8>,
    pub severity: Option<Severity>,
    pub tags: Arc<[Arc<str>]>,
    pub reference: Option<Arc<str>>,
    extra: Option<Box<MetaExtra>>,
}

impl From<IndicatorMeta> for StoredMeta {
    fn from(m: IndicatorMeta) -> StoredMeta {
        let rare = m.valid_from != NO_START
            || m.valid_until != NO_END
            || m.first_seen.is_some()
            || m.last_seen.is_some()
            || m.technique.is_some();
        StoredMeta {
            confidence: m.confidence,
            severity: m.severity,
            tags: m.tags,
            reference: m.reference,
            extra: rare.then(|| {
                Box::new(MetaExtra {
                    valid_from: m.valid_from,
                    valid_until: m.valid_until,
                    first_seen: m.first_seen,
                    last_seen: m.last_seen,
                    technique: m.technique,
                })
            }),
        }
    }
}

impl StoredMeta {
    pub fn valid_from(&self) -> i64 {
        self.extra.as_ref().map_or(NO_START, |e| e.valid_from)
    }
    pub fn valid_until(&self) -> i64 {
        self.extra.as_ref().map_or(NO_END, |e| e.valid_until)
    }
    pub fn first_seen(&self) -> Option<i64> {
        self.extra.as_ref().and_then(|e| e.first_seen)
    }
    pub fn last_seen(&self) -> Option<i64> {
        self.extra.as_ref().and_then(|e| e.last_seen)
    }
    pub fn technique(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|e| e.technique.as_deref())
    }
    /// Whether the entry is valid at `ts_ns`.
    pub fn valid_at(&self, ts_ns: i64) -> bool {
        self.extra
            .as_ref()
            .is_none_or(|e| e.valid_from <= ts_ns && ts_ns <= e.valid_until)
    }
}

/// One entry of a feed, its value normalised for matching (see [`crate::normalize`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Indicator {
    pub value: Box<str>,
    pub kind: IndicatorType,
    /// For domains: any subdomain of `value` matches too.
    pub subdomains: bool,
    /// The feed it came from (set by the loader).
    pub feed: FeedId,
    pub meta: StoredMeta,
}
