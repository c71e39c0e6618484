//! Escaping of strings from the wire for each output format.

/// Appends `s` as the inside of a JSON string literal (RFC 8259): quotes, backslashes and all
/// control characters are escaped; invalid UTF-8 never reaches here because callers pass `&str`.
pub fn json_escape_into(s: &str, out: &mut String) {
    // Most strings need no escaping: copy them whole.
    if !json_needs_escape(s.as_bytes()) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Whether any byte of `s` may need a JSON escape (0xe2 leads U+2028/U+2029). Blocks of 16
/// bytes are tested without an early exit inside the block, which the compiler turns into a
/// few vector compares: this check runs on every string of every log line.
#[inline]
pub(crate) fn json_needs_escape(s: &[u8]) -> bool {
    let special = |b: u8| JSON_SPECIAL[usize::from(b)];
    let mut blocks = s.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |m, &b| m | special(b)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| special(b))
}

/// Bytes that may need a JSON escape: controls, `"`, `\\`, DEL, and 0xe2 (the lead byte of
/// U+2028/U+2029). A table lookup is one load per byte where five compares were not.
const JSON_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize || b == 0x7f || b == 0xe2;
        b += 1;
    }
    t
};

/// Appends `s` for a Zeek TSV field: separators, the set separator, backslash and non-printable
/// characters become `\xNN` as Zeek writes them; an empty string becomes `(empty)`.
pub fn tsv_escape_into(s: &str, out: &mut String) {
    if s.is_empty() {
        out.push_str("(empty)");
        return;
    }
    if s == "-" {
        out.push_str("\\x2d");
        return;
    }
    for b in s.bytes() {
        if b == b'\t' || b == b',' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            use std::fmt::Write;
            let _ = write!(out, "\\x{b:02x}");
        } else {
            out.push(b as char);
        }
    }
}

/// `s` made safe for a terminal: control characters (C0, DEL, C1 — escape sequences could
/// rewrite the screen or the title) and backslash are escaped as `\xNN` / `\u{NNNN}`;
/// printable text, Unicode included, is kept.
pub fn terminal_escape(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c == '\\' || c.is_control();
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if c.is_control() {
            use std::fmt::Write;
            if (c as u32) < 0x100 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_only() {
        assert_eq!(terminal_escape("évil.com"), "évil.com");
        assert_eq!(
            terminal_escape("a\u{1b}[2Jb\\\u{85}"),
            "a\\x1b[2Jb\\\\\\x85"
        );
    }

    #[test]
    fn json_escapes_controls_and_quotes() {
        let mut o = String::new();
        json_escape_into("a\"b\\c\u{1}\n\u{1b}[31m", &mut o);
        assert_eq!(o, "a\\\"b\\\\c\\u0001\\n\\u001b[31m");
    }

    #[test]
    fn json_fast_path_and_line_separators() {
        let mut o = String::new();
        json_escape_into("plain ascii and ünïcode", &mut o);
        assert_eq!(o, "plain ascii and ünïcode");
        let mut o = String::new();
        json_escape_into("a\u{2028}b\u{2029}c\u{7f}", &mut o);
        assert_eq!(o, "a\\u2028b\\u2029c\\u007f");
    }

    #[test]
    fn escape_check_sees_every_position() {
        for len in 0..40 {
            for at in 0..len {
                for special in [b'"', b'\\', 0x01, 0x7f, 0xe2] {
                    let mut v = vec![b'a'; len];
                    v[at] = special;
                    assert!(json_needs_escape(&v), "len {len} at {at}");
                }
            }
            assert!(!json_needs_escape(&vec![b'a'; len]));
        }
    }

    #[test]
    fn tsv_escapes_separators() {
        let mut o = String::new();
        tsv_escape_into("a\tb,c\u{1}", &mut o);
        assert_eq!(o, "a\\x09b\\x2cc\\x01");
        let mut e = String::new();
        tsv_escape_into("", &mut e);
        assert_eq!(e, "(empty)");
    }
}
