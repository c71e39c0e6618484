//! TAXII 2.1 client: finds a server's collections (from its discovery resource or an API
//! root), reads their STIX objects page by page, and keeps what it read in the cache so that
//! the next fetch only asks for objects added since (`added_after`) and a server that is down
//! does not leave the run without the feed.
//!
//! Per collection, the cache holds a JSON state file: the objects gathered so far (one per
//! STIX id, the newest `modified` winning) and the date-added watermark (the largest
//! `X-TAXII-Date-Added-Last` seen). Per feed, an index file lists the collections chosen last
//! time, since without the server there is no other way to know which states belong to it.

use super::cache::{self, format_time, now_secs, redact_url, write_atomic};
use super::{Client, FetchConfig, FetchError, Remote, Reply};
use crate::source::FeedSpec;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The media type of TAXII 2.1 requests and responses.
pub const MEDIA_TYPE: &str = "application/taxii+json;version=2.1";

/// Objects asked for per page (servers may return fewer).
pub const PAGE_LIMIT: usize = 1000;

/// Pages read per collection and fetch at most: a server that keeps saying `more` forever
/// must not keep netloupe from starting.
pub const MAX_PAGES: usize = 100_000;

/// Objects kept per collection at most (memory: each one is a parsed JSON tree).
pub const MAX_OBJECTS: usize = 5_000_000;

/// A collection to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Collection {
    /// `{api_root}collections/{id}/objects/`.
    objects_url: String,
    id: String,
    title: String,
}

/// What is cached of one collection.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CollectionState {
    /// The objects URL (any `user:password@` removed), to check the file belongs to it.
    url: String,
    /// The newest `X-TAXII-Date-Added-Last` seen: the next fetch asks for what came after.
    added_after: Option<String>,
    /// Unix seconds of the last complete fetch.
    fetched_at: u64,
    objects: Vec<Value>,
}

/// The collections a feed read last time.
#[derive(Debug, Serialize, Deserialize)]
struct Index {
    location: String,
    collections: Vec<Collection>,
}

/// Reads the STIX objects of a TAXII server's collections: the ones `spec.collections` names
/// (by id or title), else every readable one.
pub fn fetch(spec: &FeedSpec, cfg: &FetchConfig) -> Result<Remote, FetchError> {
    let client = Client::new(cfg, spec.auth().as_ref());
    let index_path = cfg.cache_dir.join(format!(
        "taxii-{}.index.json",
        cache::key(&format!(
            "{}\n{}",
            spec.location,
            spec.collections.join("\n")
        ))
    ));
    let collections = match find_collections(&client, spec) {
        Ok(c) => c,
        Err(e) => return cached_only(cfg, &index_path, spec, e),
    };
    let mut notes = Vec::new();
    let index = Index {
        location: redact_url(&spec.location),
        collections: collections.clone(),
    };
    if let Err(e) = serde_json::to_vec_pretty(&index)
        .map_err(std::io::Error::other)
        .and_then(|j| write_atomic(&index_path, &j))
    {
        notes.push(cache_failure(cfg, &e));
    }

    let mut objects = Vec::new();
    for c in &collections {
        let path = state_path(cfg, c);
        match read_collection(&client, c, load_state(&path, c)) {
            Ok(state) => {
                if let Err(e) = serde_json::to_vec(&state)
                    .map_err(std::io::Error::other)
                    .and_then(|j| write_atomic(&path, &j))
                {
                    notes.push(cache_failure(cfg, &e));
                }
                objects.extend(state.objects);
            }
            // Only a state from an earlier complete fetch has a time: a fresh, empty one
            // stands for nothing.
            Err((e, state)) if state.fetched_at > 0 => {
                notes.push(format!(
                    "collection {:?}: {e}; using the {} objects cached at {}",
                    c.title,
                    state.objects.len(),
                    format_time(state.fetched_at)
                ));
                objects.extend(state.objects);
            }
            Err((e, _)) => return Err(FetchError(format!("collection {:?}: {e}", c.title))),
        }
    }
    Ok(Remote::Objects {
        objects,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

/// The server could not tell its collections: the objects cached for the collections read
/// last time, with a note, or the error when there are none.
fn cached_only(
    cfg: &FetchConfig,
    index_path: &Path,
    spec: &FeedSpec,
    error: String,
) -> Result<Remote, FetchError> {
    let index: Option<Index> = std::fs::read(index_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|i: &Index| i.location == redact_url(&spec.location));
    let Some(index) = index else {
        return Err(FetchError(error));
    };
    let mut objects = Vec::new();
    let mut oldest = u64::MAX;
    for c in &index.collections {
        match load_state(&state_path(cfg, c), c) {
            Some(s) => {
                oldest = oldest.min(s.fetched_at);
                objects.extend(s.objects);
            }
            // Part of the feed would be silently missing: better to say it cannot be read.
            None => return Err(FetchError(error)),
        }
    }
    let when = if oldest == u64::MAX {
        "nothing cached".to_string()
    } else {
        format!("using the objects cached at {}", format_time(oldest))
    };
    Ok(Remote::Objects {
        objects,
        note: Some(format!("{error}; {when}")),
    })
}

fn cache_failure(cfg: &FetchConfig, e: &std::io::Error) -> String {
    format!(
        "fetched, but could not write the cache in {}: {e}",
        cfg.cache_dir.display()
    )
}

fn state_path(cfg: &FetchConfig, c: &Collection) -> PathBuf {
    cfg.cache_dir
        .join(format!("taxii-{}.json", cache::key(&c.objects_url)))
}

fn load_state(path: &Path, c: &Collection) -> Option<CollectionState> {
    let s: CollectionState = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    (s.url == redact_url(&c.objects_url)).then_some(s)
}

/// GETs a TAXII resource: its JSON on success, an error naming the URL and status (with the
/// server's TAXII error message) otherwise.
fn get_json(client: &Client, url: &str) -> Result<(Reply, Value), String> {
    let reply = client
        .get(url, &[("Accept", MEDIA_TYPE)])
        .map_err(|e| format!("server unreachable ({e})"))?;
    if !reply.ok() {
        return Err(reply.error_message());
    }
    // An empty body (some servers answer an empty page so) is an empty resource.
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        return Ok((reply, Value::Object(Default::default())));
    }
    let json = serde_json::from_slice(&reply.body).map_err(|e| {
        let ct = reply.header("Content-Type").unwrap_or_default();
        format!("{url}: not a TAXII response (Content-Type {ct:?}): {e}")
    })?;
    Ok((reply, json))
}

/// The API roots of `spec.location` (a discovery URL: its default root, else all of them; or
/// an API root itself), then the collections to read from them.
fn find_collections(client: &Client, spec: &FeedSpec) -> Result<Vec<Collection>, String> {
    let location = with_slash(&spec.location);
    let (_, json) = get_json(client, &location)?;
    let roots: Vec<String> = if json.get("api_roots").is_some() || json.get("default").is_some() {
        match json.get("default").and_then(Value::as_str) {
            Some(d) => vec![with_slash(&resolve(&location, d))],
            None => json
                .get("api_roots")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|r| with_slash(&resolve(&location, r)))
                .collect(),
        }
    } else if json.get("versions").is_some() || json.get("max_content_length").is_some() {
        vec![location.clone()]
    } else {
        return Err(format!(
            "{location}: neither a TAXII 2.1 discovery resource nor an API root"
        ));
    };
    if roots.is_empty() {
        return Err(format!("{location}: the server lists no API roots"));
    }

    let mut found = Vec::new();
    for root in &roots {
        let url = format!("{root}collections/");
        let (_, json) = get_json(client, &url)?;
        for c in json
            .get("collections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(id) = c.get("id").and_then(Value::as_str) else {
                continue;
            };
            let title = c.get("title").and_then(Value::as_str).unwrap_or(id);
            let readable = c.get("can_read").and_then(Value::as_bool).unwrap_or(false);
            found.push((
                Collection {
                    objects_url: format!("{root}collections/{}/objects/", encode(id)),
                    id: id.to_string(),
                    title: title.to_string(),
                },
                readable,
            ));
        }
    }

    if spec.collections.is_empty() {
        let readable: Vec<Collection> = found
            .into_iter()
            .filter(|(_, r)| *r)
            .map(|(c, _)| c)
            .collect();
        if readable.is_empty() {
            return Err(format!("{location}: no readable collection"));
        }
        return Ok(readable);
    }
    let mut chosen = Vec::new();
    for want in &spec.collections {
        let Some((c, readable)) = found
            .iter()
            .find(|(c, _)| &c.id == want || &c.title == want)
        else {
            let names: Vec<&str> = found.iter().map(|(c, _)| c.title.as_str()).collect();
            return Err(format!(
                "{location}: no collection {want:?} (the server has: {})",
                names.join(", ")
            ));
        };
        if !readable {
            return Err(format!(
                "{location}: collection {want:?} is not readable with these credentials"
            ));
        }
        if !chosen.contains(c) {
            chosen.push(c.clone());
        }
    }
    Ok(chosen)
}

/// Reads a collection's objects added since the cached state's watermark, page by page, and
/// merges them into the state. On failure the cached state (untouched) comes back with the
/// error.
fn read_collection(
    client: &Client,
    c: &Collection,
    state: Option<CollectionState>,
) -> Result<CollectionState, (String, CollectionState)> {
    let mut state = state.unwrap_or_else(|| CollectionState {
        url: redact_url(&c.objects_url),
        ..CollectionState::default()
    });
    // New objects are gathered apart and merged only once every page has come: a fetch that
    // fails half-way must leave the cached state as it was, watermark included.
    let mut fresh: Vec<Value> = Vec::new();
    let mut newest = state.added_after.clone();
    let mut added_after = state.added_after.clone();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        if pages == MAX_PAGES {
            return Err((
                format!("{}: more than {MAX_PAGES} pages", c.objects_url),
                state,
            ));
        }
        pages += 1;
        let mut url = format!("{}?limit={PAGE_LIMIT}", c.objects_url);
        if let Some(a) = &added_after {
            url.push_str(&format!("&added_after={}", encode(a)));
        }
        if let Some(n) = &next {
            url.push_str(&format!("&next={}", encode(n)));
        }
        let (reply, json) = match get_json(client, &url) {
            Ok(r) => r,
            Err(e) => return Err((e, state)),
        };
        let page = match serde_json::from_value::<Envelope>(json) {
            Ok(p) => p,
            Err(e) => {
                return Err((format!("{url}: not a TAXII envelope: {e}"), state));
            }
        };
        fresh.extend(page.objects);
        if state.objects.len() + fresh.len() > MAX_OBJECTS {
            return Err((
                format!("{}: more than {MAX_OBJECTS} objects", c.objects_url),
                state,
            ));
        }
        let last = reply.header("X-TAXII-Date-Added-Last");
        if let Some(l) = &last {
            if newest.as_deref().is_none_or(|n| later(l, n)) {
                newest = Some(l.clone());
            }
        }
        if !page.more {
            break;
        }
        // Two ways on (TAXII 2.1 §3.5): the server's `next` token, else `added_after` set to
        // the page's last date added. Either must move forward, or the loop would never end.
        match (page.next, last) {
            (Some(n), _) if next.as_ref() != Some(&n) => next = Some(n),
            (None, Some(l)) if added_after.as_ref() != Some(&l) => {
                added_after = Some(l);
                next = None;
            }
            _ => {
                return Err((
                    format!("{url}: the server says there is more but gives no way to it"),
                    state,
                ))
            }
        }
    }
    merge(&mut state.objects, fresh);
    state.added_after = newest;
    state.fetched_at = now_secs();
    Ok(state)
}

/// A page of objects (the `objects` resource's envelope).
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    objects: Vec<Value>,
}

/// Merges `fresh` into `objects`: one object per STIX id, the newer `modified` winning (the
/// fresh one on a tie or when either has none: it is the server's latest word). Objects
/// without an id are kept as they come.
fn merge(objects: &mut Vec<Value>, fresh: Vec<Value>) {
    let mut by_id: HashMap<String, usize> = objects
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((o.get("id")?.as_str()?.to_string(), i)))
        .collect();
    for o in fresh {
        let Some(id) = o.get("id").and_then(Value::as_str).map(str::to_string) else {
            objects.push(o);
            continue;
        };
        match by_id.get(&id) {
            Some(&i) => {
                let old = objects[i].get("modified").and_then(Value::as_str);
                let new = o.get("modified").and_then(Value::as_str);
                let keep_old = matches!((old, new), (Some(a), Some(b)) if later(a, b));
                if !keep_old {
                    objects[i] = o;
                }
            }
            None => {
                by_id.insert(id, objects.len());
                objects.push(o);
            }
        }
    }
}

/// Whether timestamp `a` is strictly after `b` (RFC 3339; compared as text when either does
/// not parse, which orders same-format timestamps right).
fn later(a: &str, b: &str) -> bool {
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x > y,
        _ => a > b,
    }
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// `reference` (an API root as a discovery resource lists it) made absolute against `base`.
fn resolve(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = reference.strip_prefix("//") {
        return format!("{}{rest}", &base[..scheme_end]);
    }
    if reference.starts_with('/') {
        return format!("{}{reference}", &base[..origin_end]);
    }
    let dir_end = base
        .rfind('/')
        .map_or(base.len(), |i| i + 1)
        .max(origin_end);
    format!("{}{reference}", &base[..dir_end])
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for ids in paths and
/// timestamps/tokens in queries: `+` or `&` in a `next` token must survive).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_api_roots() {
        let base = "https://t.example/taxii2/";
        assert_eq!(
            resolve(base, "https://o.example/api/"),
            "https://o.example/api/"
        );
        assert_eq!(resolve(base, "/api1/"), "https://t.example/api1/");
        assert_eq!(resolve(base, "api2/"), "https://t.example/taxii2/api2/");
        assert_eq!(resolve(base, "//o.example/x/"), "https://o.example/x/");
    }

    #[test]
    fn encodes() {
        assert_eq!(
            encode("2024-01-02T03:04:05.678Z"),
            "2024-01-02T03%3A04%3A05.678Z"
        );
        assert_eq!(encode("a+b/c=&d"), "a%2Bb%2Fc%3D%26d");
    }

    #[test]
    fn compares_timestamps() {
        assert!(later("2024-01-01T00:00:01Z", "2024-01-01T00:00:00.999Z"));
        assert!(!later("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000Z"));
        assert!(later(
            "2024-01-01T01:00:00+00:00",
            "2024-01-01T01:30:00+01:00"
        ));
    }

    #[test]
    fn merges_by_id_keeping_the_newest() {
        let mut objs = vec![
            json!({"id": "indicator--1", "modified": "2024-01-02T00:00:00Z", "v": 1}),
            json!({"id": "indicator--2", "modified": "2024-01-02T00:00:00Z", "v": 1}),
        ];
        merge(
            &mut objs,
            vec![
                // Older than what is kept: ignored.
                json!({"id": "indicator--1", "modified": "2024-01-01T00:00:00Z", "v": 0}),
                json!({"id": "indicator--2", "modified": "2024-01-03T00:00:00Z", "v": 2}),
                json!({"id": "indicator--3", "modified": "2024-01-03T00:00:00Z", "v": 1}),
                json!({"no": "id"}),
            ],
        );
        assert_eq!(objs.len(), 4);
        assert_eq!(objs[0]["v"], 1);
        assert_eq!(objs[1]["v"], 2);
        assert_eq!(objs[2]["id"], "indicator--3");
    }
}
