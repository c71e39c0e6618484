//! Plain lists: one value per line, its type detected per line (or forced by the feed's
//! options). Blank lines and comments (`#`, `;`, `//`, whole-line or after the value) are
//! ignored; `0.0.0.0 name` lines of hosts-file block lists give the name.

use super::{FeedLoad, Location};

pub(super) fn parse(bytes: &[u8], load: &mut FeedLoad) {
    let text = String::from_utf8_lossy(bytes);
    let defaults = load.defaults();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.trim_start_matches('\u{feff}');
        let value = strip_comment(line).trim();
        if value.is_empty() {
            continue;
        }
        load.add(None, value, defaults.clone(), Location::Line(line_no));
    }
}

/// The line without a trailing comment. `#` starts a comment only at the start or after
/// whitespace (URLs contain `#` fragments); `;` and `//` likewise.
fn strip_comment(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with(';') || t.starts_with("//") {
        return "";
    }
    let b = line.as_bytes();
    for i in 1..b.len() {
        if b[i - 1].is_ascii_whitespace()
            && (b[i] == b'#' || b[i] == b';' || line[i..].starts_with("//"))
        {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::FeedOptions;
    use crate::indicator::IndicatorType as T;

    #[test]
    fn types_comments_and_bad_lines() {
        let feed = "# header\n\n1.2.3.4\n10.0.0.0/8 # office\n*.evil.example\n; note\nhttp://x.example/a#b\n\
                    0.0.0.0 ads.example\nnot a value here\nd41d8cd98f00b204e9800998ecf8427e\n2001:db8::1\n";
        let mut load = FeedLoad::new(0, &FeedOptions::default());
        parse(feed.as_bytes(), &mut load);
        let got: Vec<(T, &str, bool)> = load
            .indicators
            .iter()
            .map(|i| (i.kind, &*i.value, i.subdomains))
            .collect();
        assert_eq!(
            got,
            vec![
                (T::Addr, "1.2.3.4", false),
                (T::Subnet, "10.0.0.0/8", false),
                (T::Domain, "evil.example", true),
                (T::Url, "x.example/a", false),
                (T::Domain, "ads.example", false),
                (T::Md5, "d41d8cd98f00b204e9800998ecf8427e", false),
                (T::Addr, "2001:db8::1", false),
            ]
        );
        assert_eq!(load.problem_count, 1);
        assert_eq!(load.problems[0].at, Location::Line(9));
    }

    #[test]
    fn forced_type() {
        let opts = FeedOptions {
            kind: Some(T::Ja3),
            ..FeedOptions::default()
        };
        let mut load = FeedLoad::new(0, &opts);
        parse(b"E7D705A3286E19EA42F587B344EE6865\nxyz\n", &mut load);
        assert_eq!(load.indicators.len(), 1);
        assert_eq!(load.indicators[0].kind, T::Ja3);
        assert_eq!(load.problem_count, 1);
    }
}
