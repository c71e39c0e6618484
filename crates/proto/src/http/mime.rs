//! MIME type of a body from its first bytes: a small table of magic numbers and text
//! heuristics, approximating the types Zeek's file signatures report.

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn starts_nocase(b: &[u8], p: &[u8]) -> bool {
    b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p)
}

/// Leading CR, LF, space and tab.
fn skip_blank_lines(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .take_while(|c| matches!(c, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    &b[n..]
}

fn skip_blank(b: &[u8]) -> (&[u8], usize) {
    let n = b.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    (&b[n..], n)
}

/// `#!` scripts by interpreter, as Zeek's file signatures type them: `#!` then at most 15
/// characters other than LF before `bin/`, optionally `env` and white space, then the name.
fn shebang(b: &[u8]) -> Option<&'static str> {
    const INTERPRETERS: &[(&[&[u8]], &str)] = &[
        (
            &[
                b"bash", b"tcsh", b"csh", b"zsh", b"fash", b"aesh", b"ksh", b"sh",
            ],
            "text/x-shellscript",
        ),
        (&[b"perl"], "text/x-perl"),
        (&[b"ruby"], "text/x-ruby"),
        (&[b"python"], "text/x-python"),
        (&[b"gawk", b"nawk", b"awk"], "text/x-awk"),
        (&[b"wish", b"tcl"], "text/x-tcl"),
        (&[b"lua"], "text/x-lua"),
        (&[b"node"], "application/javascript"),
        (&[b"php"], "text/x-php"),
    ];
    let rest = b.strip_prefix(b"#!")?;
    let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
    // The shell signature has the highest priority: try every `bin/` the 1..15 characters
    // allow, and keep the best-ranked interpreter.
    let mut best: Option<usize> = None;
    for skip in 1..=15usize.min(line.len()) {
        let Some(after) = line[skip..].strip_prefix(b"bin/") else {
            continue;
        };
        let mut names = vec![after];
        if let Some(e) = after.strip_prefix(b"env") {
            let n = e.iter().take_while(|c| c.is_ascii_whitespace()).count();
            if n > 0 {
                names.push(&e[n..]);
            }
        }
        for name in names {
            for (i, (prefixes, _)) in INTERPRETERS.iter().enumerate() {
                if prefixes.iter().any(|p| name.starts_with(p)) && best.is_none_or(|b| i < b) {
                    best = Some(i);
                }
            }
        }
    }
    best.map(|i| INTERPRETERS[i].1)
}

/// JavaScript as Zeek's file signatures recognise it (all of priority 60).
fn javascript(b: &[u8]) -> bool {
    // `(function()`, blanks or LFs (not CRs), `{`.
    if let Some(r) = b.strip_prefix(b"(function()") {
        let n = r
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\n'))
            .count();
        if r.get(n) == Some(&b'{') {
            return true;
        }
    }
    let t = skip_blank_lines(b);
    if t.starts_with(b"for (;;);") {
        return true;
    }
    if let Some(r) = t.strip_prefix(b"document.write") {
        let r = r.strip_prefix(b"ln").unwrap_or(r);
        // Zeek's pattern has `[:blank:]?` outside brackets: one optional character of
        // ":blank".
        let r = match r.first() {
            Some(c) if b":blank".contains(c) => &r[1..],
            _ => r,
        };
        if r.first() == Some(&b'(') {
            return true;
        }
    }
    if let Some(r) = t.strip_prefix(b"<script>") {
        let r = skip_blank_lines(r);
        if r.starts_with(b"var ") || r.starts_with(b"function ") {
            return true;
        }
    }
    if starts_nocase(t, b"<script") {
        let (r, n) = skip_blank(&t[7..]);
        if n > 0 {
            let attr = if starts_nocase(r, b"type=") {
                Some(&r[5..])
            } else if starts_nocase(r, b"language=") {
                Some(&r[9..])
            } else {
                None
            };
            if let Some(v) = attr {
                let v = match v.first() {
                    Some(b'\'' | b'"') => &v[1..],
                    _ => v,
                };
                let v = if starts_nocase(v, b"text/") {
                    &v[5..]
                } else {
                    v
                };
                if starts_nocase(v, b"javascript") {
                    return true;
                }
            }
        }
    }
    false
}

/// Sniffs the MIME type from the first bytes of a body (give at least 64 when there are).
pub fn sniff(b: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"MZ", "application/x-dosexec"),
        (b"\x7fELF", "application/x-executable"),
        (b"%PDF", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/x-gzip"),
        (b"BZh", "application/x-bzip2"),
        (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
        (b"Rar!\x1a\x07", "application/x-rar"),
        (b"\xfd7zXZ\x00", "application/x-xz"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"\x00\x00\x01\x00", "image/x-icon"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "application/vnd.ms-office",
        ),
        (b"\xca\xfe\xba\xbe", "application/x-java-applet"),
        (b"\x00asm", "application/wasm"),
        (b"OggS", "application/ogg"),
        (b"ID3", "audio/mpeg"),
        (b"{\\rtf", "text/rtf"),
        (b"-----BEGIN CERTIFICATE-----", "application/x-x509-ca-cert"),
    ];
    if b.is_empty() {
        return None;
    }
    for (m, t) in MAGIC {
        if b.starts_with(m) {
            return Some(t);
        }
    }
    if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if let Some(m) = shebang(b) {
        return Some(m);
    }
    if javascript(b) {
        return Some("application/javascript");
    }
    let t = skip_ws(b);
    if starts_nocase(t, b"<?xml") {
        return Some("application/xml");
    }
    const HTML: &[&[u8]] = &[
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<title",
        b"<body",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<table",
        b"<a ",
        b"<p>",
        b"<style",
        b"<meta",
        b"<!--",
        b"<br",
        b"<form",
        b"<center",
    ];
    if HTML.iter().any(|p| starts_nocase(t, p)) {
        return Some("text/html");
    }
    if let Some((&c, rest)) = t.split_first() {
        let rest = skip_ws(rest);
        if (c == b'{' && (rest.first() == Some(&b'"') || rest.first() == Some(&b'}')))
            || (c == b'[' && matches!(rest.first(), Some(b'{' | b'"' | b'[' | b']')))
        {
            return Some("text/json");
        }
    }
    // Text: at least ten bytes, the first ten printable ASCII or whitespace.
    let texty = b.len() >= 10
        && b[..10].iter().all(|&c| {
            (0x20..0x7f).contains(&c) || matches!(c, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
        });
    texty.then_some("text/plain")
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn table() {
        assert_eq!(sniff(b"MZ\x90\x00\x03"), Some("application/x-dosexec"));
        assert_eq!(sniff(b"GIF89a\x01\x00"), Some("image/gif"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(b"  <!DOCTYPE HTML PUBLIC"), Some("text/html"));
        assert_eq!(sniff(b"{\n  \"args\": {}"), Some("text/json"));
        assert_eq!(sniff(b"body { color: red }"), Some("text/plain"));
        assert_eq!(sniff(b"\x00\x01\x02\x03binary"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"test"), None, "too short to call text");
    }

    #[test]
    fn scripts() {
        // The body of the second response of Traces/http/version-mismatch.pcap (Zeek:
        // application/javascript), and of its first (Zeek: text/plain, a CR breaks the
        // `(function()` idiom).
        assert_eq!(
            sniff(b"document.write(\"<IFRAME SRC=\\\"http://ad.doubleclick.net/adi/N5717"),
            Some("application/javascript")
        );
        assert_eq!(
            sniff(b"(function()\r\n{\r\nvar undef=\"undefined\";\r\nvar _Math=Math;"),
            Some("text/plain")
        );
        assert_eq!(
            sniff(b"(function() {\n  var a"),
            Some("application/javascript")
        );
        assert_eq!(
            sniff(b"\r\n  <SCRIPT language='JavaScript'>var x"),
            Some("application/javascript")
        );
        assert_eq!(
            sniff(b"<script>\nvar x = 1;"),
            Some("application/javascript")
        );
        assert_eq!(sniff(b"for (;;);{\"a\":1}"), Some("application/javascript"));
        assert_eq!(sniff(b"document.write (1); more text"), Some("text/plain"));
        assert_eq!(
            sniff(b"#!/usr/bin/env node\nconsole.log(1)"),
            Some("application/javascript")
        );
        assert_eq!(
            sniff(b"#!/bin/bash\necho hello world"),
            Some("text/x-shellscript")
        );
        assert_eq!(
            sniff(b"#!/usr/bin/python3\nprint(1)"),
            Some("text/x-python")
        );
        assert_eq!(sniff(b"#!/usr/local/bin/perl -w\n"), Some("text/x-perl"));
    }
}
