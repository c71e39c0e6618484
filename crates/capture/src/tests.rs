//! Unit tests, on captures built byte by byte by the small writers below.
use crate::{linktype, CaptureErrorKind, CaptureFile, MergedSource};
use std::io::{Cursor, Write};
use std::path::PathBuf;

/// Writes classic pcap files.
struct Pcap {
    buf: Vec<u8>,
    be: bool,
    nanos: bool,
}

impl Pcap {
    fn new(be: bool, nanos: bool, linktype: u32, snaplen: u32) -> Pcap {
        let mut p = Pcap {
            buf: Vec::new(),
            be,
            nanos,
        };
        p.u32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        p.u16(2);
        p.u16(4);
        p.u32(0);
        p.u32(0);
        p.u32(snaplen);
        p.u32(linktype);
        p
    }
    fn u16(&mut self, v: u16) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }
    fn packet(&mut self, ts_ns: i64, data: &[u8], orig_len: u32) -> &mut Self {
        let sec = (ts_ns / 1_000_000_000) as u32;
        let ns = (ts_ns % 1_000_000_000) as u32;
        self.u32(sec);
        self.u32(if self.nanos { ns } else { ns / 1000 });
        self.u32(data.len() as u32);
        self.u32(orig_len);
        self.buf.extend_from_slice(data);
        self
    }
}

/// Writes pcapng files, block by block.
struct Ng {
    buf: Vec<u8>,
    be: bool,
}

impl Ng {
    fn new(be: bool) -> Ng {
        let mut n = Ng {
            buf: Vec::new(),
            be,
        };
        n.shb(be);
        n
    }
    fn b16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn b32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, btype: u32, body: &[u8]) -> &mut Self {
        let padded = body.len().div_ceil(4) * 4;
        let len = (12 + padded) as u32;
        let (t, l) = (self.b32(btype), self.b32(len));
        self.buf.extend_from_slice(&t);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(body);
        self.buf.resize(self.buf.len() + padded - body.len(), 0);
        self.buf.extend_from_slice(&l);
        self
    }
    fn option(&self, body: &mut Vec<u8>, code: u16, value: &[u8]) {
        body.extend_from_slice(&self.b16(code));
        body.extend_from_slice(&self.b16(value.len() as u16));
        body.extend_from_slice(value);
        body.resize(body.len().div_ceil(4) * 4, 0);
    }
    /// Starts a new section, possibly switching byte order.
    fn shb(&mut self, be: bool) -> &mut Self {
        self.be = be;
        let mut body = Vec::new();
        body.extend_from_slice(&self.b32(0x1A2B_3C4D));
        body.extend_from_slice(&self.b16(1));
        body.extend_from_slice(&self.b16(0));
        body.extend_from_slice(&(-1i64).to_le_bytes());
        self.option(&mut body, 4, b"netloupe tests");
        body.extend_from_slice(&[0; 4]);
        self.block(0x0A0D_0D0A, &body)
    }
    fn idb(
        &mut self,
        linktype: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.b16(linktype));
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&self.b32(snaplen));
        self.option(&mut body, 2, b"eth0");
        if let Some(r) = tsresol {
            self.option(&mut body, 9, &[r]);
        }
        if let Some(o) = tsoffset {
            let b = if self.be {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            };
            self.option(&mut body, 14, &b);
        }
        body.extend_from_slice(&[0; 4]);
        self.block(1, &body)
    }
    fn epb(
        &mut self,
        if_id: u32,
        ts: u64,
        data: &[u8],
        orig_len: u32,
        with_options: bool,
    ) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.b32(if_id));
        body.extend_from_slice(&self.b32((ts >> 32) as u32));
        body.extend_from_slice(&self.b32(ts as u32));
        body.extend_from_slice(&self.b32(data.len() as u32));
        body.extend_from_slice(&self.b32(orig_len));
        body.extend_from_slice(data);
        body.resize(body.len().div_ceil(4) * 4, 0);
        if with_options {
            self.option(&mut body, 1, b"a comment");
            self.option(&mut body, 2, &self.b32(1));
            body.extend_from_slice(&[0; 4]);
        }
        self.block(6, &body)
    }
    fn spb(&mut self, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = self.b32(orig_len).to_vec();
        body.extend_from_slice(data);
        self.block(3, &body)
    }
    fn obsolete_pb(&mut self, if_id: u16, ts: u64, data: &[u8]) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.b16(if_id));
        body.extend_from_slice(&self.b16(0));
        body.extend_from_slice(&self.b32((ts >> 32) as u32));
        body.extend_from_slice(&self.b32(ts as u32));
        body.extend_from_slice(&self.b32(data.len() as u32));
        body.extend_from_slice(&self.b32(data.len() as u32));
        body.extend_from_slice(data);
        self.block(2, &body)
    }
}

fn reader(bytes: Vec<u8>) -> CaptureFile {
    CaptureFile::from_reader("test.pcap", Box::new(Cursor::new(bytes))).expect("opens")
}

#[derive(Debug, PartialEq)]
struct Pkt {
    ts_ns: i64,
    linktype: u32,
    data: Vec<u8>,
    orig_len: u32,
    offset: u64,
}

/// Every packet, and the error that stopped reading if any.
fn read_all(f: &mut CaptureFile) -> (Vec<Pkt>, Option<crate::CaptureError>) {
    let mut out = Vec::new();
    loop {
        match f.next_packet() {
            Ok(Some(p)) => out.push(Pkt {
                ts_ns: p.ts_ns,
                linktype: p.linktype,
                data: p.data.to_vec(),
                orig_len: p.orig_len,
                offset: p.offset,
            }),
            Ok(None) => return (out, None),
            Err(e) => {
                // Once failed, a reader stays finished.
                assert!(matches!(f.next_packet(), Ok(None)));
                return (out, Some(e));
            }
        }
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const T0: i64 = 1_700_000_000_123_456_000;

#[test]
fn classic_pcap_all_variants() {
    for be in [false, true] {
        for nanos in [false, true] {
            let t1 = if nanos { T0 + 789 } else { T0 };
            let mut w = Pcap::new(be, nanos, linktype::ETHERNET, 65535);
            w.packet(t1, b"hello", 60)
                .packet(T0 + 1_000_000, b"", 0)
                .packet(T0 + 2_000_000, &[7; 100], 100);
            let mut f = reader(w.buf);
            assert!(!f.is_pcapng());
            let (pkts, err) = read_all(&mut f);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(pkts.len(), 3);
            assert_eq!(pkts[0].ts_ns, t1, "be={be} nanos={nanos}");
            assert_eq!(pkts[0].data, b"hello");
            assert_eq!(pkts[0].orig_len, 60);
            assert_eq!(pkts[0].linktype, linktype::ETHERNET);
            assert_eq!(pkts[0].offset, 24);
            assert_eq!(pkts[1].offset, 24 + 16 + 5);
            assert_eq!(pkts[1].data.len(), 0);
            assert_eq!(pkts[2].offset, 24 + 16 + 5 + 16);
            assert_eq!(pkts[2].ts_ns, T0 + 2_000_000);
            assert_eq!(f.packets_read(), 3);
            assert_eq!(f.warnings(), Default::default());
        }
    }
}

#[test]
fn pcap_linktype_upper_bits_are_masked() {
    let mut w = Pcap::new(false, false, linktype::RAW | (0x1 << 28) | (0x3 << 26), 0);
    w.packet(T0, &[0x45], 1);
    let (pkts, err) = read_all(&mut reader(w.buf));
    assert!(err.is_none());
    assert_eq!(pkts[0].linktype, linktype::RAW);
}

#[test]
fn pcap_odd_lengths_are_accepted_and_counted() {
    let mut w = Pcap::new(false, false, linktype::ETHERNET, 64);
    w.packet(T0, &[1; 100], 100).packet(T0, &[2; 10], 5);
    let mut f = reader(w.buf);
    let (pkts, err) = read_all(&mut f);
    assert!(err.is_none());
    assert_eq!(pkts.len(), 2);
    assert_eq!(pkts[1].data.len(), 10);
    assert_eq!(f.warnings().caplen_over_snaplen, 1);
    assert_eq!(f.warnings().caplen_over_orig_len, 1);
}

#[test]
fn pcap_before_2_3_may_have_swapped_lengths() {
    let mut w = Pcap::new(false, false, linktype::NULL, 65535);
    w.buf[6] = 2; // version 2.2
    w.packet(T0, b"abcd", 4);
    // Record written the old way: original length first, then captured length.
    let rec = w.buf.len();
    w.packet(T0 + 1000, b"xyz", 3);
    w.buf[rec + 8..rec + 12].copy_from_slice(&1500u32.to_le_bytes());
    w.buf[rec + 12..rec + 16].copy_from_slice(&3u32.to_le_bytes());
    let (pkts, err) = read_all(&mut reader(w.buf));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pkts[1].data, b"xyz");
    assert_eq!(pkts[1].orig_len, 1500);
    assert_eq!(pkts[1].ts_ns, T0 + 1000);
}

#[test]
fn pcapng_interfaces_with_their_own_link_types_and_resolutions() {
    for be in [false, true] {
        let mut w = Ng::new(be);
        w.idb(1, 0, None, None) // microseconds by default
            .idb(101, 0, Some(0x80 | 10), Some(100)) // 2^-10 s, +100 s
            .idb(113, 0, Some(9), None) // nanoseconds
            .block(4, &[0, 0, 0, 0]) // name resolution block, empty: skipped
            .block(0x0000_0BAD, b"custom stuff") // custom block: skipped
            .epb(0, 1_700_000_000_123_456, b"ether", 5, false)
            .epb(1, (1_700_000_000u64 << 10) + 512, b"raw ip", 1500, true)
            .block(5, &[0; 16]) // interface statistics: skipped
            .epb(2, 1_700_000_000_123_456_789, b"sll", 3, false)
            .spb(b"simple packet", 13)
            .obsolete_pb(2, 42, b"old");
        let mut f = reader(w.buf);
        assert!(f.is_pcapng());
        let (pkts, err) = read_all(&mut f);
        assert!(err.is_none(), "{err:?}");
        let got: Vec<_> = pkts
            .iter()
            .map(|p| (p.ts_ns, p.linktype, &p.data[..], p.orig_len))
            .collect();
        assert_eq!(
            got,
            vec![
                (1_700_000_000_123_456_000, 1, &b"ether"[..], 5),
                (1_700_000_100_500_000_000, 101, &b"raw ip"[..], 1500),
                (1_700_000_000_123_456_789, 113, &b"sll"[..], 3),
                (0, 1, &b"simple packet"[..], 13),
                (42, 113, &b"old"[..], 3),
            ],
            "be={be}"
        );
        // Offsets point at the blocks: check one by looking at the block type there.
        assert!(pkts.windows(2).all(|w| w[0].offset < w[1].offset));
    }
}

#[test]
fn pcapng_offsets_are_block_starts() {
    let mut w = Ng::new(false);
    w.idb(1, 0, None, None);
    let first = w.buf.len() as u64;
    w.epb(0, 1, b"abc", 3, false);
    let second = w.buf.len() as u64;
    w.epb(0, 2, b"defg", 4, true);
    let (pkts, err) = read_all(&mut reader(w.buf));
    assert!(err.is_none());
    assert_eq!(pkts[0].offset, first);
    assert_eq!(pkts[1].offset, second);
}

#[test]
fn pcapng_several_sections_reset_interfaces() {
    let mut w = Ng::new(false);
    w.idb(1, 0, None, None)
        .idb(101, 0, None, None)
        .epb(1, 5, b"a", 1, false);
    w.shb(true)
        .idb(113, 0, Some(9), None)
        .epb(0, 7, b"b", 1, false);
    let mut ok = Ng {
        buf: w.buf.clone(),
        be: true,
    };
    let (pkts, err) = read_all(&mut reader(ok.buf.clone()));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        pkts.iter()
            .map(|p| (p.ts_ns, p.linktype))
            .collect::<Vec<_>>(),
        vec![(5000, 101), (7, 113)]
    );

    // Interface 1 belonged to the first section only.
    let bad_at = ok.buf.len() as u64;
    ok.epb(1, 9, b"c", 1, false);
    let (pkts, err) = read_all(&mut reader(ok.buf));
    assert_eq!(pkts.len(), 2);
    let err = err.expect("unknown interface");
    assert!(matches!(err.kind, CaptureErrorKind::Malformed(_)), "{err}");
    assert_eq!(err.offset, bad_at);
}

#[test]
fn gzip_is_transparent() {
    let mut w = Pcap::new(false, true, linktype::RAW, 65535);
    for i in 0..1000 {
        w.packet(T0 + i, &[i as u8; 50], 50);
    }
    let plain = w.buf.clone();
    let gz = gzip(&plain);
    let gz_len = gz.len() as u64;
    let mut f = reader(gz);
    assert!(f.is_gzip());
    let (pkts, err) = read_all(&mut f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pkts.len(), 1000);
    assert_eq!(pkts[999].ts_ns, T0 + 999);
    assert_eq!(pkts[1].offset, 24 + 66);
    assert_eq!(f.bytes_read(), gz_len);

    // Several gzip members one after the other (as `cat a.gz b.gz` makes) are one stream.
    let (a, b) = plain.split_at(24 + 66 * 400 + 10);
    let mut two = gzip(a);
    two.extend(gzip(b));
    let (pkts, err) = read_all(&mut reader(two));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pkts.len(), 1000);

    // Cut gzip: all complete packets, then an error that counts as truncation.
    let gz = gzip(&plain);
    let mut f = reader(gz[..gz.len() / 2].to_vec());
    let (pkts, err) = read_all(&mut f);
    let err = err.expect("cut gzip fails");
    assert!(err.is_truncation(), "{err}");
    assert!(!pkts.is_empty() && pkts.len() < 1000);

    // Corrupt gzip: an error, not a panic, not a truncation.
    let mut gz = gzip(&plain);
    let n = gz.len();
    for b in &mut gz[20..n - 20] {
        *b ^= 0x5a;
    }
    let r = CaptureFile::from_reader("x.gz", Box::new(Cursor::new(gz)));
    let err = match r {
        Ok(mut f) => read_all(&mut f).1.expect("corrupt gzip fails"),
        Err(e) => e,
    };
    assert!(
        matches!(
            err.kind,
            CaptureErrorKind::Decompress(_) | CaptureErrorKind::BadMagic(_)
        ),
        "{err}"
    );
}

#[test]
fn gzip_pcapng_too() {
    let mut w = Ng::new(false);
    w.idb(1, 0, None, None).epb(0, 1, b"x", 1, false);
    let (pkts, err) = read_all(&mut reader(gzip(&w.buf)));
    assert!(err.is_none());
    assert_eq!(pkts.len(), 1);
}

#[test]
fn truncated_pcap_delivers_complete_packets_then_truncated() {
    let mut w = Pcap::new(false, false, linktype::ETHERNET, 65535);
    w.packet(T0, &[1; 40], 40).packet(T0 + 1000, &[2; 40], 40);
    let third = w.buf.len() as u64;
    w.packet(T0 + 2000, &[3; 40], 40);
    // Cut inside the third record's data, then inside its header.
    for cut in [third as usize + 16 + 20, third as usize + 5] {
        let mut f = reader(w.buf[..cut].to_vec());
        let (pkts, err) = read_all(&mut f);
        assert_eq!(pkts.len(), 2);
        let err = err.expect("truncated");
        assert!(matches!(err.kind, CaptureErrorKind::Truncated), "{err}");
        assert!(err.is_truncation());
        assert_eq!(err.offset, third);
        assert_eq!(err.file, PathBuf::from("test.pcap"));
        assert!(err.to_string().contains("test.pcap"));
    }
    // Cut inside the file header.
    let err =
        CaptureFile::from_reader("t", Box::new(Cursor::new(w.buf[..10].to_vec()))).unwrap_err();
    assert!(matches!(err.kind, CaptureErrorKind::Truncated), "{err}");
}

#[test]
fn truncated_pcapng() {
    let mut w = Ng::new(true);
    w.idb(1, 0, None, None).epb(0, 1, b"abc", 3, false);
    let last = w.buf.len() as u64;
    w.epb(0, 2, b"defgh", 5, false);
    let (pkts, err) = read_all(&mut reader(w.buf[..w.buf.len() - 3].to_vec()));
    assert_eq!(pkts.len(), 1);
    let err = err.expect("truncated");
    assert!(err.is_truncation(), "{err}");
    assert_eq!(err.offset, last);
}

#[test]
fn garbage_and_empty_files() {
    let err = CaptureFile::from_reader("g", Box::new(Cursor::new(b"GET / HTTP/1.1\r\n".to_vec())))
        .unwrap_err();
    assert!(
        matches!(
            err.kind,
            CaptureErrorKind::BadMagic([b'G', b'E', b'T', b' '])
        ),
        "{err}"
    );
    assert_eq!(err.offset, 0);
    let err = CaptureFile::from_reader("e", Box::new(Cursor::new(Vec::new()))).unwrap_err();
    assert!(matches!(err.kind, CaptureErrorKind::Empty), "{err}");
    let err = CaptureFile::from_reader("s", Box::new(Cursor::new(vec![0xd4]))).unwrap_err();
    assert!(matches!(err.kind, CaptureErrorKind::BadMagic(_)), "{err}");
    // An empty gzip member holds an empty file.
    let err = CaptureFile::from_reader("e.gz", Box::new(Cursor::new(gzip(b"")))).unwrap_err();
    assert!(matches!(err.kind, CaptureErrorKind::Empty), "{err}");
    // A header alone is a valid capture with no packets.
    let w = Pcap::new(false, false, 1, 65535);
    assert!(read_all(&mut reader(w.buf)).0.is_empty());
}

#[test]
fn absurd_lengths_are_malformed() {
    let mut w = Pcap::new(false, false, linktype::ETHERNET, 65535);
    w.packet(T0, b"fine", 4);
    let bad = w.buf.len() as u64;
    w.u32(0);
    w.u32(0);
    w.u32(0x7fff_ffff);
    w.u32(0x7fff_ffff);
    w.buf.extend_from_slice(&[0; 100]);
    let (pkts, err) = read_all(&mut reader(w.buf));
    assert_eq!(pkts.len(), 1);
    let err = err.expect("absurd caplen");
    assert!(
        matches!(&err.kind, CaptureErrorKind::Malformed(m) if m.contains("2147483647")),
        "{err}"
    );
    assert!(!err.is_truncation());
    assert_eq!(err.offset, bad);

    let mut w = Ng::new(false);
    w.idb(1, 0, None, None);
    let bad = w.buf.len() as u64;
    w.buf.extend_from_slice(&6u32.to_le_bytes());
    w.buf.extend_from_slice(&0x4000_0000u32.to_le_bytes());
    w.buf.extend_from_slice(&[0; 64]);
    let (_, err) = read_all(&mut reader(w.buf));
    let err = err.expect("absurd block length");
    assert!(matches!(err.kind, CaptureErrorKind::Malformed(_)), "{err}");
    assert_eq!(err.offset, bad);

    // Inner length larger than the block.
    let mut w = Ng::new(false);
    w.idb(1, 0, None, None).epb(0, 1, b"abcd", 4, false);
    let n = w.buf.len();
    w.buf[n - 36 + 20..n - 36 + 24].copy_from_slice(&200u32.to_le_bytes());
    let (_, err) = read_all(&mut reader(w.buf));
    assert!(matches!(
        err.expect("bad caplen").kind,
        CaptureErrorKind::Malformed(_)
    ));
}

#[test]
fn large_blocks_grow_the_buffer() {
    let mut w = Ng::new(false);
    w.idb(1, 0, None, None);
    w.block(4, &vec![1u8; 3 << 20]); // a 3 MiB name resolution block
    w.epb(0, 1, &[9; 200_000], 200_000, false);
    let (pkts, err) = read_all(&mut reader(w.buf));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pkts.len(), 1);
    assert_eq!(pkts[0].data.len(), 200_000);
}

#[test]
fn many_packets_across_buffer_refills() {
    let mut w = Pcap::new(true, false, linktype::ETHERNET, 0);
    for i in 0..30_000u32 {
        let len = (i % 1500) as usize;
        w.packet(T0 + i64::from(i) * 1000, &vec![i as u8; len], len as u32);
    }
    let mut f = reader(w.buf);
    let mut n = 0u32;
    while let Some(p) = f.next_packet().unwrap() {
        assert_eq!(p.data.len(), (n % 1500) as usize);
        assert!(p.data.iter().all(|&b| b == n as u8));
        n += 1;
    }
    assert_eq!(n, 30_000);
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netloupe-capture-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn merge_three_files_in_time_order() {
    let dir = temp_dir("merge");
    let mut paths = Vec::new();
    // File k holds times 3i+k; file 2 is pcapng and gzipped; one tie between file 0 and 1.
    for k in 0..3i64 {
        let bytes = if k == 2 {
            let mut w = Ng::new(false);
            w.idb(101, 0, Some(9), None);
            for i in 0..100 {
                w.epb(0, (T0 + 3 * i + k) as u64, &[k as u8], 1, false);
            }
            gzip(&w.buf)
        } else {
            let mut w = Pcap::new(k == 1, true, 1, 0);
            for i in 0..100 {
                w.packet(T0 + 3 * i + k, &[k as u8], 1);
            }
            if k == 1 {
                w.packet(T0 + 3 * 100, &[k as u8], 1);
            }
            w.buf
        };
        let p = dir.join(format!("f{k}"));
        std::fs::write(&p, bytes).unwrap();
        paths.push(p);
    }
    // One extra packet in file 0 at the same time as file 1's last one.
    {
        let mut w = Pcap::new(false, true, 1, 0);
        for i in 0..100 {
            w.packet(T0 + 3 * i, &[0], 1);
        }
        w.packet(T0 + 3 * 100, &[0], 1);
        std::fs::write(&paths[0], w.buf).unwrap();
    }
    paths.insert(1, dir.join("does-not-exist.pcap"));
    let (mut m, errs) = MergedSource::open(&paths);
    assert_eq!(errs.len(), 1);
    assert!(matches!(errs[0].kind, CaptureErrorKind::Open(_)));
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    assert_eq!(m.progress().1, Some(total));
    let mut got = Vec::new();
    while let Some(p) = m.next_packet() {
        got.push((p.ts_ns, p.file_index, p.data[0], p.linktype));
    }
    assert_eq!(got.len(), 302);
    assert!(
        got.windows(2).all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1)),
        "not merged in order"
    );
    // Tie at the end: the lower file index first.
    assert_eq!(got[300], (T0 + 300, 0, 0, 1));
    assert_eq!(got[301], (T0 + 300, 2, 1, 1));
    // File indexes are positions in the list, including the file that failed.
    assert!(got.iter().all(
        |&(_, fi, k, lt)| fi == if k == 0 { 0 } else { k as usize + 1 }
            && lt == if k == 2 { 101 } else { 1 }
    ));
    assert_eq!(m.packets_read(), vec![101, 0, 101, 100]);
    assert_eq!(m.progress(), (total, Some(total)));
    assert!(m.take_errors().is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn merge_keeps_errors_and_single_file_path() {
    let mut w = Pcap::new(false, false, 1, 0);
    w.packet(T0, b"a", 1).packet(T0 + 1000, b"b", 1);
    let cut = w.buf.len() - 1;
    let truncated =
        CaptureFile::from_reader("t", Box::new(Cursor::new(w.buf[..cut].to_vec()))).unwrap();
    let mut m = MergedSource::from_files(vec![truncated]);
    assert_eq!(
        m.next_packet().map(|p| p.data.to_vec()),
        Some(b"a".to_vec())
    );
    assert!(m.next_packet().is_none());
    let errs = m.take_errors();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].is_truncation());
    assert!(m.next_packet().is_none());

    let good = reader(w.buf.clone());
    let truncated =
        CaptureFile::from_reader("t", Box::new(Cursor::new(w.buf[..cut].to_vec()))).unwrap();
    let mut m = MergedSource::from_files(vec![truncated, good]);
    let mut n = 0;
    while m.next_packet().is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    assert_eq!(m.take_errors().len(), 1);
}

#[test]
fn timestamp_conversion_edges() {
    use crate::file::tests_support::ts_ns;
    assert_eq!(ts_ns(6, 0, 1), 1000);
    assert_eq!(ts_ns(9, 0, 1), 1);
    assert_eq!(ts_ns(12, 0, 1_000_000), 1000);
    assert_eq!(ts_ns(0x80 | 10, 0, 1024), 1_000_000_000);
    assert_eq!(ts_ns(0x80 | 20, 0, 1 << 19), 500_000_000);
    assert_eq!(ts_ns(0, -5, 10), 5_000_000_000);
    // Huge values saturate instead of overflowing.
    assert_eq!(ts_ns(0, 0, u64::MAX), i64::MAX);
    assert_eq!(ts_ns(0, i64::MIN, 0), i64::MIN);
}

/// Cheap in-process stand-in for the fuzz target: mangled captures must never panic.
#[test]
fn mangled_inputs_never_panic() {
    let mut w = Ng::new(false);
    w.idb(1, 0, Some(0x83), Some(3)).idb(101, 0, None, None);
    for i in 0..20 {
        w.epb(i % 2, u64::from(i), &[i as u8; 37], 37, i % 3 == 0)
            .spb(b"spb", 3);
    }
    let ng = w.buf;
    let mut p = Pcap::new(true, true, 1, 0);
    for i in 0..20 {
        p.packet(T0 + i, &[1; 33], 33);
    }
    let seeds = [ng.clone(), p.buf.clone(), gzip(&ng), gzip(&p.buf)];
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for seed in &seeds {
        for _ in 0..500 {
            let mut data = seed.clone();
            match next() % 3 {
                0 => {
                    for _ in 0..(next() % 8 + 1) {
                        let i = (next() as usize) % data.len();
                        data[i] = next() as u8;
                    }
                }
                1 => data.truncate((next() as usize) % data.len()),
                _ => {
                    let i = (next() as usize) % data.len();
                    let v = [0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0];
                    let k = (next() as usize % 5).min(data.len() - i);
                    data[i..i + k].copy_from_slice(&v[(next() as usize % 4)..][..k]);
                }
            }
            crate::fuzz_read(&data);
        }
    }
}
