//! Fuzzes IP fragment reassembly: the input is a small defragmenter config followed by a
//! sequence of fragment operations (id, offset, MF, length, time step, expire), and the
//! defragmenter's invariants (memory and table caps, byte accounting, payload placement) are
//! asserted after every operation.
//!
//! The body lives in `netloupe_decode::defrag::fuzz_check` so that a unit test runs exactly the
//! same checks on pseudo-random inputs in ordinary CI.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = netloupe_decode::defrag::fuzz_check(data);
});
