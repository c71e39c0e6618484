//! SMB 2 and 3 commands (MS-SMB2 2.2): negotiate is skipped; session setup (NTLMSSP tokens),
//! tree connect/disconnect, create, close, read, write, ioctl (pipe transceive), set info
//! (rename, delete), over compounded messages.

use super::session::{name_at, Key, Pending, State, Tree};
use super::util::{filetime_ns, slice, u128_at, u16_at, u32_at, u64_at, u8_at, utf16};
use super::SmbTimes;
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
            } else {
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
        let tree = if h.flags & FLAG_RELATED != 0 && h.tree_id == u32::MAX {
            comp.tree.unwrap_or(h.tree_id)
        } else {
            h.tree_id
        };
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
