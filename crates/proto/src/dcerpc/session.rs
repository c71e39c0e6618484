//! [`DceRpcSession`]: RPC over TCP (the endpoint mapper on 135 and dynamic endpoints).

use super::conn::{AuthBlob, DceRpcConn};
use crate::ntlm::{parse_ntlmssp, NtlmTracker};
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};

/// DCE/RPC over a TCP connection: one association per connection.
pub struct DceRpcSession {
    conn: DceRpcConn,
    /// NTLM exchanges of the binds, alter_contexts and auth3s: ntlm.log. RPC has no verdict
    /// on them (the AUTHENTICATE travels in an auth3, which is not answered): Zeek leaves
    /// `success` unset, and so does this.
    ntlm: NtlmTracker,
    /// Tokens taken by [`DceRpcSession::take_auth_blobs`] after they were fed to `ntlm`.
    auth: Vec<AuthBlob>,
}

impl Default for DceRpcSession {
    fn default() -> Self {
        Self::new()
    }
}

impl DceRpcSession {
    pub fn new() -> Self {
        DceRpcSession {
            conn: DceRpcConn::new(None),
            ntlm: NtlmTracker::new(),
            auth: Vec::new(),
        }
    }

    /// The association state (contexts, authentication tokens).
    pub fn conn(&self) -> &DceRpcConn {
        &self.conn
    }

    /// Takes the authentication tokens (NTLMSSP/SPNEGO/Kerberos) seen so far.
    pub fn take_auth_blobs(&mut self) -> Vec<AuthBlob> {
        let mut v = std::mem::take(&mut self.auth);
        v.extend(self.conn.take_auth_blobs());
        v
    }

    /// Feeds the tokens the association parser took since the last call to the NTLM
    /// tracker; they stay available to [`DceRpcSession::take_auth_blobs`].
    fn route_auth(&mut self, out: &mut Vec<AppRecord>) {
        let blobs = self.conn.take_auth_blobs();
        let mut o = Vec::new();
        for b in &blobs {
            if let Some(m) = b.ntlmssp().and_then(parse_ntlmssp) {
                self.ntlm.message(b.ts_ns, &m, &mut o);
            }
        }
        out.extend(o.into_iter().map(AppRecord::Ntlm));
        // The association parser keeps at most a few tokens; so does this.
        for b in blobs {
            if self.auth.len() < MAX_KEPT_AUTH {
                self.auth.push(b);
            }
        }
    }
}

/// Tokens kept for [`DceRpcSession::take_auth_blobs`].
const MAX_KEPT_AUTH: usize = 8;

impl SessionParser for DceRpcSession {
    fn service(&self) -> Service {
        Service::DceRpc
    }
    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        self.conn.feed(ctx.ts_ns, ctx.dir, data, out);
        self.route_auth(out);
    }
    fn gap(&mut self, dir: Direction, _len: u64) {
        self.conn.gap(dir);
    }
    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.conn.end(out);
        self.route_auth(out);
        let mut o = Vec::new();
        self.ntlm.flush(&mut o);
        out.extend(o.into_iter().map(AppRecord::Ntlm));
    }
    fn confirmed(&self) -> bool {
        !self.conn.violated() && self.conn.pdus() > 0
    }
    fn violated(&self) -> bool {
        self.conn.violated()
    }
}

/// Fuzzing entry (cargo-fuzz target `proto_dcerpc`): the first byte chooses, per chunk, the
/// direction and chunk sizes; the rest is fed as both directions' streams.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    crate::fuzz_session(&mut DceRpcSession::new(), data, 3);
}
