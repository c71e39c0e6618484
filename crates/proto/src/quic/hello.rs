//! The TLS handshake messages carried in CRYPTO frames, read by the TLS module.
//!
//! QUIC carries TLS handshake messages without the record layer (RFC 9001 §4). Rather than a
//! second ClientHello parser, the messages are wrapped in handshake records and given to a
//! [`TlsSession`], whose ClientHello ([`TlsSession::client_hello`]) and ssl.log record
//! (negotiated version and cipher from the ServerHello) are then read back.

use crate::tls::{ClientHelloInfo, SslRecord, TlsSession};
use crate::{AppRecord, Ctx, Direction, SessionParser};

/// Largest record body written around a message (TLS's plaintext limit).
const RECORD_MAX: usize = 1 << 14;

/// A complete handshake message of type `t` at the start of `stream`, header included.
pub fn complete_message(stream: &[u8], t: u8) -> Option<&[u8]> {
    let [ty, a, b, c, ..] = *stream else {
        return None;
    };
    if ty != t {
        return None;
    }
    let len = u32::from_be_bytes([0, a, b, c]) as usize;
    stream.get(..4 + len)
}

/// Whether the start of `stream` can no longer become a message of type `t` (another type, or
/// longer than the stream can ever hold).
pub fn impossible_message(stream: &[u8], t: u8, cap: usize) -> bool {
    match *stream {
        [ty, ..] if ty != t => true,
        [_, a, b, c, ..] => 4 + u32::from_be_bytes([0, a, b, c]) as usize > cap,
        _ => false,
    }
}

/// The TLS view of one QUIC connection's hellos.
pub struct Hellos {
    tls: TlsSession,
    ts: i64,
}

impl Default for Hellos {
    fn default() -> Self {
        Self::new()
    }
}

impl Hellos {
    pub fn new() -> Self {
        Hellos {
            tls: TlsSession::for_quic(),
            ts: 0,
        }
    }

    /// Gives one complete handshake message (header included) sent by `dir`.
    pub fn message(&mut self, ts_ns: i64, dir: Direction, msg: &[u8]) {
        self.ts = ts_ns;
        let mut out = Vec::new();
        let mut rec = Vec::with_capacity(msg.len().min(RECORD_MAX) + 5);
        for chunk in msg.chunks(RECORD_MAX) {
            rec.clear();
            rec.extend_from_slice(&[0x16, 0x03, 0x03]);
            rec.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            rec.extend_from_slice(chunk);
            self.tls.data(Ctx { ts_ns, dir }, &rec, &mut out);
        }
    }

    /// Whether a hello was read (the TLS module's confirmation).
    pub fn confirmed(&self) -> bool {
        self.tls.confirmed()
    }

    pub fn client_hello(&self) -> Option<&ClientHelloInfo> {
        self.tls.client_hello()
    }

    /// The ssl.log view of the hellos (version and cipher from the ServerHello); ends the
    /// TLS session.
    pub fn finish(&mut self) -> Option<SslRecord> {
        let mut out = Vec::new();
        self.tls.end(self.ts, &mut out);
        out.into_iter().find_map(|r| match r {
            AppRecord::Ssl(mut r) => {
                r.over_quic = true;
                Some(r)
            }
            _ => None,
        })
    }
}
