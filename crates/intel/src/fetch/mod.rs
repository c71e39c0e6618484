//! Fetching remote feeds: HTTP(S) through an on-disk cache ([`cache`]: refresh interval,
//! ETag/Last-Modified revalidation, the stale copy when the server cannot be reached) and the
//! TAXII 2.1 client ([`taxii`]).
//!
//! Loading happens once at start-up (and on refresh), a handful of requests in a row, so the
//! client is blocking and makes one request at a time.

pub mod cache;
pub mod taxii;

use crate::source::{Auth, FeedSpec};
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// The largest body accepted from a server (after decompression, so a small gzip bomb cannot
/// get past it). Real feeds are far smaller; this only keeps a broken or hostile server from
/// exhausting memory.
pub const MAX_BODY_BYTES: u64 = 1 << 30;

/// Error bodies are read only this far: enough for a TAXII error message, no more.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Sent with every request, so that feed operators can tell who is fetching.
pub const USER_AGENT: &str = concat!("netloupe/", env!("CARGO_PKG_VERSION"));

/// How remote feeds are fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchConfig {
    pub cache_dir: PathBuf,
    /// Per-request timeout: for connecting, for the response to start, and for each wait on
    /// the body (not for the whole body: a big feed on a slow link is not an error).
    pub timeout: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        FetchConfig {
            cache_dir: base.join("netloupe").join("intel"),
            timeout: Duration::from_secs(30),
        }
    }
}

/// What a fetch produced.
#[derive(Debug)]
pub enum Remote {
    /// A feed file's bytes (fresh, or the cached copy). `note` says why a stale copy was used
    /// (or that a fresh one could not be cached).
    Bytes {
        bytes: Vec<u8>,
        note: Option<String>,
    },
    /// STIX objects gathered from a TAXII server's collections.
    Objects {
        objects: Vec<serde_json::Value>,
        note: Option<String>,
    },
}

/// Why a feed could not be fetched (and no cached copy could stand in).
#[derive(Debug)]
pub struct FetchError(pub String);

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A blocking HTTP client with the feed's credentials, timeouts and limits.
pub(crate) struct Client {
    agent: ureq::Agent,
    /// The `Authorization` header value, if the feed has credentials.
    authorization: Option<String>,
}

/// A response, whatever its status, with its body read.
pub(crate) struct Reply {
    pub url: String,
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value as text (absent when missing or not text).
    pub fn header(&self, name: &str) -> Option<String> {
        let v = self.headers.get(name)?.to_str().ok()?.trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// `HTTP 401 Unauthorized from <url>`, with the server's own explanation when the body is
    /// a JSON error (TAXII's `{"title": ..., "description": ...}`, and many APIs alike).
    pub fn error_message(&self) -> String {
        let reason = ureq::http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        let mut msg = format!("HTTP {}{reason} from {}", self.status, self.url);
        if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice(&self.body) {
            let text = |k: &str| o.get(k).and_then(|v| v.as_str()).map(str::trim);
            if let Some(title) = text("title").filter(|t| !t.is_empty()) {
                msg.push_str(&format!(": {title:?}"));
            }
            if let Some(d) = text("description").filter(|d| !d.is_empty()) {
                msg.push_str(&format!(" ({})", shorten(d, 300)));
            }
        }
        msg
    }
}

fn shorten(s: &str, max: usize) -> String {
    let mut t: String = s.chars().take(max).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

impl Client {
    pub fn new(cfg: &FetchConfig, auth: Option<&Auth>) -> Client {
        let t = Some(cfg.timeout);
        let config = ureq::Agent::config_builder()
            // Statuses are the caller's business: a 304 is good news, a 401 comes with a body
            // worth quoting.
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .timeout_resolve(t)
            .timeout_connect(t)
            .timeout_send_request(t)
            .timeout_recv_response(t)
            .timeout_per_read(t)
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            authorization: auth.map(|a| match a {
                Auth::Basic { username, password } => {
                    format!(
                        "Basic {}",
                        base64(format!("{username}:{password}").as_bytes())
                    )
                }
                Auth::Bearer { token } => format!("Bearer {token}"),
            }),
        }
    }

    /// GETs `url` with `headers` (and the credentials). Fails only when no response came
    /// (or its body could not be read); HTTP errors are replies.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Reply, String> {
        let mut req = self.agent.get(url);
        if let Some(a) = &self.authorization {
            req = req.header("Authorization", a.as_str());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut resp = req.call().map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let body = if (200..300).contains(&status) {
            resp.body_mut()
                .with_config()
                .limit(MAX_BODY_BYTES)
                .read_to_vec()
                .map_err(|e| match e {
                    ureq::Error::BodyExceedsLimit(_) => format!(
                        "{url}: the response is larger than the {} MiB limit",
                        MAX_BODY_BYTES >> 20
                    ),
                    e => format!("{url}: reading the response: {e}"),
                })?
        } else {
            // Only for the message: a truncated or unreadable error body is no reason to fail.
            let mut v = Vec::new();
            let _ = resp
                .body_mut()
                .as_reader()
                .take(MAX_ERROR_BODY_BYTES)
                .read_to_end(&mut v);
            v
        };
        Ok(Reply {
            url: url.to_string(),
            status,
            headers: resp.headers().clone(),
            body,
        })
    }
}

/// Standard base64 with padding (for basic auth).
fn base64(bytes: &[u8]) -> String {
    data_encoding::BASE64.encode(bytes)
}

/// Fetches an HTTP(S) feed, through the cache:
///
/// * a cached copy younger than `refresh` is used without asking the server;
/// * otherwise the request is conditional on the cached copy's ETag/Last-Modified, and a 304
///   keeps the copy;
/// * when the server cannot be reached or answers with an error, a cached copy (however old)
///   stands in, with a note saying so; without one the fetch fails.
pub fn fetch_url(
    spec: &FeedSpec,
    cfg: &FetchConfig,
    refresh: Option<Duration>,
) -> Result<Remote, FetchError> {
    let url = spec.location.as_str();
    let entry = cache::Entry::new(&cfg.cache_dir, url);
    let cached = entry.load();
    if let (Some((meta, body)), Some(refresh)) = (&cached, refresh) {
        let age = Duration::from_secs(cache::now_secs().saturating_sub(meta.fetched_at));
        if age < refresh {
            return Ok(Remote::Bytes {
                bytes: body.clone(),
                note: None,
            });
        }
    }

    let mut headers = Vec::new();
    if let Some((meta, _)) = &cached {
        if let Some(etag) = &meta.etag {
            headers.push(("If-None-Match", etag.as_str()));
        }
        if let Some(lm) = &meta.last_modified {
            headers.push(("If-Modified-Since", lm.as_str()));
        }
    }
    let client = Client::new(cfg, spec.auth().as_ref());
    let failure = match client.get(url, &headers) {
        Ok(reply) if reply.status == 304 && cached.is_some() => {
            let (old, body) = cached.expect("checked above");
            // The server may send new validators with a 304; keep the old ones otherwise.
            let meta = cache::Meta {
                etag: reply.header("ETag").or(old.etag),
                last_modified: reply.header("Last-Modified").or(old.last_modified),
                fetched_at: cache::now_secs(),
                ..old
            };
            let note = entry.store_meta(&meta).err().map(|e| cache_failure(cfg, e));
            return Ok(Remote::Bytes { bytes: body, note });
        }
        Ok(reply) if reply.ok() && reply.status != 304 => {
            let mut meta = entry.meta_for(reply.header("ETag"), reply.header("Last-Modified"));
            meta.size = Some(reply.body.len() as u64);
            let note = entry
                .store(&meta, &reply.body)
                .err()
                .map(|e| cache_failure(cfg, e));
            return Ok(Remote::Bytes {
                bytes: reply.body,
                note,
            });
        }
        Ok(reply) => reply.error_message(),
        Err(e) => format!("server unreachable ({e})"),
    };
    match cached {
        Some((meta, bytes)) => Ok(Remote::Bytes {
            bytes,
            note: Some(format!(
                "{failure}; using the copy cached at {}",
                cache::format_time(meta.fetched_at)
            )),
        }),
        None => Err(FetchError(failure)),
    }
}

fn cache_failure(cfg: &FetchConfig, e: std::io::Error) -> String {
    format!(
        "fetched, but could not write the cache in {}: {e}",
        cfg.cache_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_encodes() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn error_messages_quote_taxii_errors() {
        let r = Reply {
            url: "https://t.example/api/".into(),
            status: 403,
            headers: Default::default(),
            body: br#"{"title": "Forbidden", "description": "no read access"}"#.to_vec(),
        };
        assert_eq!(
            r.error_message(),
            "HTTP 403 Forbidden from https://t.example/api/: \"Forbidden\" (no read access)"
        );
        let r = Reply {
            body: b"<html>oops</html>".to_vec(),
            status: 599,
            ..r
        };
        assert_eq!(r.error_message(), "HTTP 599 from https://t.example/api/");
    }
}
