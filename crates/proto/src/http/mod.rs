//! HTTP/1.x: http.log transactions and the bodies as files (files.log fields, hashes, MIME
//! type sniffed from the first bytes).

pub mod inflate;
pub mod mime;
pub mod parser;
mod record;
mod session;

pub use record::{FileRecord, HttpRecord};
pub use session::{HttpSession, MAX_HASHED, MAX_PENDING};

/// Fuzzing entry: the input is split into deliveries to both directions by control bytes.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    use crate::{Ctx, Direction, SessionParser};
    let mut s = HttpSession::new();
    let mut out = Vec::new();
    let mut rest = data;
    let mut ts = 0i64;
    while !rest.is_empty() {
        let ctl = rest[0];
        rest = &rest[1..];
        let n = ((ctl & 0x3f) as usize * 13 + 1).min(rest.len());
        let dir = if ctl & 0x80 == 0 {
            Direction::Orig
        } else {
            Direction::Resp
        };
        ts += 1;
        if ctl & 0x40 != 0 && n == 1 {
            s.gap(dir, rest[0] as u64);
        } else {
            s.data(Ctx { ts_ns: ts, dir }, &rest[..n], &mut out);
        }
        rest = &rest[n..];
    }
    s.end(ts, &mut out);
    for r in &out {
        if let crate::AppRecord::Http(r) = r {
            let mut line = String::new();
            let mut o = netloupe_output::json::JsonObject::new(&mut line);
            r.write_json(&mut o);
            o.end();
            for f in &r.files {
                let mut line = String::new();
                let mut o = netloupe_output::json::JsonObject::new(&mut line);
                f.write_json(&mut o);
                o.end();
            }
        }
    }
}

#[cfg(test)]
mod tests;
