//! Which digests files.log carries, their running state while a file streams past, and the
//! hashing thread that computes them off the packet path.
//!
//! Hashing is the largest single cost of inspection on traffic with HTTP bodies (MD5 alone
//! runs at a few hundred MB/s here), so the set is configurable: all three by default, as
//! Zeek's `hash-all-files` policy does; fewer, or none, as Suricata's default (no file
//! hashing) does. In a run, flow threads attach to a [`HashService`]: body bytes are copied
//! to its thread in order, and a file's record carries [`PendingDigests`] that the log writer
//! resolves just before writing files.log, so the packet path never waits for a digest.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// The digests computed for every file (files.log `md5`, `sha1`, `sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHashes {
    pub md5: bool,
    pub sha1: bool,
    pub sha256: bool,
}

impl Default for FileHashes {
    fn default() -> Self {
        FileHashes::ALL
    }
}

impl FileHashes {
    pub const ALL: FileHashes = FileHashes {
        md5: true,
        sha1: true,
        sha256: true,
    };
    pub const NONE: FileHashes = FileHashes {
        md5: false,
        sha1: false,
        sha256: false,
    };

    /// Parses a comma-separated list of `md5`, `sha1`, `sha256`, or `none` / `all`.
    pub fn parse(list: &str) -> Result<FileHashes, String> {
        let mut h = FileHashes::NONE;
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item.to_ascii_lowercase().as_str() {
                "md5" => h.md5 = true,
                "sha1" => h.sha1 = true,
                "sha256" => h.sha256 = true,
                "all" => h = FileHashes::ALL,
                "none" => {}
                other => {
                    return Err(format!(
                        "unknown file hash {other:?} (expected md5, sha1, sha256, all or none)"
                    ))
                }
            }
        }
        Ok(h)
    }

    /// Zeek's analyzer names for the digests, in files.log's `analyzers` order.
    pub fn analyzers(self) -> Vec<&'static str> {
        [
            (self.md5, "MD5"),
            (self.sha1, "SHA1"),
            (self.sha256, "SHA256"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Digests of one file in progress: computed here, or by the run's hashing thread when the
/// calling thread is attached to one ([`HashService::attach_current_thread`]).
pub struct FileDigests(DigestsAt);

// One per file in transfer, not per packet: the size of the in-place states does not matter.
#[allow(clippy::large_enum_variant)]
enum DigestsAt {
    Here {
        md5: Option<Md5>,
        sha1: Option<Sha1>,
        sha256: Option<Sha256>,
    },
    Remote(RemoteFile),
}

/// Finished digests, lower-case hex; `None` for a digest that was not configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDigestValues {
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
}

/// The digests of a file, now or once the hashing thread has caught up.
pub enum FinishedDigests {
    Ready(FileDigestValues),
    Pending(PendingDigests),
}

impl FileDigests {
    pub fn new(which: FileHashes) -> Self {
        if which != FileHashes::NONE {
            if let Some(remote) = RemoteFile::open(which) {
                return FileDigests(DigestsAt::Remote(remote));
            }
        }
        FileDigests(DigestsAt::Here {
            md5: which.md5.then(Md5::new),
            sha1: which.sha1.then(Sha1::new),
            sha256: which.sha256.then(Sha256::new),
        })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            DigestsAt::Here { md5, sha1, sha256 } => {
                if let Some(h) = md5 {
                    h.update(bytes);
                }
                if let Some(h) = sha1 {
                    h.update(bytes);
                }
                if let Some(h) = sha256 {
                    h.update(bytes);
                }
            }
            DigestsAt::Remote(r) => r.data(bytes),
        }
    }

    pub fn finish(self) -> FinishedDigests {
        match self.0 {
            DigestsAt::Here { md5, sha1, sha256 } => FinishedDigests::Ready(FileDigestValues {
                md5: md5.map(|h| crate::hex(&h.finalize())),
                sha1: sha1.map(|h| crate::hex(&h.finalize())),
                sha256: sha256.map(|h| crate::hex(&h.finalize())),
            }),
            DigestsAt::Remote(mut r) => FinishedDigests::Pending(r.finish()),
        }
    }

    /// The digests of a body held whole, computed on the calling thread.
    pub fn of(which: FileHashes, content: &[u8]) -> FileDigestValues {
        FileDigestValues {
            md5: which.md5.then(|| crate::hex(&Md5::digest(content))),
            sha1: which.sha1.then(|| crate::hex(&Sha1::digest(content))),
            sha256: which.sha256.then(|| crate::hex(&Sha256::digest(content))),
        }
    }
}

/// A file id (files.log `fuid`) derived from `parts`, so runs are reproducible: "F" and 17
/// base-62 characters of their SHA-256, as Zeek's ids look. Each source hashes what makes its
/// files distinct (a tag, times, positions).
pub(crate) fn file_id(parts: &[&[u8]]) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let d = h.finalize();
    let mut s = String::from("F");
    for b in d.iter().take(17) {
        s.push(A[*b as usize % A.len()] as char);
    }
    s
}

/// Digests a hashing thread owes: [`PendingDigests::wait`] blocks until it has hashed every
/// byte sent before (the log writer calls it just before writing files.log, long after the
/// flow thread moved on).
pub struct PendingDigests(Option<Receiver<FileDigestValues>>);

impl PendingDigests {
    /// The digests; empty if the hashing thread is gone (it only ends after its senders).
    pub fn wait(mut self) -> FileDigestValues {
        self.0
            .take()
            .and_then(|rx| rx.recv().ok())
            .unwrap_or_default()
    }
}

// Records are compared and cloned in tests; a pending value has no content to compare, and a
// clone must not steal the original's answer.
impl Clone for PendingDigests {
    fn clone(&self) -> Self {
        PendingDigests(None)
    }
}

impl PartialEq for PendingDigests {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for PendingDigests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingDigests")
    }
}

enum HashJob {
    Open(u64, FileHashes),
    /// Bytes `start..end` of the batch's byte buffer belong to this file.
    Data(u64, usize, usize),
    Finish(u64, SyncSender<FileDigestValues>),
    Discard(u64),
}

/// Jobs of one flow thread, sent together: body bytes are copied into one buffer rather than
/// one allocation and one channel send (with a wake-up of the hashing thread) per delivery.
/// Emptied batches go back to their thread (`back`), so the packet path reuses a few
/// preallocated buffers instead of growing a fresh one per batch.
struct HashBatch {
    bytes: Vec<u8>,
    jobs: Vec<HashJob>,
    back: SyncSender<HashBatch>,
}

impl HashBatch {
    fn new(back: SyncSender<HashBatch>) -> HashBatch {
        HashBatch {
            bytes: Vec::with_capacity(BATCH_CAPACITY),
            jobs: Vec::with_capacity(64),
            back,
        }
    }
}

/// Bytes a flow thread gathers before sending a batch; a finished file sends at once, so the
/// log writer never waits for bytes still held here.
const BATCH_BYTES: usize = 256 << 10;
/// A batch's buffer: the threshold plus one typical delivery, so most batches never regrow.
const BATCH_CAPACITY: usize = BATCH_BYTES + (64 << 10);
/// Emptied batches a flow thread keeps for reuse; more are freed. Every finished file sends
/// its batch at once, so many batches are small and in flight together: too few spares and
/// fresh buffers (and their page faults) come back.
const SPARE_BATCHES: usize = 16;
/// Batches queued to the hashing thread before flow threads wait: bounds the bytes in flight.
const HASH_QUEUE: usize = 64;

/// The hashing thread of a run. Flow threads attach to it; their files are hashed there, so
/// the bytes of HTTP bodies cost the packet path a copy rather than three digests.
pub struct HashService {
    tx: Option<SyncSender<HashBatch>>,
    join: Option<std::thread::JoinHandle<HashStats>>,
}

/// What the hashing thread did, for stats.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashStats {
    pub files: u64,
    pub bytes: u64,
    /// Files whose connection ended before their body did (no digests needed).
    pub discarded: u64,
}

struct Attached {
    tx: SyncSender<HashBatch>,
    next_id: u64,
    batch: HashBatch,
    spares: Receiver<HashBatch>,
}

impl Attached {
    fn push(&mut self, job: HashJob) {
        let flush = matches!(job, HashJob::Finish(..));
        self.batch.jobs.push(job);
        if flush || self.batch.bytes.len() >= BATCH_BYTES {
            self.flush();
        }
    }

    fn data(&mut self, id: u64, bytes: &[u8]) {
        let start = self.batch.bytes.len();
        self.batch.bytes.extend_from_slice(bytes);
        self.push(HashJob::Data(id, start, start + bytes.len()));
    }

    fn flush(&mut self) {
        if !self.batch.jobs.is_empty() {
            let next = self
                .spares
                .try_recv()
                .unwrap_or_else(|_| HashBatch::new(self.batch.back.clone()));
            // The service outlives every attached thread; a failed send means it is gone, and
            // the files simply get no digests.
            let _ = self.tx.send(std::mem::replace(&mut self.batch, next));
        }
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.flush();
    }
}

thread_local! {
    static ATTACHED: std::cell::RefCell<Option<Attached>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` on the calling thread's attachment (if any).
fn with_attached<R>(f: impl FnOnce(&mut Attached) -> R) -> Option<R> {
    ATTACHED
        .try_with(|a| a.borrow_mut().as_mut().map(f))
        .ok()
        .flatten()
}

impl HashService {
    pub fn start() -> std::io::Result<HashService> {
        let (tx, rx) = mpsc::sync_channel::<HashBatch>(HASH_QUEUE);
        let join = std::thread::Builder::new()
            .name("netloupe-hash".into())
            .spawn(move || {
                let mut open: std::collections::HashMap<u64, FileDigests> = Default::default();
                let mut st = HashStats::default();
                for mut batch in rx {
                    for job in batch.jobs.drain(..) {
                        match job {
                            HashJob::Open(id, which) => {
                                // Computed here: this thread is never attached.
                                open.insert(id, FileDigests::new(which));
                            }
                            HashJob::Data(id, start, end) => {
                                if let (Some(d), Some(b)) =
                                    (open.get_mut(&id), batch.bytes.get(start..end))
                                {
                                    st.bytes += b.len() as u64;
                                    d.update(b);
                                }
                            }
                            HashJob::Finish(id, reply) => {
                                if let Some(d) = open.remove(&id) {
                                    st.files += 1;
                                    if let FinishedDigests::Ready(v) = d.finish() {
                                        let _ = reply.send(v);
                                    }
                                }
                            }
                            HashJob::Discard(id) => {
                                st.discarded += open.remove(&id).is_some() as u64;
                            }
                        }
                    }
                    batch.bytes.clear();
                    // One large delivery (a decoded body) must not pin its memory.
                    batch.bytes.shrink_to(BATCH_CAPACITY);
                    // A full spare queue (or a detached thread) frees the batch instead.
                    let back = batch.back.clone();
                    let _ = back.try_send(batch);
                }
                st
            })?;
        Ok(HashService {
            tx: Some(tx),
            join: Some(join),
        })
    }

    /// A handle that attaches a thread (the flow threads) to this service.
    pub fn handle(&self) -> Option<HashHandle> {
        self.tx.clone().map(|tx| HashHandle { tx })
    }

    /// Stops attaching the calling thread: what it gathered is sent, and its sender dropped so
    /// the service can end.
    pub fn detach_current_thread() {
        let _ = ATTACHED.try_with(|a| a.borrow_mut().take());
    }

    /// Waits for the thread to hash everything queued. Every attached thread must have
    /// detached or ended first.
    pub fn finish(mut self) -> HashStats {
        self.tx = None;
        self.join
            .take()
            .and_then(|j| j.join().ok())
            .unwrap_or_default()
    }
}

/// Attaches threads to a [`HashService`]; sent to the thread that attaches itself.
#[derive(Clone)]
pub struct HashHandle {
    tx: SyncSender<HashBatch>,
}

impl HashHandle {
    /// Files opened by the calling thread from now on are hashed by the service. Ids are
    /// unique per run: each attached thread numbers its files in its own range.
    pub fn attach_current_thread(self, thread_index: u32) {
        let (back, spares) = mpsc::sync_channel(SPARE_BATCHES);
        ATTACHED.with(|a| {
            *a.borrow_mut() = Some(Attached {
                tx: self.tx,
                next_id: (thread_index as u64) << 40,
                batch: HashBatch::new(back),
                spares,
            })
        });
    }
}

/// A file hashed on the service's thread (through the opening thread's attachment).
struct RemoteFile {
    id: u64,
    finished: bool,
}

impl RemoteFile {
    fn open(which: FileHashes) -> Option<RemoteFile> {
        with_attached(|a| {
            let id = a.next_id;
            a.next_id += 1;
            a.push(HashJob::Open(id, which));
            RemoteFile {
                id,
                finished: false,
            }
        })
    }

    fn data(&self, bytes: &[u8]) {
        with_attached(|a| a.data(self.id, bytes));
    }

    fn finish(&mut self) -> PendingDigests {
        self.finished = true;
        let (tx, rx) = mpsc::sync_channel(1);
        let sent = with_attached(|a| a.push(HashJob::Finish(self.id, tx)));
        PendingDigests(sent.map(|_| rx))
    }
}

impl Drop for RemoteFile {
    fn drop(&mut self) {
        if !self.finished {
            let id = self.id;
            with_attached(|a| a.push(HashJob::Discard(id)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_rejects_unknown_names() {
        assert_eq!(
            FileHashes::parse("md5,sha256").unwrap().analyzers(),
            ["MD5", "SHA256"]
        );
        assert_eq!(FileHashes::parse("none").unwrap(), FileHashes::NONE);
        assert_eq!(FileHashes::parse("ALL").unwrap(), FileHashes::ALL);
        assert!(FileHashes::parse("crc32").is_err());
    }

    #[test]
    fn digests_match_known_vectors_and_skip_unconfigured() {
        // RFC 1321 / FIPS 180 test vectors for "abc".
        let v = FileDigests::of(FileHashes::ALL, b"abc");
        assert_eq!(v.md5.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(
            v.sha1.as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            v.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let only = FileDigests::of(FileHashes::parse("sha1").unwrap(), b"abc");
        assert_eq!((only.md5, only.sha256), (None, None));
    }

    #[test]
    fn hashing_thread_gives_the_same_digests_and_counts_its_work() {
        let service = HashService::start().unwrap();
        let which = FileHashes::parse("md5,sha256").unwrap();
        // Attached on a thread of its own: the test harness reuses threads.
        let handle = service.handle().unwrap();
        let pending = std::thread::spawn(move || {
            handle.attach_current_thread(3);
            let mut kept = FileDigests::new(which);
            let mut dropped = FileDigests::new(which);
            for chunk in [&b"ab"[..], b"", b"c"] {
                kept.update(chunk);
                dropped.update(chunk);
            }
            drop(dropped);
            let finished = kept.finish();
            HashService::detach_current_thread();
            match finished {
                FinishedDigests::Pending(p) => p,
                FinishedDigests::Ready(_) => panic!("an attached thread hashes remotely"),
            }
        })
        .join()
        .unwrap();
        assert_eq!(pending.wait(), FileDigests::of(which, b"abc"));
        let st = service.finish();
        assert_eq!((st.files, st.discarded, st.bytes), (1, 1, 6));
        // Unattached threads hash in place.
        assert!(matches!(
            FileDigests::new(which).finish(),
            FinishedDigests::Ready(_)
        ));
    }
}
