//! A small writer for one JSON object per line, with every string escaped.
//!
//! Shared by every log record type (conn, weird, and the protocol logs) so that escaping and
//! number formatting live in one place.

use crate::escape::json_escape_into;
use crate::format_ts;
use std::fmt::Write;

/// A JSON object being built field by field into a `String`.
pub struct JsonObject<'a> {
    pub(crate) out: &'a mut String,
    first: bool,
}

impl<'a> JsonObject<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        JsonObject { out, first: true }
    }
    /// Starts a field; the caller then writes its value with the other methods or `out()`.
    pub fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        json_escape_into(k, self.out);
        self.out.push_str("\":");
    }
    /// A value written with `Display` as is: numbers and booleans only.
    pub fn raw(&mut self, k: &str, v: impl std::fmt::Display) {
        self.key(k);
        let _ = write!(self.out, "{v}");
    }
    /// An integer value.
    pub fn int<I: itoa::Integer>(&mut self, k: &str, v: I) {
        self.key(k);
        crate::push_int(self.out, v);
    }
    /// An address as a string.
    pub fn ip(&mut self, k: &str, v: std::net::IpAddr) {
        self.key(k);
        self.out.push('"');
        crate::push_ip(self.out, v);
        self.out.push('"');
    }
    /// A string value (escaped).
    pub fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.out.push('"');
        json_escape_into(v, self.out);
        self.out.push('"');
    }
    /// A value written with `Display` and quoted (addresses, for instance), escaped.
    pub fn display(&mut self, k: &str, v: impl std::fmt::Display) {
        self.key(k);
        self.out.push('"');
        // Written in place; escaped only in the rare case the text needs it.
        let start = self.out.len();
        let _ = write!(self.out, "{v}");
        if crate::escape::json_needs_escape(&self.out.as_bytes()[start..]) {
            let text = self.out.split_off(start);
            json_escape_into(&text, self.out);
        }
        self.out.push('"');
    }
    /// A packet timestamp (ns) as Zeek's seconds with six decimals.
    pub fn ts(&mut self, k: &str, ns: i64) {
        self.key(k);
        format_ts(ns, self.out);
    }
    /// A duration (ns) as seconds with six decimals.
    pub fn interval(&mut self, k: &str, ns: i64) {
        self.ts(k, ns)
    }
    /// An array of strings (escaped).
    pub fn str_array<S: AsRef<str>>(&mut self, k: &str, items: &[S]) {
        self.key(k);
        self.out.push('[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push('"');
            json_escape_into(s.as_ref(), self.out);
            self.out.push('"');
        }
        self.out.push(']');
    }
    /// Direct access for values the helpers above do not cover.
    pub fn out(&mut self) -> &mut String {
        self.out
    }
    pub fn end(self) {
        self.out.push('}');
    }
}
