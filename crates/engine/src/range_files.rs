//! Files of HTTP range requests, gathered over connections as Zeek does.
//!
//! Zeek names the file of a response to a range request (a request with a `Range` header)
//! after the client address and the URL, not after the connection, so the 206 pieces of one
//! URL that one client fetches over several connections are one file: one fuid, `seen_bytes`
//! over all pieces, `total_bytes` from Content-Range's instance length, `missing_bytes` the
//! holes between the pieces, and times from the first to the last piece. The file does not
//! end with a message; it ends when Zeek times it out or exits, and is then logged once per
//! connection that carried a piece. netloupe writes those rows at the end of the run.
//!
//! Bounds: at most [`MAX_FILES`] files are gathered (pieces of further files are written as
//! they come, one row each) and at most [`MAX_PIECES`] separate byte ranges and
//! [`MAX_CONNS`] connections are kept per file (further ones are counted, not listed).

use netloupe_flow::{AppEvent, Uid};
use netloupe_proto::http::FileRecord;
use std::collections::HashMap;
use std::net::IpAddr;

pub(crate) const MAX_FILES: usize = 10_000;
pub(crate) const MAX_PIECES: usize = 1024;
pub(crate) const MAX_CONNS: usize = 256;

/// The connection fields of a files.log row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ConnId {
    pub uid: Uid,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
}

impl ConnId {
    pub(crate) fn of(e: &AppEvent) -> Self {
        ConnId {
            uid: e.uid,
            orig_h: e.orig_h,
            orig_p: e.orig_p,
            resp_h: e.resp_h,
            resp_p: e.resp_p,
        }
    }
}

struct RangeFile {
    /// The first piece's record; counts and times are replaced when written.
    rec: FileRecord,
    first_ts: i64,
    last_ts: i64,
    /// Byte ranges seen, sorted, merged: [start, end).
    pieces: Vec<(u64, u64)>,
    seen: u64,
    total: Option<u64>,
    /// MIME type of the piece at offset 0 (what Zeek can type).
    mime: Option<String>,
    conns: Vec<ConnId>,
}

/// (client, server port, URL) → the file.
type Key = (IpAddr, u16, String);

#[derive(Default)]
pub(crate) struct RangeFiles {
    files: HashMap<Key, RangeFile>,
}

impl RangeFiles {
    /// Takes a piece; false when it is not one (or the table is full): write it as it is.
    pub(crate) fn add(&mut self, conn: ConnId, f: &FileRecord) -> bool {
        let Some(r) = &f.range else {
            return false;
        };
        let key = (conn.orig_h, conn.resp_p, r.url.clone());
        if !self.files.contains_key(&key) && self.files.len() >= MAX_FILES {
            return false;
        }
        let file = self.files.entry(key).or_insert_with(|| RangeFile {
            rec: f.clone(),
            first_ts: f.ts_ns,
            last_ts: f.ts_ns + f.duration_ns,
            pieces: Vec::new(),
            seen: 0,
            total: None,
            mime: None,
            conns: Vec::new(),
        });
        file.first_ts = file.first_ts.min(f.ts_ns);
        file.last_ts = file.last_ts.max(f.ts_ns + f.duration_ns);
        file.seen += f.seen_bytes;
        if r.instance.is_some() {
            file.total = r.instance;
        }
        if r.offset == 0 && f.mime_type.is_some() {
            file.mime.clone_from(&f.mime_type);
        }
        add_piece(&mut file.pieces, r.offset, r.offset + f.seen_bytes);
        if !file.conns.contains(&conn) && file.conns.len() < MAX_CONNS {
            file.conns.push(conn);
        }
        true
    }

    /// The rows to write: (connection, record), files in order of first data, each file's
    /// rows in order of connection uid (the same whatever order the pieces came in).
    pub(crate) fn finish(self) -> Vec<(ConnId, FileRecord)> {
        let mut files: Vec<RangeFile> = self.files.into_values().collect();
        files.sort_by(|a, b| (a.first_ts, &a.rec.fuid).cmp(&(b.first_ts, &b.rec.fuid)));
        let mut out = Vec::new();
        for mut f in files {
            f.conns.sort();
            let mut rec = f.rec;
            rec.ts_ns = f.first_ts;
            rec.duration_ns = f.last_ts - f.first_ts;
            rec.seen_bytes = f.seen;
            rec.total_bytes = f.total;
            rec.missing_bytes = holes(&f.pieces);
            rec.mime_type = f.mime;
            rec.depth = 0;
            rec.analyzers.clear();
            rec.md5 = None;
            rec.sha1 = None;
            rec.sha256 = None;
            for c in f.conns {
                out.push((c, rec.clone()));
            }
        }
        out
    }
}

/// Adds [start, end) to sorted, merged ranges (kept at most MAX_PIECES: beyond, the last
/// range is extended).
fn add_piece(pieces: &mut Vec<(u64, u64)>, start: u64, end: u64) {
    if start >= end {
        return;
    }
    let i = pieces.partition_point(|p| p.1 < start);
    let mut j = i;
    let (mut s, mut e) = (start, end);
    while j < pieces.len() && pieces[j].0 <= e {
        s = s.min(pieces[j].0);
        e = e.max(pieces[j].1);
        j += 1;
    }
    pieces.splice(i..j, [(s, e)]);
    if pieces.len() > MAX_PIECES {
        let last = pieces.pop().unwrap_or_default();
        if let Some(p) = pieces.last_mut() {
            p.1 = p.1.max(last.1);
        }
    }
}

/// Bytes missing between offset 0 and the end of the last range.
fn holes(pieces: &[(u64, u64)]) -> u64 {
    let mut at = 0;
    let mut missing = 0;
    for &(s, e) in pieces {
        missing += s.saturating_sub(at);
        at = at.max(e);
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use netloupe_proto::http::FileRange;

    fn piece(ts: i64, offset: u64, len: u64) -> FileRecord {
        FileRecord {
            ts_ns: ts,
            fuid: "Fx".into(),
            source: "HTTP",
            depth: 0,
            seen_bytes: len,
            total_bytes: Some(len),
            range: Some(FileRange {
                url: "speed.hetzner.de/100MB.bin".into(),
                offset,
                instance: Some(104_857_600),
            }),
            ..Default::default()
        }
    }

    fn conn(uid: u128, port: u16) -> ConnId {
        ConnId {
            uid: Uid(uid),
            orig_h: "192.168.0.107".parse().unwrap(),
            orig_p: port,
            resp_h: "88.198.248.254".parse().unwrap(),
            resp_p: 80,
        }
    }

    #[test]
    fn pieces_of_three_connections_are_one_file() {
        // Traces/http/concurrent-range-requests.pcap: three connections fetch bytes
        // 100000-110000, 0-10000 and 200000-210000 of /100MB.bin; Zeek logs one file, once
        // per connection: seen 30003, total 104857600, missing 179998.
        let mut r = RangeFiles::default();
        assert!(r.add(conn(3, 58716), &piece(2_000, 100_000, 10_001)));
        assert!(r.add(conn(1, 58718), &piece(1_000, 0, 10_001)));
        assert!(r.add(conn(2, 58720), &piece(3_000, 200_000, 10_001)));
        let plain = FileRecord::default();
        assert!(!r.add(conn(1, 58718), &plain), "not a range piece");
        let rows = r.finish();
        assert_eq!(rows.len(), 3);
        for (i, (c, f)) in rows.iter().enumerate() {
            assert_eq!(c.uid, Uid(i as u128 + 1));
            assert_eq!(f.seen_bytes, 30_003);
            assert_eq!(f.total_bytes, Some(104_857_600));
            assert_eq!(f.missing_bytes, 179_998);
            assert_eq!(f.ts_ns, 1_000);
            assert_eq!(f.duration_ns, 2_000);
        }
    }

    #[test]
    fn ranges_merge_and_stay_bounded() {
        let mut p = vec![];
        add_piece(&mut p, 10, 20);
        add_piece(&mut p, 30, 40);
        add_piece(&mut p, 15, 35);
        assert_eq!(p, vec![(10, 40)]);
        assert_eq!(holes(&p), 10);
        for i in 0..(MAX_PIECES as u64 + 10) {
            add_piece(&mut p, 100 + i * 10, 105 + i * 10);
        }
        assert!(p.len() <= MAX_PIECES);
    }
}
