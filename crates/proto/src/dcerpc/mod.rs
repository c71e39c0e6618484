//! DCE/RPC connection-oriented protocol (C706 chapter 12, MS-RPCE 2.2.2), producing Zeek's
//! dce_rpc.log records.
//!
//! - [`pdu`]: PDU header and bodies (bind, bind_ack, alter_context(_resp), request, response,
//!   fault) and the authentication trailer.
//! - [`conn`]: [`DceRpcConn`], the per-association state (presentation contexts, pending calls,
//!   fragment tracking) fed with the byte streams of both directions; embedded by the SMB
//!   parser for named pipes.
//! - [`session`]: [`DceRpcSession`], the [`crate::SessionParser`] for RPC over TCP (port 135
//!   and the dynamic endpoints).
//! - [`names`]: interface UUIDs and operation names.
//!
//! Caps: each direction buffers at most one PDU (≤ 65535 bytes, the largest `frag_length`);
//! 64 presentation contexts, 256 outstanding calls and 8 authentication blobs of ≤ 16 KiB are
//! kept per association; longer strings are cut.

pub mod conn;
pub mod names;
pub mod pdu;
pub mod session;

pub use conn::{AuthBlob, DceRpcConn};
pub use session::{fuzz, DceRpcSession};

use netloupe_output::json::JsonObject;

/// A dce_rpc.log record: one RPC call (request and, when seen, its response).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DceRpcRecord {
    /// Time of the request's first fragment.
    pub ts_ns: i64,
    /// Time from the request's first fragment to the response's last fragment.
    pub rtt_ns: Option<i64>,
    /// The bind_ack's secondary address (a pipe name such as `\PIPE\lsass`, or a TCP port),
    /// else the SMB named pipe the call travelled on.
    pub named_pipe: Option<String>,
    /// Interface name (`svcctl`, `drsuapi`, ...), or its UUID when unknown.
    pub endpoint: Option<String>,
    /// Operation name (`CreateServiceW`, ...), or `unknown-<opnum>`.
    pub operation: Option<String>,
    /// Interface UUID (not in Zeek's log; kept for detection).
    pub uuid: Option<String>,
    /// Operation number (not in Zeek's log).
    pub opnum: u16,
    /// The call ended in a fault PDU (not in Zeek's log).
    pub fault: Option<u32>,
    /// Request stub bytes seen (all fragments; not in Zeek's log).
    pub stub_len: u64,
    /// The call travelled on an SMB named pipe (not in Zeek's log).
    pub over_smb: bool,
}

impl DceRpcRecord {
    /// Writes the dce_rpc.log fields (rtt, named_pipe, endpoint, operation) after the
    /// connection fields, which the caller writes. Unset fields are omitted.
    pub fn write_json(&self, o: &mut JsonObject) {
        if let Some(r) = self.rtt_ns {
            o.interval("rtt", r);
        }
        for (k, v) in [
            ("named_pipe", &self.named_pipe),
            ("endpoint", &self.endpoint),
            ("operation", &self.operation),
        ] {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests;
