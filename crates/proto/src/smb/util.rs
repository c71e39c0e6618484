//! Byte readers and SMB string/time helpers.

/// Little-endian reads that fail (None) past the end.
pub fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}
pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}
pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
pub fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}
pub fn u128_at(b: &[u8], at: usize) -> Option<u128> {
    let s = b.get(at..at.checked_add(16)?)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(s);
    Some(u128::from_le_bytes(a))
}
/// `len` bytes at `at`, None when out of range.
pub fn slice(b: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    b.get(at..at.checked_add(len)?)
}

/// Longest name kept (characters).
pub const MAX_NAME: usize = 1024;

/// UTF-16LE to a string (lossy), stopping at a NUL, cut at [`MAX_NAME`] characters.
pub fn utf16(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .take(MAX_NAME);
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// An OEM (8-bit) string up to its NUL (bytes ≥ 0x80 as Latin-1), cut at [`MAX_NAME`].
pub fn oem(b: &[u8]) -> String {
    b.iter()
        .take_while(|&&c| c != 0)
        .take(MAX_NAME)
        .map(|&c| c as char)
        .collect()
}

/// Length in bytes of a NUL-terminated UTF-16 string (without the terminator), or the whole.
pub fn utf16_len(b: &[u8]) -> usize {
    b.chunks_exact(2)
        .position(|c| c == [0, 0])
        .map(|i| i * 2)
        .unwrap_or(b.len() & !1)
}

/// FILETIME (100 ns since 1601) to ns since the Unix epoch.
pub fn filetime_ns(ft: u64) -> i64 {
    const EPOCH_DIFF: i128 = 116_444_736_000_000_000;
    let ns = (ft as i128 - EPOCH_DIFF) * 100;
    ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// FILETIME (100 ns since 1601) to whole seconds since the Unix epoch, 0 staying 0 (a time
/// the server did not set, such as a named pipe's).
pub fn filetime_s(ft: u64) -> i64 {
    if ft == 0 {
        return 0;
    }
    (ft / 10_000_000) as i64 - 11_644_473_600
}
