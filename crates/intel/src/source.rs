//! Where feeds come from (local files, HTTP(S) URLs, TAXII 2.1 servers), how they are
//! described in the config file and on the command line, and loading them all into an
//! [`IntelSet`].

use crate::feed::{self, FeedFormat, FeedLoad, FeedOptions, Location};
use crate::fetch::{self, FetchConfig, Remote};
use crate::set::{FeedInfo, IntelSet};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Credentials for an HTTP feed or TAXII server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    Basic { username: String, password: String },
    Bearer { token: String },
}

/// One feed, as the config file's `[[intel.feed]]` tables or `--intel` describe it. (Unknown
/// keys are reported by the config loader against [`FeedSpec::KEYS`]: serde cannot deny them
/// through `flatten`.)
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FeedSpec {
    /// Shown in intel.log's `sources` (defaults to the file name or URL).
    pub name: Option<String>,
    /// A path, an `http(s)://` URL, or (format `taxii`) a TAXII server's discovery or API-root
    /// URL.
    #[serde(alias = "path", alias = "url")]
    pub location: String,
    #[serde(flatten)]
    pub options: FeedOptions,
    /// HTTP basic auth (`username` + `password`) or a bearer `token`.
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// Re-read (re-fetch) the feed this often while a run lasts; HTTP feeds use the cached copy
    /// when it is younger than this.
    #[serde(default, with = "opt_secs")]
    pub refresh: Option<Duration>,
    /// TAXII: the collections to read (ids or titles); every readable one when empty.
    #[serde(default)]
    pub collections: Vec<String>,
}

mod opt_secs {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    /// Seconds as a number, or a string with a unit: `90`, `"90s"`, `"15m"`, `"6h"`, `"1d"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Option::<Raw>::deserialize(d)? {
            None => Ok(None),
            Some(Raw::N(n)) => Ok(Some(Duration::from_secs(n))),
            Some(Raw::S(s)) => super::parse_duration(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("bad duration {s:?}"))),
        }
    }
}

/// `90`, `90s`, `15m`, `6h`, `1d`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(mult)?))
}

impl FeedSpec {
    /// Every key a `[[intel.feed]]` table may have.
    pub const KEYS: &'static [&'static str] = &[
        "name",
        "location",
        "path",
        "url",
        "format",
        "type",
        "confidence",
        "severity",
        "tags",
        "subdomains",
        "csv",
        "username",
        "password",
        "token",
        "refresh",
        "collections",
    ];

    /// The credentials configured, if any (a token wins over a user name).
    pub fn auth(&self) -> Option<Auth> {
        if let Some(t) = &self.token {
            return Some(Auth::Bearer { token: t.clone() });
        }
        self.username.as_ref().map(|u| Auth::Basic {
            username: u.clone(),
            password: self.password.clone().unwrap_or_default(),
        })
    }

    /// A feed given on the command line: a path or URL. `taxii+https://...` names a TAXII
    /// server.
    pub fn from_arg(arg: &str) -> FeedSpec {
        let (location, format) = match arg.strip_prefix("taxii+") {
            Some(rest) => (rest.to_string(), Some(FeedFormat::Taxii)),
            None => (arg.to_string(), None),
        };
        FeedSpec {
            name: None,
            location,
            options: FeedOptions {
                format,
                ..FeedOptions::default()
            },
            username: None,
            password: None,
            token: None,
            refresh: None,
            collections: Vec::new(),
        }
    }

    pub fn is_remote(&self) -> bool {
        let l = self.location.to_ascii_lowercase();
        l.starts_with("http://") || l.starts_with("https://")
    }

    /// The name shown in `sources`: the configured one, else the file name or URL.
    pub fn display_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        if self.is_remote() {
            return self.location.clone();
        }
        PathBuf::from(&self.location)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.location.clone())
    }
}

/// The `[intel]` table of the config file.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntelConfig {
    /// Where fetched feeds are cached (default: `$XDG_CACHE_HOME/netloupe/intel`).
    pub cache_dir: Option<PathBuf>,
    /// Default refresh interval for feeds that do not set one.
    #[serde(default, with = "opt_secs")]
    pub refresh: Option<Duration>,
    /// HTTP timeout per request.
    #[serde(default, with = "opt_secs")]
    pub timeout: Option<Duration>,
    #[serde(default, rename = "feed")]
    pub feeds: Vec<FeedSpec>,
}

impl IntelConfig {
    pub fn fetch_config(&self) -> FetchConfig {
        let mut f = FetchConfig::default();
        if let Some(d) = &self.cache_dir {
            f.cache_dir = d.clone();
        }
        if let Some(t) = self.timeout {
            f.timeout = t;
        }
        f
    }

    /// The refresh interval of `spec` (its own, else the default).
    pub fn refresh_of(&self, spec: &FeedSpec) -> Option<Duration> {
        spec.refresh.or(self.refresh)
    }
}

/// A feed that could not be read at all (missing file, unreachable server with nothing
/// cached). Its problems name the feed; the other feeds still load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub feed: String,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "intel feed {}: {}", self.feed, self.message)
    }
}

/// Reads and parses one feed.
pub fn load_feed(
    spec: &FeedSpec,
    fid: crate::indicator::FeedId,
    fetch_cfg: &FetchConfig,
    refresh: Option<Duration>,
) -> Result<(FeedInfo, FeedLoad), LoadError> {
    let name = spec.display_name();
    let err = |message: String| LoadError {
        feed: name.clone(),
        message,
    };
    let taxii = spec.options.format == Some(FeedFormat::Taxii);
    let remote = if taxii {
        Some(fetch::taxii::fetch(spec, fetch_cfg).map_err(|e| err(e.to_string()))?)
    } else if spec.is_remote() {
        Some(fetch::fetch_url(spec, fetch_cfg, refresh).map_err(|e| err(e.to_string()))?)
    } else {
        None
    };
    let (format, mut load, note) = match remote {
        Some(Remote::Objects { objects, note }) => {
            let mut load = FeedLoad::new(fid, &spec.options);
            feed::parse_stix_objects(&objects, &mut load);
            (FeedFormat::Taxii, load, note)
        }
        Some(Remote::Bytes { bytes, note }) => {
            let (f, l) = feed::parse(&bytes, &spec.location, &spec.options, fid);
            (f, l, note)
        }
        None => {
            let bytes = std::fs::read(&spec.location)
                .map_err(|e| err(format!("cannot read {}: {e}", spec.location)))?;
            let (f, l) = feed::parse(&bytes, &spec.location, &spec.options, fid);
            (f, l, None)
        }
    };
    if let Some(note) = note {
        // A stale cached copy was used: worth saying, not worth failing.
        load.problem(Location::Feed, note, "");
    }
    Ok((
        FeedInfo {
            name,
            location: spec.location.clone(),
            format,
            counts: Default::default(),
            skipped: Default::default(),
            duplicates: 0,
            problem_count: 0,
            problems: Vec::new(),
        },
        load,
    ))
}

/// Loads every feed of `cfg` and builds the set. Feeds that cannot be read are returned as
/// errors beside the set built from the others.
pub fn load_all(cfg: &IntelConfig) -> (IntelSet, Vec<LoadError>) {
    let fetch_cfg = cfg.fetch_config();
    let mut loads = Vec::new();
    let mut errors = Vec::new();
    for spec in &cfg.feeds {
        let fid = loads.len() as crate::indicator::FeedId;
        match load_feed(spec, fid, &fetch_cfg, cfg.refresh_of(spec)) {
            Ok(l) => loads.push(l),
            Err(e) => errors.push(e),
        }
    }
    (IntelSet::build(loads), errors)
}
