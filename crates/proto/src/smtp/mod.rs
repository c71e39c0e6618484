//! SMTP (RFC 5321) command/reply exchange and message headers (RFC 5322), producing Zeek's
//! smtp.log records: one per mail transaction (MAIL FROM to the reply ending the message).
//!
//! - [`session`]: the per-connection state machine ([`SmtpSession`]): commands and replies
//!   (pipelined, RFC 2920), DATA and BDAT (RFC 3030) message content, STARTTLS (RFC 3207).
//! - [`headers`]: the top-level message header fields kept in the record.
//!
//! Caps: a command or reply line keeps at most [`session::MAX_LINE`] bytes (the rest of an
//! overlong line is skipped); at most [`session::MAX_PENDING`] commands wait for a reply; the
//! message header block is read up to [`headers::MAX_HEADER_BYTES`] bytes, the body is only
//! counted; at most [`headers::MAX_ADDRS`] addresses are kept per address field and at most
//! [`headers::MAX_PATH`] hops in `path`.

pub mod headers;
pub mod mime;
pub mod session;

pub use session::{fuzz, SmtpSession};

use netloupe_output::json::JsonObject;
use std::net::IpAddr;

/// An smtp.log record with Zeek's fields (`fuids` excepted: file analysis is not done here).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmtpRecord {
    /// Time of the first command or reply of the transaction (after the previous record).
    pub ts_ns: i64,
    /// Transaction number within the connection (messages ended before this one, plus one).
    pub trans_depth: u32,
    /// Argument of the last HELO/EHLO.
    pub helo: Option<String>,
    /// Address of MAIL FROM.
    pub mailfrom: Option<String>,
    /// Addresses of RCPT TO (a set: first-seen order, no duplicates).
    pub rcptto: Vec<String>,
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub reply_to: Option<String>,
    pub msg_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub subject: Option<String>,
    pub x_originating_ip: Option<IpAddr>,
    /// Value of the last `Received` header of the message (the one nearest the sender).
    pub first_received: Option<String>,
    /// Value of the `Received` header before it.
    pub second_received: Option<String>,
    /// Code and text of the last reply line seen, as "250 OK".
    pub last_reply: Option<String>,
    /// Hosts the message went through: the responder and the originator (when the session was
    /// given the connection's addresses, see [`SmtpSession::set_endpoints`]), then the
    /// addresses of the `Received: from` headers, top to bottom.
    pub path: Vec<IpAddr>,
    /// `User-Agent`, `X-Mailer` or `X-User-Agent`.
    pub user_agent: Option<String>,
    /// STARTTLS was accepted: the rest of the connection is TLS.
    pub tls: bool,
    /// The user agent is a known webmail interface.
    pub is_webmail: bool,
    /// Message body bytes seen (after the header block), not logged by Zeek.
    pub body_bytes: u64,
    /// The message's MIME entities with content, as files (files.log, source SMTP).
    pub files: Vec<crate::http::FileRecord>,
    /// Message content was sent (after DATA, or BDAT chunks), even empty or header-less.
    pub message: bool,
    /// A transaction Zeek does not log (no MAIL, RCPT or STARTTLS: a DATA or BDAT attempt
    /// alone, ended by the reply to its content or by RSET/HELO/EHLO), kept for EVE only.
    pub eve_only: bool,
}

impl SmtpRecord {
    /// Writes the smtp.log fields after the connection fields (ts, uid, id.*), which the
    /// caller writes. Unset fields are omitted, as in Zeek's JSON logs.
    pub fn write_json(&self, o: &mut JsonObject) {
        o.raw("trans_depth", self.trans_depth);
        let s1: [(&str, &Option<String>); 3] = [
            ("helo", &self.helo),
            ("mailfrom", &self.mailfrom),
            ("date", &self.date),
        ];
        for (k, v) in s1 {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if !self.rcptto.is_empty() {
            o.str_array("rcptto", &self.rcptto);
        }
        if let Some(v) = &self.from {
            o.str("from", v);
        }
        if !self.to.is_empty() {
            o.str_array("to", &self.to);
        }
        if !self.cc.is_empty() {
            o.str_array("cc", &self.cc);
        }
        let s2: [(&str, &Option<String>); 4] = [
            ("reply_to", &self.reply_to),
            ("msg_id", &self.msg_id),
            ("in_reply_to", &self.in_reply_to),
            ("subject", &self.subject),
        ];
        for (k, v) in s2 {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if let Some(ip) = self.x_originating_ip {
            o.display("x_originating_ip", ip);
        }
        let s3: [(&str, &Option<String>); 3] = [
            ("first_received", &self.first_received),
            ("second_received", &self.second_received),
            ("last_reply", &self.last_reply),
        ];
        for (k, v) in s3 {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if !self.path.is_empty() {
            let p: Vec<String> = self.path.iter().map(|a| a.to_string()).collect();
            o.str_array("path", &p);
        }
        if let Some(v) = &self.user_agent {
            o.str("user_agent", v);
        }
        o.raw("tls", self.tls);
        o.raw("is_webmail", self.is_webmail);
    }
}

#[cfg(test)]
mod tests;
