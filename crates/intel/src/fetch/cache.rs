//! The on-disk cache of fetched feeds: per URL, the body and a small JSON metadata file (URL,
//! validators, when it was fetched), both named by a hash of the URL. It lets a run start
//! without touching the network while a copy is fresh, turns re-downloads into conditional
//! requests, and stands in when a server is down.
//!
//! Files are replaced atomically (written beside their final name, then renamed), so a crash
//! or a second netloupe process never leaves a half-written copy behind.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// What is known about a cached body. Never holds credentials: the URL is stored with any
/// `user:password@` part removed, and request headers are not stored at all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub url: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// Unix seconds of the last successful request (200, or 304 confirming the copy).
    pub fetched_at: u64,
    /// The body's length: a body that does not match (a crash between the two renames, a
    /// hand-edited file) is not trusted.
    #[serde(default)]
    pub size: Option<u64>,
}

/// The cache files of one URL.
#[derive(Clone, Debug)]
pub struct Entry {
    body: PathBuf,
    meta: PathBuf,
    url: String,
}

impl Entry {
    pub fn new(dir: &Path, url: &str) -> Entry {
        let key = key(url);
        Entry {
            body: dir.join(format!("{key}.body")),
            meta: dir.join(format!("{key}.json")),
            url: url.to_string(),
        }
    }

    /// The cached copy, if there is a usable one.
    pub fn load(&self) -> Option<(Meta, Vec<u8>)> {
        let meta: Meta = serde_json::from_slice(&std::fs::read(&self.meta).ok()?).ok()?;
        if meta.url != redact_url(&self.url) {
            // A hash collision, or a file copied from elsewhere.
            return None;
        }
        let body = std::fs::read(&self.body).ok()?;
        if meta.size.is_some_and(|s| s != body.len() as u64) {
            return None;
        }
        Some((meta, body))
    }

    /// Stores a fresh body and its metadata (the body first: metadata describing a body that
    /// is not there yet would be trusted).
    pub fn store(&self, meta: &Meta, body: &[u8]) -> io::Result<()> {
        write_atomic(&self.body, body)?;
        self.store_meta(meta)
    }

    /// Rewrites the metadata only (a 304 confirmed the body).
    pub fn store_meta(&self, meta: &Meta) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(meta).map_err(io::Error::other)?;
        write_atomic(&self.meta, &json)
    }

    pub fn meta_for(&self, etag: Option<String>, last_modified: Option<String>) -> Meta {
        Meta {
            url: redact_url(&self.url),
            etag,
            last_modified,
            fetched_at: now_secs(),
            size: None,
        }
    }
}

/// A file-name-safe key for `s` (a URL, or a TAXII collection's URL): hex SHA-256, shortened
/// (128 bits are plenty to tell a cache's URLs apart).
pub fn key(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// `url` without a `user:password@` part.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `secs` as `YYYY-MM-DD HH:MM:SS UTC`, for notes.
pub fn format_time(secs: u64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs as i64) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("unix time {secs}"),
    }
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory (so the
/// rename cannot cross file systems), flushed to disk, then renamed over the old one. The
/// directory is created if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // Unique per process and call: two threads or processes never share a temporary file.
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_user_info() {
        assert_eq!(
            redact_url("https://bob:pw@feeds.example/x?a=b@c"),
            "https://feeds.example/x?a=b@c"
        );
        assert_eq!(
            redact_url("https://feeds.example/a@b"),
            "https://feeds.example/a@b"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn formats_times() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn store_and_load() {
        let dir = std::env::temp_dir().join(format!("netloupe-cache-unit-{}", std::process::id()));
        let e = Entry::new(&dir, "http://h.example/feed");
        assert!(e.load().is_none());
        let mut m = e.meta_for(Some("\"x\"".into()), None);
        m.size = Some(5);
        e.store(&m, b"hello").unwrap();
        let (m2, body) = e.load().unwrap();
        assert_eq!(m2, m);
        assert_eq!(body, b"hello");
        // A body that does not match its metadata is not used.
        std::fs::write(&e.body, b"hello, world").unwrap();
        assert!(e.load().is_none());
        // Another URL with the same files (as if by collision) is not served this copy.
        let other = Entry {
            url: "http://other.example/".into(),
            ..e.clone()
        };
        assert!(other.load().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
