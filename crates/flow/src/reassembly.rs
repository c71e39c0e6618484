//! TCP stream reassembly, one direction at a time.
//!
//! A [`StreamReassembler`] turns the segments of one direction of a TCP connection into the
//! in-order byte stream, handed to a [`StreamSink`] as `data(offset, bytes)` calls with strictly
//! increasing, contiguous offsets, interleaved with `gap(offset, len)` calls for the ranges that
//! will never be delivered. Offsets are 64-bit relative sequence numbers: the caller converts the
//! 32-bit TCP sequence numbers (with their wrap-around) before calling in, so nothing here
//! assumes 32 bits.
//!
//! Rules:
//! - In-order data (`seq == next`) goes straight to the sink from the caller's slice: the common
//!   case neither copies nor allocates.
//! - Data below `next` is a retransmission (counted in `retransmitted_bytes`). What was already
//!   delivered is not kept, so a retransmission of delivered data that differs from it cannot be
//!   detected (Zeek cannot either); only overlaps with still-buffered data are compared. A
//!   segment straddling `next` delivers its new part.
//! - Out-of-order data (`seq > next`) is copied into a small per-stream buffer of sorted,
//!   disjoint, non-touching blocks, within three caps: bytes per stream (`max_buffered`), bytes
//!   per worker ([`ReassemblyBudget`]) and blocks per stream ([`DEFAULT_MAX_BLOCKS`] unless
//!   changed with [`StreamReassembler::set_max_blocks`]). Bytes beyond a cap are dropped and
//!   counted (`dropped_bytes_cap`, [`Inserted::dropped`]); a later [`StreamReassembler::ack`]
//!   past them reports them as a gap. When a byte cap cuts a segment, its lowest bytes (those
//!   nearest to `next`) are kept.
//! - Overlaps: the first received copy of a byte wins. This is what most receiving stacks
//!   deliver (they keep queued data and trim the newcomer), and it keeps what we delivered or are
//!   about to deliver stable: a later copy can never rewrite bytes an analyser may already have
//!   acted on. A segment whose overlapping bytes differ from the buffered copy is a conflict
//!   (counted in `overlap_conflicts`, [`Inserted::conflict`]), which the caller reports as a
//!   possible evasion attempt. Exact duplicates are overlaps, not conflicts.
//! - Buffered blocks that become contiguous with `next` are delivered in order and freed.
//! - [`StreamReassembler::ack`]`(up_to)`: the peer received everything below `up_to`, so the holes
//!   between `next` and `up_to` are gaps; buffered blocks after them are delivered and `next`
//!   moves to at least `up_to` (Zeek declares content gaps the same way when an ACK passes data
//!   it never saw).
//! - [`StreamReassembler::finish`]: the holes before buffered blocks become gaps, the blocks are
//!   delivered, the buffer is freed.
//!
//! Memory: an idle stream (no out-of-order data) is three words; the out-of-order buffer is boxed
//! and exists only while something is buffered. [`ReassemblyBudget::used`] counts buffered bytes
//! exactly (it rises when bytes are buffered and falls when they are delivered or freed); the
//! allocations holding them may be up to about twice as large (growth slack). Dropping a
//! reassembler with data still buffered does not give its bytes back to the budget: call
//! [`StreamReassembler::finish`] or [`StreamReassembler::discard`] first.
//!
//! Cost: every operation is linear in the bytes it handles plus the number of blocks (at most
//! the block cap); merging two blocks moves the smaller one into the larger, so no arrival order
//! makes the buffer quadratic.

use std::collections::VecDeque;

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

impl ReassemblyBudget {
    /// A budget of `max_bytes` with nothing used yet.
    pub fn new(max_bytes: usize) -> Self {
        ReassemblyBudget {
            max_bytes,
            used: 0,
            peak: 0,
        }
    }

    fn room(&self) -> usize {
        self.max_bytes.saturating_sub(self.used)
    }

    fn take(&mut self, n: usize) {
        self.used = self.used.saturating_add(n);
        self.peak = self.peak.max(self.used);
    }

    fn give_back(&mut self, n: usize) {
        self.used = self.used.saturating_sub(n);
    }
}

/// What the reassembler saw and did, for stats.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Non-empty segments inserted.
    pub segments: u64,
    pub bytes_delivered: u64,
    /// Segments (or parts) already delivered or buffered: retransmissions. Bytes below the
    /// delivery point count here even if they had been declared a gap.
    pub retransmitted_bytes: u64,
    /// Segments whose bytes overlapping still-buffered data differ from it (evasion attempts):
    /// one per conflicting segment, however many bytes differ.
    pub overlap_conflicts: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    /// Out-of-order bytes discarded because a per-stream or global cap was reached (also the
    /// bytes of a segment that would extend past the end of the 64-bit sequence space).
    pub dropped_bytes_cap: u64,
}

impl ReassemblyStats {
    /// Adds another set of counters.
    pub fn add(&mut self, o: &ReassemblyStats) {
        self.segments += o.segments;
        self.bytes_delivered += o.bytes_delivered;
        self.retransmitted_bytes += o.retransmitted_bytes;
        self.overlap_conflicts += o.overlap_conflicts;
        self.gaps += o.gaps;
        self.gap_bytes += o.gap_bytes;
        self.dropped_bytes_cap += o.dropped_bytes_cap;
    }
}

/// Outcome of inserting one segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inserted {
    /// Some of the segment's bytes overlapped data already seen (delivered or buffered).
    pub overlap: bool,
    /// ... and differed from it (the first copy is kept and delivered). Only overlaps with
    /// still-buffered data can be compared.
    pub conflict: bool,
    /// Bytes of this segment dropped because of the caps.
    pub dropped: u64,
}

/// Default cap on the number of disjoint out-of-order blocks one stream buffers.
pub const DEFAULT_MAX_BLOCKS: usize = 64;

/// A run of buffered out-of-order bytes. A deque so that bytes can be added at either end in
/// time proportional to the bytes added.
#[derive(Debug)]
struct Block {
    start: u64,
    data: VecDeque<u8>,
}

impl Block {
    fn end(&self) -> u64 {
        // Never saturates: segments are clipped to the sequence space on insertion.
        self.start.saturating_add(self.data.len() as u64)
    }
}

/// The out-of-order buffer: blocks sorted by start, non-empty, disjoint and not touching (touching
/// blocks are merged), all starting above `next`.
#[derive(Debug, Default)]
struct Buffer {
    blocks: Vec<Block>,
    /// Sum of the blocks' lengths.
    bytes: usize,
}

impl Buffer {
    /// Stores `bytes` at `at`, a range overlapping no block. Returns false (nothing stored) if it
    /// would need a new block and the buffer already holds `max_blocks`.
    fn store(&mut self, at: u64, bytes: &[u8], max_blocks: usize) -> bool {
        let idx = self.blocks.partition_point(|b| b.start < at);
        let end = at.saturating_add(bytes.len() as u64);
        let touches_prev = idx > 0 && self.blocks[idx - 1].end() == at;
        let touches_next = self.blocks.get(idx).is_some_and(|b| b.start == end);
        match (touches_prev, touches_next) {
            (true, true) => {
                self.blocks[idx - 1].data.extend(bytes);
                let mut next = self.blocks.remove(idx);
                let prev = &mut self.blocks[idx - 1];
                if prev.data.len() >= next.data.len() {
                    prev.data.append(&mut next.data);
                } else {
                    // Move the smaller (earlier) part in front of the larger one.
                    let k = prev.data.len();
                    next.data.append(&mut prev.data);
                    next.data.rotate_right(k);
                    prev.data = next.data;
                }
            }
            (true, false) => self.blocks[idx - 1].data.extend(bytes),
            (false, true) => {
                let next = &mut self.blocks[idx];
                next.data.extend(bytes);
                next.data.rotate_right(bytes.len());
                next.start = at;
            }
            (false, false) => {
                if self.blocks.len() >= max_blocks {
                    return false;
                }
                let data: VecDeque<u8> = bytes.iter().copied().collect();
                self.blocks.insert(idx, Block { start: at, data });
            }
        }
        self.bytes += bytes.len();
        true
    }
}

/// Whether `dq[off..off + other.len()] == other`.
fn deque_eq(dq: &VecDeque<u8>, off: usize, other: &[u8]) -> bool {
    let (a, b) = dq.as_slices();
    let mut off = off;
    let mut rest = other;
    for part in [a, b] {
        if rest.is_empty() {
            break;
        }
        if off >= part.len() {
            off -= part.len();
            continue;
        }
        let n = (part.len() - off).min(rest.len());
        if part[off..off + n] != rest[..n] {
            return false;
        }
        rest = &rest[n..];
        off = 0;
    }
    rest.is_empty()
}

/// One direction of a TCP connection.
///
/// Three words when idle (see the module documentation for the rules).
#[derive(Debug, Default)]
pub struct StreamReassembler {
    /// Next relative sequence number to deliver: everything below was delivered or declared a gap.
    next: u64,
    max_buffered: u32,
    max_blocks: u32,
    /// Out-of-order data, present only while some is buffered.
    ooo: Option<Box<Buffer>>,
}

impl StreamReassembler {
    /// A stream whose next expected byte is at relative sequence `next`, buffering at most
    /// `max_buffered` out-of-order bytes (values above 4 GiB are treated as 4 GiB) in at most
    /// [`DEFAULT_MAX_BLOCKS`] blocks.
    pub fn new(next: u64, max_buffered: usize) -> Self {
        StreamReassembler {
            next,
            max_buffered: u32::try_from(max_buffered).unwrap_or(u32::MAX),
            max_blocks: DEFAULT_MAX_BLOCKS as u32,
            ooo: None,
        }
    }

    /// Changes the cap on disjoint out-of-order blocks (default [`DEFAULT_MAX_BLOCKS`]; values
    /// above `u32::MAX` are treated as `u32::MAX`). Blocks already buffered are kept; a segment
    /// that would need a new block beyond the cap is dropped and counted.
    pub fn set_max_blocks(&mut self, max_blocks: usize) {
        self.max_blocks = u32::try_from(max_blocks).unwrap_or(u32::MAX);
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
        let mut res = Inserted::default();
        if data.is_empty() {
            return res;
        }
        stats.segments += 1;
        let mut data = data;
        // Bytes past the end of the sequence space cannot be placed (the caller's conversion of
        // 32-bit sequence numbers never produces them).
        let fits = u64::MAX - seq;
        if data.len() as u64 > fits {
            let keep = fits as usize; // < data.len()
            res.dropped += (data.len() - keep) as u64;
            data = &data[..keep];
        }
        let mut seq = seq;
        if !data.is_empty() && seq < self.next {
            let old = (data.len() as u64).min(self.next - seq);
            stats.retransmitted_bytes += old;
            res.overlap = true;
            data = &data[old as usize..];
            seq = self.next;
        }
        if !data.is_empty() {
            if seq == self.next {
                self.insert_in_order(data, &mut res, budget, stats, sink);
            } else {
                self.insert_out_of_order(seq, data, &mut res, budget, stats);
            }
        }
        if res.conflict {
            stats.overlap_conflicts += 1;
        }
        stats.dropped_bytes_cap += res.dropped;
        res
    }

    /// `data` starts at `next`: deliver it, giving way to buffered blocks it overlaps (their copy
    /// was received first), then whatever buffered data became contiguous.
    fn insert_in_order(
        &mut self,
        data: &[u8],
        res: &mut Inserted,
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
        sink: &mut dyn StreamSink,
    ) {
        let start = self.next;
        let end = start + data.len() as u64;
        loop {
            let limit = self.first_block_start().unwrap_or(u64::MAX).min(end);
            if self.next < limit {
                let part = &data[(self.next - start) as usize..(limit - start) as usize];
                sink.data(self.next, part);
                stats.bytes_delivered += part.len() as u64;
                self.next = limit;
            }
            if self.next >= end {
                break;
            }
            // A buffered block starts at `next`, inside the segment.
            let Some(block) = self.take_first(budget) else {
                break;
            };
            let ov_end = block.end().min(end);
            let new = &data[(self.next - start) as usize..(ov_end - start) as usize];
            res.overlap = true;
            stats.retransmitted_bytes += new.len() as u64;
            if !deque_eq(&block.data, (self.next - block.start) as usize, new) {
                res.conflict = true;
            }
            self.deliver(block, stats, sink);
        }
        self.drain_contiguous(budget, stats, sink);
    }

    /// `seq > next`: compare with what is buffered, buffer the rest within the caps.
    fn insert_out_of_order(
        &mut self,
        seq: u64,
        data: &[u8],
        res: &mut Inserted,
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
    ) {
        let end = seq + data.len() as u64;
        let max_blocks = self.max_blocks as usize;
        let mut room = (self.max_buffered as usize)
            .saturating_sub(self.buffered())
            .min(budget.room());
        if room == 0 && self.ooo.is_none() {
            // Nothing buffered to compare with and no room: drop without allocating.
            res.dropped += data.len() as u64;
            return;
        }
        let buf = self.ooo.get_or_insert_with(Default::default);
        let mut cur = seq;
        let mut i = buf.blocks.partition_point(|b| b.end() <= cur);
        while cur < end {
            if let Some(b) = buf.blocks.get(i).filter(|b| b.start <= cur) {
                let ov_end = b.end().min(end);
                let new = &data[(cur - seq) as usize..(ov_end - seq) as usize];
                res.overlap = true;
                stats.retransmitted_bytes += new.len() as u64;
                if !deque_eq(&b.data, (cur - b.start) as usize, new) {
                    res.conflict = true;
                }
                cur = ov_end;
                i += 1;
                continue;
            }
            let piece_end = buf.blocks.get(i).map_or(end, |b| b.start.min(end));
            let piece = &data[(cur - seq) as usize..(piece_end - seq) as usize];
            let take = piece.len().min(room);
            let stored = if take > 0 && buf.store(cur, &piece[..take], max_blocks) {
                take
            } else {
                0
            };
            room -= stored;
            budget.take(stored);
            res.dropped += (piece.len() - stored) as u64;
            cur = piece_end;
            i = buf.blocks.partition_point(|b| b.end() <= cur);
        }
        if buf.blocks.is_empty() {
            self.ooo = None;
        }
    }

    /// The peer acknowledged everything below `up_to`: anything missing below it is a gap
    /// (reported to `sink`), buffered data after the gap is delivered.
    ///
    /// An acknowledgement far beyond what was seen yields a correspondingly large gap: the caller
    /// decides which acknowledgements are plausible.
    pub fn ack(
        &mut self,
        up_to: u64,
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
        sink: &mut dyn StreamSink,
    ) {
        if up_to <= self.next {
            return;
        }
        while self.first_block_start().is_some_and(|s| s < up_to) {
            let Some(block) = self.take_first(budget) else {
                break;
            };
            self.gap_to(block.start, stats, sink);
            self.deliver(block, stats, sink);
        }
        self.gap_to(up_to, stats, sink);
        self.drain_contiguous(budget, stats, sink);
    }

    /// The stream ends: deliver what can be, report the rest as gaps, free the buffer.
    ///
    /// Nothing is known past the last buffered byte, so no gap is reported there. The stream
    /// stays usable: `next_seq()` is past everything delivered.
    pub fn finish(
        &mut self,
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
        sink: &mut dyn StreamSink,
    ) {
        while let Some(block) = self.take_first(budget) {
            self.gap_to(block.start, stats, sink);
            self.deliver(block, stats, sink);
        }
    }

    /// Frees the buffered data without delivering it (for a stream abandoned without a report)
    /// and gives its bytes back to `budget`. Returns the number of bytes discarded.
    pub fn discard(&mut self, budget: &mut ReassemblyBudget) -> usize {
        let n = self.buffered();
        self.ooo = None;
        budget.give_back(n);
        n
    }

    /// Next expected relative sequence number.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Out-of-order bytes currently buffered.
    pub fn buffered(&self) -> usize {
        self.ooo.as_ref().map_or(0, |b| b.bytes)
    }

    /// Disjoint out-of-order blocks currently buffered.
    pub fn buffered_blocks(&self) -> usize {
        self.ooo.as_ref().map_or(0, |b| b.blocks.len())
    }

    fn first_block_start(&self) -> Option<u64> {
        self.ooo.as_ref()?.blocks.first().map(|b| b.start)
    }

    /// Removes the first buffered block, giving its bytes back to the budget and freeing the
    /// buffer when it was the last.
    fn take_first(&mut self, budget: &mut ReassemblyBudget) -> Option<Block> {
        let buf = self.ooo.as_mut()?;
        if buf.blocks.is_empty() {
            self.ooo = None;
            return None;
        }
        let block = buf.blocks.remove(0);
        buf.bytes -= block.data.len();
        budget.give_back(block.data.len());
        if buf.blocks.is_empty() {
            self.ooo = None;
        }
        Some(block)
    }

    /// Declares `[next, to)` a gap if it is not empty.
    fn gap_to(&mut self, to: u64, stats: &mut ReassemblyStats, sink: &mut dyn StreamSink) {
        if to > self.next {
            let len = to - self.next;
            sink.gap(self.next, len);
            stats.gaps += 1;
            stats.gap_bytes += len;
            self.next = to;
        }
    }

    /// Delivers the part of `block` at or after `next` (all of it: blocks start above `next`).
    fn deliver(&mut self, block: Block, stats: &mut ReassemblyStats, sink: &mut dyn StreamSink) {
        let end = block.end();
        let mut skip = self.next.saturating_sub(block.start);
        let (a, b) = block.data.as_slices();
        for part in [a, b] {
            let s = skip.min(part.len() as u64) as usize;
            skip -= s as u64;
            let part = &part[s..];
            if !part.is_empty() {
                sink.data(self.next, part);
                stats.bytes_delivered += part.len() as u64;
                self.next += part.len() as u64;
            }
        }
        self.next = self.next.max(end);
    }

    /// Delivers the buffered blocks that start at `next`.
    fn drain_contiguous(
        &mut self,
        budget: &mut ReassemblyBudget,
        stats: &mut ReassemblyStats,
        sink: &mut dyn StreamSink,
    ) {
        while self.first_block_start().is_some_and(|s| s <= self.next) {
            let Some(block) = self.take_first(budget) else {
                break;
            };
            self.deliver(block, stats, sink);
        }
    }

    /// Panics if the buffer's structural invariants do not hold (fuzzing and tests).
    fn check_invariants(&self) {
        let Some(buf) = &self.ooo else {
            return;
        };
        assert!(!buf.blocks.is_empty(), "empty buffer kept allocated");
        assert!(buf.blocks.len() <= self.max_blocks as usize);
        assert!(buf.bytes <= self.max_buffered as usize);
        let mut sum = 0usize;
        let mut prev_end = self.next;
        for (i, b) in buf.blocks.iter().enumerate() {
            assert!(!b.data.is_empty(), "empty block");
            if i == 0 {
                assert!(b.start > self.next, "block at or below next");
            } else {
                assert!(b.start > prev_end, "blocks overlap or touch");
            }
            assert!(b.start.checked_add(b.data.len() as u64).is_some());
            prev_end = b.end();
            sum += b.data.len();
        }
        assert_eq!(sum, buf.bytes);
    }
}

/// Fuzzing harness body, shared by the `reassembly` cargo-fuzz target and a unit test that runs
/// it over pseudo-random inputs in ordinary CI.
///
/// Input: two configuration bytes (per-stream and global caps, block cap, starting sequence
/// number: 0, 1, around 2^31 and 2^32, or near `u64::MAX`), then operations of four bytes each
/// on two streams sharing one budget: insert (near `next`, possibly straddling it or far below;
/// or near the end of the sequence space), ack (below or above `next`), finish. Segment bytes are
/// a function of their sequence number, or its complement for "conflicting" copies.
///
/// Invariants checked after every operation: sink offsets are contiguous (data and gaps
/// alternate without overlap or hole, non-empty, starting at the initial `next` and ending at
/// `next_seq()`); delivered bytes are the pattern (or, once conflicting copies were sent, the
/// pattern or its complement); stats agree with the sink; each insert's bytes are accounted for
/// exactly (delivered or buffered, retransmitted, or dropped); `budget.used` equals the bytes
/// buffered by both streams and stays within the caps; the buffer's blocks are sorted, disjoint,
/// above `next`, within the block cap. At the end both streams are finished and the budget is
/// back to 0.
#[doc(hidden)]
pub fn fuzz_ops(data: &[u8]) {
    struct Check {
        cursor: u64,
        delivered: u64,
        gap_bytes: u64,
        gaps: u64,
        conflicting_sent: bool,
    }
    impl StreamSink for Check {
        fn data(&mut self, offset: u64, bytes: &[u8]) {
            assert_eq!(offset, self.cursor, "data not contiguous");
            assert!(!bytes.is_empty(), "empty data");
            for (i, &b) in bytes.iter().enumerate() {
                let p = pattern(offset + i as u64);
                assert!(
                    b == p || (self.conflicting_sent && b == !p),
                    "wrong byte at {}",
                    offset + i as u64
                );
            }
            self.cursor += bytes.len() as u64;
            self.delivered += bytes.len() as u64;
        }
        fn gap(&mut self, offset: u64, len: u64) {
            assert_eq!(offset, self.cursor, "gap not contiguous");
            assert!(len > 0, "empty gap");
            self.cursor += len;
            self.gap_bytes += len;
            self.gaps += 1;
        }
    }
    fn pattern(p: u64) -> u8 {
        (p.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
    }
    const STARTS: [u64; 8] = [
        0,
        1,
        (1 << 31) - 3,
        (1 << 32) - 40,
        1 << 32,
        u64::MAX - 700,
        u64::MAX - 60,
        u64::MAX,
    ];

    let (cfg, rest) = match data {
        [a, b, rest @ ..] => ((*a, *b), rest),
        _ => return,
    };
    let max_buffered = usize::from(cfg.0 & 0x0f) * 9;
    let mut budget = ReassemblyBudget::new(usize::from(cfg.0 >> 4) * 13);
    let max_blocks = [1usize, 2, 3, 64][usize::from(cfg.1 >> 6)];
    let start = STARTS[usize::from(cfg.1 & 7)];
    let start2 = start.saturating_add(u64::from((cfg.1 >> 3) & 7) * 1000);
    let mut streams = [
        StreamReassembler::new(start, max_buffered),
        StreamReassembler::new(start2, max_buffered),
    ];
    let mut stats = [ReassemblyStats::default(); 2];
    let mut sinks = [start, start2].map(|s| Check {
        cursor: s,
        delivered: 0,
        gap_bytes: 0,
        gaps: 0,
        conflicting_sent: false,
    });
    for r in &mut streams {
        r.set_max_blocks(max_blocks);
    }
    let mut buf = [0u8; 300];

    for op in rest.chunks(4) {
        let mut b = [0u8; 4];
        b[..op.len()].copy_from_slice(op);
        let [op, x, y, z] = b;
        let s = usize::from(op & 1);
        let (r, st, sink) = (&mut streams[s], &mut stats[s], &mut sinks[s]);
        let next = r.next_seq();
        match (op >> 1) % 8 {
            kind @ 0..=5 => {
                let seq = match kind {
                    5 => u64::MAX - u64::from(x),
                    4 if z & 0x40 != 0 => next.saturating_sub(u64::from(x) * 97),
                    _ => next.saturating_add(u64::from(x)).saturating_sub(24),
                };
                let len = if z & 0x20 != 0 {
                    usize::from(y)
                } else {
                    usize::from(y % 40)
                };
                let conflicting = z & 0x80 != 0 && z & 0x10 != 0;
                sink.conflicting_sent |= conflicting;
                for (i, v) in buf[..len].iter_mut().enumerate() {
                    let p = pattern(seq.wrapping_add(i as u64));
                    *v = if conflicting { !p } else { p };
                }
                let before = (*st, r.buffered());
                let ins = r.insert(seq, &buf[..len], &mut budget, st, sink);
                let accounted = (st.bytes_delivered - before.0.bytes_delivered)
                    + r.buffered() as u64
                    - before.1 as u64
                    + (st.retransmitted_bytes - before.0.retransmitted_bytes)
                    + ins.dropped;
                assert_eq!(accounted, len as u64, "insert bytes unaccounted");
                assert_eq!(
                    st.dropped_bytes_cap - before.0.dropped_bytes_cap,
                    ins.dropped
                );
                assert_eq!(
                    st.overlap_conflicts - before.0.overlap_conflicts,
                    u64::from(ins.conflict)
                );
                assert!(!ins.conflict || ins.overlap);
                assert!(!ins.conflict || sink.conflicting_sent);
                assert!(r.next_seq() >= next);
            }
            6 => {
                let up_to = if z & 1 != 0 {
                    next.saturating_sub(u64::from(x))
                } else {
                    next.saturating_add(u64::from(x) * u64::from(y % 4 + 1))
                };
                r.ack(up_to, &mut budget, st, sink);
                assert!(r.next_seq() >= up_to.max(next));
            }
            _ => {
                r.finish(&mut budget, st, sink);
                assert_eq!(r.buffered(), 0);
            }
        }
        for (i, r) in streams.iter().enumerate() {
            r.check_invariants();
            let (st, sink) = (&stats[i], &sinks[i]);
            assert_eq!(sink.cursor, r.next_seq(), "sink behind next");
            assert_eq!(st.bytes_delivered, sink.delivered);
            assert_eq!(st.gap_bytes, sink.gap_bytes);
            assert_eq!(st.gaps, sink.gaps);
        }
        assert_eq!(
            budget.used,
            streams[0].buffered() + streams[1].buffered(),
            "budget out of step"
        );
        assert!(budget.used <= budget.max_bytes);
        assert!(budget.peak >= budget.used);
    }
    for (i, r) in streams.iter_mut().enumerate() {
        r.finish(&mut budget, &mut stats[i], &mut sinks[i]);
        r.check_invariants();
        assert_eq!(r.buffered(), 0);
        assert_eq!(sinks[i].cursor, r.next_seq());
    }
    assert_eq!(budget.used, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Data(u64, Vec<u8>),
        Gap(u64, u64),
    }

    #[derive(Default)]
    struct Sink(Vec<Ev>);

    impl StreamSink for Sink {
        fn data(&mut self, offset: u64, bytes: &[u8]) {
            // Merge contiguous deliveries so tests do not depend on how a block was split.
            if let Some(Ev::Data(o, d)) = self.0.last_mut() {
                if *o + d.len() as u64 == offset {
                    d.extend_from_slice(bytes);
                    return;
                }
            }
            self.0.push(Ev::Data(offset, bytes.to_vec()));
        }
        fn gap(&mut self, offset: u64, len: u64) {
            self.0.push(Ev::Gap(offset, len));
        }
    }

    struct T {
        r: StreamReassembler,
        budget: ReassemblyBudget,
        stats: ReassemblyStats,
        sink: Sink,
    }

    impl T {
        fn new(next: u64, max_buffered: usize, global: usize) -> T {
            T {
                r: StreamReassembler::new(next, max_buffered),
                budget: ReassemblyBudget::new(global),
                stats: ReassemblyStats::default(),
                sink: Sink::default(),
            }
        }
        fn ins(&mut self, seq: u64, data: &[u8]) -> Inserted {
            let i = self
                .r
                .insert(seq, data, &mut self.budget, &mut self.stats, &mut self.sink);
            self.r.check_invariants();
            assert_eq!(self.budget.used, self.r.buffered());
            i
        }
        fn ack(&mut self, up_to: u64) {
            self.r
                .ack(up_to, &mut self.budget, &mut self.stats, &mut self.sink);
            self.r.check_invariants();
            assert_eq!(self.budget.used, self.r.buffered());
        }
        fn finish(&mut self) {
            self.r
                .finish(&mut self.budget, &mut self.stats, &mut self.sink);
            self.r.check_invariants();
            assert_eq!(self.r.buffered(), 0);
            assert_eq!(self.budget.used, 0);
        }
        fn events(&mut self) -> Vec<Ev> {
            std::mem::take(&mut self.sink.0)
        }
    }

    fn d(o: u64, s: &[u8]) -> Ev {
        Ev::Data(o, s.to_vec())
    }

    #[test]
    fn idle_stream_is_three_words() {
        assert_eq!(std::mem::size_of::<StreamReassembler>(), 24);
    }

    #[test]
    fn in_order_is_delivered_without_buffering() {
        let mut t = T::new(1, 100, 100);
        assert_eq!(t.ins(1, b"hello"), Inserted::default());
        assert_eq!(t.ins(6, b" world"), Inserted::default());
        assert!(t.r.ooo.is_none());
        assert_eq!(t.events(), vec![d(1, b"hello world")]);
        assert_eq!(t.r.next_seq(), 12);
        assert_eq!(t.stats.segments, 2);
        assert_eq!(t.stats.bytes_delivered, 11);
        assert_eq!(t.budget.peak, 0);
    }

    #[test]
    fn empty_segment_is_ignored() {
        let mut t = T::new(5, 100, 100);
        assert_eq!(t.ins(9, b""), Inserted::default());
        assert_eq!(t.ins(5, b""), Inserted::default());
        assert_eq!(t.stats, ReassemblyStats::default());
        assert!(t.events().is_empty());
    }

    #[test]
    fn retransmission_below_next() {
        let mut t = T::new(0, 100, 100);
        t.ins(0, b"abcdef");
        let i = t.ins(2, b"XY");
        assert!(
            i.overlap && !i.conflict,
            "delivered data cannot be compared"
        );
        assert_eq!(t.stats.retransmitted_bytes, 2);
        // Straddling: the new part is delivered.
        let i = t.ins(4, b"efgh");
        assert!(i.overlap && !i.conflict);
        assert_eq!(t.stats.retransmitted_bytes, 4);
        assert_eq!(t.events(), vec![d(0, b"abcdefgh")]);
        assert_eq!(t.r.next_seq(), 8);
    }

    #[test]
    fn out_of_order_is_buffered_then_delivered() {
        let mut t = T::new(10, 100, 100);
        assert_eq!(t.ins(15, b"fgh"), Inserted::default());
        assert_eq!(t.ins(20, b"kl"), Inserted::default());
        assert!(t.events().is_empty());
        assert_eq!(t.r.buffered(), 5);
        assert_eq!(t.r.buffered_blocks(), 2);
        assert_eq!(t.budget.used, 5);
        // Fills the first hole: the block behind it follows; the second hole remains.
        t.ins(10, b"abcde");
        assert_eq!(t.events(), vec![d(10, b"abcdefgh")]);
        assert_eq!(t.r.next_seq(), 18);
        assert_eq!(t.r.buffered(), 2);
        t.ins(18, b"ij");
        assert_eq!(t.events(), vec![d(18, b"ijkl")]);
        assert_eq!(t.r.buffered(), 0);
        assert!(t.r.ooo.is_none(), "buffer freed");
        assert_eq!(t.budget.used, 0);
        assert_eq!(t.budget.peak, 5);
        assert_eq!(t.stats.bytes_delivered, 12);
    }

    #[test]
    fn blocks_merge_in_any_order() {
        let mut t = T::new(0, 100, 100);
        t.ins(6, b"gh");
        t.ins(4, b"ef"); // touches the next block
        t.ins(10, b"kl");
        t.ins(8, b"ij"); // bridges two blocks
        t.ins(12, b"m"); // touches the previous block
        assert_eq!(t.r.buffered_blocks(), 1);
        assert_eq!(t.r.buffered(), 9);
        t.ins(0, b"abcd");
        assert_eq!(t.events(), vec![d(0, b"abcdefghijklm")]);
        assert_eq!(t.budget.used, 0);
    }

    #[test]
    fn bridge_merges_smaller_into_larger_both_ways() {
        // Earlier part smaller than the later one: moved in front of it.
        let mut t = T::new(0, 100, 100);
        t.ins(2, b"c");
        t.ins(4, b"efghijkl");
        t.ins(3, b"d");
        assert_eq!(t.r.buffered_blocks(), 1);
        t.ins(0, b"ab");
        assert_eq!(t.events(), vec![d(0, b"abcdefghijkl")]);
        // Earlier part larger: the later one is appended.
        let mut t = T::new(0, 100, 100);
        t.ins(2, b"cdefghijk");
        t.ins(12, b"m");
        t.ins(11, b"l");
        assert_eq!(t.r.buffered_blocks(), 1);
        t.ins(0, b"ab");
        assert_eq!(t.events(), vec![d(0, b"abcdefghijklm")]);
    }

    #[test]
    fn overlap_first_copy_wins() {
        let mut t = T::new(0, 100, 100);
        t.ins(4, b"EFGH");
        // Exact duplicate: overlap, no conflict.
        let i = t.ins(4, b"EFGH");
        assert!(i.overlap && !i.conflict);
        // Partial overlap with identical bytes plus new bytes.
        let i = t.ins(6, b"GHIJ");
        assert!(i.overlap && !i.conflict);
        // Different bytes: conflict, the first copy is kept.
        let i = t.ins(5, b"xyz");
        assert!(i.overlap && i.conflict);
        assert_eq!(t.stats.overlap_conflicts, 1);
        // In-order segment overlapping the buffer with different bytes: conflict, buffered wins,
        // its own bytes beyond the buffer are delivered.
        let i = t.ins(0, b"abcd______KLM");
        assert!(i.overlap && i.conflict);
        assert_eq!(t.stats.overlap_conflicts, 2);
        assert_eq!(t.events(), vec![d(0, b"abcdEFGHIJKLM")]);
        assert_eq!(t.stats.retransmitted_bytes, 4 + 2 + 3 + 6);
        assert_eq!(t.stats.bytes_delivered, 13);
        assert_eq!(t.budget.used, 0);
    }

    #[test]
    fn in_order_segment_spanning_several_blocks() {
        let mut t = T::new(0, 100, 100);
        t.ins(2, b"CD");
        t.ins(6, b"GH");
        t.ins(12, b"MN");
        let i = t.ins(0, b"abcdefghij");
        assert!(i.overlap && i.conflict);
        assert_eq!(t.events(), vec![d(0, b"abCDefGHij")]);
        assert_eq!(t.r.buffered(), 2);
        let i = t.ins(10, b"klMN");
        assert!(i.overlap && !i.conflict);
        assert_eq!(t.events(), vec![d(10, b"klMN")]);
        assert_eq!(t.budget.used, 0);
    }

    #[test]
    fn segment_covering_holes_between_blocks() {
        let mut t = T::new(0, 100, 100);
        t.ins(3, b"d");
        t.ins(7, b"h");
        let i = t.ins(2, b"cdefghij");
        assert!(i.overlap && !i.conflict);
        assert_eq!(t.r.buffered_blocks(), 1);
        assert_eq!(t.r.buffered(), 8);
        assert_eq!(t.stats.retransmitted_bytes, 2);
        t.ins(0, b"ab");
        assert_eq!(t.events(), vec![d(0, b"abcdefghij")]);
    }

    #[test]
    fn ack_declares_holes_and_delivers_blocks_after_them() {
        let mut t = T::new(100, 1000, 1000);
        t.ins(100, b"ab");
        t.ins(105, b"fg");
        t.ins(110, b"kl");
        t.ins(120, b"uv");
        t.events();
        // Below next: nothing.
        t.ack(50);
        t.ack(102);
        assert!(t.events().is_empty());
        // Passes the first two holes; the block at 110 straddles up_to and is delivered whole.
        t.ack(111);
        assert_eq!(
            t.events(),
            vec![
                Ev::Gap(102, 3),
                d(105, b"fg"),
                Ev::Gap(107, 3),
                d(110, b"kl")
            ]
        );
        assert_eq!(t.r.next_seq(), 112);
        // Past the last block and beyond.
        t.ack(130);
        assert_eq!(
            t.events(),
            vec![Ev::Gap(112, 8), d(120, b"uv"), Ev::Gap(122, 8)]
        );
        assert_eq!(t.r.next_seq(), 130);
        assert_eq!(t.stats.gaps, 4);
        assert_eq!(t.stats.gap_bytes, 3 + 3 + 8 + 8);
        assert_eq!(t.budget.used, 0);
        // Late data below the new next is a retransmission.
        let i = t.ins(125, b"zzzzzz");
        assert!(i.overlap);
        assert_eq!(t.events(), vec![d(130, b"z")]);
    }

    #[test]
    fn ack_to_the_start_of_a_block_delivers_it() {
        let mut t = T::new(0, 100, 100);
        t.ins(5, b"fgh");
        t.ins(10, b"k");
        t.ack(5);
        assert_eq!(t.events(), vec![Ev::Gap(0, 5), d(5, b"fgh")]);
        assert_eq!(t.r.next_seq(), 8);
        assert_eq!(t.r.buffered(), 1);
    }

    #[test]
    fn per_stream_cap_drops_and_ack_reports_the_gap() {
        let mut t = T::new(0, 10, 1000);
        assert_eq!(t.ins(4, b"0123456").dropped, 0);
        // 3 bytes of room left: the lowest bytes of the segment are kept.
        let i = t.ins(20, b"abcdef");
        assert_eq!(i.dropped, 3);
        assert_eq!(t.r.buffered(), 10);
        assert_eq!(t.budget.used, 10);
        assert_eq!(t.stats.dropped_bytes_cap, 3);
        // Full: everything new is dropped, overlaps are still compared.
        let i = t.ins(30, b"x");
        assert_eq!(i.dropped, 1);
        let i = t.ins(4, b"0123456789");
        assert_eq!(i.dropped, 3);
        assert!(i.overlap && !i.conflict);
        assert_eq!(t.stats.dropped_bytes_cap, 7);
        t.ack(31);
        assert_eq!(
            t.events(),
            vec![
                Ev::Gap(0, 4),
                d(4, b"0123456"),
                Ev::Gap(11, 9),
                d(20, b"abc"),
                Ev::Gap(23, 8)
            ]
        );
        assert_eq!(t.budget.used, 0);
        assert_eq!(t.budget.peak, 10);
    }

    #[test]
    fn global_budget_is_shared_and_exact() {
        let mut budget = ReassemblyBudget::new(12);
        let mut stats = ReassemblyStats::default();
        let mut sink = Sink::default();
        let mut a = StreamReassembler::new(0, 100);
        let mut b = StreamReassembler::new(1 << 40, 100);
        assert_eq!(
            a.insert(10, &[1; 8], &mut budget, &mut stats, &mut sink)
                .dropped,
            0
        );
        assert_eq!(budget.used, 8);
        let i = b.insert((1 << 40) + 5, &[2; 8], &mut budget, &mut stats, &mut sink);
        assert_eq!(i.dropped, 4);
        assert_eq!((a.buffered(), b.buffered(), budget.used), (8, 4, 12));
        assert_eq!(budget.peak, 12);
        // In-order data needs no budget.
        b.insert(1 << 40, &[3; 3], &mut budget, &mut stats, &mut sink);
        assert_eq!(sink.0.len(), 1);
        // Freeing one stream's data makes room for the other.
        a.insert(0, &[0; 10], &mut budget, &mut stats, &mut sink);
        assert_eq!((a.buffered(), budget.used), (0, 4));
        let i = b.insert((1 << 40) + 20, &[4; 9], &mut budget, &mut stats, &mut sink);
        assert_eq!(i.dropped, 1);
        assert_eq!(budget.used, 12);
        assert_eq!(b.discard(&mut budget), 12);
        assert_eq!(budget.used, 0);
        assert_eq!(budget.peak, 12);
        assert_eq!(stats.dropped_bytes_cap, 5);
    }

    #[test]
    fn block_cap_drops_new_blocks_only() {
        let mut t = T::new(0, 1000, 1000);
        t.r.set_max_blocks(2);
        t.ins(10, b"a");
        t.ins(20, b"b");
        assert_eq!(t.ins(30, b"c").dropped, 1);
        // Extending or bridging existing blocks needs no new block.
        assert_eq!(t.ins(11, b"a").dropped, 0);
        assert_eq!(t.ins(12, b"aaaaaaaa").dropped, 0);
        assert_eq!(t.r.buffered_blocks(), 1);
        assert_eq!(t.ins(30, b"c").dropped, 0);
        assert_eq!(t.stats.dropped_bytes_cap, 1);
        assert_eq!(t.r.buffered_blocks(), 2);

        let mut t = T::new(0, 100_000, 100_000);
        for k in 0..DEFAULT_MAX_BLOCKS as u64 {
            assert_eq!(t.ins(10 + 2 * k, b"x").dropped, 0);
        }
        assert_eq!(t.ins(1000, b"y").dropped, 1);
        assert_eq!(t.r.buffered_blocks(), DEFAULT_MAX_BLOCKS);
    }

    #[test]
    fn zero_caps_buffer_nothing() {
        let mut t = T::new(0, 0, 1000);
        assert_eq!(t.ins(5, b"abc").dropped, 3);
        assert!(t.r.ooo.is_none());
        let mut t = T::new(0, 1000, 0);
        assert_eq!(t.ins(5, b"abc").dropped, 3);
        assert_eq!(t.ins(0, b"abcde").dropped, 0);
        assert_eq!(t.events(), vec![d(0, b"abcde")]);
    }

    #[test]
    fn finish_declares_holes_and_delivers_everything() {
        let mut t = T::new(0, 100, 100);
        t.ins(0, b"ab");
        t.ins(4, b"ef");
        t.ins(9, b"j");
        t.events();
        t.finish();
        assert_eq!(
            t.events(),
            vec![Ev::Gap(2, 2), d(4, b"ef"), Ev::Gap(6, 3), d(9, b"j")]
        );
        assert_eq!(t.r.next_seq(), 10);
        assert!(t.r.ooo.is_none());
        assert_eq!(t.stats.gaps, 2);
        assert_eq!(t.stats.gap_bytes, 5);
        // Nothing buffered: nothing to do.
        t.finish();
        assert!(t.events().is_empty());
    }

    #[test]
    fn sequence_numbers_beyond_32_bits() {
        let base = (1u64 << 32) - 3;
        let mut t = T::new(base, 100, 100);
        t.ins(base + 5, b"fgh");
        t.ins(base, b"abc");
        t.ins(base + 3, b"de");
        assert_eq!(t.events(), vec![d(base, b"abcdefgh")]);
        assert_eq!(t.r.next_seq(), (1 << 32) + 5);
        let far = 5u64 << 40;
        t.ins(far, b"zz");
        t.ack(far + 1);
        assert_eq!(
            t.events(),
            vec![Ev::Gap((1 << 32) + 5, far - (1 << 32) - 5), d(far, b"zz")]
        );
    }

    #[test]
    fn sequence_numbers_near_the_end_of_the_space() {
        let top = u64::MAX - 4;
        let mut t = T::new(top, 100, 100);
        // Only 4 bytes fit below u64::MAX (the last representable end).
        let i = t.ins(top + 2, b"cdefgh");
        assert_eq!(i.dropped, 4);
        t.ins(top, b"ab");
        assert_eq!(t.events(), vec![d(top, b"abcd")]);
        assert_eq!(t.r.next_seq(), u64::MAX);
        // Nothing more fits; nothing panics.
        assert_eq!(t.ins(u64::MAX, b"x").dropped, 1);
        let i = t.ins(u64::MAX - 1, b"xy");
        assert!(i.overlap);
        assert_eq!(i.dropped, 1);
        t.ack(u64::MAX);
        t.finish();
        assert!(t.events().is_empty());

        let mut t = T::new(0, 100, 100);
        assert_eq!(t.ins(u64::MAX - 1, b"abc").dropped, 2);
        t.ack(u64::MAX);
        assert_eq!(
            t.events(),
            vec![Ev::Gap(0, u64::MAX - 1), d(u64::MAX - 1, b"a")]
        );
    }

    #[test]
    fn huge_segments() {
        let big = vec![7u8; 1 << 20];
        let mut t = T::new(0, 1000, 1000);
        let i = t.ins(10, &big);
        assert_eq!(i.dropped, (1 << 20) - 1000);
        t.ins(0, &big);
        assert_eq!(t.stats.bytes_delivered, 1 << 20);
        assert_eq!(t.r.next_seq(), 1 << 20);
        assert_eq!(t.budget.used, 0);
    }

    #[test]
    fn reverse_order_single_bytes_merge_into_one_block() {
        let n = 5000u64;
        let mut t = T::new(0, 10_000, 10_000);
        for k in (1..n).rev() {
            t.ins(k, &[k as u8]);
            assert_eq!(t.r.buffered_blocks(), 1);
        }
        t.ins(0, &[0]);
        let want: Vec<u8> = (0..n).map(|k| k as u8).collect();
        assert_eq!(t.events(), vec![d(0, &want)]);
    }

    #[test]
    fn discard_releases_budget() {
        let mut t = T::new(0, 100, 100);
        t.ins(5, b"abc");
        t.ins(10, b"d");
        assert_eq!(t.r.discard(&mut t.budget), 4);
        assert_eq!(t.budget.used, 0);
        assert!(t.r.ooo.is_none());
        t.finish();
        assert!(t.events().is_empty());
    }

    #[test]
    fn fuzz_ops_on_pseudo_random_inputs() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut input = Vec::new();
        for _ in 0..20_000 {
            input.clear();
            let len = (next() % 400) as usize;
            for _ in 0..len {
                input.push(next() as u8);
            }
            fuzz_ops(&input);
        }
        // Edge inputs.
        fuzz_ops(&[]);
        fuzz_ops(&[0xff]);
        fuzz_ops(&[0xff; 64]);
        fuzz_ops(&[0; 64]);
    }
}
