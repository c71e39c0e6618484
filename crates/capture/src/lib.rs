//! Packet sources for netloupe.
//!
//! Reads classic pcap (micro- and nanosecond, both byte orders), pcapng (any number of
//! interfaces, each with its own link type and `if_tsresol`), either of them gzip-compressed,
//! from a path or from standard input (`-`), and merges several files into one stream in
//! timestamp order. Every packet comes out with its absolute timestamp in nanoseconds, the link
//! type of the interface it was captured on, and the byte offset of its record in the file, so
//! that errors and extracted evidence can point back into the file.
//!
//! Records are framed by this crate (so that each one's offset is known, its length is bounded
//! before it is read, and a file that merely stops early is told apart from a damaged one) and
//! decoded with the `pcap-parser` crate; this crate adds the streaming, decompression, merge and
//! error reporting around it. Packets are slices of one large read buffer, never copied; the
//! only per-packet allocation is pcap-parser's list of options for pcapng packet blocks that
//! carry options (most do not). A damaged file never panics: the reader stops at the damage with a
//! [`CaptureError`] naming the file and byte offset, and everything read before it stays valid.
//! A capture that just ends mid-record gives an error for which
//! [`CaptureError::is_truncation`] is true, which callers usually treat as a warning.
#![forbid(unsafe_code)]

mod error;
mod file;
mod merge;
#[cfg(test)]
mod tests;

pub use error::{CaptureError, CaptureErrorKind};
pub use file::{CaptureFile, ReadWarnings, MAX_BLOCK_LEN, MAX_CAPLEN};
pub use merge::MergedSource;

/// Link-layer header types (the `LINKTYPE_*` / `DLT_*` numbers of tcpdump.org) that netloupe
/// knows by name.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const PPP: u32 = 9;
    /// DLT_RAW as most systems number it.
    pub const RAW_OLD: u32 = 12;
    /// DLT_RAW on OpenBSD.
    pub const RAW_OPENBSD: u32 = 14;
    pub const PPP_HDLC: u32 = 50;
    pub const PPP_ETHER: u32 = 51;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

/// One captured packet, borrowed from the reader's buffer until the next call on the reader.
#[derive(Debug, Clone, Copy)]
pub struct PacketRef<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Link type of the interface the packet was captured on.
    pub linktype: u32,
    /// Captured bytes (`caplen` of them).
    pub data: &'a [u8],
    /// Length of the packet on the wire (may exceed `data.len()` when the snap length cut it).
    pub orig_len: u32,
    /// Index of the input file (position in the list given to [`MergedSource`]).
    pub file_index: usize,
    /// Byte offset of the packet's record in the (decompressed) file.
    pub offset: u64,
}

/// Reads a whole capture held in memory, alone and merged with itself, discarding the packets.
///
/// This is the body of the `capture_file` fuzz target, kept here so that unit tests run the
/// very same code on mangled inputs.
#[doc(hidden)]
pub fn fuzz_read(data: &[u8]) {
    let open = || CaptureFile::from_reader("fuzz", Box::new(std::io::Cursor::new(data.to_vec())));
    let Ok(mut f) = open() else {
        return;
    };
    let mut total = 0usize;
    while let Ok(Some(p)) = f.next_packet() {
        total = total.wrapping_add(p.data.len());
    }
    // After the end or an error, the reader must stay finished.
    assert!(matches!(f.next_packet(), Ok(None)));
    let (Ok(a), Ok(b)) = (open(), open()) else {
        return;
    };
    let mut m = MergedSource::from_files(vec![a, b]);
    let mut last = i64::MIN;
    let mut merged = 0usize;
    while let Some(p) = m.next_packet() {
        merged = merged.wrapping_add(p.data.len());
        last = last.max(p.ts_ns);
    }
    assert_eq!(merged, total.wrapping_mul(2));
    let _ = (m.take_errors(), m.progress(), last);
}
