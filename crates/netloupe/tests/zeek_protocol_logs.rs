//! End-to-end fidelity of the protocol logs (dns, http, files, ssl, x509, ssh) against Zeek's
//! baselines, through the binary: capture → decode → flow table → TCP reassembly → detection
//! by content → parser → log writer.
//!
//! Every baseline of `zeek/baseline_index.tsv` with one of those logs has its trace analysed by
//! `netloupe analyze -C` (Zeek's test suite ignores checksums) and also without `-C`; per
//! baseline the run that agrees better is kept (ties go to `-C`) and named when it is the one
//! without. Zeek's rows are matched with our JSON records of the same connection (4-tuple, when
//! the baseline has those columns) by a per-log key (dns trans_id+query, http
//! trans_depth+method+uri, ssh client+server banners, x509 fingerprint+host_cert+client_cert);
//! rows not matched by key take, in a second pass, the remaining record of the connection that
//! agrees on most fields (ssl: one record per connection; files: Zeek's fuids are random, so
//! the hashes, MIME type and sizes decide). Values are compared over the columns both logs
//! have, with the formats normalised (numbers to six decimals, T/F booleans, sets unordered,
//! `-` unset, `(empty)` empty, `\xNN` escapes undone). Not compared: ts and uid (masked in the
//! baselines), fuids (random in Zeek), ssh `direction` (depends on Zeek's `Site::local_nets`),
//! files `analyzers` when the baseline has no hash columns (Zeek ran without hashing; netloupe
//! always hashes).
//!
//! The share reported per log is the share of Zeek's rows for which we produce a record with
//! all compared fields equal; "in scope" leaves out rows of protocols netloupe does not parse
//! (files from SMB/SMTP; certificates inside RDP), as the parser-level
//! tests in crates/proto/tests do. The target is 95% per log; the assertions keep the
//! figures reached when this test was written from regressing.
//!
//! Also compared: quic, smtp, ftp, rdp, smb_mapping, smb_files, dce_rpc, kerberos and dhcp
//! (keys: smtp trans_depth, ftp command+arg, smb_mapping path, smb_files action+name, dce_rpc
//! operation; the others by connection and best agreement). Rows are first paired with records
//! equal on every compared field, then by key, then by agreement. Baselines made with
//! non-default Zeek settings (NON_DEFAULT: FTP logged commands and limits, DHCP limits) are
//! skipped for that log and listed. Zeek quirks: smb FILETIMEs are compared within 4 us (Zeek's
//! double-precision conversion); smb_files rows Zeek logs again once a file has a fuid count
//! against the overall share but not the in-scope one. dhcp.log joins a transaction across
//! connections as Zeek's does (the log writer's `dhcp_join`). Not compared: smtp fuids, ftp fuid, kerberos cert
//! fuids, smb_files fuid, dhcp uids (random in Zeek).
//!
//! A second test checks conn.log's `service` of the QUIC baselines that have a conn.log
//! (`quic,ssl`).

mod common;

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const LOGS: [&str; 15] = [
    "dns",
    "http",
    "files",
    "ssl",
    "x509",
    "ssh",
    "quic",
    "smtp",
    "ftp",
    "rdp",
    "smb_mapping",
    "smb_files",
    "dce_rpc",
    "kerberos",
    "dhcp",
];
const TARGET: f64 = 0.95;
/// Differing records listed per log.
const MAX_LISTED: usize = 40;
const ID: [&str; 4] = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"];

/// (log, floor of the overall share, floor of the in-scope share): the figures reached when the
/// test was written (all-equal records / Zeek records); a change that makes a log agree less
/// fails the test. Raise them as the wiring improves.
const FLOORS: [(&str, f64, f64); 15] = [
    ("dns", 1.0, 1.0),
    ("http", 1.0, 1.0),
    ("files", 1.0, 1.0),
    ("ssl", 1.0, 1.0),
    ("x509", 1.0, 1.0),
    ("ssh", 1.0, 1.0),
    ("quic", 1.0, 1.0),
    ("smtp", 1.0, 1.0),
    // Baselines with non-default FTP settings skipped (NON_DEFAULT).
    ("ftp", 1392.0 / 1393.0, 1392.0 / 1393.0),
    ("rdp", 1.0, 1.0),
    ("smb_mapping", 1.0, 1.0),
    ("smb_files", 84.0 / 86.0, 1.0),
    // mapi.pcap: Zeek logs an unanswered last request with the operation name and rtt of the
    // call before it on the same pipe (its per-pipe state is reused); netloupe logs the
    // request's own operation (EcDoRpc) without rtt. A deliberate difference.
    ("dce_rpc", 16.0 / 17.0, 16.0 / 17.0),
    ("kerberos", 88.0 / 89.0, 88.0 / 89.0),
    // Zeek joins a DHCP transaction across connections; ours is per connection.
    ("dhcp", 1.0, 1.0),
];

/// Baselines made with non-default Zeek settings (the baseline's test script redefines options
/// netloupe has no counterpart for on the command line): `(log, baseline suffix, setting)`.
/// They are skipped for that log and listed in the output.
const NON_DEFAULT: &[(&str, &str, &str)] = &[
    (
        "ftp",
        "ftp-auth-tls",
        "FTP::logged_commands += <init>, AUTH",
    ),
    ("ftp", "ftp-invalid-reply-code", "FTP::logged_commands"),
    ("ftp", "ftp-missing-reply-code", "FTP::logged_commands"),
    (
        "ftp",
        "ftp-missing-space-after-reply-code",
        "FTP::logged_commands",
    ),
    (
        "ftp",
        "ftp-password-pass-command",
        "FTP::logged_commands, FTP::default_capture_password",
    ),
    (
        "ftp",
        "ftp-password-pass-command-hidden",
        "FTP::logged_commands",
    ),
    (
        "ftp",
        "ftp-max-arg-length",
        "FTP::logged_commands, max arg/reply lengths",
    ),
    ("ftp", "ftp-max-command-length", "FTP::logged_commands"),
    (
        "ftp",
        "ftp-max-pending-commands",
        "FTP::logged_commands, FTP::max_pending_commands 5",
    ),
    (
        "ftp",
        "ftp-max-user-length",
        "FTP::max_user_length 4, max_password_length 2, capture_password",
    ),
    (
        "ftp",
        "ftp-multiline-reply",
        "FTP::logged_commands += <init>, USER, PASS",
    ),
    (
        "ftp",
        "ftp-samba-retr",
        "FTP::logged_commands = USER, PASS, RETR",
    ),
    (
        "dhcp",
        "dhcp-prevent-large-msgtypes",
        "DHCP::max_msg_types_per_log 8",
    ),
    (
        "dhcp",
        "dhcp-prevent-large-uids",
        "DHCP::max_uids_per_log 5",
    ),
];

fn non_default(log: &str, baseline: &str) -> Option<&'static str> {
    let test = baseline.rsplit('.').next().unwrap_or("");
    NON_DEFAULT
        .iter()
        .find(|(l, t, _)| *l == log && *t == test)
        .map(|(_, _, s)| *s)
}

/// What is compared for one log.
struct Spec {
    /// Fields our writer emits (crates/proto/src/*/record.rs `write_json`), beside ts/uid/id.
    ours: &'static [&'static str],
    /// Fields that must be equal for a first-pass match (when the baseline has them).
    key: &'static [&'static str],
    /// Fields emitted by both but not compared.
    skip: &'static [&'static str],
    /// The conn.log services that lead to this log (`|`-separated alternatives).
    service: &'static str,
}

fn spec(log: &str) -> Spec {
    match log {
        "dns" => Spec {
            ours: &[
                "proto",
                "trans_id",
                "rtt",
                "query",
                "qclass",
                "qclass_name",
                "qtype",
                "qtype_name",
                "rcode",
                "rcode_name",
                "AA",
                "TC",
                "RD",
                "RA",
                "Z",
                "answers",
                "TTLs",
                "rejected",
                "opcode",
                "opcode_name",
            ],
            key: &["trans_id", "query"],
            skip: &[],
            service: "dns",
        },
        "http" => Spec {
            ours: &[
                "trans_depth",
                "method",
                "host",
                "uri",
                "referrer",
                "version",
                "user_agent",
                "origin",
                "request_body_len",
                "response_body_len",
                "status_code",
                "status_msg",
                "info_code",
                "info_msg",
                "tags",
                "username",
                "proxied",
                "orig_fuids",
                "orig_filenames",
                "orig_mime_types",
                "resp_fuids",
                "resp_filenames",
                "resp_mime_types",
            ],
            key: &["trans_depth", "method", "uri"],
            skip: &["orig_fuids", "resp_fuids"],
            service: "http",
        },
        "files" => Spec {
            ours: &[
                "fuid",
                "source",
                "depth",
                "analyzers",
                "mime_type",
                "filename",
                "duration",
                "is_orig",
                "seen_bytes",
                "total_bytes",
                "missing_bytes",
                "md5",
                "sha1",
                "sha256",
            ],
            key: &[],
            skip: &["fuid"],
            service: "http",
        },
        "ssl" => Spec {
            ours: &[
                "version",
                "cipher",
                "curve",
                "server_name",
                "resumed",
                "last_alert",
                "next_protocol",
                "established",
                "ssl_history",
                "cert_chain_fps",
                "client_cert_chain_fps",
                "sni_matches_cert",
                "ja3",
                "ja3s",
                "ja4",
            ],
            key: &[],
            skip: &[],
            service: "ssl",
        },
        "x509" => Spec {
            ours: &[
                "fingerprint",
                "certificate.version",
                "certificate.serial",
                "certificate.subject",
                "certificate.issuer",
                "certificate.not_valid_before",
                "certificate.not_valid_after",
                "certificate.key_alg",
                "certificate.sig_alg",
                "certificate.key_type",
                "certificate.key_length",
                "certificate.exponent",
                "certificate.curve",
                "san.dns",
                "san.uri",
                "san.email",
                "san.ip",
                "basic_constraints.ca",
                "basic_constraints.path_len",
                "host_cert",
                "client_cert",
                "self_signed",
                "expired",
            ],
            key: &["fingerprint", "host_cert", "client_cert"],
            skip: &[],
            service: "ssl",
        },
        "ssh" => Spec {
            ours: &[
                "version",
                "auth_success",
                "auth_attempts",
                "direction",
                "client",
                "server",
                "cipher_alg",
                "mac_alg",
                "compression_alg",
                "kex_alg",
                "host_key_alg",
                "host_key_fingerprint",
                "hasshVersion",
                "hassh",
                "hasshAlgorithms",
                "hasshServer",
                "hasshServerAlgorithms",
                "cshka",
                "sshka",
            ],
            key: &["client", "server"],
            skip: &["direction"],
            service: "ssh",
        },
        "quic" => Spec {
            ours: &[
                "version",
                "client_initial_dcid",
                "client_scid",
                "server_scid",
                "server_name",
                "client_protocol",
                "history",
            ],
            key: &[],
            skip: &[],
            service: "quic",
        },
        "smtp" => Spec {
            ours: &[
                "trans_depth",
                "helo",
                "mailfrom",
                "rcptto",
                "date",
                "from",
                "to",
                "cc",
                "reply_to",
                "msg_id",
                "in_reply_to",
                "subject",
                "x_originating_ip",
                "first_received",
                "second_received",
                "last_reply",
                "path",
                "user_agent",
                "tls",
                "fuids",
            ],
            key: &["trans_depth"],
            skip: &["fuids"],
            service: "smtp",
        },
        "ftp" => Spec {
            ours: &[
                "user",
                "password",
                "command",
                "arg",
                "mime_type",
                "file_size",
                "reply_code",
                "reply_msg",
                "data_channel.passive",
                "data_channel.orig_h",
                "data_channel.resp_h",
                "data_channel.resp_p",
                "fuid",
            ],
            key: &["command", "arg"],
            skip: &["fuid"],
            service: "ftp",
        },
        "rdp" => Spec {
            ours: &[
                "cookie",
                "result",
                "security_protocol",
                "client_channels",
                "keyboard_layout",
                "client_build",
                "client_name",
                "client_dig_product_id",
                "desktop_width",
                "desktop_height",
                "requested_color_depth",
                "cert_type",
                "cert_count",
                "cert_permanent",
                "encryption_level",
                "encryption_method",
            ],
            key: &[],
            skip: &[],
            service: "rdp",
        },
        "smb_mapping" => Spec {
            ours: &["path", "service", "native_file_system", "share_type"],
            key: &["path"],
            skip: &[],
            service: "smb",
        },
        "smb_files" => Spec {
            ours: &[
                "fuid",
                "action",
                "path",
                "name",
                "size",
                "prev_name",
                "times.modified",
                "times.accessed",
                "times.created",
                "times.changed",
            ],
            key: &["action", "name"],
            skip: &["fuid"],
            service: "smb",
        },
        "dce_rpc" => Spec {
            ours: &["rtt", "named_pipe", "endpoint", "operation"],
            key: &["operation"],
            skip: &[],
            service: "dce_rpc|smb",
        },
        "kerberos" => Spec {
            ours: &[
                "request_type",
                "client",
                "service",
                "success",
                "error_msg",
                "from",
                "till",
                "cipher",
                "forwardable",
                "renewable",
                "client_cert_subject",
                "client_cert_fuid",
                "server_cert_subject",
                "server_cert_fuid",
            ],
            key: &[],
            skip: &["client_cert_fuid", "server_cert_fuid"],
            service: "krb|krb_tcp",
        },
        "dhcp" => Spec {
            ours: &[
                "uids",
                "client_addr",
                "server_addr",
                "mac",
                "host_name",
                "client_fqdn",
                "domain",
                "requested_addr",
                "assigned_addr",
                "lease_time",
                "client_message",
                "server_message",
                "msg_types",
                "duration",
                "circuit_id",
                "agent_remote_id",
                "subscriber_id",
            ],
            key: &[],
            // Zeek's uids are random, ours is the record's uid.
            skip: &["uids"],
            service: "dhcp",
        },
        _ => unreachable!("unknown log {log}"),
    }
}

/// Set-typed columns (compared unordered) of baselines without a `#types` line.
const SET_FIELDS: &[&str] = &["tags", "proxied", "analyzers", "auth", "addl"];

// ---------------------------------------------------------------------------------------------
// Values

fn num_canon(x: f64) -> String {
    format!("{x:.6}")
}

/// Our scalar, in the canonical form it is compared in.
fn scalar_ours(v: &Value) -> String {
    match v {
        Value::String(s) => common::json_unescape_hex(s),
        Value::Number(n) => n.as_f64().map(num_canon).unwrap_or_else(|| n.to_string()),
        Value::Bool(b) => if *b { "T" } else { "F" }.to_string(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// Zeek's raw scalar, in the canonical form of a value like `like` (ours).
fn scalar_zeek(raw: &str, like: &Value) -> String {
    match like {
        Value::Number(_) => raw
            .parse::<f64>()
            .map(num_canon)
            .unwrap_or_else(|_| raw.to_string()),
        Value::Bool(_) => raw.to_string(),
        _ if raw == "(empty)" => String::new(),
        _ => common::zeek_unescape(raw),
    }
}

fn values_equal(field: &str, zraw: &str, unordered: bool, ours: Option<&Value>) -> bool {
    match ours {
        None | Some(Value::Null) => zraw == "-",
        Some(_) if zraw == "-" => false,
        Some(Value::Array(a)) => {
            let like = a
                .first()
                .cloned()
                .unwrap_or_else(|| Value::String(String::new()));
            let mut z: Vec<String> = if zraw == "(empty)" {
                Vec::new()
            } else {
                zraw.split(',').map(|e| scalar_zeek(e, &like)).collect()
            };
            let mut o: Vec<String> = a.iter().map(scalar_ours).collect();
            if unordered {
                z.sort();
                o.sort();
            }
            z == o
        }
        Some(v) => {
            let (z, o) = (scalar_zeek(zraw, v), scalar_ours(v));
            // Zeek converts SMB FILETIMEs to seconds in double precision (`ft / 1e7 -
            // 11644473600`), which is off by up to about two microseconds at today's
            // magnitudes (one ulp near 1.6e9 s in 100 ns units is ~2 us), then prints six
            // decimals; ours is exact to the microsecond.
            if field.starts_with("times.") {
                if let (Ok(a), Some(b)) = (zraw.parse::<f64>(), v.as_f64()) {
                    return (a - b).abs() <= 4e-6;
                }
            }
            // The baselines cut ssh host key fingerprints to 32 base64 characters.
            if field == "host_key_fingerprint" && z.len() == 39 && o.starts_with(&z) {
                return true;
            }
            z == o
        }
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Runs

/// What one run of the binary over a trace produced.
#[derive(Default)]
struct RunOut {
    logs: HashMap<&'static str, Vec<Value>>,
    /// conn.log by 4-tuple: (proto, services).
    conns: HashMap<[String; 4], (String, Vec<String>)>,
    failure: Option<String>,
}

fn id_of(v: &Value) -> [String; 4] {
    ID.map(|f| show(v.get(f)))
}

fn run_trace(trace: &Path, out: &Path, ignore_checksums: bool) -> RunOut {
    let mut cmd = common::netloupe();
    cmd.args(["analyze", "-q"]);
    if ignore_checksums {
        cmd.arg("-C");
    }
    let mut r = RunOut::default();
    match cmd.arg("-o").arg(out).arg(trace).output() {
        Err(e) => r.failure = Some(format!("cannot run: {e}")),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                None => r.failure = Some(format!("killed by a signal: {stderr}")),
                Some(101) => r.failure = Some(format!("panicked: {stderr}")),
                _ if stderr.contains("panicked") => r.failure = Some(format!("panicked: {stderr}")),
                _ => {}
            }
        }
    }
    for log in LOGS {
        r.logs
            .insert(log, common::read_jsonl(&out.join(format!("{log}.log"))));
    }
    for c in common::read_jsonl(&out.join("conn.log")) {
        let services = match c.get("service") {
            Some(Value::Array(a)) => a.iter().map(scalar_ours).collect(),
            Some(Value::String(s)) => s.split(',').map(str::to_string).collect(),
            _ => Vec::new(),
        };
        r.conns.insert(id_of(&c), (show(c.get("proto")), services));
    }
    let _ = std::fs::remove_dir_all(out);
    r
}

// ---------------------------------------------------------------------------------------------
// Comparison

#[derive(Default, Clone)]
struct Outcome {
    zeek: usize,
    matched: usize,
    equal: usize,
    in_scope: usize,
    in_scope_equal: usize,
    /// Our records no Zeek row was matched with.
    extra: Vec<String>,
    per_field: BTreeMap<String, (usize, usize)>,
    /// Zeek columns we do not emit.
    zeek_only: BTreeMap<String, usize>,
    /// Matched records with differing fields.
    diffs: Vec<String>,
    /// Unmatched Zeek rows: (cause, description).
    unmatched: Vec<(String, String)>,
    /// Zeek rows left out of the in-scope share although a record may match, by reason.
    scope_notes: BTreeMap<String, usize>,
}

impl Outcome {
    fn add(&mut self, o: &Outcome) {
        self.zeek += o.zeek;
        self.matched += o.matched;
        self.equal += o.equal;
        self.in_scope += o.in_scope;
        self.in_scope_equal += o.in_scope_equal;
        self.extra.extend(o.extra.iter().cloned());
        for (f, (e, n)) in &o.per_field {
            let t = self.per_field.entry(f.clone()).or_default();
            t.0 += e;
            t.1 += n;
        }
        for (f, n) in &o.zeek_only {
            *self.zeek_only.entry(f.clone()).or_default() += n;
        }
        self.diffs.extend(o.diffs.iter().cloned());
        self.unmatched.extend(o.unmatched.iter().cloned());
        for (f, n) in &o.scope_notes {
            *self.scope_notes.entry(f.clone()).or_default() += n;
        }
    }
}

/// Why a Zeek row is out of scope whatever we produce (none at present: dhcp.log joins a
/// transaction across connections as Zeek's does since 2026-11-28).
fn row_out_of_scope(_log: &str, _z: &HashMap<&str, &str>) -> Option<String> {
    None
}

/// Why a Zeek row found no record, from our conn.log; the flag says "out of scope".
fn unmatched_cause(log: &str, name: &str, z: &HashMap<&str, &str>, run: &RunOut) -> (String, bool) {
    if log == "files" {
        let source = z.get("source").copied().unwrap_or("-");
        if source != "HTTP" {
            return (
                format!("files from {source}: source not analysed (out of scope)"),
                true,
            );
        }
    }
    if log == "smb_files" && z.get("fuid").is_some_and(|f| *f != "-") {
        return (
            "Zeek logs the action again once the file has a fuid (repeat of a row; out of scope)"
                .into(),
            true,
        );
    }
    if log == "x509" && name.contains(".rdp.") {
        return (
            "certificate inside RDP Standard Security, not TLS (out of scope)".into(),
            true,
        );
    }
    let has_id = ID.iter().all(|f| z.contains_key(f));
    if !has_id {
        let n = run.logs.get(if log == "x509" { "ssl" } else { log });
        return match n {
            Some(v) if !v.is_empty() => ("no record with this key in the trace".into(), false),
            _ => (
                format!(
                    "no {} record in the whole trace",
                    if log == "x509" { "ssl" } else { log }
                ),
                false,
            ),
        };
    }
    let id = ID.map(|f| z[f].to_string());
    let Some((_proto, services)) = run.conns.get(&id) else {
        return ("connection missing from our conn.log".into(), false);
    };
    let want = spec(log).service;
    if services.is_empty() {
        return (
            format!("{want} not identified (conn.log has no service)"),
            false,
        );
    }
    if !services.iter().any(|s| want.split('|').any(|w| w == s)) {
        return (
            format!(
                "identified as {} only: no hand-over to {want}",
                services.join(",")
            ),
            false,
        );
    }
    (
        "service identified but no record with this key".into(),
        false,
    )
}

fn compare(name: &str, log: &str, zeek: &common::ZeekLog, run: &RunOut) -> Outcome {
    let sp = spec(log);
    let ours: &[Value] = run.logs.get(log).map(Vec::as_slice).unwrap_or(&[]);
    let mut o = Outcome::default();
    let has_id = ID.iter().all(|f| zeek.col(f).is_some());
    // Zeek lists the hash analyzers of a file only when hashing scripts are loaded (then the
    // baseline has hash columns); netloupe always hashes.
    let no_hashing = log == "files" && zeek.col("md5").is_none() && zeek.col("sha1").is_none();
    let compared: Vec<(usize, &str, bool)> = zeek
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| sp.ours.contains(&f.as_str()) && !sp.skip.contains(&f.as_str()))
        .filter(|(_, f)| !(no_hashing && f.as_str() == "analyzers"))
        .map(|(i, f)| {
            let unordered = match &zeek.types {
                Some(t) => t.get(i).is_some_and(|t| t.starts_with("set[")),
                None => SET_FIELDS.contains(&f.as_str()),
            };
            (i, f.as_str(), unordered)
        })
        .collect();
    for f in &zeek.fields {
        let f = f.as_str();
        if !matches!(f, "ts" | "uid" | "fuid") && !ID.contains(&f) && !sp.ours.contains(&f) {
            *o.zeek_only.entry(f.to_string()).or_default() += zeek.rows.len();
        }
    }
    let key_cols: Vec<(usize, &str, bool)> = compared
        .iter()
        .copied()
        .filter(|(_, f, _)| sp.key.contains(f))
        .collect();
    let same_conn = |row: &[String], v: &Value| {
        !has_id
            || ID
                .iter()
                .all(|f| values_equal(f, &row[zeek.col(f).unwrap()], false, v.get(*f)))
    };
    let score = |row: &[String], v: &Value| {
        compared
            .iter()
            .filter(|(i, f, u)| values_equal(f, &row[*i], *u, v.get(*f)))
            .count()
    };
    let mut used = vec![false; ours.len()];
    let mut pick: Vec<Option<usize>> = vec![None; zeek.rows.len()];
    // First records equal on every compared field, then by key, then the rest by best
    // agreement within the connection (the first pass keeps one differing record from taking,
    // in a run of records with the same key, the counterpart of the next row, and so on).
    for pass in 0..3 {
        let strict = pass < 2;
        for (r, row) in zeek.rows.iter().enumerate() {
            if pick[r].is_some() || (pass == 1 && key_cols.is_empty()) {
                continue;
            }
            let best = (0..ours.len())
                .filter(|&i| !used[i] && same_conn(row, &ours[i]))
                .filter(|&i| pass != 0 || score(row, &ours[i]) == compared.len())
                .filter(|&i| {
                    !strict
                        || key_cols
                            .iter()
                            .all(|(c, f, u)| values_equal(f, &row[*c], *u, ours[i].get(*f)))
                })
                .max_by_key(|&i| (score(row, &ours[i]), std::cmp::Reverse(i)));
            if let Some(i) = best {
                used[i] = true;
                pick[r] = Some(i);
            }
        }
    }
    for (r, row) in zeek.rows.iter().enumerate() {
        o.zeek += 1;
        let zmap: HashMap<&str, &str> = zeek
            .fields
            .iter()
            .map(String::as_str)
            .zip(row.iter().map(String::as_str))
            .collect();
        let g = |f: &str| zmap.get(f).copied().unwrap_or("?");
        let conn = if has_id {
            format!(
                "{}:{} > {}:{}",
                g("id.orig_h"),
                g("id.orig_p"),
                g("id.resp_h"),
                g("id.resp_p")
            )
        } else {
            format!("row {r}")
        };
        let label = label(log, &|f| g(f).to_string());
        let oos = row_out_of_scope(log, &zmap);
        if let Some(n) = &oos {
            *o.scope_notes.entry(n.clone()).or_default() += 1;
        }
        let Some(i) = pick[r] else {
            let (cause, out_of_scope) = unmatched_cause(log, name, &zmap, run);
            if !out_of_scope && oos.is_none() {
                o.in_scope += 1;
            }
            o.unmatched
                .push((cause, format!("{name} {conn} {label}: no record")));
            continue;
        };
        o.matched += 1;
        if oos.is_none() {
            o.in_scope += 1;
        }
        let mut bad = Vec::new();
        for (c, f, u) in &compared {
            let e = o.per_field.entry(f.to_string()).or_default();
            e.1 += 1;
            if values_equal(f, &row[*c], *u, ours[i].get(*f)) {
                e.0 += 1;
            } else {
                bad.push(format!(
                    "{f}: zeek={} ours={}",
                    row[*c],
                    show(ours[i].get(*f))
                ));
            }
        }
        if bad.is_empty() {
            o.equal += 1;
            if oos.is_none() {
                o.in_scope_equal += 1;
            }
        } else {
            let note = if oos.is_some() {
                " [out of scope: joined across connections]"
            } else {
                ""
            };
            o.diffs
                .push(format!("{name} {conn} {label}: {}{note}", bad.join("; ")));
        }
    }
    for (i, v) in ours.iter().enumerate().filter(|(i, _)| !used[*i]) {
        o.extra.push(format!(
            "{name} {}:{} > {}:{} {} (our record #{i})",
            show(v.get("id.orig_h")),
            show(v.get("id.orig_p")),
            show(v.get("id.resp_h")),
            show(v.get("id.resp_p")),
            label(log, &|f| show(v.get(f)))
        ));
    }
    o
}

/// What identifies a record of `log` in the listings (`g` gives a field's value).
fn label(log: &str, g: &dyn Fn(&str) -> String) -> String {
    match log {
        "dns" => format!("trans_id={} query={}", g("trans_id"), g("query")),
        "http" => format!("#{} {} {}", g("trans_depth"), g("method"), g("uri")),
        "files" => format!("{} seen_bytes={}", g("mime_type"), g("seen_bytes")),
        "ssl" => format!("{} sni={}", g("version"), g("server_name")),
        "x509" => g("fingerprint").chars().take(16).collect(),
        "ssh" => format!("client={} server={}", g("client"), g("server")),
        "quic" => format!(
            "{} sni={} history={}",
            g("version"),
            g("server_name"),
            g("history")
        ),
        "smtp" => format!("#{} from={}", g("trans_depth"), g("mailfrom")),
        "ftp" => format!("{} {}", g("command"), g("arg")),
        "rdp" => format!("cookie={} result={}", g("cookie"), g("result")),
        "smb_mapping" => g("path"),
        "smb_files" => format!("{} {}", g("action"), g("name")),
        "dce_rpc" => format!("{} {}", g("endpoint"), g("operation")),
        "kerberos" => format!("{} {} {}", g("request_type"), g("client"), g("service")),
        "dhcp" => format!("mac={} msg_types={}", g("mac"), g("msg_types")),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        100.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

#[test]
fn protocol_logs_agree_with_zeek() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let zeek = corpus.join("zeek");
    let Some(index) = common::baseline_index(&zeek) else {
        return;
    };
    // Baselines with at least one of our logs, and their traces.
    let mut baselines: Vec<(String, PathBuf, Vec<&'static str>)> = Vec::new();
    let mut skipped = Vec::new();
    for e in &index {
        let name = e.dir.trim_start_matches("Baseline/");
        let logs: Vec<&'static str> = LOGS
            .iter()
            .copied()
            .filter(|l| e.logs.iter().any(|x| *x == format!("{l}.log")))
            .filter(|l| match non_default(l, name) {
                Some(why) => {
                    skipped.push(format!("{name} ({l}.log): non-default Zeek setting {why}"));
                    false
                }
                None => true,
            })
            .collect();
        for x in &e.logs {
            if x.ends_with(".dhcp.log") {
                skipped.push(format!(
                    "{name} ({x}): cluster test, log written by the manager node"
                ));
            }
        }
        if logs.is_empty() {
            continue;
        }
        let trace = zeek.join(&e.trace);
        if !trace.is_file() {
            println!("skipping {}: trace {} missing", e.dir, e.trace);
            continue;
        }
        baselines.push((e.dir.clone(), trace, logs));
    }
    if baselines.is_empty() {
        println!("skipping: no baseline with a protocol log");
        return;
    }
    let mut traces: Vec<PathBuf> = baselines.iter().map(|b| b.1.clone()).collect();
    traces.sort();
    traces.dedup();

    // Every trace with and without -C, two workers.
    let out_root = common::tmp_dir("zeek-protocol-logs");
    let jobs: Vec<(usize, bool)> = (0..traces.len())
        .flat_map(|i| [(i, true), (i, false)])
        .collect();
    let results: Mutex<HashMap<(usize, bool), RunOut>> = Mutex::new(HashMap::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let j = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(i, c)) = jobs.get(j) else {
                    break;
                };
                let out = out_root.join(format!("{i}-{}", if c { "C" } else { "checked" }));
                let r = run_trace(&traces[i], &out, c);
                results.lock().unwrap().insert((i, c), r);
            });
        }
    });
    let results = results.into_inner().unwrap();
    let _ = std::fs::remove_dir_all(&out_root);
    let failures: Vec<String> = results
        .iter()
        .filter_map(|((i, c), r)| {
            r.failure
                .as_ref()
                .map(|f| format!("{} (-C {c}): {f}", traces[*i].display()))
        })
        .collect();

    let mut totals: BTreeMap<&'static str, Outcome> = BTreeMap::new();
    let mut read_with_checksums = Vec::new();
    for (dir, trace, logs) in &baselines {
        let name = dir.trim_start_matches("Baseline/");
        let ti = traces.binary_search(trace).unwrap();
        let zlogs: Vec<(&'static str, common::ZeekLog)> = logs
            .iter()
            .filter_map(|l| {
                let z = common::read_zeek_log(&zeek.join(dir).join(format!("{l}.log")));
                if z.is_none() {
                    println!("skipping {dir}/{l}.log: unreadable");
                }
                z.map(|z| (*l, z))
            })
            .collect();
        let outcomes = |c: bool| -> Vec<(&'static str, Outcome)> {
            zlogs
                .iter()
                .map(|(l, z)| (*l, compare(name, l, z, &results[&(ti, c)])))
                .collect()
        };
        let with_c = outcomes(true);
        let without = outcomes(false);
        let good = |v: &[(&str, Outcome)]| v.iter().map(|(_, o)| o.equal).sum::<usize>();
        let chosen = if good(&without) > good(&with_c) {
            read_with_checksums.push(format!(
                "{name}: agrees better without -C ({} vs {} records equal); kept",
                good(&without),
                good(&with_c)
            ));
            without
        } else {
            with_c
        };
        for (l, o) in chosen {
            totals.entry(l).or_default().add(&o);
        }
    }

    println!(
        "\nZeek protocol logs, end to end ({} baselines, {} traces, each run with -C and without):",
        baselines.len(),
        traces.len()
    );
    for r in &read_with_checksums {
        println!("  {r}");
    }
    for r in &skipped {
        println!("  skipped {r}");
    }
    println!(
        "\n{:11} {:>6} {:>8} {:>10} {:>7}   {:>8} {:>10} {:>7}   {:>6}",
        "log", "zeek", "matched", "all-equal", "share", "in-scope", "all-equal", "share", "extra"
    );
    for l in LOGS {
        let o = totals.get(l).cloned().unwrap_or_default();
        println!(
            "{:11} {:>6} {:>8} {:>10} {:>6.1}%   {:>8} {:>10} {:>6.1}%   {:>6}",
            l,
            o.zeek,
            o.matched,
            o.equal,
            pct(o.equal, o.zeek),
            o.in_scope,
            o.in_scope_equal,
            pct(o.in_scope_equal, o.in_scope),
            o.extra.len()
        );
    }
    println!(
        "(share: Zeek records we produce with every compared field equal; in-scope leaves out"
    );
    println!(" SMB/SMTP files, RDP certificates; extra: our records no Zeek row took)");
    let below: Vec<String> = LOGS
        .iter()
        .filter_map(|l| {
            let o = totals.get(l)?;
            let s = o.equal as f64 / o.zeek.max(1) as f64;
            (s < TARGET).then(|| {
                format!(
                    "{l} {:.1}% (in scope {:.1}%)",
                    100.0 * s,
                    pct(o.in_scope_equal, o.in_scope)
                )
            })
        })
        .collect();
    if below.is_empty() {
        println!("\nevery log reaches the {:.0}% target", TARGET * 100.0);
    } else {
        println!(
            "\nBELOW THE {:.0}% TARGET: {}",
            TARGET * 100.0,
            below.join(", ")
        );
    }

    for l in LOGS {
        let Some(o) = totals.get(l) else {
            continue;
        };
        println!("\n== {l}.log: per-field agreement over matched records");
        for (f, (e, n)) in &o.per_field {
            println!("  {f:28} {e:>4}/{n:<4} {:>6.1}%", pct(*e, *n));
        }
        if !o.zeek_only.is_empty() {
            let v: Vec<String> = o.zeek_only.keys().cloned().collect();
            println!("  Zeek columns we do not emit: {}", v.join(", "));
        }
        let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
        for (c, _) in &o.unmatched {
            *causes.entry(c.as_str()).or_default() += 1;
        }
        for (c, n) in &o.scope_notes {
            println!("  out of scope ({n} Zeek rows): {c}");
        }
        if !causes.is_empty() {
            println!("  Zeek records without a counterpart, by cause:");
            for (c, n) in &causes {
                println!("    {n:>4}  {c}");
            }
        }
        let listed: Vec<String> = o
            .diffs
            .iter()
            .cloned()
            .chain(o.unmatched.iter().map(|(c, d)| format!("{d} [{c}]")))
            .collect();
        if !listed.is_empty() {
            println!(
                "  differing records ({}, first {} listed):",
                listed.len(),
                MAX_LISTED.min(listed.len())
            );
            for d in listed.iter().take(MAX_LISTED) {
                println!("    {d}");
            }
        }
        if !o.extra.is_empty() {
            println!(
                "  our records no Zeek row took ({}, first {} listed):",
                o.extra.len(),
                MAX_LISTED.min(o.extra.len())
            );
            for d in o.extra.iter().take(MAX_LISTED) {
                println!("    {d}");
            }
        }
    }

    assert!(failures.is_empty(), "runs failed: {failures:#?}");
    let mut regressions = Vec::new();
    for (l, floor, floor_in_scope) in FLOORS {
        let o = totals.get(l).cloned().unwrap_or_default();
        if o.zeek == 0 {
            continue;
        }
        let s = o.equal as f64 / o.zeek as f64;
        let si = o.in_scope_equal as f64 / o.in_scope.max(1) as f64;
        if s + 1e-9 < floor || si + 1e-9 < floor_in_scope {
            regressions.push(format!(
                "{l}: {s:.3} (floor {floor}), in scope {si:.3} (floor {floor_in_scope})"
            ));
        }
    }
    assert!(
        regressions.is_empty(),
        "agreement with Zeek regressed: {regressions:#?}"
    );
}

/// conn.log's `service` of the QUIC baselines that have a conn.log (`dpd-custom-port`,
/// `dpd-v2-custom-port`: one connection each on port 4433): Zeek lists `quic,ssl`, its QUIC
/// analyzer having handed the Initial hellos to its SSL analyzer; ours must list the same.
#[test]
fn quic_conn_service_lists_ssl_as_zeek() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let zeek = corpus.join("zeek");
    let Some(index) = common::baseline_index(&zeek) else {
        return;
    };
    let mut checked = 0;
    for e in index.iter().filter(|e| {
        e.dir.starts_with("Baseline/scripts.base.protocols.quic.")
            && e.logs.iter().any(|l| l == "conn.log")
    }) {
        let Some(log) = common::read_zeek_log(&zeek.join(&e.dir).join("conn.log")) else {
            continue;
        };
        let Some(col) = log.col("service") else {
            continue;
        };
        let mut want: Vec<String> = log.rows.iter().map(|r| r[col].clone()).collect();
        let out = common::tmp_dir(&format!("quic-conn-{checked}"));
        let status = common::netloupe()
            .args(["analyze", "-q", "-C", "-o"])
            .arg(&out)
            .arg(zeek.join(&e.trace))
            .status()
            .expect("run netloupe");
        assert!(status.success() || status.code() == Some(3), "{}", e.trace);
        let mut ours: Vec<String> = common::read_jsonl(&out.join("conn.log"))
            .iter()
            .map(|c| show(c.get("service")))
            .collect();
        let _ = std::fs::remove_dir_all(&out);
        want.sort();
        ours.sort();
        println!("{}: Zeek {want:?}, ours {ours:?}", e.dir);
        assert_eq!(ours, want, "{}", e.dir);
        checked += 1;
    }
    println!("QUIC baselines with a conn.log checked: {checked}");
}
