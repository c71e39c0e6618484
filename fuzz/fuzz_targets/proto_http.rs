#![no_main]
// HTTP/1.x session parser over arbitrary bytes: both directions and gaps, driven by control
// bytes (see netloupe_proto::http::fuzz).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::http::fuzz(data);
});
