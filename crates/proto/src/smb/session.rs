//! [`SmbSession`]: message framing (NetBIOS session service / direct TCP 4-byte header) and
//! the per-connection state shared by the SMB1 and SMB2 command handlers.

use super::tx::OpenTx;
use super::util::{self, MAX_NAME};
use super::{SmbAction, SmbCmdRecord, SmbFilesRecord, SmbMappingRecord, SmbTimes};
use crate::dcerpc::DceRpcConn;
use crate::kerberos::{find_gssapi_krb5, KerberosTracker};
use crate::ntlm::{parse_ntlmssp, NtlmMessage, NtlmTracker};
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use std::collections::{HashMap, HashSet, VecDeque};

/// Longest message kept per direction; the rest of a longer one (file data) is skipped.
const MAX_MSG: usize = 256 * 1024;
const MAX_TREES: usize = 256;
const MAX_FILES: usize = 1024;
const MAX_PIPES: usize = 64;
const MAX_PENDING: usize = 4096;
const MAX_NTLM: usize = 16;
const MAX_NTLM_LEN: usize = 16 * 1024;
const MAX_RECENT: usize = 4096;

/// An NTLMSSP message taken from a session setup security blob (or an RPC bind over a pipe),
/// for the NTLM parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtlmBlob {
    pub ts_ns: i64,
    pub dir: Direction,
    /// From the `NTLMSSP\0` signature to the end of the security buffer, at most 16 KiB.
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Framer {
    hdr: [u8; 4],
    hdr_len: usize,
    /// Bytes of the current message still to come.
    remaining: usize,
    /// Whether the current message is an SMB message (NBSS type 0).
    is_msg: bool,
    buf: Vec<u8>,
    truncated: bool,
    /// After a gap: wait for a delivery that starts with a message header.
    resync: bool,
}

/// A tree (share) connected.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub path: Option<String>,
    pub share_type: &'static str,
}

/// An open file or pipe.
pub(crate) struct File {
    pub name: String,
    pub path: Option<String>,
    pub size: u64,
    pub times: Option<SmbTimes>,
    pub pipe: bool,
    pub dce: Option<Box<DceRpcConn>>,
    pub read_logged: bool,
    pub write_logged: bool,
    pub delete_on_close: bool,
    pub version: u8,
    /// Bytes written (0) and read (1) through this handle: files.log entries at close.
    pub xfer: [Option<Xfer>; 2],
    /// The EVE transactions of its writes (0) and reads (1), logged at close.
    pub data_tx: [Option<SmbCmdRecord>; 2],
    /// A pipe write waiting for the read that brings its response.
    pub rpc_tx: Option<SmbCmdRecord>,
}

/// Data moved through one file handle in one direction.
#[derive(Debug, Clone, Default)]
pub(crate) struct Xfer {
    first_ts: i64,
    last_ts: i64,
    seen: u64,
    /// First bytes, for the MIME type.
    head: Vec<u8>,
}

/// Bytes kept of a file's first data to find its MIME type.
const SNIFF_BYTES: usize = 64;

/// What a request asked, kept until its response.
#[derive(Debug, Clone)]
pub(crate) enum Pending {
    TreeConnect {
        path: String,
    },
    Create {
        tree: u32,
        name: String,
        delete_on_close: bool,
    },
    Read {
        fid: Option<u128>,
    },
    Ioctl {
        fid: Option<u128>,
    },
    Trans {
        fid: u128,
    },
    Close {
        fid: Option<u128>,
    },
    Rename {
        fid: Option<u128>,
        name: String,
    },
    Delete {
        fid: Option<u128>,
    },
    SessionSetup,
    Other,
}

/// The name Zeek gives a create of the share itself (an empty name).
pub(crate) const SHARE_ROOT: &str = "<share_root>";

/// Key of trees and files: dialect (1 or 2) and id.
pub(crate) type Key = (u8, u128);

pub(crate) struct State {
    pub trees: HashMap<(u8, u32), Tree>,
    pub files: HashMap<Key, File>,
    pub pending: HashMap<(u8, u64), Pending>,
    recent: HashSet<String>,
    recent_order: VecDeque<String>,
    pub ntlm: Vec<NtlmBlob>,
    /// NTLM exchanges of the connection (session setups and RPC binds over pipes): ntlm.log.
    ntlm_tracker: NtlmTracker,
    /// The last NTLM message fed was an AUTHENTICATE: a session setup's final status is its
    /// outcome.
    ntlm_authenticated: bool,
    /// Kerberos inside the session setups' GSS-API tokens: kerberos.log.
    krb_tracker: KerberosTracker,
    pub pipes: usize,
    pub smb_msgs: u64,
    /// EVE transactions waiting for their response (see [`super::tx`]).
    pub(crate) txs: HashMap<(u8, u64), OpenTx>,
    /// Transactions numbered so far.
    pub(crate) next_tx: u64,
    /// Transactions logged unanswered because too many waited.
    pub tx_evicted: u64,
    /// The dialect negotiated, when the negotiation was seen.
    pub(crate) dialect: Option<String>,
}

/// SMB over one TCP connection.
pub struct SmbSession {
    framers: [Framer; 2],
    st: State,
    violated: bool,
}

impl Default for SmbSession {
    fn default() -> Self {
        Self::new()
    }
}

impl SmbSession {
    pub fn new() -> Self {
        SmbSession {
            framers: Default::default(),
            st: State {
                trees: HashMap::new(),
                files: HashMap::new(),
                pending: HashMap::new(),
                recent: HashSet::new(),
                recent_order: VecDeque::new(),
                ntlm: Vec::new(),
                ntlm_tracker: NtlmTracker::new(),
                ntlm_authenticated: false,
                krb_tracker: KerberosTracker::new(),
                pipes: 0,
                smb_msgs: 0,
                txs: HashMap::new(),
                next_tx: 0,
                tx_evicted: 0,
                dialect: None,
            },
            violated: false,
        }
    }

    /// NTLMSSP messages seen so far (session setups, RPC binds over pipes).
    pub fn ntlm_blobs(&self) -> &[NtlmBlob] {
        &self.st.ntlm
    }

    /// SMB transactions logged unanswered because too many requests waited.
    pub fn tx_evicted(&self) -> u64 {
        self.st.tx_evicted
    }

    /// Takes the NTLMSSP messages seen so far, for the NTLM parser.
    pub fn take_ntlm_blobs(&mut self) -> Vec<NtlmBlob> {
        std::mem::take(&mut self.st.ntlm)
    }

    fn feed(&mut self, ctx: Ctx, mut data: &[u8], out: &mut Vec<AppRecord>) {
        let i = match ctx.dir {
            Direction::Orig => 0,
            Direction::Resp => 1,
        };
        if self.framers[i].resync {
            if !looks_like_header(data) {
                return;
            }
            self.framers[i] = Framer::default();
        }
        while !data.is_empty() && !self.violated {
            let f = &mut self.framers[i];
            if f.remaining == 0 {
                let take = (4 - f.hdr_len).min(data.len());
                f.hdr[f.hdr_len..f.hdr_len + take].copy_from_slice(&data[..take]);
                f.hdr_len += take;
                data = &data[take..];
                if f.hdr_len < 4 {
                    return;
                }
                f.hdr_len = 0;
                let len = u32::from_be_bytes([0, f.hdr[1], f.hdr[2], f.hdr[3]]) as usize;
                match f.hdr[0] {
                    0x00 => f.is_msg = true,
                    // NBSS session request, responses, retarget, keep-alive (RFC 1002 4.3).
                    0x81..=0x85 => f.is_msg = false,
                    _ => {
                        self.violated = true;
                        return;
                    }
                }
                f.remaining = len;
                f.buf.clear();
                f.truncated = false;
                if len == 0 {
                    continue;
                }
            }
            let take = f.remaining.min(data.len());
            if f.is_msg {
                let room = MAX_MSG.saturating_sub(f.buf.len()).min(take);
                f.buf.extend_from_slice(&data[..room]);
                if room < take {
                    f.truncated = true;
                }
                // The first bytes of a message must be an SMB protocol id.
                if f.buf.len() >= 4 && !is_smb_magic(&f.buf[..4]) {
                    if self.st.smb_msgs == 0 {
                        self.violated = true;
                        return;
                    }
                    f.is_msg = false;
                }
            }
            f.remaining -= take;
            data = &data[take..];
            if f.remaining == 0 && f.is_msg {
                let buf = std::mem::take(&mut f.buf);
                let truncated = f.truncated;
                self.st.message(ctx.ts_ns, ctx.dir, &buf, truncated, out);
                let f = &mut self.framers[i];
                f.buf = buf;
                f.buf.clear();
                if f.buf.capacity() > 64 * 1024 {
                    f.buf = Vec::new();
                }
            }
        }
    }
}

fn is_smb_magic(b: &[u8]) -> bool {
    matches!(b, [0xfc..=0xff, b'S', b'M', b'B'])
}

fn looks_like_header(b: &[u8]) -> bool {
    b.len() >= 8 && b[0] == 0 && is_smb_magic(&b[4..8])
}

impl State {
    fn message(
        &mut self,
        ts: i64,
        dir: Direction,
        m: &[u8],
        truncated: bool,
        out: &mut Vec<AppRecord>,
    ) {
        self.smb_msgs += 1;
        match m.get(..4) {
            Some([0xff, b'S', b'M', b'B']) => self.smb1(ts, dir, m, truncated, out),
            Some([0xfe, b'S', b'M', b'B']) => self.smb2(ts, dir, m, truncated, out),
            // Transform (encrypted) and compression headers: opaque.
            _ => {}
        }
    }

    pub(crate) fn add_pending(&mut self, key: (u8, u64), p: Pending) {
        if self.pending.len() >= MAX_PENDING && !self.pending.contains_key(&key) {
            // Requests never answered accumulate: forget them all rather than grow.
            self.pending.clear();
        }
        self.pending.insert(key, p);
    }

    pub(crate) fn add_tree(&mut self, key: (u8, u32), t: Tree) {
        if self.trees.len() >= MAX_TREES && !self.trees.contains_key(&key) {
            return;
        }
        self.trees.insert(key, t);
    }

    /// A security token: its NTLMSSP message is kept (see [`SmbSession::ntlm_blobs`]) and fed
    /// to the connection's NTLM tracker; with `gss` (session setup blobs), GSS-API Kerberos
    /// messages in it are fed to the Kerberos tracker.
    pub(crate) fn keep_ntlm(
        &mut self,
        ts_ns: i64,
        dir: Direction,
        blob: &[u8],
        gss: bool,
        out: &mut Vec<AppRecord>,
    ) {
        if let Some(n) = crate::dcerpc::conn::find_ntlmssp(blob) {
            if self.ntlm.len() < MAX_NTLM {
                self.ntlm.push(NtlmBlob {
                    ts_ns,
                    dir,
                    data: n[..n.len().min(MAX_NTLM_LEN)].to_vec(),
                });
            }
            if let Some(m) = parse_ntlmssp(n) {
                self.ntlm_authenticated = matches!(m, NtlmMessage::Authenticate(_));
                let mut o = Vec::new();
                self.ntlm_tracker.message(ts_ns, &m, &mut o);
                out.extend(o.into_iter().map(AppRecord::Ntlm));
            }
        }
        if gss {
            let mut o = Vec::new();
            for m in find_gssapi_krb5(blob) {
                self.krb_tracker.message(ts_ns, &m, &mut o);
            }
            out.extend(o.into_iter().map(AppRecord::Kerberos));
        }
    }

    /// The final status of a session setup (not STATUS_MORE_PROCESSING_REQUIRED): the NTLM
    /// exchange under way, if it reached its AUTHENTICATE, succeeded (STATUS_SUCCESS) or
    /// failed (an error status such as STATUS_LOGON_FAILURE). An exchange that ended before
    /// its AUTHENTICATE keeps no verdict (as Zeek, which sets one only with a user name).
    pub(crate) fn session_setup_done(&mut self, status: u32, out: &mut Vec<AppRecord>) {
        if !self.ntlm_tracker.pending() || !self.ntlm_authenticated {
            return;
        }
        let ok = match status {
            0 => true,
            s if s >= 0xC000_0000 => false,
            _ => return,
        };
        self.ntlm_authenticated = false;
        let mut o = Vec::new();
        self.ntlm_tracker.set_success(ok, &mut o);
        out.extend(o.into_iter().map(AppRecord::Ntlm));
    }

    /// A successful open: the file is tracked (pipes get an RPC parser) and, unless a pipe,
    /// logged.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn opened(
        &mut self,
        ts: i64,
        key: Key,
        tree: Option<Tree>,
        name: String,
        size: u64,
        times: Option<SmbTimes>,
        delete_on_close: bool,
        out: &mut Vec<AppRecord>,
    ) {
        let pipe = match &tree {
            Some(t) => t.share_type == "PIPE",
            None => is_pipe_name(&name),
        };
        let name = if name.is_empty() {
            SHARE_ROOT.to_string()
        } else {
            name
        };
        if let Some(mut old) = self.files.remove(&key) {
            self.closed(&mut old, out);
        }
        if self.files.len() >= MAX_FILES {
            return;
        }
        let dce = if pipe && self.pipes < MAX_PIPES {
            self.pipes += 1;
            let base = name.trim_start_matches('\\');
            let base = base
                .strip_prefix("PIPE\\")
                .or_else(|| base.strip_prefix("pipe\\"))
                .unwrap_or(base);
            Some(Box::new(DceRpcConn::new(Some(format!("\\PIPE\\{base}")))))
        } else {
            None
        };
        let f = File {
            name,
            path: tree.and_then(|t| t.path),
            size,
            times,
            pipe,
            dce,
            read_logged: false,
            write_logged: false,
            delete_on_close,
            version: key.0,
            xfer: [None, None],
            data_tx: [None, None],
            rpc_tx: None,
        };
        if !pipe {
            self.log_file(ts, SmbAction::Open, &f, None, None, out);
        }
        self.files.insert(key, f);
    }

    /// Logs an action on a file unless the same (action, name, path, size, times) was just
    /// logged (Zeek's duplicate suppression).
    pub(crate) fn log_file(
        &mut self,
        ts: i64,
        action: SmbAction,
        f: &File,
        prev_name: Option<String>,
        data_len: Option<u64>,
        out: &mut Vec<AppRecord>,
    ) {
        if f.pipe {
            return;
        }
        let ident = format!(
            "{}\u{0}{}\u{0}{:?}\u{0}{}\u{0}{:?}\u{0}{:?}",
            action.as_str(),
            f.name,
            f.path,
            f.size,
            f.times,
            prev_name
        );
        if self.recent.contains(&ident) {
            return;
        }
        if self.recent_order.len() >= MAX_RECENT {
            if let Some(o) = self.recent_order.pop_front() {
                self.recent.remove(&o);
            }
        }
        self.recent.insert(ident.clone());
        self.recent_order.push_back(ident);
        out.push(AppRecord::SmbFiles(SmbFilesRecord {
            ts_ns: ts,
            action,
            path: f.path.clone(),
            name: Some(f.name.clone()),
            size: f.size,
            prev_name,
            times: f.times,
            version: f.version,
            data_len,
        }));
    }

    /// Bytes read from or written to a file: pipes feed their RPC parser, files log the first
    /// read and the first write of each open.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn file_data(
        &mut self,
        ts: i64,
        key: Key,
        dir: Direction,
        write: bool,
        data: &[u8],
        len: u64,
        out: &mut Vec<AppRecord>,
    ) {
        let Some(mut f) = self.files.remove(&key) else {
            return;
        };
        if let Some(d) = f.dce.as_mut() {
            if !data.is_empty() {
                d.feed(ts, dir, data, out);
                for b in d.take_auth_blobs() {
                    self.keep_ntlm(b.ts_ns, b.dir, &b.data, false, out);
                }
            }
        } else if !f.pipe {
            let logged = if write {
                &mut f.write_logged
            } else {
                &mut f.read_logged
            };
            if !*logged {
                *logged = true;
                let a = if write {
                    SmbAction::Write
                } else {
                    SmbAction::Read
                };
                self.log_file(ts, a, &f, None, Some(len), out);
            }
        }
        self.files.insert(key, f);
    }

    /// Content of a file (not a pipe) written (WRITE request) or read (READ response):
    /// counted for its files.log entry; `len` is the length announced, `data` what was kept.
    pub(crate) fn file_bytes(&mut self, ts: i64, key: Key, write: bool, data: &[u8], len: u64) {
        let Some(f) = self.files.get_mut(&key) else {
            return;
        };
        if f.pipe || len == 0 {
            return;
        }
        let x = f.xfer[usize::from(!write)].get_or_insert_with(|| Xfer {
            first_ts: ts,
            ..Default::default()
        });
        x.last_ts = ts;
        x.seen += len;
        if x.head.len() < SNIFF_BYTES {
            let n = (SNIFF_BYTES - x.head.len()).min(data.len());
            x.head.extend_from_slice(&data[..n]);
        }
    }

    /// A file's handle is closed (or replaced): pending RPC calls are flushed, and the data
    /// moved through it is logged as files (files.log, source SMB), writes first: Zeek ends an
    /// SMB file when its handle closes. The file's size is the total of what was read.
    pub(crate) fn closed(&mut self, f: &mut File, out: &mut Vec<AppRecord>) {
        f.take_txs(out);
        if let Some(mut d) = f.dce.take() {
            d.end(out);
            self.pipes = self.pipes.saturating_sub(1);
        }
        for (i, x) in f.xfer.iter_mut().enumerate() {
            let Some(x) = x.take() else {
                continue;
            };
            let write = i == 0;
            out.push(AppRecord::File(crate::http::FileRecord {
                ts_ns: x.first_ts,
                fuid: smb_fuid(x.first_ts, &f.name, write),
                source: "SMB",
                depth: 0,
                analyzers: vec![],
                mime_type: crate::http::mime::sniff(&x.head).map(str::to_string),
                filename: Some(f.name.clone()),
                duration_ns: x.last_ts - x.first_ts,
                is_orig: write,
                seen_bytes: x.seen,
                total_bytes: (!write && f.size > 0).then_some(f.size),
                ..Default::default()
            }));
        }
    }

    pub(crate) fn close(&mut self, ts: i64, key: Key, out: &mut Vec<AppRecord>) {
        if let Some(mut f) = self.files.remove(&key) {
            if f.delete_on_close {
                self.log_file(ts, SmbAction::Delete, &f, None, None, out);
            }
            self.closed(&mut f, out);
        }
    }

    pub(crate) fn rename(&mut self, ts: i64, key: Key, new: String, out: &mut Vec<AppRecord>) {
        if let Some(mut f) = self.files.remove(&key) {
            let prev = std::mem::replace(&mut f.name, new);
            self.log_file(ts, SmbAction::Rename, &f, Some(prev), None, out);
            self.files.insert(key, f);
        }
    }

    pub(crate) fn delete(&mut self, ts: i64, key: Key, out: &mut Vec<AppRecord>) {
        if let Some(f) = self.files.remove(&key) {
            self.log_file(ts, SmbAction::Delete, &f, None, None, out);
            self.files.insert(key, f);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mapping(
        &mut self,
        ts: i64,
        key: (u8, u32),
        path: String,
        service: Option<String>,
        nfs: Option<String>,
        share_type: &'static str,
        out: &mut Vec<AppRecord>,
    ) {
        let path: String = path.chars().take(MAX_NAME).collect();
        self.add_tree(
            key,
            Tree {
                path: Some(path.clone()),
                share_type,
            },
        );
        out.push(AppRecord::SmbMapping(SmbMappingRecord {
            ts_ns: ts,
            path: Some(path),
            service,
            native_file_system: nfs,
            share_type: share_type.to_string(),
        }));
    }

    fn end(&mut self, out: &mut Vec<AppRecord>) {
        let mut o = Vec::new();
        self.ntlm_tracker.flush(&mut o);
        out.extend(o.into_iter().map(AppRecord::Ntlm));
        let mut o = Vec::new();
        self.krb_tracker.flush(&mut o);
        out.extend(o.into_iter().map(AppRecord::Kerberos));
        self.tx_flush(out);
        let mut keys: Vec<Key> = self.files.keys().copied().collect();
        keys.sort();
        for k in keys {
            if let Some(mut f) = self.files.remove(&k) {
                self.closed(&mut f, out);
            }
        }
    }
}

/// Pipe names of the RPC interfaces (and other well-known pipes), for files opened on trees
/// whose connect was not seen.
pub(crate) fn is_pipe_name(name: &str) -> bool {
    const PIPES: &[&str] = &[
        "atsvc",
        "browser",
        "drsuapi",
        "epmapper",
        "eventlog",
        "initshutdown",
        "keysvc",
        "lsarpc",
        "lsass",
        "netdfs",
        "netlogon",
        "ntsvcs",
        "samr",
        "spoolss",
        "srvsvc",
        "svcctl",
        "winreg",
        "wkssvc",
        "protected_storage",
        "scerpc",
        "msftewds",
        "wmi",
        "efsrpc",
        "dssetup",
        "w32time",
        "trkwks",
        "unixinfo",
        "mdm",
        "tapsrv",
        "ipsec",
        "sql\\query",
    ];
    let n = name.trim_start_matches('\\').to_ascii_lowercase();
    let n = n.strip_prefix("pipe\\").unwrap_or(&n);
    PIPES.contains(&n)
}

/// The UTF-16 name at `off`/`len` bytes of `b`, or "".
pub(crate) fn name_at(b: &[u8], off: usize, len: usize) -> String {
    util::slice(b, off, len)
        .map(util::utf16)
        .unwrap_or_default()
}

impl SessionParser for SmbSession {
    fn evicted(&self) -> u64 {
        self.tx_evicted()
    }

    fn service(&self) -> Service {
        Service::Smb
    }
    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if !self.violated {
            self.feed(ctx, data, out);
        }
    }
    fn gap(&mut self, dir: Direction, _len: u64) {
        let i = match dir {
            Direction::Orig => 0,
            Direction::Resp => 1,
        };
        self.framers[i] = Framer {
            resync: true,
            ..Default::default()
        };
        for f in self.st.files.values_mut() {
            if let Some(d) = f.dce.as_mut() {
                d.gap(dir);
            }
        }
    }
    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.st.end(out);
    }
    fn confirmed(&self) -> bool {
        !self.violated && self.st.smb_msgs > 0
    }
    fn violated(&self) -> bool {
        self.violated
    }
}

/// Fuzzing entry (cargo-fuzz target `proto_smb`): the first byte seeds the chunking and
/// directions; the rest is the byte stream.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    crate::fuzz_session(&mut SmbSession::new(), data, 5);
}

/// A file id from the handle's first data time, name and direction (reproducible runs).
fn smb_fuid(ts: i64, name: &str, write: bool) -> String {
    crate::file_hash::file_id(&[b"smb", &ts.to_be_bytes(), name.as_bytes(), &[write as u8]])
}
