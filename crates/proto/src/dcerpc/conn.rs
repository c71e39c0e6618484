//! One RPC association: the byte stream of each direction cut into PDUs, presentation
//! contexts, outstanding calls and the authentication material seen.

use super::names;
use super::pdu::{self, ptype, Header, HEADER_LEN, PFC_FIRST_FRAG, PFC_LAST_FRAG};
use super::DceRpcRecord;
use crate::{AppRecord, Direction};
use std::collections::VecDeque;

const MAX_CONTEXTS: usize = 64;
const MAX_CALLS: usize = 256;
const MAX_AUTH_BLOBS: usize = 8;
const MAX_AUTH_BLOB: usize = 16 * 1024;

/// An authentication token carried by a bind, alter_context, auth3 or their acknowledgements
/// (NTLMSSP, SPNEGO or Kerberos), kept for the NTLM/Kerberos parsers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthBlob {
    pub ts_ns: i64,
    pub dir: Direction,
    /// `auth_type` of the trailer (9 SPNEGO, 10 NTLMSSP, 16 Kerberos).
    pub auth_type: u8,
    /// The token (`auth_value`), at most 16 KiB.
    pub data: Vec<u8>,
}

impl AuthBlob {
    /// The NTLMSSP message inside the token (from its `NTLMSSP\0` signature to the end), if any.
    pub fn ntlmssp(&self) -> Option<&[u8]> {
        find_ntlmssp(&self.data)
    }
}

/// The NTLMSSP message inside a security token, from the signature on.
pub fn find_ntlmssp(b: &[u8]) -> Option<&[u8]> {
    const SIG: &[u8] = b"NTLMSSP\0";
    crate::find(b, SIG).map(|i| &b[i..])
}

struct Call {
    call_id: u32,
    ts_ns: i64,
    ctx_id: u16,
    opnum: u16,
    stub_len: u64,
    /// Request's last fragment seen.
    complete: bool,
}

#[derive(Default)]
struct Stream {
    buf: Vec<u8>,
    /// Bytes lost to a gap: wait for a plausible header before parsing again.
    resync: bool,
}

/// One association's state; see the module docs.
pub struct DceRpcConn {
    streams: [Stream; 2],
    contexts: Vec<(u16, String)>,
    calls: VecDeque<Call>,
    sec_addr: Option<String>,
    named_pipe: Option<String>,
    auth: Vec<AuthBlob>,
    pdus: u64,
    violated: bool,
}

impl DceRpcConn {
    /// `named_pipe`: the SMB pipe carrying the association (used when the bind_ack gives no
    /// secondary address).
    pub fn new(named_pipe: Option<String>) -> Self {
        DceRpcConn {
            streams: Default::default(),
            contexts: Vec::new(),
            calls: VecDeque::new(),
            sec_addr: None,
            named_pipe,
            auth: Vec::new(),
            pdus: 0,
            violated: false,
        }
    }

    /// Number of well-formed PDUs seen.
    pub fn pdus(&self) -> u64 {
        self.pdus
    }

    /// The stream was not DCE/RPC (bad header at a PDU boundary): nothing more is parsed.
    pub fn violated(&self) -> bool {
        self.violated
    }

    /// Authentication tokens seen so far (for the NTLM parser).
    pub fn auth_blobs(&self) -> &[AuthBlob] {
        &self.auth
    }

    /// Takes the authentication tokens seen so far.
    pub fn take_auth_blobs(&mut self) -> Vec<AuthBlob> {
        std::mem::take(&mut self.auth)
    }

    /// Interface UUID bound to a presentation context.
    pub fn context_uuid(&self, ctx_id: u16) -> Option<&str> {
        self.contexts
            .iter()
            .find(|(id, _)| *id == ctx_id)
            .map(|(_, u)| u.as_str())
    }

    /// `len` bytes of `dir` were lost.
    pub fn gap(&mut self, dir: Direction) {
        let s = &mut self.streams[idx(dir)];
        s.buf.clear();
        s.resync = true;
    }

    /// In-order bytes of one direction.
    pub fn feed(&mut self, ts_ns: i64, dir: Direction, mut data: &[u8], out: &mut Vec<AppRecord>) {
        if self.violated {
            return;
        }
        let i = idx(dir);
        if self.streams[i].resync {
            // Only a delivery starting with a plausible header ends the resynchronisation.
            if pdu::parse_header(data).is_none() {
                return;
            }
            self.streams[i].resync = false;
        }
        while !data.is_empty() && !self.violated {
            let s = &mut self.streams[i];
            // Complete the header, then the PDU, in the buffer (or straight from `data`).
            if s.buf.is_empty() {
                if data.len() >= HEADER_LEN {
                    let Some(h) = pdu::parse_header(data) else {
                        self.violated = true;
                        return;
                    };
                    let n = h.frag_len as usize;
                    if data.len() >= n {
                        self.pdu(ts_ns, dir, h, &data[..n], out);
                        data = &data[n..];
                        continue;
                    }
                }
                s.buf.extend_from_slice(data);
                if s.buf.len() >= HEADER_LEN && pdu::parse_header(&s.buf).is_none() {
                    self.violated = true;
                }
                return;
            }
            if s.buf.len() < HEADER_LEN {
                let take = (HEADER_LEN - s.buf.len()).min(data.len());
                s.buf.extend_from_slice(&data[..take]);
                data = &data[take..];
                if s.buf.len() < HEADER_LEN {
                    return;
                }
            }
            let Some(h) = pdu::parse_header(&s.buf) else {
                self.violated = true;
                return;
            };
            let n = h.frag_len as usize;
            let take = n.saturating_sub(s.buf.len()).min(data.len());
            s.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if s.buf.len() < n {
                return;
            }
            let buf = std::mem::take(&mut s.buf);
            self.pdu(ts_ns, dir, h, &buf, out);
            let s = &mut self.streams[i];
            if s.buf.is_empty() {
                // Keep the allocation.
                s.buf = buf;
                s.buf.clear();
            }
        }
    }

    fn pdu(&mut self, ts_ns: i64, dir: Direction, h: Header, b: &[u8], out: &mut Vec<AppRecord>) {
        self.pdus += 1;
        match h.ptype {
            ptype::BIND | ptype::ALTER_CONTEXT => {
                for c in pdu::bind_contexts(&h, b) {
                    self.contexts.retain(|(id, _)| *id != c.id);
                    if self.contexts.len() >= MAX_CONTEXTS {
                        self.contexts.remove(0);
                    }
                    self.contexts.push((c.id, c.uuid));
                }
                self.keep_auth(ts_ns, dir, &h, b);
            }
            ptype::BIND_ACK | ptype::ALTER_CONTEXT_RESP => {
                if let Some((sec, _)) = pdu::bind_ack(&h, b) {
                    if !sec.is_empty() {
                        self.sec_addr = Some(sec);
                    }
                }
                self.keep_auth(ts_ns, dir, &h, b);
            }
            ptype::AUTH3 => self.keep_auth(ts_ns, dir, &h, b),
            ptype::REQUEST => {
                let Some(r) = pdu::request(&h, b) else {
                    return;
                };
                let stub = r.stub.len() as u64;
                let last = h.flags & PFC_LAST_FRAG != 0;
                if let Some(c) = self
                    .calls
                    .iter_mut()
                    .find(|c| c.call_id == h.call_id && !c.complete)
                {
                    if h.flags & PFC_FIRST_FRAG == 0 {
                        c.stub_len += stub;
                        c.complete = last;
                        return;
                    }
                }
                // A new call (a first fragment, or a continuation whose start was missed).
                self.calls.retain(|c| c.call_id != h.call_id);
                if self.calls.len() >= MAX_CALLS {
                    // The oldest unanswered call is logged without a response.
                    if let Some(c) = self.calls.pop_front() {
                        out.push(AppRecord::DceRpc(self.record(c, None, None)));
                    }
                }
                self.calls.push_back(Call {
                    call_id: h.call_id,
                    ts_ns,
                    ctx_id: r.ctx_id,
                    opnum: r.opnum,
                    stub_len: stub,
                    complete: last,
                });
            }
            ptype::RESPONSE | ptype::FAULT => {
                if h.flags & PFC_LAST_FRAG == 0 && h.ptype == ptype::RESPONSE {
                    return;
                }
                let Some(pos) = self.calls.iter().position(|c| c.call_id == h.call_id) else {
                    return;
                };
                let fault = if h.ptype == ptype::FAULT {
                    Some(pdu::fault_status(&h, b).unwrap_or(0))
                } else {
                    None
                };
                if let Some(c) = self.calls.remove(pos) {
                    // Calls on a context whose bind was not seen are not logged (as Zeek).
                    if self.context_uuid(c.ctx_id).is_none() {
                        return;
                    }
                    let rtt = ts_ns.saturating_sub(c.ts_ns);
                    out.push(AppRecord::DceRpc(self.record(c, Some(rtt), fault)));
                }
            }
            _ => {}
        }
    }

    fn keep_auth(&mut self, ts_ns: i64, dir: Direction, h: &Header, b: &[u8]) {
        let Some((t, v)) = pdu::auth_trailer(h, b) else {
            return;
        };
        if v.is_empty() || self.auth.len() >= MAX_AUTH_BLOBS {
            return;
        }
        self.auth.push(AuthBlob {
            ts_ns,
            dir,
            auth_type: t,
            data: v[..v.len().min(MAX_AUTH_BLOB)].to_vec(),
        });
    }

    fn record(&self, c: Call, rtt_ns: Option<i64>, fault: Option<u32>) -> DceRpcRecord {
        let uuid = self.context_uuid(c.ctx_id).map(str::to_string);
        DceRpcRecord {
            ts_ns: c.ts_ns,
            rtt_ns,
            named_pipe: self.sec_addr.clone().or_else(|| self.named_pipe.clone()),
            endpoint: uuid.as_deref().map(names::endpoint_name),
            operation: uuid.as_deref().map(|u| names::operation_name(u, c.opnum)),
            uuid,
            opnum: c.opnum,
            fault,
            stub_len: c.stub_len,
            over_smb: self.named_pipe.is_some(),
        }
    }

    /// The association ended: calls without a response are logged without rtt.
    pub fn end(&mut self, out: &mut Vec<AppRecord>) {
        while let Some(c) = self.calls.pop_front() {
            if self.context_uuid(c.ctx_id).is_none() {
                continue;
            }
            out.push(AppRecord::DceRpc(self.record(c, None, None)));
        }
    }
}

fn idx(d: Direction) -> usize {
    match d {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}
