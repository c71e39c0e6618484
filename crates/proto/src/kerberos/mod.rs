//! Kerberos 5 (RFC 4120) over UDP and TCP port 88, producing Zeek's kerberos.log records.
//!
//! - [`parser`]: messages decoded with kerberos-parser (rusticata), GSS-API token search.
//! - [`record`]: the kerberos.log record ([`KerberosRecord`]).
//! - [`session`]: framing and request/reply pairing ([`KerberosSession`],
//!   [`KerberosTracker`] for Kerberos carried by other protocols).

pub mod parser;
pub mod record;
pub mod session;

pub use parser::{etype_name, find_gssapi_krb5, parse_krb_message, KrbMessage};
pub use record::KerberosRecord;
pub use session::{fuzz, KerberosSession, KerberosStats, KerberosTracker};

#[cfg(test)]
mod tests;
