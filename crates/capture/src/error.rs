//! Errors met while opening or reading a capture.
use std::path::PathBuf;

/// A problem reading a capture file: which file, at which byte offset, and what.
///
/// The offset is counted in the decompressed stream (for a `.gz` file, the offset inside the
/// pcap/pcapng data, which is what other tools show). For damage inside a record it is the start
/// of that record; for read and decompression errors it is how far the stream had been read.
#[derive(Debug, thiserror::Error)]
#[error("{}: at byte offset {offset}: {kind}", file.display())]
pub struct CaptureError {
    pub file: PathBuf,
    pub offset: u64,
    pub kind: CaptureErrorKind,
}

impl CaptureError {
    /// True when the file simply ends early (see [`CaptureErrorKind::is_truncation`]).
    pub fn is_truncation(&self) -> bool {
        self.kind.is_truncation()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureErrorKind {
    #[error("cannot open: {0}")]
    Open(std::io::Error),
    #[error("read error: {0}")]
    Io(std::io::Error),
    /// The gzip layer failed: corrupt compressed data, or a `.gz` file cut short.
    #[error("gzip decompression failed: {0}")]
    Decompress(std::io::Error),
    #[error("not a pcap or pcapng file (magic number {0:02x?})")]
    BadMagic([u8; 4]),
    #[error("empty file")]
    Empty,
    #[error("file ends in the middle of a record (truncated capture)")]
    Truncated,
    #[error("{0}")]
    Malformed(String),
}

impl CaptureErrorKind {
    /// True when the data is intact up to a point where the file just stops: a capture cut
    /// short (tcpdump killed, disk full, partial download), including a cut `.gz` file.
    ///
    /// Callers usually report this as a warning, since every complete packet was delivered,
    /// while other kinds mean the file is damaged or not a capture at all.
    pub fn is_truncation(&self) -> bool {
        match self {
            CaptureErrorKind::Truncated => true,
            CaptureErrorKind::Decompress(e) => e.kind() == std::io::ErrorKind::UnexpectedEof,
            _ => false,
        }
    }
}
