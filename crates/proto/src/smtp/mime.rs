//! The files of a message (files.log, source SMTP), as Zeek's MIME analysis gives them.
//!
//! Every MIME entity of the message is numbered in document order from 1 (the message
//! itself), containers included: that number is the file's `depth`. Each leaf entity with
//! content is a file: its content is what lies between its header block and the line end
//! before the next delimiter (or the end of the message, last line end included), decoded by
//! its Content-Transfer-Encoding (base64; quoted-printable line by line as Zeek does, every
//! line not ending in a soft break ending with CR LF; other encodings as they are). Its
//! name comes from Content-Disposition `filename=` or Content-Type `name=`, its times from
//! the deliveries that carried its first and last content bytes.
//!
//! The message is kept whole up to [`MAX_MESSAGE`] bytes to be split at its end; a longer
//! message gives no files.

use crate::http::parser::{
    base64_decode, entity_filename, head_end, multipart_boundary, parse_headers,
};
use crate::http::{mime, FileRecord};
use crate::{FileDigestValues, FileDigests, FileHashes, FinishedDigests};

/// Longest message split into files.
pub const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// Most entities taken from one message, and the deepest nesting followed.
pub const MAX_ENTITIES: u32 = 100;
const MAX_NESTING: usize = 20;

/// The content of one message being received, with the time each delivery came.
#[derive(Debug, Default)]
pub struct MessageFiles {
    buf: Vec<u8>,
    /// (offset in `buf`, time) where the bytes of a new delivery time start.
    marks: Vec<(usize, i64)>,
    overflow: bool,
}

struct Leaf<'a> {
    depth: u32,
    /// Offset of the content in the message.
    start: usize,
    content: &'a [u8],
    encoding: String,
    filename: Option<String>,
}

impl MessageFiles {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, ts: i64, parts: &[&[u8]]) {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        if self.overflow || self.buf.len() + n > MAX_MESSAGE {
            self.overflow = true;
            self.buf = Vec::new();
            self.marks = Vec::new();
            return;
        }
        if self.marks.last().is_none_or(|m| m.1 != ts) {
            self.marks.push((self.buf.len(), ts));
        }
        for p in parts {
            self.buf.extend_from_slice(p);
        }
    }

    /// One content line of DATA (without its line end, dot-stuffing undone).
    pub fn line(&mut self, ts: i64, line: &[u8]) {
        self.push(ts, &[line, b"\r\n"]);
    }

    /// Raw content (BDAT).
    pub fn raw(&mut self, ts: i64, data: &[u8]) {
        self.push(ts, &[data]);
    }

    fn ts_at(&self, offset: usize) -> i64 {
        let i = self.marks.partition_point(|m| m.0 <= offset);
        self.marks.get(i.saturating_sub(1)).map_or(0, |m| m.1)
    }

    /// The message is complete: its files, and the state is reset for the next message.
    pub fn finish(&mut self, trans_depth: u32, hashes: FileHashes) -> Vec<FileRecord> {
        let me = std::mem::take(self);
        if me.overflow || me.buf.is_empty() {
            return vec![];
        }
        // The last line's end is content (only the line end before a delimiter is not).
        let msg = &me.buf[..];
        let mut leaves = Vec::new();
        let mut counter = 0;
        walk(msg, 0, &mut counter, &mut leaves, 0);
        let mut files = Vec::new();
        for l in leaves {
            if l.content.is_empty() {
                continue;
            }
            let data = decode(&l.encoding, l.content);
            if data.is_empty() {
                continue;
            }
            let first_ts = me.ts_at(l.start);
            let last_ts = me.ts_at(l.start + l.content.len() - 1);
            let mut digests = FileDigests::new(hashes);
            digests.update(&data);
            let (digests, pending) = match digests.finish() {
                FinishedDigests::Ready(v) => (v, None),
                FinishedDigests::Pending(p) => (FileDigestValues::default(), Some(p)),
            };
            files.push(FileRecord {
                ts_ns: first_ts,
                fuid: fuid(first_ts, trans_depth, l.depth),
                source: "SMTP",
                depth: l.depth,
                analyzers: hashes.analyzers(),
                mime_type: mime::sniff(&data[..data.len().min(64)]).map(str::to_string),
                filename: l.filename,
                duration_ns: last_ts - first_ts,
                is_orig: true,
                seen_bytes: data.len() as u64,
                total_bytes: None,
                missing_bytes: 0,
                md5: digests.md5,
                sha1: digests.sha1,
                sha256: digests.sha256,
                hash_truncated: false,
                pending,
                range: None,
            });
        }
        files
    }
}

/// A file id derived from the message and the entity, so runs are reproducible.
fn fuid(ts: i64, trans_depth: u32, depth: u32) -> String {
    crate::file_hash::file_id(&[
        b"smtp",
        &ts.to_be_bytes(),
        &trans_depth.to_be_bytes(),
        &depth.to_be_bytes(),
    ])
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    h.windows(n.len()).position(|w| w == n)
}

/// One entity at `base` in the message: numbered, then descended into (multipart) or taken
/// as a leaf.
fn walk<'a>(
    entity: &'a [u8],
    base: usize,
    counter: &mut u32,
    out: &mut Vec<Leaf<'a>>,
    nesting: usize,
) {
    if *counter >= MAX_ENTITIES || nesting > MAX_NESTING {
        return;
    }
    *counter += 1;
    let depth = *counter;
    let (head_len, headers) = match head_end(entity) {
        Some(e) => (e, parse_headers(&entity[..e])),
        None if entity.starts_with(b"\r\n") => (2, vec![]),
        None => (entity.len(), parse_headers(entity)),
    };
    let body = &entity[head_len.min(entity.len())..];
    let mut boundary = None;
    let mut encoding = String::new();
    let mut filename = None;
    for (n, v) in &headers {
        let upper = n.to_ascii_uppercase();
        if let Some(f) = entity_filename(&upper, v) {
            filename = Some(f);
        }
        match upper.as_str() {
            "CONTENT-TYPE" => boundary = multipart_boundary(v).filter(|b| !b.is_empty()),
            "CONTENT-TRANSFER-ENCODING" => encoding = v.trim().to_ascii_lowercase(),
            _ => {}
        }
    }
    let body_at = base + head_len.min(entity.len());
    let Some(boundary) = boundary else {
        out.push(Leaf {
            depth,
            start: body_at,
            content: body,
            encoding,
            filename,
        });
        return;
    };
    let delim = [b"--", boundary.as_bytes()].concat();
    let Some(first) = find(body, &delim) else {
        return;
    };
    let mut at = first + delim.len();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return; // closing delimiter
        }
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            return;
        };
        let part_at = at + nl + 1;
        let part_all = &body[part_at..];
        let (part, next) = match find(part_all, &delim) {
            Some(p) => (&part_all[..p], Some(part_at + p)),
            None => (part_all, None),
        };
        // The line end before a delimiter belongs to the delimiter.
        let part = part
            .strip_suffix(b"\r\n")
            .or_else(|| part.strip_suffix(b"\n"))
            .unwrap_or(part);
        walk(part, body_at + part_at, counter, out, nesting + 1);
        match next {
            Some(p) => at = p + delim.len(),
            None => return,
        }
    }
}

/// Content decoded by its Content-Transfer-Encoding.
fn decode(encoding: &str, content: &[u8]) -> Vec<u8> {
    match encoding {
        "base64" => {
            let text: String = content
                .iter()
                .filter(|c| !c.is_ascii_whitespace())
                .map(|&c| c as char)
                .collect();
            base64_decode(&text).unwrap_or_default()
        }
        "quoted-printable" => quoted_printable(content),
        _ => content.to_vec(),
    }
}

/// Quoted-printable as Zeek decodes it, line by line (RFC 2045 section 6.7): spaces and tabs
/// at a line end are dropped; `=XX` is a byte; `=` at the end of a line is a soft line break;
/// every other line, the last one included, ends with CR LF; anything else (an `=` not
/// followed by two hex digits included) is kept.
fn quoted_printable(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut lines = b.split(|&c| c == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let end = line
            .iter()
            .rposition(|&c| c != b' ' && c != b'\t')
            .map_or(0, |p| p + 1);
        let line = &line[..end];
        let (line, soft) = match line.strip_suffix(b"=") {
            Some(l) => (l, true),
            None => (line, false),
        };
        let mut i = 0;
        while i < line.len() {
            if line[i] == b'=' && i + 2 < line.len() + 1 {
                let h = |c: Option<&u8>| c.and_then(|&c| (c as char).to_digit(16));
                if let (Some(x), Some(y)) = (h(line.get(i + 1)), h(line.get(i + 2))) {
                    out.push((x * 16 + y) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(line[i]);
            i += 1;
        }
        if !soft {
            out.extend_from_slice(b"\r\n");
        }
        if lines.peek().is_none() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Traces/smtp.pcap (Zeek corpus), first connection: the message content after DATA, up
    /// to and including the final dot line (multipart/mixed holding multipart/alternative
    /// with a 7bit text and a quoted-printable HTML part, then a quoted-printable
    /// attachment NEWS.txt).
    const ATTACHMENT: &[u8] = include_bytes!("testdata/attachment_data.bin");

    fn files_of(content: &[u8]) -> Vec<FileRecord> {
        let mut m = MessageFiles::new();
        for line in content.split(|&c| c == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line == b"." {
                break;
            }
            m.line(1, line.strip_prefix(b".").unwrap_or(line));
        }
        m.finish(1, FileHashes::ALL)
    }

    #[test]
    fn corpus_message_parts_are_zeeks_files() {
        // Zeek's files.log: depth 3 text/plain 77, depth 4 text/html 1868, depth 5
        // text/plain NEWS.txt 10809.
        let f = files_of(ATTACHMENT);
        let got: Vec<(u32, Option<&str>, Option<&str>, u64)> = f
            .iter()
            .map(|f| {
                (
                    f.depth,
                    f.mime_type.as_deref(),
                    f.filename.as_deref(),
                    f.seen_bytes,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (3, Some("text/plain"), None, 77),
                (4, Some("text/html"), None, 1868),
                (5, Some("text/plain"), Some("NEWS.txt"), 10809),
            ]
        );
        assert!(f.iter().all(|f| f.source == "SMTP" && f.is_orig));
        // Every truncation is safe.
        for n in (0..ATTACHMENT.len()).step_by(97) {
            let _ = files_of(&ATTACHMENT[..n]);
        }
    }

    #[test]
    fn corpus_single_part_message_keeps_its_last_line_end() {
        // Traces/smtp.pcap, 192.168.133.100:49648: a 7bit text/plain message; Zeek: depth 1,
        // 204 bytes (the body with its last CR LF).
        let body: &[u8] = b"Content-Type: text/plain; charset=us-ascii\r\n\
Content-Transfer-Encoding: 7bit\r\nTo: ericlim220@yahoo.com\r\n\r\n\r\n\
> On 25 Jul 2015, at 16:38, Albert Zaharovits <albert@example.com> wrote:\r\n> \r\n> \r\n\
>> On 25 Jul 2015, at 16:21, Albert Zaharovits <albert@example.com> wrote:\r\n>> \r\n\
>> Bro SMTP CC Header\r\n>> TEST\r\n> \r\n\r\n.\r\n";
        let f = files_of(body);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].depth, f[0].seen_bytes), (1, 204));
    }

    #[test]
    fn decodings() {
        assert_eq!(quoted_printable(b"a=3Db =\r\nc  \r\nd"), b"a=b c\r\nd\r\n");
        assert_eq!(quoted_printable(b"=4"), b"=4\r\n");
        assert_eq!(decode("base64", b"aGVs\r\nbG8="), b"hello");
        assert_eq!(decode("7bit", b"x\r\n"), b"x\r\n");
    }
}
