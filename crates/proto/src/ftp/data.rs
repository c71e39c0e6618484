//! FTP data connections: the bytes of a transfer announced on a control connection (PASV,
//! EPSV, PORT, EPRT) are one file, as Zeek's FTP_DATA file source treats them.
//!
//! The file gets a files.log record (source `FTP_DATA`) with its digests, MIME type, size and
//! missing bytes when the connection ends. The control connection learns of it through the
//! flow layer ([`DataFileNotice`]): the file id as soon as data flows, the MIME type once it is
//! sniffed (when [`SNIFF_BYTES`] are buffered or the connection has closed, FINs acknowledged,
//! as Zeek's file analysis does), so the ftp.log record of the transfer command logged after
//! that carries them. Zeek's FTP baselines show the close rule: `ftp/ipv4.pcap`'s RETRs have a
//! MIME type (the data connection's last ACK precedes the 226 reply), `ftp/ipv6.pcap`'s do not
//! (the 226 reply comes between the client's FIN and its acknowledgement).

use crate::file_hash::{file_id, FileDigestValues, FileDigests, FileHashes, FinishedDigests};
use crate::http::FileRecord;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};

/// Bytes buffered before the MIME type is sniffed (Zeek's `default_bof_buffer_size`).
pub const SNIFF_BYTES: usize = 4096;

/// What a data connection tells its control connection about the file it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFileNotice {
    pub fuid: String,
    /// Set once sniffed; a notice without it says only that the file began.
    pub mime_type: Option<&'static str>,
}

/// The file one FTP data connection carries.
pub struct FtpDataSession {
    hashes: FileHashes,
    /// Time of the first data byte; the file starts there.
    first_ts: Option<i64>,
    last_ts: i64,
    /// Direction the data flows in (the first that sent any).
    dir: Direction,
    fuid: String,
    seen: u64,
    missing: u64,
    head: Vec<u8>,
    digests: Option<FileDigests>,
    sniffed: bool,
    /// Notice for the flow layer, taken by [`SessionParser::take_data_file`].
    notice: Option<DataFileNotice>,
    ended: bool,
}

impl FtpDataSession {
    pub fn new(hashes: FileHashes) -> Self {
        FtpDataSession {
            hashes,
            first_ts: None,
            last_ts: 0,
            dir: Direction::Orig,
            fuid: String::new(),
            seen: 0,
            missing: 0,
            head: Vec::new(),
            digests: None,
            sniffed: false,
            notice: None,
            ended: false,
        }
    }

    fn sniff(&mut self) {
        if !self.sniffed && self.first_ts.is_some() {
            self.sniffed = true;
            self.notice = Some(DataFileNotice {
                fuid: self.fuid.clone(),
                mime_type: crate::http::mime::sniff(&self.head),
            });
        }
    }
}

impl SessionParser for FtpDataSession {
    fn service(&self) -> Service {
        Service::FtpData
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], _out: &mut Vec<AppRecord>) {
        if self.ended || data.is_empty() {
            return;
        }
        if self.first_ts.is_none() {
            // The first bytes start the file, in the direction they flow.
            self.first_ts = Some(ctx.ts_ns);
            self.dir = ctx.dir;
            self.fuid = file_id(&[b"ftp-data", &ctx.ts_ns.to_be_bytes(), &[ctx.dir as u8]]);
            self.digests = Some(FileDigests::new(self.hashes));
            self.notice = Some(DataFileNotice {
                fuid: self.fuid.clone(),
                mime_type: None,
            });
        }
        // A transfer flows one way; bytes the other way (none in practice) are not the file.
        if ctx.dir != self.dir {
            return;
        }
        self.last_ts = ctx.ts_ns;
        self.seen += data.len() as u64;
        if let Some(d) = self.digests.as_mut() {
            d.update(data);
        }
        if self.head.len() < SNIFF_BYTES {
            let n = (SNIFF_BYTES - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            if self.head.len() == SNIFF_BYTES {
                self.sniff();
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64) {
        if self.first_ts.is_some() && dir == self.dir {
            self.missing += len;
        }
    }

    fn closed(&mut self) {
        self.sniff();
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        if self.ended {
            return;
        }
        self.ended = true;
        let Some(first_ts) = self.first_ts else {
            return;
        };
        self.sniff();
        let (values, pending) = match self.digests.take().map(FileDigests::finish) {
            Some(FinishedDigests::Ready(v)) => (v, None),
            Some(FinishedDigests::Pending(p)) => (FileDigestValues::default(), Some(p)),
            None => (FileDigestValues::default(), None),
        };
        out.push(AppRecord::File(FileRecord {
            ts_ns: first_ts,
            fuid: self.fuid.clone(),
            source: "FTP_DATA",
            depth: 0,
            analyzers: self.hashes.analyzers(),
            mime_type: crate::http::mime::sniff(&self.head).map(str::to_string),
            filename: None,
            duration_ns: self.last_ts - first_ts,
            is_orig: self.dir == Direction::Orig,
            seen_bytes: self.seen,
            total_bytes: None,
            missing_bytes: self.missing,
            md5: values.md5,
            sha1: values.sha1,
            sha256: values.sha256,
            pending,
            ..Default::default()
        }));
    }

    fn confirmed(&self) -> bool {
        true
    }

    fn take_data_file(&mut self) -> Option<DataFileNotice> {
        self.notice.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ts_ns: i64, dir: Direction) -> Ctx {
        Ctx { ts_ns, dir }
    }

    /// The 77-byte robots.txt of Zeek's `Traces/ftp/ipv4.pcap` (frame 46: RETR over a passive
    /// data connection, server to client; MD5 614c17288dad92fbe61f58731dacfea3 by tshark).
    const ROBOTS: &[u8] =
        b"User-agent: *\nDisallow: *.tgz\nDisallow: *.gz\nDisallow: *.tbz\nDisallow: *.bz2\n";

    #[test]
    fn one_file_per_connection_with_digests_and_notices() {
        let mut s = FtpDataSession::new(FileHashes::ALL);
        let mut out = Vec::new();
        s.data(ctx(1_000, Direction::Resp), &ROBOTS[..40], &mut out);
        let begun = s.take_data_file().expect("file begun");
        assert_eq!(begun.mime_type, None);
        s.data(ctx(2_000, Direction::Resp), &ROBOTS[40..], &mut out);
        assert_eq!(
            s.take_data_file(),
            None,
            "not sniffed before the end of the data"
        );
        s.closed();
        let sniffed = s
            .take_data_file()
            .expect("sniffed once the connection closed");
        assert_eq!(sniffed.fuid, begun.fuid);
        assert_eq!(sniffed.mime_type, Some("text/plain"));
        s.end(3_000, &mut out);
        let [AppRecord::File(f)] = &out[..] else {
            panic!("one file record: {out:?}")
        };
        assert_eq!(f.source, "FTP_DATA");
        assert_eq!(f.fuid, begun.fuid);
        assert_eq!(f.seen_bytes, ROBOTS.len() as u64);
        assert!(!f.is_orig);
        assert_eq!(f.duration_ns, 1_000);
        assert_eq!(f.mime_type.as_deref(), Some("text/plain"));
        let want = FileDigests::of(FileHashes::ALL, ROBOTS);
        assert_eq!(f.md5.as_deref(), Some("614c17288dad92fbe61f58731dacfea3"));
        assert_eq!(f.md5, want.md5);
        assert_eq!(f.sha256, want.sha256);
    }

    #[test]
    fn sniffs_after_a_full_buffer_and_counts_gaps() {
        let mut s = FtpDataSession::new(FileHashes::NONE);
        let mut out = Vec::new();
        let png = [&b"\x89PNG\r\n\x1a\n"[..], &[0u8; SNIFF_BYTES]].concat();
        s.data(ctx(1, Direction::Orig), &png, &mut out);
        assert!(s.take_data_file().is_some());
        s.gap(Direction::Orig, 100);
        s.end(2, &mut out);
        let [AppRecord::File(f)] = &out[..] else {
            panic!("one file record")
        };
        assert!(f.is_orig);
        assert_eq!(f.missing_bytes, 100);
        assert_eq!(f.md5, None);
    }

    #[test]
    fn an_empty_connection_logs_no_file() {
        let mut s = FtpDataSession::new(FileHashes::ALL);
        let mut out = Vec::new();
        s.closed();
        s.end(1, &mut out);
        assert!(out.is_empty());
        assert_eq!(s.take_data_file(), None);
    }
}
