#![no_main]
// Placeholder until the target is written.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = data;
});
