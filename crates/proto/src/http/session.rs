//! HTTP/1.x session: requests and responses per direction, bodies by Content-Length,
//! chunked transfer-encoding or connection close, pipelining (responses pair with requests in
//! order), 1xx interim responses, HEAD/204/304 without body, CONNECT and Upgrade (the parser
//! stops: what follows is another protocol).
//!
//! Caps: a message head is at most [`MAX_HEAD`] bytes (longer: this direction is given up);
//! bodies are streamed, never buffered; bodies are hashed up to [`MAX_HASHED`] bytes; at most
//! [`MAX_PENDING`] transactions wait for their response.

use super::mime;
use super::parser::{self, MAX_HEAD};
use super::record::{FileRange, FileRecord, HttpRecord};
use crate::ntlm::{parse_http_auth, NtlmMessage, NtlmRecord, NtlmTracker};
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use crate::{FileDigestValues, FileDigests, FileHashes, FinishedDigests};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// Bodies longer than this are not hashed (files.log gets no hashes, `hash_truncated`).
pub const MAX_HASHED: u64 = 10 * 1024 * 1024;
/// Transactions waiting for their response; past this the oldest is logged as is.
pub const MAX_PENDING: usize = 64;
const MAX_CHUNK_LINE: usize = 1024;
const SNIFF_BYTES: usize = 64;
/// Bytes Zeek buffers from the start of a file before it looks for the MIME type
/// (`default_file_bof_buffer_size`).
const BOF_BUFFER: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Head,
    Length(u64),
    Chunked(Chunk),
    UntilClose,
    /// Header lines after an HTTP/0.9 request line (Zeek still reads them), until a blank
    /// line.
    Headers09,
    /// Request side after a CONNECT, until its response says whether a tunnel follows.
    AwaitConnect,
    /// After a loss that covered the rest of a body and more: the next bytes must start a
    /// message (after stray line ends), or this direction is given up.
    Resync,
    Stopped,
}

struct FileAcc {
    first_ts: i64,
    last_ts: i64,
    seen: u64,
    total: Option<u64>,
    head: Vec<u8>,
    digests: FileDigests,
    /// Raw body bytes fed to `digests` (or skipped past `MAX_HASHED`).
    hashed: u64,
    filename: Option<String>,
}

impl FileAcc {
    fn new(hashes: FileHashes, first_ts: i64) -> Self {
        FileAcc {
            first_ts,
            last_ts: first_ts,
            seen: 0,
            total: None,
            head: Vec::new(),
            digests: FileDigests::new(hashes),
            hashed: 0,
            filename: None,
        }
    }

    fn hash(&mut self, bytes: &[u8]) {
        if self.hashed < MAX_HASHED {
            let n = ((MAX_HASHED - self.hashed) as usize).min(bytes.len());
            self.digests.update(&bytes[..n]);
        }
        self.hashed += bytes.len() as u64;
    }
}

/// Largest multipart body kept to be split into its parts; longer ones are one file.
pub const MAX_MULTIPART: usize = 4 * 1024 * 1024;

/// Zeek's body length for bodies it reads line by line. Zeek delivers a body in lines (not as
/// plain bytes) when it is multipart (or message/rfc822), and when a response has neither a
/// length nor chunked framing and the server did not say `Connection: close`; it then counts
/// each line as its bytes plus two for the line end, whatever the end was, and bytes of an
/// unfinished line only if the line is flushed: at the end of a multipart body of known
/// length, and when the connection closes (Zeek's line reader then ends the pending line and
/// counts two more bytes), otherwise they are not counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LineCount {
    /// A bare CR or bare LF ends a line too (and counts as two bytes); only CR LF does
    /// inside multipart bodies, where Zeek keeps other line ends as data.
    any_eol: bool,
    /// An unfinished line is flushed (counted, plus two) when this body ends.
    flush: bool,
    after_cr: bool,
    /// Bytes of the unfinished line (line-end bytes included in CR LF-only mode).
    partial: u64,
    /// Bytes Zeek counts beyond the bytes seen (bare line ends).
    extra: u64,
}

impl LineCount {
    pub(super) fn new(any_eol: bool, flush: bool) -> Self {
        LineCount {
            any_eol,
            flush,
            after_cr: false,
            partial: 0,
            extra: 0,
        }
    }

    pub(super) fn feed(&mut self, b: &[u8]) {
        for &c in b {
            match c {
                b'\r' if self.any_eol => {
                    // A line end; counts two even when no LF follows (the LF is taken back
                    // then).
                    self.extra += 1;
                    self.partial = 0;
                    self.after_cr = true;
                    continue;
                }
                b'\n' if self.after_cr => {
                    if self.any_eol {
                        // The CR before counted the line end already.
                        self.extra = self.extra.saturating_sub(1);
                    }
                    self.partial = 0;
                }
                b'\n' if self.any_eol => {
                    self.extra += 1;
                    self.partial = 0;
                }
                _ => self.partial += 1,
            }
            self.after_cr = c == b'\r';
        }
    }

    /// The length Zeek logs for a body of `seen` bytes counted this way.
    pub(super) fn body_len(&self, seen: u64) -> u64 {
        if self.partial == 0 {
            seen + self.extra
        } else if self.flush {
            seen + self.extra + 2
        } else {
            (seen + self.extra).saturating_sub(self.partial)
        }
    }
}

/// Whether a Content-Type makes Zeek read the body as a MIME entity, line by line.
fn is_mime_entity(content_type: &str) -> bool {
    let t = content_type.trim().to_ascii_lowercase();
    t.starts_with("multipart/") || t.starts_with("message/rfc822")
}

struct Side {
    buf: Vec<u8>,
    /// Boundary and bytes of a multipart body being received.
    multipart: Option<(String, Vec<u8>)>,
    /// Content-Encoding ("gzip", "deflate") and the encoded body being received.
    encoded: Option<(String, Vec<u8>)>,
    state: State,
    /// trans_depth of the message whose body is being read.
    depth: u32,
    file: Option<FileAcc>,
    body_len: u64,
    /// The other direction ended a message while this direction's head had begun (its
    /// first line was in) and was not complete: Zeek's entity for this head is gone.
    entity_lost: bool,
    /// Set when Zeek reads this body line by line (see [`LineCount`]).
    lines: Option<LineCount>,
    /// A 206 response: the body's offset in the file and the file's size when known.
    partial: Option<(u64, Option<u64>)>,
    /// A 206 response to a range request: the piece's place in its file.
    range: Option<FileRange>,
}

impl Side {
    fn new() -> Self {
        Side {
            buf: Vec::new(),
            multipart: None,
            encoded: None,
            state: State::Head,
            depth: 0,
            file: None,
            body_len: 0,
            entity_lost: false,
            lines: None,
            partial: None,
            range: None,
        }
    }

    /// The body so far is held whole (to be decoded or split into parts).
    fn holds_raw_body(&self) -> bool {
        self.encoded.is_some() || self.multipart.is_some()
    }
}

struct Trans {
    rec: HttpRecord,
    req_done: bool,
    resp_started: bool,
    resp_done: bool,
    http09: bool,
    /// The request had a `Range` header (Zeek's `range_request`).
    range_request: bool,
}

/// One HTTP/1.x connection.
pub struct HttpSession {
    sides: [Side; 2],
    trans: VecDeque<Trans>,
    count: u32,
    confirmed: bool,
    violated: bool,
    files_seen: u64,
    last_http09_response: bool,
    /// An HTTP/0.9 request's header lines were not ended by a blank line.
    open_http09_request: bool,
    /// NTLM exchanges in `Authorization`/`WWW-Authenticate` (and proxy) headers: ntlm.log.
    ntlm: NtlmTracker,
    /// An AUTHENTICATE was sent: the next final response tells its outcome.
    ntlm_authenticated: bool,
    /// NTLM records waiting to be pushed with the next delivery's records.
    ntlm_out: Vec<NtlmRecord>,
    /// A response said `Connection: close` (Zeek then reads bodies without a length as
    /// plain bytes up to the close, not line by line); stays set for the connection.
    connection_close: bool,
    /// Zeek's HTTP scripts keep one "current entity" per connection, not per direction:
    /// created when a message (or part) begins, given the file name of its headers, read
    /// when a body's file starts and deleted when any message ends. None: no entity (a file
    /// starting then has no name); Some(name) otherwise.
    entity: Option<Option<String>>,
    /// A CONNECT was answered with 200: the bytes received after it (originator's,
    /// responder's), for the session layer to identify the tunnelled protocol.
    tunnel: Option<[Vec<u8>; 2]>,
    /// Digests computed for each body (files.log).
    hashes: FileHashes,
}

impl Default for HttpSession {
    fn default() -> Self {
        Self::new()
    }
}

/// A Zeek-looking file id ("F" + 17 base62 characters), derived from the connection's first
/// packet time, the transaction and the direction, so runs are reproducible.
fn make_fuid(ts: i64, depth: u32, is_orig: bool, n: u64) -> String {
    crate::file_hash::file_id(&[
        &ts.to_be_bytes(),
        &depth.to_be_bytes(),
        &[is_orig as u8],
        &n.to_be_bytes(),
    ])
}

/// The file id of a range-requested file: from its URL, the same in every connection.
fn range_fuid(url: &str) -> String {
    make_fuid(0, 0, false, {
        let d = Sha256::digest(url.as_bytes());
        u64::from_be_bytes(d[..8].try_into().unwrap_or_default())
    })
}

impl HttpSession {
    pub fn new() -> Self {
        HttpSession {
            sides: [Side::new(), Side::new()],
            trans: VecDeque::new(),
            count: 0,
            confirmed: false,
            violated: false,
            files_seen: 0,
            last_http09_response: false,
            open_http09_request: false,
            ntlm: NtlmTracker::new(),
            ntlm_authenticated: false,
            ntlm_out: Vec::new(),
            connection_close: false,
            entity: None,
            tunnel: None,
            hashes: FileHashes::ALL,
        }
    }

    /// Computes only these digests for files (all three by default).
    pub fn with_file_hashes(mut self, hashes: FileHashes) -> Self {
        self.hashes = hashes;
        self
    }

    /// NTLM messages of a message head's authentication headers, fed to the tracker; with a
    /// response's final `status`, the outcome of an AUTHENTICATE sent before: 401/407 (the
    /// credentials were refused) a failure, 2xx/3xx a success.
    fn ntlm_headers(&mut self, ts: i64, headers: &[(String, String)], status: Option<u16>) {
        for (name, value) in headers {
            let n = name.to_ascii_uppercase();
            let auth = if status.is_some() {
                n == "WWW-AUTHENTICATE" || n == "PROXY-AUTHENTICATE"
            } else {
                n == "AUTHORIZATION" || n == "PROXY-AUTHORIZATION"
            };
            if !auth {
                continue;
            }
            if let Some(m) = parse_http_auth(value) {
                if status.is_none() {
                    self.ntlm_authenticated = matches!(m, NtlmMessage::Authenticate(_));
                }
                self.ntlm.message(ts, &m, &mut self.ntlm_out);
            }
        }
        if let Some(code) = status {
            if self.ntlm_authenticated && self.ntlm.pending() {
                let ok = match code {
                    200..=399 => Some(true),
                    401 | 407 => Some(false),
                    _ => None,
                };
                if let Some(ok) = ok {
                    self.ntlm.set_success(ok, &mut self.ntlm_out);
                    self.ntlm_authenticated = false;
                }
            }
        }
    }

    fn trans_mut(&mut self, depth: u32) -> Option<&mut Trans> {
        self.trans.iter_mut().find(|t| t.rec.trans_depth == depth)
    }

    fn new_trans(&mut self, ts: i64) -> u32 {
        if self.trans.len() >= MAX_PENDING {
            if self.confirmed {
                if let Some(t) = self.trans.front_mut() {
                    t.req_done = true;
                    t.resp_done = true;
                }
            } else {
                self.trans.pop_front();
            }
        }
        self.count += 1;
        self.trans.push_back(Trans {
            rec: HttpRecord {
                ts_ns: ts,
                trans_depth: self.count,
                ..Default::default()
            },
            req_done: false,
            resp_started: false,
            resp_done: false,
            http09: false,
            range_request: false,
        });
        self.count
    }

    fn emit_done(&mut self, out: &mut Vec<AppRecord>) {
        while self.confirmed
            && self
                .trans
                .front()
                .is_some_and(|t| t.req_done && t.resp_done)
        {
            let t = self.trans.pop_front().unwrap();
            out.push(AppRecord::Http(t.rec));
        }
    }

    fn body_bytes(&mut self, ctx: Ctx, d: usize, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        // A body's file takes the name of the connection's current entity when it starts.
        let starting = self.sides[d].file.as_ref().is_none_or(|f| f.seen == 0);
        let name = if starting {
            self.entity.clone().flatten()
        } else {
            None
        };
        let hashes = self.hashes;
        let side = &mut self.sides[d];
        side.body_len += bytes.len() as u64;
        if let Some(l) = &mut side.lines {
            l.feed(bytes);
        }
        // While an encoded or multipart body is held whole, its raw bytes are not hashed: the
        // decoded body or the parts are what files.log describes. Hashing starts (catching up
        // on the held bytes) only when the body outgrows the buffers.
        let held_before = side.holds_raw_body();
        let mut abandoned = None;
        if let Some((_, enc)) = &mut side.encoded {
            if enc.len() + bytes.len() <= MAX_MULTIPART {
                enc.extend_from_slice(bytes);
            } else {
                abandoned = side.encoded.take().map(|(_, raw)| raw);
            }
        }
        if let Some((_, mp)) = &mut side.multipart {
            if mp.len() + bytes.len() <= MAX_MULTIPART {
                mp.extend_from_slice(bytes);
            } else {
                let raw = side.multipart.take().map(|(_, raw)| raw);
                abandoned = abandoned.or(raw);
            }
        }
        let held = side.holds_raw_body();
        let f = side
            .file
            .get_or_insert_with(|| FileAcc::new(hashes, ctx.ts_ns));
        if starting {
            f.filename = name;
        }
        if f.seen == 0 && f.first_ts == 0 {
            // Created early by `set_total` (Content-Length known before any body byte).
            f.first_ts = ctx.ts_ns;
        }
        f.last_ts = ctx.ts_ns;
        if f.head.len() < SNIFF_BYTES {
            let n = (SNIFF_BYTES - f.head.len()).min(bytes.len());
            f.head.extend_from_slice(&bytes[..n]);
        }
        if !held {
            if held_before {
                if let Some(raw) = abandoned {
                    f.hash(&raw);
                }
            }
            f.hash(bytes);
        }
        f.seen += bytes.len() as u64;
    }

    /// A message of direction `d` ends: Zeek deletes the connection's current entity, also
    /// under a head of the other direction that has begun.
    fn end_entity(&mut self, d: usize) {
        self.entity = None;
        let other = &mut self.sides[1 - d];
        if other.state == State::Head && head_begun(&other.buf) {
            other.entity_lost = true;
        }
    }

    /// The body of direction `d` is complete: update its transaction.
    fn body_done(&mut self, d: usize) {
        let side = &mut self.sides[d];
        side.state = State::Head;
        let depth = side.depth;
        let body_len = std::mem::take(&mut side.body_len);
        let body_len = match side.lines.take() {
            Some(l) => l.body_len(body_len),
            None => body_len,
        };
        let file = side.file.take();
        let multipart = side.multipart.take();
        let encoded = side.encoded.take();
        let partial = side.partial.take();
        let range = side.range.take();
        self.end_entity(d);
        let hashes = self.hashes;
        // The raw body when it was held whole (and so not hashed yet).
        let mut raw_held = None;
        // A gzip/deflate body: Zeek logs the decoded length and analyses the decoded bytes.
        let decoded = encoded.and_then(|(enc, data)| {
            let cap = MAX_HASHED as usize;
            let decoded = match enc.as_str() {
                "gzip" | "x-gzip" => super::inflate::gunzip(&data, cap),
                "deflate" => Some(super::inflate::undeflate(&data, cap)),
                _ => None,
            };
            raw_held = Some(data);
            decoded
        });
        let body_len = match &decoded {
            Some(d) => d.len() as u64,
            None => body_len,
        };
        let is_orig = d == 0;
        self.files_seen += 1;
        let n = self.files_seen;
        let Some(t) = self.trans.iter_mut().find(|t| t.rec.trans_depth == depth) else {
            return;
        };
        if is_orig {
            t.rec.request_body_len = body_len;
            t.req_done = true;
        } else {
            t.rec.response_body_len = body_len;
            t.resp_done = true;
        }
        let Some(mut f) = file else {
            return;
        };
        if let Some(d) = decoded {
            if !d.is_empty() {
                let fr = file_record(
                    (f.first_ts, f.last_ts),
                    make_fuid(t.rec.ts_ns, depth, is_orig, n),
                    depth,
                    is_orig,
                    &d,
                    f.filename.clone(),
                    hashes,
                );
                add_file(&mut t.rec, fr);
            }
            return;
        }
        if let Some((boundary, data)) = multipart {
            // Zeek logs each part of a multipart body as a file of its own.
            let mut parts = Vec::new();
            parser::multipart_parts(&data, &boundary, &mut parts);
            if !parts.is_empty() {
                for (i, p) in parts.iter().enumerate() {
                    let fr = file_record(
                        (f.first_ts, f.last_ts),
                        make_fuid(t.rec.ts_ns, depth, is_orig, n * 1000 + i as u64),
                        depth,
                        is_orig,
                        p.content,
                        p.filename.clone(),
                        hashes,
                    );
                    add_file(&mut t.rec, fr);
                }
                return;
            }
            raw_held = raw_held.or(Some(data));
        }
        if f.hashed == 0 {
            if let Some(raw) = raw_held {
                f.hash(&raw);
            }
        }
        let truncated = f.seen > MAX_HASHED;
        let mime = mime::sniff(&f.head).map(str::to_string);
        // Zeek does not end the file of a 206 response with the message (other ranges may
        // follow), so the type is known when http.log is written only if it was found
        // before: once the first BOF_BUFFER bytes of the file were seen, or the file is
        // complete.
        let typed_in_time = match partial {
            None => true,
            Some((offset, total)) => {
                offset == 0 && (f.seen >= BOF_BUFFER || total.is_some_and(|t| f.seen >= t))
            }
        };
        if let Some((_, Some(t))) = partial {
            f.total = Some(t);
        }
        // A piece of a range-requested file: the file is the pieces of all connections, its
        // id comes from the URL, it has no depth (Zeek's is unset) and no hashes (the pieces
        // are not one stream).
        let hashed = !truncated && range.is_none();
        let (digests, pending) = match f.digests.finish() {
            FinishedDigests::Ready(v) => (v, None),
            FinishedDigests::Pending(p) => (FileDigestValues::default(), hashed.then_some(p)),
        };
        let fr = FileRecord {
            ts_ns: f.first_ts,
            fuid: match &range {
                Some(r) => range_fuid(&r.url),
                None => make_fuid(t.rec.ts_ns, depth, is_orig, n),
            },
            source: "HTTP",
            depth: if range.is_some() { 0 } else { depth },
            analyzers: if hashed { hashes.analyzers() } else { vec![] },
            mime_type: mime.clone(),
            filename: f.filename.clone(),
            duration_ns: f.last_ts - f.first_ts,
            is_orig,
            seen_bytes: f.seen,
            total_bytes: f.total,
            missing_bytes: 0,
            md5: digests.md5.filter(|_| hashed),
            sha1: digests.sha1.filter(|_| hashed),
            sha256: digests.sha256.filter(|_| hashed),
            hash_truncated: truncated,
            pending,
            range,
        };
        let r = &mut t.rec;
        let (fuids, names, mimes) = if is_orig {
            (
                &mut r.orig_fuids,
                &mut r.orig_filenames,
                &mut r.orig_mime_types,
            )
        } else {
            (
                &mut r.resp_fuids,
                &mut r.resp_filenames,
                &mut r.resp_mime_types,
            )
        };
        fuids.get_or_insert_with(Vec::new).push(fr.fuid.clone());
        if let Some(n) = &fr.filename {
            names.get_or_insert_with(Vec::new).push(n.clone());
        }
        if let Some(m) = mime.filter(|_| typed_in_time) {
            mimes.get_or_insert_with(Vec::new).push(m);
        }
        r.files.push(fr);
    }

    /// Parses a request head at the start of `b`. Returns bytes consumed, or None to wait.
    fn request_head(&mut self, ctx: Ctx, b: &[u8]) -> Option<usize> {
        let (line, line_len) = first_line(b)?;
        let Some(rl) = parser::parse_request_line(line) else {
            // A line that is no request: a transaction without request fields, as Zeek logs
            // it (the response decides whether this is HTTP at all; nothing is logged for an
            // unconfirmed session).
            let depth = self.new_trans(ctx.ts_ns);
            if let Some(t) = self.trans_mut(depth) {
                t.req_done = true;
            }
            self.sides[0].entity_lost = false;
            let end = parser::head_end(b).unwrap_or(line_len);
            return Some(end);
        };
        let http09 = rl.version == "0.9";
        if http09 && self.confirmed && (rl.method.len() < 3 || rl.uri.is_empty()) {
            // Zeek takes a line without version as an HTTP/0.9 request only with a method of
            // three characters or more and a URI; otherwise, where a request is expected, it
            // is a protocol violation, and Zeek's DPD removes the analyzer: nothing more is
            // parsed, what is pending is logged.
            self.violated = true;
            return Some(b.len());
        }
        let (headers, end) = if http09 {
            (vec![], line_len)
        } else {
            let end = parser::head_end(b)?;
            (parser::parse_headers(&b[line_len..end]), end)
        };
        self.confirmed = true;
        if http09
            && matches!(
                self.sides[1].state,
                State::Length(_) | State::Chunked(_) | State::UntilClose
            )
        {
            // Zeek ends a response still being received when an HTTP/0.9 request comes (what
            // the server sends next is taken as that request's reply): its body is what came
            // so far.
            if let Some(l) = &mut self.sides[1].lines {
                l.flush = false;
            }
            self.body_done(1);
        }
        self.ntlm_headers(ctx.ts_ns, &headers, None);
        let depth = self.new_trans(ctx.ts_ns);
        let mut mode = State::Head;
        let mut filename = None;
        let connect = rl.method.eq_ignore_ascii_case("CONNECT");
        let t = self.trans_mut(depth).unwrap();
        t.http09 = rl.version == "0.9";
        let r = &mut t.rec;
        r.method = Some(rl.method);
        r.uri = Some(parser::unescape_uri(&rl.uri));
        // http.log's version is the response's (Zeek's behaviour): set with the reply.
        let mut chunked = false;
        let mut length = None;
        let mut boundary = None;
        let mut encoding: Option<String> = None;
        let mut mime_entity = false;
        let mut range_request = false;
        for (name, value) in &headers {
            apply_request_header(r, name, value);
            let upper = name.to_ascii_uppercase();
            range_request |= upper == "RANGE";
            if let Some(f) = parser::entity_filename(&upper, value) {
                filename = Some(f);
            }
            match upper.as_str() {
                "TRANSFER-ENCODING" => {
                    chunked = value
                        .split(',')
                        .any(|v| v.trim().eq_ignore_ascii_case("chunked"))
                }
                "CONTENT-LENGTH" => length = parser::parse_content_length(value),
                "CONTENT-TYPE" => {
                    boundary = parser::multipart_boundary(value);
                    mime_entity = is_mime_entity(value);
                }
                "CONTENT-ENCODING" => encoding = Some(value.trim().to_ascii_lowercase()),
                _ => {}
            }
        }
        t.range_request = range_request;
        if chunked {
            mode = State::Chunked(Chunk::Size);
        } else if let Some(n) = length.filter(|&n| n > 0 && n <= i64::MAX as u64) {
            mode = State::Length(n);
        }
        let side = &mut self.sides[0];
        side.depth = depth;
        // The message begins: Zeek creates the connection's entity, unless the other
        // direction ended a message after this head began (that deleted it).
        let lost = std::mem::take(&mut side.entity_lost);
        side.body_len = 0;
        side.multipart = boundary.map(|b| (b, Vec::new()));
        side.encoded = encoding.map(|e| (e, Vec::new()));
        // A multipart request body of known length is read line by line (see LineCount).
        side.lines =
            (mime_entity && matches!(mode, State::Length(_))).then(|| LineCount::new(false, true));
        self.entity = (!lost).then_some(filename);
        if http09 {
            self.body_done(0);
            self.sides[0].state = State::Headers09;
            self.open_http09_request = true;
            return Some(end);
        }
        if mode == State::Head {
            self.body_done(0);
            if connect {
                self.sides[0].state = State::AwaitConnect;
            }
        } else {
            if let State::Length(n) = mode {
                self.set_total(0, n);
            }
            self.sides[0].state = mode;
        }
        Some(end)
    }

    fn set_total(&mut self, d: usize, n: u64) {
        // The file accumulator is created on the first body byte; remember the total there.
        let hashes = self.hashes;
        let side = &mut self.sides[d];
        // The times are set by the first body byte (`FileAcc::seen == 0` marks them unset).
        let f = side.file.get_or_insert_with(|| FileAcc::new(hashes, 0));
        f.total = Some(n);
    }

    /// Parses a response head at the start of `b`. Returns bytes consumed, or None to wait.
    fn response_head(&mut self, ctx: Ctx, b: &[u8]) -> Option<usize> {
        let (line, line_len) = first_line(b).or_else(|| {
            // No line end yet: an HTTP/0.9 response may still be recognised by its start.
            (b.len() >= 5 && !b.starts_with(b"HTTP/")).then_some((&b[..0], 0))
        })?;
        let status = parser::parse_status_line(line);
        // Which transaction: the oldest whose response has not started.
        let pending = self.trans.iter().find(|t| !t.resp_started);
        let http09_request = pending.is_some_and(|t| t.http09);
        if status.is_none() && !http09_request {
            // No status line after a versioned request (or no request): Zeek does not take
            // it as a reply.
            if !self.confirmed {
                self.violated = true;
            }
            self.sides[1].state = State::Stopped;
            return Some(b.len());
        }
        let depth = match pending {
            Some(t) => t.rec.trans_depth,
            None => {
                let d = self.new_trans(ctx.ts_ns);
                self.trans_mut(d).unwrap().req_done = true;
                d
            }
        };
        if http09_request {
            // The reply to an HTTP/0.9 request is the rest of the stream, status line or not.
            let t = self.trans_mut(depth).unwrap();
            t.rec.version = Some("0.9".into());
            t.resp_started = true;
            t.rec.status_code = Some(0);
            t.rec.status_msg = Some("<empty>".into());
            self.last_http09_response = true;
            self.entity = Some(None);
            let side = &mut self.sides[1];
            side.depth = depth;
            side.body_len = 0;
            // Zeek reads an HTTP/0.9 reply as plain bytes up to the close.
            side.lines = None;
            side.partial = None;
            side.range = None;
            side.state = State::UntilClose;
            return Some(0);
        }
        let end = parser::head_end(b)?;
        self.confirmed = true;
        let headers = parser::parse_headers(&b[line_len..end]);
        if let Some(st) = &status {
            // Interim (1xx) responses tell no outcome.
            let code = if (100..200).contains(&st.code) {
                0
            } else {
                st.code
            };
            self.ntlm_headers(ctx.ts_ns, &headers, Some(code));
        }
        let t = self.trans_mut(depth).unwrap();
        let method = t.rec.method.clone().unwrap_or_default();
        let range_url = t.range_request.then(|| {
            format!(
                "{}{}",
                t.rec.host.as_deref().unwrap_or_default(),
                t.rec.uri.as_deref().unwrap_or_default()
            )
        });
        let st = status?;
        let r = &mut t.rec;
        r.version = Some(st.version.clone());
        if (100..200).contains(&st.code) {
            r.info_code = Some(st.code);
            r.info_msg = Some(st.reason.clone());
            if st.code != 101 {
                // Interim: its entity begins and ends; the final response follows.
                self.sides[1].entity_lost = false;
                self.end_entity(1);
                return Some(end);
            }
        }
        t.resp_started = true;
        let r = &mut t.rec;
        r.status_code = Some(st.code);
        r.status_msg = Some(st.reason);
        let mut chunked = false;
        let mut length = None;
        let mut filename = None;
        let mut boundary = None;
        let mut encoding: Option<String> = None;
        let mut mime_entity = false;
        let mut close = false;
        let mut content_range = None;
        for (name, value) in &headers {
            let upper = name.to_ascii_uppercase();
            if let Some(f) = parser::entity_filename(&upper, value) {
                filename = Some(f);
            }
            match upper.as_str() {
                "TRANSFER-ENCODING" => {
                    chunked = value
                        .split(',')
                        .any(|v| v.trim().eq_ignore_ascii_case("chunked"))
                }
                "CONTENT-LENGTH" => length = parser::parse_content_length(value),
                "CONTENT-TYPE" => {
                    boundary = parser::multipart_boundary(value);
                    mime_entity = is_mime_entity(value);
                }
                "CONTENT-ENCODING" => encoding = Some(value.trim().to_ascii_lowercase()),
                "CONTENT-RANGE" => content_range = Some(parser::parse_content_range(value)),
                "CONNECTION" => {
                    // Zeek looks at the first token only.
                    let token = value
                        .split(|c: char| c == ',' || c == ';' || c.is_ascii_whitespace())
                        .next()
                        .unwrap_or_default();
                    close |= token.eq_ignore_ascii_case("close");
                }
                _ => {}
            }
        }
        self.connection_close |= close;
        let length = length.filter(|&n| n <= i64::MAX as u64);
        let compressed = encoding
            .as_deref()
            .is_some_and(|e| matches!(e, "gzip" | "x-gzip" | "deflate"));
        let lines = if chunked {
            None
        } else if mime_entity {
            // Multipart: an unfinished last line is flushed at the end of a known length
            // only.
            Some(LineCount::new(false, length.is_some()))
        } else if length.is_none() && !self.connection_close && !compressed {
            // Read up to the close, line by line; the close flushes the last line.
            Some(LineCount::new(true, true))
        } else {
            None
        };
        // A 206 body is a piece of a file: at the Content-Range offset, of the instance
        // length; without a usable Content-Range, at 0 and of the Content-Length.
        let partial = (st.code == 206).then(|| match content_range.flatten() {
            Some((first, _, instance)) => (first, instance),
            None => (0, length.filter(|&n| n > 0)),
        });
        let range = match (st.code, content_range.flatten(), range_url) {
            (206, Some((offset, _, instance)), Some(url)) => Some(FileRange {
                url,
                offset,
                instance,
            }),
            _ => None,
        };
        let side = &mut self.sides[1];
        side.lines = lines;
        side.partial = partial;
        side.range = range;
        side.depth = depth;
        // The message begins: Zeek creates the connection's entity, unless the other
        // direction ended a message after this head began (that deleted it).
        let lost = std::mem::take(&mut side.entity_lost);
        side.body_len = 0;
        side.multipart = boundary.map(|b| (b, Vec::new()));
        side.encoded = encoding.map(|e| (e, Vec::new()));
        self.entity = (!lost).then_some(filename);
        // Zeek opens a CONNECT tunnel on a 200 only.
        let connect_ok = method.eq_ignore_ascii_case("CONNECT") && st.code == 200;
        let tunnel = st.code == 101 || connect_ok;
        let no_body = method.eq_ignore_ascii_case("HEAD")
            || st.code == 204
            || st.code == 304
            || (100..200).contains(&st.code);
        if tunnel {
            self.body_done(1);
            // What follows is another protocol (or TLS through a proxy): a CONNECT tunnel's
            // bytes go back to protocol detection (`take_tunnel`), HTTP included.
            self.sides[0].state = State::Stopped;
            self.sides[1].state = State::Stopped;
            if let Some(t) = self.trans_mut(depth) {
                t.req_done = true;
            }
            if connect_ok {
                // Line ends left over right after the CONNECT and its reply are HTTP's (as
                // between messages), not the tunnel's.
                let skip = |v: &[u8]| v.iter().take_while(|&&c| c == b'\r' || c == b'\n').count();
                let orig = std::mem::take(&mut self.sides[0].buf);
                let resp = &b[end..];
                self.tunnel = Some([orig[skip(&orig)..].to_vec(), resp[skip(resp)..].to_vec()]);
            }
            return Some(b.len());
        }
        if self.sides[0].state == State::AwaitConnect {
            self.sides[0].state = State::Head;
        }
        if no_body {
            self.body_done(1);
        } else if chunked {
            self.sides[1].state = State::Chunked(Chunk::Size);
        } else if let Some(n) = length {
            if n == 0 {
                self.body_done(1);
            } else {
                self.set_total(1, n);
                self.sides[1].state = State::Length(n);
            }
        } else {
            self.sides[1].state = State::UntilClose;
        }
        Some(end)
    }

    fn process(&mut self, ctx: Ctx, d: usize, b: &[u8]) -> usize {
        let mut pos = 0;
        loop {
            if self.violated {
                return b.len();
            }
            let rest = &b[pos..];
            match self.sides[d].state {
                State::Stopped | State::AwaitConnect => {
                    return if self.sides[d].state == State::Stopped {
                        b.len()
                    } else {
                        pos
                    };
                }
                State::Resync => {
                    let blank = rest
                        .iter()
                        .take_while(|&&c| c == b'\r' || c == b'\n')
                        .count();
                    pos += blank;
                    let rest = &rest[blank..];
                    if rest.is_empty() {
                        return pos;
                    }
                    let starts = first_line(rest).map(|(line, _)| {
                        if d == 0 {
                            parser::parse_request_line(line).is_some()
                        } else {
                            parser::parse_status_line(line).is_some()
                        }
                    });
                    match starts {
                        Some(true) => self.sides[d].state = State::Head,
                        None if rest.len() <= MAX_HEAD => return pos,
                        _ => {
                            self.sides[d].state = State::Stopped;
                            return b.len();
                        }
                    }
                }
                State::Headers09 => {
                    let Some((line, n)) = first_line(rest) else {
                        if rest.len() > MAX_HEAD {
                            self.sides[d].state = State::Stopped;
                            return b.len();
                        }
                        return pos;
                    };
                    pos += n;
                    if line.is_empty() {
                        self.open_http09_request = false;
                        self.sides[d].state = State::Head;
                        continue;
                    }
                    let hs = parser::parse_headers(&[line, b"\r\n\r\n"].concat());
                    let depth = self.sides[d].depth;
                    if let Some(t) = self.trans_mut(depth) {
                        for (name, value) in &hs {
                            apply_request_header(&mut t.rec, name, value);
                        }
                    }
                }
                State::Head => {
                    // Blank lines between messages are skipped.
                    let blank = rest
                        .iter()
                        .take_while(|&&c| c == b'\r' || c == b'\n')
                        .count();
                    pos += blank;
                    let rest = &b[pos..];
                    if rest.is_empty() {
                        return pos;
                    }
                    let used = if d == 0 {
                        self.request_head(ctx, rest)
                    } else {
                        self.response_head(ctx, rest)
                    };
                    match used {
                        Some(n) => pos += n,
                        None => {
                            if rest.len() > MAX_HEAD {
                                if !self.confirmed {
                                    self.violated = true;
                                }
                                self.sides[d].state = State::Stopped;
                                return b.len();
                            }
                            return pos;
                        }
                    }
                    if self.sides[d].state == State::Head && pos == b.len() {
                        return pos;
                    }
                }
                State::Length(n) => {
                    let take = (n.min(rest.len() as u64)) as usize;
                    self.body_bytes(ctx, d, &rest[..take]);
                    pos += take;
                    let left = n - take as u64;
                    if left == 0 {
                        self.body_done(d);
                    } else {
                        self.sides[d].state = State::Length(left);
                        return pos;
                    }
                }
                State::UntilClose => {
                    self.body_bytes(ctx, d, rest);
                    return b.len();
                }
                State::Chunked(c) => match c {
                    Chunk::Size => {
                        let Some(nl) = memchr::memchr(b'\n', rest) else {
                            if rest.len() > MAX_CHUNK_LINE {
                                self.body_done(d);
                                continue;
                            }
                            return pos;
                        };
                        pos += nl + 1;
                        match parser::parse_chunk_size(&rest[..nl]) {
                            Some(0) => self.sides[d].state = State::Chunked(Chunk::Trailers),
                            Some(n) => self.sides[d].state = State::Chunked(Chunk::Data(n)),
                            // Bad chunk size: the body ends here; what follows is parsed
                            // as the next message.
                            None => self.body_done(d),
                        }
                    }
                    Chunk::Data(n) => {
                        let take = (n.min(rest.len() as u64)) as usize;
                        self.body_bytes(ctx, d, &rest[..take]);
                        pos += take;
                        let left = n - take as u64;
                        if left == 0 {
                            self.sides[d].state = State::Chunked(Chunk::DataEnd);
                        } else {
                            self.sides[d].state = State::Chunked(Chunk::Data(left));
                            return pos;
                        }
                    }
                    Chunk::DataEnd => {
                        if rest.starts_with(b"\r\n") {
                            pos += 2;
                        } else if rest.starts_with(b"\n") {
                            pos += 1;
                        } else if rest.len() < 2 {
                            return pos;
                        }
                        self.sides[d].state = State::Chunked(Chunk::Size);
                    }
                    Chunk::Trailers => {
                        let Some(nl) = memchr::memchr(b'\n', rest) else {
                            if rest.len() > MAX_HEAD {
                                self.body_done(d);
                                continue;
                            }
                            return pos;
                        };
                        pos += nl + 1;
                        let line = &rest[..nl];
                        if line.is_empty() || line == b"\r" {
                            self.body_done(d);
                        }
                    }
                },
            }
        }
    }
}

/// A file record for a body held whole (a multipart part).
fn file_record(
    (first_ts, last_ts): (i64, i64),
    fuid: String,
    depth: u32,
    is_orig: bool,
    content: &[u8],
    filename: Option<String>,
    hashes: FileHashes,
) -> FileRecord {
    let mut d = FileDigests::new(hashes);
    d.update(content);
    let (digests, pending) = match d.finish() {
        FinishedDigests::Ready(v) => (v, None),
        FinishedDigests::Pending(p) => (FileDigestValues::default(), Some(p)),
    };
    FileRecord {
        ts_ns: first_ts,
        fuid,
        source: "HTTP",
        depth,
        analyzers: hashes.analyzers(),
        mime_type: mime::sniff(&content[..content.len().min(SNIFF_BYTES)]).map(str::to_string),
        filename,
        duration_ns: last_ts - first_ts,
        is_orig,
        seen_bytes: content.len() as u64,
        total_bytes: Some(content.len() as u64),
        missing_bytes: 0,
        md5: digests.md5,
        sha1: digests.sha1,
        sha256: digests.sha256,
        hash_truncated: false,
        pending,
        range: None,
    }
}

/// Most files listed per direction in one http.log record (Zeek's `HTTP::max_files_orig`
/// and `max_files_resp`); the files themselves are all kept.
pub const MAX_LISTED_FILES: usize = 15;

/// Adds a file to its transaction's record (fuids, file names, MIME types).
fn add_file(r: &mut HttpRecord, fr: FileRecord) {
    let listed = r.files.iter().filter(|f| f.is_orig == fr.is_orig).count();
    if listed >= MAX_LISTED_FILES {
        r.files.push(fr);
        return;
    }
    let (fuids, names, mimes) = if fr.is_orig {
        (
            &mut r.orig_fuids,
            &mut r.orig_filenames,
            &mut r.orig_mime_types,
        )
    } else {
        (
            &mut r.resp_fuids,
            &mut r.resp_filenames,
            &mut r.resp_mime_types,
        )
    };
    fuids.get_or_insert_with(Vec::new).push(fr.fuid.clone());
    if let Some(n) = &fr.filename {
        names.get_or_insert_with(Vec::new).push(n.clone());
    }
    if let Some(m) = &fr.mime_type {
        mimes.get_or_insert_with(Vec::new).push(m.clone());
    }
    r.files.push(fr);
}

/// Request headers that become http.log fields.
fn apply_request_header(r: &mut HttpRecord, name: &str, value: &str) {
    match name.to_ascii_uppercase().as_str() {
        "HOST" => r.host = Some(value.to_string()),
        "REFERER" => r.referrer = Some(value.to_string()),
        "USER-AGENT" => r.user_agent = Some(value.to_string()),
        "ORIGIN" => r.origin = Some(value.to_string()),
        "AUTHORIZATION" => {
            if let Some(u) = parser::basic_auth_user(value) {
                r.username = Some(u);
            }
        }
        n @ ("FORWARDED" | "X-FORWARDED-FOR" | "X-FORWARDED-FROM" | "CLIENT-IP" | "VIA"
        | "XROXY-CONNECTION" | "PROXY-CONNECTION") => r
            .proxied
            .get_or_insert_with(Vec::new)
            .push(format!("{n} -> {value}")),
        _ => {}
    }
}

fn first_line(b: &[u8]) -> Option<(&[u8], usize)> {
    parser::first_line(b)
}

/// Whether buffered bytes hold the first line of a head (Zeek has begun the message).
fn head_begun(buf: &[u8]) -> bool {
    let blank = buf
        .iter()
        .take_while(|&&c| c == b'\r' || c == b'\n')
        .count();
    buf[blank..].contains(&b'\n')
}

impl SessionParser for HttpSession {
    fn service(&self) -> Service {
        Service::Http
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        let d = match ctx.dir {
            Direction::Orig => 0,
            Direction::Resp => 1,
        };
        if self.violated || self.sides[d].state == State::Stopped {
            return;
        }
        let mut buf = std::mem::take(&mut self.sides[d].buf);
        buf.extend_from_slice(data);
        let used = self.process(ctx, d, &buf).min(buf.len());
        buf.drain(..used);
        if self.sides[d].state == State::Stopped {
            buf = Vec::new();
        }
        self.sides[d].buf = buf;
        // A CONNECT's response may have released the request side: parse what waited.
        if d == 1 && self.sides[0].state == State::Head && !self.sides[0].buf.is_empty() {
            let mut b0 = std::mem::take(&mut self.sides[0].buf);
            let used = self.process(ctx, 0, &b0).min(b0.len());
            b0.drain(..used);
            self.sides[0].buf = b0;
        }
        self.emit_done(out);
        out.extend(self.ntlm_out.drain(..).map(AppRecord::Ntlm));
    }

    fn gap(&mut self, dir: Direction, len: u64) {
        let d = match dir {
            Direction::Orig => 0,
            Direction::Resp => 1,
        };
        // Inside a body of known length the loss can be skipped over; elsewhere framing is
        // lost and this direction is given up.
        match self.sides[d].state {
            State::Length(n) if len < n && self.sides[d].buf.is_empty() => {
                self.sides[d].state = State::Length(n - len);
                self.sides[d].body_len += len;
            }
            // The loss is the rest of the body: the next message starts after it, right at its
            // end or (loss beyond the body) where a message line shows up next.
            State::Length(n) if len >= n && self.sides[d].buf.is_empty() => {
                self.sides[d].body_len += n;
                self.body_done(d);
                if len > n {
                    self.sides[d].state = State::Resync;
                }
            }
            State::UntilClose => self.sides[d].body_len += len,
            _ => {
                self.sides[d].state = State::Stopped;
                self.sides[d].buf.clear();
            }
        }
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        for d in 0..2 {
            if matches!(
                self.sides[d].state,
                State::UntilClose | State::Length(_) | State::Chunked(_)
            ) {
                self.body_done(d);
            }
        }
        let mut last_depth = 0;
        while let Some(t) = self.trans.pop_front() {
            last_depth = t.rec.trans_depth;
            if self.confirmed {
                out.push(AppRecord::Http(t.rec));
            }
        }
        if self.confirmed && self.last_http09_response && self.open_http09_request {
            // Zeek logs one more, empty, transaction after an HTTP/0.9 reply to a request whose
            // header lines were never ended by a blank line.
            out.push(AppRecord::Http(HttpRecord {
                trans_depth: last_depth.max(self.count) + 1,
                ..Default::default()
            }));
            self.last_http09_response = false;
        }
        self.sides[0].state = State::Stopped;
        self.sides[1].state = State::Stopped;
        self.ntlm.flush(&mut self.ntlm_out);
        out.extend(self.ntlm_out.drain(..).map(AppRecord::Ntlm));
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }

    fn take_tunnel(&mut self) -> Option<[Vec<u8>; 2]> {
        self.tunnel.take()
    }
}
