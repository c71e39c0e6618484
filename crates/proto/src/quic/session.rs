//! One QUIC connection: packet walk over each datagram, Initial decryption, hellos, history.

use super::crypto::{open_long, version_params, InitialKeys};
use super::hello::{complete_message, impossible_message, Hellos};
use super::packet::{parse_frames, parse_long, version_name, CryptoStream, LongType, MAX_CRYPTO};
use super::QuicRecord;
use crate::hex;
use crate::tls::fingerprint;
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};

/// Zeek's `QUIC::max_history_length`.
pub const MAX_HISTORY: usize = 100;

fn idx(d: Direction) -> usize {
    match d {
        Direction::Orig => 0,
        Direction::Resp => 1,
    }
}

/// State of the record being built (a Retry starts a new one).
#[derive(Default)]
struct Conn {
    rec: QuicRecord,
    started: bool,
    /// The client's first Destination Connection ID, and the Initial keys derived from it for
    /// one version (derived again when the other side's Initials use another version: compatible
    /// version negotiation, RFC 9368, moves the server to version 2 mid-handshake).
    dcid: Vec<u8>,
    keys: Option<(u32, InitialKeys)>,
    /// Largest Initial packet number decrypted, per direction.
    largest: [Option<u64>; 2],
    crypto: [CryptoStream; 2],
    /// The direction's hello was read (or cannot be).
    hello_done: [bool; 2],
    hellos: Option<Hellos>,
    /// Short-header packets per direction.
    short: [u64; 2],
    /// Client Initials that failed to decrypt.
    failures: u32,
}

/// A QUIC connection (UDP datagrams), producing one quic.log record (two when a Retry made the
/// client start over, as Zeek does) and, once a hello was read, one ssl.log record.
///
/// The ssl.log record is Zeek's view of the same hellos: its QUIC analyzer hands the CRYPTO
/// stream of the Initial packets to one SSL analyzer for the whole connection, so a Retry does
/// not split it (the client's second ClientHello adds a second `C` to `ssl_history`). Only the
/// Initial packets are read: the handshake never looks finished (`established` F, as Zeek logs
/// QUIC), no certificate is seen, and ALPN's answer (in EncryptedExtensions) is not known.
///
/// Bounded state: two CRYPTO streams of at most [`MAX_CRYPTO`] bytes each, freed once the
/// hellos are read; a history of at most [`MAX_HISTORY`] letters.
#[derive(Default)]
pub struct QuicSession {
    c: Conn,
    /// The TLS session behind ssl.log, across Retries.
    ssl: Option<Box<Hellos>>,
    /// A hello of `ssl` was read (conn.log lists ssl beside quic).
    ssl_confirmed: bool,
    seen: bool,
    confirmed: bool,
    violated: bool,
}

impl QuicSession {
    pub fn new() -> Self {
        Self::default()
    }

    fn letter(&mut self, dir: Direction, l: u8) {
        let h = &mut self.c.rec.history;
        if h.len() < MAX_HISTORY {
            let c = if dir == Direction::Orig {
                l.to_ascii_uppercase()
            } else {
                l.to_ascii_lowercase()
            };
            h.push(c as char);
        }
    }

    fn start(&mut self, ts_ns: i64, version: u32) {
        if !self.c.started {
            self.c.started = true;
            self.c.rec.ts_ns = ts_ns;
        }
        if self.c.rec.version.is_empty() {
            self.c.rec.version = version_name(version);
        }
    }

    fn emit(&mut self, out: &mut Vec<AppRecord>) {
        if !self.c.started {
            return;
        }
        self.finish_hellos();
        out.push(AppRecord::Quic(std::mem::take(&mut self.c.rec)));
        self.c = Conn::default();
    }

    fn finish_hellos(&mut self) {
        if let Some(mut h) = self.c.hellos.take() {
            if let Some(ssl) = h.finish() {
                self.c.rec.tls_version = ssl.version;
                self.c.rec.tls_cipher = ssl.cipher;
            }
        }
    }

    fn initial(
        &mut self,
        ctx: Ctx,
        version: u32,
        dcid: &[u8],
        scid: &[u8],
        pn_offset: usize,
        pkt: &[u8],
    ) {
        self.letter(ctx.dir, b'I');
        let client = ctx.dir == Direction::Orig;
        let c = &mut self.c;
        // The client's first Initial of a version that can be read (after a Version
        // Negotiation, the one of the version it falls back to).
        if client && c.keys.is_none() {
            c.rec.version = version_name(version);
            c.rec.client_initial_dcid = Some(hex(dcid));
            c.rec.client_scid = Some(hex(scid));
            c.dcid = dcid.to_vec();
            c.keys = version_params(version)
                .and_then(|p| InitialKeys::new(&p, dcid))
                .map(|k| (version, k));
        }
        if !client && c.rec.server_scid.is_none() {
            c.rec.server_scid = Some(hex(scid));
        }
        let d = idx(ctx.dir);
        if c.hello_done[d] {
            return;
        }
        if c.keys.as_ref().is_some_and(|(v, _)| *v != version) {
            if let Some(k) = version_params(version).and_then(|p| InitialKeys::new(&p, &c.dcid)) {
                c.keys = Some((version, k));
            }
        }
        let Some((_, keys)) = &c.keys else {
            return;
        };
        let k = if client { &keys.client } else { &keys.server };
        let Some(opened) = open_long(k, pkt, pn_offset, c.largest[d]) else {
            if client {
                c.failures = c.failures.saturating_add(1);
            }
            return;
        };
        self.confirmed = true;
        c.largest[d] = Some(c.largest[d].map_or(opened.pn, |l| l.max(opened.pn)));
        let frames = parse_frames(&opened.payload);
        for (off, data) in &frames.crypto {
            c.crypto[d].insert(*off, data);
        }
        if frames.connection_close {
            self.letter(ctx.dir, b'C');
        }
        self.hello(ctx);
    }

    /// Reads the direction's hello once its CRYPTO stream holds it whole.
    fn hello(&mut self, ctx: Ctx) {
        let d = idx(ctx.dir);
        let client = ctx.dir == Direction::Orig;
        let want = if client { 1 } else { 2 };
        let c = &mut self.c;
        let stream = c.crypto[d].contiguous();
        if let Some(msg) = complete_message(stream, want) {
            let ssl = self.ssl.get_or_insert_with(|| Box::new(Hellos::new()));
            ssl.message(ctx.ts_ns, ctx.dir, msg);
            self.ssl_confirmed |= ssl.confirmed();
            let hellos = c.hellos.get_or_insert_with(Hellos::new);
            hellos.message(ctx.ts_ns, ctx.dir, msg);
            c.hello_done[d] = true;
            c.crypto[d].clear();
            if client {
                if let Some(ch) = hellos.client_hello() {
                    c.rec.server_name = ch.sni.clone();
                    c.rec.client_protocol = ch
                        .alpn
                        .first()
                        .map(|p| String::from_utf8_lossy(p).into_owned());
                    c.rec.ja4 = Some(fingerprint::ja4(ch, 'q'));
                    self.letter(ctx.dir, b'S');
                }
            } else {
                self.letter(ctx.dir, b'S');
            }
            if self.c.hello_done == [true, true] {
                self.finish_hellos();
            }
        } else if impossible_message(stream, want, MAX_CRYPTO) {
            c.hello_done[d] = true;
            c.crypto[d].clear();
        }
    }

    /// Short-header packet: Zeek notes the 1st, 2nd, 4th, 8th, ... of each direction.
    fn short(&mut self, dir: Direction) {
        let n = &mut self.c.short[idx(dir)];
        *n = n.saturating_add(1);
        if n.is_power_of_two() {
            self.letter(dir, b'O');
        }
    }
}

impl SessionParser for QuicSession {
    fn service(&self) -> Service {
        Service::Quic
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        if self.violated {
            return;
        }
        let first_datagram = !self.seen;
        self.seen = true;
        let mut rest = data;
        while let Some(&b0) = rest.first() {
            if b0 & 0x80 == 0 {
                if first_datagram && !self.c.started {
                    // Not the start of a QUIC connection.
                    self.violated = !self.confirmed;
                    return;
                }
                if b0 & 0x40 == 0 {
                    self.letter(ctx.dir, b'X');
                } else {
                    self.short(ctx.dir);
                }
                break;
            }
            let Some(h) = parse_long(rest) else {
                if !self.c.started && !self.confirmed {
                    self.violated = true;
                }
                break;
            };
            let Some(ptype) = h.ptype else {
                // Version negotiation or a version netloupe cannot read: the invariant fields.
                self.start(ctx.ts_ns, h.version);
                if ctx.dir == Direction::Orig && self.c.rec.client_initial_dcid.is_none() {
                    self.c.rec.client_initial_dcid = Some(hex(h.dcid));
                    self.c.rec.client_scid = Some(hex(h.scid));
                }
                self.letter(ctx.dir, b'U');
                break;
            };
            if b0 & 0x40 == 0 {
                // Fixed bit 0: not a QUIC packet of this version (RFC 9000 §17.2).
                if !self.c.started && !self.confirmed && first_datagram {
                    self.violated = true;
                    return;
                }
                self.letter(ctx.dir, b'X');
                break;
            }
            self.start(ctx.ts_ns, h.version);
            let pkt = &rest[..h.len];
            rest = &rest[h.len..];
            match ptype {
                LongType::Initial => {
                    self.initial(ctx, h.version, h.dcid, h.scid, h.pn_offset, pkt);
                    if !self.confirmed && self.c.failures > 0 && ctx.dir == Direction::Orig {
                        // The client's first Initial does not decrypt with its own connection
                        // id: not QUIC (or damaged). Look no further; end() writes what was
                        // seen.
                        self.violated = true;
                        return;
                    }
                }
                LongType::ZeroRtt => self.letter(ctx.dir, b'Z'),
                LongType::Handshake => self.letter(ctx.dir, b'H'),
                LongType::Retry => {
                    self.letter(ctx.dir, b'R');
                    if ctx.dir == Direction::Resp {
                        // The client starts over with the connection id the server chose: Zeek
                        // logs what was seen and begins a new entry.
                        self.emit(out);
                    }
                    break;
                }
            }
            if h.truncated {
                break;
            }
        }
    }

    fn end(&mut self, _ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.emit(out);
        if let Some(r) = self.ssl.take().and_then(|mut h| h.finish()) {
            out.push(AppRecord::Ssl(r));
        }
    }

    fn tls_confirmed(&self) -> bool {
        self.ssl_confirmed
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}
