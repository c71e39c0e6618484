//! (Skeleton.)
use std::path::PathBuf;

/// A problem reading a capture file: which file, at which byte offset, and what.
#[derive(Debug, thiserror::Error)]
#[error("{}: at byte offset {offset}: {kind}", file.display())]
pub struct CaptureError {
    pub file: PathBuf,
    pub offset: u64,
    pub kind: CaptureErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureErrorKind {
    #[error("cannot open: {0}")]
    Open(std::io::Error),
    #[error("read error: {0}")]
    Io(std::io::Error),
    #[error("not a pcap or pcapng file (magic number {0:02x?})")]
    BadMagic([u8; 4]),
    #[error("empty file")]
    Empty,
    #[error("file ends in the middle of a record (truncated capture)")]
    Truncated,
    #[error("{0}")]
    Malformed(String),
}
