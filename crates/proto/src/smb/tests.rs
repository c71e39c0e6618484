//! SMB parser tests over real bytes: the start of Zeek's `Traces/smb/smb2.pcap` (frames 4-37:
//! negotiate, NTLMSSP session setup, tree connects to `\\10.0.0.12\IPC$` and
//! `\\10.0.0.12\smb2`, the srvsvc pipe with a bind and NetShareGetInfo, creates of the share
//! root and WP_SMBPlugin.pdf).
//!
//! `testdata/smb2readwrite.txt`: every TCP payload of Zeek's `Traces/smb/smb2readwrite.pcap`
//! (frame, time, O/R, hex): creates, a 16-byte read of `pythonfile`, a 7000-byte write of
//! `pythonfile2`, closes.
//!
//! `testdata/smb1osx.txt`: the TCP payloads of the second connection of suricata-verify's
//! `smb1-02/smb1_osx.pcap` (an SMB1 negotiate, a session setup answered
//! STATUS_MORE_PROCESSING_REQUIRED, a logoff refused with the DOS error ERRSRV/ERRbaduid).

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
    let cmds = txs(&out).len();
    assert_eq!((out.len() - ntlm - cmds, ntlm, cmds), (5, 1, 12));
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

/// The EVE transactions of a trace.
fn txs(out: &[AppRecord]) -> Vec<&SmbCmdRecord> {
    out.iter()
        .filter_map(|r| match r {
            AppRecord::SmbCmd(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn run_text(text: &str) -> Vec<AppRecord> {
    let fr = frames_of(text);
    let chunks: Vec<(i64, Direction, &[u8])> = fr
        .iter()
        .map(|(_, t, d, b)| (*t, *d, b.as_slice()))
        .collect();
    run(&mut SmbSession::new(), &chunks)
}

#[test]
fn smb2_commands_are_transactions_with_their_status() {
    let out = run_text(include_str!("testdata/smb2.txt"));
    let t = txs(&out);
    let row = |r: &SmbCmdRecord| {
        (
            r.id,
            r.command_name().unwrap(),
            r.status.map(|s| s.name()).unwrap_or_default(),
            r.filename.clone().unwrap_or_default(),
        )
    };
    let rows: Vec<_> = t.iter().map(|r| row(r)).collect();
    let want = [
        (1, "SMB1_COMMAND_NEGOTIATE_PROTOCOL", "STATUS_SUCCESS", ""),
        (
            2,
            "SMB2_COMMAND_SESSION_SETUP",
            "STATUS_MORE_PROCESSING_REQUIRED",
            "",
        ),
        (3, "SMB2_COMMAND_SESSION_SETUP", "STATUS_SUCCESS", ""),
        (4, "SMB2_COMMAND_TREE_CONNECT", "STATUS_SUCCESS", ""),
        (5, "SMB2_COMMAND_CREATE", "STATUS_SUCCESS", ""),
        (6, "SMB2_COMMAND_TREE_CONNECT", "STATUS_SUCCESS", ""),
        (7, "SMB2_COMMAND_CREATE", "STATUS_SUCCESS", "srvsvc"),
        (8, "SMB2_COMMAND_WRITE", "STATUS_SUCCESS", "srvsvc"),
        (9, "SMB2_COMMAND_IOCTL", "STATUS_SUCCESS", "srvsvc"),
        (10, "SMB2_COMMAND_CLOSE", "STATUS_SUCCESS", "srvsvc"),
        (
            11,
            "SMB2_COMMAND_CREATE",
            "STATUS_OBJECT_NAME_COLLISION",
            "",
        ),
        (
            12,
            "SMB2_COMMAND_CREATE",
            "STATUS_SUCCESS",
            "WP_SMBPlugin.pdf",
        ),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(i, c, s, f)| (*i, *c, s.to_string(), f.to_string()))
        .collect();
    assert_eq!(rows, want);
    // The SMB1 negotiate was answered in SMB2: dialect 2.02 from then on.
    assert!(t.iter().all(|r| r.dialect.as_deref() == Some("2.02")));
    assert_eq!(
        t[0].client_dialects.last().map(String::as_str),
        Some("SMB 2.002")
    );
    assert_eq!(t[1].session_id, 0x0000_0400_0000_0005);
    let ipc = t[5];
    assert_eq!(ipc.share.as_deref(), Some("\\\\10.0.0.12\\IPC$"));
    assert!(ipc.share_pipe);
    assert_eq!(ipc.share_type, Some("PIPE"));
    assert_eq!(t[3].share_type, Some("FILE"));
    assert!(!t[3].share_pipe);
    // The srvsvc pipe: a bind written, its bind_ack read; NetShareGetInfo (opnum 16)
    // transceived.
    let (bind, call) = (t[7].rpc.as_ref().unwrap(), t[8].rpc.as_ref().unwrap());
    assert_eq!((bind.request, bind.response), (11, Some(12)));
    assert_eq!(
        (call.request, call.response, call.opnum),
        (0, Some(2), Some(16))
    );
    assert!(t[7].share_pipe);
    // WP_SMBPlugin.pdf is created (FILE_CREATE) for the upload: empty, times in seconds.
    let pdf = t[11];
    assert_eq!(
        pdf.disposition.and_then(names::disposition),
        Some("FILE_CREATE")
    );
    assert!(!pdf.delete_on_close);
    assert_eq!(pdf.size, Some(0));
    assert_eq!(pdf.times, Some([1_323_202_695; 4]));
    assert_eq!(
        pdf.fuid.map(names::guid).as_deref(),
        Some("0000004d-0000-0000-0009-0000ffffffff")
    );
}

#[test]
fn file_data_is_one_transaction_per_handle_and_direction() {
    let out = run_text(include_str!("testdata/smb2readwrite.txt"));
    let t = txs(&out);
    let data: Vec<_> = t
        .iter()
        .filter(|r| r.command == smb2::cmd::READ || r.command == smb2::cmd::WRITE)
        .map(|r| {
            (
                r.id,
                r.command_name().unwrap(),
                r.filename.as_deref().unwrap(),
            )
        })
        .collect();
    // The write of pythonfile2 ends with its close; the read of pythonfile (never closed)
    // with the connection. Both numbered when their first response came.
    assert_eq!(
        data,
        [
            (5, "SMB2_COMMAND_WRITE", "pythonfile2"),
            (2, "SMB2_COMMAND_READ", "pythonfile")
        ]
    );
    // Opens of the share itself carry no file name.
    assert!(t.iter().all(|r| r.filename.as_deref() != Some("")));
    assert!(t
        .iter()
        .any(|r| r.command == smb2::cmd::CREATE && r.filename.is_none()));
    // Directory listings end with STATUS_NO_MORE_FILES.
    let finds: Vec<_> = t
        .iter()
        .filter(|r| r.command_name() == Some("SMB2_COMMAND_FIND"))
        .map(|r| r.status.unwrap().name())
        .collect();
    assert_eq!(
        finds,
        [
            "STATUS_SUCCESS",
            "STATUS_NO_MORE_FILES",
            "STATUS_SUCCESS",
            "STATUS_NO_MORE_FILES"
        ]
    );
}

#[test]
fn smb1_negotiate_session_setup_and_dos_error() {
    let out = run_text(include_str!("testdata/smb1osx.txt"));
    let t = txs(&out);
    assert_eq!(t.len(), 3);
    let neg = t[0];
    assert_eq!(neg.id, 1);
    assert_eq!(neg.command_name(), Some("SMB1_COMMAND_NEGOTIATE_PROTOCOL"));
    assert_eq!(neg.dialect.as_deref(), Some("NT LM 0.12"));
    assert_eq!(neg.client_dialects, ["NT LM 0.12"]);
    assert_eq!(
        neg.server_guid.map(names::guid).as_deref(),
        Some("31347374-0032-0000-0000-000000000000")
    );
    let setup = t[1];
    assert_eq!(
        setup.command_name(),
        Some("SMB1_COMMAND_SESSION_SETUP_ANDX")
    );
    let st = setup.status.unwrap();
    assert_eq!(
        (st.name().as_str(), st.code().as_str()),
        ("STATUS_MORE_PROCESSING_REQUIRED", "0xc0000016")
    );
    assert_eq!(setup.tree_id, 65535);
    assert_eq!(
        setup.native,
        [
            Some(("Mac OS X 10.10".into(), "SMBFS 3.0.0".into())),
            Some(("QTS".into(), "Samba 4.4.16".into()))
        ]
    );
    let logoff = t[2];
    assert_eq!(logoff.id, 3);
    assert_eq!(logoff.dialect.as_deref(), Some("NT LM 0.12"));
    let st = logoff.status.unwrap();
    assert_eq!(
        (st.name().as_str(), st.code().as_str()),
        ("SRV_BADUID", "0x005b")
    );
}

#[test]
fn unanswered_requests_are_bounded() {
    // SMB2 echo requests (MS-SMB2 2.2.28) with distinct message ids, never answered.
    let mut s = SmbSession::new();
    let mut out = Vec::new();
    let n = tx::MAX_OPEN_TX as u64 + 10;
    for id in 0..n {
        let mut m = vec![0u8; 4 + 64 + 4];
        m[3] = 68;
        m[4..8].copy_from_slice(b"\xfeSMB");
        m[8..10].copy_from_slice(&64u16.to_le_bytes());
        m[16..18].copy_from_slice(&13u16.to_le_bytes());
        m[28..36].copy_from_slice(&id.to_le_bytes());
        m[68..70].copy_from_slice(&4u16.to_le_bytes());
        s.data(
            Ctx {
                ts_ns: 1,
                dir: Direction::Orig,
            },
            &m,
            &mut out,
        );
    }
    assert_eq!(s.tx_evicted(), tx::MAX_OPEN_TX as u64);
    s.end(2, &mut out);
    let t = txs(&out);
    assert_eq!(t.len() as u64, n);
    assert!(t.iter().all(|r| r.status.is_none()));
    assert_eq!(t.last().map(|r| r.id), Some(n));
}
