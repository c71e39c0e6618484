//! SMB (MS-CIFS/MS-SMB for SMB1, MS-SMB2 for SMB 2 and 3) over direct TCP (445) or the
//! NetBIOS session service (139), producing Zeek's smb_mapping.log and smb_files.log records,
//! and dce_rpc.log records for the DCE/RPC calls carried by named pipes.
//!
//! - [`session`]: [`SmbSession`], message framing and the per-connection state (trees, open
//!   files, outstanding requests, one embedded [`crate::dcerpc::DceRpcConn`] per open pipe).
//! - [`smb1`] and [`smb2`]: the commands of each dialect.
//! - [`util`]: byte readers, UTF-16 names, FILETIME conversion.
//!
//! Encrypted (transform header) and compressed messages are skipped whole. NTLMSSP tokens of
//! session setups are kept for the NTLM parser ([`SmbSession::take_ntlm_blobs`]).
//!
//! Caps: one message is buffered up to 256 KiB per direction (the rest of a longer message,
//! file data, is skipped); 256 trees, 1024 open files, 64 pipes with RPC state, 4096
//! outstanding requests, 16 NTLM tokens of ≤ 16 KiB; names are cut at 1024 characters.

pub mod names;
pub mod session;
pub mod smb1;
pub mod smb2;
mod tx;
pub mod util;

pub use session::{fuzz, NtlmBlob, SmbSession};

use netloupe_output::json::JsonObject;

/// smb_mapping.log: one successful tree connect.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmbMappingRecord {
    pub ts_ns: i64,
    /// UNC path of the share (`\\server\share`).
    pub path: Option<String>,
    /// SMB1 service type of the response (`A:`, `IPC`, `LPT1:`); SMB2 has none.
    pub service: Option<String>,
    /// SMB1 native file system (`NTFS`); SMB2 has none.
    pub native_file_system: Option<String>,
    /// `DISK`, `PIPE` or `PRINTER`.
    pub share_type: String,
}

impl SmbMappingRecord {
    /// Writes the smb_mapping.log fields after the connection fields (written by the caller).
    pub fn write_json(&self, o: &mut JsonObject) {
        for (k, v) in [
            ("path", &self.path),
            ("service", &self.service),
            ("native_file_system", &self.native_file_system),
        ] {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        o.str("share_type", &self.share_type);
    }
}

/// smb_files.log actions (Zeek's `SMB::Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SmbAction {
    #[default]
    Open,
    Read,
    Write,
    Delete,
    Rename,
    Close,
}

impl SmbAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SmbAction::Open => "SMB::FILE_OPEN",
            SmbAction::Read => "SMB::FILE_READ",
            SmbAction::Write => "SMB::FILE_WRITE",
            SmbAction::Delete => "SMB::FILE_DELETE",
            SmbAction::Rename => "SMB::FILE_RENAME",
            SmbAction::Close => "SMB::FILE_CLOSE",
        }
    }
}

/// MAC times of a file (ns since the epoch), from the create response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SmbTimes {
    pub modified: i64,
    pub accessed: i64,
    pub created: i64,
    pub changed: i64,
}

/// smb_files.log: an action on a file (named pipes are not logged).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmbFilesRecord {
    pub ts_ns: i64,
    pub action: SmbAction,
    /// UNC path of the tree, when its connect was seen.
    pub path: Option<String>,
    /// File name relative to the share (`<share_root>` for the share itself).
    pub name: Option<String>,
    /// End of file.
    pub size: u64,
    /// Previous name (renames).
    pub prev_name: Option<String>,
    pub times: Option<SmbTimes>,
    /// SMB dialect: 1 or 2 (2 and 3). Not in Zeek's log.
    pub version: u8,
    /// Bytes of a read or write (not in Zeek's log).
    pub data_len: Option<u64>,
}

impl SmbFilesRecord {
    /// Writes the smb_files.log fields after the connection fields (written by the caller).
    pub fn write_json(&self, o: &mut JsonObject) {
        o.str("action", self.action.as_str());
        if let Some(p) = &self.path {
            o.str("path", p);
        }
        if let Some(n) = &self.name {
            o.str("name", n);
        }
        o.raw("size", self.size);
        if let Some(p) = &self.prev_name {
            o.str("prev_name", p);
        }
        if let Some(t) = &self.times {
            o.ts("times.modified", t.modified);
            o.ts("times.accessed", t.accessed);
            o.ts("times.created", t.created);
            o.ts("times.changed", t.changed);
        }
    }
}

/// The status of an SMB response: an NTSTATUS, or an SMB1 DOS error class and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmbStatus {
    Nt(u32),
    Dos { class: u8, code: u16 },
}

impl SmbStatus {
    /// Its name (`STATUS_SUCCESS`, `SRV_BADUID`), or its code when it has none here.
    pub fn name(self) -> String {
        match self {
            SmbStatus::Nt(s) => names::nt_status(s).map_or_else(|| self.code(), str::to_string),
            SmbStatus::Dos { class, code } => {
                names::dos_error(class, code).unwrap_or_else(|| self.code())
            }
        }
    }

    /// Its code as Suricata's `status_code`: NTSTATUS in hex (`0x0`, `0xc0000016`), a DOS
    /// error's code in four hex digits (`0x005b`).
    pub fn code(self) -> String {
        match self {
            SmbStatus::Nt(s) => format!("{s:#x}"),
            SmbStatus::Dos { code, .. } => format!("0x{code:04x}"),
        }
    }

    pub fn is_success(self) -> bool {
        matches!(self, SmbStatus::Nt(0) | SmbStatus::Dos { class: 0, .. })
    }
}

/// DCE/RPC carried by one SMB transaction on a named pipe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmbRpc {
    /// PDU type of the request (`dcerpc::pdu::ptype`).
    pub request: u8,
    /// PDU type of the response, when seen.
    pub response: Option<u8>,
    pub opnum: Option<u16>,
    pub call_id: u32,
}

/// One SMB transaction, as Suricata logs them (an EVE `smb` event; not in Zeek's logs): a
/// command and its response; for file data, all the reads (or all the writes) of one open
/// file; for a named pipe, one write with the RPC response read after it. A request never
/// answered is kept with no status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmbCmdRecord {
    /// Time of the response (of the request when none was seen).
    pub ts_ns: i64,
    /// Transactions of the connection numbered from 1 in the order they began.
    pub id: u64,
    /// SMB1 (true) or SMB2/3.
    pub smb1: bool,
    /// SMB1 or SMB2 command code.
    pub command: u16,
    /// Dialect negotiated (SMB2 revision as `3.00`, SMB1 dialect string), when the
    /// negotiation was seen.
    pub dialect: Option<String>,
    pub status: Option<SmbStatus>,
    pub session_id: u64,
    pub tree_id: u32,
    pub filename: Option<String>,
    /// UNC path of the tree, and whether it is a named pipe share (IPC).
    pub share: Option<String>,
    pub share_pipe: bool,
    /// Tree connects: `FILE`, `PIPE` or `PRINT`.
    pub share_type: Option<&'static str>,
    pub disposition: Option<u32>,
    pub delete_on_close: bool,
    /// Creates: created, accessed, modified, changed (seconds since the epoch, 0 when unset).
    pub times: Option<[i64; 4]>,
    pub size: Option<u64>,
    pub fuid: Option<u128>,
    /// Renames: (from, to).
    pub rename: Option<(String, String)>,
    /// Negotiation: the dialects the client offered, the server's GUID.
    pub client_dialects: Vec<String>,
    pub server_guid: Option<u128>,
    /// SMB1 session setups: native OS and LAN manager of the request and of the response.
    pub native: [Option<(String, String)>; 2],
    pub rpc: Option<SmbRpc>,
}

impl SmbCmdRecord {
    /// Writes the command, its status and the names it carries (the record is not in a Zeek
    /// log; the EVE writer builds its own event).
    pub fn write_json(&self, o: &mut JsonObject) {
        if let Some(c) = self.command_name() {
            o.str("command", c);
        }
        if let Some(s) = self.status {
            o.str("status", &s.name());
        }
        for (k, v) in [("filename", &self.filename), ("share", &self.share)] {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
    }

    /// The command's name (`SMB2_COMMAND_CREATE`, `SMB1_COMMAND_ECHO`).
    pub fn command_name(&self) -> Option<&'static str> {
        if self.smb1 {
            names::smb1_command(self.command as u8)
        } else {
            names::smb2_command(self.command)
        }
    }
}

#[cfg(test)]
mod tests;
