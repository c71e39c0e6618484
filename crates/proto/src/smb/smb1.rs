//! SMB1 commands (MS-CIFS 2.2.4, MS-SMB 2.2.4): session setup AndX (NTLMSSP tokens), tree
//! connect AndX / tree disconnect, NT create AndX, read/write AndX, close, delete, and
//! transaction TransactNmPipe (RPC over pipes); AndX chains are followed (at most 16 links,
//! each further on).

use super::session::{File, Pending, State, Tree};
use super::tx::{data_kind, rpc_of, TxHead, TxKind};
use super::util::{
    filetime_ns, filetime_s, oem, slice, u16_at, u32_at, u64_at, u8_at, utf16, utf16_len,
};
use super::{SmbStatus, SmbTimes};
use crate::{AppRecord, Direction};

pub const HEADER_LEN: usize = 32;

pub mod cmd {
    pub const CLOSE: u8 = 0x04;
    pub const DELETE: u8 = 0x06;
    pub const TRANSACTION: u8 = 0x25;
    pub const READ_ANDX: u8 = 0x2e;
    pub const WRITE_ANDX: u8 = 0x2f;
    pub const TRANSACTION2: u8 = 0x32;
    pub const TREE_DISCONNECT: u8 = 0x71;
    pub const NEGOTIATE: u8 = 0x72;
    pub const SESSION_SETUP_ANDX: u8 = 0x73;
    pub const LOGOFF_ANDX: u8 = 0x74;
    pub const TREE_CONNECT_ANDX: u8 = 0x75;
    pub const NT_CREATE_ANDX: u8 = 0xa2;
}

fn is_andx(c: u8) -> bool {
    matches!(
        c,
        0x24 | 0x2d | cmd::READ_ANDX | cmd::WRITE_ANDX | 0x73 | 0x74 | 0x75 | cmd::NT_CREATE_ANDX
    )
}

const FLAGS_REPLY: u8 = 0x80;
const FLAGS2_UNICODE: u16 = 0x8000;
const FLAGS2_NT_STATUS: u16 = 0x4000;
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
const FILE_DELETE_ON_CLOSE: u32 = 0x0000_1000;

/// One command block of a message: its words and bytes, and where the bytes start in the
/// message (for string alignment).
struct Block<'a> {
    words: &'a [u8],
    bytes: &'a [u8],
    bytes_off: usize,
}

fn block(m: &[u8], off: usize) -> Option<Block<'_>> {
    let wc = *m.get(off)? as usize;
    let words = m.get(off + 1..off + 1 + 2 * wc)?;
    let bc = u16_at(m, off + 1 + 2 * wc)? as usize;
    let bytes_off = off + 3 + 2 * wc;
    let end = (bytes_off + bc).min(m.len());
    let bytes = m.get(bytes_off..end).unwrap_or(&[]);
    Some(Block {
        words,
        bytes,
        bytes_off,
    })
}

/// A string in the bytes area at `at` (unicode strings are 2-aligned from the header start).
fn string_at(b: &Block, at: usize, unicode: bool) -> (String, usize) {
    let Some(rest) = b.bytes.get(at..) else {
        return (String::new(), at);
    };
    if unicode {
        let pad = (b.bytes_off + at) & 1;
        let rest = rest.get(pad..).unwrap_or(&[]);
        let n = utf16_len(rest);
        (utf16(&rest[..n]), at + pad + n + 2)
    } else {
        let n = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        (oem(&rest[..n]), at + n + 1)
    }
}

/// The data of a WRITE_ANDX request (its words give mode, length high and low, offset).
fn write_andx_data(m: &[u8], mode: u16, hi: u16, lo: u16, o: u16) -> &[u8] {
    let len = (hi as usize) << 16 | lo as usize;
    let data = m.get(o as usize..).unwrap_or(&[]);
    let data = &data[..data.len().min(len)];
    // Message-mode pipe writes starting a message carry a 2-byte length first
    // (MS-CIFS 2.2.4.43.1, WriteMode MSG_START).
    if mode & 0x0008 != 0 && data.len() > 2 && data[0] != 5 && data[2] == 5 {
        return &data[2..];
    }
    data
}

/// The data of a TransactNmPipe request or response (count and offset at `dc`/`doff` words).
fn trans_data<'a>(m: &'a [u8], w: &[u8], dc: usize, doff: usize) -> &'a [u8] {
    match (u16_at(w, dc), u16_at(w, doff)) {
        (Some(c), Some(o)) => slice(m, o as usize, c as usize).unwrap_or(&[]),
        _ => &[],
    }
}

/// A TRANSACTION request's named pipe function and file id (TransactNmPipe: setup 0x0026).
fn transact_nm_pipe(w: &[u8]) -> Option<u16> {
    let setup_count = u8_at(w, 26)?;
    if setup_count < 2 || u16_at(w, 28) != Some(0x0026) {
        return None;
    }
    u16_at(w, 30)
}

/// The file name of an NT_CREATE_ANDX request (its length at word 5), without leading
/// backslashes.
fn nt_create_name(b: &Block, unicode: bool) -> String {
    let nlen = u16_at(b.words, 5).unwrap_or(0) as usize;
    let name = if unicode {
        let pad = b.bytes_off & 1;
        let raw = b.bytes.get(pad..).unwrap_or(&[]);
        utf16(&raw[..raw.len().min(nlen)])
    } else {
        oem(&b.bytes[..b.bytes.len().min(nlen)])
    };
    clean_name(name)
}

/// The data of a READ_ANDX response (length low and high, offset in its words).
fn read_andx_data<'a>(m: &'a [u8], w: &[u8]) -> Option<&'a [u8]> {
    let (lo, o) = (u16_at(w, 10)?, u16_at(w, 12)?);
    let hi = u16_at(w, 14).unwrap_or(0) as usize;
    let len = lo as usize | (hi & 0xff) << 16;
    let d = m.get(o as usize..).unwrap_or(&[]);
    Some(&d[..d.len().min(len)])
}

/// Native OS and LAN manager strings at `at` in a session setup's bytes.
fn native(b: &Block, at: usize, unicode: bool) -> (String, String) {
    let (os, next) = string_at(b, at, unicode);
    let (lm, _) = string_at(b, next, unicode);
    (os, lm)
}

fn clean_name(n: String) -> String {
    n.trim_start_matches('\\').to_string()
}

impl State {
    pub(crate) fn smb1(
        &mut self,
        ts: i64,
        dir: Direction,
        m: &[u8],
        _truncated: bool,
        out: &mut Vec<AppRecord>,
    ) {
        if m.len() < HEADER_LEN + 3 {
            return;
        }
        let mut c = m[4];
        let status = u32_at(m, 5).unwrap_or(0);
        let flags = m[9];
        let flags2 = u16_at(m, 10).unwrap_or(0);
        let tid = u16_at(m, 24).unwrap_or(0);
        let pid = u16_at(m, 26).unwrap_or(0);
        let uid = u16_at(m, 28).unwrap_or(0);
        let mid = u16_at(m, 30).unwrap_or(0);
        let reply = flags & FLAGS_REPLY != 0;
        let unicode = flags2 & FLAGS2_UNICODE != 0;
        let error = if flags2 & FLAGS2_NT_STATUS != 0 {
            status >= 0xC000_0000 && status != STATUS_MORE_PROCESSING_REQUIRED
        } else {
            // DOS error class and code.
            status & 0xff != 0
        };
        let mut off = HEADER_LEN;
        for _ in 0..16 {
            let Some(b) = block(m, off) else {
                return;
            };
            let key = (1u8, (mid as u64) | (pid as u64) << 16 | (c as u64) << 32);
            let head = TxHead {
                ts,
                smb1: true,
                command: c as u16,
                session_id: uid as u64,
                tree_id: tid as u32,
            };
            if reply {
                let st = if flags2 & FLAGS2_NT_STATUS != 0 || status == 0 {
                    SmbStatus::Nt(status)
                } else {
                    SmbStatus::Dos {
                        class: status as u8,
                        code: (status >> 16) as u16,
                    }
                };
                self.smb1_tx_response(&head, st, unicode, m, &b, key, out);
                if let Some(p) = self.pending.remove(&key) {
                    let setup = matches!(p, Pending::SessionSetup);
                    if !error || status == STATUS_MORE_PROCESSING_REQUIRED {
                        self.smb1_response(ts, dir, c, tid, unicode, m, &b, p, out);
                    }
                    if setup && status != STATUS_MORE_PROCESSING_REQUIRED {
                        let st = if !error {
                            0
                        } else if flags2 & FLAGS2_NT_STATUS != 0 {
                            status
                        } else {
                            0xC000_0000 // a DOS error class and code
                        };
                        self.session_setup_done(st, out);
                    }
                }
            } else {
                // Before the request's own handling, which may forget the file it closes.
                self.smb1_tx_request(&head, unicode, m, &b, key, out);
                self.smb1_request(ts, dir, c, tid, unicode, m, &b, key, out);
            }
            if !is_andx(c) || b.words.len() < 4 {
                return;
            }
            let next = b.words[0];
            let next_off = u16_at(b.words, 2).unwrap_or(0) as usize;
            if next == 0xff || next_off <= off || error {
                return;
            }
            c = next;
            off = next_off;
        }
    }

    /// The EVE transaction a request begins (see [`super::tx`]).
    fn smb1_tx_request(
        &mut self,
        head: &TxHead,
        unicode: bool,
        m: &[u8],
        b: &Block,
        key: (u8, u64),
        out: &mut Vec<AppRecord>,
    ) {
        let w = b.words;
        let c = head.command as u8;
        if c == cmd::READ_ANDX || c == cmd::WRITE_ANDX {
            let write = c == cmd::WRITE_ANDX;
            let Some(fid) = u16_at(w, 4) else {
                return;
            };
            let data = match (u16_at(w, 14), u16_at(w, 18), u16_at(w, 20), u16_at(w, 22)) {
                (Some(mode), Some(hi), Some(lo), Some(o)) if write => {
                    write_andx_data(m, mode, hi, lo, o)
                }
                _ => &[],
            };
            let Some(kind) = data_kind(self, (1, fid as u128), write, data) else {
                return;
            };
            let rec = &mut self.tx_begin(key, head, kind, out).rec;
            if matches!(kind, TxKind::PipeWrite { .. }) {
                rec.rpc = rpc_of(data);
            }
            return;
        }
        let fid = match c {
            cmd::CLOSE => u16_at(w, 0),
            cmd::TRANSACTION => transact_nm_pipe(w),
            _ => None,
        }
        .map(u128::from);
        let name = fid.and_then(|f| self.files.get(&(1, f)).and_then(File::eve_name));
        let rec = &mut self.tx_begin(key, head, TxKind::Cmd, out).rec;
        rec.fuid = fid;
        rec.filename = name;
        match c {
            cmd::NEGOTIATE => {
                // Dialects: each a buffer format 0x02 and a NUL-terminated string.
                rec.client_dialects = b
                    .bytes
                    .split(|&x| x == 0)
                    .filter_map(|d| d.strip_prefix(&[2]))
                    .take(64)
                    .map(oem)
                    .collect();
            }
            cmd::SESSION_SETUP_ANDX => {
                let at = match w.len() {
                    // Extended security: the security blob, then the strings.
                    24 => u16_at(w, 14).map(usize::from),
                    // Passwords, account name and primary domain, then the strings.
                    26 => {
                        let pw = u16_at(w, 14).unwrap_or(0) as usize
                            + u16_at(w, 16).unwrap_or(0) as usize;
                        let (_, next) = string_at(b, pw, unicode);
                        let (_, next) = string_at(b, next, unicode);
                        Some(next)
                    }
                    _ => None,
                };
                if let Some(at) = at {
                    rec.native[0] = Some(native(b, at, unicode));
                }
            }
            cmd::TREE_CONNECT_ANDX => {
                let pwlen = u16_at(w, 6).unwrap_or(0) as usize;
                rec.share = Some(string_at(b, pwlen, unicode).0);
                rec.share_pipe = false;
            }
            cmd::NT_CREATE_ANDX => {
                let name = nt_create_name(b, unicode);
                rec.filename = (!name.is_empty()).then_some(name);
                rec.disposition = u32_at(w, 35);
                rec.delete_on_close = u32_at(w, 39).is_some_and(|o| o & FILE_DELETE_ON_CLOSE != 0);
            }
            cmd::TRANSACTION if fid.is_some() => rec.rpc = rpc_of(trans_data(m, w, 22, 24)),
            _ => {}
        }
    }

    /// The EVE transaction a response ends.
    #[allow(clippy::too_many_arguments)]
    fn smb1_tx_response(
        &mut self,
        head: &TxHead,
        status: SmbStatus,
        unicode: bool,
        m: &[u8],
        b: &Block,
        key: (u8, u64),
        out: &mut Vec<AppRecord>,
    ) {
        let Some(mut t) = self.tx_answer(key, head.ts, status, head.session_id) else {
            return;
        };
        let w = b.words;
        let ok = status.is_success() || status == SmbStatus::Nt(STATUS_MORE_PROCESSING_REQUIRED);
        let r = &mut t.rec;
        let mut read = None;
        match head.command as u8 {
            cmd::NEGOTIATE if ok => {
                let idx = u16_at(w, 0).unwrap_or(u16::MAX) as usize;
                if let Some(d) = r.client_dialects.get(idx).cloned() {
                    self.dialect = Some(d.clone());
                    r.dialect = Some(d);
                }
                // Extended security (CAP_EXTENDED_SECURITY): the server GUID leads the bytes.
                if w.len() == 34 && u32_at(w, 19).is_some_and(|c| c & 0x8000_0000 != 0) {
                    r.server_guid = b.bytes.get(..16).map(|g| {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(g);
                        u128::from_le_bytes(a)
                    });
                }
            }
            cmd::SESSION_SETUP_ANDX if ok => {
                let at = match w.len() {
                    8 => u16_at(w, 6).map(usize::from),
                    6 => Some(0),
                    _ => None,
                };
                if let Some(at) = at {
                    r.native[1] = Some(native(b, at, unicode));
                }
            }
            cmd::TREE_CONNECT_ANDX if ok => {
                r.tree_id = head.tree_id;
                let (service, _) = string_at(b, 0, false);
                r.share_pipe = service == "IPC";
                r.share_type = Some(match service.as_str() {
                    "IPC" => "PIPE",
                    "LPT1:" => "PRINT",
                    _ => "FILE",
                });
            }
            cmd::NT_CREATE_ANDX if ok => {
                let t = |at: usize| u64_at(w, at).map(filetime_s);
                if let (Some(c), Some(a), Some(wr), Some(ch)) = (t(11), t(19), t(27), t(35)) {
                    r.times = Some([c, a, wr, ch]);
                }
                r.size = u64_at(w, 55);
                r.fuid = u16_at(w, 5).map(u128::from);
            }
            cmd::READ_ANDX => {
                read = read_andx_data(m, w);
            }
            cmd::TRANSACTION => {
                if let Some(rpc) = r.rpc.as_mut() {
                    rpc.response =
                        crate::dcerpc::pdu::parse_header(trans_data(m, w, 12, 14)).map(|h| h.ptype);
                }
            }
            _ => {}
        }
        self.tx_done(t, read, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn smb1_request(
        &mut self,
        ts: i64,
        dir: Direction,
        c: u8,
        tid: u16,
        unicode: bool,
        m: &[u8],
        b: &Block,
        key: (u8, u64),
        out: &mut Vec<AppRecord>,
    ) {
        let w = b.words;
        match c {
            cmd::SESSION_SETUP_ANDX => {
                // Extended security form (12 words): SecurityBlobLength at word 7.
                if w.len() == 24 {
                    let l = u16_at(w, 14).unwrap_or(0) as usize;
                    if let Some(blob) = b.bytes.get(..l.min(b.bytes.len())) {
                        self.keep_ntlm(ts, dir, blob, true, out);
                    }
                }
                self.add_pending(key, Pending::SessionSetup);
            }
            cmd::TREE_CONNECT_ANDX => {
                let pwlen = u16_at(w, 6).unwrap_or(0) as usize;
                let (path, _) = string_at(b, pwlen, unicode);
                self.add_pending(key, Pending::TreeConnect { path });
            }
            cmd::TREE_DISCONNECT => {
                self.trees.remove(&(1, tid as u32));
            }
            cmd::NT_CREATE_ANDX => {
                let opts = u32_at(w, 39).unwrap_or(0);
                self.add_pending(
                    key,
                    Pending::Create {
                        tree: tid as u32,
                        name: nt_create_name(b, unicode),
                        delete_on_close: opts & FILE_DELETE_ON_CLOSE != 0,
                    },
                );
            }
            cmd::READ_ANDX => {
                let Some(fid) = u16_at(w, 4) else {
                    return;
                };
                let len = u16_at(w, 10).unwrap_or(0) as u64;
                self.file_data(ts, (1, fid as u128), dir, false, &[], len, out);
                self.add_pending(
                    key,
                    Pending::Read {
                        fid: Some(fid as u128),
                    },
                );
            }
            cmd::WRITE_ANDX => {
                let (Some(fid), Some(mode), Some(hi), Some(lo), Some(o)) = (
                    u16_at(w, 4),
                    u16_at(w, 14),
                    u16_at(w, 18),
                    u16_at(w, 20),
                    u16_at(w, 22),
                ) else {
                    return;
                };
                let data = write_andx_data(m, mode, hi, lo, o);
                let len = (hi as usize) << 16 | lo as usize;
                self.file_data(ts, (1, fid as u128), dir, true, data, len as u64, out);
            }
            cmd::CLOSE => {
                if let Some(fid) = u16_at(w, 0) {
                    self.close(ts, (1, fid as u128), out);
                }
            }
            cmd::TRANSACTION => {
                // TransactNmPipe (setup 0x0026, FID): the data is an RPC PDU stream chunk.
                let Some(fid) = transact_nm_pipe(w) else {
                    return;
                };
                let data = trans_data(m, w, 22, 24);
                let dc = data.len() as u64;
                self.file_data(ts, (1, fid as u128), dir, true, data, dc, out);
                self.add_pending(key, Pending::Trans { fid: fid as u128 });
            }
            cmd::DELETE => {
                // SearchAttributes word, then BufferFormat 0x04 and the name.
                let (name, _) = string_at(b, 1, unicode);
                let name = clean_name(name);
                if !name.is_empty() {
                    let path = self
                        .trees
                        .get(&(1, tid as u32))
                        .and_then(|t| t.path.clone());
                    let f = super::session::File {
                        name,
                        path,
                        size: 0,
                        times: None,
                        pipe: false,
                        dce: None,
                        read_logged: false,
                        write_logged: false,
                        delete_on_close: false,
                        version: 1,
                        xfer: [None, None],
                        data_tx: [None, None],
                        rpc_tx: None,
                    };
                    self.log_file(ts, super::SmbAction::Delete, &f, None, None, out);
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn smb1_response(
        &mut self,
        ts: i64,
        dir: Direction,
        c: u8,
        tid: u16,
        unicode: bool,
        m: &[u8],
        b: &Block,
        p: Pending,
        out: &mut Vec<AppRecord>,
    ) {
        let w = b.words;
        match (c, p) {
            (cmd::SESSION_SETUP_ANDX, _) if w.len() == 8 => {
                let l = u16_at(w, 6).unwrap_or(0) as usize;
                if let Some(blob) = b.bytes.get(..l.min(b.bytes.len())) {
                    self.keep_ntlm(ts, dir, blob, true, out);
                }
            }
            (cmd::TREE_CONNECT_ANDX, Pending::TreeConnect { path }) => {
                let (service, next) = string_at(b, 0, false);
                let (nfs, _) = string_at(b, next, unicode);
                let share_type = match service.as_str() {
                    "IPC" => "PIPE",
                    "LPT1:" => "PRINTER",
                    _ => "DISK",
                };
                let opt = |s: String| (!s.is_empty()).then_some(s);
                self.mapping(
                    ts,
                    (1, tid as u32),
                    path,
                    opt(service),
                    opt(nfs),
                    share_type,
                    out,
                );
            }
            (
                cmd::NT_CREATE_ANDX,
                Pending::Create {
                    tree,
                    name,
                    delete_on_close,
                },
            ) => {
                let Some(fid) = u16_at(w, 5) else {
                    return;
                };
                let t = |at: usize| u64_at(w, at).map(filetime_ns);
                let times = match (t(27), t(19), t(11), t(35)) {
                    (Some(modified), Some(accessed), Some(created), Some(changed)) => {
                        Some(SmbTimes {
                            modified,
                            accessed,
                            created,
                            changed,
                        })
                    }
                    _ => None,
                };
                let size = u64_at(w, 55).unwrap_or(0);
                let tree: Option<Tree> = self.trees.get(&(1, tree)).cloned();
                self.opened(
                    ts,
                    (1, fid as u128),
                    tree,
                    name,
                    size,
                    times,
                    delete_on_close,
                    out,
                );
            }
            (cmd::READ_ANDX, Pending::Read { fid: Some(fid) }) => {
                let Some(data) = read_andx_data(m, w) else {
                    return;
                };
                self.pipe_data(ts, (1, fid), dir, data, out);
            }
            (cmd::TRANSACTION, Pending::Trans { fid }) => {
                let data = trans_data(m, w, 12, 14);
                self.pipe_data(ts, (1, fid), dir, data, out);
            }
            _ => {}
        }
    }
}
