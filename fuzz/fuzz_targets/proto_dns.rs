#![no_main]
// DNS sessions (UDP and TCP, both directions, gaps) over arbitrary bytes: the body lives in the
// crate (`netloupe_proto::dns::fuzz`) so that unit tests run the very same code.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::dns::fuzz(data);
});
