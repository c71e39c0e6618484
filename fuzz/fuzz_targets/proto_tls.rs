#![no_main]
// TLS session parser over arbitrary bytes: both directions, split into deliveries by control
// bytes (see netloupe_proto::tls::fuzz).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::tls::fuzz(data);
});
