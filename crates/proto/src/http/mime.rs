//! MIME type of a body from its first bytes: a small table of magic numbers and text
//! heuristics, approximating the types Zeek's file signatures report.

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn starts_nocase(b: &[u8], p: &[u8]) -> bool {
    b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p)
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
}
