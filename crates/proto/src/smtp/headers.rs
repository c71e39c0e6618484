//! The top-level header block of a message (RFC 5322 section 2.2): unfolded fields, of which
//! the ones smtp.log shows are kept. Nested MIME parts are not looked into: the header block
//! ends at the first empty line and the rest is body, only counted.

use super::SmtpRecord;
use std::net::IpAddr;

/// Header block bytes read per message; past this, the rest of the message is body.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Addresses kept per address field (rcptto, to, cc).
pub const MAX_ADDRS: usize = 100;
/// Hops kept in `path`.
pub const MAX_PATH: usize = 100;

/// Reads one message's content and fills the record's header fields.
#[derive(Debug, Default)]
pub struct MessageReader {
    in_body: bool,
    header_bytes: usize,
    /// The field being unfolded.
    cur: Vec<u8>,
    /// Partial line of raw content given to [`MessageReader::feed`].
    partial: Vec<u8>,
    /// Message bytes after the header block.
    pub body_bytes: u64,
}

impl MessageReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops reading headers (after a gap, say): the rest counts as body.
    pub fn disable(&mut self, rec: &mut SmtpRecord) {
        self.flush(rec);
        self.in_body = true;
        self.partial.clear();
    }

    /// Raw content bytes (BDAT chunks): split into lines here.
    pub fn feed(&mut self, mut data: &[u8], rec: &mut SmtpRecord) {
        while !data.is_empty() {
            if self.in_body {
                self.body_bytes += data.len() as u64;
                return;
            }
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&data[..i]);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.line(&line, rec);
                    data = &data[i + 1..];
                }
                None => {
                    if self.partial.len() + data.len() > MAX_HEADER_BYTES {
                        self.disable(rec);
                        continue;
                    }
                    self.partial.extend_from_slice(data);
                    return;
                }
            }
        }
    }

    /// One content line, without its line end (and, for DATA, after dot-unstuffing).
    pub fn line(&mut self, line: &[u8], rec: &mut SmtpRecord) {
        if self.in_body {
            self.body_bytes += line.len() as u64 + 2;
            return;
        }
        self.header_bytes += line.len() + 2;
        if self.header_bytes > MAX_HEADER_BYTES {
            self.disable(rec);
            self.body_bytes += line.len() as u64 + 2;
            return;
        }
        if line.is_empty() {
            self.flush(rec);
            self.in_body = true;
        } else if (line[0] == b' ' || line[0] == b'\t') && !self.cur.is_empty() {
            // Folding: the line break goes, the whitespace stays.
            self.cur.extend_from_slice(line);
        } else {
            self.flush(rec);
            self.cur.extend_from_slice(line);
        }
    }

    /// The end of the message.
    pub fn finish(&mut self, rec: &mut SmtpRecord) {
        if !self.partial.is_empty() && !self.in_body {
            let p = std::mem::take(&mut self.partial);
            self.line(&p, rec);
        }
        self.flush(rec);
        self.in_body = true;
    }

    fn flush(&mut self, rec: &mut SmtpRecord) {
        if self.cur.is_empty() {
            return;
        }
        let field = std::mem::take(&mut self.cur);
        // A line without a colon is not a field: skipped.
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            return;
        };
        let name = String::from_utf8_lossy(&field[..colon])
            .trim()
            .to_ascii_uppercase();
        let value = String::from_utf8_lossy(&field[colon + 1..]);
        let value = value.trim_matches(|c| c == ' ' || c == '\t').to_string();
        apply(rec, &name, value);
    }
}

fn apply(rec: &mut SmtpRecord, name: &str, value: String) {
    match name {
        "DATE" => rec.date = Some(value),
        "FROM" => rec.from = Some(value),
        "TO" => add_addrs(&mut rec.to, &value),
        "CC" => add_addrs(&mut rec.cc, &value),
        "REPLY-TO" => rec.reply_to = Some(value),
        "MESSAGE-ID" => rec.msg_id = Some(value),
        "IN-REPLY-TO" => rec.in_reply_to = Some(value),
        "SUBJECT" => rec.subject = Some(value),
        "X-ORIGINATING-IP" => {
            if let Some(ip) = first_ip(&value) {
                rec.x_originating_ip = Some(ip);
            }
        }
        "RECEIVED" => {
            if let Some(ip) = received_from_ip(&value) {
                if rec.path.last() != Some(&ip) && rec.path.len() < MAX_PATH {
                    rec.path.push(ip);
                }
            }
            rec.second_received = rec.first_received.take();
            rec.first_received = Some(value);
        }
        "USER-AGENT" | "X-MAILER" | "X-USER-AGENT" => {
            rec.is_webmail = is_webmail(&value);
            rec.user_agent = Some(value);
        }
        _ => {}
    }
}

/// Adds the comma-separated addresses of a To/Cc field (commas inside quotes or angle
/// brackets do not separate), each trimmed, without duplicates.
pub fn add_addrs(set: &mut Vec<String>, value: &str) {
    let mut quoted = false;
    let mut angle = false;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    for p in parts {
        let p = p.trim();
        if !p.is_empty() && set.len() < MAX_ADDRS && !set.iter().any(|s| s == p) {
            set.push(p.to_string());
        }
    }
}

/// The address in the first `[...]` of a `Received` field ("from host ([192.0.2.1]) by ...").
fn received_from_ip(value: &str) -> Option<IpAddr> {
    let open = value.find('[')?;
    let close = value[open..].find(']')? + open;
    value[open + 1..close].trim().parse().ok()
}

/// The first IP address written in a text.
pub fn first_ip(value: &str) -> Option<IpAddr> {
    value
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':'))
        .filter(|t| t.contains('.') || t.contains(':'))
        .find_map(|t| t.trim_matches(':').parse().ok().or_else(|| t.parse().ok()))
}

/// User agents of webmail interfaces.
fn is_webmail(ua: &str) -> bool {
    ua.starts_with("iPlanet Messenger")
        || ua.starts_with("Sun Java(tm) System Messenger Express")
        || ua.contains("(IMP)")
        || ua.starts_with("SquirrelMail")
        || ua.starts_with("NeoMail")
        || ua.contains("ZimbraWebClient")
}

/// Email addresses of a MAIL/RCPT argument ("FROM:<a@b> SIZE=10", "TO:<a@b> ORCPT=rfc822;a@b"):
/// every run of address characters around an `@`.
pub fn email_addrs(arg: &str) -> Vec<String> {
    let b = arg.as_bytes();
    let stop = |c: u8| {
        matches!(
            c,
            b'<' | b'>' | b' ' | b'\t' | b',' | b'"' | b';' | b'=' | b':'
        )
    };
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'@' {
            let mut s = i;
            while s > 0 && !stop(b[s - 1]) {
                s -= 1;
            }
            let mut e = i + 1;
            while e < b.len() && !stop(b[e]) && b[e] != b'@' {
                e += 1;
            }
            if s < i && e > i + 1 {
                let a = String::from_utf8_lossy(&b[s..e]).into_owned();
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            i = e;
        } else {
            i += 1;
        }
    }
    out
}
