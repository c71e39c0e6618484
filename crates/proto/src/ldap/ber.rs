//! BER TLVs as LDAP uses them (RFC 4511 section 5.1: definite lengths only).
//!
//! Identifier and length octets are decoded by asn1-rs, already in the build through
//! x509-parser (and used by the Kerberos and X.509 code), rather than by a reader of our own.
//! The content is sliced here, from the header's definite length: an indefinite length is
//! rejected as RFC 4511 requires, so nothing recurses and nothing is allocated; every TLV is a
//! borrowed slice of the message.

use x509_parser::asn1_rs::{nom, Class, FromBer, Header, Length};

/// Why a TLV could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BerError {
    /// More bytes are needed (a TCP message not complete yet).
    Incomplete,
    /// Not BER as LDAP sends it.
    Invalid,
}

/// One BER element: identifier and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub class: Class,
    pub constructed: bool,
    pub tag: u32,
    pub data: &'a [u8],
}

impl Tlv<'_> {
    /// Whether this is `[APPLICATION n]`, `[n]` (context) or universal `n`, in `class`.
    pub fn is(&self, class: Class, tag: u32) -> bool {
        self.class == class && self.tag == tag
    }
}

/// Header of the element at the start of `b`: (header length, content length).
pub fn header(b: &[u8]) -> Result<(usize, usize), BerError> {
    match Header::from_ber(b) {
        Ok((rest, h)) => match h.length() {
            Length::Definite(n) => Ok((b.len() - rest.len(), n)),
            Length::Indefinite => Err(BerError::Invalid),
        },
        Err(nom::Err::Incomplete(_)) => Err(BerError::Incomplete),
        Err(_) => Err(BerError::Invalid),
    }
}

/// The element at the start of `b` and the bytes after it.
pub fn tlv(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), BerError> {
    let (hl, n) = header(b)?;
    let end = hl.checked_add(n).ok_or(BerError::Invalid)?;
    if end > b.len() {
        return Err(BerError::Incomplete);
    }
    // The header parsed once already: parse again only for its identifier fields.
    let (_, h) = Header::from_ber(b).map_err(|_| BerError::Invalid)?;
    Ok((
        Tlv {
            class: h.class(),
            constructed: h.is_constructed(),
            tag: h.tag().0,
            data: &b[hl..end],
        },
        &b[end..],
    ))
}

/// Inside a complete message an incomplete element is an error like any other.
pub fn next(b: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    tlv(b).ok()
}

/// An INTEGER or ENUMERATED content (two's complement, at most 8 bytes).
pub fn int(data: &[u8]) -> Option<i64> {
    if data.is_empty() || data.len() > 8 {
        return None;
    }
    let mut v: i64 = if data[0] & 0x80 != 0 { -1 } else { 0 };
    for &b in data {
        v = (v << 8) | i64::from(b);
    }
    Some(v)
}

/// The elements of a constructed content, at most `max` of them (the rest is ignored).
pub fn items(mut data: &[u8], max: usize) -> Vec<Tlv<'_>> {
    let mut v = Vec::new();
    while !data.is_empty() && v.len() < max {
        match tlv(data) {
            Ok((t, rest)) => {
                v.push(t);
                data = rest;
            }
            Err(_) => break,
        }
    }
    v
}

pub use x509_parser::asn1_rs::Class as BerClass;
