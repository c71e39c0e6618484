//! NTLM authentication (MS-NLMP) as carried by SMB, HTTP and DCE-RPC, producing Zeek's
//! ntlm.log records. NTLM has no transport of its own: the carrying protocol's parser finds
//! the NTLMSSP messages ([`parse_ntlmssp`], [`find_and_parse`], [`parse_http_auth`]) and
//! feeds them to an [`NtlmTracker`], which yields [`NtlmRecord`]s.
//!
//! - [`parser`]: the three messages and the target information of the CHALLENGE.
//! - [`record`]: the ntlm.log record and the per-connection tracker.

pub mod parser;
pub mod record;

pub use parser::{
    base64_decode, find_and_parse, parse_http_auth, parse_ntlmssp, NtlmAuthenticate, NtlmChallenge,
    NtlmMessage, NtlmNegotiate,
};
pub use record::{fuzz, NtlmRecord, NtlmTracker};

#[cfg(test)]
mod tests;
