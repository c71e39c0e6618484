#![no_main]
// SMB/DCE-RPC sessions over arbitrary bytes (body shared with a unit test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::dcerpc::fuzz(data);
});
