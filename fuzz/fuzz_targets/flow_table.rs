//! Fuzzes the flow table: the input is a small table config followed by a sequence of packets
//! (a few conversations and address/port pools; TCP flags, sequence and acknowledgement numbers
//! mostly coherent, sometimes arbitrary; any protocol; time moving forward, jumping past
//! timeouts, or slightly backward), with `sweep` called now and then and `flush` at the end.
//! Invariants: no panic; every created flow yields exactly one record; record packet counts are
//! bounded by the packets fed; the table respects `max_flows`; records are well formed.
//!
//! The body lives in `netloupe_flow::fuzzing::run` so that a test in the flow crate runs the
//! same checks on pseudo-random inputs in ordinary CI.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    netloupe_flow::fuzzing::run(data);
});
