//! Threat-intelligence matching on every record the log writer handles: what each log shows
//! that a feed may list (addresses, names, URLs, fingerprints, digests, e-mail addresses), and
//! where it was seen, in Zeek's `seen.where` vocabulary.
//!
//! Matching runs on the log-writing thread, once per record, so the packet path never pays for
//! it; lookups that find nothing (nearly all) cost a hash probe and allocate nothing. A hit
//! writes an intel.log line (Zeek's fields, plus the matched indicators' metadata) and raises
//! an [`Alert`], one per (originator, responder, indicator) and hour.

use crate::range_files::ConnId;
use netloupe_flow::community_id::community_id_v1;
use netloupe_flow::{AppEvent, AppRecord, ConnRecord, Uid};
use netloupe_intel::normalize;
use netloupe_intel::{IndicatorType, IntelSet, Seen, Severity};
use netloupe_output::alert::{self, Alert, Evidence, Technique};
use netloupe_output::json::JsonObject;
use netloupe_proto::http::FileRecord;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

/// (originator, responder, indicator) triples remembered for alert de-duplication; the oldest
/// are forgotten beyond this (counted), after which a repeat sighting raises a second alert.
const MAX_ALERTED: usize = 1 << 20;

/// A repeated sighting of the same triple raises a new alert after this much packet time.
const ALERT_REPEAT_NS: i64 = 3_600_000_000_000;

type AlertKey = (IpAddr, IpAddr, u32);

/// EVE `signature_id` of intel alerts: this plus the seen value's type (its position in
/// `IndicatorType::ALL`).
const SID_INTEL: u32 = 1_900_100;

/// The connection a sighting belongs to.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub ts_ns: i64,
    pub uid: Uid,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
    /// IP protocol number (for the Community ID) and its name.
    pub ip_proto: u8,
}

impl Ctx {
    fn of_conn(r: &ConnRecord) -> Ctx {
        Ctx {
            ts_ns: r.ts_ns,
            uid: r.uid,
            orig_h: r.orig_h,
            orig_p: r.orig_p,
            resp_h: r.resp_h,
            resp_p: r.resp_p,
            ip_proto: r.ip_proto,
        }
    }

    pub(crate) fn of_event(e: &AppEvent, ts_ns: i64) -> Ctx {
        Ctx {
            ts_ns,
            uid: e.uid,
            orig_h: e.orig_h,
            orig_p: e.orig_p,
            resp_h: e.resp_h,
            resp_p: e.resp_p,
            ip_proto: if e.record.over_udp() { 17 } else { 6 },
        }
    }

    pub(crate) fn of_conn_id(c: &ConnId, ts_ns: i64, udp: bool) -> Ctx {
        Ctx {
            ts_ns,
            uid: c.uid,
            orig_h: c.orig_h,
            orig_p: c.orig_p,
            resp_h: c.resp_h,
            resp_p: c.resp_p,
            ip_proto: if udp { 17 } else { 6 },
        }
    }

    fn proto_name(&self) -> &'static str {
        match self.ip_proto {
            6 => "tcp",
            17 => "udp",
            1 | 58 => "icmp",
            132 => "sctp",
            _ => "unknown",
        }
    }
}

/// Counters for stats.json.
#[derive(Debug, Default, Clone)]
pub struct IntelStats {
    pub lookups: u64,
    /// intel.log lines, by `seen.where`.
    pub hits_by_where: BTreeMap<&'static str, u64>,
    /// Sightings per feed name.
    pub hits_by_feed: BTreeMap<String, u64>,
    pub alerts: u64,
    /// Sightings that raised no alert: the same triple alerted less than an hour before.
    pub alerts_repeated: u64,
    /// Alert de-duplication entries forgotten (beyond `MAX_ALERTED`).
    pub alert_dedup_evicted: u64,
    /// Sets swapped in while the run lasted, and the last one's indicator count.
    pub reloads: u64,
    pub reload_errors: Vec<String>,
}

/// What one hit produces: an intel.log line, and an alert unless already raised for the pair.
pub(crate) struct IntelOutput {
    pub intel_lines: Vec<String>,
    /// Each alert with its EVE signature id.
    pub alerts: Vec<(Alert, u32)>,
}

pub(crate) struct IntelMatcher {
    set: Arc<IntelSet>,
    seed: u16,
    buf: String,
    url_buf: String,
    hits: Vec<u32>,
    /// The technique inferred from a tag set, by the set's address (tag sets are interned per
    /// feed and live as long as the `IntelSet`, which `replace` swaps along with this cache).
    technique_of_tags: HashMap<usize, Option<&'static str>>,
    /// Last alert time per (originator, responder, indicator).
    alerted: HashMap<AlertKey, i64>,
    alerted_order: VecDeque<AlertKey>,
    pub stats: IntelStats,
    pub out: IntelOutput,
}

/// The value as the record shows it (seen.indicator), rendered only for a hit: the common
/// path (no hit) allocates nothing.
#[derive(Clone, Copy)]
enum Shown<'a> {
    Str(&'a str),
    Addr(IpAddr),
}

impl Shown<'_> {
    fn render(self) -> String {
        match self {
            Shown::Str(s) => s.to_string(),
            Shown::Addr(a) => a.to_string(),
        }
    }
}

/// One place a value was seen.
struct Sighting<'a> {
    seen: Seen<'a>,
    shown: Shown<'a>,
    seen_type: IndicatorType,
    where_: &'static str,
    file: Option<&'a FileRecord>,
}

impl IntelMatcher {
    pub(crate) fn new(set: Arc<IntelSet>, seed: u16) -> IntelMatcher {
        IntelMatcher {
            set,
            seed,
            buf: String::new(),
            url_buf: String::new(),
            hits: Vec::new(),
            technique_of_tags: HashMap::new(),
            alerted: HashMap::new(),
            alerted_order: VecDeque::new(),
            stats: IntelStats::default(),
            out: IntelOutput {
                intel_lines: Vec::new(),
                alerts: Vec::new(),
            },
        }
    }

    /// Swaps in a reloaded set. Alert de-duplication starts afresh: its keys are indices into
    /// the old set.
    pub(crate) fn replace(&mut self, set: Arc<IntelSet>) {
        self.set = set;
        self.technique_of_tags.clear();
        self.alerted.clear();
        self.alerted_order.clear();
        self.stats.reloads += 1;
    }

    pub(crate) fn set_arc(&self) -> Arc<IntelSet> {
        Arc::clone(&self.set)
    }

    /// The originator and responder addresses of a connection (Conn::IN_ORIG / IN_RESP).
    pub(crate) fn conn(&mut self, r: &ConnRecord) {
        let ctx = Ctx::of_conn(r);
        self.check(&ctx, addr_sighting(r.orig_h, "Conn::IN_ORIG"));
        self.check(&ctx, addr_sighting(r.resp_h, "Conn::IN_RESP"));
    }

    /// Everything a protocol record shows that feeds list.
    pub(crate) fn app(&mut self, e: &AppEvent) {
        let ctx = Ctx::of_event(e, e.record.ts_ns());
        match &e.record {
            AppRecord::Dns(d) => {
                if let Some(q) = d.query.as_deref() {
                    self.domain(&ctx, q, "DNS::IN_REQUEST");
                }
                for a in &d.answers {
                    match normalize::addr(a) {
                        Some(ip) => self.check(&ctx, addr_sighting(ip, "DNS::IN_RESPONSE")),
                        // Names in answers (CNAME, PTR, MX, NS targets); TXT data is not a
                        // name and never looks like one to `domain` (spaces, quotes).
                        None if looks_like_name(a) => self.domain(&ctx, a, "DNS::IN_RESPONSE"),
                        None => {}
                    }
                }
            }
            AppRecord::Http(h) => {
                if let Some(host) = h.host.as_deref() {
                    let name = normalize::host_of(host);
                    self.domain(&ctx, name, "HTTP::IN_HOST_HEADER");
                }
                if let Some(uri) = h.uri.as_deref() {
                    let mut key = std::mem::take(&mut self.url_buf);
                    if normalize::seen_http_url(h.host.as_deref(), uri, &mut key) {
                        self.check(
                            &ctx,
                            Sighting {
                                seen: Seen::Url(&key),
                                shown: Shown::Str(&key),
                                seen_type: IndicatorType::Url,
                                where_: "HTTP::IN_URL",
                                file: None,
                            },
                        );
                    }
                    self.url_buf = key;
                }
                if let Some(ua) = h.user_agent.as_deref() {
                    self.check(
                        &ctx,
                        Sighting {
                            seen: Seen::UserAgent(ua),
                            shown: Shown::Str(ua),
                            seen_type: IndicatorType::UserAgent,
                            where_: "HTTP::IN_USER_AGENT_HEADER",
                            file: None,
                        },
                    );
                }
            }
            AppRecord::Ssl(s) => {
                if let Some(n) = s.server_name.as_deref() {
                    self.domain(&ctx, n, "SSL::IN_SERVER_NAME");
                }
                if let Some(j) = s.ja3.as_deref() {
                    self.digest(&ctx, IndicatorType::Ja3, j, "SSL::IN_JA3");
                }
                if let Some(j) = s.ja3s.as_deref() {
                    self.digest(&ctx, IndicatorType::Ja3s, j, "SSL::IN_JA3S");
                }
                if let Some(j) = s.ja4.as_deref() {
                    self.check(
                        &ctx,
                        Sighting {
                            seen: Seen::Ja4(j),
                            shown: Shown::Str(j),
                            seen_type: IndicatorType::Ja4,
                            where_: "SSL::IN_JA4",
                            file: None,
                        },
                    );
                }
            }
            AppRecord::X509(c) => {
                self.digest(
                    &ctx,
                    IndicatorType::CertSha256,
                    &c.fingerprint,
                    "X509::IN_CERT",
                );
                if !c.sha1.is_empty() {
                    self.digest(&ctx, IndicatorType::CertSha1, &c.sha1, "X509::IN_CERT");
                }
                for n in c.san_dns.iter().flatten() {
                    self.domain(&ctx, n.trim_start_matches("*."), "X509::IN_CERT");
                }
                for m in c.san_email.iter().flatten() {
                    self.email(&ctx, m, "X509::IN_CERT");
                }
                if let Some(cn) = common_name(&c.subject) {
                    if looks_like_name(cn) {
                        self.domain(&ctx, cn.trim_start_matches("*."), "X509::IN_CERT");
                    }
                }
            }
            AppRecord::Ssh(s) => {
                if let Some(h) = s.hassh.as_deref() {
                    self.digest(&ctx, IndicatorType::Hassh, h, "SSH::IN_HASSH");
                }
                if let Some(h) = s.hassh_server.as_deref() {
                    self.digest(&ctx, IndicatorType::Hassh, h, "SSH::IN_HASSH_SERVER");
                }
            }
            AppRecord::Smtp(m) => {
                if let Some(a) = m.mailfrom.as_deref() {
                    self.email(&ctx, a, "SMTP::IN_MAIL_FROM");
                }
                for a in &m.rcptto {
                    self.email(&ctx, a, "SMTP::IN_RCPT_TO");
                }
                if let Some(a) = m.from.as_deref() {
                    self.email_list(&ctx, a, "SMTP::IN_FROM");
                }
                for a in &m.to {
                    self.email_list(&ctx, a, "SMTP::IN_TO");
                }
                for a in &m.cc {
                    self.email_list(&ctx, a, "SMTP::IN_CC");
                }
                if let Some(a) = m.reply_to.as_deref() {
                    self.email_list(&ctx, a, "SMTP::IN_REPLY_TO");
                }
                if let Some(ip) = m.x_originating_ip {
                    self.check(&ctx, addr_sighting(ip, "SMTP::IN_X_ORIGINATING_IP_HEADER"));
                }
                for &ip in &m.path {
                    self.check(&ctx, addr_sighting(ip, "SMTP::IN_RECEIVED_HEADER"));
                }
            }
            // QUIC's SNI and JA4 are matched through the ssl record of its Initial hellos.
            AppRecord::File(f) => self.file(&ctx, f),
            _ => {}
        }
    }

    /// A file's digests (Files::IN_HASH).
    pub(crate) fn file(&mut self, ctx: &Ctx, f: &FileRecord) {
        let ctx = Ctx {
            ts_ns: f.ts_ns,
            ..*ctx
        };
        for (kind, v) in [
            (IndicatorType::FileMd5, &f.md5),
            (IndicatorType::FileSha1, &f.sha1),
            (IndicatorType::FileSha256, &f.sha256),
        ] {
            if let Some(v) = v.as_deref() {
                self.check(
                    &ctx,
                    Sighting {
                        seen: Seen::Digest(kind, v),
                        shown: Shown::Str(v),
                        seen_type: kind,
                        where_: "Files::IN_HASH",
                        file: Some(f),
                    },
                );
            }
        }
    }

    fn domain(&mut self, ctx: &Ctx, name: &str, where_: &'static str) {
        let mut buf = std::mem::take(&mut self.buf);
        if let Some(key) = normalize::seen_domain(name, &mut buf) {
            // An address where a name may stand (a Host header, a certificate name) is
            // looked up as the address it is.
            let (seen, seen_type) = match key.parse::<IpAddr>() {
                Ok(a) => (Seen::Addr(a), IndicatorType::Addr),
                Err(_) => (Seen::Domain(key), IndicatorType::Domain),
            };
            self.check(
                ctx,
                Sighting {
                    seen,
                    shown: Shown::Str(name),
                    seen_type,
                    where_,
                    file: None,
                },
            );
        }
        self.buf = buf;
    }

    fn digest(&mut self, ctx: &Ctx, kind: IndicatorType, v: &str, where_: &'static str) {
        self.check(
            ctx,
            Sighting {
                seen: Seen::Digest(kind, v),
                shown: Shown::Str(v),
                seen_type: kind,
                where_,
                file: None,
            },
        );
    }

    fn email(&mut self, ctx: &Ctx, raw: &str, where_: &'static str) {
        if let Ok(e) = normalize::email(raw) {
            self.check(
                ctx,
                Sighting {
                    seen: Seen::Email(&e),
                    shown: Shown::Str(raw),
                    seen_type: IndicatorType::Email,
                    where_,
                    file: None,
                },
            );
        }
    }

    /// A header that may hold several addresses separated by commas.
    fn email_list(&mut self, ctx: &Ctx, raw: &str, where_: &'static str) {
        for part in raw.split(',') {
            if part.contains('@') {
                self.email(ctx, part, where_);
            }
        }
    }

    fn check(&mut self, ctx: &Ctx, s: Sighting<'_>) {
        self.stats.lookups += 1;
        self.hits.clear();
        self.set.lookup(s.seen, ctx.ts_ns, &mut self.hits);
        if self.hits.is_empty() {
            return;
        }
        let hits = std::mem::take(&mut self.hits);
        self.report(ctx, &s, &hits);
        self.hits = hits;
    }

    /// Writes the intel.log line and the alert for a sighting that matched `hits`.
    fn report(&mut self, ctx: &Ctx, s: &Sighting<'_>, hits: &[u32]) {
        let set = Arc::clone(&self.set);
        let shown = s.shown.render();
        let inds: Vec<&netloupe_intel::Indicator> =
            hits.iter().map(|&i| set.indicator(i)).collect();
        let mut uid = String::with_capacity(24);
        ctx.uid.render('C', &mut uid);
        let cid = community_id_v1(
            self.seed,
            ctx.orig_h,
            ctx.resp_h,
            ctx.ip_proto,
            ctx.orig_p,
            ctx.resp_p,
        );
        let sources: BTreeSet<&str> = inds
            .iter()
            .map(|i| set.feed(i.feed).name.as_str())
            .collect();
        let matched: BTreeSet<&str> = inds.iter().map(|i| i.kind.zeek_name()).collect();
        let listed: BTreeSet<String> = inds.iter().map(|i| listed_value(i)).collect();
        let tags: BTreeSet<&str> = inds
            .iter()
            .flat_map(|i| i.meta.tags.iter().map(|t| &**t))
            .collect();
        let refs: BTreeSet<&str> = inds
            .iter()
            .filter_map(|i| i.meta.reference.as_deref())
            .collect();
        let severity = inds
            .iter()
            .filter_map(|i| i.meta.severity)
            .max()
            .unwrap_or(Severity::Medium);
        let confidence = inds
            .iter()
            .filter_map(|i| i.meta.confidence)
            .max()
            .unwrap_or(50);
        let technique_id: Option<String> = inds
            .iter()
            .find_map(|i| i.meta.technique().map(str::to_string))
            .or_else(|| {
                // Most sightings match one entry, whose feed-wide tag set (shared, interned)
                // was already read: remember the answer per tag set.
                let inferred = match inds.as_slice() {
                    [one] => {
                        let key = Arc::as_ptr(&one.meta.tags) as *const () as usize;
                        *self
                            .technique_of_tags
                            .entry(key)
                            .or_insert_with(|| infer_technique(tags.iter().copied()))
                    }
                    _ => infer_technique(tags.iter().copied()),
                };
                inferred.map(str::to_string)
            });
        let valid_until = inds
            .iter()
            .map(|i| i.meta.valid_until())
            .filter(|&t| t != netloupe_intel::indicator::NO_END)
            .min();

        self.stats
            .hits_by_where
            .entry(s.where_)
            .and_modify(|n| *n += 1)
            .or_insert(1);
        for src in &sources {
            match self.stats.hits_by_feed.get_mut(*src) {
                Some(n) => *n += 1,
                None => {
                    self.stats.hits_by_feed.insert((*src).to_string(), 1);
                }
            }
        }

        // intel.log: Zeek's fields, then netloupe's.
        let mut line = String::with_capacity(512);
        let mut o = JsonObject::new(&mut line);
        o.ts("ts", ctx.ts_ns);
        netloupe_flow::write_conn_id(
            &mut o,
            ctx.uid,
            (ctx.orig_h, ctx.orig_p, ctx.resp_h, ctx.resp_p),
        );
        o.str("seen.indicator", &shown);
        o.str("seen.indicator_type", s.seen_type.zeek_name());
        o.str("seen.where", s.where_);
        o.str("seen.node", "netloupe");
        o.str_array("matched", &matched.iter().collect::<Vec<_>>());
        o.str_array("sources", &sources.iter().collect::<Vec<_>>());
        if let Some(f) = s.file {
            o.str("fuid", &f.fuid);
            if let Some(m) = &f.mime_type {
                o.str("file_mime_type", m);
            }
            if let Some(n) = &f.filename {
                o.str("file_desc", n);
            }
        }
        o.str_array("listed", &listed.iter().collect::<Vec<_>>());
        o.str("severity", severity.name());
        o.int("confidence", confidence);
        if !tags.is_empty() {
            o.str_array("tags", &tags.iter().collect::<Vec<_>>());
        }
        if !refs.is_empty() {
            o.str_array("references", &refs.iter().collect::<Vec<_>>());
        }
        if let Some(t) = &technique_id {
            o.str("technique", t);
        }
        o.str("community_id", &cid);
        o.end();
        self.out.intel_lines.push(line);

        // One alert per (originator, responder, indicator) and hour of packet time: a host
        // polling a listed server every minute is one finding, not sixty (intel.log keeps every
        // sighting with its uid). Zeek's notices are suppressed for an hour by default too.
        let key = (ctx.orig_h, ctx.resp_h, hits[0]);
        match self.alerted.get_mut(&key) {
            Some(last) if ctx.ts_ns.saturating_sub(*last) < ALERT_REPEAT_NS => {
                self.stats.alerts_repeated += 1;
                return;
            }
            Some(last) => *last = ctx.ts_ns,
            None => {
                self.alerted.insert(key, ctx.ts_ns);
                self.alerted_order.push_back(key);
                if self.alerted_order.len() > MAX_ALERTED {
                    if let Some(old) = self.alerted_order.pop_front() {
                        self.alerted.remove(&old);
                        self.stats.alert_dedup_evicted += 1;
                    }
                }
            }
        }
        let technique: Option<Technique> =
            technique_id.as_deref().and_then(alert::technique).copied();
        let score = score(severity, confidence);
        let feeds = sources.iter().copied().collect::<Vec<_>>().join(", ");
        let tag_text = if tags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", tags.iter().copied().collect::<Vec<_>>().join(", "))
        };
        let mut evidence = vec![
            ("indicator", Evidence::Str(shown.clone())),
            (
                "indicator_type",
                Evidence::Str(s.seen_type.zeek_name().to_string()),
            ),
            ("where", Evidence::Str(s.where_.to_string())),
            ("listed", Evidence::List(listed.iter().cloned().collect())),
            (
                "sources",
                Evidence::List(sources.iter().map(|s| s.to_string()).collect()),
            ),
        ];
        if !tags.is_empty() {
            evidence.push((
                "tags",
                Evidence::List(tags.iter().map(|s| s.to_string()).collect()),
            ));
        }
        if !refs.is_empty() {
            evidence.push((
                "references",
                Evidence::List(refs.iter().map(|s| s.to_string()).collect()),
            ));
        }
        if let Some(v) = valid_until {
            evidence.push(("valid_until_ns", Evidence::Int(v)));
        }
        if let Some(f) = s.file {
            evidence.push(("fuid", Evidence::Str(f.fuid.clone())));
        }
        self.stats.alerts += 1;
        let sid = SID_INTEL
            + IndicatorType::ALL
                .iter()
                .position(|&k| k == s.seen_type)
                .unwrap_or(0) as u32;
        self.out.alerts.push((
            Alert {
                ts_ns: ctx.ts_ns,
                detector: "intel",
                family: "threat-intel",
                severity: severity.name(),
                score,
                confidence,
                technique,
                technique_id: if technique.is_none() {
                    technique_id
                } else {
                    None
                },
                src: Some(ctx.orig_h),
                src_port: Some(ctx.orig_p),
                dst: Some(ctx.resp_h),
                dst_port: Some(ctx.resp_p),
                proto: Some(ctx.proto_name()),
                uids: vec![uid],
                community_ids: vec![cid],
                evidence,
                title: format!(
                    "Threat intel: listed {} seen in {}",
                    s.seen_type.zeek_name(),
                    s.where_
                ),
                summary: format!(
                    "{} -> {}:{}: {} ({}) is listed by {}{}",
                    ctx.orig_h, ctx.resp_h, ctx.resp_p, shown, s.where_, feeds, tag_text
                ),
            },
            sid,
        ));
    }
}

fn addr_sighting(ip: IpAddr, where_: &'static str) -> Sighting<'static> {
    Sighting {
        seen: Seen::Addr(ip),
        shown: Shown::Addr(ip),
        seen_type: IndicatorType::Addr,
        where_,
        file: None,
    }
}

/// The value as the feed lists it (`*.evil.com` for a domain listed with its subdomains).
fn listed_value(i: &netloupe_intel::Indicator) -> String {
    if i.subdomains {
        format!("*.{}", i.value)
    } else {
        i.value.to_string()
    }
}

/// 0-100: the severity's weight, scaled by confidence (a certain "high" scores 80, an unsure
/// one 40).
fn score(sev: Severity, confidence: u8) -> u8 {
    let base: u32 = match sev {
        Severity::Info => 20,
        Severity::Low => 40,
        Severity::Medium => 60,
        Severity::High => 80,
        Severity::Critical => 95,
    };
    (base * (50 + u32::from(confidence.min(100)) / 2) / 100) as u8
}

/// The ATT&CK technique a feed's tags imply when it names none: infrastructure for command and
/// control, exfiltration, payload delivery, phishing, scanning, brute force, mining, proxies,
/// DGAs (the tag vocabularies of abuse.ch, MISP and STIX `indicator_types`).
fn infer_technique<'a>(tags: impl Iterator<Item = &'a str>) -> Option<&'static str> {
    let mut best: Option<(u8, &'static str)> = None;
    for t in tags {
        let t = t.to_ascii_lowercase();
        let hit = if t.contains("exfil") {
            Some((9, "T1041"))
        } else if t == "c2"
            || t.contains("c&c")
            || t.contains("botnet_cc")
            || t.contains("command-and-control")
            || t.contains("command and control")
            || t == "cc"
            || t.contains("c2 server")
        {
            Some((8, "T1071"))
        } else if t.contains("dga") {
            Some((7, "T1568.002"))
        } else if t.contains("phish") {
            Some((6, "T1566"))
        } else if t.contains("exploit") {
            Some((5, "T1189"))
        } else if t.contains("payload_delivery")
            || t.contains("malware_download")
            || t.contains("dropper")
            || t.contains("payload delivery")
        {
            Some((5, "T1105"))
        } else if t.contains("brute") {
            Some((4, "T1110"))
        } else if t.contains("scan") {
            Some((3, "T1595"))
        } else if t.contains("miner") || t.contains("mining") {
            Some((3, "T1496"))
        } else if t.contains("proxy") || t == "tor" || t.contains("anonymi") {
            Some((2, "T1090"))
        } else {
            None
        };
        if let Some(h) = hit {
            if best.is_none_or(|b| h.0 > b.0) {
                best = Some(h);
            }
        }
    }
    best.map(|(_, id)| id)
}

/// A name in a DNS answer or certificate that could be listed: letters, digits, `-`, `_`, `.`,
/// with a dot.
fn looks_like_name(s: &str) -> bool {
    s.contains('.')
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b'*')
}

/// The `CN=` of an RFC 2253 distinguished name.
fn common_name(dn: &str) -> Option<&str> {
    dn.split(',')
        .find_map(|part| part.trim().strip_prefix("CN="))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn techniques_from_tags() {
        assert_eq!(
            infer_technique(["Dridex", "botnet_cc"].into_iter()),
            Some("T1071")
        );
        assert_eq!(
            infer_technique(["malware_download"].into_iter()),
            Some("T1105")
        );
        assert_eq!(
            infer_technique(["c2", "exfiltration"].into_iter()),
            Some("T1041")
        );
        assert_eq!(infer_technique(["tlp:white"].into_iter()), None);
    }

    #[test]
    fn scores() {
        assert_eq!(score(Severity::High, 100), 80);
        assert_eq!(score(Severity::High, 0), 40);
        assert_eq!(score(Severity::Medium, 50), 45);
    }

    #[test]
    fn hosts_and_names() {
        assert_eq!(normalize::host_of("evil.com:8080"), "evil.com");
        assert_eq!(normalize::host_of("[2001:db8::1]:80"), "2001:db8::1");
        assert_eq!(normalize::host_of("2001:db8::1"), "2001:db8::1");
        assert_eq!(common_name("CN=*.evil.com,O=X"), Some("*.evil.com"));
        assert!(!looks_like_name("\"v=spf1 include:x\""));
    }
}
