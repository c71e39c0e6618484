//! The body of the `decode_packet` fuzz target, shared with a unit test so that the decoder's
//! robustness is exercised by ordinary `cargo test` too. Not part of the stable API.

use crate::{DecodeConfig, Decoded, Decoder};

/// Link types the first input byte chooses from (including one the decoder does not know).
pub const LINK_TYPES: [u32; 20] = [
    1, 0, 9, 12, 14, 50, 51, 101, 104, 108, 113, 228, 229, 276, 10, 105, 127, 192, 1, 147,
];

/// Decodes `input` as a packet: byte 0 picks the link type, the rest is the packet. Each packet
/// is decoded with checksum verification on and off, twice per decoder (the second pass meets
/// its own fragments in the defragmenter). Panics if a decoding invariant is broken.
pub fn decode_packet(input: &[u8]) {
    let Some((&selector, packet)) = input.split_first() else {
        return;
    };
    let linktype = LINK_TYPES[usize::from(selector) % LINK_TYPES.len()];
    let mut anomalies = Vec::new();
    for verify_checksums in [true, false] {
        let mut decoder = Decoder::new(DecodeConfig {
            verify_checksums,
            ..DecodeConfig::default()
        });
        for pass in 0..2 {
            anomalies.clear();
            let decoded = decoder.decode(pass, linktype, packet, &mut anomalies);
            check(&decoded, &anomalies);
        }
        decoder.expire(i64::MAX, &mut anomalies);
    }
}

fn check(decoded: &Decoded<'_>, anomalies: &[crate::Anomaly]) {
    match decoded {
        Decoded::Dropped(kind) => {
            assert!(
                anomalies.iter().any(|a| a.kind == *kind),
                "drop {kind:?} without its anomaly: {anomalies:?}"
            )
        }
        Decoded::Ip(p) => {
            assert!(
                p.payload.len() as u64 <= u64::from(p.payload_len),
                "payload longer than stated"
            );
            assert!(p.tunnels.len() <= crate::MAX_TUNNEL_DEPTH);
            if p.bad_checksum {
                assert!(
                    anomalies.iter().any(|a| is_transport_checksum(a.kind)),
                    "bad checksum not reported"
                );
            }
        }
        _ => {}
    }
}

fn is_transport_checksum(kind: crate::AnomalyKind) -> bool {
    use crate::AnomalyKind::*;
    matches!(kind, BadTcpChecksum | BadUdpChecksum | BadIcmpChecksum)
}
