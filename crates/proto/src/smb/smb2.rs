//! SMB 2 and 3 commands (MS-SMB2 2.2): negotiate is skipped; session setup (NTLMSSP tokens),
//! tree connect/disconnect, create, close, read, write, ioctl (pipe transceive), set info
//! (rename, delete), over compounded messages.

use super::names;
use super::session::{name_at, File, Key, Pending, State, Tree};
use super::tx::{data_kind, rpc_of, TxHead, TxKind};
use super::util::{filetime_ns, filetime_s, slice, u128_at, u16_at, u32_at, u64_at, u8_at, utf16};
use super::{SmbStatus, SmbTimes};
use crate::{AppRecord, Direction};

pub const HEADER_LEN: usize = 64;

pub mod cmd {
    pub const NEGOTIATE: u16 = 0;
    pub const SESSION_SETUP: u16 = 1;
    pub const LOGOFF: u16 = 2;
    pub const TREE_CONNECT: u16 = 3;
    pub const TREE_DISCONNECT: u16 = 4;
    pub const CREATE: u16 = 5;
    pub const CLOSE: u16 = 6;
    pub const READ: u16 = 8;
    pub const WRITE: u16 = 9;
    pub const IOCTL: u16 = 11;
    pub const GET_INFO: u16 = 16;
    pub const SET_INFO: u16 = 17;
}

const FLAG_RESPONSE: u32 = 0x1;
const FLAG_ASYNC: u32 = 0x2;
const FLAG_RELATED: u32 = 0x4;

const STATUS_PENDING: u32 = 0x0000_0103;
const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;

/// FSCTL_PIPE_TRANSCEIVE (MS-FSCC 2.3.49).
pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;
/// FILE_DELETE_ON_CLOSE create option.
const FILE_DELETE_ON_CLOSE: u32 = 0x0000_1000;

/// A file id meaning "the file of the previous create in this compound".
const RELATED_FID: u128 = u128::MAX;

/// Up to `len` bytes of `m` from `at` (what the message kept of a longer buffer).
fn slice_to(m: &[u8], at: usize, len: usize) -> &[u8] {
    let d = m.get(at..).unwrap_or(&[]);
    &d[..d.len().min(len)]
}

/// The fixed fields of an SMB2 header.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub status: u32,
    pub command: u16,
    pub flags: u32,
    pub next: u32,
    pub message_id: u64,
    pub tree_id: u32,
    pub session_id: u64,
}

pub fn parse_header(m: &[u8]) -> Option<Header> {
    if m.get(..4)? != b"\xfeSMB" || u16_at(m, 4)? != 64 || m.len() < HEADER_LEN {
        return None;
    }
    let flags = u32_at(m, 16)?;
    Some(Header {
        status: u32_at(m, 8)?,
        command: u16_at(m, 12)?,
        flags,
        next: u32_at(m, 20)?,
        message_id: u64_at(m, 24)?,
        tree_id: if flags & FLAG_ASYNC != 0 {
            0
        } else {
            u32_at(m, 36)?
        },
        session_id: u64_at(m, 40)?,
    })
}

/// State carried across the messages of one compound.
#[derive(Default)]
struct Compound {
    fid: Option<u128>,
    tree: Option<u32>,
}

impl State {
    pub(crate) fn smb2(
        &mut self,
        ts: i64,
        dir: Direction,
        msg: &[u8],
        _truncated: bool,
        out: &mut Vec<AppRecord>,
    ) {
        let mut off = 0usize;
        let mut comp = Compound::default();
        for _ in 0..64 {
            let Some(m) = msg.get(off..) else {
                return;
            };
            let Some(h) = parse_header(m) else {
                return;
            };
            let next = h.next as usize;
            let this = if next >= HEADER_LEN && next <= m.len() {
                &m[..next]
            } else {
                m
            };
            if h.flags & FLAG_RESPONSE != 0 {
                self.smb2_response(ts, dir, &h, this, &mut comp, out);
                self.smb2_tx_response(ts, &h, this, &comp, out);
            } else {
                // Before the request's own handling, which may forget the file it closes.
                self.smb2_tx_request(ts, &h, this, &comp, out);
                self.smb2_request(ts, dir, &h, this, &mut comp, out);
            }
            if next < HEADER_LEN || next > m.len() {
                return;
            }
            off += next;
        }
    }

    fn fid(h: &Header, raw: Option<u128>, comp: &Compound) -> Option<u128> {
        match raw {
            Some(RELATED_FID) if h.flags & FLAG_RELATED != 0 => comp.fid,
            Some(RELATED_FID) => None,
            f => f,
        }
    }

    /// The tree of a request (a related request of a compound may name the previous one's).
    fn tree_of(h: &Header, comp: &Compound) -> u32 {
        if h.flags & FLAG_RELATED != 0 && h.tree_id == u32::MAX {
            comp.tree.unwrap_or(h.tree_id)
        } else {
            h.tree_id
        }
    }

    fn smb2_request(
        &mut self,
        ts: i64,
        dir: Direction,
        h: &Header,
        m: &[u8],
        comp: &mut Compound,
        out: &mut Vec<AppRecord>,
    ) {
        let b = HEADER_LEN;
        let key = (2u8, h.message_id);
        let tree = Self::tree_of(h, comp);
        comp.tree = Some(tree);
        match h.command {
            cmd::SESSION_SETUP => {
                if let (Some(o), Some(l)) = (u16_at(m, b + 12), u16_at(m, b + 14)) {
                    if let Some(blob) = slice(m, o as usize, l as usize) {
                        self.keep_ntlm(ts, dir, blob, true, out);
                    }
                }
                self.add_pending(key, Pending::SessionSetup);
            }
            cmd::TREE_CONNECT => {
                let (Some(o), Some(l)) = (u16_at(m, b + 4), u16_at(m, b + 6)) else {
                    return;
                };
                let path = name_at(m, o as usize, l as usize);
                self.add_pending(key, Pending::TreeConnect { path });
            }
            cmd::TREE_DISCONNECT => {
                self.trees.remove(&(2, tree));
            }
            cmd::CREATE => {
                let (Some(opts), Some(o), Some(l)) =
                    (u32_at(m, b + 40), u16_at(m, b + 44), u16_at(m, b + 46))
                else {
                    return;
                };
                let name = name_at(m, o as usize, l as usize);
                self.add_pending(
                    key,
                    Pending::Create {
                        tree,
                        name,
                        delete_on_close: opts & FILE_DELETE_ON_CLOSE != 0,
                    },
                );
            }
            cmd::CLOSE => {
                let fid = Self::fid(h, u128_at(m, b + 8), comp);
                match fid {
                    Some(f) if h.flags & FLAG_RELATED == 0 => self.close(ts, (2, f), out),
                    _ => self.add_pending(key, Pending::Close { fid }),
                }
            }
            cmd::READ => {
                let fid = Self::fid(h, u128_at(m, b + 16), comp);
                let len = u32_at(m, b + 4).unwrap_or(0) as u64;
                if let Some(f) = fid {
                    self.file_data(ts, (2, f), dir, false, &[], len, out);
                }
                self.add_pending(key, Pending::Read { fid });
            }
            cmd::WRITE => {
                let fid = Self::fid(h, u128_at(m, b + 16), comp);
                let (Some(o), Some(l)) = (u16_at(m, b + 2), u32_at(m, b + 4)) else {
                    return;
                };
                // Data may be cut (long writes): feed what was kept.
                let data = m.get(o as usize..).unwrap_or(&[]);
                let data = &data[..data.len().min(l as usize)];
                if let Some(f) = fid {
                    self.file_data(ts, (2, f), dir, true, data, l as u64, out);
                    self.file_bytes(ts, (2, f), true, data, l as u64);
                }
                self.add_pending(key, Pending::Other);
            }
            cmd::IOCTL => {
                let fid = Self::fid(h, u128_at(m, b + 8), comp);
                if u32_at(m, b + 4) != Some(FSCTL_PIPE_TRANSCEIVE) {
                    return;
                }
                let (Some(o), Some(l)) = (u32_at(m, b + 24), u32_at(m, b + 28)) else {
                    return;
                };
                let data = slice(m, o as usize, l as usize).unwrap_or(&[]);
                if let Some(f) = fid {
                    self.file_data(ts, (2, f), dir, true, data, l as u64, out);
                }
                self.add_pending(key, Pending::Ioctl { fid });
            }
            cmd::SET_INFO => {
                // InfoType SMB2_0_INFO_FILE only.
                if u8_at(m, b + 2) != Some(1) {
                    return;
                }
                let class = u8_at(m, b + 3).unwrap_or(0);
                let (Some(l), Some(o)) = (u32_at(m, b + 4), u16_at(m, b + 8)) else {
                    return;
                };
                let fid = Self::fid(h, u128_at(m, b + 16), comp);
                let Some(buf) = slice(m, o as usize, l as usize) else {
                    return;
                };
                match class {
                    // FileRenameInformation (MS-FSCC 2.4.37.2, SMB2 layout).
                    10 => {
                        let nl = u32_at(buf, 16).unwrap_or(0) as usize;
                        let name = buf.get(20..).map(|n| utf16(&n[..n.len().min(nl)]));
                        if let Some(name) = name {
                            self.add_pending(key, Pending::Rename { fid, name });
                        }
                    }
                    // FileDispositionInformation / FileDispositionInformationEx.
                    13 if buf.first().is_some_and(|&d| d != 0) => {
                        self.add_pending(key, Pending::Delete { fid })
                    }
                    64 if u32_at(buf, 0).is_some_and(|f| f & 1 != 0) => {
                        self.add_pending(key, Pending::Delete { fid })
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn smb2_response(
        &mut self,
        ts: i64,
        dir: Direction,
        h: &Header,
        m: &[u8],
        comp: &mut Compound,
        out: &mut Vec<AppRecord>,
    ) {
        let b = HEADER_LEN;
        let key = (2u8, h.message_id);
        if h.status == STATUS_PENDING && h.flags & FLAG_ASYNC != 0 {
            return;
        }
        let Some(p) = self.pending.remove(&key) else {
            return;
        };
        let ok = h.status == 0 || h.status == STATUS_BUFFER_OVERFLOW;
        if !ok {
            if h.command == cmd::SESSION_SETUP {
                if h.status == STATUS_MORE_PROCESSING_REQUIRED {
                    self.session_setup_response(ts, dir, m, out);
                } else {
                    self.session_setup_done(h.status, out);
                }
            }
            // A failed create in a compound makes the related requests fail too.
            if h.command == cmd::CREATE {
                comp.fid = None;
            }
            return;
        }
        match (h.command, p) {
            (cmd::SESSION_SETUP, _) => {
                self.session_setup_response(ts, dir, m, out);
                self.session_setup_done(h.status, out);
            }
            (cmd::TREE_CONNECT, Pending::TreeConnect { path }) => {
                let share_type = match u8_at(m, b + 2) {
                    Some(2) => "PIPE",
                    Some(3) => "PRINTER",
                    _ => "DISK",
                };
                self.mapping(ts, (2, h.tree_id), path, None, None, share_type, out);
            }
            (
                cmd::CREATE,
                Pending::Create {
                    tree,
                    name,
                    delete_on_close,
                },
            ) => {
                let t = |at: usize| u64_at(m, b + at).map(filetime_ns);
                let times = match (t(24), t(16), t(8), t(32)) {
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
                let size = u64_at(m, b + 48).unwrap_or(0);
                let Some(fid) = u128_at(m, b + 64) else {
                    return;
                };
                comp.fid = Some(fid);
                let tree: Option<Tree> = self.trees.get(&(2, tree)).cloned();
                self.opened(ts, (2, fid), tree, name, size, times, delete_on_close, out);
            }
            (cmd::CLOSE, Pending::Close { fid }) => {
                if let Some(f) = fid.or(comp.fid) {
                    self.close(ts, (2, f), out);
                }
            }
            (cmd::READ, Pending::Read { fid }) => {
                let (Some(o), Some(l)) = (u8_at(m, b + 2), u32_at(m, b + 4)) else {
                    return;
                };
                let data = m.get(o as usize..).unwrap_or(&[]);
                let data = &data[..data.len().min(l as usize)];
                if let Some(f) = fid.or(comp.fid) {
                    self.pipe_data(ts, (2, f), dir, data, out);
                    self.file_bytes(ts, (2, f), false, data, l as u64);
                }
            }
            (cmd::IOCTL, Pending::Ioctl { fid }) => {
                let (Some(o), Some(l)) = (u32_at(m, b + 32), u32_at(m, b + 36)) else {
                    return;
                };
                let data = slice(m, o as usize, l as usize).unwrap_or(&[]);
                if let Some(f) = fid.or(comp.fid) {
                    self.pipe_data(ts, (2, f), dir, data, out);
                }
            }
            (cmd::SET_INFO, Pending::Rename { fid, name }) => {
                if let Some(f) = fid.or(comp.fid) {
                    self.rename(ts, (2, f), name, out);
                }
            }
            (cmd::SET_INFO, Pending::Delete { fid }) => {
                if let Some(f) = fid.or(comp.fid) {
                    self.delete(ts, (2, f), out);
                }
            }
            _ => {}
        }
    }

    /// The EVE transaction a request begins (see [`super::tx`]).
    fn smb2_tx_request(
        &mut self,
        ts: i64,
        h: &Header,
        m: &[u8],
        comp: &Compound,
        out: &mut Vec<AppRecord>,
    ) {
        let b = HEADER_LEN;
        let key = (2u8, h.message_id);
        let head = TxHead {
            ts,
            smb1: false,
            command: h.command,
            session_id: h.session_id,
            tree_id: Self::tree_of(h, comp),
        };
        let fid_at = |at: usize| Self::fid(h, u128_at(m, b + at), comp);
        let related =
            |at: usize| h.flags & FLAG_RELATED != 0 && u128_at(m, b + at) == Some(RELATED_FID);
        let name_of = |st: &State, fid: Option<u128>| {
            fid.and_then(|f| st.files.get(&(2, f)).and_then(File::eve_name))
        };
        match h.command {
            cmd::READ | cmd::WRITE => {
                let write = h.command == cmd::WRITE;
                let Some(fid) = fid_at(16) else {
                    return;
                };
                let data = match (u16_at(m, b + 2), u32_at(m, b + 4)) {
                    (Some(o), Some(l)) if write => slice_to(m, o as usize, l as usize),
                    _ => &[],
                };
                let Some(kind) = data_kind(self, (2, fid), write, data) else {
                    return;
                };
                let rec = &mut self.tx_begin(key, &head, kind, out).rec;
                if matches!(kind, TxKind::PipeWrite { .. }) {
                    rec.rpc = rpc_of(data);
                }
            }
            cmd::GET_INFO => {}
            cmd::SET_INFO => {
                // Renames and delete dispositions of files only.
                if u8_at(m, b + 2) != Some(1) {
                    return;
                }
                let (Some(l), Some(o)) = (u32_at(m, b + 4), u16_at(m, b + 8)) else {
                    return;
                };
                let Some(buf) = slice(m, o as usize, l as usize) else {
                    return;
                };
                let rename = match u8_at(m, b + 3).unwrap_or(0) {
                    10 => {
                        let nl = u32_at(buf, 16).unwrap_or(0) as usize;
                        match buf.get(20..) {
                            Some(n) => Some(utf16(&n[..n.len().min(nl)])),
                            None => return,
                        }
                    }
                    13 if buf.first().is_some_and(|&d| d != 0) => None,
                    64 if u32_at(buf, 0).is_some_and(|f| f & 1 != 0) => None,
                    _ => return,
                };
                let fid = fid_at(16);
                let name = name_of(self, fid);
                let tx = self.tx_begin(key, &head, TxKind::Cmd, out);
                tx.related_fid = fid.is_none() && related(16);
                let rec = &mut tx.rec;
                rec.fuid = fid;
                rec.filename.clone_from(&name);
                // A delete disposition: the file goes when closed.
                rec.delete_on_close = rename.is_none();
                rec.rename = rename.map(|to| (name.unwrap_or_default(), to));
            }
            _ => {
                let fid = match h.command {
                    cmd::CLOSE | cmd::IOCTL => fid_at(8),
                    _ => None,
                };
                let name = name_of(self, fid);
                let tx = self.tx_begin(key, &head, TxKind::Cmd, out);
                tx.related_fid = fid.is_none() && matches!(h.command, cmd::CLOSE) && related(8);
                let rec = &mut tx.rec;
                rec.fuid = fid;
                rec.filename = name;
                match h.command {
                    cmd::NEGOTIATE => {
                        let n = u16_at(m, b + 2).unwrap_or(0).min(64) as usize;
                        rec.client_dialects = (0..n)
                            .map_while(|i| u16_at(m, b + 36 + 2 * i))
                            .map(names::smb2_dialect)
                            .collect();
                    }
                    cmd::TREE_CONNECT => {
                        if let (Some(o), Some(l)) = (u16_at(m, b + 4), u16_at(m, b + 6)) {
                            rec.share = Some(name_at(m, o as usize, l as usize));
                            rec.share_pipe = false;
                        }
                    }
                    cmd::CREATE => {
                        if let (Some(o), Some(l)) = (u16_at(m, b + 44), u16_at(m, b + 46)) {
                            let name = name_at(m, o as usize, l as usize);
                            rec.filename = (!name.is_empty()).then_some(name);
                        }
                        rec.disposition = u32_at(m, b + 36);
                        rec.delete_on_close =
                            u32_at(m, b + 40).is_some_and(|o| o & FILE_DELETE_ON_CLOSE != 0);
                    }
                    cmd::IOCTL if u32_at(m, b + 4) == Some(FSCTL_PIPE_TRANSCEIVE) => {
                        if let (Some(o), Some(l)) = (u32_at(m, b + 24), u32_at(m, b + 28)) {
                            rec.rpc = rpc_of(slice_to(m, o as usize, l as usize));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The EVE transaction a response ends (interim STATUS_PENDING responses end none).
    fn smb2_tx_response(
        &mut self,
        ts: i64,
        h: &Header,
        m: &[u8],
        comp: &Compound,
        out: &mut Vec<AppRecord>,
    ) {
        if h.status == STATUS_PENDING && h.flags & FLAG_ASYNC != 0 {
            return;
        }
        let b = HEADER_LEN;
        let status = SmbStatus::Nt(h.status);
        let mut key = (2, h.message_id);
        if h.command == cmd::NEGOTIATE && !self.txs.contains_key(&key) {
            // The answer to an SMB1 negotiate offering SMB2 dialects (MS-SMB2 3.3.5.3.1).
            if let Some(k) = self.txs.iter().find_map(|(k, t)| {
                (t.rec.smb1 && t.rec.command == u16::from(super::smb1::cmd::NEGOTIATE))
                    .then_some(*k)
            }) {
                key = k;
            }
        }
        let Some(mut t) = self.tx_answer(key, ts, status, h.session_id) else {
            return;
        };
        if t.related_fid {
            // The file of the compound's create, answered before.
            t.rec.fuid = comp.fid;
            t.rec.filename = comp
                .fid
                .and_then(|f| self.files.get(&(2, f)))
                .and_then(File::eve_name);
        }
        let ok = h.status == 0 || h.status == STATUS_BUFFER_OVERFLOW;
        let mut read = None;
        let r = &mut t.rec;
        match h.command {
            cmd::NEGOTIATE if ok => {
                if let Some(d) = u16_at(m, b + 4) {
                    let d = names::smb2_dialect(d);
                    self.dialect = Some(d.clone());
                    r.dialect = Some(d);
                }
                r.server_guid = u128_at(m, b + 8);
            }
            cmd::TREE_CONNECT if ok => {
                r.tree_id = h.tree_id;
                let t = u8_at(m, b + 2);
                r.share_pipe = t == Some(2);
                r.share_type = Some(match t {
                    Some(2) => "PIPE",
                    Some(3) => "PRINT",
                    _ => "FILE",
                });
            }
            cmd::CREATE if ok => {
                let t = |at: usize| u64_at(m, b + at).map(filetime_s);
                if let (Some(c), Some(a), Some(w), Some(ch)) = (t(8), t(16), t(24), t(32)) {
                    r.times = Some([c, a, w, ch]);
                }
                r.size = u64_at(m, b + 48);
                r.fuid = u128_at(m, b + 64);
            }
            cmd::READ => {
                if let (Some(o), Some(l)) = (u8_at(m, b + 2), u32_at(m, b + 4)) {
                    read = Some(slice_to(m, o as usize, l as usize));
                }
            }
            cmd::IOCTL => {
                if let (Some(rpc), Some(o), Some(l)) =
                    (r.rpc.as_mut(), u32_at(m, b + 32), u32_at(m, b + 36))
                {
                    rpc.response =
                        crate::dcerpc::pdu::parse_header(slice_to(m, o as usize, l as usize))
                            .map(|h| h.ptype);
                }
            }
            _ => {}
        }
        self.tx_done(t, read, out);
    }

    fn session_setup_response(
        &mut self,
        ts: i64,
        dir: Direction,
        m: &[u8],
        out: &mut Vec<AppRecord>,
    ) {
        let b = HEADER_LEN;
        if let (Some(o), Some(l)) = (u16_at(m, b + 4), u16_at(m, b + 6)) {
            if let Some(blob) = slice(m, o as usize, l as usize) {
                self.keep_ntlm(ts, dir, blob, true, out);
            }
        }
    }

    /// Response bytes of a pipe (read, transceive): to its RPC parser only.
    pub(crate) fn pipe_data(
        &mut self,
        ts: i64,
        key: Key,
        dir: Direction,
        data: &[u8],
        out: &mut Vec<AppRecord>,
    ) {
        if self.files.get(&key).is_some_and(|f| f.dce.is_some()) {
            self.file_data(ts, key, dir, false, data, data.len() as u64, out);
        }
    }
}
