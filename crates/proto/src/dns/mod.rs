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
