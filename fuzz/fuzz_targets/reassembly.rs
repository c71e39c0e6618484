//! Fuzzes TCP stream reassembly: the input is a small configuration (per-stream, global and
//! block caps; a starting sequence number near 0, 2^31, 2^32 or the end of the 64-bit space)
//! followed by operations on two streams sharing one budget: inserts near the delivery point
//! (in order, out of order, straddling, far below, near u64::MAX; consistent or conflicting
//! bytes), acks below or above it, finish.
//! Invariants: no panic; sink offsets contiguous (data and gaps, never empty, never
//! overlapping) and in step with `next_seq()`; delivered bytes are the bytes sent; every inserted
//! byte is accounted for (delivered or buffered, retransmitted, or dropped); `budget.used` equals
//! the bytes buffered and stays within the caps; buffered blocks sorted, disjoint, within the
//! block cap; everything released at the end.
//!
//! The body lives in `netloupe_flow::reassembly::fuzz_ops` so that a unit test in the flow crate
//! runs the same checks on pseudo-random inputs in ordinary CI.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    netloupe_flow::reassembly::fuzz_ops(data);
});
