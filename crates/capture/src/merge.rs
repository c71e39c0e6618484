//! (Skeleton.)
use crate::{CaptureError, PacketRef};
use std::path::PathBuf;

/// Several capture files read as one stream in timestamp order.
pub struct MergedSource {}

impl MergedSource {
    /// Opens every file; files that cannot be opened are returned as errors and skipped.
    pub fn open(paths: &[PathBuf]) -> (Self, Vec<CaptureError>) {
        let _ = paths;
        unimplemented!()
    }
    /// The next packet in timestamp order across all files, or None when all are exhausted.
    /// A file that fails mid-way stops contributing; its error is kept for [`Self::take_errors`].
    pub fn next_packet(&mut self) -> Option<PacketRef<'_>> {
        unimplemented!()
    }
    /// Errors met since the last call.
    pub fn take_errors(&mut self) -> Vec<CaptureError> {
        unimplemented!()
    }
    /// (bytes consumed so far, total bytes when known) across all files, for progress display.
    pub fn progress(&self) -> (u64, Option<u64>) {
        unimplemented!()
    }
}
