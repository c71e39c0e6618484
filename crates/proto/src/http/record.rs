//! http.log and files.log records.

use netloupe_output::json::JsonObject;

/// One HTTP request/response pair: Zeek's http.log fields. The password of Basic
/// authentication is never kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpRecord {
    /// Time of the request (or of the response when there was no request), ns.
    pub ts_ns: i64,
    /// 1 for the first transaction of the connection, 2 for the next, ...
    pub trans_depth: u32,
    pub method: Option<String>,
    pub host: Option<String>,
    pub uri: Option<String>,
    pub referrer: Option<String>,
    /// "1.1", "1.0", "0.9" (request's, or the response's when there was no request).
    pub version: Option<String>,
    pub user_agent: Option<String>,
    pub origin: Option<String>,
    /// Body bytes after removing chunked framing.
    pub request_body_len: u64,
    pub response_body_len: u64,
    /// Final status (0 for an HTTP/0.9 response, which has no status line).
    pub status_code: Option<u16>,
    pub status_msg: Option<String>,
    /// Last informational (1xx) response.
    pub info_code: Option<u16>,
    pub info_msg: Option<String>,
    pub tags: Vec<String>,
    /// User name of Basic authentication.
    pub username: Option<String>,
    /// Proxy-revealing headers, as "NAME -> value".
    pub proxied: Option<Vec<String>>,
    pub orig_fuids: Option<Vec<String>>,
    pub orig_filenames: Option<Vec<String>>,
    pub orig_mime_types: Option<Vec<String>>,
    pub resp_fuids: Option<Vec<String>>,
    pub resp_filenames: Option<Vec<String>>,
    pub resp_mime_types: Option<Vec<String>>,
    /// The bodies as files (files.log), request body first.
    pub files: Vec<FileRecord>,
}

fn opt_str(o: &mut JsonObject, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        o.str(k, v);
    }
}

fn opt_vec(o: &mut JsonObject, k: &str, v: &Option<Vec<String>>) {
    if let Some(v) = v {
        o.str_array(k, v);
    }
}

impl HttpRecord {
    /// Writes the protocol fields (not ts/uid/id, which the caller writes).
    pub fn write_json(&self, o: &mut JsonObject) {
        o.raw("trans_depth", self.trans_depth);
        opt_str(o, "method", &self.method);
        opt_str(o, "host", &self.host);
        opt_str(o, "uri", &self.uri);
        opt_str(o, "referrer", &self.referrer);
        opt_str(o, "version", &self.version);
        opt_str(o, "user_agent", &self.user_agent);
        opt_str(o, "origin", &self.origin);
        o.raw("request_body_len", self.request_body_len);
        o.raw("response_body_len", self.response_body_len);
        if let Some(v) = self.status_code {
            o.raw("status_code", v);
        }
        opt_str(o, "status_msg", &self.status_msg);
        if let Some(v) = self.info_code {
            o.raw("info_code", v);
        }
        opt_str(o, "info_msg", &self.info_msg);
        o.str_array("tags", &self.tags);
        opt_str(o, "username", &self.username);
        opt_vec(o, "proxied", &self.proxied);
        opt_vec(o, "orig_fuids", &self.orig_fuids);
        opt_vec(o, "orig_filenames", &self.orig_filenames);
        opt_vec(o, "orig_mime_types", &self.orig_mime_types);
        opt_vec(o, "resp_fuids", &self.resp_fuids);
        opt_vec(o, "resp_filenames", &self.resp_filenames);
        opt_vec(o, "resp_mime_types", &self.resp_mime_types);
    }
}

/// One HTTP body as a file: Zeek's files.log fields (source "HTTP").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileRecord {
    /// Time of the first body byte, ns.
    pub ts_ns: i64,
    pub fuid: String,
    pub source: &'static str,
    /// The transaction's trans_depth.
    pub depth: u32,
    /// Hashes computed ("MD5", "SHA1", "SHA256"), empty when the body was too long to hash.
    pub analyzers: Vec<&'static str>,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    /// Last body byte time minus first, ns.
    pub duration_ns: i64,
    /// Sent by the originator (request body).
    pub is_orig: bool,
    pub seen_bytes: u64,
    /// Content-Length, when the message stated one.
    pub total_bytes: Option<u64>,
    pub missing_bytes: u64,
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    /// The body was longer than the hashing cap: no hashes.
    pub hash_truncated: bool,
    /// Digests still being computed on the hashing thread: [`FileRecord::resolve_digests`]
    /// fills `md5`/`sha1`/`sha256` from them before the record is written.
    pub pending: Option<crate::PendingDigests>,
    /// Set for a 206 body answering a range request: a piece of a file that Zeek gathers
    /// with the other pieces of the same URL fetched by the same client, over any
    /// connections, into one file (one fuid, byte counts over all pieces). The log writer
    /// merges these; the other fields then describe this piece only.
    pub range: Option<FileRange>,
}

impl FileRecord {
    /// Waits for digests computed off the packet path and stores them in the record.
    pub fn resolve_digests(&mut self) {
        if let Some(p) = self.pending.take() {
            let v = p.wait();
            self.md5 = v.md5;
            self.sha1 = v.sha1;
            self.sha256 = v.sha256;
        }
    }
}

/// Where a piece of a range-requested file belongs (see [`FileRecord::range`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRange {
    /// Host header (empty when absent) and URI: with the client address and the server port,
    /// the file's identity.
    pub url: String,
    /// Offset of the piece in the file (Content-Range's first byte).
    pub offset: u64,
    /// The file's size (Content-Range's instance length), when stated.
    pub instance: Option<u64>,
}

impl FileRecord {
    /// Writes the files.log fields (not ts, which the caller writes, nor the connection).
    pub fn write_json(&self, o: &mut JsonObject) {
        o.str("fuid", &self.fuid);
        o.str("source", self.source);
        o.raw("depth", self.depth);
        o.str_array("analyzers", &self.analyzers);
        opt_str(o, "mime_type", &self.mime_type);
        opt_str(o, "filename", &self.filename);
        o.interval("duration", self.duration_ns);
        o.raw("is_orig", self.is_orig);
        o.raw("seen_bytes", self.seen_bytes);
        if let Some(v) = self.total_bytes {
            o.raw("total_bytes", v);
        }
        o.raw("missing_bytes", self.missing_bytes);
        opt_str(o, "md5", &self.md5);
        opt_str(o, "sha1", &self.sha1);
        opt_str(o, "sha256", &self.sha256);
    }
}
