//! TCP stream reassembly, one direction at a time.
//!
//! (Skeleton: API fixed, implementation being written.)

/// Receives the reassembled stream of one direction.
pub trait StreamSink {
    /// In-order bytes starting at stream offset `offset` (relative sequence number).
    fn data(&mut self, offset: u64, bytes: &[u8]);
    /// `len` bytes starting at `offset` will never be delivered (capture loss or caps).
    fn gap(&mut self, offset: u64, len: u64);
}

/// Bytes buffered across all streams of one worker: the global cap of out-of-order data.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReassemblyBudget {
    pub max_bytes: usize,
    pub used: usize,
    pub peak: usize,
}

/// What the reassembler saw and did, for stats.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    pub segments: u64,
    pub bytes_delivered: u64,
    /// Segments (or parts) already delivered or buffered: retransmissions.
    pub retransmitted_bytes: u64,
    /// Overlapping bytes that differ from what was first received (evasion attempts).
    pub overlap_conflicts: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    /// Out-of-order bytes discarded because a per-stream or global cap was reached.
    pub dropped_bytes_cap: u64,
}

/// Outcome of inserting one segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inserted {
    /// Some of the segment's bytes overlapped data already seen.
    pub overlap: bool,
    /// ... and differed from it (the first copy is kept and delivered).
    pub conflict: bool,
    /// Bytes of this segment dropped because of the caps.
    pub dropped: u64,
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct StreamReassembler {
    _private: (),
}

impl StreamReassembler {
    /// A stream whose next expected byte is at relative sequence `next`, buffering at most
    /// `max_buffered` out-of-order bytes.
    pub fn new(next: u64, max_buffered: usize) -> Self {
        let _ = (next, max_buffered);
        StreamReassembler { _private: () }
    }

    /// Inserts the segment `data` starting at relative sequence `seq`; delivers whatever becomes
    /// contiguous to `sink`.
    pub fn insert(
        &mut self,
        seq: u64,
        data: &[u8],
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
        sink: &mut dyn StreamSink,
    ) -> Inserted {
        let _ = (seq, data, budget, stats, sink);
        Inserted::default()
    }

    /// The peer acknowledged everything below `up_to`: anything missing below it is a gap
    /// (reported to `sink`), buffered data after the gap is delivered.
    pub fn ack(
        &mut self,
        up_to: u64,
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
        sink: &mut dyn StreamSink,
    ) {
        let _ = (up_to, budget, stats, sink);
    }

    /// The stream ends: deliver what can be, report the rest as gaps, free the buffer.
    pub fn finish(
        &mut self,
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
        sink: &mut dyn StreamSink,
    ) {
        let _ = (budget, stats, sink);
    }

    /// Next expected relative sequence number.
    pub fn next_seq(&self) -> u64 {
        0
    }

    /// Out-of-order bytes currently buffered.
    pub fn buffered(&self) -> usize {
        0
    }
}
