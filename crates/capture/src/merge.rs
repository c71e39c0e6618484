//! Several capture files read as one stream in timestamp order.
use crate::file::DEFAULT_BUFFER;
use crate::{CaptureError, CaptureFile, PacketRef};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;

/// Above this many files, each gets a smaller read buffer so that memory stays bounded.
const MANY_FILES: usize = 16;
const SMALL_BUFFER: usize = 256 * 1024;

/// Several capture files read as one stream in timestamp order.
///
/// A k-way merge: every file keeps its current packet in its own buffer, and the file whose
/// current packet is earliest (the lowest file index on ties) supplies the next one. Packets
/// within one file keep their order even if their timestamps go backwards.
pub struct MergedSource {
    /// Indexed by file index; `None` for files that could not be opened.
    files: Vec<Option<CaptureFile>>,
    /// Files with a current packet not yet returned, keyed by (timestamp, file index).
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    /// File whose packet was returned last: it must move on before the next choice.
    last: Option<usize>,
    /// The lone file, when there is exactly one: it is read directly, without the heap.
    single: Option<usize>,
    /// Errors with the index of the file they concern (the same path may be given twice).
    errors: Vec<(usize, CaptureError)>,
}

impl MergedSource {
    /// Opens every file; files that cannot be opened are returned as errors and skipped.
    pub fn open(paths: &[PathBuf]) -> (Self, Vec<CaptureError>) {
        let (m, errors) = Self::open_indexed(paths);
        (m, errors.into_iter().map(|(_, e)| e).collect())
    }

    /// Like [`Self::open`], with each error paired with the index of its file in `paths`.
    pub fn open_indexed(paths: &[PathBuf]) -> (Self, Vec<(usize, CaptureError)>) {
        let buffer = if paths.len() > MANY_FILES {
            SMALL_BUFFER
        } else {
            DEFAULT_BUFFER
        };
        let mut errors = Vec::new();
        let files = paths
            .iter()
            .enumerate()
            .map(|(i, p)| match CaptureFile::open_with_buffer(p, buffer) {
                Ok(f) => Some(f),
                Err(e) => {
                    errors.push((i, e));
                    None
                }
            })
            .collect();
        (Self::from_opened(files), errors)
    }

    /// Merges files opened by the caller; file indexes are positions in `files`.
    pub fn from_files(files: Vec<CaptureFile>) -> Self {
        Self::from_opened(files.into_iter().map(Some).collect())
    }

    fn from_opened(mut files: Vec<Option<CaptureFile>>) -> Self {
        for (i, f) in files.iter_mut().enumerate() {
            if let Some(f) = f {
                f.set_file_index(i);
            }
        }
        let open: Vec<usize> = (0..files.len()).filter(|&i| files[i].is_some()).collect();
        let mut m = MergedSource {
            heap: BinaryHeap::with_capacity(files.len()),
            files,
            last: None,
            single: None,
            errors: Vec::new(),
        };
        if open.len() == 1 {
            m.single = Some(open[0]);
        } else {
            for i in open {
                m.prime(i);
            }
        }
        m
    }

    /// Reads file `i`'s next packet and queues the file if it has one.
    fn prime(&mut self, i: usize) {
        let Some(f) = self.files[i].as_mut() else {
            return;
        };
        match f.advance_packet() {
            Ok(Some(cur)) => self.heap.push(Reverse((cur.ts_ns, i))),
            Ok(None) => {}
            Err(e) => self.errors.push((i, e)),
        }
    }

    /// The next packet in timestamp order across all files, or None when all are exhausted.
    /// A file that fails mid-way stops contributing; its error is kept for [`Self::take_errors`].
    pub fn next_packet(&mut self) -> Option<PacketRef<'_>> {
        if let Some(i) = self.single {
            let f = self.files[i].as_mut()?;
            return match f.advance_packet() {
                Ok(Some(_)) => self.files[i].as_ref()?.current(),
                Ok(None) => None,
                Err(e) => {
                    self.errors.push((i, e));
                    None
                }
            };
        }
        if let Some(i) = self.last.take() {
            self.prime(i);
        }
        let Reverse((_, i)) = self.heap.pop()?;
        self.last = Some(i);
        self.files[i].as_ref()?.current()
    }

    /// Errors met since the last call.
    pub fn take_errors(&mut self) -> Vec<CaptureError> {
        std::mem::take(&mut self.errors)
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }

    /// Errors met since the last call, each with the index of its file.
    pub fn take_indexed_errors(&mut self) -> Vec<(usize, CaptureError)> {
        std::mem::take(&mut self.errors)
    }

    /// (bytes consumed so far, total bytes when known) across all files, for progress display.
    /// Bytes are those of the files as stored (compressed for `.gz`); the total is unknown as
    /// soon as one input (standard input, a pipe) has no known size.
    pub fn progress(&self) -> (u64, Option<u64>) {
        let mut done = 0u64;
        let mut total = Some(0u64);
        for f in self.files.iter().flatten() {
            done += f.bytes_read();
            total = total.zip(f.total_size()).map(|(a, b)| a + b);
        }
        (done, total)
    }

    /// Number of inputs, including those that could not be opened.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The reader of file `index` (for its packet count, warnings, path...), if it opened.
    pub fn file(&self, index: usize) -> Option<&CaptureFile> {
        self.files.get(index)?.as_ref()
    }

    /// Packets delivered so far, per file index (0 for files that could not be opened).
    pub fn packets_read(&self) -> Vec<u64> {
        self.files
            .iter()
            .map(|f| f.as_ref().map_or(0, CaptureFile::packets_read))
            .collect()
    }
}

impl std::fmt::Debug for MergedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MergedSource")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}
