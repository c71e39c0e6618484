//! QUIC: quic.log, with the TLS ClientHello of the Initial packets (SNI, ALPN, JA4), and the
//! connection's ssl.log record from the hellos of the Initial packets.
//!
//! [`QuicSession`] walks the packets of each UDP datagram (coalesced packets included): long
//! headers of QUIC version 1 (RFC 9000 §17.2), version 2 (RFC 9369, rotated packet types) and
//! drafts 23-34 are read; other versions only by their invariant fields (RFC 8999). Initial
//! packets of both sides are decrypted with keys derived from the client's first Destination
//! Connection ID (RFC 9001 §5.2; `crypto.rs`), their frames walked (PADDING, PING, ACK, CRYPTO,
//! CONNECTION_CLOSE; unknown frames end the walk) and the CRYPTO stream reassembled by offset
//! (at most [`packet::MAX_CRYPTO`] bytes per direction). The ClientHello and ServerHello are
//! then read by the TLS module (`hello.rs` wraps them in records for a
//! [`crate::tls::TlsSession`]): server name, first ALPN protocol, JA4 with 'q', and the
//! negotiated TLS version and cipher. Nothing past the Initial packets is decrypted.
//!
//! The record follows Zeek's quic.log (version names such as "1", "quicv2", "draft-29",
//! "unknown-10010000"; connection ids in hex; `history` letters, upper case from the
//! originator: I Initial, H Handshake, Z 0-RTT, R Retry, S hello read, C CONNECTION_CLOSE in an
//! Initial, U unknown version, X a packet with the fixed bit cleared (the rest of the datagram
//! is dropped, as padding usually is), O short-header packets, noted at the 1st, 2nd, 4th, 8th,
//! ... of each side). One record per connection, written at the end of the connection so that
//! the history is whole; a server Retry closes the record and the client's next Initial opens
//! another, as in Zeek. Extra fields: `ja4`, `tls_version`, `tls_cipher`.
//!
//! ssl.log: as Zeek's QUIC analyzer hands the Initial CRYPTO stream to its SSL analyzer, one
//! ssl.log record per connection (a Retry does not split it: `ssl_history` `CCs`), written at
//! the end with what the hellos say (version, cipher, curve, SNI, resumption, JA3/JA3S, JA4
//! with 'q'); `established` stays F, as in Zeek's QUIC baselines. Once a hello is read the
//! session reports [`crate::SessionParser::tls_confirmed`], so conn.log lists `quic,ssl`.
//!
//! Confirmation: an Initial packet that decrypts (its AEAD tag verifies). Violation: a first
//! datagram that does not start with a long header, or a client's first Initial that does not
//! decrypt.

mod crypto;
mod hello;
pub mod packet;
mod session;

pub use crypto::{InitialKeys, Keys, VERSION_1, VERSION_2};
pub use session::{QuicSession, MAX_HISTORY};

/// quic.log record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuicRecord {
    /// Time of the first QUIC packet of this entry.
    pub ts_ns: i64,
    /// Version of the client's first Initial (Zeek's names).
    pub version: String,
    /// First Destination Connection ID of the client (hex).
    pub client_initial_dcid: Option<String>,
    /// Source Connection ID of the client's first Initial (hex; empty when zero-length).
    pub client_scid: Option<String>,
    /// Source Connection ID of the server's first Initial.
    pub server_scid: Option<String>,
    /// SNI of the ClientHello.
    pub server_name: Option<String>,
    /// First ALPN protocol the client offered.
    pub client_protocol: Option<String>,
    pub history: String,
    /// JA4 of the ClientHello (QUIC: 'q').
    pub ja4: Option<String>,
    /// Negotiated TLS version and cipher (ServerHello), names as in ssl.log.
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
}

impl QuicRecord {
    pub fn write_json(&self, o: &mut netloupe_output::json::JsonObject) {
        o.str("version", &self.version);
        for (k, v) in [
            ("client_initial_dcid", &self.client_initial_dcid),
            ("client_scid", &self.client_scid),
            ("server_scid", &self.server_scid),
            ("server_name", &self.server_name),
            ("client_protocol", &self.client_protocol),
        ] {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        o.str("history", &self.history);
        for (k, v) in [
            ("ja4", &self.ja4),
            ("tls_version", &self.tls_version),
            ("tls_cipher", &self.tls_cipher),
        ] {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
    }
}

/// Fuzzing entry: the input is cut into datagrams of both directions. To make decryption
/// reachable, an input starting with 0xff has its next datagram taken as the payload of a
/// client Initial that is protected first (with a fixed connection id), so the frame and
/// ClientHello paths see fuzzed plaintext.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    use crate::{Ctx, Direction, SessionParser};
    let mut s = QuicSession::new();
    let mut out = Vec::new();
    let mut rest = data;
    let mut ts = 0i64;
    if let Some((&0xff, r)) = rest.split_first() {
        let n = (*r.first().unwrap_or(&0) as usize * 8).min(r.len().saturating_sub(1));
        let payload = r.get(1..1 + n).unwrap_or_default();
        let pkt = fuzz_support::protect_client_initial(&[0x83, 0x94, 0xc8, 0xf0], payload);
        s.data(
            Ctx {
                ts_ns: 0,
                dir: Direction::Orig,
            },
            &pkt,
            &mut out,
        );
        rest = r.get(1 + n..).unwrap_or_default();
    }
    while !rest.is_empty() {
        // First byte: direction and length of the datagram.
        let ctl = rest[0];
        rest = &rest[1..];
        let n = ((ctl & 0x7f) as usize * 13 + 1).min(rest.len());
        let dir = if ctl & 0x80 == 0 {
            Direction::Orig
        } else {
            Direction::Resp
        };
        ts += 1;
        s.data(Ctx { ts_ns: ts, dir }, &rest[..n], &mut out);
        rest = &rest[n..];
    }
    s.end(ts, &mut out);
    for r in &out {
        let mut line = String::new();
        let mut o = netloupe_output::json::JsonObject::new(&mut line);
        r.write_json(&mut o);
        o.end();
    }
}

#[doc(hidden)]
pub mod fuzz_support {
    use super::crypto::{version_params, InitialKeys, VERSION_1};
    use aes_gcm::aead::AeadInOut;

    /// A version 1 client Initial with `payload` as its frames (padded to 20 bytes so that
    /// header protection has its sample), protected with the keys of `dcid`: the test and fuzz
    /// inputs' way into the decrypted paths.
    pub fn protect_client_initial(dcid: &[u8], payload: &[u8]) -> Vec<u8> {
        let p = version_params(VERSION_1).expect("v1");
        let keys = InitialKeys::new(&p, dcid).expect("keys");
        let k = &keys.client;
        let mut body = payload.to_vec();
        if body.len() < 20 {
            body.resize(20, 0);
        }
        let pn: u32 = 0;
        let len = 4 + body.len() + 16;
        let mut pkt = vec![0xc3];
        pkt.extend_from_slice(&VERSION_1.to_be_bytes());
        pkt.push(dcid.len() as u8);
        pkt.extend_from_slice(dcid);
        pkt.push(0); // scid
        pkt.push(0); // token
        pkt.extend_from_slice(&[
            0x80 | (len >> 24) as u8 & 0x3f,
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
        ]);
        let pn_offset = pkt.len();
        pkt.extend_from_slice(&pn.to_be_bytes());
        let mut nonce = k.iv;
        for (n, b) in nonce[4..].iter_mut().zip((pn as u64).to_be_bytes()) {
            *n ^= b;
        }
        let cipher = <aes_gcm::Aes128Gcm as aes_gcm::KeyInit>::new_from_slice(&k.key).expect("key");
        let nonce = aes_gcm::aead::Nonce::<aes_gcm::Aes128Gcm>::from(nonce);
        cipher
            .encrypt_in_place(&nonce, &pkt, &mut body)
            .expect("encrypt");
        pkt.extend_from_slice(&body);
        let sample: [u8; 16] = pkt[pn_offset + 4..pn_offset + 20]
            .try_into()
            .expect("sample");
        let mask = k.mask(&sample);
        pkt[0] ^= mask[0] & 0x0f;
        for i in 0..4 {
            pkt[pn_offset + i] ^= mask[1 + i];
        }
        pkt
    }
}

#[cfg(test)]
mod tests;
