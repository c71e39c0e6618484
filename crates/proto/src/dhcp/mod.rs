//! DHCP (RFC 2131, options RFC 2132) over UDP 67/68, producing Zeek's dhcp.log records.
//!
//! - [`parser`]: BOOTP header and options of one datagram.
//! - [`record`]: the dhcp.log record ([`DhcpRecord`]), aggregated over a transaction.
//! - [`session`]: joining messages by transaction id, within a connection ([`DhcpSession`])
//!   or across connections ([`DhcpJoin`]).

pub mod parser;
pub mod record;
pub mod session;

pub use parser::{msg_type_name, parse_message, DhcpMessage, DhcpOptions};
pub use record::DhcpRecord;
pub use session::{fuzz, DhcpJoin, DhcpSession, DhcpStats};

#[cfg(test)]
mod tests;
