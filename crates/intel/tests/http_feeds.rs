//! Remote feeds against servers run by the test itself on 127.0.0.1: an HTTP server serving
//! plain lists (validators, 304s, basic and bearer auth) and a small TAXII 2.1 server
//! (discovery, API root, collections, paged objects, `added_after`, auth). Each test has its
//! own server, port and cache directory, so they run in parallel.

use netloupe_intel::feed::FeedLoad;
use netloupe_intel::fetch::{self, FetchConfig, Remote};
use netloupe_intel::source::{load_feed, FeedSpec, LoadError};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 server: one request per connection (`Connection: close`), GET only.

#[derive(Clone, Debug)]
struct Req {
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn new(status: u16) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn header(mut self, k: &str, v: &str) -> Resp {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    fn body(mut self, b: impl Into<Vec<u8>>) -> Resp {
        self.body = b.into();
        self
    }

    fn taxii(status: u16, v: &Value) -> Resp {
        Resp::new(status)
            .header("Content-Type", "application/taxii+json;version=2.1")
            .body(serde_json::to_vec(v).unwrap())
    }
}

struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Req>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(handler: impl Fn(&Req) -> Resp + Send + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log2, stop2) = (log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                if let Some(req) = read_request(&mut conn) {
                    log2.lock().unwrap().push(req.clone());
                    write_response(&mut conn, handler(&req));
                }
            }
            // The listener is dropped here: later connections are refused.
        });
        Server {
            addr,
            log,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    fn requests_to(&self, path: &str) -> Vec<Req> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Stops serving and closes the port.
    fn stop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.stop.store(true, Ordering::SeqCst);
            // Wakes the accept loop up so that it sees the flag.
            let _ = TcpStream::connect(self.addr);
            t.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_request(conn: &mut TcpStream) -> Option<Req> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        if let httparse::Status::Complete(_) = req.parse(&buf).ok()? {
            let target = req.path?.to_string();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            return Some(Req {
                path: path.to_string(),
                query: query
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (percent_decode(k), percent_decode(v))
                    })
                    .collect(),
                headers: req
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect(),
            });
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_response(conn: &mut TcpStream, r: Resp) {
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", r.status);
    // A 304 has no body, and says nothing about its length.
    if r.status != 304 {
        head.push_str(&format!("Content-Length: {}\r\n", r.body.len()));
    }
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(&r.body);
    let _ = conn.flush();
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A cache directory of its own, removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let p = std::env::temp_dir().join(format!(
            "netloupe-http-feeds-{name}-{}-{nanos}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }

    fn config(&self) -> FetchConfig {
        FetchConfig {
            cache_dir: self.0.clone(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Every cached file's content, as text.
    fn all_text(&self) -> String {
        let mut s = String::new();
        for e in std::fs::read_dir(&self.0).into_iter().flatten().flatten() {
            s.push_str(&String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()));
        }
        s
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load(
    spec: &FeedSpec,
    cfg: &FetchConfig,
    refresh: Option<Duration>,
) -> Result<FeedLoad, LoadError> {
    load_feed(spec, 0, cfg, refresh).map(|(_, load)| load)
}

fn values(load: &FeedLoad) -> Vec<String> {
    let mut v: Vec<String> = load
        .indicators
        .iter()
        .map(|i| i.value.to_string())
        .collect();
    v.sort();
    v
}

fn notes(load: &FeedLoad) -> Vec<String> {
    load.problems.iter().map(|p| p.message.clone()).collect()
}

const HOUR: Option<Duration> = Some(Duration::from_secs(3600));
const ALWAYS: Option<Duration> = Some(Duration::ZERO);

// ---------------------------------------------------------------------------------------------
// Plain lists over HTTP: caching and revalidation.

#[test]
fn http_feed_is_cached_and_revalidated() {
    // (ETag, body) of the feed as the server has it now.
    let feed = Arc::new(Mutex::new((
        "\"v1\"".to_string(),
        "192.0.2.1\nevil.example\n".to_string(),
    )));
    let f = feed.clone();
    let mut server = Server::start(move |req| {
        if req.path != "/feed.txt" {
            return Resp::new(404);
        }
        let (etag, body) = f.lock().unwrap().clone();
        if req.header("If-None-Match") == Some(etag.as_str()) {
            return Resp::new(304).header("ETag", &etag);
        }
        Resp::new(200)
            .header("ETag", &etag)
            .header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
            .header("Content-Type", "text/plain")
            .body(body)
    });
    let dir = TempDir::new("revalidate");
    let cfg = dir.config();
    let spec = FeedSpec::from_arg(&server.url("/feed.txt"));

    // First load: a plain request, stored.
    let l = load(&spec, &cfg, HOUR).unwrap();
    assert_eq!(values(&l), ["192.0.2.1", "evil.example"]);
    assert!(notes(&l).is_empty(), "{:?}", notes(&l));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header("If-None-Match"), None);
    assert!(reqs[0]
        .header("User-Agent")
        .is_some_and(|u| u.starts_with("netloupe/")));

    // Within the refresh interval: the cached copy, no request at all.
    let l = load(&spec, &cfg, HOUR).unwrap();
    assert_eq!(values(&l), ["192.0.2.1", "evil.example"]);
    assert_eq!(server.requests().len(), 1);

    // Refresh interval elapsed: a conditional request, answered 304, the same indicators.
    let l = load(&spec, &cfg, ALWAYS).unwrap();
    assert_eq!(values(&l), ["192.0.2.1", "evil.example"]);
    assert!(notes(&l).is_empty(), "{:?}", notes(&l));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("If-None-Match"), Some("\"v1\""));
    assert_eq!(
        reqs[1].header("If-Modified-Since"),
        Some("Mon, 01 Jan 2024 00:00:00 GMT")
    );

    // No refresh interval at all: revalidated on every load.
    load(&spec, &cfg, None).unwrap();
    assert_eq!(server.requests().len(), 3);

    // The feed changes on the server: a 200 with the new content.
    *feed.lock().unwrap() = ("\"v2\"".to_string(), "198.51.100.7\n".to_string());
    let l = load(&spec, &cfg, ALWAYS).unwrap();
    assert_eq!(values(&l), ["198.51.100.7"]);
    assert_eq!(server.requests().len(), 4);
    assert!(dir.all_text().contains("\\\"v2\\\""), "{}", dir.all_text());
    // And that is what a load within the interval serves from the cache.
    let l = load(&spec, &cfg, HOUR).unwrap();
    assert_eq!(values(&l), ["198.51.100.7"]);
    assert_eq!(server.requests().len(), 4);

    // The server goes away: the stale copy, with a note saying so.
    server.stop();
    let l = load(&spec, &cfg, ALWAYS).unwrap();
    assert_eq!(values(&l), ["198.51.100.7"]);
    let n = notes(&l);
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(n[0].contains("server unreachable"), "{n:?}");
    assert!(n[0].contains("using the copy cached at"), "{n:?}");

    // Nothing cached and nobody answering: an error naming the feed.
    let mut other = FeedSpec::from_arg(&server.url("/other.txt"));
    other.name = Some("other-feed".into());
    let e = load(&other, &cfg, ALWAYS).unwrap_err();
    assert_eq!(e.feed, "other-feed");
    assert!(e.to_string().contains("other-feed"), "{e}");
    assert!(e.message.contains("server unreachable"), "{e}");
}

#[test]
fn http_errors_name_url_and_status() {
    let server = Server::start(|req| match req.path.as_str() {
        "/broken" => Resp::new(500).body("internal error"),
        _ => Resp::new(404),
    });
    let dir = TempDir::new("errors");
    let spec = FeedSpec::from_arg(&server.url("/missing.txt"));
    let e = load(&spec, &dir.config(), None).unwrap_err();
    assert_eq!(e.feed, server.url("/missing.txt"));
    assert!(e.message.contains("HTTP 404 Not Found from http://"), "{e}");
    assert!(e.message.contains("/missing.txt"), "{e}");
    let spec = FeedSpec::from_arg(&server.url("/broken"));
    let e = load(&spec, &dir.config(), None).unwrap_err();
    assert!(e.message.contains("HTTP 500 Internal Server Error"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Credentials.

#[test]
fn basic_and_bearer_auth() {
    let server = Server::start(|req| {
        let auth = req.header("Authorization");
        let allowed = match req.path.as_str() {
            // alice:s3cret
            "/basic.txt" => auth == Some("Basic YWxpY2U6czNjcmV0"),
            "/bearer.txt" => auth == Some("Bearer tok-123"),
            _ => return Resp::new(404),
        };
        if !allowed {
            return Resp::new(401).header("WWW-Authenticate", "Basic realm=\"feeds\"");
        }
        Resp::new(200).body("203.0.113.9\nbad.example\n")
    });
    let dir = TempDir::new("auth");
    let cfg = dir.config();

    let mut basic = FeedSpec::from_arg(&server.url("/basic.txt"));
    basic.name = Some("basic-feed".into());
    // Without credentials, and with wrong ones: refused, and the error says which feed.
    let e = load(&basic, &cfg, None).unwrap_err();
    assert_eq!(e.feed, "basic-feed");
    assert!(e.to_string().contains("basic-feed"), "{e}");
    assert!(e.message.contains("HTTP 401 Unauthorized"), "{e}");
    basic.username = Some("alice".into());
    basic.password = Some("wrong".into());
    let e = load(&basic, &cfg, None).unwrap_err();
    assert!(e.message.contains("401"), "{e}");
    basic.password = Some("s3cret".into());
    let l = load(&basic, &cfg, None).unwrap();
    assert_eq!(values(&l), ["203.0.113.9", "bad.example"]);

    let mut bearer = FeedSpec::from_arg(&server.url("/bearer.txt"));
    bearer.name = Some("bearer-feed".into());
    let e = load(&bearer, &cfg, None).unwrap_err();
    assert_eq!(e.feed, "bearer-feed");
    assert!(e.message.contains("401"), "{e}");
    bearer.token = Some("tok-12".into());
    assert!(load(&bearer, &cfg, None).is_err());
    bearer.token = Some("tok-123".into());
    let l = load(&bearer, &cfg, None).unwrap();
    assert_eq!(values(&l), ["203.0.113.9", "bad.example"]);

    // Credentials going wrong later: the copy cached with the right ones stands in, noted.
    bearer.token = Some("expired".into());
    let l = load(&bearer, &cfg, ALWAYS).unwrap();
    assert_eq!(values(&l), ["203.0.113.9", "bad.example"]);
    assert!(notes(&l)[0].contains("HTTP 401"), "{:?}", notes(&l));

    // No credential ever reaches the cache.
    let cached = dir.all_text();
    assert!(cached.contains("/bearer.txt"), "{cached}");
    for secret in ["s3cret", "YWxpY2U6czNjcmV0", "tok-123", "alice"] {
        assert!(!cached.contains(secret), "{secret} in the cache: {cached}");
    }
}

// ---------------------------------------------------------------------------------------------
// TAXII 2.1.

const READ_ID: &str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
const SECRET_ID: &str = "52892447-4d7e-4f70-b94d-d7f22742ff63";
const TOKEN: &str = "taxii-token";
/// The server returns at most this many objects per page, whatever the client asks for.
const SERVER_PAGE: usize = 2;

/// The test TAXII server's data: objects with the time they were added, in that order.
struct TaxiiData {
    objects: Vec<(String, Value)>,
    /// Page with `next` tokens; without, clients page with `added_after`.
    use_next: bool,
}

fn indicator(n: u32, modified: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": modified,
        "pattern": format!("[ipv4-addr:value = '198.51.100.{n}']"),
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z"
    })
}

fn taxii_server(data: Arc<Mutex<TaxiiData>>) -> Server {
    Server::start(move |req| {
        if req.header("Authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Resp::taxii(
                401,
                &json!({"title": "Unauthorized", "description": "a valid token is needed"}),
            );
        }
        if !req
            .header("Accept")
            .is_some_and(|a| a.contains("application/taxii+json"))
        {
            return Resp::taxii(406, &json!({"title": "Not Acceptable"}));
        }
        let host = req.header("Host").unwrap_or("127.0.0.1");
        let read_objects = format!("/api1/collections/{READ_ID}/objects/");
        match req.path.as_str() {
            "/taxii2/" => Resp::taxii(
                200,
                &json!({
                    "title": "netloupe test TAXII server",
                    "default": format!("http://{host}/api1/"),
                    "api_roots": [format!("http://{host}/api1/")]
                }),
            ),
            "/api1/" => Resp::taxii(
                200,
                &json!({
                    "title": "API root 1",
                    "versions": ["application/taxii+json;version=2.1"],
                    "max_content_length": 10_485_760
                }),
            ),
            "/api1/collections/" => Resp::taxii(
                200,
                &json!({"collections": [
                    {"id": READ_ID, "title": "Indicators", "can_read": true, "can_write": false,
                     "media_types": ["application/stix+json;version=2.1"]},
                    {"id": SECRET_ID, "title": "Private", "can_read": false, "can_write": true}
                ]}),
            ),
            p if p == read_objects => objects_page(&data.lock().unwrap(), req),
            _ => Resp::taxii(404, &json!({"title": "Not Found"})),
        }
    })
}

fn objects_page(data: &TaxiiData, req: &Req) -> Resp {
    let limit: usize = req
        .param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let limit = limit.min(SERVER_PAGE);
    // Timestamps are all written alike here, so text order is time order.
    let after = req.param("added_after").unwrap_or("");
    let matching: Vec<&(String, Value)> = data
        .objects
        .iter()
        .filter(|(added, _)| added.as_str() > after)
        .collect();
    let start: usize = req.param("next").and_then(|n| n.parse().ok()).unwrap_or(0);
    let page = &matching[start.min(matching.len())..(start + limit).min(matching.len())];
    let more = start + limit < matching.len();
    let mut envelope = json!({"more": more});
    if !page.is_empty() {
        envelope["objects"] = page.iter().map(|(_, o)| o.clone()).collect();
    }
    if more && data.use_next {
        envelope["next"] = json!((start + limit).to_string());
    }
    let mut resp = Resp::taxii(200, &envelope);
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        resp = resp
            .header("X-TAXII-Date-Added-First", &first.0)
            .header("X-TAXII-Date-Added-Last", &last.0);
    }
    resp
}

fn taxii_spec(url: String) -> FeedSpec {
    let mut spec = FeedSpec::from_arg(&format!("taxii+{url}"));
    spec.token = Some(TOKEN.into());
    spec
}

fn objects(r: Remote) -> (Vec<Value>, Option<String>) {
    match r {
        Remote::Objects { objects, note } => (objects, note),
        Remote::Bytes { .. } => panic!("TAXII gave bytes"),
    }
}

fn ids(objects: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = objects
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn added(n: u32) -> String {
    format!("2024-01-01T00:00:{n:02}.000Z")
}

#[test]
fn taxii_paging_auth_refresh_and_fallback() {
    let data = Arc::new(Mutex::new(TaxiiData {
        objects: (1..=5)
            .map(|n| (added(n), indicator(n, "2024-01-01T00:00:00.000Z")))
            .collect(),
        use_next: true,
    }));
    let mut server = taxii_server(data.clone());
    let dir = TempDir::new("taxii");
    let cfg = dir.config();
    let objects_path = format!("/api1/collections/{READ_ID}/objects/");
    let spec = taxii_spec(server.url("/taxii2/"));

    // Wrong token: fails, naming the URL and status and quoting the server's error.
    let mut wrong = spec.clone();
    wrong.token = Some("nope".into());
    let e = fetch::taxii::fetch(&wrong, &cfg).unwrap_err().to_string();
    assert!(e.contains("HTTP 401 Unauthorized"), "{e}");
    assert!(e.contains(&server.url("/taxii2/")), "{e}");
    assert!(
        e.contains("\"Unauthorized\" (a valid token is needed)"),
        "{e}"
    );

    // First fetch: discovery → API root → collections → the readable one, in pages.
    let (objs, note) = objects(fetch::taxii::fetch(&spec, &cfg).unwrap());
    assert_eq!(note, None);
    assert_eq!(objs.len(), 5);
    assert_eq!(
        ids(&objs),
        (1..=5)
            .map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}"))
            .collect::<Vec<_>>()
    );
    let pages = server.requests_to(&objects_path);
    assert_eq!(pages.len(), 3, "5 objects, 2 a page");
    assert_eq!(pages[0].param("next"), None);
    assert_eq!(pages[1].param("next"), Some("2"));
    assert_eq!(pages[2].param("next"), Some("4"));
    for p in &pages {
        assert_eq!(p.param("limit"), Some("1000"));
        assert_eq!(p.param("added_after"), None);
        assert_eq!(
            p.header("Accept"),
            Some("application/taxii+json;version=2.1")
        );
    }
    // The unreadable collection is never asked for.
    assert!(server
        .requests()
        .iter()
        .all(|r| !r.path.contains(SECRET_ID)));

    // New objects on the server: one new, one a newer version of an old one.
    {
        let mut d = data.lock().unwrap();
        d.objects.push((
            "2024-01-02T00:00:00.000Z".into(),
            indicator(6, "2024-01-02T00:00:00.000Z"),
        ));
        d.objects.push((
            "2024-01-02T00:00:01.000Z".into(),
            indicator(2, "2024-01-02T00:00:01.000Z"),
        ));
    }
    let before = server.requests_to(&objects_path).len();
    let (objs, note) = objects(fetch::taxii::fetch(&spec, &cfg).unwrap());
    assert_eq!(note, None);
    let pages = &server.requests_to(&objects_path)[before..];
    // Only what was added after the newest date seen: the two new objects, one page.
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].param("added_after"), Some(added(5).as_str()));
    // Old and new together, one per id, the newer version of #2.
    assert_eq!(objs.len(), 6);
    let two = objs
        .iter()
        .find(|o| o["id"] == indicator(2, "")["id"])
        .unwrap();
    assert_eq!(two["modified"], "2024-01-02T00:00:01.000Z");

    // Nothing new: one request, nothing lost.
    let (objs, _) = objects(fetch::taxii::fetch(&spec, &cfg).unwrap());
    assert_eq!(objs.len(), 6);
    let last = server.requests_to(&objects_path).pop().unwrap();
    assert_eq!(last.param("added_after"), Some("2024-01-02T00:00:01.000Z"));

    // Loaded as a feed, the collection's STIX indicators become indicators (one per object id,
    // the newer version of the changed one).
    let (info, load) = load_feed(&spec, 0, &cfg, None).expect("the TAXII feed loads");
    assert_eq!(info.format, netloupe_intel::FeedFormat::Taxii);
    assert_eq!(load.indicators.len(), 6, "{:?}", load.problems);
    assert!(load.indicators.iter().all(
        |i| i.kind == netloupe_intel::IndicatorType::Addr && i.value.starts_with("198.51.100.")
    ));

    // The token never reaches the cache.
    assert!(!dir.all_text().contains(TOKEN));

    // The server goes away: the cached objects, with a note.
    server.stop();
    let (objs, note) = objects(fetch::taxii::fetch(&spec, &cfg).unwrap());
    assert_eq!(objs.len(), 6);
    let note = note.expect("a note about the stale objects");
    assert!(note.contains("server unreachable"), "{note}");
    assert!(note.contains("using the objects cached at"), "{note}");

    // A server never reached, nothing cached: an error.
    let other = TempDir::new("taxii-empty");
    assert!(fetch::taxii::fetch(&spec, &other.config()).is_err());
}

#[test]
fn taxii_api_root_collections_by_name_and_added_after_paging() {
    let data = Arc::new(Mutex::new(TaxiiData {
        objects: (1..=5)
            .map(|n| (added(n), indicator(n, "2024-01-01T00:00:00.000Z")))
            .collect(),
        use_next: false,
    }));
    let server = taxii_server(data);
    let dir = TempDir::new("taxii-root");
    let cfg = dir.config();
    let objects_path = format!("/api1/collections/{READ_ID}/objects/");

    // An API root (no trailing slash) instead of a discovery URL, the collection by title.
    let mut spec = taxii_spec(server.url("/api1"));
    spec.collections = vec!["Indicators".into()];
    let (objs, _) = objects(fetch::taxii::fetch(&spec, &cfg).unwrap());
    assert_eq!(objs.len(), 5);
    // Without `next` tokens, the pages go on from each page's last date added.
    let pages = server.requests_to(&objects_path);
    let after: Vec<Option<&str>> = pages.iter().map(|p| p.param("added_after")).collect();
    let (a2, a4) = (added(2), added(4));
    assert_eq!(after, [None, Some(a2.as_str()), Some(a4.as_str())]);
    assert!(server.requests_to("/taxii2/").is_empty());

    // By id works too.
    spec.collections = vec![READ_ID.into()];
    assert_eq!(
        objects(fetch::taxii::fetch(&spec, &cfg).unwrap()).0.len(),
        5
    );

    // A collection that cannot be read, or that does not exist: errors saying so.
    spec.collections = vec!["Private".into()];
    let e = fetch::taxii::fetch(&spec, &cfg).unwrap_err().to_string();
    assert!(e.contains("\"Private\" is not readable"), "{e}");
    spec.collections = vec!["Nope".into()];
    let e = fetch::taxii::fetch(&spec, &cfg).unwrap_err().to_string();
    assert!(e.contains("no collection \"Nope\""), "{e}");
    assert!(e.contains("Indicators, Private"), "{e}");
}

#[test]
fn taxii_discovery_without_taxii_is_an_error() {
    let server = Server::start(|_| Resp::new(200).body("{\"hello\": 1}"));
    let dir = TempDir::new("not-taxii");
    let spec = taxii_spec(server.url("/"));
    let e = fetch::taxii::fetch(&spec, &dir.config())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neither a TAXII 2.1 discovery resource nor an API root"),
        "{e}"
    );
}
