#![no_main]
// SSH sessions (both directions, gaps) over arbitrary bytes: the body lives in the crate
// (`netloupe_proto::ssh::fuzz`) so that unit tests run the very same code.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::ssh::fuzz(data);
});
