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

pub mod session;
pub mod smb1;
pub mod smb2;
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

#[cfg(test)]
mod tests;
