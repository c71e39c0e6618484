//! SMB transactions as Suricata logs them (EVE `smb` events, [`SmbCmdRecord`]), beside the
//! Zeek records of [`super::session`]:
//!
//! * a request begins a transaction, its response ends it (status, and what the response
//!   tells); an interim STATUS_PENDING response does not;
//! * reads and writes of a file are one transaction per open file and direction, begun by the
//!   first successful read or write response and ended when the file is closed;
//! * a write of DCE/RPC to a named pipe is a transaction ended by the next read of the pipe
//!   (the RPC response); reads of pipes begin none; a pipe transceive (SMB2 IOCTL, SMB1
//!   TransactNmPipe) is an ordinary command;
//! * SMB2 GET_INFO and SET_INFO (other than renames and delete dispositions) begin none.
//!
//! Transactions are numbered from 1 per connection as they begin (`id`). Those still open when
//! the connection ends are logged without a status. At most [`MAX_OPEN_TX`] requests wait for
//! their response: past that, all waiting are logged unanswered (counted in `tx_evicted`).

use super::session::{File, Key, State, SHARE_ROOT};
use super::{SmbCmdRecord, SmbRpc, SmbStatus};
use crate::dcerpc::pdu;
use crate::AppRecord;

/// Requests waiting for their response, per connection.
pub(crate) const MAX_OPEN_TX: usize = 4096;

/// What a request waiting for its response begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxKind {
    /// A transaction of its own.
    Cmd,
    /// Data read from (or written to) a file: the file's transaction for that direction.
    FileData { fid: u128, write: bool },
    /// A write to a named pipe: a transaction kept on the pipe until its next read.
    PipeWrite { fid: u128 },
}

pub(crate) struct OpenTx {
    pub rec: SmbCmdRecord,
    pub kind: TxKind,
    /// The request named "the file of the previous create" of its compound (SMB2), which
    /// the create's response tells.
    pub related_fid: bool,
}

/// The fields every transaction of one message carries.
pub(crate) struct TxHead {
    pub ts: i64,
    pub smb1: bool,
    pub command: u16,
    pub session_id: u64,
    pub tree_id: u32,
}

/// What a read or write of a file handle begins: its file's data transaction, or for a write
/// of DCE/RPC to a named pipe, a pipe write (other data written to a pipe, such as PsExec's
/// own protocol, counts as file data); nothing for an unknown handle.
pub(crate) fn data_kind(st: &State, key: Key, write: bool, data: &[u8]) -> Option<TxKind> {
    let f = st.files.get(&key)?;
    Some(if f.pipe && write && pdu::parse_header(data).is_some() {
        TxKind::PipeWrite { fid: key.1 }
    } else {
        TxKind::FileData { fid: key.1, write }
    })
}

/// The DCE/RPC PDU at the start of `data` (type, call id, and a request's opnum).
pub(crate) fn rpc_of(data: &[u8]) -> Option<SmbRpc> {
    let h = pdu::parse_header(data)?;
    let opnum = if h.ptype == pdu::ptype::REQUEST {
        pdu::request(&h, data).map(|r| r.opnum)
    } else {
        None
    };
    Some(SmbRpc {
        request: h.ptype,
        response: None,
        opnum,
        call_id: h.call_id,
    })
}

impl State {
    fn next_tx_id(&mut self) -> u64 {
        self.next_tx += 1;
        self.next_tx
    }

    /// A new record for a request of `head` (the tree's share filled in).
    fn tx_record(&self, head: &TxHead) -> SmbCmdRecord {
        let v = if head.smb1 { 1 } else { 2 };
        let tree = self.trees.get(&(v, head.tree_id));
        SmbCmdRecord {
            ts_ns: head.ts,
            smb1: head.smb1,
            command: head.command,
            dialect: self.dialect.clone(),
            session_id: head.session_id,
            tree_id: head.tree_id,
            share: tree.and_then(|t| t.path.clone()),
            share_pipe: tree.is_some_and(|t| t.share_type == "PIPE"),
            ..Default::default()
        }
    }

    /// A request begins a transaction (or will feed a file's or pipe's): returns it to fill
    /// in. A request reusing the key of one still waiting ends that one unanswered.
    pub(crate) fn tx_begin(
        &mut self,
        key: (u8, u64),
        head: &TxHead,
        kind: TxKind,
        out: &mut Vec<AppRecord>,
    ) -> &mut OpenTx {
        if let Some(old) = self.txs.remove(&key) {
            self.tx_unanswered(old, out);
        }
        if self.txs.len() >= MAX_OPEN_TX {
            self.tx_evicted += self.txs.len() as u64;
            self.tx_flush(out);
        }
        let mut rec = self.tx_record(head);
        match kind {
            TxKind::Cmd => rec.id = self.next_tx_id(),
            TxKind::PipeWrite { fid } | TxKind::FileData { fid, .. } => {
                let v = if head.smb1 { 1 } else { 2 };
                rec.filename = self.files.get(&(v, fid)).and_then(File::eve_name);
                rec.fuid = Some(fid);
                // Data transactions are numbered when they begin, at their response.
                if matches!(kind, TxKind::PipeWrite { .. }) {
                    rec.id = self.next_tx_id();
                }
            }
        }
        self.txs.entry(key).or_insert(OpenTx {
            rec,
            kind,
            related_fid: false,
        })
    }

    /// The response to the request of `key`: its transaction, if one waits, with the status
    /// and time set. A data transaction is handed to its file (see [`Self::tx_data_done`]).
    pub(crate) fn tx_answer(
        &mut self,
        key: (u8, u64),
        ts: i64,
        status: SmbStatus,
        session_id: u64,
    ) -> Option<OpenTx> {
        let mut t = self.txs.remove(&key)?;
        t.rec.ts_ns = ts;
        t.rec.status = Some(status);
        t.rec.dialect = self.dialect.clone();
        if t.rec.session_id == 0 {
            t.rec.session_id = session_id;
        }
        Some(t)
    }

    /// Ends an answered transaction: a command is logged; data goes to its file's
    /// transaction (begun here by a successful response); a pipe write waits on its pipe for
    /// the read that brings its RPC response. `rpc_response` is what a read of a pipe
    /// returned.
    pub(crate) fn tx_done(
        &mut self,
        t: OpenTx,
        rpc_response: Option<&[u8]>,
        out: &mut Vec<AppRecord>,
    ) {
        let OpenTx { mut rec, kind, .. } = t;
        let ok = rec.status.is_some_and(SmbStatus::is_success);
        let v = if rec.smb1 { 1 } else { 2 };
        match kind {
            TxKind::Cmd => out.push(AppRecord::SmbCmd(rec)),
            TxKind::FileData { fid, write } => {
                let Some(mut f) = self.files.remove(&(v, fid)) else {
                    return;
                };
                if f.pipe && !write {
                    // A read of a pipe: the RPC response of the write waiting on it.
                    if let Some(mut w) = f.rpc_tx.take() {
                        if let (Some(r), Some(data)) = (w.rpc.as_mut(), rpc_response) {
                            r.response = pdu::parse_header(data).map(|h| h.ptype);
                        }
                        w.ts_ns = rec.ts_ns;
                        out.push(AppRecord::SmbCmd(w));
                    }
                } else if ok {
                    let slot = &mut f.data_tx[usize::from(!write)];
                    if slot.is_none() {
                        rec.id = self.next_tx_id();
                        *slot = Some(rec);
                    }
                }
                self.files.insert((v, fid), f);
            }
            TxKind::PipeWrite { fid } => match self.files.get_mut(&(v, fid)) {
                Some(f) => {
                    if let Some(prev) = f.rpc_tx.replace(rec) {
                        out.push(AppRecord::SmbCmd(prev));
                    }
                }
                None => out.push(AppRecord::SmbCmd(rec)),
            },
        }
    }

    /// A transaction never answered: logged without status (data requests are dropped: they
    /// begin nothing until answered).
    fn tx_unanswered(&mut self, t: OpenTx, out: &mut Vec<AppRecord>) {
        if !is_data(t.kind) {
            out.push(AppRecord::SmbCmd(t.rec));
        }
    }

    /// Logs every transaction still waiting, in the order they began.
    pub(crate) fn tx_flush(&mut self, out: &mut Vec<AppRecord>) {
        let mut open: Vec<OpenTx> = self.txs.drain().map(|(_, t)| t).collect();
        open.sort_by_key(|t| t.rec.id);
        for t in open {
            self.tx_unanswered(t, out);
        }
    }
}

fn is_data(k: TxKind) -> bool {
    matches!(k, TxKind::FileData { .. })
}

impl File {
    /// The file's name for EVE: none for the share itself (Zeek's `<share_root>`).
    pub(crate) fn eve_name(&self) -> Option<String> {
        (self.name != SHARE_ROOT).then(|| self.name.clone())
    }

    /// The transactions kept on a file (its reads and writes, a pipe write waiting for its
    /// response), logged when it is closed, in the order they began.
    pub(crate) fn take_txs(&mut self, out: &mut Vec<AppRecord>) {
        let mut txs: Vec<SmbCmdRecord> = self
            .data_tx
            .iter_mut()
            .filter_map(Option::take)
            .chain(self.rpc_tx.take())
            .collect();
        txs.sort_by_key(|r| r.id);
        out.extend(txs.into_iter().map(AppRecord::SmbCmd));
    }
}
