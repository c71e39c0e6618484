#![no_main]
// QUIC session parser over arbitrary bytes: datagrams of both directions cut by control bytes,
// and, for inputs starting with 0xff, a first client Initial protected around fuzzed frames so
// that decryption, frame parsing and the ClientHello are reached (see netloupe_proto::quic::fuzz).
// Needs a `proto_quic` [[bin]] in fuzz/Cargo.toml.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::quic::fuzz(data);
});
