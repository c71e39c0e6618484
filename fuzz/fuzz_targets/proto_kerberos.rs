#![no_main]
// The kerberos parser over arbitrary bytes (body shared with a unit test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::kerberos::fuzz(data);
});
