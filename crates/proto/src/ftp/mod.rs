//! FTP control connections (RFC 959, with RFC 2228 AUTH, RFC 2428 EPRT/EPSV, RFC 3659 SIZE),
//! producing Zeek's ftp.log records: one per command of a configurable set, with its reply,
//! the user, the file path as a URL for file commands, the file size announced by the
//! server, and the data channel a PORT/PASV/EPRT/EPSV exchange sets up.
//!
//! - [`session`]: the per-connection state machine ([`FtpSession`]): command lines, multi-line
//!   replies (RFC 959 section 4.2), reply-to-command matching when several commands wait,
//!   working directory tracking, AUTH TLS hand-over.
//! - [`parse`]: PORT/EPRT arguments, 227/229 replies, paths.
//! - [`data`]: the data connections' content, a file each ([`FtpDataSession`]).
//!
//! Caps: a line keeps at most [`session::MAX_LINE`] bytes; a command word longer than
//! [`session::MAX_COMMAND_LEN`] is dropped (Zeek's `FTP_max_command_length_exceeded`); at most
//! [`FtpConfig::max_pending_commands`] commands wait for a reply; at most
//! [`session::MAX_EXPECTED`] data channels are remembered; user, password, arg and reply text
//! are cut as [`FtpConfig`] says.

pub mod data;
pub mod parse;
pub mod session;

pub use data::{DataFileNotice, FtpDataSession};
pub use session::{fuzz, FtpSession};

use netloupe_output::json::JsonObject;
use std::net::IpAddr;

/// A data connection announced on the control connection (Zeek's `ExpectedDataChannel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataChannel {
    /// PASV/EPSV (the client connects to the server) rather than PORT/EPRT.
    pub passive: bool,
    /// Who will connect: the control connection's originator for passive mode, its responder
    /// for active mode; `None` when the session was not given the connection's addresses.
    pub orig_h: Option<IpAddr>,
    /// Where to: the announced address (for EPSV, the control connection's responder).
    pub resp_h: Option<IpAddr>,
    pub resp_p: u16,
}

/// Settings with Zeek's defaults (`FTP::logged_commands`, `FTP::default_capture_password`,
/// `FTP::max_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct FtpConfig {
    /// Commands that get an ftp.log record.
    pub logged_commands: Vec<String>,
    /// Log passwords of non-guest users (otherwise "<hidden>").
    pub capture_password: bool,
    /// User names whose passwords are logged anyway (compared lowercase).
    pub guest_ids: Vec<String>,
    pub max_pending_commands: usize,
    pub max_user_length: usize,
    pub max_password_length: usize,
    pub max_arg_length: usize,
    pub max_reply_msg_length: usize,
}

impl Default for FtpConfig {
    fn default() -> Self {
        FtpConfig {
            logged_commands: [
                "APPE", "DELE", "RETR", "STOR", "STOU", "ACCT", "PORT", "PASV", "EPRT", "EPSV",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            capture_password: false,
            guest_ids: ["anonymous", "ftp", "ftpuser", "guest"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            max_pending_commands: 20,
            max_user_length: 128,
            max_password_length: 128,
            max_arg_length: 4096,
            max_reply_msg_length: 4096,
        }
    }
}

/// An ftp.log record with Zeek's fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FtpRecord {
    /// Time the command was sent.
    pub ts_ns: i64,
    /// Last USER argument ("<unknown>" before any).
    pub user: String,
    /// Last PASS argument, "<hidden>" unless the user is a guest or capture is on.
    pub password: Option<String>,
    pub command: String,
    /// The argument; for file commands, an `ftp://` URL with the full path.
    pub arg: Option<String>,
    /// Size announced by the server (150 reply to RETR, 213 reply to SIZE).
    pub file_size: Option<u64>,
    pub reply_code: Option<u16>,
    pub reply_msg: Option<String>,
    pub data_channel: Option<DataChannel>,
    /// MIME type of the file on the data connection, when sniffed before this record.
    pub mime_type: Option<String>,
    /// The file on the data connection, when it began before this record.
    pub fuid: Option<String>,
    /// Zeek writes this command to ftp.log (`FTP::logged_commands`); the others are kept for
    /// EVE, which logs every command.
    pub logged: bool,
}

impl FtpRecord {
    /// Writes the ftp.log fields after the connection fields (ts, uid, id.*), which the caller
    /// writes. Unset fields are omitted, as in Zeek's JSON logs.
    pub fn write_json(&self, o: &mut JsonObject) {
        o.str("user", &self.user);
        if let Some(p) = &self.password {
            o.str("password", p);
        }
        o.str("command", &self.command);
        if let Some(a) = &self.arg {
            o.str("arg", a);
        }
        if let Some(m) = &self.mime_type {
            o.str("mime_type", m);
        }
        if let Some(n) = self.file_size {
            o.raw("file_size", n);
        }
        if let Some(c) = self.reply_code {
            o.raw("reply_code", c);
        }
        if let Some(m) = &self.reply_msg {
            o.str("reply_msg", m);
        }
        if let Some(d) = &self.data_channel {
            o.raw("data_channel.passive", d.passive);
            if let Some(h) = d.orig_h {
                o.display("data_channel.orig_h", h);
            }
            if let Some(h) = d.resp_h {
                o.display("data_channel.resp_h", h);
            }
            o.raw("data_channel.resp_p", d.resp_p);
        }
        if let Some(f) = &self.fuid {
            o.str("fuid", f);
        }
    }
}

#[cfg(test)]
mod tests;
