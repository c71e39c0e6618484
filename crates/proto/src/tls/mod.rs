//! TLS: ssl.log and x509.log, with JA3/JA3S/JA4 fingerprints.
//!
//! [`TlsSession`] follows the record layer of both directions, reassembles handshake messages
//! and reads the ClientHello, ServerHello, Certificate (TLS <= 1.2), ServerKeyExchange and
//! alerts; tls-parser parses the messages and x509-parser the certificates. Nothing is
//! decrypted: in TLS 1.3 the certificates are encrypted and not logged.
//!
//! The client is whichever side sends the ClientHello, originator or not, and a connection is
//! confirmed on consistent hello framing or, for captures that start after the handshake, on
//! two consecutive well-formed records in one direction (a departure from Zeek, which would not
//! list `ssl` without a hello; no ssl.log record is written then). See `session.rs` for the
//! details.

pub mod fingerprint;
pub mod names;
mod record;
mod session;
pub mod x509;

pub use fingerprint::ClientHelloInfo;
pub use record::{SslRecord, X509Record};
pub use session::{TlsSession, MAX_CERTS, MAX_HANDSHAKE};

/// Whether `data` starts like a TLS connection: a handshake record header (0x16, version
/// 0x0300-0x0304, a length of at most 2^14 + 2048) whose content starts with a ClientHello or
/// ServerHello header of a consistent length, and, when present, a 3.x hello version.
/// Consistent: at least a minimal hello body, at most what the 16-bit inner lengths of a hello
/// allow, and a record long enough for the hello header and the start of its body (the hello
/// either ends within the record or goes on in the next ones). Cheap and allocation-free, for
/// the session layer to decide whether the bytes after a STARTTLS-like upgrade are TLS. Needs
/// the first 9 bytes (false with fewer).
pub fn looks_like_tls_start(data: &[u8]) -> bool {
    // Shortest hello body: version, random, session id length, then one cipher suite and a
    // compression method (ServerHello) or two empty lists (ClientHello).
    const MIN_HELLO: usize = 38;
    // Longest: a 32-byte session id, then cipher suites, compression methods and extensions,
    // each with a length of at most 16 bits.
    const MAX_HELLO: usize = 1 << 18;
    let [0x16, 3, minor, r0, r1, t, h0, h1, h2, ..] = *data else {
        return false;
    };
    let rec_len = u16::from_be_bytes([r0, r1]) as usize;
    let hs_len = u32::from_be_bytes([0, h0, h1, h2]) as usize;
    let consistent = minor <= 4
        && matches!(t, 1 | 2)
        && (4 + MIN_HELLO..=(1 << 14) + 2048).contains(&rec_len)
        && (MIN_HELLO..=MAX_HELLO).contains(&hs_len);
    consistent
        && match data.get(9) {
            Some(&v) => v == 3 || (t == 2 && matches!(v, 0x7e | 0x7f)),
            None => true,
        }
}

/// Fuzzing entry: the input is split into a few deliveries to both directions.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    crate::fuzz_session(&mut TlsSession::new(), data, 37);
    // The same bytes as DTLS datagrams (each delivery one datagram).
    crate::fuzz_session(&mut TlsSession::for_dtls(), data, 37);
}

#[cfg(test)]
mod tests;
