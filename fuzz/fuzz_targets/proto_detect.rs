//! Protocol identification over arbitrary bytes: chunks fed alternately to both directions, as
//! TCP stream prefixes and as UDP datagrams (see `netloupe_proto::detect::fuzz_feed`, which also
//! checks that a verdict, once final, never changes).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netloupe_proto::detect::fuzz_feed(data);
});
