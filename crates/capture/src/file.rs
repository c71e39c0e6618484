//! One capture file read as a stream of packets.
//!
//! The reader owns one large buffer and frames records itself (so that it knows each record's
//! offset, can tell a truncated file from a corrupt one, and can bound record sizes before
//! reading them); the content of each record is decoded with `pcap-parser`. Packets are handed
//! out as slices of that buffer, so nothing is copied or allocated per packet.
use crate::{CaptureError, CaptureErrorKind, PacketRef};
use flate2::read::MultiGzDecoder;
use pcap_parser::nom;
use pcap_parser::pcapng::{
    parse_enhancedpacketblock_be, parse_enhancedpacketblock_le, parse_interfacedescriptionblock_be,
    parse_interfacedescriptionblock_le, parse_sectionheaderblock, parse_simplepacketblock_be,
    parse_simplepacketblock_le, OptionCode,
};
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, PcapError};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Largest packet accepted, as in Wireshark (`WTAP_MAX_PACKET_SIZE_STANDARD`). A bigger length
/// in a record header is far more likely damage than data, and bounding it keeps a corrupt
/// header from making us allocate gigabytes.
pub const MAX_CAPLEN: u32 = 256 * 1024;
/// Largest pcapng block accepted: room for a maximal packet plus generous options; name
/// resolution or custom blocks are the only ones that legitimately get big.
pub const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;

/// Default read buffer: big enough that reads are few and large.
pub(crate) const DEFAULT_BUFFER: usize = 1 << 20;
const GZIP_INPUT_BUFFER: usize = 256 * 1024;

const SHB_TYPE: u32 = 0x0A0D_0D0A;
const IDB_TYPE: u32 = 0x0000_0001;
const OBSOLETE_PB_TYPE: u32 = 0x0000_0002;
const SPB_TYPE: u32 = 0x0000_0003;
const EPB_TYPE: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Oddities that do not stop reading but that a careful user may want to know about.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadWarnings {
    /// Packets whose captured length exceeds the snap length of their file or interface.
    pub caplen_over_snaplen: u64,
    /// Packets whose captured length exceeds their length on the wire.
    pub caplen_over_orig_len: u64,
    /// Interfaces whose `if_tsresol` could not be honoured (microseconds were assumed).
    pub bad_tsresol: u64,
}

/// The container format, with what is needed to decode its records.
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        /// Kuznetsov's patched format: 8 more bytes per record header.
        modified: bool,
        /// Files older than format 2.3 may have captured and original lengths swapped.
        old_lengths: bool,
        linktype: u32,
        snaplen: u32,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

struct Interface {
    linktype: u32,
    snaplen: u32,
    ts: TsConv,
}

/// Converts pcapng timestamp units of one interface to nanoseconds.
#[derive(Clone, Copy, Debug)]
enum TsScale {
    /// Units of 10^-k s with k <= 9: multiply.
    Mul(i128),
    /// Units of 10^-k s with k > 9: divide.
    Div(i128),
    /// Units of 2^-k s.
    Shift(u32),
}

#[derive(Clone, Copy, Debug)]
struct TsConv {
    scale: TsScale,
    offset_ns: i128,
}

impl TsConv {
    const MICROS: TsConv = TsConv {
        scale: TsScale::Mul(1000),
        offset_ns: 0,
    };

    /// `None` for resolutions too fine to represent in 64-bit units.
    fn new(tsresol: u8, offset_s: i64) -> Option<TsConv> {
        let exp = u32::from(tsresol & 0x7f);
        let scale = if tsresol & 0x80 == 0 {
            match exp {
                0..=9 => TsScale::Mul(10i128.pow(9 - exp)),
                10..=19 => TsScale::Div(10i128.pow(exp - 9)),
                _ => return None,
            }
        } else if exp <= 63 {
            TsScale::Shift(exp)
        } else {
            return None;
        };
        Some(TsConv {
            scale,
            offset_ns: i128::from(offset_s) * 1_000_000_000,
        })
    }

    #[inline]
    fn to_ns(self, units: u64) -> i64 {
        let units = i128::from(units);
        let ns = match self.scale {
            TsScale::Mul(m) => units * m,
            TsScale::Div(d) => units / d,
            TsScale::Shift(s) => (units * 1_000_000_000) >> s,
        } + self.offset_ns;
        ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// Where the packet returned last sits in the buffer; valid until the next read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Current {
    pub(crate) ts_ns: i64,
    linktype: u32,
    data_start: usize,
    data_len: usize,
    orig_len: u32,
    offset: u64,
}

/// Counts bytes taken from the underlying file, for progress over compressed input.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Why the buffer could not be filled as asked.
enum FillError {
    /// The stream ended first.
    Eof,
    Io(io::Error),
}

/// One capture file (or standard input), read as a stream.
pub struct CaptureFile {
    name: PathBuf,
    reader: Box<dyn Read + Send>,
    gzip: bool,
    raw_bytes: Arc<AtomicU64>,
    total_size: Option<u64>,
    buf: Vec<u8>,
    /// `buf[start..end]` holds data not yet consumed.
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    pos: u64,
    eof: bool,
    /// Set after an error: the reader delivers nothing more.
    done: bool,
    format: Format,
    file_index: usize,
    packets: u64,
    warnings: ReadWarnings,
    current: Option<Current>,
}

impl CaptureFile {
    /// Opens `path` (`-` is standard input), detecting gzip and pcap/pcapng by magic number.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Self::open_with_buffer(path, DEFAULT_BUFFER)
    }

    pub(crate) fn open_with_buffer(path: &Path, buffer: usize) -> Result<Self, CaptureError> {
        let open_err = |e| CaptureError {
            file: path.to_path_buf(),
            offset: 0,
            kind: CaptureErrorKind::Open(e),
        };
        if path.as_os_str() == "-" {
            return Self::build(path.to_path_buf(), Box::new(io::stdin()), None, buffer);
        }
        let file = std::fs::File::open(path).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(open_err(io::Error::other("is a directory")));
        }
        let size = meta.is_file().then_some(meta.len());
        Self::build(path.to_path_buf(), Box::new(file), size, buffer)
    }

    /// Reads a capture from any byte stream; `name` is used in error messages.
    /// Gzip and the format are detected as in [`Self::open`].
    pub fn from_reader(
        name: impl Into<PathBuf>,
        reader: Box<dyn Read + Send>,
    ) -> Result<Self, CaptureError> {
        Self::build(name.into(), reader, None, DEFAULT_BUFFER)
    }

    fn build(
        name: PathBuf,
        raw: Box<dyn Read + Send>,
        total_size: Option<u64>,
        buffer: usize,
    ) -> Result<Self, CaptureError> {
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: raw,
            count: Arc::clone(&raw_bytes),
        };
        let mut f = CaptureFile {
            name,
            reader: Box::new(counting),
            gzip: false,
            raw_bytes,
            total_size,
            buf: vec![0; buffer.max(64)],
            start: 0,
            end: 0,
            pos: 0,
            eof: false,
            done: false,
            // Replaced once the header is read.
            format: Format::PcapNg {
                big_endian: false,
                interfaces: Vec::new(),
            },
            file_index: 0,
            packets: 0,
            warnings: ReadWarnings::default(),
            current: None,
        };
        f.detect_gzip()?;
        f.read_file_header()?;
        Ok(f)
    }

    fn detect_gzip(&mut self) -> Result<(), CaptureError> {
        match self.fill(2) {
            Ok(()) | Err(FillError::Eof) => {}
            Err(FillError::Io(e)) => return Err(self.err_at(0, CaptureErrorKind::Io(e))),
        }
        if self.available().starts_with(&[0x1f, 0x8b]) {
            // The bytes already read go back in front of the rest of the raw stream.
            let head = self.available().to_vec();
            let raw = std::mem::replace(&mut self.reader, Box::new(io::empty()));
            let input =
                io::BufReader::with_capacity(GZIP_INPUT_BUFFER, io::Cursor::new(head).chain(raw));
            self.reader = Box::new(MultiGzDecoder::new(input));
            self.gzip = true;
            self.start = 0;
            self.end = 0;
            self.eof = false;
        }
        Ok(())
    }

    fn read_file_header(&mut self) -> Result<(), CaptureError> {
        match self.fill(4) {
            Ok(()) => {}
            Err(FillError::Eof) if self.available().is_empty() => {
                return Err(self.err_at(0, CaptureErrorKind::Empty))
            }
            Err(FillError::Eof) => {
                let mut magic = [0u8; 4];
                magic[..self.available().len()].copy_from_slice(self.available());
                return Err(self.err_at(0, CaptureErrorKind::BadMagic(magic)));
            }
            Err(FillError::Io(e)) => return Err(self.io_err(e)),
        }
        let magic: [u8; 4] = self.buf[self.start..self.start + 4]
            .try_into()
            .unwrap_or_default();
        match u32::from_le_bytes(magic) {
            0xa1b2_c3d4 | 0xa1b2_3c4d | 0xa1b2_cd34 | 0xd4c3_b2a1 | 0x4d3c_b2a1 => {
                self.read_pcap_header()
            }
            SHB_TYPE => {
                self.format = Format::PcapNg {
                    big_endian: false,
                    interfaces: Vec::new(),
                };
                // The first block must be a section header; reading it sets the byte order.
                let (_, len) = self.next_block_header().map_err(|e| {
                    e.unwrap_or_else(|| self.err_at(0, CaptureErrorKind::Truncated))
                })?;
                self.section_header(len)?;
                self.advance(len);
                Ok(())
            }
            _ => Err(self.err_at(0, CaptureErrorKind::BadMagic(magic))),
        }
    }

    fn read_pcap_header(&mut self) -> Result<(), CaptureError> {
        self.need(24)?;
        let header = match pcap_parser::parse_pcap_header(self.available()) {
            Ok((_, h)) => h,
            Err(e) => return Err(self.malformed(format!("bad pcap file header: {}", parse_err(e)))),
        };
        self.format = Format::Pcap {
            big_endian: header.is_bigendian(),
            nanos: header.is_nanosecond_precision(),
            modified: header.is_modified_format(),
            old_lengths: header.version_major < 2
                || (header.version_major == 2 && header.version_minor < 3),
            // The upper bits may carry FCS information; the link type is the low 16.
            linktype: (header.network.0 as u32) & 0xffff,
            snaplen: header.snaplen,
        };
        self.advance(24);
        Ok(())
    }

    /// Index of this file in a [`crate::MergedSource`] (0 unless set), copied into every packet.
    pub fn file_index(&self) -> usize {
        self.file_index
    }

    pub fn set_file_index(&mut self, index: usize) {
        self.file_index = index;
    }

    /// The path (or name) given when opening.
    pub fn path(&self) -> &Path {
        &self.name
    }

    /// True when the file is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// True for pcapng, false for classic pcap.
    pub fn is_pcapng(&self) -> bool {
        matches!(self.format, Format::PcapNg { .. })
    }

    /// Packets delivered so far.
    pub fn packets_read(&self) -> u64 {
        self.packets
    }

    /// Bytes taken so far from the underlying file (compressed bytes for a `.gz` file).
    pub fn bytes_read(&self) -> u64 {
        self.raw_bytes.load(Ordering::Relaxed)
    }

    /// Size of the underlying file when it is a regular file.
    pub fn total_size(&self) -> Option<u64> {
        self.total_size
    }

    /// Offset in the decompressed stream up to which records have been consumed.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Oddities counted so far.
    pub fn warnings(&self) -> ReadWarnings {
        self.warnings
    }

    /// The next packet. After an error, later calls return `Ok(None)`.
    #[inline]
    pub fn next_packet(&mut self) -> Result<Option<PacketRef<'_>>, CaptureError> {
        self.advance_packet()?;
        Ok(self.current())
    }

    /// The packet read last, again (until the next read).
    #[inline]
    pub(crate) fn current(&self) -> Option<PacketRef<'_>> {
        self.current.map(|c| PacketRef {
            ts_ns: c.ts_ns,
            linktype: c.linktype,
            data: &self.buf[c.data_start..c.data_start + c.data_len],
            orig_len: c.orig_len,
            file_index: self.file_index,
            offset: c.offset,
        })
    }

    /// Reads the next packet into `self.current`, which is `None` at the end or after an error.
    #[inline]
    pub(crate) fn advance_packet(&mut self) -> Result<Option<Current>, CaptureError> {
        self.current = None;
        if self.done {
            return Ok(None);
        }
        let r = match self.format {
            Format::Pcap { .. } => self.next_pcap(),
            Format::PcapNg { .. } => self.next_pcapng(),
        };
        match r {
            Ok(c) => {
                self.current = c;
                if c.is_some() {
                    self.packets += 1;
                } else {
                    self.done = true;
                }
                Ok(c)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    fn next_pcap(&mut self) -> Result<Option<Current>, CaptureError> {
        let Format::Pcap {
            big_endian,
            nanos,
            modified,
            old_lengths,
            linktype,
            snaplen,
        } = self.format
        else {
            return Ok(None);
        };
        let hdr_len = if modified { 24 } else { 16 };
        if self.end - self.start < hdr_len {
            match self.fill(hdr_len) {
                Ok(()) => {}
                Err(FillError::Eof) if self.available().is_empty() => return Ok(None),
                Err(FillError::Eof) => return Err(self.err_here(CaptureErrorKind::Truncated)),
                Err(FillError::Io(e)) => return Err(self.io_err(e)),
            }
        }
        let mut caplen = read_u32(&self.buf, self.start + 8, big_endian);
        let mut origlen = read_u32(&self.buf, self.start + 12, big_endian);
        if old_lengths && caplen > origlen {
            // Writers of format 2.2 and older put the two lengths the other way round; like
            // libpcap and Wireshark, assume the smaller one is what was captured.
            std::mem::swap(&mut caplen, &mut origlen);
        }
        if caplen > MAX_CAPLEN {
            return Err(self.malformed(format!(
                "record claims {caplen} captured bytes, more than the {MAX_CAPLEN} accepted: \
                 corrupt record header"
            )));
        }
        let rec_len = hdr_len + caplen as usize;
        self.need(rec_len)?;
        let rec = &self.buf[self.start..self.start + rec_len];
        // The record is framed already; pcap-parser decodes its header. A swapped old record
        // is beyond it (it takes the larger length as captured), so those timestamps are read
        // here.
        let parsed = if modified {
            parse_pcap_frame_modified(rec)
        } else if big_endian {
            parse_pcap_frame_be(rec)
        } else {
            parse_pcap_frame(rec)
        };
        let (ts_sec, ts_frac) = match parsed {
            Ok((_, b)) => (b.ts_sec, b.ts_usec),
            Err(_) if old_lengths => (
                read_u32(&self.buf, self.start, big_endian),
                read_u32(&self.buf, self.start + 4, big_endian),
            ),
            Err(e) => return Err(self.malformed(format!("bad pcap record: {}", parse_err(e)))),
        };
        if snaplen != 0 && caplen > snaplen {
            self.warnings.caplen_over_snaplen += 1;
        }
        if caplen > origlen {
            self.warnings.caplen_over_orig_len += 1;
        }
        let frac_ns = if nanos {
            i64::from(ts_frac)
        } else {
            i64::from(ts_frac) * 1000
        };
        let cur = Current {
            ts_ns: i64::from(ts_sec) * 1_000_000_000 + frac_ns,
            linktype,
            data_start: self.start + hdr_len,
            data_len: caplen as usize,
            orig_len: origlen,
            offset: self.pos,
        };
        self.advance(rec_len);
        Ok(Some(cur))
    }

    fn next_pcapng(&mut self) -> Result<Option<Current>, CaptureError> {
        loop {
            let (btype, len) = match self.next_block_header() {
                Ok(h) => h,
                Err(None) => return Ok(None),
                Err(Some(e)) => return Err(e),
            };
            let packet = match btype {
                EPB_TYPE => self.enhanced_packet(len)?,
                SPB_TYPE => self.simple_packet(len)?,
                OBSOLETE_PB_TYPE => self.obsolete_packet(len)?,
                IDB_TYPE => {
                    self.interface_description(len)?;
                    None
                }
                SHB_TYPE => {
                    self.section_header(len)?;
                    None
                }
                // Name resolution, statistics, secrets, custom blocks...: nothing for us.
                _ => None,
            };
            let offset = self.pos;
            self.advance(len);
            if let Some(mut cur) = packet {
                cur.offset = offset;
                return Ok(Some(cur));
            }
        }
    }

    /// Frames the next pcapng block: checks its length and makes the whole block available.
    /// `Err(None)` is a clean end of file.
    fn next_block_header(&mut self) -> Result<(u32, usize), Option<CaptureError>> {
        if self.end - self.start < 12 {
            match self.fill(12) {
                Ok(()) => {}
                Err(FillError::Eof) if self.available().is_empty() => return Err(None),
                Err(FillError::Eof) => {
                    return Err(Some(self.err_here(CaptureErrorKind::Truncated)))
                }
                Err(FillError::Io(e)) => return Err(Some(self.io_err(e))),
            }
        }
        let Format::PcapNg { big_endian, .. } = self.format else {
            return Err(None);
        };
        let mut big_endian = big_endian;
        let btype_le = read_u32(&self.buf, self.start, false);
        if btype_le == SHB_TYPE {
            // A new section may switch byte order: its byte-order magic says which.
            big_endian = match read_u32(&self.buf, self.start + 8, false) {
                BYTE_ORDER_MAGIC => false,
                m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
                m => {
                    return Err(Some(self.malformed(format!(
                        "section header with unknown byte-order magic {m:#010x}"
                    ))))
                }
            };
        }
        let btype = read_u32(&self.buf, self.start, big_endian);
        let len = read_u32(&self.buf, self.start + 4, big_endian);
        if len < 12 || len & 3 != 0 {
            return Err(Some(self.malformed(format!(
                "block of type {btype:#x} has invalid length {len} (must be a multiple of 4, at least 12)"
            ))));
        }
        if len > MAX_BLOCK_LEN {
            return Err(Some(self.malformed(format!(
                "block of type {btype:#x} claims {len} bytes, more than the {MAX_BLOCK_LEN} accepted: \
                 corrupt block header"
            ))));
        }
        self.need(len as usize).map_err(Some)?;
        if btype == SHB_TYPE {
            if let Format::PcapNg { big_endian: be, .. } = &mut self.format {
                *be = big_endian;
            }
        }
        Ok((btype, len as usize))
    }

    fn block(&self, len: usize) -> &[u8] {
        &self.buf[self.start..self.start + len]
    }

    fn section_header(&mut self, len: usize) -> Result<(), CaptureError> {
        let major = match parse_sectionheaderblock(self.block(len)) {
            Ok((_, shb)) => shb.major_version,
            Err(e) => {
                return Err(self.malformed(format!("bad section header block: {}", parse_err(e))))
            }
        };
        if major != 1 {
            return Err(self.malformed(format!("unsupported pcapng major version {major}")));
        }
        if let Format::PcapNg { interfaces, .. } = &mut self.format {
            interfaces.clear();
        }
        Ok(())
    }

    fn interface_description(&mut self, len: usize) -> Result<(), CaptureError> {
        let big_endian = self.big_endian();
        let block = self.block(len);
        let parsed = if big_endian {
            parse_interfacedescriptionblock_be(block)
        } else {
            parse_interfacedescriptionblock_le(block)
        };
        let idb = match parsed {
            Ok((_, idb)) => idb,
            Err(e) => {
                let msg = format!("bad interface description block: {}", parse_err(e));
                return Err(self.malformed(msg));
            }
        };
        // Read the time options ourselves: their values are in the section's byte order.
        let mut tsresol = 6u8;
        let mut tsoffset = 0i64;
        for opt in &idb.options {
            let value = opt.value();
            if opt.code == OptionCode::IfTsresol && opt.len >= 1 && !value.is_empty() {
                tsresol = value[0];
            } else if opt.code == OptionCode::IfTsoffset && opt.len == 8 && value.len() >= 8 {
                let b: [u8; 8] = value[..8].try_into().unwrap_or_default();
                tsoffset = if big_endian {
                    i64::from_be_bytes(b)
                } else {
                    i64::from_le_bytes(b)
                };
            }
        }
        let iface = Interface {
            linktype: u32::from(idb.linktype.0 as u16),
            snaplen: idb.snaplen,
            ts: TsConv::new(tsresol, tsoffset).unwrap_or_else(|| {
                self.warnings.bad_tsresol += 1;
                TsConv {
                    offset_ns: i128::from(tsoffset) * 1_000_000_000,
                    ..TsConv::MICROS
                }
            }),
        };
        if let Format::PcapNg { interfaces, .. } = &mut self.format {
            interfaces.push(iface);
        }
        Ok(())
    }

    fn enhanced_packet(&mut self, len: usize) -> Result<Option<Current>, CaptureError> {
        let block = self.block(len);
        let parsed = if self.big_endian() {
            parse_enhancedpacketblock_be(block)
        } else {
            parse_enhancedpacketblock_le(block)
        };
        let (if_id, ts, caplen, origlen) = match parsed {
            Ok((_, epb)) => (
                epb.if_id,
                (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low),
                epb.caplen,
                epb.origlen,
            ),
            Err(e) => {
                let msg = format!("bad enhanced packet block: {}", parse_err(e));
                return Err(self.malformed(msg));
            }
        };
        // pcap-parser has checked that `caplen` bytes (padded) fit in the block.
        self.packet(if_id, ts, 28, caplen, origlen)
    }

    fn simple_packet(&mut self, len: usize) -> Result<Option<Current>, CaptureError> {
        let block = self.block(len);
        let parsed = if self.big_endian() {
            parse_simplepacketblock_be(block)
        } else {
            parse_simplepacketblock_le(block)
        };
        let (origlen, in_block) = match parsed {
            Ok((_, spb)) => (spb.orig_len(), spb.packet_data().len() as u32),
            Err(e) => {
                let msg = format!("bad simple packet block: {}", parse_err(e));
                return Err(self.malformed(msg));
            }
        };
        let snaplen = match &self.format {
            Format::PcapNg { interfaces, .. } => interfaces.first().map(|i| i.snaplen),
            Format::Pcap { .. } => None,
        };
        let Some(snaplen) = snaplen else {
            return Err(
                self.malformed("simple packet block before any interface description".into())
            );
        };
        let caplen = if snaplen != 0 {
            in_block.min(snaplen)
        } else {
            in_block
        };
        // No timestamp in this block type: the packets get time 0 (as in Wireshark).
        self.packet(0, 0, 12, caplen, origlen)
    }

    /// Packet Block of pcapng drafts before 1.0, still written by some old tools. pcap-parser
    /// has no parser for it, and its layout is that of an Enhanced Packet Block with a 16-bit
    /// interface id followed by a 16-bit drop count.
    fn obsolete_packet(&mut self, len: usize) -> Result<Option<Current>, CaptureError> {
        if len < 32 {
            return Err(self.malformed(format!("packet block too short ({len} bytes)")));
        }
        let be = self.big_endian();
        let s = self.start;
        let if_id = if be {
            u16::from_be_bytes([self.buf[s + 8], self.buf[s + 9]])
        } else {
            u16::from_le_bytes([self.buf[s + 8], self.buf[s + 9]])
        };
        let ts_high = read_u32(&self.buf, s + 12, be);
        let ts_low = read_u32(&self.buf, s + 16, be);
        let caplen = read_u32(&self.buf, s + 20, be);
        let origlen = read_u32(&self.buf, s + 24, be);
        if caplen as usize > len - 32 {
            return Err(self.malformed(format!(
                "packet block of {len} bytes claims {caplen} captured bytes"
            )));
        }
        let ts = (u64::from(ts_high) << 32) | u64::from(ts_low);
        self.packet(u32::from(if_id), ts, 28, caplen, origlen)
    }

    /// Builds the packet of a pcapng block whose data starts `data_at` bytes into the block.
    #[inline]
    fn packet(
        &mut self,
        if_id: u32,
        ts: u64,
        data_at: usize,
        caplen: u32,
        origlen: u32,
    ) -> Result<Option<Current>, CaptureError> {
        let Format::PcapNg { interfaces, .. } = &self.format else {
            return Ok(None);
        };
        let Some(iface) = interfaces.get(if_id as usize) else {
            let n = interfaces.len();
            return Err(self.malformed(format!(
                "packet refers to interface {if_id}, but the section describes {n} interface(s)"
            )));
        };
        if caplen > MAX_CAPLEN {
            return Err(self.malformed(format!(
                "packet claims {caplen} captured bytes, more than the {MAX_CAPLEN} accepted"
            )));
        }
        let (linktype, ts_ns, snaplen) = (iface.linktype, iface.ts.to_ns(ts), iface.snaplen);
        if snaplen != 0 && caplen > snaplen {
            self.warnings.caplen_over_snaplen += 1;
        }
        if caplen > origlen {
            self.warnings.caplen_over_orig_len += 1;
        }
        Ok(Some(Current {
            ts_ns,
            linktype,
            data_start: self.start + data_at,
            data_len: caplen as usize,
            orig_len: origlen,
            offset: self.pos,
        }))
    }

    fn big_endian(&self) -> bool {
        match self.format {
            Format::Pcap { big_endian, .. } | Format::PcapNg { big_endian, .. } => big_endian,
        }
    }

    #[inline]
    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    #[inline]
    fn advance(&mut self, n: usize) {
        self.start += n;
        self.pos += n as u64;
    }

    /// Makes `n` bytes available from `start`, or reports why not as a record-level error.
    #[inline]
    fn need(&mut self, n: usize) -> Result<(), CaptureError> {
        if self.end - self.start >= n {
            return Ok(());
        }
        match self.fill(n) {
            Ok(()) => Ok(()),
            Err(FillError::Eof) => Err(self.err_here(CaptureErrorKind::Truncated)),
            Err(FillError::Io(e)) => Err(self.io_err(e)),
        }
    }

    /// Reads until `n` bytes are available from `start`.
    ///
    /// Only called when the buffered data runs short, so moving the leftover (less than one
    /// record) to the front first costs little and lets every read fill most of the buffer.
    #[cold]
    fn fill(&mut self, n: usize) -> Result<(), FillError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if n > self.buf.len() {
            // Records are bounded by MAX_BLOCK_LEN before we get here.
            self.buf.resize(n.next_power_of_two(), 0);
        }
        while self.end < n {
            if self.eof {
                return Err(FillError::Eof);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FillError::Io(e)),
            }
        }
        Ok(())
    }

    fn err_at(&self, offset: u64, kind: CaptureErrorKind) -> CaptureError {
        CaptureError {
            file: self.name.clone(),
            offset,
            kind,
        }
    }

    /// An error about the record starting at the current position.
    fn err_here(&self, kind: CaptureErrorKind) -> CaptureError {
        self.err_at(self.pos, kind)
    }

    fn malformed(&self, msg: String) -> CaptureError {
        self.err_here(CaptureErrorKind::Malformed(msg))
    }

    /// A read failure, placed where the stream stopped.
    fn io_err(&self, e: io::Error) -> CaptureError {
        let at = self.pos + (self.end - self.start) as u64;
        let kind = if self.gzip {
            CaptureErrorKind::Decompress(e)
        } else {
            CaptureErrorKind::Io(e)
        };
        self.err_at(at, kind)
    }
}

impl std::fmt::Debug for CaptureFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureFile")
            .field("name", &self.name)
            .field("gzip", &self.gzip)
            .field("pcapng", &self.is_pcapng())
            .field("position", &self.pos)
            .field("packets", &self.packets)
            .finish_non_exhaustive()
    }
}

#[inline]
fn read_u32(buf: &[u8], at: usize, big_endian: bool) -> u32 {
    let b = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// pcap-parser's error for a block we framed ourselves: running out of bytes means the block's
/// inner lengths disagree with its length field, not that the file is truncated.
fn parse_err(e: nom::Err<PcapError<&[u8]>>) -> String {
    match e {
        nom::Err::Incomplete(_) => "inner lengths exceed the block length".to_string(),
        nom::Err::Error(e) | nom::Err::Failure(e) => match e {
            PcapError::NomError(_, kind) => format!("{kind:?} check failed"),
            other => format!("{other:?}"),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// Nanoseconds for `units` on an interface with these `if_tsresol` and `if_tsoffset`.
    pub(crate) fn ts_ns(tsresol: u8, offset_s: i64, units: u64) -> i64 {
        super::TsConv::new(tsresol, offset_s)
            .expect("valid resolution")
            .to_ns(units)
    }
}
