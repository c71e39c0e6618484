//! IPv4 and IPv6 fragment reassembly with bounded memory.
//!
//! Each datagram in progress owns one buffer indexed by payload offset plus a short sorted list
//! of the byte ranges received so far. New data is compared against, and copied only into, the
//! gaps of that list, so a fragment costs O(its length + ranges held), with ranges held capped
//! at `MAX_RANGES`, instead of a rescan of every fragment held.
//!
//! Policies (all attacker-facing choices, so they are spelled out):
//!
//! * **Overlaps: first data wins.** End hosts disagree on which copy of overlapping bytes they
//!   keep (old BSD, Linux, Windows and RFC 5722's "drop the whole IPv6 datagram" all differ), so
//!   no single policy reproduces what every target saw. What matters for an analyser is that the
//!   disagreement is *reported*: each overlapping fragment is counted and raises exactly one
//!   anomaly, `FragmentOverlapDifferentData` if any overlapping byte differs from what is held,
//!   else `FragmentOverlap` (retransmitted duplicates land here). Keeping the first copy means stored bytes are never
//!   rewritten after being compared, and a late injected fragment cannot retroactively change a
//!   payload we have already partly seen; the attacker has to win the race instead. We keep
//!   reassembling rather than dropping (RFC 5722) so the flow stays visible.
//! * **Length: first claim wins.** A last fragment (MF=0) fixes the datagram's end; a later
//!   fragment contradicting it (another end, or data past it, or a last fragment ending before
//!   data already held) is dropped with `FragmentInconsistentLength` and reassembly continues.
//! * **Memory accounting** charges each datagram's buffer, which spans offset 0 to the highest
//!   end seen, not just the bytes received: a lone fragment at offset 60000 really does cost
//!   60 KB here, and counting only its 8 data bytes would let a cheap flood blow the cap.
//!   Outside the cap, but bounded: per-datagram bookkeeping (at most `MAX_RANGES` ranges, so
//!   about 2 KiB, times `max_datagrams`) and the one completed payload currently lent out.
//! * **Atomic fragments** (offset 0, MF=0; RFC 6946) complete on their own and never touch a
//!   datagram in progress with the same identification.

use crate::anomaly::AnomalyDetail;
use crate::{Anomaly, AnomalyKind};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Largest reassembled payload accepted. The IPv4 total length is 16 bits; IPv6 jumbograms are
/// never fragmented (RFC 2675), so the same bound holds there. The IP header length is not known
/// here, so the payload alone is bounded, which is slightly lenient for IPv4.
const MAX_PAYLOAD: u32 = 65_535;

/// Separate byte ranges a datagram may hold before it is abandoned. Real senders produce one
/// range per gap in flight (a handful); a datagram built from hundreds of disjoint pieces is an
/// attack on the reassembler and would make range maintenance quadratic.
const MAX_RANGES: usize = 256;

/// Limits of the defragmenter. Every limit hit is counted and reported as an anomaly.
#[derive(Debug, Clone, Copy)]
pub struct DefragConfig {
    /// Total bytes of fragment data held across all datagrams being reassembled.
    pub max_bytes: usize,
    /// Datagrams being reassembled at once.
    pub max_datagrams: usize,
    /// A datagram not complete this long after its first fragment (packet time) is dropped.
    pub timeout_ns: i64,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            max_bytes: 64 << 20,
            max_datagrams: 16_384,
            timeout_ns: 60_000_000_000,
        }
    }
}

/// Identifies the datagram a fragment belongs to (RFC 791 / RFC 8200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 identification (16 bits) or IPv6 fragment identification (32 bits).
    pub id: u32,
    /// IPv4 protocol field; for IPv6 the next header after the fragment header.
    pub proto: u8,
}

/// One fragment as the IP decoder found it.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    pub key: FragmentKey,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: u32,
    /// More-fragments flag.
    pub more: bool,
    /// The fragment's data (the bytes after the IP header / fragment header).
    pub data: &'a [u8],
}

/// What happened to a fragment.
#[derive(Debug)]
pub enum DefragOutcome<'a> {
    /// Stored; the datagram is not complete yet.
    Held,
    /// The datagram is complete: its whole payload (transport header onwards).
    Complete(&'a [u8]),
    /// The fragment could not be used (the reason was also reported as an anomaly).
    Dropped(AnomalyKind),
}

/// Counters reported in stats.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefragStats {
    /// Fragments pushed, whatever became of them.
    pub fragments: u64,
    pub datagrams_completed: u64,
    pub datagrams_timed_out: u64,
    /// Datagrams thrown out to make room under `max_bytes` / `max_datagrams`.
    pub datagrams_evicted: u64,
    /// Datagrams abandoned as malformed (too large, too many pieces).
    pub datagrams_dropped: u64,
    /// Fragments that were not used (`DefragOutcome::Dropped`).
    pub fragments_dropped: u64,
    /// Fragments overlapping data already held, duplicates included.
    pub overlaps: u64,
    /// The subset of `overlaps` whose overlapping bytes differed from those held.
    pub overlaps_different_data: u64,
    pub bytes_held: u64,
    pub peak_bytes_held: u64,
}

struct Datagram {
    /// Distinguishes this datagram from an earlier one with the same key in `order`.
    serial: u64,
    first_ts: i64,
    /// Payload bytes by offset; `len()` is what is charged against `max_bytes`.
    buf: Vec<u8>,
    /// Received ranges `[start, end)`: sorted, disjoint and never adjacent (adjacent ones are
    /// merged), so a complete datagram is exactly `[(0, total)]`.
    ranges: Vec<(u32, u32)>,
    /// End of the payload, once a last fragment (MF=0) has been accepted.
    total: Option<u32>,
}

pub struct Defragmenter {
    cfg: DefragConfig,
    stats: DefragStats,
    table: HashMap<FragmentKey, Datagram>,
    /// Datagrams in creation order, for expiry and eviction without scanning the table. Entries
    /// of datagrams already gone are skipped lazily (their serial no longer matches) and purged
    /// in bulk by `compact_order`.
    order: VecDeque<(FragmentKey, u64)>,
    next_serial: u64,
    /// Datagrams created (atomic fragments included); used to check that every datagram is
    /// accounted for exactly once.
    started: u64,
    /// The last completed payload, lent out by `Complete`.
    out: Vec<u8>,
}

enum GrowError {
    /// The datagram alone would not fit under `max_bytes`.
    TooBig,
}

impl Defragmenter {
    pub fn new(cfg: DefragConfig) -> Self {
        Defragmenter {
            cfg,
            stats: DefragStats::default(),
            table: HashMap::new(),
            order: VecDeque::new(),
            next_serial: 0,
            started: 0,
            out: Vec::new(),
        }
    }

    /// Adds one fragment seen at `ts_ns`. Anomalies (overlaps, limits hit) are appended to
    /// `anomalies`.
    pub fn push(
        &mut self,
        ts_ns: i64,
        frag: Fragment<'_>,
        anomalies: &mut Vec<Anomaly>,
    ) -> DefragOutcome<'_> {
        self.stats.fragments += 1;
        let key = frag.key;
        let id = AnomalyDetail::Number(u64::from(key.id));

        let end = u32::try_from(frag.data.len())
            .ok()
            .and_then(|len| frag.offset.checked_add(len))
            .filter(|&end| end <= MAX_PAYLOAD);
        let Some(end) = end else {
            // The datagram can never be valid, so what is held of it is useless too.
            if self.remove(&key).is_some() {
                self.stats.datagrams_dropped += 1;
            }
            return self.drop_fragment(&key, AnomalyKind::FragmentTooLarge, id, anomalies);
        };

        if frag.data.is_empty() && frag.more {
            return self.drop_fragment(&key, AnomalyKind::ZeroLengthFragment, id, anomalies);
        }

        if frag.offset == 0 && !frag.more {
            self.started += 1;
            self.stats.datagrams_completed += 1;
            self.out.clear();
            self.out.extend_from_slice(frag.data);
            return DefragOutcome::Complete(&self.out);
        }

        if let Some(dg) = self.table.get(&key) {
            if self.is_expired(dg.first_ts, ts_ns) {
                self.remove(&key);
                self.stats.datagrams_timed_out += 1;
                anomalies.push(anomaly(&key, AnomalyKind::FragmentTimeout, id));
            }
        }

        if !self.table.contains_key(&key) {
            if end as usize > self.cfg.max_bytes || self.cfg.max_datagrams == 0 {
                let why = AnomalyDetail::Text("fragment alone exceeds the reassembly limits");
                return self.drop_fragment(&key, AnomalyKind::FragmentTableFull, why, anomalies);
            }
            while self.table.len() >= self.cfg.max_datagrams {
                if !self.evict_oldest(None, ts_ns, anomalies) {
                    break;
                }
            }
            let serial = self.next_serial;
            self.next_serial += 1;
            self.started += 1;
            self.table.insert(
                key,
                Datagram {
                    serial,
                    first_ts: ts_ns,
                    buf: Vec::new(),
                    ranges: Vec::new(),
                    total: None,
                },
            );
            self.order.push_back((key, serial));
        }

        let Some(dg) = self.table.get(&key) else {
            // Only reachable if max_datagrams eviction could not make room, which the loop
            // above rules out; refuse rather than exceed the cap.
            let why = AnomalyDetail::Text("no room for a new datagram");
            return self.drop_fragment(&key, AnomalyKind::FragmentTableFull, why, anomalies);
        };

        let held_end = dg.ranges.last().map_or(0, |r| r.1);
        let inconsistent = match (dg.total, frag.more) {
            (Some(total), false) => end != total,
            (Some(total), true) => end > total,
            (None, false) => end < held_end,
            (None, true) => false,
        };
        if inconsistent {
            return self.drop_fragment(
                &key,
                AnomalyKind::FragmentInconsistentLength,
                id,
                anomalies,
            );
        }

        if !frag.data.is_empty()
            && dg.ranges.len() >= MAX_RANGES
            && !touches_any(&dg.ranges, frag.offset, end)
        {
            if self.remove(&key).is_some() {
                self.stats.datagrams_dropped += 1;
            }
            let kind = AnomalyKind::Other("too_many_fragments");
            return self.drop_fragment(&key, kind, id, anomalies);
        }

        // Once the end is known, size the buffer for the whole datagram in one go; before
        // that, grow geometrically so in-order tiny fragments don't reallocate every time.
        let (need, want) = match (dg.total, frag.more) {
            (_, false) => (end, end),
            (Some(total), true) => (total, total),
            (None, true) => {
                let doubled = dg.buf.len().saturating_mul(2).min(MAX_PAYLOAD as usize) as u32;
                (end, end.max(doubled))
            }
        };
        if let Err(GrowError::TooBig) = self.grow(&key, need, want, ts_ns, anomalies) {
            let why = AnomalyDetail::Text("datagram exceeds max_bytes");
            return self.drop_fragment(&key, AnomalyKind::FragmentTableFull, why, anomalies);
        }

        let Some(dg) = self.table.get_mut(&key) else {
            let why = AnomalyDetail::Text("datagram lost while making room");
            return self.drop_fragment(&key, AnomalyKind::FragmentTableFull, why, anomalies);
        };
        let overlap = store(dg, frag.offset, frag.data);
        if !frag.more {
            dg.total = Some(end);
        }
        let complete =
            matches!((dg.total, dg.ranges.as_slice()), (Some(total), [(0, e)]) if *e == total);

        match overlap {
            Overlap::None => {}
            Overlap::Same => {
                self.stats.overlaps += 1;
                anomalies.push(anomaly(&key, AnomalyKind::FragmentOverlap, id));
            }
            Overlap::Different => {
                self.stats.overlaps += 1;
                self.stats.overlaps_different_data += 1;
                anomalies.push(anomaly(&key, AnomalyKind::FragmentOverlapDifferentData, id));
            }
        }

        if !complete {
            return DefragOutcome::Held;
        }
        let total = dg.total.unwrap_or(0) as usize;
        let Some(dg) = self.remove(&key) else {
            return DefragOutcome::Held;
        };
        self.stats.datagrams_completed += 1;
        // Hand the datagram's own buffer out instead of copying it.
        self.out = dg.buf;
        self.out.truncate(total);
        DefragOutcome::Complete(&self.out)
    }

    /// Drops datagrams whose first fragment is older than the timeout at packet time `now_ns`.
    ///
    /// Walks datagrams in creation order and stops at the first live one that has not expired,
    /// so a call costs O(datagrams expired + stale entries skipped). When packet time goes
    /// backwards (merged captures), a datagram created later but stamped earlier waits until
    /// those ahead of it expire, or is caught lazily by `push`.
    pub fn expire(&mut self, now_ns: i64, anomalies: &mut Vec<Anomaly>) {
        while let Some(&(key, serial)) = self.order.front() {
            let first_ts = match self.table.get(&key) {
                Some(dg) if dg.serial == serial => dg.first_ts,
                _ => {
                    self.order.pop_front();
                    continue;
                }
            };
            if !self.is_expired(first_ts, now_ns) {
                break;
            }
            self.order.pop_front();
            self.remove(&key);
            self.stats.datagrams_timed_out += 1;
            anomalies.push(anomaly(
                &key,
                AnomalyKind::FragmentTimeout,
                AnomalyDetail::Number(u64::from(key.id)),
            ));
        }
    }

    pub fn stats(&self) -> DefragStats {
        self.stats
    }

    /// Datagrams currently being reassembled.
    pub fn datagrams_in_progress(&self) -> usize {
        self.table.len()
    }

    fn is_expired(&self, first_ts: i64, now_ns: i64) -> bool {
        now_ns.saturating_sub(first_ts) > self.cfg.timeout_ns
    }

    fn drop_fragment(
        &mut self,
        key: &FragmentKey,
        kind: AnomalyKind,
        detail: AnomalyDetail,
        anomalies: &mut Vec<Anomaly>,
    ) -> DefragOutcome<'static> {
        self.stats.fragments_dropped += 1;
        anomalies.push(anomaly(key, kind, detail));
        DefragOutcome::Dropped(kind)
    }

    /// Removes a datagram and releases its bytes. Its `order` entry becomes stale.
    fn remove(&mut self, key: &FragmentKey) -> Option<Datagram> {
        let dg = self.table.remove(key)?;
        self.stats.bytes_held = self.stats.bytes_held.saturating_sub(dg.buf.len() as u64);
        self.compact_order();
        Some(dg)
    }

    /// Purges stale `order` entries once they outnumber live ones, so a table whose datagrams
    /// all complete (and so never reach `expire`) does not grow the queue forever. Amortised
    /// O(1): after a purge the queue holds only live entries and needs `len + 64` more
    /// removals before the next.
    fn compact_order(&mut self) {
        if self.order.len() > 2 * self.table.len() + 64 {
            let table = &self.table;
            self.order
                .retain(|(key, serial)| table.get(key).is_some_and(|dg| dg.serial == *serial));
        }
    }

    /// Removes the oldest datagram other than `keep` to make room. One that has already timed
    /// out at `now_ns` is counted as a timeout rather than an eviction. Returns false when there
    /// is nothing left to remove.
    fn evict_oldest(
        &mut self,
        keep: Option<&FragmentKey>,
        now_ns: i64,
        anomalies: &mut Vec<Anomaly>,
    ) -> bool {
        let mut kept = None;
        let mut removed = false;
        while let Some((key, serial)) = self.order.pop_front() {
            let first_ts = match self.table.get(&key) {
                Some(dg) if dg.serial == serial => dg.first_ts,
                _ => continue,
            };
            if keep == Some(&key) {
                kept = Some((key, serial));
                continue;
            }
            self.remove(&key);
            let detail = AnomalyDetail::Number(u64::from(key.id));
            if self.is_expired(first_ts, now_ns) {
                self.stats.datagrams_timed_out += 1;
                anomalies.push(anomaly(&key, AnomalyKind::FragmentTimeout, detail));
            } else {
                self.stats.datagrams_evicted += 1;
                anomalies.push(anomaly(&key, AnomalyKind::FragmentTableFull, detail));
            }
            removed = true;
            break;
        }
        if let Some(entry) = kept {
            self.order.push_front(entry);
        }
        removed
    }

    /// Makes `key`'s buffer at least `need` bytes long (`want` if that fits without evicting
    /// anyone), evicting the oldest other datagrams as needed.
    fn grow(
        &mut self,
        key: &FragmentKey,
        need: u32,
        want: u32,
        now_ns: i64,
        anomalies: &mut Vec<Anomaly>,
    ) -> Result<(), GrowError> {
        let (need, want) = (need as usize, want.max(need) as usize);
        let cur = self.table.get(key).map_or(0, |dg| dg.buf.len());
        if need <= cur {
            return Ok(());
        }
        if need > self.cfg.max_bytes {
            return Err(GrowError::TooBig);
        }
        let others = |held: u64| (held as usize).saturating_sub(cur);
        let new_len = if others(self.stats.bytes_held).saturating_add(want) <= self.cfg.max_bytes {
            want
        } else {
            while others(self.stats.bytes_held).saturating_add(need) > self.cfg.max_bytes {
                if !self.evict_oldest(Some(key), now_ns, anomalies) {
                    return Err(GrowError::TooBig);
                }
            }
            need
        };
        let Some(dg) = self.table.get_mut(key) else {
            return Err(GrowError::TooBig);
        };
        // Exact reservation keeps the allocation equal to what is charged.
        dg.buf.reserve_exact(new_len - cur);
        dg.buf.resize(new_len, 0);
        self.stats.bytes_held += (new_len - cur) as u64;
        self.stats.peak_bytes_held = self.stats.peak_bytes_held.max(self.stats.bytes_held);
        Ok(())
    }

    /// Checks the internal bookkeeping; for the fuzz target and tests.
    fn check_invariants(&self) {
        let cfg = &self.cfg;
        let held: usize = self.table.values().map(|dg| dg.buf.len()).sum();
        assert_eq!(held as u64, self.stats.bytes_held, "bytes_held out of sync");
        assert!(
            held <= cfg.max_bytes,
            "held {held} > max_bytes {}",
            cfg.max_bytes
        );
        assert!(self.table.len() <= cfg.max_datagrams, "too many datagrams");
        assert!(self.stats.peak_bytes_held >= self.stats.bytes_held);
        assert!(self.stats.overlaps_different_data <= self.stats.overlaps);
        assert!(self.stats.fragments_dropped <= self.stats.fragments);
        let s = &self.stats;
        let finished = s.datagrams_completed
            + s.datagrams_timed_out
            + s.datagrams_evicted
            + s.datagrams_dropped;
        assert_eq!(
            self.started,
            finished + self.table.len() as u64,
            "datagram accounting"
        );
        let live = self
            .order
            .iter()
            .filter(|(key, serial)| self.table.get(key).is_some_and(|dg| dg.serial == *serial))
            .count();
        assert_eq!(
            live,
            self.table.len(),
            "every datagram has exactly one order entry"
        );
        assert!(
            self.order.len() <= 2 * self.table.len() + 64 + 1,
            "order not compacted"
        );
        for dg in self.table.values() {
            assert!(dg.ranges.len() <= MAX_RANGES);
            assert!(dg.ranges.iter().all(|r| r.0 < r.1), "empty range");
            assert!(
                dg.ranges.windows(2).all(|w| w[0].1 < w[1].0),
                "ranges unsorted or adjacent"
            );
            let held_end = dg.ranges.last().map_or(0, |r| r.1);
            assert!(held_end as usize <= dg.buf.len());
            if let Some(total) = dg.total {
                assert!(held_end <= total && total as usize <= dg.buf.len());
            }
        }
    }
}

fn anomaly(key: &FragmentKey, kind: AnomalyKind, detail: AnomalyDetail) -> Anomaly {
    Anomaly {
        kind,
        src: Some(key.src),
        dst: Some(key.dst),
        detail,
    }
}

/// Whether `[start, end)` overlaps or abuts a held range, i.e. would not add a new one.
fn touches_any(ranges: &[(u32, u32)], start: u32, end: u32) -> bool {
    let i = ranges.partition_point(|r| r.1 < start);
    ranges.get(i).is_some_and(|r| r.0 <= end)
}

enum Overlap {
    None,
    Same,
    Different,
}

/// Copies `data` (at `offset`) into the gaps of `dg` and records its range, comparing the parts
/// already held instead of overwriting them (first data wins). The buffer must already reach
/// the data's end.
fn store(dg: &mut Datagram, offset: u32, data: &[u8]) -> Overlap {
    let start = offset as usize;
    let end = start + data.len();
    if data.is_empty() || dg.buf.len() < end {
        return Overlap::None;
    }
    let mut overlap = Overlap::None;
    let mut pos = start;
    let mut i = dg.ranges.partition_point(|r| (r.1 as usize) <= start);
    while pos < end {
        let (held_start, held_end) = match dg.ranges.get(i) {
            Some(&(s, e)) if (s as usize) < end => (s as usize, e as usize),
            _ => (end, end),
        };
        if held_start > pos {
            dg.buf[pos..held_start].copy_from_slice(&data[pos - start..held_start - start]);
            pos = held_start;
        }
        let upto = held_end.min(end);
        if upto > pos {
            if dg.buf[pos..upto] == data[pos - start..upto - start] {
                if let Overlap::None = overlap {
                    overlap = Overlap::Same;
                }
            } else {
                overlap = Overlap::Different;
            }
            pos = upto;
        }
        i += 1;
    }

    let (s, e) = (offset, end as u32);
    let lo = dg.ranges.partition_point(|r| r.1 < s);
    let hi = dg.ranges.partition_point(|r| r.0 <= e);
    if lo >= hi {
        dg.ranges.insert(lo, (s, e));
    } else {
        let merged = (s.min(dg.ranges[lo].0), e.max(dg.ranges[hi - 1].1));
        dg.ranges[lo] = merged;
        dg.ranges.drain(lo + 1..hi);
    }
    overlap
}

/// Runs a byte string as a sequence of fragment operations against a small defragmenter and
/// asserts its invariants after each one. Shared by the `defrag` fuzz target and a unit test so
/// the two cannot drift apart.
///
/// Layout: 3 config bytes (max_bytes / 32, max_datagrams, timeout / 100 ns), then 6-byte ops:
/// `flags, offset_lo, offset_hi, len, ts_delta (i8, x100 ns), len_hi`. Flag bits: 0-1 id,
/// 2 source, 3 IPv6, 4 corrupted data, 5 call expire, 6 MF, 7 wild offset.
///
/// Returns the final stats so the unit test can check the inputs reach every path.
#[doc(hidden)]
pub fn fuzz_check(data: &[u8]) -> DefragStats {
    use std::net::{Ipv4Addr, Ipv6Addr};

    let [b0, b1, b2, ops @ ..] = data else {
        return DefragStats::default();
    };
    let cfg = DefragConfig {
        max_bytes: usize::from(*b0) * 32,
        max_datagrams: usize::from(*b1 % 6),
        timeout_ns: (i64::from(*b2) + 1) * 100,
    };
    let mut d = Defragmenter::new(cfg);
    let mut anomalies = Vec::new();
    let mut ts: i64 = 0;
    let mut pushes = 0u64;
    let mut corrupted_any = false;
    let mut scratch = Vec::new();

    // Every datagram's byte at offset i is `pattern(key bits, i)`; corrupted fragments carry
    // its complement, so any completed byte must be one of the two and sit at its offset.
    let pattern = |sel: u8, i: usize| (i as u8).wrapping_mul(31).wrapping_add(sel.wrapping_mul(7));

    for op in ops.chunks_exact(6) {
        let flags = op[0];
        let sel = flags & 0x0f;
        let raw_off = u16::from_le_bytes([op[1], op[2]]);
        let offset = match (flags & 0x80 != 0, raw_off & 1) {
            (false, _) => u32::from(raw_off & 0x0fff),
            (true, 0) => u32::from(raw_off),
            (true, _) => u32::MAX - u32::from(raw_off),
        };
        let len = usize::from(op[3]) + usize::from(op[5] & 0x0f) * 256;
        ts = ts.saturating_add(i64::from(op[4] as i8) * 100);
        let corrupt = flags & 0x10 != 0;
        corrupted_any |= corrupt;

        let (src, dst) = if flags & 0x08 != 0 {
            let src = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(flags >> 2 & 1));
            (IpAddr::V6(src), IpAddr::V6(Ipv6Addr::LOCALHOST))
        } else {
            let src = Ipv4Addr::new(10, 0, 0, flags >> 2 & 1);
            (IpAddr::V4(src), IpAddr::V4(Ipv4Addr::LOCALHOST))
        };
        let key = FragmentKey {
            src,
            dst,
            id: u32::from(flags & 3) << 30 | u32::from(flags & 3),
            proto: 17,
        };
        scratch.clear();
        scratch.extend((0..len).map(|j| {
            let b = pattern(sel, (offset as usize).wrapping_add(j));
            if corrupt {
                !b
            } else {
                b
            }
        }));
        let frag = Fragment {
            key,
            offset,
            more: flags & 0x40 != 0,
            data: &scratch,
        };

        anomalies.clear();
        pushes += 1;
        match d.push(ts, frag, &mut anomalies) {
            DefragOutcome::Complete(payload) => {
                assert!(payload.len() <= MAX_PAYLOAD as usize);
                for (i, &b) in payload.iter().enumerate() {
                    let p = pattern(sel, i);
                    if corrupted_any {
                        assert!(b == p || b == !p, "byte {i} misplaced");
                    } else {
                        assert_eq!(b, p, "byte {i} wrong without any corruption");
                    }
                }
            }
            DefragOutcome::Dropped(kind) => {
                assert!(
                    anomalies.iter().any(|a| a.kind == kind),
                    "drop reason not reported"
                );
            }
            DefragOutcome::Held => {}
        }
        if flags & 0x20 != 0 {
            d.expire(ts, &mut anomalies);
        }
        for a in &anomalies {
            assert!(
                a.src.is_some() && a.dst.is_some(),
                "anomaly without addresses"
            );
        }
        d.check_invariants();
        let s = d.stats();
        assert_eq!(s.fragments, pushes);
        if !corrupted_any {
            assert_eq!(s.overlaps_different_data, 0);
        }
    }
    d.stats()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn key4(id: u32) -> FragmentKey {
        FragmentKey {
            src: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)),
            id,
            proto: 17,
        }
    }

    fn frag(key: FragmentKey, offset: u32, more: bool, data: &[u8]) -> Fragment<'_> {
        Fragment {
            key,
            offset,
            more,
            data,
        }
    }

    fn payload(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
            .collect()
    }

    /// Pushes and returns the completed payload, if any, as an owned copy.
    fn push(
        d: &mut Defragmenter,
        ts: i64,
        f: Fragment<'_>,
        an: &mut Vec<Anomaly>,
    ) -> Option<Vec<u8>> {
        let out = match d.push(ts, f, an) {
            DefragOutcome::Complete(p) => Some(p.to_vec()),
            _ => None,
        };
        d.check_invariants();
        out
    }

    fn kinds(an: &[Anomaly]) -> Vec<AnomalyKind> {
        an.iter().map(|a| a.kind).collect()
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn defrag_in_order() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let p = payload(3000, 1);
        let k = key4(7);
        assert!(push(&mut d, 0, frag(k, 0, true, &p[..1480]), &mut an).is_none());
        assert!(push(&mut d, 1, frag(k, 1480, true, &p[1480..2960]), &mut an).is_none());
        assert_eq!(d.stats().bytes_held, 2960);
        let got = push(&mut d, 2, frag(k, 2960, false, &p[2960..]), &mut an).unwrap();
        assert_eq!(got, p);
        let s = d.stats();
        assert_eq!(
            (s.fragments, s.datagrams_completed, s.bytes_held),
            (3, 1, 0)
        );
        assert!(s.peak_bytes_held >= 3000);
        assert_eq!(d.datagrams_in_progress(), 0);
        assert!(an.is_empty());
    }

    #[test]
    fn defrag_out_of_order() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let p = payload(2000, 2);
        let k = key4(8);
        assert!(push(&mut d, 0, frag(k, 1600, false, &p[1600..]), &mut an).is_none());
        // The last fragment fixes the size, so the buffer is sized once.
        assert_eq!(d.stats().bytes_held, 2000);
        assert!(push(&mut d, 0, frag(k, 0, true, &p[..800]), &mut an).is_none());
        let got = push(&mut d, 0, frag(k, 800, true, &p[800..1600]), &mut an).unwrap();
        assert_eq!(got, p);
        assert!(an.is_empty());
        assert_eq!(d.stats().bytes_held, 0);
    }

    #[test]
    fn defrag_duplicate_fragment_is_same_data_overlap() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let p = payload(64, 3);
        let k = key4(9);
        push(&mut d, 0, frag(k, 0, true, &p[..32]), &mut an);
        push(&mut d, 0, frag(k, 0, true, &p[..32]), &mut an);
        let got = push(&mut d, 0, frag(k, 32, false, &p[32..]), &mut an).unwrap();
        assert_eq!(got, p);
        let s = d.stats();
        assert_eq!((s.overlaps, s.overlaps_different_data), (1, 0));
        assert_eq!(kinds(&an), [AnomalyKind::FragmentOverlap]);
    }

    #[test]
    fn defrag_partial_overlap_same_data() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let p = payload(100, 4);
        let k = key4(10);
        push(&mut d, 0, frag(k, 0, true, &p[..40]), &mut an);
        push(&mut d, 0, frag(k, 60, false, &p[60..]), &mut an);
        // Spans the gap and overlaps both held ranges.
        let got = push(&mut d, 0, frag(k, 24, true, &p[24..80]), &mut an).unwrap();
        assert_eq!(got, p);
        let s = d.stats();
        assert_eq!((s.overlaps, s.overlaps_different_data), (1, 0));
        assert_eq!(kinds(&an), [AnomalyKind::FragmentOverlap]);
    }

    #[test]
    fn defrag_overlap_different_data_keeps_first() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let p = payload(48, 5);
        let k = key4(11);
        push(&mut d, 0, frag(k, 0, true, &p[..24]), &mut an);
        let mut evil = p[16..40].to_vec();
        evil[0] ^= 0xff; // only the overlapping part differs
        push(&mut d, 0, frag(k, 16, true, &evil), &mut an);
        let got = push(&mut d, 0, frag(k, 40, false, &p[40..]), &mut an).unwrap();
        assert_eq!(
            got, p,
            "first received bytes win; the new gap bytes are used"
        );
        let s = d.stats();
        assert_eq!((s.overlaps, s.overlaps_different_data), (1, 1));
        assert_eq!(kinds(&an), [AnomalyKind::FragmentOverlapDifferentData]);
        assert_eq!(an[0].src, Some(k.src));
        assert_eq!(an[0].detail, AnomalyDetail::Number(11));
    }

    #[test]
    fn defrag_missing_middle_expires() {
        let cfg = DefragConfig {
            timeout_ns: 1_000,
            ..DefragConfig::default()
        };
        let mut d = Defragmenter::new(cfg);
        let mut an = Vec::new();
        let p = payload(300, 6);
        let k = key4(12);
        push(&mut d, 5_000, frag(k, 0, true, &p[..100]), &mut an);
        push(&mut d, 5_500, frag(k, 200, false, &p[200..]), &mut an);
        d.expire(6_000, &mut an);
        assert_eq!(
            d.datagrams_in_progress(),
            1,
            "exactly timeout_ns old is not expired yet"
        );
        d.expire(6_001, &mut an);
        assert_eq!(d.datagrams_in_progress(), 0);
        let s = d.stats();
        assert_eq!(
            (s.datagrams_timed_out, s.bytes_held, s.datagrams_completed),
            (1, 0, 0)
        );
        assert_eq!(kinds(&an), [AnomalyKind::FragmentTimeout]);
        assert_eq!((an[0].src, an[0].dst), (Some(k.src), Some(k.dst)));
        // The late middle fragment starts a new datagram rather than completing the old one.
        assert!(push(&mut d, 6_002, frag(k, 100, true, &p[100..200]), &mut an).is_none());
    }

    #[test]
    fn defrag_expire_is_ordered_and_skips_completed() {
        let cfg = DefragConfig {
            timeout_ns: 10,
            ..DefragConfig::default()
        };
        let mut d = Defragmenter::new(cfg);
        let mut an = Vec::new();
        let p = payload(16, 0);
        for id in 0..1000u32 {
            let ts = i64::from(id);
            push(&mut d, ts, frag(key4(id), 0, true, &p[..8]), &mut an);
            if id % 2 == 0 {
                push(&mut d, ts, frag(key4(id), 8, false, &p[8..]), &mut an).unwrap();
            }
        }
        assert_eq!(d.datagrams_in_progress(), 500);
        d.expire(500, &mut an);
        // Ids below 490 were first seen more than 10 ns before 500; odd ones were still open.
        assert_eq!(d.stats().datagrams_timed_out, 245);
        assert_eq!(d.datagrams_in_progress(), 255);
        // Datagrams that all complete must not make the arrival queue grow without bound.
        for id in 1000..5000u32 {
            push(&mut d, 0, frag(key4(id), 0, true, &p[..8]), &mut an);
            push(&mut d, 0, frag(key4(id), 8, false, &p[8..]), &mut an).unwrap();
        }
        assert!(d.order.len() <= 2 * d.table.len() + 65);
    }

    #[test]
    fn defrag_lazy_timeout_in_push() {
        let cfg = DefragConfig {
            timeout_ns: 1_000,
            ..DefragConfig::default()
        };
        let mut d = Defragmenter::new(cfg);
        let mut an = Vec::new();
        let p = payload(200, 7);
        let k = key4(13);
        push(&mut d, 0, frag(k, 0, true, &p[..100]), &mut an);
        // Without any expire() call, the stale half must not be joined with the new one.
        assert!(push(&mut d, 2_000, frag(k, 100, false, &p[100..]), &mut an).is_none());
        assert_eq!(d.stats().datagrams_timed_out, 1);
        assert_eq!(kinds(&an), [AnomalyKind::FragmentTimeout]);
        assert_eq!(d.datagrams_in_progress(), 1);
        let got = push(&mut d, 2_100, frag(k, 0, true, &p[..100]), &mut an).unwrap();
        assert_eq!(got, p);
    }

    #[test]
    fn defrag_max_bytes_evicts_oldest() {
        let cfg = DefragConfig {
            max_bytes: 3_000,
            ..DefragConfig::default()
        };
        let mut d = Defragmenter::new(cfg);
        let mut an = Vec::new();
        let p = payload(3_000, 8);
        push(&mut d, 0, frag(key4(1), 0, true, &p[..1_400]), &mut an);
        push(&mut d, 1, frag(key4(2), 0, true, &p[..1_400]), &mut an);
        assert!(an.is_empty());
        push(&mut d, 2, frag(key4(3), 0, true, &p[..1_000]), &mut an);
        let s = d.stats();
        assert_eq!((s.datagrams_evicted, s.bytes_held), (1, 2_400));
        assert_eq!(kinds(&an), [AnomalyKind::FragmentTableFull]);
        assert_eq!(
            an[0].detail,
            AnomalyDetail::Number(1),
            "the oldest goes first"
        );
        assert!(!d.table.contains_key(&key4(1)));

        // Growing an existing datagram evicts others, never itself, even when it is the oldest.
        an.clear();
        push(
            &mut d,
            3,
            frag(key4(2), 1_400, true, &p[1_400..2_800]),
            &mut an,
        );
        assert_eq!(d.stats().datagrams_evicted, 2);
        assert_eq!(an[0].detail, AnomalyDetail::Number(3));
        let got = push(&mut d, 4, frag(key4(2), 2_800, false, &p[2_800..]), &mut an).unwrap();
        assert_eq!(got, p);

        // A fragment that could never fit is dropped on its own, evicting nobody.
        an.clear();
        push(&mut d, 5, frag(key4(4), 0, true, &p[..100]), &mut an);
        let big = vec![0u8; 100];
        let out = d.push(6, frag(key4(5), 2_950, true, &big), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentTableFull)
        ));
        assert_eq!(d.datagrams_in_progress(), 1);
        assert_eq!(d.stats().fragments_dropped, 1);
        // Same for an existing datagram: the fragment goes, the datagram stays.
        let out = d.push(6, frag(key4(4), 2_950, true, &big), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentTableFull)
        ));
        assert_eq!(d.datagrams_in_progress(), 1);
        d.check_invariants();
    }

    #[test]
    fn defrag_max_datagrams_evicts_oldest() {
        let cfg = DefragConfig {
            max_datagrams: 2,
            ..DefragConfig::default()
        };
        let mut d = Defragmenter::new(cfg);
        let mut an = Vec::new();
        let p = payload(16, 9);
        for id in 1..=3 {
            push(
                &mut d,
                i64::from(id),
                frag(key4(id), 0, true, &p[..8]),
                &mut an,
            );
        }
        assert_eq!(d.datagrams_in_progress(), 2);
        assert_eq!(d.stats().datagrams_evicted, 1);
        assert_eq!(kinds(&an), [AnomalyKind::FragmentTableFull]);
        assert_eq!(an[0].detail, AnomalyDetail::Number(1));
        assert!(push(&mut d, 4, frag(key4(1), 8, false, &p[8..]), &mut an).is_none());
        assert!(push(&mut d, 5, frag(key4(3), 8, false, &p[8..]), &mut an).is_some());

        let mut none = Defragmenter::new(DefragConfig {
            max_datagrams: 0,
            ..DefragConfig::default()
        });
        let out = none.push(0, frag(key4(1), 0, true, &p), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentTableFull)
        ));
    }

    #[test]
    fn defrag_too_large_drops_datagram() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let k = key4(14);
        let data = vec![1u8; 1_000];
        push(&mut d, 0, frag(k, 0, true, &data), &mut an);
        let out = d.push(0, frag(k, 65_000, true, &data), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentTooLarge)
        ));
        assert_eq!(d.datagrams_in_progress(), 0);
        let s = d.stats();
        assert_eq!(
            (s.datagrams_dropped, s.fragments_dropped, s.bytes_held),
            (1, 1, 0)
        );
        // Offset + length overflowing u32 is just too large, not a panic.
        let out = d.push(0, frag(k, u32::MAX - 10, false, &data), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentTooLarge)
        ));
        // Exactly 65535 bytes is still fine.
        let p = payload(65_535, 1);
        push(&mut d, 0, frag(k, 32_768, false, &p[32_768..]), &mut an);
        assert_eq!(
            push(&mut d, 0, frag(k, 0, true, &p[..32_768]), &mut an).unwrap(),
            p
        );
        d.check_invariants();
    }

    #[test]
    fn defrag_zero_length_and_inconsistent_length() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let k = key4(15);
        let p = payload(64, 10);
        let out = d.push(0, frag(k, 8, true, &[]), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::ZeroLengthFragment)
        ));
        assert_eq!(d.datagrams_in_progress(), 0);

        an.clear();
        push(&mut d, 0, frag(k, 32, false, &p[32..]), &mut an);
        let out = d.push(0, frag(k, 40, false, &p[40..56]), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentInconsistentLength)
        ));
        let out = d.push(0, frag(k, 56, true, &[0; 16]), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentInconsistentLength)
        ));
        // The first claimed end stands and the datagram still completes.
        let got = push(&mut d, 0, frag(k, 0, true, &p[..32]), &mut an).unwrap();
        assert_eq!(got, p);

        // A last fragment ending before data already held is inconsistent too.
        push(&mut d, 0, frag(k, 0, true, &p[..48]), &mut an);
        let out = d.push(0, frag(k, 24, false, &p[24..40]), &mut an);
        assert!(matches!(
            out,
            DefragOutcome::Dropped(AnomalyKind::FragmentInconsistentLength)
        ));
        // A zero-length last fragment legitimately marks the end.
        let got = push(&mut d, 0, frag(k, 48, false, &[]), &mut an).unwrap();
        assert_eq!(got, p[..48]);
        assert_eq!(d.stats().fragments_dropped, 4);
    }

    #[test]
    fn defrag_atomic_fragment_stands_alone() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let k = key4(16);
        let p = payload(40, 11);
        push(&mut d, 0, frag(k, 0, true, &p[..16]), &mut an);
        let got = push(&mut d, 0, frag(k, 0, false, &p[..24]), &mut an).unwrap();
        assert_eq!(got, p[..24]);
        assert_eq!(
            d.datagrams_in_progress(),
            1,
            "the datagram in progress is untouched"
        );
        let got = push(&mut d, 0, frag(k, 16, false, &p[16..]), &mut an).unwrap();
        assert_eq!(got, p);
        assert!(an.is_empty());
    }

    #[test]
    fn defrag_many_tiny_fragments() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let p = payload(64_000, 12);
        let n = p.len() / 8;
        // In order and in reverse: every piece abuts what is held, so one range suffices.
        for reverse in [false, true] {
            let k = key4(17 + u32::from(reverse));
            let mut got = None;
            for j in 0..n {
                let j = if reverse { n - 1 - j } else { j };
                let off = j * 8;
                let f = frag(k, off as u32, j + 1 < n, &p[off..off + 8]);
                got = match d.push(0, f, &mut an) {
                    DefragOutcome::Complete(c) => Some(c.to_vec()),
                    _ => None,
                };
            }
            assert_eq!(got.unwrap(), p);
        }
        assert!(an.is_empty());

        // Every other piece: disjoint ranges pile up until the datagram is abandoned.
        let k = key4(19);
        let mut pushed = 0;
        for j in (0..n).step_by(2) {
            let off = j * 8;
            pushed += 1;
            if let DefragOutcome::Dropped(kind) =
                d.push(0, frag(k, off as u32, true, &p[off..off + 8]), &mut an)
            {
                assert_eq!(kind, AnomalyKind::Other("too_many_fragments"));
                break;
            }
        }
        assert_eq!(pushed, MAX_RANGES + 1);
        assert_eq!(kinds(&an), [AnomalyKind::Other("too_many_fragments")]);
        let s = d.stats();
        assert_eq!((s.datagrams_dropped, s.bytes_held), (1, 0));
        d.check_invariants();
    }

    #[test]
    fn defrag_ipv6_ids_use_all_32_bits() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let k = |id| FragmentKey {
            src: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            dst: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
            id,
            proto: 6,
        };
        let a = payload(32, 1);
        let b = payload(32, 2);
        push(&mut d, 0, frag(k(0x0001_0005), 0, true, &a[..16]), &mut an);
        push(&mut d, 0, frag(k(0x8000_0005), 0, true, &b[..16]), &mut an);
        push(&mut d, 0, frag(k(0x0000_0005), 0, true, &b[..16]), &mut an);
        assert_eq!(d.datagrams_in_progress(), 3);
        let got = push(
            &mut d,
            0,
            frag(k(0x8000_0005), 16, false, &b[16..]),
            &mut an,
        )
        .unwrap();
        assert_eq!(got, b);
        let got = push(
            &mut d,
            0,
            frag(k(0x0001_0005), 16, false, &a[16..]),
            &mut an,
        )
        .unwrap();
        assert_eq!(got, a);
        assert!(an.is_empty());
    }

    #[test]
    fn defrag_interleaved_same_id_different_src() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut an = Vec::new();
        let k1 = key4(42);
        let k2 = FragmentKey {
            src: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 99)),
            ..k1
        };
        let a = payload(300, 1);
        let b = payload(300, 2);
        push(&mut d, 0, frag(k1, 0, true, &a[..100]), &mut an);
        push(&mut d, 0, frag(k2, 100, true, &b[100..200]), &mut an);
        push(&mut d, 0, frag(k1, 200, false, &a[200..]), &mut an);
        push(&mut d, 0, frag(k2, 0, true, &b[..100]), &mut an);
        assert_eq!(
            push(&mut d, 0, frag(k2, 200, false, &b[200..]), &mut an).unwrap(),
            b
        );
        assert_eq!(
            push(&mut d, 0, frag(k1, 100, true, &a[100..200]), &mut an).unwrap(),
            a
        );
        assert!(
            an.is_empty(),
            "same id from different sources must not be seen as overlap"
        );
    }

    #[test]
    fn defrag_random_overlapping_fragments_reassemble() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut an = Vec::new();
        for round in 0..300u32 {
            let mut d = Defragmenter::new(DefragConfig::default());
            let len = 2 + rng.below(4_000);
            let p: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // A random cover of [0, len) in at least two pieces, plus random extra pieces that
            // overlap it.
            let mut pieces = Vec::new();
            let mut start = 0;
            while start < len {
                let end = (start + 1 + rng.below(600.min(len - 1))).min(len);
                pieces.push((start, end));
                start = end;
            }
            for _ in 0..rng.below(20) {
                let s = rng.below(len);
                pieces.push((s, (s + 1 + rng.below(800)).min(len)));
            }
            for i in (1..pieces.len()).rev() {
                pieces.swap(i, rng.below(i + 1));
            }
            an.clear();
            let mut got = None;
            for &(s, e) in &pieces {
                // Atomic pieces would complete on their own; they are covered by their own test.
                if s == 0 && e == len {
                    continue;
                }
                let f = frag(key4(round), s as u32, e != len, &p[s..e]);
                if let Some(done) = push(&mut d, i64::from(round), f, &mut an) {
                    got = Some(done);
                    break;
                }
            }
            assert_eq!(got.as_deref(), Some(&p[..]), "round {round}");
            assert_eq!(d.stats().overlaps_different_data, 0);
            assert!(an.iter().all(|a| a.kind == AnomalyKind::FragmentOverlap));
            assert_eq!(d.stats().bytes_held, 0);
        }
    }

    /// Unstructured ops: mostly sensible configs so fragments are held, some degenerate ones
    /// (zero caps) mixed in.
    fn random_ops(rng: &mut XorShift, input: &mut Vec<u8>) {
        input.push(if rng.below(8) == 0 {
            rng.next() as u8
        } else {
            64 + rng.below(192) as u8
        });
        input.push(rng.next() as u8);
        input.push(rng.next() as u8);
        for _ in 0..rng.below(200) {
            let mut flags = rng.next() as u8;
            if rng.below(4) != 0 {
                flags &= !0x90; // mostly clean data and small offsets
            }
            let off = (rng.below(64) * 8) as u16;
            let len = 8 * (1 + rng.below(24)) as u8;
            let dt = rng.next() as u8 % 16;
            input.extend_from_slice(&[flags, off as u8, (off >> 8) as u8, len, dt, 0]);
            if rng.below(16) == 0 {
                let n = input.len();
                input[n - 5..].copy_from_slice(&rng.next().to_le_bytes()[..5]);
            }
        }
    }

    /// A few well-formed datagrams cut into pieces, with some duplicates and corrupted copies,
    /// shuffled together: random bytes alone rarely complete a multi-fragment datagram.
    fn datagram_ops(rng: &mut XorShift, input: &mut Vec<u8>) {
        input.extend_from_slice(&[64 + rng.below(192) as u8, 5, 200 + rng.below(56) as u8]);
        let mut ops: Vec<[u8; 6]> = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let sel = rng.below(16) as u8;
            let total = 8 * (1 + rng.below(75));
            let mut start = 0;
            while start < total {
                let end = (start + 8 * (1 + rng.below(10))).min(total);
                let mut flags = sel;
                if end < total {
                    flags |= 0x40;
                }
                let copies = if rng.below(8) == 0 { 2 } else { 1 };
                for _ in 0..copies {
                    if rng.below(32) == 0 {
                        flags |= 0x10;
                    }
                    if rng.below(32) == 0 {
                        flags |= 0x20;
                    }
                    let len = end - start;
                    ops.push([
                        flags,
                        start as u8,
                        (start >> 8) as u8,
                        len as u8,
                        rng.below(3) as u8,
                        (len >> 8) as u8,
                    ]);
                }
                start = end;
            }
        }
        for i in (1..ops.len()).rev() {
            ops.swap(i, rng.below(i + 1));
        }
        input.extend(ops.iter().flatten());
    }

    #[test]
    fn defrag_fuzz_body_on_pseudo_random_inputs() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut input = Vec::new();
        let mut total = DefragStats::default();
        for round in 0..3_000 {
            input.clear();
            if round % 2 == 0 {
                random_ops(&mut rng, &mut input);
            } else {
                datagram_ops(&mut rng, &mut input);
            }
            let s = fuzz_check(&input);
            total.datagrams_completed += s.datagrams_completed;
            total.datagrams_timed_out += s.datagrams_timed_out;
            total.datagrams_evicted += s.datagrams_evicted;
            total.datagrams_dropped += s.datagrams_dropped;
            total.fragments_dropped += s.fragments_dropped;
            total.overlaps += s.overlaps;
            total.overlaps_different_data += s.overlaps_different_data;
        }
        eprintln!("{total:?}");
        // The generator is only useful if it reaches every outcome.
        assert!(total.datagrams_completed > 1_000);
        assert!(total.datagrams_timed_out > 100);
        assert!(total.datagrams_evicted > 100);
        assert!(total.datagrams_dropped > 0);
        assert!(total.fragments_dropped > 100);
        assert!(total.overlaps_different_data > 100);
        assert!(total.overlaps > total.overlaps_different_data);
    }
}
