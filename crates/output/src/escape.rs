//! Escaping of strings from the wire for each output format.

/// Appends `s` as the inside of a JSON string literal (RFC 8259): quotes, backslashes and all
/// control characters are escaped; invalid UTF-8 never reaches here because callers pass `&str`.
pub fn json_escape_into(s: &str, out: &mut String) {
    // Most strings need no escaping: copy them whole.
    if !s
        .bytes()
        .any(|b| b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f || b == 0xe2)
    {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn tsv_escapes_separators() {
        let mut o = String::new();
        tsv_escape_into("a\tb,c\u{1}", &mut o);
        assert_eq!(o, "a\\x09b\\x2cc\\x01");
        let mut e = String::new();
        tsv_escape_into("", &mut e);
        assert_eq!(e, "(empty)");
    }
}
