#![no_main]
// The ldap parser over arbitrary bytes (body shared with a unit test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::ldap::fuzz(data);
});
