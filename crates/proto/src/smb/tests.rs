//! SMB parser tests over real bytes: the start of Zeek's `Traces/smb/smb2.pcap` (frames 4-37:
//! negotiate, NTLMSSP session setup, tree connects to `\\10.0.0.12\IPC$` and
//! `\\10.0.0.12\smb2`, the srvsvc pipe with a bind and NetShareGetInfo, creates of the share
//! root and WP_SMBPlugin.pdf).
//!
//! `testdata/smb2readwrite.txt`: every TCP payload of Zeek's `Traces/smb/smb2readwrite.pcap`
//! (frame, time, O/R, hex): creates, a 16-byte read of `pythonfile`, a 7000-byte write of
//! `pythonfile2`, closes.

use super::*;
use crate::{AppRecord, Ctx, Direction, SessionParser};

fn frames() -> Vec<(u32, i64, Direction, Vec<u8>)> {
    frames_of(include_str!("testdata/smb2.txt"))
}

fn frames_of(text: &str) -> Vec<(u32, i64, Direction, Vec<u8>)> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let (s, ns) = f[1].split_once('.').unwrap();
            let ts = s.parse::<i64>().unwrap() * 1_000_000_000 + ns[..9].parse::<i64>().unwrap();
            let dir = if f[2] == "O" {
                Direction::Orig
            } else {
                Direction::Resp
            };
            let bytes = f[3]
                .as_bytes()
                .chunks(2)
                .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
                .collect();
            (f[0].parse().unwrap(), ts, dir, bytes)
        })
        .collect()
}

fn run(s: &mut SmbSession, chunks: &[(i64, Direction, &[u8])]) -> Vec<AppRecord> {
    let mut out = Vec::new();
    for (ts, dir, b) in chunks {
        s.data(
            Ctx {
                ts_ns: *ts,
                dir: *dir,
            },
            b,
            &mut out,
        );
    }
    s.end(0, &mut out);
    out
}

#[test]
fn smb2_trees_files_and_pipe_rpc() {
    let fr = frames();
    let chunks: Vec<(i64, Direction, &[u8])> = fr
        .iter()
        .map(|(_, t, d, b)| (*t, *d, b.as_slice()))
        .collect();
    let mut s = SmbSession::new();
    let out = run(&mut s, &chunks);
    assert!(s.confirmed());
    let mut maps = Vec::new();
    let mut files = Vec::new();
    let mut rpc = Vec::new();
    for r in &out {
        match r {
            AppRecord::SmbMapping(m) => maps.push((m.path.clone().unwrap(), m.share_type.clone())),
            AppRecord::SmbFiles(f) => files.push((f.action, f.name.clone().unwrap(), f.size)),
            AppRecord::DceRpc(d) => rpc.push((
                d.named_pipe.clone().unwrap(),
                d.endpoint.clone().unwrap(),
                d.operation.clone().unwrap(),
            )),
            _ => {}
        }
    }
    // Zeek's smb_mapping.log for this trace: the same two trees.
    let mut sorted = maps.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            ("\\\\10.0.0.12\\IPC$".to_string(), "PIPE".to_string()),
            ("\\\\10.0.0.12\\smb2".to_string(), "DISK".to_string()),
        ]
    );
    // The srvsvc pipe is not a file; its call is an RPC record.
    assert_eq!(
        rpc,
        [(
            "\\PIPE\\srvsvc".to_string(),
            "srvsvc".to_string(),
            "NetrShareGetInfo".to_string()
        )]
    );
    assert_eq!(
        files,
        [
            (SmbAction::Open, "<share_root>".to_string(), 8192),
            (SmbAction::Open, "WP_SMBPlugin.pdf".to_string(), 0),
        ]
    );
    // The three session setup tokens (negotiate, challenge, authenticate) are kept.
    let ntlm = s.take_ntlm_blobs();
    assert_eq!(ntlm.len(), 3);
    assert!(ntlm.iter().all(|b| b.data.starts_with(b"NTLMSSP\0")));
    assert_eq!(ntlm[1].dir, Direction::Resp);
}

#[test]
fn smb2_byte_by_byte_and_every_prefix() {
    let fr = frames();
    let bytes: Vec<(Direction, u8)> = fr
        .iter()
        .flat_map(|(_, _, d, b)| b.iter().map(move |&x| (*d, x)))
        .collect();
    let owned: Vec<(i64, Direction, [u8; 1])> = bytes.iter().map(|(d, x)| (1, *d, [*x])).collect();
    let chunks: Vec<(i64, Direction, &[u8])> =
        owned.iter().map(|(t, d, b)| (*t, *d, &b[..])).collect();
    let mut s = SmbSession::new();
    let out = run(&mut s, &chunks);
    // Five SMB records and the NTLM exchange of the session setups.
    let ntlm = out
        .iter()
        .filter(|r| matches!(r, AppRecord::Ntlm(_)))
        .count();
    assert_eq!((out.len() - ntlm, ntlm), (5, 1));
    for (_, _, d, b) in &fr {
        for n in 0..b.len() {
            let mut s = SmbSession::new();
            let _ = run(&mut s, &[(1, *d, &b[..n])]);
        }
    }
}

#[test]
fn gap_then_resynchronisation() {
    let fr = frames();
    let mut s = SmbSession::new();
    let mut out = Vec::new();
    for (i, (_, ts, d, b)) in fr.iter().enumerate() {
        if i == 3 {
            s.data(
                Ctx {
                    ts_ns: *ts,
                    dir: *d,
                },
                &b[..7],
                &mut out,
            );
            s.gap(*d, (b.len() - 7) as u64);
            continue;
        }
        s.data(
            Ctx {
                ts_ns: *ts,
                dir: *d,
            },
            b,
            &mut out,
        );
    }
    assert!(!s.violated());
    assert!(out.iter().any(|r| matches!(r, AppRecord::SmbMapping(_))));
}

#[test]
fn not_smb_is_a_violation() {
    let mut s = SmbSession::new();
    let _ = run(
        &mut s,
        &[(1, Direction::Orig, b"\x00\x00\x00\x10GET / HTTP/1.1\r\n")],
    );
    assert!(s.violated());
}

#[test]
fn smb_files_json() {
    let r = SmbFilesRecord {
        ts_ns: 1,
        action: SmbAction::Open,
        path: Some("\\\\10.0.0.12\\smb2".into()),
        name: Some("<share_root>".into()),
        size: 8192,
        prev_name: None,
        times: Some(SmbTimes {
            modified: 1_323_202_604_512_058_000,
            accessed: 1_323_202_604_512_058_000,
            created: 1_322_343_963_945_297_000,
            changed: 1_323_202_604_512_058_000,
        }),
        version: 2,
        data_len: None,
    };
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    r.write_json(&mut o);
    o.end();
    assert_eq!(
        line,
        r#"{"action":"SMB::FILE_OPEN","path":"\\\\10.0.0.12\\smb2","name":"<share_root>","size":8192,"times.modified":1323202604.512058,"times.accessed":1323202604.512058,"times.created":1322343963.945297,"times.changed":1323202604.512058}"#
    );
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn fuzz_body_survives_random_and_mutated_inputs() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let real: Vec<u8> = frames().into_iter().flat_map(|f| f.3).collect();
    for i in 0..3000 {
        let mut v: Vec<u8> = if i % 3 == 0 {
            (0..rng.next() % 600).map(|_| rng.next() as u8).collect()
        } else {
            // Start at a message boundary most of the time so that deep paths are reached.
            let start = if i % 3 == 1 {
                0
            } else {
                rng.next() as usize % real.len()
            };
            let len = rng.next() as usize % 4000;
            let mut v = vec![rng.next() as u8];
            v.extend_from_slice(&real[start..(start + len).min(real.len())]);
            v
        };
        for _ in 0..rng.next() % 8 {
            if v.len() > 1 {
                let at = 1 + rng.next() as usize % (v.len() - 1);
                v[at] = rng.next() as u8;
            }
        }
        fuzz(&v);
    }
}

#[test]
fn reads_and_writes_are_files() {
    // Zeek's files.log for this trace: pythonfile read (is_orig F, 16 bytes, total 16,
    // text/plain), pythonfile2 written (is_orig T, 7000 bytes, no total, text/plain).
    let fr = frames_of(include_str!("testdata/smb2readwrite.txt"));
    let chunks: Vec<(i64, Direction, &[u8])> = fr
        .iter()
        .map(|(_, t, d, b)| (*t, *d, b.as_slice()))
        .collect();
    let mut s = SmbSession::new();
    let out = run(&mut s, &chunks);
    let mut files: Vec<_> = out
        .iter()
        .filter_map(|r| match r {
            AppRecord::File(f) => Some((
                f.filename.clone().unwrap_or_default(),
                f.is_orig,
                f.seen_bytes,
                f.total_bytes,
                f.mime_type.clone(),
                f.source,
            )),
            _ => None,
        })
        .collect();
    files.sort();
    let text = Some("text/plain".to_string());
    assert_eq!(
        files,
        [
            (
                "pythonfile".into(),
                false,
                16,
                Some(16),
                text.clone(),
                "SMB"
            ),
            ("pythonfile2".into(), true, 7000, None, text, "SMB"),
        ]
    );
}
