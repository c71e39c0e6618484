//! TCP endpoint state, following Zeek's TCP analyzer so that conn_state, history and sizes agree.
//!
//! The structure mirrors Zeek's per-endpoint state machine (INACTIVE, SYN_SENT, SYN_ACK_SENT,
//! PARTIAL, ESTABLISHED, CLOSED, RESET) and its rules for relative sequence numbers, so that
//! `orig_bytes`/`resp_bytes` are computed from sequence space exactly as Zeek does, including its
//! treatment of partial connections, wrap-around and untrustworthy RST sequence numbers.

use crate::table::History;
use netloupe_decode::tcpflags::{ACK, FIN, RST, SYN, URG};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub(crate) enum EpState {
    #[default]
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoint {
    pub state: EpState,
    pub prev_state: EpState,
    start_seq: u32,
    last_seq: u32,
    ack_seq: u32,
    seq_wraps: u32,
    ack_wraps: u32,
    window_scale: u8,
    pub fin_cnt: u16,
    pub did_close: bool,
    // Low 32 bits of Zeek's 64-bit relative sequence numbers: only compared for equality.
    hist_last_syn: u32,
    hist_last_fin: u32,
    hist_last_rst: u32,
    // Counters behind Zeek's scaled history letters (repeated at 1, 10, 100, ...).
    chk_cnt: u32,
    rxmt_cnt: u32,
    win0_cnt: u32,
    gap_cnt: u32,
    /// Relative sequence number just past this endpoint's FIN (Zeek's FIN_seq).
    fin_seq: u64,
    /// Which of this endpoint's bytes were seen, for gap accounting.
    coverage: Coverage,
}

/// The sequence space an endpoint was seen sending, in Zeek's relative numbering: everything
/// below `contiguous` was seen or already declared missing; `blocks` are seen ranges above it
/// (out-of-order arrivals). When the peer acknowledges data, the holes below the acknowledged
/// point are content gaps (Zeek's reassembler does the same in `TrimToSeq`/`Undelivered`).
#[derive(Debug, Clone)]
struct Coverage {
    contiguous: u64,
    trimmed: u64,
    // Boxed so that the common case (no out-of-order data) costs one pointer, not a Vec header:
    // this struct lives in every tracked TCP flow.
    #[allow(clippy::box_collection)]
    blocks: Option<Box<Vec<(u64, u64)>>>,
}

impl Default for Coverage {
    fn default() -> Self {
        // Relative sequence 1 is the first data byte (0 is the SYN, real or assumed).
        Coverage {
            contiguous: 1,
            trimmed: 0,
            blocks: None,
        }
    }
}

/// Out-of-order ranges remembered per endpoint; beyond this the oldest are forgotten (they are
/// then counted as missing if acknowledged, which errs towards reporting gaps).
const MAX_BLOCKS: usize = 32;

impl Coverage {
    fn data(&mut self, seq: u64, upper: u64) {
        if upper <= self.contiguous {
            return;
        }
        if seq <= self.contiguous {
            self.contiguous = upper;
            self.absorb();
            return;
        }
        let blocks = self
            .blocks
            .get_or_insert_with(|| Box::new(Vec::with_capacity(4)));
        blocks.push((seq, upper));
        blocks.sort_unstable();
        // Merge overlapping or touching ranges.
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(blocks.len());
        for &(s, u) in blocks.iter() {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(u),
                _ => merged.push((s, u)),
            }
        }
        if merged.len() > MAX_BLOCKS {
            merged.drain(..merged.len() - MAX_BLOCKS);
        }
        **blocks = merged;
    }

    fn absorb(&mut self) {
        if let Some(b) = &mut self.blocks {
            while let Some(&(s, u)) = b.first() {
                if s > self.contiguous {
                    break;
                }
                self.contiguous = self.contiguous.max(u);
                b.remove(0);
            }
            if b.is_empty() {
                self.blocks = None;
            }
        }
    }

    /// The peer acknowledged everything below `up_to`: returns the sizes of the holes below it.
    fn ack(&mut self, up_to: u64, gaps: &mut impl FnMut(u64)) {
        if up_to <= self.trimmed {
            return;
        }
        self.trimmed = up_to;
        if up_to <= self.contiguous {
            return;
        }
        if let Some(b) = &mut self.blocks {
            while let Some(&(s, u)) = b.first() {
                if s >= up_to {
                    break;
                }
                if s > self.contiguous {
                    gaps(s - self.contiguous);
                }
                self.contiguous = self.contiguous.max(u);
                b.remove(0);
            }
            if b.is_empty() {
                self.blocks = None;
            }
        }
        if up_to > self.contiguous {
            gaps(up_to - self.contiguous);
            self.contiguous = up_to;
        }
    }
}

fn is_clean(e: &Endpoint) -> bool {
    e.state == EpState::Established
        || (e.state == EpState::Closed && e.prev_state == EpState::Established)
}

impl Endpoint {
    fn init_start_seq(&mut self, s: u32) {
        self.start_seq = s;
    }
    fn init_ack_seq(&mut self, s: u32) {
        self.ack_seq = s;
    }
    fn init_last_seq(&mut self, s: u32) {
        self.last_seq = s;
    }
    fn update_last_seq(&mut self, s: u32) {
        if s < self.last_seq {
            self.seq_wraps += 1;
        }
        self.last_seq = s;
    }
    fn update_ack_seq(&mut self, s: u32) {
        if s < self.ack_seq {
            self.ack_wraps += 1;
        }
        self.ack_seq = s;
    }
    fn full(seq: u32, wraps: u32) -> u64 {
        (u64::from(wraps) << 32) | u64::from(seq)
    }
    fn to_relative(&self, seq: u32, wraps: u32) -> u64 {
        Self::full(seq, wraps).wrapping_sub(u64::from(self.start_seq))
    }
    fn no_data_acked(&self) -> bool {
        let ack = Self::full(self.ack_seq, self.ack_wraps);
        let start = u64::from(self.start_seq);
        ack == start || ack == start + 1
    }
    fn set_state(&mut self, s: EpState) -> bool {
        if s != self.state {
            self.prev_state = self.state;
            self.state = s;
            true
        } else {
            false
        }
    }
    fn relative_seq(&self, cur: u32, last: u32, wraps: u32, underflow: &mut bool) -> u64 {
        let delta = seq_delta(cur, last);
        let mut wraps = wraps;
        if delta < 0 {
            if wraps > 0 && cur > last {
                wraps -= 1;
            }
        } else if delta > 0 && cur < last {
            wraps += 1;
        }
        if wraps == 0 {
            let d = seq_delta(cur, self.start_seq);
            if d < 0 {
                *underflow = true;
            }
            return d as i64 as u64;
        }
        self.to_relative(cur, wraps)
    }
}

fn is_handshake(s: EpState) -> bool {
    matches!(
        s,
        EpState::Inactive | EpState::SynSent | EpState::SynAckSent
    )
}

/// "No such time" for the timer fields (a real capture may well start at time 0).
pub(crate) const NO_TIME: i64 = i64::MIN;
/// The attempt timer fired and did not end the connection.
pub(crate) const FIRED: i64 = i64::MIN + 1;

/// Both endpoints of one TCP connection plus the connection-level flags of Zeek's analyzer.
#[derive(Debug, Clone)]
pub(crate) struct TcpConn {
    pub orig: Endpoint,
    pub resp: Endpoint,
    is_partial: bool,
    /// bit 0: orig, bit 1: resp
    first_packet_seen: u8,
    /// Set when the three-way handshake phase ended (Zeek then switches to the TCP inactivity
    /// timeout).
    pub handshake_over: bool,
    /// Time of the first SYN from the originator (Zeek's connection-attempt timer), [`NO_TIME`]
    /// if none, [`FIRED`] once the timer has fired without ending the connection.
    pub attempt_at_ns: i64,
    /// Both sides closed (or one reset): the connection is removed `close_delay` after
    /// `close_at_ns`, the last packet time when that first happened (Zeek schedules the removal
    /// once, at the close).
    pub close_complete: bool,
    pub close_at_ns: i64,
    /// A one-sided close started Zeek's periodic expire check at this time ([`NO_TIME`] if none).
    pub half_close_at_ns: i64,
    /// Total bytes of sequence space acknowledged beyond what was seen (content gaps).
    pub missed_bytes: u64,
}

impl Default for TcpConn {
    fn default() -> Self {
        TcpConn {
            orig: Endpoint::default(),
            resp: Endpoint::default(),
            is_partial: false,
            first_packet_seen: 0,
            handshake_over: false,
            attempt_at_ns: NO_TIME,
            close_complete: false,
            close_at_ns: NO_TIME,
            half_close_at_ns: NO_TIME,
            missed_bytes: 0,
        }
    }
}

/// What processing one segment did to the connection.
pub(crate) struct SegmentOutcome {
    /// The roles flipped (SYN/SYN-ACK reversal): the caller swaps its orig/resp counters.
    pub flipped: bool,
    /// The sender's role after this segment (differs from the input when roles flipped).
    pub sender_is_orig: bool,
    /// Relative sequence number of the segment's first payload byte, when its payload is
    /// stream data (complete, not in a RST, not before the stream start): what the stream
    /// reassembler of the sender's direction receives.
    pub data_seq: Option<u64>,
    /// The peer's stream is acknowledged up to here (relative, FIN clamped): what the
    /// reassembler of the peer's direction may declare missing below.
    pub peer_acked: Option<u64>,
}

/// The per-segment input.
pub(crate) struct Segment {
    pub is_orig: bool,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub window_scale: Option<u8>,
    pub len: u32,
    /// The whole payload was captured (a snap-length cut segment is not data Zeek saw).
    pub complete: bool,
    pub ts_ns: i64,
}

impl TcpConn {
    fn eps(&mut self, is_orig: bool) -> (&mut Endpoint, &mut Endpoint) {
        if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        }
    }

    /// A bad checksum: Zeek records 'C'/'c' (scaled) and ignores the segment otherwise.
    pub fn checksum_error(&mut self, is_orig: bool, hist: &mut History) {
        let ep = if is_orig {
            &mut self.orig
        } else {
            &mut self.resp
        };
        hist.scaled(if is_orig { b'C' } else { b'c' }, &mut ep.chk_cnt);
    }

    /// Zeek's reuse test: is this SYN the start of a new connection on the same 5-tuple?
    pub fn is_reuse(&self, flags: u8, seq: u32) -> bool {
        if flags & SYN == 0 {
            return false;
        }
        let conn_orig = if flags & ACK != 0 {
            if self.orig.state != EpState::Inactive {
                return false;
            }
            &self.resp
        } else {
            &self.orig
        };
        let closed = self.orig.did_close || self.resp.did_close;
        if !closed {
            if seq == conn_orig.start_seq {
                return false;
            }
            if flags & ACK == 0
                && conn_orig.state == EpState::SynAckSent
                && self.resp.state == EpState::Inactive
                && seq == self.resp.start_seq
            {
                return false;
            }
        }
        true
    }

    fn set_partial_status(&mut self, flags: u8, is_orig: bool) {
        if is_orig {
            if self.first_packet_seen & 1 == 0 {
                self.is_partial = flags & SYN == 0 || flags & ACK != 0;
            }
        } else if self.first_packet_seen & 2 == 0 && !self.is_partial {
            self.is_partial = flags & SYN == 0;
        }
    }

    fn note_state_change(&mut self, is_orig_ep: bool) {
        // Zeek switches to the TCP inactivity timeout once an endpoint leaves the handshake while
        // both were still in it.
        let (ep, peer) = if is_orig_ep {
            (&self.orig, &self.resp)
        } else {
            (&self.resp, &self.orig)
        };
        if !is_handshake(ep.state) && is_handshake(ep.prev_state) && is_handshake(peer.state) {
            self.handshake_over = true;
        }
    }

    fn set_state(&mut self, is_orig_ep: bool, s: EpState) {
        let ep = if is_orig_ep {
            &mut self.orig
        } else {
            &mut self.resp
        };
        if ep.set_state(s) {
            self.note_state_change(is_orig_ep);
        }
    }

    fn flip(&mut self) {
        std::mem::swap(&mut self.orig, &mut self.resp);
        self.first_packet_seen =
            ((self.first_packet_seen & 1) << 1) | ((self.first_packet_seen & 2) >> 1);
        self.is_partial = false;
    }

    /// Processes one segment (already checksum-verified). Mirrors Zeek's TCP analyzer order of
    /// operations: history, window, sequence bookkeeping, state machine, close handling.
    pub fn process(
        &mut self,
        seg: &Segment,
        hist: &mut History,
        last_time: &mut i64,
    ) -> SegmentOutcome {
        let mut is_orig = seg.is_orig;
        let flags = seg.flags;
        let (syn, fin, rst, ackf) = (
            flags & SYN != 0,
            flags & FIN != 0,
            flags & RST != 0,
            flags & ACK != 0,
        );
        let len = seg.len;
        let mut outcome = SegmentOutcome {
            flipped: false,
            sender_is_orig: seg.is_orig,
            data_seq: None,
            peer_acked: None,
        };

        self.set_partial_status(flags, is_orig);

        let mut seg_len = len as i64;
        if syn {
            seg_len += 1;
        }
        if fin {
            seg_len += 1;
        }
        if rst {
            seg_len -= len as i64;
        }
        let seq_one_past = seg.seq.wrapping_add(seg_len as u32);

        // init_endpoint
        {
            let (ep, _) = self.eps(is_orig);
            let first = seg.seq;
            match ep.state {
                EpState::Inactive => {
                    let mut last = seq_one_past;
                    if syn {
                        ep.init_ack_seq(first);
                        ep.init_start_seq(first);
                    } else {
                        ep.init_ack_seq(first.wrapping_sub(1));
                        ep.init_start_seq(first.wrapping_sub(1));
                        last = first;
                    }
                    ep.init_last_seq(last);
                }
                EpState::SynSent | EpState::SynAckSent => {
                    if syn && first != ep.start_seq {
                        ep.init_start_seq(first);
                        ep.init_ack_seq(first);
                        ep.init_last_seq(seq_one_past);
                    }
                }
                EpState::Established | EpState::Partial => {
                    if syn {
                        ep.init_start_seq(first);
                        ep.init_ack_seq(first);
                        ep.init_last_seq(seq_one_past);
                    }
                }
                EpState::Reset => {
                    if syn && ep.prev_state == EpState::Inactive {
                        ep.init_start_seq(first);
                        ep.init_ack_seq(first);
                        ep.init_last_seq(seq_one_past);
                    }
                }
                EpState::Closed => {}
            }
        }

        let mut seq_underflow = false;
        let rel_seq = {
            let (ep, _) = self.eps(is_orig);
            ep.relative_seq(seg.seq, ep.last_seq, ep.seq_wraps, &mut seq_underflow)
        };

        // update_history
        {
            let (ep, _) = self.eps(is_orig);
            let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
            let case = |c: u8| if is_orig { c } else { c.to_ascii_lowercase() };
            let shift = if is_orig { 0 } else { 16 };
            if bits > 1 {
                if fin && rst {
                    hist.check(0x8 << shift, case(b'I'));
                } else {
                    hist.check(0x40 << shift, case(b'Q'));
                }
            } else if bits == 1 {
                if syn {
                    let code = if ackf { b'H' } else { b'S' };
                    if hist.check(0x1 << shift, case(code)) && rel_seq as u32 != ep.hist_last_syn {
                        hist.add(case(code));
                    }
                    ep.hist_last_syn = rel_seq as u32;
                }
                if fin {
                    let end = rel_seq.wrapping_add(u64::from(len)) as u32;
                    if hist.check(0x2 << shift, case(b'F')) && end != ep.hist_last_fin {
                        hist.add(case(b'F'));
                    }
                    ep.hist_last_fin = end;
                }
                if rst {
                    if hist.check(0x4 << shift, case(b'R')) && rel_seq as u32 != ep.hist_last_rst {
                        hist.add(case(b'R'));
                    }
                    ep.hist_last_rst = rel_seq as u32;
                }
            } else if len > 0 {
                hist.check(0x10 << shift, case(b'D'));
            } else if ackf {
                hist.check(0x20 << shift, case(b'A'));
            }
        }

        // update_window: only the zero-window history matters for conn.log.
        {
            let peer_closed = if is_orig {
                self.resp.state
            } else {
                self.orig.state
            } == EpState::Closed;
            let (ep, _) = self.eps(is_orig);
            let scale = u32::from(ep.window_scale.min(14));
            let window = u32::from(seg.window) << scale;
            if window == 0 && !rst && !peer_closed && ep.state != EpState::Reset {
                hist.scaled(if is_orig { b'W' } else { b'w' }, &mut ep.win0_cnt);
            }
            // (Zeek also tracks the advertised window to report recisions as weirds; netloupe
            // does not keep that state per flow.)
        }

        if !self.orig.did_close || !self.resp.did_close {
            *last_time = seg.ts_ns;
        }

        if syn {
            // init_window
            let (ep, peer) = self.eps(is_orig);
            match seg.window_scale {
                None => {
                    ep.window_scale = 0;
                    if ackf {
                        peer.window_scale = 0;
                    }
                }
                Some(s) => ep.window_scale = s.min(14),
            }
        }
        if fin {
            let (ep, _) = self.eps(is_orig);
            ep.fin_cnt = ep.fin_cnt.saturating_add(1);
            ep.fin_seq = rel_seq.wrapping_add(seg_len as u64);
        }

        let mut rel_ack: u64 = 0;
        if ackf {
            let (_, peer) = self.eps(is_orig);
            if peer.state == EpState::Inactive {
                rel_ack = 1;
                // init_peer: number the peer as though we had seen its SYN.
                let a = seg.ack.wrapping_sub(1);
                peer.init_start_seq(a);
                peer.init_ack_seq(a);
                peer.init_last_seq(a);
            } else {
                let mut ack_underflow = false;
                rel_ack =
                    peer.relative_seq(seg.ack, peer.ack_seq, peer.ack_wraps, &mut ack_underflow);
                if ack_underflow {
                    rel_ack = 0;
                } else if !rst {
                    let delta = seq_delta(seg.ack, peer.ack_seq);
                    if !(seg.ack == 0 && delta > TOO_LARGE_SEQ_DELTA) && delta > 0 {
                        peer.update_ack_seq(seg.ack);
                    }
                }
            }
        }

        // update_last_seq
        let delta_last = {
            let (ep, _) = self.eps(is_orig);
            let delta_last = seq_delta(seq_one_past, ep.last_seq);
            if (syn || rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta_last) {
                // Zeek distrusts wild SYN/RST sequence numbers.
            } else if fin && ep.last_seq == ep.start_seq.wrapping_add(1) {
                ep.update_last_seq(seq_one_past);
            } else if ep.state == EpState::Reset {
            } else if delta_last > 0 {
                ep.update_last_seq(seq_one_past);
            } else if len > 0 {
                hist.scaled(if is_orig { b'T' } else { b't' }, &mut ep.rxmt_cnt);
            }
            delta_last
        };

        // State machine.
        let mut do_close = false;
        let ep_state = if is_orig {
            self.orig.state
        } else {
            self.resp.state
        };
        match ep_state {
            EpState::Inactive => {
                if syn {
                    if is_orig {
                        self.set_state(
                            true,
                            if ackf {
                                EpState::SynAckSent
                            } else {
                                EpState::SynSent
                            },
                        );
                        if self.attempt_at_ns == NO_TIME {
                            self.attempt_at_ns = seg.ts_ns;
                        }
                    } else {
                        let peer_state = self.orig.state;
                        if !ackf
                            && peer_state == EpState::SynAckSent
                            && seg.seq == self.resp.start_seq
                        {
                            // SYN/SYN-ACK reversal: the "responder" sent the initial SYN.
                            self.is_partial = false;
                            self.flip();
                            hist.add(b'^');
                            outcome.flipped = true;
                            is_orig = true;
                            // After the flip, the peer (now resp) is the old orig.
                            self.set_state(false, EpState::Established);
                            self.first_packet_seen |= 1;
                        }
                        let peer_is_orig = !is_orig;
                        let peer_state = if peer_is_orig {
                            self.orig.state
                        } else {
                            self.resp.state
                        };
                        if peer_state == EpState::SynSent {
                            self.set_state(peer_is_orig, EpState::Established);
                        }
                        self.set_state(is_orig, EpState::Established);
                    }
                }
                if fin {
                    self.set_state(is_orig, EpState::Closed);
                    do_close = true;
                }
                if rst {
                    self.set_state(is_orig, EpState::Reset);
                    do_close = true;
                }
                let (ep_state, peer_state) = if is_orig {
                    (self.orig.state, self.resp.state)
                } else {
                    (self.resp.state, self.orig.state)
                };
                if ep_state == EpState::Inactive {
                    if !is_orig && len == 0 && self.orig.state == EpState::SynSent {
                        // An early ACK of the SYN does not make a partial connection.
                    } else if ackf && peer_state == EpState::Established {
                        self.set_state(is_orig, EpState::Established);
                        self.is_partial = false;
                        self.first_packet_seen |= if is_orig { 1 } else { 2 };
                    } else {
                        self.set_state(is_orig, EpState::Partial);
                    }
                }
            }
            EpState::SynSent | EpState::SynAckSent => {
                if fin {
                    self.set_state(is_orig, EpState::Closed);
                    do_close = true;
                }
                if rst {
                    self.set_state(is_orig, EpState::Reset);
                    do_close = true;
                }
            }
            EpState::Established | EpState::Partial => {
                if syn {
                    let peer_state = if is_orig {
                        self.resp.state
                    } else {
                        self.orig.state
                    };
                    if ep_state == EpState::Partial && peer_state == EpState::Inactive && !ackf {
                        self.set_state(is_orig, EpState::SynSent);
                    }
                }
                if fin && !rst {
                    self.set_state(is_orig, EpState::Closed);
                    let peer = if is_orig { &self.resp } else { &self.orig };
                    if peer.state == EpState::Reset && peer.prev_state == EpState::Closed {
                        self.set_state(!is_orig, EpState::Closed);
                    }
                    do_close = true;
                }
                if rst {
                    self.set_state(is_orig, EpState::Reset);
                    do_close = true;
                }
            }
            EpState::Closed => {
                let peer_state = if is_orig {
                    self.resp.state
                } else {
                    self.orig.state
                };
                if rst && peer_state != EpState::Closed {
                    self.set_state(is_orig, EpState::Reset);
                    let ep = if is_orig { &self.orig } else { &self.resp };
                    if !ep.did_close {
                        do_close = true;
                    }
                }
                let _ = delta_last;
            }
            EpState::Reset => {}
        }

        // The acknowledgement may reveal data the capture never showed (Zeek's content gaps:
        // history 'G'/'g' and missed_bytes, counted only while both sides are cleanly
        // established or closing, as Zeek does).
        if ackf {
            let partial_start = self.is_partial;
            let (ep, peer) = if is_orig {
                (&self.orig, &mut self.resp)
            } else {
                (&self.resp, &mut self.orig)
            };
            let mut up_to = rel_ack;
            if peer.fin_cnt > 0 && up_to >= peer.fin_seq {
                up_to = peer.fin_seq.saturating_sub(1);
            }
            let clean = is_clean(ep) && is_clean(peer);
            if up_to > 1 {
                outcome.peer_acked = Some(up_to);
            }
            if !(up_to <= 2 && partial_start) {
                let mut missed = 0u64;
                let mut events = 0u32;
                peer.coverage.ack(up_to, &mut |n| {
                    missed += n;
                    events += 1;
                });
                if clean && events > 0 {
                    for _ in 0..events {
                        hist.scaled(if is_orig { b'g' } else { b'G' }, &mut peer.gap_cnt);
                    }
                    self.missed_bytes += missed;
                }
            } else if up_to > peer.coverage.trimmed {
                peer.coverage.trimmed = up_to;
            }
        }

        if len > 0 && seg.complete && !rst && !seq_underflow {
            let (ep, _) = self.eps(is_orig);
            let mut seq = if syn {
                rel_seq.wrapping_add(1)
            } else {
                rel_seq
            };
            outcome.data_seq = Some(seq);
            let upper = seq.wrapping_add(u64::from(len));
            // Data the peer already acknowledged is old news (Zeek's DataSent trims it).
            let acked = ep.to_relative(ep.ack_seq, ep.ack_wraps);
            if seq < acked {
                seq = acked.min(upper);
            }
            if seq < upper && upper - seq <= (1 << 31) {
                ep.coverage.data(seq, upper);
            }
        }

        if do_close {
            self.connection_closed(is_orig, seg.ts_ns, *last_time);
        }
        outcome.sender_is_orig = is_orig;
        let _ = (URG, seq_underflow);
        outcome
    }

    fn connection_closed(&mut self, is_orig: bool, _ts: i64, last_time: i64) {
        let (ep, peer) = self.eps(is_orig);
        if ep.did_close {
            return;
        }
        ep.did_close = true;
        let complete =
            ep.state == EpState::Reset || peer.did_close || peer.state == EpState::Inactive;
        if complete {
            if !self.close_complete {
                self.close_complete = true;
                self.close_at_ns = last_time;
            }
        } else if ep.prev_state != EpState::Inactive && self.half_close_at_ns == NO_TIME {
            self.half_close_at_ns = last_time;
        }
    }

    /// Zeek's `Size()` of one endpoint: bytes of sequence space, without SYN and FIN.
    pub fn size(&self, is_orig: bool) -> u64 {
        let (ep, peer) = if is_orig {
            (&self.orig, &self.resp)
        } else {
            (&self.resp, &self.orig)
        };
        if ep.prev_state == EpState::SynSent
            && ep.state == EpState::Reset
            && peer.state == EpState::Inactive
            && !ep.no_data_acked()
        {
            return 0;
        }
        let last = Endpoint::full(ep.last_seq, ep.seq_wraps);
        let ack = Endpoint::full(ep.ack_seq, ep.ack_wraps);
        let start = u64::from(ep.start_seq);
        let mut size = if last > ack {
            last.wrapping_sub(start)
        } else {
            ack.wrapping_sub(start)
        };
        if size != 0 {
            size = size.wrapping_sub(1);
        }
        if ep.fin_cnt > 0 && size != 0 {
            size -= 1;
        }
        // A sequence number far below the start wraps to a huge u64: Zeek would print it; we
        // prefer 0 to a nonsensical 18-quintillion byte count.
        if size > (1u64 << 48) {
            0
        } else {
            size
        }
    }

    /// Zeek's conn_state for TCP.
    pub fn conn_state(&self, size_orig: u64, size_resp: u64, history: &[u8]) -> &'static str {
        use EpState::*;
        let os = self.orig.state;
        let rs = self.resp.state;
        let o_inactive = os == Inactive || os == Partial;
        let r_inactive = rs == Inactive || rs == Partial;
        if rs == Reset {
            if os == SynSent
                || os == SynAckSent
                || (os == Reset && size_orig == 0 && size_resp == 0)
            {
                "REJ"
            } else if o_inactive {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == Reset {
            if r_inactive {
                if rstos0_history(history) {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == Closed && os == Closed {
            "SF"
        } else if os == Closed {
            if r_inactive {
                "SH"
            } else {
                "S2"
            }
        } else if rs == Closed {
            if o_inactive {
                "SHR"
            } else {
                "S3"
            }
        } else if os == SynSent && rs == Inactive {
            "S0"
        } else if os == Established && rs == Established {
            "S1"
        } else {
            "OTH"
        }
    }
}

/// Zeek's `/\^?S[^HAFGIQ]*R.*/` over the history.
fn rstos0_history(h: &[u8]) -> bool {
    let h = h.strip_prefix(b"^").unwrap_or(h);
    let Some(rest) = h.strip_prefix(b"S") else {
        return false;
    };
    for &c in rest {
        if c == b'R' {
            return true;
        }
        if b"HAFGIQ".contains(&c) {
            return false;
        }
    }
    false
}
