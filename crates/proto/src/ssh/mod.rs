//! SSH (RFC 4253) identification, key exchange and authentication outcome, producing Zeek's
//! ssh.log records.
//!
//! - [`parser`]: identification strings, packet framing, KEXINIT, key exchange reply.
//! - [`session`]: the per-connection state machine ([`SshSession`]).
//! - [`auth`]: the authentication heuristic over encrypted packet sizes.
//! - [`record`]: the ssh.log record ([`SshRecord`]) and its JSON form.

pub mod auth;
pub mod parser;
pub mod record;
pub mod session;

pub use record::SshRecord;
pub use session::{fuzz, host_key_fingerprint, SshSession};

#[cfg(test)]
mod tests;
