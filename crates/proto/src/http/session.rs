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
use super::record::{FileRecord, HttpRecord};
use crate::hex;
use crate::ntlm::{parse_http_auth, NtlmMessage, NtlmRecord, NtlmTracker};
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// Bodies longer than this are not hashed (files.log gets no hashes, `hash_truncated`).
pub const MAX_HASHED: u64 = 10 * 1024 * 1024;
/// Transactions waiting for their response; past this the oldest is logged as is.
pub const MAX_PENDING: usize = 64;
const MAX_CHUNK_LINE: usize = 1024;
const SNIFF_BYTES: usize = 64;

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
    /// Both sides after a successful CONNECT, until the tunnel's first request-side bytes say
    /// whether HTTP goes on inside it (a new session then starts) or another protocol does.
    Tunnel,
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
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
    filename: Option<String>,
}

/// Largest multipart body kept to be split into its parts; longer ones are one file.
pub const MAX_MULTIPART: usize = 4 * 1024 * 1024;

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
    filename: Option<String>,
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
            filename: None,
        }
    }
}

struct Trans {
    rec: HttpRecord,
    req_done: bool,
    resp_started: bool,
    resp_done: bool,
    http09: bool,
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
    /// The CONNECT tunnel carries HTTP: the session restarts at the next delivery's end.
    tunnel_http: bool,
}

impl Default for HttpSession {
    fn default() -> Self {
        Self::new()
    }
}

/// A Zeek-looking file id ("F" + 17 base62 characters), derived from the connection's first
/// packet time, the transaction and the direction, so runs are reproducible.
fn make_fuid(ts: i64, depth: u32, is_orig: bool, n: u64) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut h = Sha256::new();
    h.update(ts.to_be_bytes());
    h.update(depth.to_be_bytes());
    h.update([is_orig as u8]);
    h.update(n.to_be_bytes());
    let d = h.finalize();
    let mut s = String::from("F");
    for b in d.iter().take(17) {
        s.push(A[*b as usize % A.len()] as char);
    }
    s
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
            tunnel_http: false,
        }
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
        let side = &mut self.sides[d];
        side.body_len += bytes.len() as u64;
        if let Some((_, enc)) = &mut side.encoded {
            if enc.len() + bytes.len() <= MAX_MULTIPART {
                enc.extend_from_slice(bytes);
            } else {
                side.encoded = None;
            }
        }
        if let Some((_, mp)) = &mut side.multipart {
            if mp.len() + bytes.len() <= MAX_MULTIPART {
                mp.extend_from_slice(bytes);
            } else {
                side.multipart = None;
            }
        }
        let f = side.file.get_or_insert_with(|| FileAcc {
            first_ts: ctx.ts_ns,
            last_ts: ctx.ts_ns,
            seen: 0,
            total: None,
            head: Vec::new(),
            md5: Md5::new(),
            sha1: Sha1::new(),
            sha256: Sha256::new(),
            filename: side.filename.clone(),
        });
        if f.seen == 0 && f.first_ts == 0 {
            // Created early by `set_total` (Content-Length known before any body byte).
            f.first_ts = ctx.ts_ns;
        }
        f.last_ts = ctx.ts_ns;
        if f.head.len() < SNIFF_BYTES {
            let n = (SNIFF_BYTES - f.head.len()).min(bytes.len());
            f.head.extend_from_slice(&bytes[..n]);
        }
        if f.seen < MAX_HASHED {
            let n = ((MAX_HASHED - f.seen) as usize).min(bytes.len());
            f.md5.update(&bytes[..n]);
            f.sha1.update(&bytes[..n]);
            f.sha256.update(&bytes[..n]);
        }
        f.seen += bytes.len() as u64;
    }

    /// The body of direction `d` is complete: update its transaction.
    fn body_done(&mut self, d: usize) {
        let side = &mut self.sides[d];
        side.state = State::Head;
        let depth = side.depth;
        let body_len = std::mem::take(&mut side.body_len);
        let file = side.file.take();
        let multipart = side.multipart.take();
        let encoded = side.encoded.take();
        side.filename = None;
        // A gzip/deflate body: Zeek logs the decoded length and analyses the decoded bytes.
        let decoded = encoded.and_then(|(enc, data)| {
            let cap = MAX_HASHED as usize;
            match enc.as_str() {
                "gzip" | "x-gzip" => super::inflate::gunzip(&data, cap),
                "deflate" => Some(super::inflate::undeflate(&data, cap)),
                _ => None,
            }
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
        let Some(f) = file else {
            return;
        };
        if let Some(d) = decoded {
            if !d.is_empty() {
                let fr = file_record(
                    f.first_ts,
                    f.last_ts,
                    make_fuid(t.rec.ts_ns, depth, is_orig, n),
                    depth,
                    is_orig,
                    &d,
                    f.filename.clone(),
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
                        f.first_ts,
                        f.last_ts,
                        make_fuid(t.rec.ts_ns, depth, is_orig, n * 1000 + i as u64),
                        depth,
                        is_orig,
                        p.content,
                        p.filename.clone(),
                    );
                    add_file(&mut t.rec, fr);
                }
                return;
            }
        }
        let truncated = f.seen > MAX_HASHED;
        let mime = mime::sniff(&f.head).map(str::to_string);
        let fr = FileRecord {
            ts_ns: f.first_ts,
            fuid: make_fuid(t.rec.ts_ns, depth, is_orig, n),
            source: "HTTP",
            depth,
            analyzers: if truncated {
                vec![]
            } else {
                vec!["MD5", "SHA1", "SHA256"]
            },
            mime_type: mime.clone(),
            filename: f.filename.clone(),
            duration_ns: f.last_ts - f.first_ts,
            is_orig,
            seen_bytes: f.seen,
            total_bytes: f.total,
            missing_bytes: 0,
            md5: (!truncated).then(|| hex(&f.md5.finalize())),
            sha1: (!truncated).then(|| hex(&f.sha1.finalize())),
            sha256: (!truncated).then(|| hex(&f.sha256.finalize())),
            hash_truncated: truncated,
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
        if let Some(m) = mime {
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
            let end = parser::head_end(b).unwrap_or(line_len);
            return Some(end);
        };
        let http09 = rl.version == "0.9";
        let (headers, end) = if http09 {
            (vec![], line_len)
        } else {
            let end = parser::head_end(b)?;
            (parser::parse_headers(&b[line_len..end]), end)
        };
        self.confirmed = true;
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
        for (name, value) in &headers {
            apply_request_header(r, name, value);
            match name.to_ascii_uppercase().as_str() {
                "TRANSFER-ENCODING" => {
                    chunked = value
                        .split(',')
                        .any(|v| v.trim().eq_ignore_ascii_case("chunked"))
                }
                "CONTENT-LENGTH" => length = parser::parse_content_length(value),
                "CONTENT-DISPOSITION" => filename = parser::disposition_filename(value),
                "CONTENT-TYPE" => boundary = parser::multipart_boundary(value),
                "CONTENT-ENCODING" => encoding = Some(value.trim().to_ascii_lowercase()),
                _ => {}
            }
        }
        if chunked {
            mode = State::Chunked(Chunk::Size);
        } else if let Some(n) = length.filter(|&n| n > 0 && n <= i64::MAX as u64) {
            mode = State::Length(n);
        }
        let side = &mut self.sides[0];
        side.depth = depth;
        side.filename = filename;
        side.body_len = 0;
        side.multipart = boundary.map(|b| (b, Vec::new()));
        side.encoded = encoding.map(|e| (e, Vec::new()));
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
        let side = &mut self.sides[d];
        // The times are set by the first body byte (`FileAcc::seen == 0` marks them unset).
        let f = side.file.get_or_insert_with(|| FileAcc {
            first_ts: 0,
            last_ts: 0,
            seen: 0,
            total: None,
            head: Vec::new(),
            md5: Md5::new(),
            sha1: Sha1::new(),
            sha256: Sha256::new(),
            filename: side.filename.clone(),
        });
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
            let side = &mut self.sides[1];
            side.depth = depth;
            side.body_len = 0;
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
        let st = status?;
        let r = &mut t.rec;
        r.version = Some(st.version.clone());
        if (100..200).contains(&st.code) {
            r.info_code = Some(st.code);
            r.info_msg = Some(st.reason.clone());
            if st.code != 101 {
                return Some(end); // interim: the final response follows
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
        for (name, value) in &headers {
            match name.to_ascii_uppercase().as_str() {
                "TRANSFER-ENCODING" => {
                    chunked = value
                        .split(',')
                        .any(|v| v.trim().eq_ignore_ascii_case("chunked"))
                }
                "CONTENT-LENGTH" => length = parser::parse_content_length(value),
                "CONTENT-DISPOSITION" => filename = parser::disposition_filename(value),
                "CONTENT-TYPE" => boundary = parser::multipart_boundary(value),
                "CONTENT-ENCODING" => encoding = Some(value.trim().to_ascii_lowercase()),
                _ => {}
            }
        }
        let side = &mut self.sides[1];
        side.depth = depth;
        side.filename = filename;
        side.body_len = 0;
        side.multipart = boundary.map(|b| (b, Vec::new()));
        side.encoded = encoding.map(|e| (e, Vec::new()));
        let tunnel = st.code == 101
            || (method.eq_ignore_ascii_case("CONNECT") && (200..300).contains(&st.code));
        let no_body = method.eq_ignore_ascii_case("HEAD")
            || st.code == 204
            || st.code == 304
            || (100..200).contains(&st.code);
        if tunnel {
            self.body_done(1);
            // What follows is another protocol (or TLS through a proxy); through a CONNECT
            // tunnel it may be HTTP again, which the tunnel's first request bytes tell.
            let next = if st.code == 101 {
                State::Stopped
            } else {
                State::Tunnel
            };
            self.sides[0].state = next;
            self.sides[1].state = next;
            if let Some(t) = self.trans_mut(depth) {
                t.req_done = true;
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
        } else if let Some(n) = length.filter(|&n| n <= i64::MAX as u64) {
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
                State::Tunnel => {
                    if d == 1 || self.tunnel_http {
                        // The request side decides first; a server speaking first is not
                        // HTTP. Bounded wait.
                        if rest.len() > MAX_HEAD {
                            self.sides[d].state = State::Stopped;
                            return b.len();
                        }
                        return pos;
                    }
                    // Stray line ends before a request line are skipped (RFC 9112 2.2).
                    let blank = rest
                        .iter()
                        .take_while(|&&c| c == b'\r' || c == b'\n')
                        .count();
                    pos += blank;
                    let rest = &rest[blank..];
                    if rest.is_empty() {
                        return pos;
                    }
                    match first_line(rest) {
                        None if rest.len() <= MAX_HEAD && !rest.starts_with(&[0x16]) => return pos,
                        Some((line, _))
                            if parser::parse_request_line(line)
                                .is_some_and(|rl| rl.version != "0.9") =>
                        {
                            self.tunnel_http = true;
                            return pos;
                        }
                        _ => {
                            self.sides[0].state = State::Stopped;
                            self.sides[1].state = State::Stopped;
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
                        let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
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
                        let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
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
    first_ts: i64,
    last_ts: i64,
    fuid: String,
    depth: u32,
    is_orig: bool,
    content: &[u8],
    filename: Option<String>,
) -> FileRecord {
    FileRecord {
        ts_ns: first_ts,
        fuid,
        source: "HTTP",
        depth,
        analyzers: vec!["MD5", "SHA1", "SHA256"],
        mime_type: mime::sniff(&content[..content.len().min(SNIFF_BYTES)]).map(str::to_string),
        filename,
        duration_ns: last_ts - first_ts,
        is_orig,
        seen_bytes: content.len() as u64,
        total_bytes: Some(content.len() as u64),
        missing_bytes: 0,
        md5: Some(hex(&Md5::digest(content))),
        sha1: Some(hex(&Sha1::digest(content))),
        sha256: Some(hex(&Sha256::digest(content))),
        hash_truncated: false,
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
        if self.tunnel_http {
            // HTTP inside the CONNECT tunnel: a new session, its transactions numbered from 1
            // (as a new analyzer on the tunnel's content would number them).
            self.tunnel_http = false;
            if self.trans.is_empty() {
                self.count = 0;
            }
            for side in 0..2 {
                self.sides[side].state = State::Head;
            }
            for side in 0..2 {
                let mut b = std::mem::take(&mut self.sides[side].buf);
                let used = self.process(ctx, side, &b).min(b.len());
                b.drain(..used);
                self.sides[side].buf = b;
            }
            self.emit_done(out);
        }
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
}
