//! HTTP/1.x message heads: start lines (parsed leniently, as real traffic needs: HTTP/0.9
//! requests, URIs with spaces, missing reason phrases) and header fields (httparse, with a
//! line-by-line fallback for what it refuses, like obsolete line folding).

/// Longest message head accepted (start line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields kept from one head.
pub const MAX_HEADERS: usize = 256;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestLine {
    pub method: String,
    pub uri: String,
    /// "1.1", "1.0"; "0.9" when the line has no version.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusLine {
    pub version: String,
    pub code: u16,
    pub reason: String,
}

/// Where the head ends: the offset after the blank line (CRLF CRLF or LF LF), if complete.
pub fn head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'\n', &b[i..]) {
        let nl = i + p;
        // Next line empty (LF or CR LF right after this LF)?
        match &b[nl + 1..] {
            [b'\n', ..] => return Some(nl + 2),
            [b'\r', b'\n', ..] => return Some(nl + 3),
            [] | [b'\r'] => return None,
            _ => i = nl + 1,
        }
    }
    None
}

/// The first line (without its line ending) and the offset after it.
pub fn first_line(b: &[u8]) -> Option<(&[u8], usize)> {
    let nl = memchr::memchr(b'\n', b)?;
    let line = &b[..nl];
    Some((line.strip_suffix(b"\r").unwrap_or(line), nl + 1))
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

fn version_of(s: &[u8]) -> Option<String> {
    let v = s.strip_prefix(b"HTTP/")?;
    (!v.is_empty() && v.iter().all(|c| c.is_ascii_digit() || *c == b'.'))
        .then(|| String::from_utf8_lossy(v).into_owned())
}

/// Parses a request line: `METHOD SP URI [SP HTTP/x.y]`. The URI is everything between the
/// method and the version (it may contain spaces); without a version the request is HTTP/0.9.
pub fn parse_request_line(line: &[u8]) -> Option<RequestLine> {
    let sp = line.iter().position(|&c| c == b' ' || c == b'\t')?;
    let method = &line[..sp];
    if !is_token(method) {
        return None;
    }
    let rest = &line[sp + 1..];
    let (uri, version) = match rest.iter().rposition(|&c| c == b' ' || c == b'\t') {
        Some(p) => match version_of(&rest[p + 1..]) {
            Some(v) => (&rest[..p], v),
            None => (rest, "0.9".to_string()),
        },
        None => match version_of(rest) {
            // "GET HTTP/1.1": no URI.
            Some(v) => (&rest[..0], v),
            None => (rest, "0.9".to_string()),
        },
    };
    let trim = |s: &[u8]| -> String {
        let s = String::from_utf8_lossy(s);
        s.trim_matches(|c| c == ' ' || c == '\t').to_string()
    };
    Some(RequestLine {
        method: String::from_utf8_lossy(method).into_owned(),
        uri: trim(uri),
        version,
    })
}

/// Parses a status line: `HTTP/x.y SP code [SP reason]`.
pub fn parse_status_line(line: &[u8]) -> Option<StatusLine> {
    let mut parts = line.splitn(2, |&c| c == b' ');
    let version = version_of(parts.next()?)?;
    let rest = parts.next().unwrap_or_default();
    let rest = &rest[rest.iter().take_while(|&&c| c == b' ').count()..];
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let code: u16 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let reason = String::from_utf8_lossy(&rest[digits..]).trim().to_string();
    Some(StatusLine {
        version,
        code,
        reason,
    })
}

/// Header fields of a head (the bytes after the start line, up to and including the blank
/// line): (name, value) pairs, names as sent, values trimmed. httparse first; when it refuses
/// the block, a lenient line split (continuation lines are appended to the previous value).
pub fn parse_headers(block: &[u8]) -> Vec<(String, String)> {
    // On the stack (8 KiB): a heap array per message head showed in profiles.
    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    if let Ok(httparse::Status::Complete((_, hs))) = httparse::parse_headers(block, &mut storage) {
        return hs
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).trim().to_string(),
                )
            })
            .collect();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                if !last.1.is_empty() {
                    last.1.push(' ');
                }
                last.1.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if out.len() >= MAX_HEADERS {
            break;
        }
        if let Some(c) = line.iter().position(|&c| c == b':') {
            let name = String::from_utf8_lossy(&line[..c]).trim().to_string();
            let value = String::from_utf8_lossy(&line[c + 1..]).trim().to_string();
            out.push((name, value));
        }
    }
    out
}

/// Decodes `%XX` escapes of a URI as Zeek logs it; invalid escapes are kept as they are.
pub fn unescape_uri(u: &str) -> String {
    let b = u.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = |c: u8| (c as char).to_digit(16);
            if let (Some(x), Some(y)) = (h(b[i + 1]), h(b[i + 2])) {
                out.push((x * 16 + y) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The boundary parameter of a `multipart/*` Content-Type value; an empty string for
/// `message/rfc822` (the body is a MIME entity with headers of its own).
pub fn multipart_boundary(content_type: &str) -> Option<String> {
    if content_type
        .trim()
        .to_ascii_lowercase()
        .starts_with("message/rfc822")
    {
        return Some(String::new());
    }
    let (mt, params) = content_type.split_once(';')?;
    if !mt.trim().to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    for p in params.split(';') {
        if let Some((k, v)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("boundary") {
                let v = v.trim().trim_matches('"');
                return (!v.is_empty() && v.len() <= 200).then(|| v.to_string());
            }
        }
    }
    None
}

/// One leaf part of a multipart body.
#[derive(Debug, Clone, PartialEq)]
pub struct Part<'a> {
    pub filename: Option<String>,
    pub content: &'a [u8],
}

/// Most parts taken from one multipart body (nested ones included), and the nesting depth.
pub const MAX_PARTS: usize = 100;
const MAX_NESTING: usize = 100;

/// Splits a multipart body into its leaf parts (nested multiparts are descended into).
pub fn multipart_parts<'a>(body: &'a [u8], boundary: &str, out: &mut Vec<Part<'a>>) {
    multipart_rec(body, boundary, out, 0)
}

use crate::find;

fn multipart_rec<'a>(body: &'a [u8], boundary: &str, out: &mut Vec<Part<'a>>, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    if boundary.is_empty() {
        // A message/rfc822 entity: its headers, then its body.
        let (head_len, headers) = match head_end(body) {
            Some(e) => (e, parse_headers(&body[..e])),
            None => (0, vec![]),
        };
        let content = &body[head_len..];
        let mut filename = None;
        let mut nested = None;
        for (n, v) in &headers {
            if let Some(f) = entity_filename(&n.to_ascii_uppercase(), v) {
                filename = Some(f);
            }
            if n.eq_ignore_ascii_case("content-type") {
                nested = multipart_boundary(v);
            }
        }
        match nested {
            Some(b) if !(b.is_empty() && head_len == 0) => {
                multipart_rec(content, &b, out, depth + 1)
            }
            _ => out.push(Part { filename, content }),
        }
        return;
    }
    let delim = [b"--", boundary.as_bytes()].concat();
    let Some(first) = find(body, &delim) else {
        return;
    };
    let mut rest = &body[first + delim.len()..];
    while out.len() < MAX_PARTS {
        if rest.starts_with(b"--") {
            return; // closing delimiter
        }
        // Skip the rest of the delimiter line.
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            return;
        };
        rest = &rest[nl + 1..];
        let (part, next) = match find(rest, &delim) {
            Some(p) => (&rest[..p], Some(p)),
            None => (rest, None),
        };
        // The CRLF before the delimiter belongs to it.
        let part = part
            .strip_suffix(b"\r\n")
            .or_else(|| part.strip_suffix(b"\n"))
            .unwrap_or(part);
        let (head_len, headers) = match head_end(part) {
            Some(e) => (e, parse_headers(part.get(..e).unwrap_or_default())),
            None if part.starts_with(b"\r\n") => (2, vec![]),
            None if part.starts_with(b"\n") => (1, vec![]),
            None => (0, vec![]),
        };
        let content = &part[head_len.min(part.len())..];
        let mut filename = None;
        let mut nested = None;
        for (n, v) in &headers {
            if let Some(f) = entity_filename(&n.to_ascii_uppercase(), v) {
                filename = Some(f);
            }
            if n.eq_ignore_ascii_case("content-type") {
                nested = multipart_boundary(v);
            }
        }
        match nested {
            Some(b) => multipart_rec(content, &b, out, depth + 1),
            None => out.push(Part { filename, content }),
        }
        if out.len() >= MAX_PARTS {
            return;
        }
        match next {
            Some(p) => rest = &rest[p + delim.len()..],
            None => return,
        }
    }
}

/// A Content-Length value: decimal digits only (leading zeros allowed), no overflow.
/// Negative, overflowing, empty or non-numeric values give None (treated as absent).
pub fn parse_content_length(v: &str) -> Option<u64> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// A chunk-size line: hex digits (at most 16, no overflow), optional `;extensions`.
pub fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let end = line.iter().position(|&c| c == b';').unwrap_or(line.len());
    let digits = std::str::from_utf8(&line[..end]).ok()?.trim();
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// Standard base64 (padding optional, whitespace ignored); None on other characters.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// User name from an `Authorization: Basic ...` value.
pub fn basic_auth_user(v: &str) -> Option<String> {
    let (scheme, cred) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let dec = base64_decode(cred.trim())?;
    let dec = String::from_utf8_lossy(&dec);
    let user = dec.split_once(':').map(|(u, _)| u).unwrap_or(&dec);
    Some(user.to_string())
}

/// A Content-Range value `bytes first-last/instance` (spaces ignored): first and last byte
/// positions and the instance length (None for `*` or a bad number). None when Zeek would
/// not take it (another unit, missing parts, last before first).
pub fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let v = v.trim();
    let unit_end = v.find(|c: char| c.is_ascii_whitespace()).unwrap_or(v.len());
    if &v[..unit_end] != "bytes" {
        return None;
    }
    let spec: String = v[unit_end..].chars().filter(|&c| c != ' ').collect();
    let (range, instance) = spec.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (first, last) = (num(first)?, num(last)?);
    if last < first {
        return None;
    }
    Some((first, last, num(instance)))
}

/// The file name of a Content-Disposition value with a `filename=` parameter (see
/// [`entity_filename`]).
pub fn disposition_filename(v: &str) -> Option<String> {
    entity_filename("CONTENT-DISPOSITION", v)
}

fn find_nocase(h: &[u8], n: &[u8], from: usize) -> Option<usize> {
    (from..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// End of `name[ \t]*[*]?=[ \t]*` when it starts at `i`.
fn name_param_end(b: &[u8], i: usize, star: bool) -> Option<usize> {
    let mut j = i + 4;
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    if star && b.get(j) == Some(&b'*') {
        j += 1;
    }
    if b.get(j) != Some(&b'=') {
        return None;
    }
    j += 1;
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    Some(j)
}

/// Characters of a charset or language tag as Zeek's pattern lists them (its `+-^` is a
/// range).
fn is_tag_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&_`{}~".contains(&c) || (b'+'..=b'^').contains(&c)
}

/// The file name Zeek's HTTP scripts take from a header of an entity: a
/// `CONTENT-DISPOSITION` value with a `filename=` (or `filename*=`) parameter, or a
/// `CONTENT-TYPE` value with a `name=` parameter; `name` is the header name in upper case.
/// Everything up to the last `name=` goes; a quoted value is taken up to its closing quote;
/// an RFC 2231 `charset'language'` prefix is removed; %-escapes are decoded.
pub fn entity_filename(name: &str, value: &str) -> Option<String> {
    let b = value.as_bytes();
    let has = |word: &[u8], star: bool| {
        let mut from = 0;
        while let Some(i) = find_nocase(b, word, from) {
            if name_param_end(b, i + word.len() - 4, star).is_some() {
                return true;
            }
            from = i + 1;
        }
        false
    };
    let wanted = match name {
        "CONTENT-DISPOSITION" => has(b"filename", true),
        "CONTENT-TYPE" => has(b"name", false),
        _ => false,
    };
    if !wanted {
        return None;
    }
    // The last `name=` (Zeek's greedy `^.*name...=`).
    let mut cut = None;
    let mut from = 0;
    while let Some(i) = find_nocase(b, b"name", from) {
        if let Some(e) = name_param_end(b, i, true) {
            cut = Some(e);
        }
        from = i + 1;
    }
    let mut rest = &value[cut?..];
    if let Some(q) = rest.strip_prefix('"') {
        rest = q.split('"').next().unwrap_or(q);
    }
    // `charset'language'` (RFC 2231): removed up to the last single quote.
    let rb = rest.as_bytes();
    let tag = rb.iter().take_while(|&&c| is_tag_char(c)).count();
    if tag > 0 && rb.get(tag) == Some(&b'\'') {
        let lang = rb[tag + 1..]
            .iter()
            .take_while(|&&c| is_tag_char(c))
            .count();
        if rb.get(tag + 1 + lang) == Some(&b'\'') {
            if let Some(last) = rest.rfind('\'') {
                rest = &rest[last + 1..];
            }
        }
    }
    Some(unescape_uri(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines() {
        let r = parse_request_line(b"GET /a b HTTP/1.1").unwrap();
        assert_eq!(
            (r.method.as_str(), r.uri.as_str(), r.version.as_str()),
            ("GET", "/a b", "1.1")
        );
        let r = parse_request_line(b"GET /zeek.html").unwrap();
        assert_eq!((r.uri.as_str(), r.version.as_str()), ("/zeek.html", "0.9"));
        let r = parse_request_line(b"OPTIONS  HTTP/1.0").unwrap();
        assert_eq!((r.uri.as_str(), r.version.as_str()), ("", "1.0"));
        assert!(parse_request_line(b"\x16\x03\x01 x").is_none());
        let s = parse_status_line(b"HTTP/1.1 200 OK").unwrap();
        assert_eq!((s.code, s.reason.as_str()), (200, "OK"));
        let s = parse_status_line(b"HTTP/1.0 404").unwrap();
        assert_eq!((s.code, s.reason.as_str()), (404, ""));
        assert!(parse_status_line(b"HTTP/1.1 2000 x").is_none());
        assert!(parse_status_line(b"<html>").is_none());
    }

    #[test]
    fn multipart() {
        let ct = "multipart/form-data; boundary=XyZ";
        let b = multipart_boundary(ct).unwrap();
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntest\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"t.txt\"\r\n\r\nhello\nworld\r\n--XyZ--\r\n";
        let mut parts = vec![];
        multipart_parts(body, &b, &mut parts);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].content, b"test");
        assert_eq!(parts[1].filename.as_deref(), Some("t.txt"));
        assert_eq!(parts[1].content, b"hello\nworld");
        for n in 0..body.len() {
            let mut p = vec![];
            multipart_parts(&body[..n], &b, &mut p);
        }
        assert_eq!(multipart_boundary("text/plain; boundary=x"), None);
    }

    #[test]
    fn uris() {
        assert_eq!(unescape_uri("/a%20b%3d%22x%22"), "/a b=\"x\"");
        assert_eq!(unescape_uri("/%"), "/%");
        assert_eq!(unescape_uri("/%5"), "/%5");
        assert_eq!(unescape_uri("/%zz"), "/%zz");
    }

    #[test]
    fn lengths() {
        assert_eq!(parse_content_length("0005"), Some(5));
        assert_eq!(parse_content_length("-1"), None);
        assert_eq!(parse_content_length("18446744073709551616"), None);
        assert_eq!(parse_content_length("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_chunk_size(b"1a;ext=1\r"), Some(26));
        assert_eq!(parse_chunk_size(b"10000000000000000"), None);
        assert_eq!(parse_chunk_size(b"zz"), None);
    }

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100000-110000/104857600"),
            Some((100000, 110000, Some(104857600)))
        );
        assert_eq!(parse_content_range("bytes 0-4/*"), Some((0, 4, None)));
        // Traces/http/http-bad-content-range-01.pcap.
        assert_eq!(parse_content_range("bytes foo-bar/baz"), None);
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("items 0-4/10"), None);
    }

    #[test]
    fn heads() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nxx"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\nA: b\n\nxx"), Some(21));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
        let h = parse_headers(b"Host: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n");
        assert_eq!(h[1], ("Transfer-Encoding".into(), "chunked".into()));
        assert_eq!(basic_auth_user("Basic  dGVzdDoxMjM0"), Some("test".into()));
        assert_eq!(
            disposition_filename("attachment; filename=\"test.json\""),
            Some("test.json".into())
        );
    }

    #[test]
    fn entity_filenames() {
        let cd = |v| entity_filename("CONTENT-DISPOSITION", v);
        let ct = |v| entity_filename("CONTENT-TYPE", v);
        // Traces/http/interleaved-http-entity.pcap.
        assert_eq!(
            cd("attachment; filename=\"test.txt\""),
            Some("test.txt".into())
        );
        assert_eq!(
            cd("form-data; name=\"f\"; filename=\"a b.txt\""),
            Some("a b.txt".into())
        );
        assert_eq!(cd("form-data; name=\"f\""), None, "no filename parameter");
        assert_eq!(cd("attachment; filename = x.bin"), Some("x.bin".into()));
        // Unquoted: the rest of the value, as Zeek takes it.
        assert_eq!(
            cd("attachment; filename=x.bin; size=3"),
            Some("x.bin; size=3".into())
        );
        assert_eq!(
            cd("attachment; filename*=UTF-8''na%C3%AFve.txt"),
            Some("na\u{ef}ve.txt".into())
        );
        assert_eq!(
            ct("application/octet-stream; name=\"r.exe\""),
            Some("r.exe".into())
        );
        assert_eq!(ct("text/html; charset=utf-8"), None);
        assert_eq!(cd("inline"), None);
    }
}
