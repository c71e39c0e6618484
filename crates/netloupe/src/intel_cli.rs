//! The command line's threat-intelligence side: the config file (`--config`), `--intel` feeds
//! for `analyze`, the reloading thread, and `netloupe intel check|lookup`.

use clap::{Args, Subcommand};
use netloupe_engine::IntelUpdate;
use netloupe_intel::normalize;
use netloupe_intel::reload::{ReloadCause, Reloader};
use netloupe_intel::{FeedSpec, IndicatorType, IntelConfig, IntelSet, LoadError, Seen};
use netloupe_output::terminal_escape as esc;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Threat-intelligence options shared by `analyze` and `intel`.
#[derive(Args, Clone, Default)]
pub struct IntelArgs {
    /// A threat-intelligence feed: a file or an http(s) URL (plain list, CSV incl. the abuse.ch
    /// layouts, Zeek intel file, STIX 2.1 bundle, MISP event JSON, detected from the content),
    /// or `taxii+https://server/taxii2/` for a TAXII 2.1 server. Repeatable; adds to the
    /// config file's feeds.
    #[arg(long = "intel", value_name = "PATH_OR_URL")]
    pub feeds: Vec<String>,
    /// Config file (TOML) with an `[intel]` table: feeds with their format, column mapping,
    /// credentials, confidence/severity/tags, refresh interval; cache directory (see
    /// docs/INTEL.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where fetched feeds are cached (default: $XDG_CACHE_HOME/netloupe/intel).
    #[arg(long, value_name = "DIR")]
    pub intel_cache: Option<PathBuf>,
    /// Reload every feed this often while a run lasts (`90`, `15m`, `6h`); remote feeds are
    /// fetched again only when their cached copy is older. SIGHUP reloads at any time.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub intel_refresh: Option<std::time::Duration>,
}

fn parse_duration_arg(s: &str) -> Result<std::time::Duration, String> {
    netloupe_intel::source::parse_duration(s)
        .ok_or_else(|| format!("{s:?} is not a duration (90, 90s, 15m, 6h, 1d)"))
}

#[derive(Subcommand)]
pub enum IntelCommand {
    /// Load feeds and report what they hold: indicators per type, entries skipped and why,
    /// and every bad line or object with its position (bad lines never stop a feed loading).
    /// Exit code 0 when every feed could be read, 2 when one could not.
    Check {
        /// Feeds (as for `analyze --intel`); the config file's feeds are checked too.
        #[arg(id = "feed_args", value_name = "FEED")]
        feeds: Vec<String>,
        #[command(flatten)]
        intel: IntelArgs,
    },
    /// Say which feeds list a value (address, CIDR-covered address, domain or parent domain,
    /// URL, e-mail address, hash, JA3/JA4, user agent), whatever their validity windows (each
    /// shown). Exit code 0 when listed, 1 when not, 2 when a feed could not be read.
    Lookup {
        /// The value; its type is detected unless --type says it.
        value: String,
        /// The value's type (addr, domain, url, email, ja3, ja3s, ja4, hassh, cert_sha1,
        /// cert_sha256, file_md5, file_sha1, file_sha256, md5, sha1, sha256, user_agent).
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        #[command(flatten)]
        intel: IntelArgs,
    },
}

/// Reads the config file's `[intel]` table and adds the command line's feeds and settings.
pub fn intel_config(a: &IntelArgs, extra_feeds: &[String]) -> Result<IntelConfig, String> {
    let mut cfg = match &a.config {
        Some(p) => read_config(p)?,
        None => IntelConfig::default(),
    };
    for f in a.feeds.iter().chain(extra_feeds) {
        cfg.feeds.push(FeedSpec::from_arg(f));
    }
    if let Some(d) = &a.intel_cache {
        cfg.cache_dir = Some(d.clone());
    }
    if let Some(r) = a.intel_refresh {
        cfg.refresh = Some(r);
    }
    Ok(cfg)
}

/// The config file: TOML, with an `[intel]` table. Unknown keys are errors naming the key
/// (a misspelt `refesh` would otherwise silently do nothing).
fn read_config(path: &Path) -> Result<IntelConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let bad = |m: String| format!("config file {}: {m}", path.display());
    let table: toml::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    for k in table.keys() {
        if k != "intel" {
            return Err(bad(format!("unknown table or key {k:?} (known: intel)")));
        }
    }
    let Some(intel) = table.get("intel") else {
        return Ok(IntelConfig::default());
    };
    let intel_t = intel
        .as_table()
        .ok_or_else(|| bad("`intel` must be a table".into()))?;
    for k in intel_t.keys() {
        if !["cache_dir", "refresh", "timeout", "feed"].contains(&k.as_str()) {
            return Err(bad(format!(
                "unknown key intel.{k} (known: cache_dir, refresh, timeout, feed)"
            )));
        }
    }
    if let Some(feeds) = intel_t.get("feed").and_then(|f| f.as_array()) {
        for (i, f) in feeds.iter().enumerate() {
            let Some(t) = f.as_table() else {
                return Err(bad(format!("intel.feed[{i}] must be a table")));
            };
            for k in t.keys() {
                if !FeedSpec::KEYS.contains(&k.as_str()) {
                    return Err(bad(format!(
                        "unknown key {k:?} in intel.feed[{i}] (known: {})",
                        FeedSpec::KEYS.join(", ")
                    )));
                }
            }
        }
    }
    let mut cfg: IntelConfig = intel
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    // Relative feed paths are relative to the config file.
    let base = path.parent().unwrap_or(Path::new("."));
    for f in &mut cfg.feeds {
        if !f.is_remote() && f.options.format != Some(netloupe_intel::FeedFormat::Taxii) {
            let p = Path::new(&f.location);
            if p.is_relative() {
                f.location = base.join(p).display().to_string();
            }
        }
    }
    if let Some(d) = &cfg.cache_dir {
        if d.is_relative() {
            cfg.cache_dir = Some(base.join(d));
        }
    }
    Ok(cfg)
}

/// What `analyze` needs: the initial set, and the reloading thread feeding updates.
pub struct IntelRun {
    pub set: Arc<IntelSet>,
    pub updates: crossbeam_channel::Receiver<IntelUpdate>,
    pub reloader: Reloader,
}

/// Loads the feeds for `analyze` (warning about those that cannot be read) and starts the
/// reloading thread. `None` when no feed is configured.
pub fn start(cfg: IntelConfig, quiet: bool) -> Result<Option<IntelRun>, String> {
    if cfg.feeds.is_empty() {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let (set, errors) = netloupe_intel::load_all(&cfg);
    for e in &errors {
        eprintln!("netloupe: warning: {}", esc(&e.to_string()));
    }
    if set.feeds().is_empty() {
        return Err("no intel feed could be read".into());
    }
    let (tx, rx) = crossbeam_channel::unbounded::<IntelUpdate>();
    let reloader = Reloader::spawn(cfg, true, move |set, errors, cause| {
        for e in &errors {
            eprintln!("netloupe: warning: {}", esc(&e.to_string()));
        }
        let (n, feeds) = (set.len(), set.feeds().len());
        // Handed over before it is announced: traffic read after the message is matched
        // against the new set.
        let _ = tx.send(IntelUpdate {
            set: Arc::new(set),
            errors: errors.iter().map(LoadError::to_string).collect(),
        });
        eprintln!(
            "netloupe: intel reloaded ({}): {n} indicators from {feeds} feed(s)",
            match cause {
                ReloadCause::Signal => "SIGHUP",
                ReloadCause::Refresh => "refresh interval",
            }
        );
    })
    .map_err(|e| format!("cannot start the intel reloading thread: {e}"))?;
    // Announced once SIGHUP is handled (a test waits for this line before signalling).
    if !quiet {
        eprintln!(
            "netloupe: intel: {} indicators from {} feed(s) in {:.2} s{}",
            set.len(),
            set.feeds().len(),
            started.elapsed().as_secs_f64(),
            problems_note(&set)
        );
    }
    Ok(Some(IntelRun {
        set: Arc::new(set),
        updates: rx,
        reloader,
    }))
}

fn problems_note(set: &IntelSet) -> String {
    let bad: u64 = set.feeds().iter().map(|f| f.problem_count).sum();
    if bad == 0 {
        String::new()
    } else {
        format!(" ({bad} bad lines or objects skipped: `netloupe intel check` lists them)")
    }
}

pub fn run(cmd: IntelCommand) -> u8 {
    match cmd {
        IntelCommand::Check { feeds, intel } => check(&intel, &feeds),
        IntelCommand::Lookup { value, kind, intel } => lookup(&intel, &value, kind.as_deref()),
    }
}

fn load(a: &IntelArgs, extra: &[String]) -> Result<(IntelSet, Vec<LoadError>), String> {
    let cfg = intel_config(a, extra)?;
    if cfg.feeds.is_empty() {
        return Err("no feed given (FEED arguments, --intel, or --config)".into());
    }
    Ok(netloupe_intel::load_all(&cfg))
}

fn check(a: &IntelArgs, feeds: &[String]) -> u8 {
    let started = std::time::Instant::now();
    let (set, errors) = match load(a, feeds) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("netloupe: error: {e}");
            return 1;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    for f in set.feeds() {
        println!(
            "{} ({}, {}): {} indicators",
            esc(&f.name),
            f.format.name(),
            esc(&f.location),
            f.loaded()
        );
        for (k, n) in &f.counts {
            println!("  {:<20} {n}", k.name());
        }
        for (why, n) in &f.skipped {
            println!("  skipped: {why}: {n}");
        }
        if f.duplicates > 0 {
            println!("  duplicates: {}", f.duplicates);
        }
        if f.problem_count > 0 {
            println!("  bad lines or objects: {}", f.problem_count);
            for p in &f.problems {
                println!("    {}: {}: {}", p.at, p.message, esc(&p.text));
            }
            let more = f.problem_count - f.problems.len() as u64;
            if more > 0 {
                println!("    ... and {more} more");
            }
        }
    }
    for e in &errors {
        println!("{}: NOT LOADED: {}", esc(&e.feed), esc(&e.message));
    }
    println!(
        "total: {} indicators from {} feed(s) in {secs:.2} s",
        set.len(),
        set.feeds().len()
    );
    if errors.is_empty() {
        0
    } else {
        2
    }
}

/// A value to look up, owned (`Seen` borrows from it).
enum Probe {
    Addr(std::net::IpAddr),
    Domain(String),
    Url(String),
    Email(String),
    Ja4(String),
    UserAgent(String),
    Digest(IndicatorType, String),
}

impl Probe {
    fn seen(&self) -> Seen<'_> {
        match self {
            Probe::Addr(a) => Seen::Addr(*a),
            Probe::Domain(d) => Seen::Domain(d),
            Probe::Url(u) => Seen::Url(u),
            Probe::Email(e) => Seen::Email(e),
            Probe::Ja4(j) => Seen::Ja4(j),
            Probe::UserAgent(u) => Seen::UserAgent(u),
            Probe::Digest(k, d) => Seen::Digest(*k, d),
        }
    }
}

/// The ways a value may appear in traffic, for `intel lookup`: a hash of unknown kind is
/// looked up as every digest of its length.
fn probes(value: &str, kind: Option<IndicatorType>) -> Result<Vec<Probe>, String> {
    use IndicatorType as T;
    let (kind, v) = match kind {
        Some(k) => {
            let (v, _) = normalize::value(k, value).map_err(|e| format!("{value:?}: {e}"))?;
            (k, v)
        }
        None => {
            let (k, v, _) = normalize::classify(value).map_err(|e| format!("{value:?}: {e}"))?;
            (k, v)
        }
    };
    let digests = |kinds: &[T]| kinds.iter().map(|&k| Probe::Digest(k, v.clone())).collect();
    Ok(match kind {
        T::Addr => vec![Probe::Addr(v.parse().map_err(|_| "bad address")?)],
        T::Subnet => vec![Probe::Addr(normalize::subnet(&v).ok_or("bad subnet")?.0)],
        T::Domain => vec![Probe::Domain(v)],
        T::Url => vec![Probe::Url(v)],
        T::Email => vec![Probe::Email(v)],
        T::Ja4 => vec![Probe::Ja4(v)],
        T::UserAgent | T::UserAgentPattern => vec![Probe::UserAgent(value.to_string())],
        T::Md5 => digests(&[T::FileMd5, T::Ja3, T::Ja3s, T::Hassh]),
        T::Sha1 => digests(&[T::FileSha1, T::CertSha1]),
        T::Sha256 => digests(&[T::FileSha256, T::CertSha256]),
        k => digests(&[k]),
    })
}

fn lookup(a: &IntelArgs, value: &str, kind: Option<&str>) -> u8 {
    let kind = match kind.map(|k| IndicatorType::from_name(k).ok_or(k)) {
        None => None,
        Some(Ok(k)) => Some(k),
        Some(Err(k)) => {
            eprintln!("netloupe: error: unknown type {k:?}");
            return 1;
        }
    };
    let probes = match probes(value, kind) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netloupe: error: {}", esc(&e));
            return 1;
        }
    };
    let (set, errors) = match load(a, &[]) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("netloupe: error: {e}");
            return 1;
        }
    };
    for e in &errors {
        eprintln!("netloupe: warning: {}", esc(&e.to_string()));
    }
    let mut hits = Vec::new();
    for p in &probes {
        set.lookup_any_time(p.seen(), &mut hits);
    }
    hits.sort_unstable();
    hits.dedup();
    if hits.is_empty() {
        println!("{}: not listed", esc(value));
        return if errors.is_empty() { 1 } else { 2 };
    }
    let now = now_ns();
    for i in hits {
        let ind = set.indicator(i);
        let m = &ind.meta;
        let feed = set.feed(ind.feed);
        let mut line = format!(
            "{}: listed by {} as {} {}{}",
            esc(value),
            esc(&feed.name),
            ind.kind.name(),
            if ind.subdomains { "*." } else { "" },
            esc(&ind.value)
        );
        if let Some(s) = m.severity {
            line.push_str(&format!(", severity {}", s.name()));
        }
        if let Some(c) = m.confidence {
            line.push_str(&format!(", confidence {c}"));
        }
        if !m.tags.is_empty() {
            let tags: Vec<String> = m.tags.iter().map(|t| esc(t).into_owned()).collect();
            line.push_str(&format!(", tags {}", tags.join(",")));
        }
        if let Some(t) = m.technique() {
            line.push_str(&format!(", technique {}", esc(t)));
        }
        if m.valid_until() != netloupe_intel::indicator::NO_END
            || m.valid_from() != netloupe_intel::indicator::NO_START
        {
            line.push_str(&format!(
                ", valid {} .. {}{}",
                when(m.valid_from()),
                when(m.valid_until()),
                if m.valid_at(now) {
                    ""
                } else {
                    " (not valid now)"
                }
            ));
        }
        if let Some(r) = &m.reference {
            line.push_str(&format!(", ref {}", esc(r)));
        }
        println!("{line}");
    }
    0
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn when(ns: i64) -> String {
    if ns == netloupe_intel::indicator::NO_START || ns == netloupe_intel::indicator::NO_END {
        return "-".into();
    }
    let mut s = String::new();
    netloupe_output::format_ts(ns, &mut s);
    s
}
