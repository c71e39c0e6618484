//! Property tests of TCP stream reassembly: random streams cut into random segments (1-byte ones,
//! several overlapping re-segmentations of the same data, random overlapping ranges), shuffled
//! and partly duplicated, inserted with starting sequence numbers around 0, 2^32 and near the end
//! of the 64-bit space.
//!
//! 1. Everything inserted, then `finish`: the stream comes out exactly, without gaps, and the
//!    budget is back to 0.
//! 2. Some segments withheld, small caps, random acks: delivered ranges and gaps tile
//!    `[start, end)` exactly and every delivered byte is the original; without caps the gaps are
//!    exactly the bytes never sent.
//! 3. Conflicting copies of the same ranges: every delivered byte is the first received copy,
//!    conflicts, overlaps and retransmitted bytes are counted exactly.

use netloupe_flow::reassembly::{
    Inserted, ReassemblyBudget, ReassemblyStats, StreamReassembler, StreamSink,
};

/// xorshift64*: enough randomness for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// Records the sink calls, checking on the fly that they are contiguous from `start`.
struct Recorder {
    start: u64,
    cursor: u64,
    /// Delivered bytes by offset from `start` (None: not delivered).
    got: Vec<Option<u8>>,
    gaps: Vec<(u64, u64)>,
}

impl Recorder {
    fn new(start: u64, len: usize) -> Self {
        Recorder {
            start,
            cursor: start,
            got: vec![None; len],
            gaps: Vec::new(),
        }
    }
}

impl StreamSink for Recorder {
    fn data(&mut self, offset: u64, bytes: &[u8]) {
        assert_eq!(offset, self.cursor, "data not contiguous");
        assert!(!bytes.is_empty());
        for (i, &b) in bytes.iter().enumerate() {
            let k = (offset - self.start) as usize + i;
            assert!(k < self.got.len(), "data past the end of the stream");
            assert!(self.got[k].is_none(), "byte delivered twice");
            self.got[k] = Some(b);
        }
        self.cursor += bytes.len() as u64;
    }
    fn gap(&mut self, offset: u64, len: u64) {
        assert_eq!(offset, self.cursor, "gap not contiguous");
        assert!(len > 0);
        self.gaps.push((offset, len));
        self.cursor += len;
    }
}

/// A starting sequence number with room for `n` bytes: near 0, across 2^31 and 2^32, far above,
/// or ending exactly at the top of the 64-bit space.
fn start_seq(rng: &mut Rng, n: usize) -> u64 {
    let n = n as u64;
    match rng.below(6) {
        0 => rng.below(3),
        1 => (1 << 31) - rng.below(n + 1),
        2 => (1 << 32) - rng.below(n + 1),
        3 => (rng.below(1 << 20) + 2) << 32,
        4 => u64::MAX - n - rng.below(3),
        _ => u64::MAX - n,
    }
}

/// Segments `(offset, len)` over `0..n`: one to three complete segmentations with random sizes
/// (some all 1-byte, some MSS-like), plus random ranges.
fn segments(rng: &mut Rng, n: usize) -> Vec<(usize, usize)> {
    let mut segs = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let max = [1, 2, 7, 40, 536, 1460][rng.below(6) as usize];
        let mut off = 0;
        while off < n {
            let len = (1 + rng.below(max)).min((n - off) as u64) as usize;
            segs.push((off, len));
            off += len;
        }
    }
    if n > 0 {
        for _ in 0..rng.below(10) {
            let off = rng.below(n as u64) as usize;
            let len = 1 + rng.below((n - off) as u64) as usize;
            segs.push((off, len));
        }
    }
    segs
}

/// Shuffles `segs` (fully, or only locally as real reordering does) and duplicates some.
fn reorder(rng: &mut Rng, segs: &mut Vec<(usize, usize)>) {
    if rng.chance(50) {
        rng.shuffle(segs);
    } else {
        let window = 2 + rng.below(8) as usize;
        for chunk in segs.chunks_mut(window) {
            rng.shuffle(chunk);
        }
    }
    let dups = rng.below(segs.len() as u64 / 4 + 2);
    for _ in 0..dups {
        if segs.is_empty() {
            break;
        }
        let s = segs[rng.below(segs.len() as u64) as usize];
        let at = rng.below(segs.len() as u64 + 1) as usize;
        segs.insert(at, s);
    }
}

#[test]
fn complete_stream_is_reassembled_exactly() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..3000 {
        let n = match rng.below(4) {
            0 => rng.below(16) as usize,
            1 | 2 => rng.below(600) as usize,
            _ => rng.below(5000) as usize,
        };
        let stream = rng.bytes(n);
        let start = start_seq(&mut rng, n);
        let mut segs = segments(&mut rng, n);
        reorder(&mut rng, &mut segs);

        // Caps large enough for the whole stream (duplicates are not buffered twice).
        let mut r = StreamReassembler::new(start, n);
        r.set_max_blocks(usize::MAX);
        let mut budget = ReassemblyBudget::new(n);
        let mut stats = ReassemblyStats::default();
        let mut sink = Recorder::new(start, n);
        for &(off, len) in &segs {
            let ins = r.insert(
                start + off as u64,
                &stream[off..off + len],
                &mut budget,
                &mut stats,
                &mut sink,
            );
            assert!(!ins.conflict, "case {case}");
            assert_eq!(ins.dropped, 0, "case {case}");
            assert_eq!(budget.used, r.buffered(), "case {case}");
        }
        r.finish(&mut budget, &mut stats, &mut sink);

        assert!(sink.gaps.is_empty(), "case {case}: gaps {:?}", sink.gaps);
        let got: Vec<u8> = sink.got.iter().map(|b| b.expect("byte missing")).collect();
        assert!(got == stream, "case {case}: stream differs");
        assert_eq!(r.next_seq(), start + n as u64, "case {case}");
        assert_eq!(r.buffered(), 0, "case {case}");
        assert_eq!(budget.used, 0, "case {case}");
        assert!(budget.peak <= n, "case {case}");
        let sent: usize = segs.iter().map(|s| s.1).sum();
        assert_eq!(stats.bytes_delivered, n as u64, "case {case}");
        assert_eq!(
            stats.retransmitted_bytes,
            (sent - n) as u64,
            "case {case}: every byte beyond the first copy is a retransmission"
        );
        assert_eq!(stats.segments, segs.len() as u64, "case {case}");
        assert_eq!(
            (stats.gaps, stats.overlap_conflicts, stats.dropped_bytes_cap),
            (0, 0, 0)
        );
    }
}

#[test]
fn withheld_segments_become_gaps_that_tile_the_stream() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for case in 0..3000 {
        let max = if rng.chance(20) { 4000 } else { 500 };
        let n = 1 + rng.below(max) as usize;
        let stream = rng.bytes(n);
        let start = start_seq(&mut rng, n);
        let mut segs = segments(&mut rng, n);
        reorder(&mut rng, &mut segs);
        let withhold = rng.below(40);
        segs.retain(|_| !rng.chance(withhold));

        // Half the cases without caps (then the gaps are exactly the bytes never sent), half with
        // small per-stream, global and block caps. Some cases with acknowledgements on the way.
        let capped = rng.chance(50);
        let (max_buffered, global) = if capped {
            (
                rng.below(n as u64 + 1) as usize,
                rng.below(n as u64 + 1) as usize,
            )
        } else {
            (n, n)
        };
        let mut r = StreamReassembler::new(start, max_buffered);
        r.set_max_blocks(if capped {
            1 + rng.below(8) as usize
        } else {
            usize::MAX
        });
        let mut budget = ReassemblyBudget::new(global);
        let mut stats = ReassemblyStats::default();
        let mut sink = Recorder::new(start, n);
        let acks = rng.chance(30);
        let mut sent = vec![false; n];
        for &(off, len) in &segs {
            let ins = r.insert(
                start + off as u64,
                &stream[off..off + len],
                &mut budget,
                &mut stats,
                &mut sink,
            );
            assert!(!ins.conflict, "case {case}");
            assert!(r.buffered() <= max_buffered && budget.used <= global);
            assert_eq!(budget.used, r.buffered(), "case {case}");
            sent[off..off + len].iter_mut().for_each(|s| *s = true);
            if acks && rng.chance(10) {
                // The peer acknowledges up to some point not beyond the end of the stream.
                let up_to = start + rng.below(n as u64 + 1);
                r.ack(up_to, &mut budget, &mut stats, &mut sink);
                assert!(r.next_seq() >= up_to);
            }
        }
        // The end of the stream is acknowledged (as a FIN's ACK would), before or after finish.
        if rng.chance(50) {
            r.finish(&mut budget, &mut stats, &mut sink);
            r.ack(start + n as u64, &mut budget, &mut stats, &mut sink);
        } else {
            r.ack(start + n as u64, &mut budget, &mut stats, &mut sink);
            assert_eq!(r.buffered(), 0, "case {case}: ack of the end delivers all");
            r.finish(&mut budget, &mut stats, &mut sink);
        }

        assert_eq!(sink.cursor, start + n as u64, "case {case}: not tiled");
        assert_eq!(r.next_seq(), start + n as u64);
        assert_eq!(budget.used, 0, "case {case}");
        let mut in_gap = vec![false; n];
        for &(off, len) in &sink.gaps {
            let k = (off - start) as usize;
            in_gap[k..k + len as usize]
                .iter_mut()
                .for_each(|g| *g = true);
        }
        let mut delivered = 0u64;
        for k in 0..n {
            match sink.got[k] {
                Some(b) => {
                    assert!(!in_gap[k], "case {case}: byte {k} delivered and in a gap");
                    assert_eq!(b, stream[k], "case {case}: byte {k} differs");
                    assert!(sent[k], "case {case}: byte {k} delivered but never sent");
                    delivered += 1;
                }
                None => assert!(in_gap[k], "case {case}: byte {k} neither delivered nor gap"),
            }
            if !capped && !acks {
                assert_eq!(in_gap[k], !sent[k], "case {case}: byte {k}");
            }
        }
        assert_eq!(stats.bytes_delivered, delivered);
        assert_eq!(stats.gap_bytes, n as u64 - delivered);
        assert_eq!(stats.gaps, sink.gaps.len() as u64);
        if !capped {
            assert_eq!(stats.dropped_bytes_cap, 0);
        }
    }
}

#[test]
fn conflicting_retransmissions_keep_the_first_copy() {
    let mut rng = Rng(0x94D0_49BB_1331_11EB);
    let mut total_conflicts = 0;
    for case in 0..3000 {
        let max = if rng.chance(20) { 3000 } else { 300 };
        let n = 1 + rng.below(max) as usize;
        let start = start_seq(&mut rng, n);
        // Several versions of the stream; every segment takes its bytes from one of them.
        let versions: Vec<Vec<u8>> = (0..1 + rng.below(3)).map(|_| rng.bytes(n)).collect();
        let mut segs: Vec<(usize, usize, usize)> = segments(&mut rng, n)
            .into_iter()
            .map(|(o, l)| (o, l, rng.below(versions.len() as u64) as usize))
            .collect();
        // Duplicates with another version of the same range.
        for _ in 0..rng.below(segs.len() as u64 / 2 + 1) {
            let (o, l, _) = segs[rng.below(segs.len() as u64) as usize];
            segs.push((o, l, rng.below(versions.len() as u64) as usize));
        }
        rng.shuffle(&mut segs);

        let mut r = StreamReassembler::new(start, n);
        r.set_max_blocks(usize::MAX);
        let mut budget = ReassemblyBudget::new(n);
        let mut stats = ReassemblyStats::default();
        let mut sink = Recorder::new(start, n);
        // Model: the first copy received of each byte.
        let mut first: Vec<Option<u8>> = vec![None; n];
        let mut conflicts = 0u64;
        let mut retransmitted = 0u64;
        for &(off, len, v) in &segs {
            let bytes = &versions[v][off..off + len];
            let next = (r.next_seq() - start) as usize;
            let mut want = Inserted::default();
            for (k, &b) in (off..off + len).zip(bytes) {
                if let Some(f) = first[k] {
                    want.overlap = true;
                    retransmitted += 1;
                    // Only bytes still buffered (at or above next) can be compared.
                    if k >= next && f != b {
                        want.conflict = true;
                    }
                } else {
                    first[k] = Some(b);
                }
            }
            conflicts += u64::from(want.conflict);
            let ins = r.insert(
                start + off as u64,
                bytes,
                &mut budget,
                &mut stats,
                &mut sink,
            );
            assert_eq!(ins, want, "case {case}: segment {off}+{len}");
        }
        r.finish(&mut budget, &mut stats, &mut sink);

        assert!(sink.gaps.is_empty(), "case {case}");
        assert!(
            sink.got == first,
            "case {case}: not the first-received copy"
        );
        assert_eq!(stats.overlap_conflicts, conflicts, "case {case}");
        assert_eq!(stats.retransmitted_bytes, retransmitted, "case {case}");
        assert_eq!(budget.used, 0);
        total_conflicts += conflicts;
    }
    assert!(total_conflicts > 1000, "too few conflicts exercised");
}
