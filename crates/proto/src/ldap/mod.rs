//! LDAPv3 (RFC 4511) over TCP port 389/3268 and CLDAP over UDP port 389, producing Zeek's
//! ldap.log and ldap_search.log records.
//!
//! - [`ber`]: BER elements (identifier and length by asn1-rs, content sliced by us).
//! - [`parser`]: LDAPMessage and every protocolOp, search filters rendered as text, Zeek's
//!   names of result codes, scopes and operations.
//! - [`record`]: the two log records ([`LdapRecord`], [`LdapSearchRecord`]).
//! - [`session`]: framing, request/response joining, SASL-wrapped and StartTLS traffic
//!   ([`LdapSession`]).

pub mod ber;
pub mod parser;
pub mod record;
pub mod session;

pub use parser::{parse_message, LdapMessage};
pub use record::{LdapRecord, LdapSearchRecord};
pub use session::{fuzz, LdapSession, LdapStats, TracedMessage};

#[cfg(test)]
mod tests;
