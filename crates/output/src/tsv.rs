//! Zeek's TSV layout, one line at a time.

use crate::escape::tsv_escape_into;
use std::fmt::Write;

/// One line of Zeek TSV: tab-separated fields, `-` for unset, strings escaped.
pub struct TsvLine<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> TsvLine<'a> {
    pub fn new(out: &'a mut String) -> Self {
        TsvLine { out, first: true }
    }
    fn sep(&mut self) {
        if !self.first {
            self.out.push('\t');
        }
        self.first = false;
    }
    pub fn with(&mut self, f: impl FnOnce(&mut String)) {
        self.sep();
        f(self.out);
    }
    pub fn disp(&mut self, v: impl std::fmt::Display) {
        self.sep();
        let _ = write!(self.out, "{v}");
    }
    pub fn string(&mut self, s: &str) {
        self.sep();
        tsv_escape_into(s, self.out);
    }
    pub fn unset(&mut self) {
        self.sep();
        self.out.push('-');
    }
    pub fn opt<T: std::fmt::Display>(&mut self, v: Option<T>) {
        match v {
            Some(v) => self.disp(v),
            None => self.unset(),
        }
    }
}
