//! Helpers of the parsers' unit tests: hex dumps and frame lists taken from corpus traces.

use crate::Direction;

/// Bytes from a hex dump; anything that is not a hex digit (spaces, newlines) is skipped.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|b| (b as char).to_digit(16).unwrap() as u8)
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// A frame list as the testdata files hold it: one `<time> <c|s> <hex payload>` per line,
/// `#` comments and blank lines skipped.
pub(crate) fn frames(t: &str) -> Vec<(i64, Direction, Vec<u8>)> {
    t.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut it = l.split(' ');
            let n = it.next().unwrap().parse().unwrap();
            let d = match it.next().unwrap() {
                "c" => Direction::Orig,
                _ => Direction::Resp,
            };
            (n, d, unhex(it.next().unwrap()))
        })
        .collect()
}
