//! SSH conversation state: identification strings, the unencrypted key exchange, then the sizes
//! of encrypted packets for the authentication heuristic.
//!
//! The originator is taken as the client. Each direction goes through: identification string
//! (lines before it are skipped, as RFC 4253 4.2 allows servers to send), binary packets
//! (KEXINIT, key exchange reply, NEWKEYS), then encrypted bytes, of which only the delivery sizes
//! are kept. SSH-1 conversations are not parsed past the identification strings.
//!
//! Caps: an identification line holds at most [`MAX_BANNER`] bytes and at most
//! [`MAX_PRE_BANNER`] bytes of other lines may precede it; a packet is at most [`MAX_PACKET`]
//! bytes (a larger one is a violation); at most [`MAX_ENCRYPTED_EVENTS`] encrypted deliveries
//! are remembered.

use super::auth::{clear_length, AuthTracker, EncEvent};
use super::parser::{
    banner_version, frame, kex_reply_host_key, negotiate, negotiated_version, parse_kexinit, Frame,
    KexInit, MAX_BANNER, MAX_PACKET, MSG_KEXINIT, MSG_KEX_31, MSG_KEX_DH_GEX_REPLY, MSG_NEWKEYS,
};
use super::record::SshRecord;
use crate::hex;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use md5::{Digest as _, Md5};
use sha2::Sha256;

/// Bytes of non-identification lines accepted before the identification string.
pub const MAX_PRE_BANNER: usize = 16 * 1024;
/// Encrypted deliveries remembered for the authentication heuristic.
pub const MAX_ENCRYPTED_EVENTS: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading lines until the identification string.
    Banner,
    /// Discarding the rest of an overlong line; then back to `Banner` or on to `Packets`.
    SkipLine {
        then_packets: bool,
    },
    Packets,
    Encrypted,
    /// SSH-1, or unparseable: nothing more is read.
    Done,
}

struct Side {
    state: State,
    buf: Vec<u8>,
    pre_banner: usize,
    banner: Option<String>,
    kexinit: Option<KexInit>,
    enc: EncFramer,
}

/// Cuts encrypted bytes into packets when the length travels in clear.
#[derive(Default)]
struct EncFramer {
    hdr: [u8; 4],
    hdr_len: usize,
    skip: usize,
    /// Lengths stopped making sense: one packet per delivery from then on.
    broken: bool,
}

impl Side {
    fn new() -> Self {
        Side {
            state: State::Banner,
            buf: Vec::new(),
            pre_banner: 0,
            banner: None,
            kexinit: None,
            enc: EncFramer::default(),
        }
    }
}

/// One SSH conversation over TCP.
pub struct SshSession {
    sides: [Side; 2],
    rec: SshRecord,
    started: bool,
    host_key: Option<Vec<u8>>,
    events: Vec<EncEvent>,
    tracker: Option<AuthTracker>,
    /// MAC/tag bytes after each packet when packet lengths are in clear.
    clear_len_tail: Option<u32>,
    emitted: bool,
    confirmed: bool,
    violated: bool,
    /// Weird name of the last problem seen.
    pub last_weird: Option<&'static str>,
}

impl Default for SshSession {
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

/// Standard base64 without padding.
fn base64_nopad(b: &[u8]) -> String {
    data_encoding::BASE64_NOPAD.encode(b)
}

/// `SHA256:<base64>` of a host key blob, as Zeek's `host_key_fingerprint`.
pub fn host_key_fingerprint(key: &[u8]) -> String {
    let mut s = String::from("SHA256:");
    s.push_str(&base64_nopad(&Sha256::digest(key)));
    s
}

/// HASSH of one KEXINIT: the `kex;enc;mac;comp` lists of the sender's direction and their MD5.
fn hassh(k: &KexInit, client: bool) -> (String, String) {
    let (e, m, c) = if client { (2, 4, 6) } else { (3, 5, 7) };
    let algs = format!("{};{};{};{}", k.raw[0], k.raw[e], k.raw[m], k.raw[c]);
    let h = hex(&Md5::digest(algs.as_bytes()));
    (algs, h)
}

impl SshSession {
    pub fn new() -> Self {
        SshSession {
            sides: [Side::new(), Side::new()],
            rec: SshRecord::default(),
            started: false,
            host_key: None,
            events: Vec::new(),
            tracker: None,
            clear_len_tail: None,
            emitted: false,
            confirmed: false,
            violated: false,
            last_weird: None,
        }
    }

    /// The record as it stands (for inspection; the final one is emitted at the end).
    pub fn record(&self) -> SshRecord {
        let mut r = self.rec.clone();
        self.finish(&mut r);
        r
    }

    /// Encrypted deliveries seen so far (direction and size), the heuristic's input.
    pub fn encrypted_events(&self) -> &[EncEvent] {
        &self.events
    }

    fn finish(&self, r: &mut SshRecord) {
        if let (Some(c), Some(s)) = (&self.sides[0].banner, &self.sides[1].banner) {
            if let (Some(cv), Some(sv)) = (banner_version(c), banner_version(s)) {
                r.version = negotiated_version(cv, sv);
            }
        }
        if r.version == Some(2) {
            if let Some(t) = &self.tracker {
                (r.auth_success, r.auth_attempts) = t.outcome();
            }
        }
    }

    fn weird(&mut self, w: &'static str) {
        self.last_weird = Some(w);
        if !self.confirmed {
            self.violated = true;
        }
    }

    fn on_banner(&mut self, d: usize, line: &[u8]) {
        let mut l = line;
        while let [rest @ .., b'\r' | b'\n'] = l {
            l = rest;
        }
        let banner = String::from_utf8_lossy(l).into_owned();
        let v1_only = banner_version(&banner).is_some_and(|v| !v.supports_v2());
        if d == 0 {
            self.rec.client = Some(banner.clone());
        } else {
            self.rec.server = Some(banner.clone());
        }
        self.sides[d].banner = Some(banner);
        if self.sides[0].banner.is_some() && self.sides[1].banner.is_some() {
            self.confirmed = true;
        }
        if v1_only {
            // SSH-1 packets are not parsed; the other side stops too once it sees this.
            for s in &mut self.sides {
                if s.state != State::Banner {
                    s.state = State::Done;
                }
            }
            self.sides[d].state = State::Done;
        }
    }

    fn other_is_v1(&self, d: usize) -> bool {
        self.sides[1 - d]
            .banner
            .as_deref()
            .and_then(banner_version)
            .is_some_and(|v| !v.supports_v2())
    }

    fn on_packet(&mut self, d: usize, payload: &[u8]) {
        let Some(&msg) = payload.first() else {
            return;
        };
        match msg {
            MSG_KEXINIT => {
                let Some(k) = parse_kexinit(payload) else {
                    self.last_weird = Some("SSH_bad_kexinit");
                    return;
                };
                let (algs, h) = hassh(&k, d == 0);
                self.rec.hassh_version = Some("1.1");
                if d == 0 {
                    self.rec.hassh_algorithms = Some(algs);
                    self.rec.hassh = Some(h);
                    self.rec.cshka = Some(k.raw[1].clone());
                } else {
                    self.rec.hassh_server_algorithms = Some(algs);
                    self.rec.hassh_server = Some(h);
                    self.rec.sshka = Some(k.raw[1].clone());
                }
                self.sides[d].kexinit = Some(k);
                self.negotiate();
            }
            MSG_KEX_31 | MSG_KEX_DH_GEX_REPLY if d == 1 && self.host_key.is_none() => {
                // The reply can only be read once the method is known (both KEXINITs).
                let Some(kex) = self.rec.kex_alg.as_deref() else {
                    return;
                };
                let gex = kex.contains("group-exchange");
                if (msg == MSG_KEX_DH_GEX_REPLY) == gex {
                    if let Some(key) = kex_reply_host_key(payload) {
                        self.rec.host_key_fingerprint = Some(host_key_fingerprint(key));
                        self.host_key = Some(key.to_vec());
                    }
                }
            }
            MSG_NEWKEYS => self.sides[d].state = State::Encrypted,
            _ => {}
        }
    }

    fn negotiate(&mut self) {
        let (Some(c), Some(s)) = (&self.sides[0].kexinit, &self.sides[1].kexinit) else {
            return;
        };
        self.rec.kex_alg = negotiate(&c.kex, &s.kex);
        self.rec.host_key_alg = negotiate(&c.host_key, &s.host_key);
        self.rec.cipher_alg = negotiate(&c.enc_c2s, &s.enc_c2s);
        self.rec.mac_alg = negotiate(&c.mac_c2s, &s.mac_c2s);
        self.rec.compression_alg = negotiate(&c.comp_c2s, &s.comp_c2s);
    }

    fn feed(&mut self, ctx: Ctx, mut data: &[u8], out: &mut Vec<AppRecord>) {
        let d = di(ctx.dir);
        while !data.is_empty() {
            match self.sides[d].state {
                State::Done => return,
                State::Encrypted => {
                    self.encrypted(d, data);
                    if self.tracker.as_ref().is_some_and(|t| t.decided()) {
                        self.emit(out);
                    }
                    return;
                }
                State::SkipLine { then_packets } => match memchr::memchr(b'\n', data) {
                    Some(i) => {
                        data = &data[i + 1..];
                        self.sides[d].state = if then_packets {
                            State::Packets
                        } else {
                            State::Banner
                        };
                    }
                    None => return,
                },
                State::Banner => {
                    let side = &mut self.sides[d];
                    let room = MAX_BANNER.saturating_sub(side.buf.len());
                    let nl = data.iter().take(room).position(|&b| b == b'\n');
                    let take = nl.map_or(room.min(data.len()), |i| i + 1);
                    side.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    let complete = nl.is_some();
                    if !complete && side.buf.len() < MAX_BANNER {
                        return;
                    }
                    let line = std::mem::take(&mut side.buf);
                    if line.starts_with(b"SSH-") {
                        if !self.started {
                            self.started = true;
                            self.rec.ts_ns = ctx.ts_ns;
                        }
                        self.sides[d].state = if complete {
                            State::Packets
                        } else {
                            self.last_weird = Some("SSH_banner_too_long");
                            State::SkipLine { then_packets: true }
                        };
                        self.on_banner(d, &line);
                        if self.other_is_v1(d) {
                            self.sides[d].state = State::Done;
                        }
                    } else {
                        if d == 0 {
                            // Only servers may send lines before their identification (RFC 4253
                            // 4.2): a client that does is not speaking SSH.
                            self.sides[d].state = State::Done;
                            self.weird("SSH_client_data_before_banner");
                            return;
                        }
                        self.sides[d].pre_banner += line.len();
                        if self.sides[d].pre_banner > MAX_PRE_BANNER {
                            self.sides[d].state = State::Done;
                            self.weird("SSH_no_banner");
                            return;
                        }
                        if !complete {
                            self.sides[d].state = State::SkipLine {
                                then_packets: false,
                            };
                        }
                    }
                }
                State::Packets => {
                    // Whole packets straight from the delivery when nothing is buffered.
                    if self.sides[d].buf.is_empty() {
                        match frame(data) {
                            Frame::Packet { payload, used } => {
                                data = &data[used..];
                                self.on_packet(d, payload);
                                continue;
                            }
                            Frame::Invalid(w) => {
                                self.sides[d].state = State::Done;
                                self.weird(w);
                                return;
                            }
                            Frame::Incomplete => {}
                        }
                    }
                    // Buffer up to the packet's end (its length once the header is in).
                    let buf = &mut self.sides[d].buf;
                    let need = match buf.get(..4) {
                        Some(l) if buf.len() >= 5 => {
                            let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                            (4 + len.min(MAX_PACKET)).saturating_sub(buf.len())
                        }
                        _ => 5 - buf.len(),
                    };
                    let take = need.min(data.len());
                    buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    let mut buf = std::mem::take(&mut self.sides[d].buf);
                    match frame(&buf) {
                        Frame::Packet { payload, .. } => {
                            self.on_packet(d, payload);
                            buf.clear();
                        }
                        Frame::Invalid(w) => {
                            self.sides[d].state = State::Done;
                            self.weird(w);
                            return;
                        }
                        Frame::Incomplete => {}
                    }
                    // Kept (with its allocation) for the next packet.
                    self.sides[d].buf = buf;
                }
            }
        }
    }

    fn enc_packet(&mut self, from_client: bool, len: usize) {
        let e = EncEvent {
            from_client,
            len: len.min(u32::MAX as usize) as u32,
        };
        if self.events.len() < MAX_ENCRYPTED_EVENTS {
            self.events.push(e);
        }
        if let Some(t) = &mut self.tracker {
            t.packet(e);
        }
    }

    /// Encrypted bytes of direction `d`: only packet sizes are kept.
    fn encrypted(&mut self, d: usize, mut data: &[u8]) {
        if self.tracker.is_none() {
            let (c, m) = (self.rec.cipher_alg.as_deref(), self.rec.mac_alg.as_deref());
            self.tracker = Some(AuthTracker::new(c, m, self.rec.compression_alg.as_deref()));
            self.clear_len_tail = match (c, m) {
                (Some(c), Some(m)) => clear_length(c, m),
                _ => None,
            };
        }
        let from_client = d == 0;
        let Some(tail) = self.clear_len_tail else {
            self.enc_packet(from_client, data.len());
            return;
        };
        if self.sides[d].enc.broken {
            self.enc_packet(from_client, data.len());
            return;
        }
        while !data.is_empty() {
            let f = &mut self.sides[d].enc;
            if f.skip > 0 {
                let n = f.skip.min(data.len());
                f.skip -= n;
                data = &data[n..];
                continue;
            }
            let n = (4 - f.hdr_len).min(data.len());
            f.hdr[f.hdr_len..f.hdr_len + n].copy_from_slice(&data[..n]);
            f.hdr_len += n;
            data = &data[n..];
            if f.hdr_len < 4 {
                return;
            }
            f.hdr_len = 0;
            let len = u32::from_be_bytes(f.hdr) as usize;
            if len > MAX_PACKET {
                f.broken = true;
                self.last_weird = Some("SSH_encrypted_length_desync");
                if !data.is_empty() {
                    self.enc_packet(from_client, data.len());
                }
                return;
            }
            f.skip = len + tail as usize;
            self.enc_packet(from_client, 4 + len + tail as usize);
        }
    }

    fn emit(&mut self, out: &mut Vec<AppRecord>) {
        if self.emitted || !self.started {
            return;
        }
        self.emitted = true;
        let mut r = std::mem::take(&mut self.rec);
        self.finish(&mut r);
        out.push(AppRecord::Ssh(r));
    }
}

impl SessionParser for SshSession {
    fn take_weird(&mut self) -> Option<&'static str> {
        self.last_weird.take()
    }

    fn service(&self) -> Service {
        Service::Ssh
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.violated || self.emitted {
            return;
        }
        self.feed(ctx, data, out);
    }

    fn gap(&mut self, dir: Direction, _len: u64) {
        let s = &mut self.sides[di(dir)];
        s.buf = Vec::new();
        // Packet boundaries of clear lengths are lost too.
        s.enc.broken = true;
        // Encrypted sizes stay meaningful as a count; anything before is lost.
        if s.state != State::Encrypted {
            s.state = State::Done;
        }
        self.last_weird = Some("SSH_content_gap");
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.emit(out);
        self.sides = [Side::new(), Side::new()];
        for s in &mut self.sides {
            s.state = State::Done;
        }
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}

/// Body of the `proto_ssh` fuzz target: the first byte chooses, bit by bit, the direction of
/// each chunk; the rest is cut into chunks by its own bytes. A realistic opening is prepended
/// when the second bit is set, so that the fuzzer reaches the packet parser quickly.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut s = SshSession::new();
    let mut out = Vec::new();
    let ts = 1_000_000_000i64;
    if ctl & 1 != 0 {
        for (dir, b) in [
            (Direction::Orig, &b"SSH-2.0-fuzz\r\n"[..]),
            (Direction::Resp, &b"SSH-2.0-fuzz\r\n"[..]),
        ] {
            s.data(Ctx { ts_ns: ts, dir }, b, &mut out);
        }
    }
    let _ = s.record();
    out.extend(crate::fuzz_session(&mut s, rest, 7));
}
