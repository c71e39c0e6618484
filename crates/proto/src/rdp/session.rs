//! RDP connection setup state.
//!
//! Both directions are cut into TPKTs. The client's first is the X.224 Connection Request
//! (cookie, requested protocols), the server's first the Connection Confirm:
//! - a negotiation failure ends the session with the failure as `result`;
//! - an enhanced security protocol (TLS, CredSSP, RDSTLS) means a TLS handshake follows: the
//!   record is written with `result` "encrypted" and the session reads nothing more
//!   ([`RdpSession::handed_to_tls`]);
//! - standard RDP security goes on with the client's MCS Connect Initial (client core and
//!   network data) and the server's MCS Connect Response (result, server security data), after
//!   which the record is written and the rest (encrypted) is not read.
//!
//! A first TPKT that is not the expected Connection Request/Confirm, or bytes that are not
//! TPKTs, are a violation. Confirmation comes with a Connection Confirm after a Connection
//! Request.

use super::names;
use super::parse::{
    client_channels, client_core, connect_initial_user_data, connect_response, gcc_blocks,
    server_security, server_x509_chain, tpdu, tpkt_len, Negotiation, Tpdu,
};
use super::RdpRecord;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the Connection Request and Confirm.
    Negotiating,
    /// Standard RDP security: waiting for the MCS Connect Initial/Response.
    Mcs,
    /// The record is written; nothing more is read.
    Done,
}

/// One RDP connection over TCP.
pub struct RdpSession {
    bufs: [Vec<u8>; 2],
    phase: Phase,
    rec: RdpRecord,
    saw_request: bool,
    saw_confirm: bool,
    saw_initial: bool,
    emitted: bool,
    confirmed: bool,
    violated: bool,
    handed: bool,
    /// Weird name of the last problem seen.
    pub last_weird: Option<&'static str>,
}

impl Default for RdpSession {
    fn default() -> Self {
        Self::new()
    }
}

fn di(d: Direction) -> usize {
    match d {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}

impl RdpSession {
    pub fn new() -> Self {
        RdpSession {
            bufs: [Vec::new(), Vec::new()],
            phase: Phase::Negotiating,
            rec: RdpRecord::default(),
            saw_request: false,
            saw_confirm: false,
            saw_initial: false,
            emitted: false,
            confirmed: false,
            violated: false,
            handed: false,
            last_weird: None,
        }
    }

    /// An enhanced security protocol was selected: the record is written and a TLS handshake
    /// follows, for the TLS parser. Not a violation.
    pub fn handed_to_tls(&self) -> bool {
        self.handed
    }

    fn emit(&mut self, out: &mut Vec<AppRecord>) {
        if !self.emitted && self.saw_request {
            self.emitted = true;
            out.push(AppRecord::Rdp(self.rec.clone()));
        }
        self.phase = Phase::Done;
    }

    fn violation(&mut self, w: &'static str) {
        self.last_weird = Some(w);
        if !self.confirmed {
            self.violated = true;
        }
        self.phase = Phase::Done;
    }

    fn tpkt(&mut self, ts: i64, dir: Direction, pkt: &[u8], out: &mut Vec<AppRecord>) {
        let Some(t) = tpdu(pkt) else {
            return self.violation("rdp_bad_tpdu");
        };
        match (dir, self.phase) {
            (Direction::Orig, Phase::Negotiating) if !self.saw_request => {
                let Tpdu::ConnectionRequest { cookie, requested } = t else {
                    return self.violation("rdp_no_connection_request");
                };
                self.saw_request = true;
                self.rec.ts_ns = ts;
                self.rec.cookie = Some(cookie.unwrap_or_default());
                self.rec.requested_protocols = requested;
            }
            (Direction::Resp, Phase::Negotiating) if !self.saw_confirm => {
                let Tpdu::ConnectionConfirm(neg) = t else {
                    return self.violation("rdp_no_connection_confirm");
                };
                self.saw_confirm = true;
                if self.saw_request {
                    self.confirmed = true;
                }
                match neg {
                    Some(Negotiation::Failure(code)) => {
                        self.rec.result = Some(names::failure_code(code));
                        self.emit(out);
                    }
                    Some(Negotiation::Selected(p)) if p != 0 => {
                        self.rec.security_protocol = Some(names::security_protocol(p));
                        self.rec.result = Some("encrypted".into());
                        self.emit(out);
                        self.handed = true;
                    }
                    Some(Negotiation::Selected(p)) => {
                        self.rec.security_protocol = Some(names::security_protocol(p));
                        self.phase = Phase::Mcs;
                    }
                    None => self.phase = Phase::Mcs,
                }
            }
            (Direction::Orig, Phase::Mcs) if !self.saw_initial => {
                if let Tpdu::Data(mcs) = t {
                    if let Some(ud) = connect_initial_user_data(mcs) {
                        self.saw_initial = true;
                        self.client_data(ud);
                    }
                }
            }
            (Direction::Resp, Phase::Mcs) => {
                if let Tpdu::Data(mcs) = t {
                    if let Some((result, ud)) = connect_response(mcs) {
                        self.rec.result = Some(names::mcs_result(result));
                        if let Some(ud) = ud {
                            self.server_data(ts, ud, out);
                        }
                        self.emit(out);
                    }
                }
            }
            _ => {}
        }
    }

    fn client_data(&mut self, ud: &[u8]) {
        for (t, blk) in gcc_blocks(ud, b"Duca") {
            match t {
                0xc001 => {
                    let Some(c) = client_core(blk) else { continue };
                    let r = &mut self.rec;
                    r.desktop_width = Some(c.desktop_width);
                    r.desktop_height = Some(c.desktop_height);
                    r.keyboard_layout = Some(names::keyboard_layout(c.keyboard_layout));
                    r.client_build = Some(names::client_build(c.client_build));
                    r.client_name = Some(c.client_name.clone());
                    r.client_dig_product_id = c.dig_product_id.clone();
                    // RNS_UD_CS_WANT_32BPP_SESSION, else the most precise depth given.
                    let depth = if c.early_capability_flags.unwrap_or(0) & 0x0002 != 0 {
                        Some("32bit")
                    } else if let Some(h) = c.high_color_depth {
                        names::high_color_depth(h)
                    } else if let Some(p) = c.post_beta2_color_depth {
                        names::legacy_color_depth(p)
                    } else {
                        names::legacy_color_depth(c.color_depth)
                    };
                    r.requested_color_depth = depth.map(String::from);
                }
                0xc003 => self.rec.client_channels = client_channels(blk),
                _ => {}
            }
        }
    }

    fn server_data(&mut self, ts: i64, ud: &[u8], out: &mut Vec<AppRecord>) {
        for (t, blk) in gcc_blocks(ud, b"McDn") {
            if t != 0x0c02 {
                continue;
            }
            // Standard RDP Security with an X.509 chain: Zeek logs its certificates (as the
            // server's) in x509.log.
            for der in server_x509_chain(blk) {
                if let Some((rec, _)) = crate::tls::x509::parse_certificate(der, ts, true, false) {
                    out.push(AppRecord::X509(rec));
                }
            }
            let Some(s) = server_security(blk) else {
                continue;
            };
            let r = &mut self.rec;
            r.encryption_method = Some(names::encryption_method(s.encryption_method));
            r.encryption_level = Some(names::encryption_level(s.encryption_level));
            r.cert_type = match s.cert_version {
                Some(1) => Some("RSA".into()),
                Some(2) => Some("X.509".into()),
                _ => None,
            };
            r.cert_permanent = s.cert_permanent;
            r.cert_count = s.cert_count;
        }
    }

    fn feed(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.phase == Phase::Done || self.violated {
            return;
        }
        let d = di(ctx.dir);
        self.bufs[d].extend_from_slice(data);
        loop {
            if self.phase == Phase::Done {
                self.bufs = [Vec::new(), Vec::new()];
                return;
            }
            let len = match tpkt_len(&self.bufs[d]) {
                None => return,
                Some(Err(())) => {
                    // Fast-path or other non-TPKT bytes: acceptable only once set up.
                    if self.phase == Phase::Negotiating {
                        self.violation("rdp_not_tpkt");
                    } else {
                        self.phase = Phase::Done;
                    }
                    continue;
                }
                Some(Ok(l)) => l,
            };
            if self.bufs[d].len() < len {
                return;
            }
            let pkt: Vec<u8> = self.bufs[d].drain(..len).collect();
            self.tpkt(ctx.ts_ns, ctx.dir, &pkt, out);
        }
    }
}

impl SessionParser for RdpSession {
    fn take_weird(&mut self) -> Option<&'static str> {
        self.last_weird.take()
    }

    fn handed_to_tls(&self) -> bool {
        RdpSession::handed_to_tls(self)
    }

    fn service(&self) -> Service {
        Service::Rdp
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        self.feed(ctx, data, out);
    }

    fn gap(&mut self, _dir: Direction, _len: u64) {
        // TPKT framing cannot be recovered: keep what was learnt.
        if self.phase != Phase::Done {
            self.phase = Phase::Done;
        }
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.emit(out);
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}

/// Fuzz entry point (cargo-fuzz target `proto_rdp`): the first byte picks chunk sizes and the
/// direction pattern; a valid request/confirm pair can be prepended to reach the MCS stage.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut s = RdpSession::new();
    let mut out = Vec::new();
    let ts = 1_000_000_000i64;
    if ctl & 1 != 0 {
        let req: &[u8] =
            b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00";
        let cc: &[u8] =
            b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x00\x00\x00\x00";
        s.data(
            Ctx {
                ts_ns: ts,
                dir: Direction::Orig,
            },
            req,
            &mut out,
        );
        s.data(
            Ctx {
                ts_ns: ts,
                dir: Direction::Resp,
            },
            cc,
            &mut out,
        );
    }
    out.extend(crate::fuzz_session(&mut s, rest, 5));
}
