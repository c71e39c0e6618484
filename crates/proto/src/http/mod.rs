//! HTTP/1.x: http.log transactions and the bodies as files (files.log fields, hashes, MIME
//! type sniffed from the first bytes).

pub mod inflate;
pub mod mime;
pub mod parser;
mod record;
mod session;

pub use record::{FileRange, FileRecord, HttpRecord};
pub use session::{HttpSession, MAX_HASHED, MAX_PENDING};

/// Fuzzing entry: the input is split into deliveries to both directions by control bytes.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    crate::fuzz_session(&mut HttpSession::new(), data, 13);
}

#[cfg(test)]
mod tests;
