//! DNS (RFC 1035 and successors) over UDP and TCP, producing Zeek's dns.log records.
//!
//! - [`parser`]: pure message parsing and Zeek-style rendering of records.
//! - [`session`]: framing and query/response pairing ([`DnsSession`]).
//! - [`record`]: the dns.log record ([`DnsRecord`]) and its JSON form.

pub mod parser;
pub mod record;
pub mod session;

pub use record::{DnsProto, DnsRecord};
pub use session::{fuzz, DnsSession, DnsStats};

#[cfg(test)]
mod tests;

/// Whether `payload` starts like a DNS response (header present, QR bit set, at least one
/// question or answer): the flow layer turns such a connection around, as Zeek does, when the
/// response is the first packet it sees.
pub fn looks_like_response(payload: &[u8]) -> bool {
    payload.len() >= 12
        && payload[2] & 0x80 != 0
        && (u16::from_be_bytes([payload[4], payload[5]]) > 0
            || u16::from_be_bytes([payload[6], payload[7]]) > 0)
}
