//! (Skeleton.)
use crate::{CaptureError, PacketRef};
use std::path::Path;

/// One capture file (or standard input), read as a stream.
pub struct CaptureFile {}

impl CaptureFile {
    /// Opens `path` (`-` is standard input), detecting gzip and pcap/pcapng by magic number.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let _ = path;
        unimplemented!()
    }
    /// The next packet. After an error, later calls return `Ok(None)`.
    pub fn next_packet(&mut self) -> Result<Option<PacketRef<'_>>, CaptureError> {
        unimplemented!()
    }
}
