//! The ntlm.log record and the tracking of one NTLM exchange per carrying connection.

use super::parser::NtlmMessage;
use netloupe_output::json::JsonObject;

/// An ntlm.log record: one NTLM exchange (NEGOTIATE, CHALLENGE, AUTHENTICATE) of a
/// connection. `username`, `hostname`, `domainname` come from the AUTHENTICATE; the
/// `server_*` names from the CHALLENGE's target information; `success` from the carrying
/// protocol (an SMB session setup status, an HTTP status), when it tells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NtlmRecord {
    /// Time of the exchange's first message.
    pub ts_ns: i64,
    pub username: Option<String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub server_nb_computer_name: Option<String>,
    pub server_dns_computer_name: Option<String>,
    pub server_tree_name: Option<String>,
    pub success: Option<bool>,
    /// Not ntlm.log fields: the challenge's target name and the server's domain names.
    pub target_name: Option<String>,
    pub server_nb_domain_name: Option<String>,
    pub server_dns_domain_name: Option<String>,
}

impl NtlmRecord {
    /// Writes the ntlm.log fields after the connection fields (written by the caller). Unset
    /// fields are omitted.
    pub fn write_json(&self, o: &mut JsonObject) {
        let strs = [
            ("username", &self.username),
            ("hostname", &self.hostname),
            ("domainname", &self.domainname),
            ("server_nb_computer_name", &self.server_nb_computer_name),
            ("server_dns_computer_name", &self.server_dns_computer_name),
            ("server_tree_name", &self.server_tree_name),
        ];
        for (k, v) in strs {
            if let Some(v) = v {
                o.str(k, v);
            }
        }
        if let Some(s) = self.success {
            o.raw("success", s);
        }
    }
}

/// Follows the NTLM exchanges of one connection, for the protocol parser that carries them
/// (SMB, HTTP, DCE-RPC): feed it every message found ([`super::parse_ntlmssp`],
/// [`super::find_and_parse`], [`super::parse_http_auth`]) and the outcome when known.
///
/// A NEGOTIATE starts a new exchange (emitting the previous one); a CHALLENGE after an
/// exchange already has server information, or an AUTHENTICATE after one already
/// authenticated, does too. An exchange is emitted when [`NtlmTracker::set_success`] reports
/// its outcome, or by [`NtlmTracker::flush`] at the end of the connection.
#[derive(Debug, Clone, Default)]
pub struct NtlmTracker {
    cur: Option<NtlmRecord>,
    authenticated: bool,
    challenged: bool,
}

impl NtlmTracker {
    pub fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, ts_ns: i64, out: &mut Vec<NtlmRecord>) {
        self.flush(out);
        self.cur = Some(NtlmRecord {
            ts_ns,
            ..Default::default()
        });
    }

    /// One message of the connection, seen at `ts_ns`.
    pub fn message(&mut self, ts_ns: i64, msg: &NtlmMessage, out: &mut Vec<NtlmRecord>) {
        match msg {
            NtlmMessage::Negotiate(_) => self.start(ts_ns, out),
            NtlmMessage::Challenge(c) => {
                if self.cur.is_none() || self.challenged || self.authenticated {
                    self.start(ts_ns, out);
                }
                self.challenged = true;
                if let Some(r) = &mut self.cur {
                    r.target_name.clone_from(&c.target_name);
                    r.server_nb_computer_name.clone_from(&c.nb_computer_name);
                    r.server_dns_computer_name.clone_from(&c.dns_computer_name);
                    r.server_tree_name.clone_from(&c.dns_tree_name);
                    r.server_nb_domain_name.clone_from(&c.nb_domain_name);
                    r.server_dns_domain_name.clone_from(&c.dns_domain_name);
                }
            }
            NtlmMessage::Authenticate(a) => {
                if self.cur.is_none() || self.authenticated {
                    self.start(ts_ns, out);
                }
                self.authenticated = true;
                if let Some(r) = &mut self.cur {
                    r.username.clone_from(&a.user);
                    r.hostname.clone_from(&a.workstation);
                    r.domainname.clone_from(&a.domain);
                }
            }
        }
    }

    /// The carrying protocol's verdict on the current exchange: recorded and emitted.
    pub fn set_success(&mut self, ok: bool, out: &mut Vec<NtlmRecord>) {
        if let Some(r) = &mut self.cur {
            r.success = Some(ok);
        }
        self.flush(out);
    }

    /// Whether an exchange is under way.
    pub fn pending(&self) -> bool {
        self.cur.is_some()
    }

    /// Emits the current exchange, if any.
    pub fn flush(&mut self, out: &mut Vec<NtlmRecord>) {
        if let Some(r) = self.cur.take() {
            out.push(r);
        }
        self.authenticated = false;
        self.challenged = false;
    }
}

/// Fuzzing entry point: `data` searched for NTLMSSP messages, parsed as one, as an HTTP
/// header value, and the messages fed to a tracker.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let _ = super::parse_ntlmssp(data);
    let _ = super::parse_http_auth(&String::from_utf8_lossy(data));
    let mut t = NtlmTracker::new();
    let mut out = Vec::new();
    for (i, (_, m)) in super::find_and_parse(data).iter().enumerate() {
        t.message(i as i64, m, &mut out);
        if i % 3 == 2 {
            t.set_success(i % 2 == 0, &mut out);
        }
    }
    t.flush(&mut out);
    for r in &out {
        let mut line = String::new();
        let mut o = JsonObject::new(&mut line);
        r.write_json(&mut o);
        o.end();
    }
}
