//! Any byte string fed to the capture reader (raw, or taken as gzip when it starts like one)
//! must give packets and/or a clean error, never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    netloupe_capture::fuzz_read(data);
});
