//! Decodes arbitrary bytes as a packet: the first byte picks the link type, the rest is the
//! packet; decoded with checksum verification on and off. The body lives in
//! `netloupe_decode::fuzzing` so that `cargo test` runs it over mutated packets too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    netloupe_decode::fuzzing::decode_packet(data);
});
