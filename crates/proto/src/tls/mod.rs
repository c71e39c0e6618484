//! TLS: ssl.log and x509.log, with JA3/JA3S/JA4 fingerprints.
//!
//! [`TlsSession`] follows the record layer of both directions, reassembles handshake messages
//! and reads the ClientHello, ServerHello, Certificate (TLS <= 1.2), ServerKeyExchange and
//! alerts; tls-parser parses the messages and x509-parser the certificates. Nothing is
//! decrypted: in TLS 1.3 the certificates are encrypted and not logged.

pub mod fingerprint;
pub mod names;
mod record;
mod session;
pub mod x509;

pub use fingerprint::ClientHelloInfo;
pub use record::{SslRecord, X509Record};
pub use session::{TlsSession, MAX_CERTS, MAX_HANDSHAKE};

/// Fuzzing entry: the input is split into a few deliveries to both directions.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    use crate::{Ctx, Direction, SessionParser};
    let mut s = TlsSession::new();
    let mut out = Vec::new();
    let mut rest = data;
    let mut ts = 0i64;
    while !rest.is_empty() {
        // First byte: direction and length of the chunk.
        let ctl = rest[0];
        rest = &rest[1..];
        let n = ((ctl & 0x7f) as usize * 37 + 1).min(rest.len());
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
        match r {
            crate::AppRecord::Ssl(r) => r.write_json(&mut o),
            crate::AppRecord::X509(r) => r.write_json(&mut o),
            _ => {}
        }
        o.end();
    }
}

#[cfg(test)]
mod tests;
