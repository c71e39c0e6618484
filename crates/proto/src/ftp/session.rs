//! FTP control connection state.
//!
//! Client lines are commands: a word (upper-cased here) and an argument after the first
//! space. Server lines are replies: a 3-digit code then a space (last line) or a hyphen (first
//! line of a multi-line reply, which ends at a line starting with the same code and a space,
//! RFC 959 section 4.2); lines in between are text.
//!
//! Commands wait in a list until answered. A session starts with a pseudo-command `<init>`
//! that the greeting answers. Each reply goes to the waiting command it fits best: a reply
//! code the command can get (RFC 959 section 5.4 and the extensions' RFCs) counts most, then
//! the command's name and argument appearing in the reply text; ties go to the oldest. A
//! command is written out when the next command is sent (once it has had a reply), at once
//! when other commands still wait, or at the end of the connection, always with the latest
//! reply: this is what Zeek's ftp.log shows, including its oddities (a reply that answers
//! nothing sent updates the last command still waiting).
//!
//! 150 replies to RETR and 213 replies to SIZE give the file size; 227/229 replies to
//! PASV/EPSV and valid PORT/EPRT arguments set up a data channel, listed by
//! [`FtpSession::expected_data_channels`]. CWD, CDUP and PWD/XPWD replies track the working
//! directory, from which file arguments become `ftp://` URLs.
//!
//! AUTH answered by 234 hands the connection to TLS: the waiting commands are written out and
//! the session reads nothing more ([`FtpSession::handed_to_tls`]). A reply line without a
//! valid code outside a multi-line reply is a violation. Confirmation comes with the first
//! valid reply line.
//!
//! GSSAPI authentication (GridFTP) carries a TLS handshake base64-encoded in `ADAT` commands
//! and in `ADAT=` replies; as Zeek does, the decoded bytes go to a TLS parser whose ssl and
//! x509 records are this connection's.

use super::parse::{
    build_path_compressed, build_url, extract_path, last_number, parse_eprt, parse_epsv,
    parse_pasv, parse_port,
};
use super::{DataChannel, FtpConfig, FtpRecord};
use crate::{AppRecord, Ctx, Direction, Service, SessionParser};
use std::net::IpAddr;

/// Bytes kept of a line; the rest of a longer line is dropped.
pub const MAX_LINE: usize = 8 * 1024;
/// Longest command word; longer ones are dropped.
pub const MAX_COMMAND_LEN: usize = 100;
/// Data channels remembered for [`FtpSession::expected_data_channels`] (oldest forgotten).
pub const MAX_EXPECTED: usize = 64;

/// Commands whose argument names a file or directory: logged as a URL.
const FILE_CMDS: &[&str] = &[
    "APPE", "CWD", "DELE", "MKD", "RETR", "RMD", "RNFR", "RNTO", "STOR", "STOU", "REST", "SIZE",
    "MDTM",
];

/// Reply codes each command can get: RFC 959 section 5.4 (command-reply sequences), RFC 2389
/// (FEAT, OPTS), RFC 2428 (EPRT, EPSV), RFC 3659 (SIZE, MDTM, MLST, MLSD), RFC 1639 (LPRT),
/// and two common unregistered commands (CLNT, MACB).
fn fits(cmd: &str, code: u16) -> bool {
    let codes: &[u16] = match cmd {
        "<init>" => &[0, 120, 220, 421],
        "USER" => &[230, 331, 332, 421, 530, 500, 501],
        "PASS" => &[230, 202, 332, 421, 530, 500, 501, 503],
        "ACCT" => &[230, 202, 421, 530, 500, 501, 503],
        "CWD" => &[250, 421, 500, 501, 502, 530, 550],
        "CDUP" => &[200, 250, 421, 500, 501, 502, 530, 550],
        "SMNT" => &[202, 250, 421, 500, 501, 502, 530, 550],
        "REIN" => &[120, 220, 421, 500, 502],
        "QUIT" => &[0, 221, 500],
        "PORT" => &[200, 421, 500, 501, 530],
        "PASV" => &[227, 421, 500, 501, 502, 530],
        "MODE" => &[200, 421, 500, 501, 502, 504, 530],
        "TYPE" | "STRU" => &[200, 421, 500, 501, 504, 530],
        "ALLO" => &[200, 202, 421, 500, 501, 504, 530],
        "REST" => &[200, 350, 421, 500, 501, 502, 530],
        "STOR" | "STOU" => &[
            110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500, 501,
            530, 550,
        ],
        "RETR" => &[
            110, 125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 530, 550,
        ],
        "LIST" | "NLST" => &[
            125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550,
        ],
        "APPE" => &[
            125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 550, 452, 553, 500, 501,
            502, 530,
        ],
        "RNFR" => &[350, 421, 450, 550, 500, 501, 502, 530],
        "RNTO" => &[250, 421, 532, 553, 500, 501, 502, 503, 530],
        "DELE" => &[250, 421, 450, 550, 500, 501, 502, 530],
        "RMD" => &[250, 421, 500, 501, 502, 530, 550],
        "MKD" => &[257, 421, 500, 501, 502, 530, 550],
        "PWD" => &[257, 421, 500, 501, 502, 550],
        "ABOR" => &[225, 226, 421, 500, 501, 502],
        "SYST" => &[215, 421, 500, 501, 502, 530],
        "STAT" => &[211, 212, 213, 421, 450, 500, 501, 502, 530],
        "HELP" => &[200, 211, 214, 421, 500, 501, 502],
        "SITE" => &[200, 202, 214, 500, 501, 502, 530],
        "NOOP" => &[200, 421, 500],
        "LPRT" => &[500, 501, 521],
        "FEAT" => &[211, 500, 502],
        "OPTS" => &[200, 451, 501],
        "EPSV" => &[229, 500, 501],
        "EPRT" => &[200, 500, 501, 522],
        "SIZE" | "MDTM" => &[213, 500, 501, 550],
        "MLST" | "MLSD" => &[150, 226, 250, 500, 501, 550],
        "CLNT" => &[200, 500],
        "MACB" => &[200, 500, 550],
        "<missing>" => &[0],
        _ => &[],
    };
    codes.contains(&code)
}

#[derive(Debug, Clone, PartialEq)]
struct Cmd {
    seq: u64,
    ts: i64,
    cmd: String,
    arg: String,
    cwd_consumed: bool,
}

#[derive(Debug, Default)]
struct LineBuf {
    buf: Vec<u8>,
    skip: bool,
}

impl LineBuf {
    fn next_line(&mut self, data: &[u8]) -> (Option<Vec<u8>>, usize) {
        match memchr::memchr(b'\n', data) {
            Some(i) => {
                let room = MAX_LINE.saturating_sub(self.buf.len());
                self.buf.extend_from_slice(&data[..i.min(room)]);
                let mut line = std::mem::take(&mut self.buf);
                if std::mem::take(&mut self.skip) {
                    return (None, i + 1);
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                (Some(line), i + 1)
            }
            None => {
                if !self.skip {
                    let room = MAX_LINE.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&data[..data.len().min(room)]);
                }
                (None, data.len())
            }
        }
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut e = max;
    while !s.is_char_boundary(e) {
        e -= 1;
    }
    s[..e].to_string()
}

/// One FTP control connection.
pub struct FtpSession {
    cfg: FtpConfig,
    orig_h: Option<IpAddr>,
    resp_h: Option<IpAddr>,
    client: LineBuf,
    server: LineBuf,
    started: bool,
    pending: Vec<Cmd>,
    cmdarg: Option<Cmd>,
    seq: u64,
    user: String,
    password: Option<String>,
    cwd: String,
    reply_code: Option<u16>,
    reply_msg: Option<String>,
    file_size: Option<u64>,
    data_channel: Option<DataChannel>,
    /// The file on a data connection (fuid, MIME type once sniffed), for the next record, as
    /// Zeek's connection-wide ftp state carries it.
    data_file: Option<(String, Option<&'static str>)>,
    expected: Vec<DataChannel>,
    /// Channels announced since the flow layer last asked (`take_expected`), bounded like
    /// `expected`.
    fresh: Vec<DataChannel>,
    /// Code of the multi-line reply being read.
    multi: Option<u16>,
    confirmed: bool,
    violated: bool,
    handed: bool,
    ended: bool,
    /// Weird name of the last problem seen.
    pub last_weird: Option<&'static str>,
    /// The TLS handshake inside ADAT exchanges, once one was seen.
    adat: Option<Box<crate::tls::TlsSession>>,
}

impl Default for FtpSession {
    fn default() -> Self {
        Self::new()
    }
}

impl FtpSession {
    /// A session with Zeek's default settings.
    pub fn new() -> Self {
        Self::with_config(FtpConfig::default())
    }

    pub fn with_config(cfg: FtpConfig) -> Self {
        FtpSession {
            cfg,
            orig_h: None,
            resp_h: None,
            client: LineBuf::default(),
            server: LineBuf::default(),
            started: false,
            pending: Vec::new(),
            cmdarg: None,
            seq: 0,
            user: "<unknown>".into(),
            password: None,
            cwd: ".".into(),
            reply_code: None,
            reply_msg: None,
            file_size: None,
            data_channel: None,
            data_file: None,
            expected: Vec::new(),
            fresh: Vec::new(),
            multi: None,
            confirmed: false,
            violated: false,
            handed: false,
            ended: false,
            last_weird: None,
            adat: None,
        }
    }

    /// The connection's addresses: they complete data channels (who connects, and the server
    /// of EPSV) and name the host of file URLs. Without them those parts stay unset.
    pub fn set_endpoints(&mut self, orig_h: IpAddr, resp_h: IpAddr) {
        self.orig_h = Some(orig_h);
        self.resp_h = Some(resp_h);
    }

    /// Data connections announced so far (oldest first, at most [`MAX_EXPECTED`]), for the
    /// flow layer to recognise them as ftp-data.
    pub fn expected_data_channels(&self) -> &[DataChannel] {
        &self.expected
    }

    /// AUTH was accepted (234): the session wrote its records and reads nothing more; what
    /// follows is a TLS handshake, for the TLS parser. Not a violation.
    pub fn handed_to_tls(&self) -> bool {
        self.handed
    }

    fn start(&mut self, ts: i64) {
        if !self.started {
            self.started = true;
            self.add_pending(ts, "<init>".into(), String::new());
        }
    }

    fn add_pending(&mut self, ts: i64, cmd: String, arg: String) {
        self.seq += 1;
        self.pending.push(Cmd {
            seq: self.seq,
            ts,
            cmd,
            arg,
            cwd_consumed: false,
        });
    }

    fn remove_pending(&mut self, seq: u64) -> bool {
        match self.pending.iter().position(|c| c.seq == seq) {
            Some(i) => {
                self.pending.remove(i);
                true
            }
            None => false,
        }
    }

    fn hide_password(&self) -> bool {
        !self.cfg.capture_password
            && !self
                .cfg
                .guest_ids
                .iter()
                .any(|g| g.eq_ignore_ascii_case(&self.user))
    }

    /// Writes `ca` with the session's current state, then clears the per-transfer fields.
    /// Every command gets a record (Suricata's EVE logs them all); only those of
    /// `logged_commands` are marked for ftp.log, as Zeek logs them.
    fn message(&mut self, ca: &Cmd, out: &mut Vec<AppRecord>) {
        {
            let mut arg = if FILE_CMDS.contains(&ca.cmd.as_str()) {
                build_url(self.resp_h, &self.cwd, &ca.arg)
            } else {
                ca.arg.clone()
            };
            arg = cut(&arg, self.cfg.max_arg_length);
            let hide = self.hide_password();
            if ca.cmd == "PASS" && hide {
                arg = "<hidden>".into();
            }
            let rec = FtpRecord {
                ts_ns: ca.ts,
                user: self.user.clone(),
                password: self.password.as_ref().map(|p| {
                    if hide {
                        "<hidden>".into()
                    } else {
                        p.clone()
                    }
                }),
                command: ca.cmd.clone(),
                arg: (!arg.is_empty()).then_some(arg),
                file_size: self.file_size,
                reply_code: self.reply_code,
                reply_msg: self
                    .reply_msg
                    .as_ref()
                    .map(|m| cut(m, self.cfg.max_reply_msg_length)),
                data_channel: self.data_channel,
                mime_type: self
                    .data_file
                    .as_ref()
                    .and_then(|(_, m)| m.map(str::to_string)),
                fuid: self.data_file.as_ref().map(|(f, _)| f.clone()),
                logged: self.cfg.logged_commands.contains(&ca.cmd),
            };
            out.push(AppRecord::Ftp(rec));
        }
        self.file_size = None;
        self.data_channel = None;
        self.data_file = None;
    }

    fn add_channel(&mut self, ch: DataChannel) {
        self.data_channel = Some(ch);
        if self.expected.len() >= MAX_EXPECTED {
            self.expected.remove(0);
        }
        self.expected.push(ch);
        if self.fresh.len() >= MAX_EXPECTED {
            self.fresh.remove(0);
        }
        self.fresh.push(ch);
    }

    fn request(&mut self, ts: i64, line: &[u8], out: &mut Vec<AppRecord>) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_start_matches([' ', '\t']);
        let (cmd, arg) = match text.find(' ') {
            Some(i) => (&text[..i], text[i + 1..].trim_start_matches([' ', '\t'])),
            None => (text, ""),
        };
        if cmd.is_empty() {
            return;
        }
        if cmd.len() > MAX_COMMAND_LEN {
            self.last_weird = Some("FTP_max_command_length_exceeded");
            return;
        }
        let cmd = cmd.to_ascii_uppercase();
        let arg = arg.to_string();
        // The previous command is done once it had a reply and a new command comes.
        if let Some(ca) = self.cmdarg.clone() {
            if self.reply_code.is_some() && self.remove_pending(ca.seq) {
                self.message(&ca, out);
            }
        }
        self.start(ts);
        if self.pending.len() < self.cfg.max_pending_commands {
            self.add_pending(ts, cmd.clone(), arg.clone());
        } else {
            self.last_weird = Some("FTP_too_many_pending_commands");
        }
        match cmd.as_str() {
            "ADAT" => self.adat(ts, Direction::Orig, &arg, out),
            "USER" => self.user = cut(&arg, self.cfg.max_user_length),
            "PASS" => self.password = Some(cut(&arg, self.cfg.max_password_length)),
            "PORT" | "EPRT" => {
                let d = if cmd == "PORT" {
                    parse_port(&arg)
                } else {
                    parse_eprt(&arg)
                };
                if let Some((h, p)) = d {
                    self.add_channel(DataChannel {
                        passive: false,
                        orig_h: self.resp_h,
                        resp_h: Some(h),
                        resp_p: p,
                    });
                }
            }
            _ => {}
        }
    }

    /// The waiting command a reply fits best (see the module docs).
    fn best_pending(&self, code: u16, msg: &str) -> Option<usize> {
        let mut best: Option<(i32, u64, usize)> = None;
        for (i, c) in self.pending.iter().enumerate() {
            let mut score = 0;
            if code == 500 || fits(&c.cmd, code) {
                score += 100;
            }
            if msg.contains(c.cmd.as_str()) {
                score += 20;
            }
            if msg.contains(c.arg.as_str()) {
                score += 10;
            }
            if best.is_none_or(|(s, q, _)| score > s || (score == s && c.seq < q)) {
                best = Some((score, c.seq, i));
            }
        }
        best.map(|b| b.2)
    }

    fn reply(&mut self, ts: i64, code: u16, msg: String, cont: bool, out: &mut Vec<AppRecord>) {
        self.start(ts);
        // Text lines inside a multi-line reply are skipped unless they look like a reply.
        if cont && code == 0 && self.reply_code.is_some() && !looks_like_reply(&msg) {
            return;
        }
        let idx = self.best_pending(code, &msg);
        let ca = match idx {
            Some(i) => self.pending[i].clone(),
            None => Cmd {
                seq: 0,
                ts,
                cmd: "<unknown>".into(),
                arg: String::new(),
                cwd_consumed: false,
            },
        };
        if let Some(b64) = msg.strip_prefix("ADAT=") {
            self.adat(ts, Direction::Resp, b64, out);
        }
        self.cmdarg = Some(ca.clone());
        self.reply_code = Some(code);
        self.reply_msg = Some(msg.clone());
        if cont {
            return;
        }
        if (code == 150 && ca.cmd == "RETR") || (code == 213 && ca.cmd == "SIZE") {
            self.file_size = last_number(&msg);
        } else if (code == 227 || code == 229) && (ca.cmd == "PASV" || ca.cmd == "EPSV") {
            let d = if code == 227 {
                parse_pasv(&msg).map(|(h, p)| (Some(h), p))
            } else {
                parse_epsv(&msg).map(|(h, p)| (h.or(self.resp_h), p))
            };
            if let Some((h, p)) = d {
                self.add_channel(DataChannel {
                    passive: true,
                    orig_h: self.orig_h,
                    resp_h: h,
                    resp_p: p,
                });
            }
        }
        let dir_cmd = matches!(
            (ca.cmd.as_str(), code),
            ("CWD", 250) | ("CDUP", 200) | ("CDUP", 250) | ("PWD", 257) | ("XPWD", 257)
        );
        if dir_cmd && !ca.cwd_consumed {
            if let Some(i) = idx {
                self.pending[i].cwd_consumed = true;
            }
            if let Some(c) = self.cmdarg.as_mut() {
                c.cwd_consumed = true;
            }
            self.cwd = match ca.cmd.as_str() {
                "CWD" => build_path_compressed(&self.cwd, &ca.arg),
                "CDUP" => build_path_compressed(&self.cwd, "/.."),
                _ => extract_path(&msg),
            };
            if self.cwd.len() > MAX_LINE {
                self.cwd = cut(&self.cwd, MAX_LINE);
            }
        }
        if self.pending.len() > 1 {
            self.remove_pending(ca.seq);
            self.message(&ca, out);
        }
        if code == 234 && ca.cmd == "AUTH" {
            self.flush_pending(out);
            self.handed = true;
        }
    }

    /// Base64 data of an ADAT command or reply: the next bytes of the TLS handshake in that
    /// direction (data that does not decode is skipped).
    fn adat(&mut self, ts: i64, dir: Direction, b64: &str, out: &mut Vec<AppRecord>) {
        let Some(bytes) = crate::http::parser::base64_decode(b64.trim()) else {
            return;
        };
        let tls = self
            .adat
            .get_or_insert_with(|| Box::new(crate::tls::TlsSession::new()));
        tls.data(Ctx { ts_ns: ts, dir }, &bytes, out);
    }

    fn flush_pending(&mut self, out: &mut Vec<AppRecord>) {
        if self.ended {
            return;
        }
        self.ended = true;
        for ca in std::mem::take(&mut self.pending) {
            self.cmdarg = Some(ca.clone());
            self.message(&ca, out);
        }
    }

    fn server_line(&mut self, ts: i64, line: &[u8], out: &mut Vec<AppRecord>) {
        let text = String::from_utf8_lossy(line).into_owned();
        let code = reply_code(line);
        match self.multi {
            Some(m) => {
                if code == Some(m) && matches!(line.get(3), None | Some(b' ')) {
                    self.multi = None;
                    let msg = text.get(4..).unwrap_or("").to_string();
                    self.reply(ts, m, msg, false, out);
                } else if code == Some(m) && line.get(3) == Some(&b'-') {
                    let msg = text.get(4..).unwrap_or("").to_string();
                    self.reply(ts, m, msg, true, out);
                } else {
                    self.reply(ts, 0, text, true, out);
                }
            }
            None => {
                let Some(c) = code else {
                    self.bad_reply();
                    return;
                };
                match line.get(3) {
                    None => self.reply(ts, c, String::new(), false, out),
                    Some(b' ') => self.reply(ts, c, text[4..].to_string(), false, out),
                    Some(b'-') => {
                        self.multi = Some(c);
                        self.reply(ts, c, text[4..].to_string(), true, out);
                    }
                    Some(_) => {
                        self.bad_reply();
                        return;
                    }
                }
                self.confirmed = true;
            }
        }
    }

    fn bad_reply(&mut self) {
        self.last_weird = Some("FTP_invalid_reply_line");
        self.violated = true;
    }

    fn feed(&mut self, ctx: Ctx, mut data: &[u8], out: &mut Vec<AppRecord>) {
        while !data.is_empty() && !self.handed && !self.violated && !self.ended {
            let lb = match ctx.dir {
                Direction::Orig => &mut self.client,
                Direction::Resp => &mut self.server,
            };
            let (line, used) = lb.next_line(data);
            data = &data[used..];
            if let Some(line) = line {
                match ctx.dir {
                    Direction::Orig => self.request(ctx.ts_ns, &line, out),
                    Direction::Resp => self.server_line(ctx.ts_ns, &line, out),
                }
            }
        }
    }
}

/// A 3-digit code at the start of a line (first digit 1 to 5 as RFC 959 section 4.2 has it,
/// though any digit is taken).
fn reply_code(line: &[u8]) -> Option<u16> {
    if line.len() < 3 || !line[..3].iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if line.len() > 3 && line[3].is_ascii_digit() {
        return None;
    }
    Some(
        line[..3]
            .iter()
            .fold(0u16, |a, b| a * 10 + (b - b'0') as u16),
    )
}

/// "ddd " and at least ten printable characters: a reply line inside another reply.
fn looks_like_reply(msg: &str) -> bool {
    let b = msg.as_bytes();
    b.len() >= 14
        && (b'1'..=b'9').contains(&b[0])
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b' '
        && b[4..14].iter().all(|c| (0x20..0x7f).contains(c))
}

impl SessionParser for FtpSession {
    fn take_weird(&mut self) -> Option<&'static str> {
        self.last_weird.take()
    }

    fn handed_to_tls(&self) -> bool {
        FtpSession::handed_to_tls(self)
    }

    fn data_file(&mut self, notice: &crate::ftp::DataFileNotice) {
        // A MIME type only improves on what is known of the same file.
        let mime = match &self.data_file {
            Some((f, m)) if *f == notice.fuid => notice.mime_type.or(*m),
            _ => notice.mime_type,
        };
        self.data_file = Some((notice.fuid.clone(), mime));
    }

    fn take_expected(&mut self, out: &mut Vec<crate::ExpectedConn>) {
        out.extend(self.fresh.drain(..).filter_map(|ch| {
            Some(crate::ExpectedConn {
                orig_h: ch.orig_h?,
                resp_h: ch.resp_h?,
                resp_p: ch.resp_p,
                service: Service::FtpData,
            })
        }));
    }

    fn service(&self) -> Service {
        Service::Ftp
    }

    fn data(&mut self, ctx: Ctx, data: &[u8], out: &mut Vec<AppRecord>) {
        self.feed(ctx, data, out);
    }

    fn gap(&mut self, dir: Direction, _len: u64) {
        let lb = match dir {
            Direction::Orig => &mut self.client,
            Direction::Resp => &mut self.server,
        };
        // A gap inside a line spoils the rest of it; one at a line boundary (the usual case:
        // a whole segment lost) spoils nothing that follows.
        if !lb.buf.is_empty() {
            lb.buf.clear();
            lb.skip = true;
        }
    }

    fn end(&mut self, ts_ns: i64, out: &mut Vec<AppRecord>) {
        self.flush_pending(out);
        if let Some(tls) = self.adat.as_mut() {
            tls.end(ts_ns, out);
        }
    }

    fn confirmed(&self) -> bool {
        self.confirmed
    }

    fn violated(&self) -> bool {
        self.violated
    }
}

/// Fuzz entry point (cargo-fuzz target `proto_ftp`): the first byte picks chunk sizes and the
/// direction pattern; a few logged commands are added so every path is reachable.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut cfg = FtpConfig::default();
    cfg.logged_commands
        .extend(["USER", "PASS", "CWD", "AUTH", "<init>"].map(String::from));
    cfg.capture_password = ctl & 0x80 != 0;
    let mut s = FtpSession::with_config(cfg);
    if ctl & 1 != 0 {
        s.set_endpoints([192, 0, 2, 1].into(), "2001:db8::2".parse().unwrap());
    }
    crate::fuzz_session(&mut s, rest, 3);
    let _ = s.expected_data_channels();
    // The same bytes as a data connection's content, with its notices passed back.
    let mut d = crate::ftp::FtpDataSession::new(crate::FileHashes::ALL);
    crate::fuzz_session(&mut d, rest, 3);
    d.closed();
    if let Some(n) = d.take_data_file() {
        s.data_file(&n);
    }
}
