//! netloupe: the command-line front end. A thin layer over `netloupe-engine`: parse options,
//! show progress, run, print a summary, choose the exit code.

#![forbid(unsafe_code)]

mod intel_cli;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netloupe_engine::{EngineConfig, RunOutcome};
use netloupe_output::LogFormat;
use netloupe_proto::FileHashes;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

// Per-message allocation in parsers and records made glibc's malloc/free ~15% of the inspection
// profile; mimalloc's thread-local free lists cut that roughly in half (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes (also listed in `netloupe analyze --help`).
const EXIT_OK: u8 = 0;
const EXIT_USAGE_OR_OUTPUT: u8 = 1;
const EXIT_NO_INPUT: u8 = 2;
const EXIT_DAMAGED_INPUT: u8 = 3;

#[derive(Parser)]
#[command(
    name = "netloupe",
    version,
    about = "Network traffic analysis: every packet, every conversation."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse capture files and write Zeek-compatible logs.
    #[command(after_help = "\
OUTPUT (in OUTDIR):
  conn.log     one JSON object per connection, Zeek conn.log field names, plus community_id
  weird.log    decoding anomalies (Zeek weird.log field names)
  stats.json   packet accounting (read = to_flows + arp + non_ip + fragments_held + dropped),
               anomaly counts, flow-table, defragmentation and tunnel counters, timing
  zeek/*.log   the same logs in Zeek's TSV layout, with --format zeek-tsv
  eve.json     Suricata EVE JSON events (flow, dns, http, tls, quic, ssh, smb, dcerpc, krb5,
               rdp, dhcp, smtp, ftp, ldap, anomaly, alert), with --format eve
  intel.log    threat-intelligence sightings (Zeek intel.log fields), with --intel/--config
  alerts.log   one alert per finding (detector, ATT&CK technique, score, evidence, uids)

EXIT CODES:
  0  success (a capture that merely ends mid-record is reported as a warning)
  1  bad usage, or the output could not be written
  2  no input could be read (missing file, not a capture, empty)
  3  some input is damaged; everything read before the damage was analysed and written")]
    Analyze(AnalyzeArgs),
    /// Threat-intelligence feeds: validate them, or look a value up in them.
    #[command(subcommand)]
    Intel(intel_cli::IntelCommand),
    /// Write a small demonstration capture made by netloupe itself and analyse it.
    Demo {
        /// Where to write the capture and the logs.
        #[arg(short, long, default_value = "netloupe-demo")]
        out: PathBuf,
    },
    /// Write the demonstration capture to FILE (how testdata/demo.pcap was made).
    #[command(hide = true)]
    WriteDemoPcap { file: PathBuf },
    /// Write a capture with N concurrent idle TCP flows (for the memory benchmark).
    #[command(hide = true)]
    WriteManyFlowsPcap { file: PathBuf, flows: u32 },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FormatArg {
    /// JSON lines with Zeek field names (always written).
    Json,
    /// Also Zeek's tab-separated layout under OUTDIR/zeek/ (for zeek-cut, RITA, ...).
    ZeekTsv,
    /// Also Suricata's EVE JSON (flow, dns, http, tls, quic, ssh, smb, dcerpc, krb5, rdp, dhcp, smtp, ftp, ldap, anomaly events) in OUTDIR/eve.json.
    Eve,
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Capture files (pcap or pcapng, optionally gzip-compressed); `-` reads standard input.
    /// Several files are merged into one stream in timestamp order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Output directory (created if missing; logs in it are replaced).
    #[arg(short, long, value_name = "OUTDIR", default_value = "netloupe-out")]
    out: PathBuf,
    /// Flow-tracking threads. Flows are sharded by a symmetric hash of their 5-tuple; the
    /// records are the same for any value.
    #[arg(short, long, default_value_t = 1, value_name = "N")]
    threads: usize,
    /// Extra log formats to write besides JSON lines.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Vec<FormatArg>,
    /// Seed of the Community ID flow hashes (conn.log and eve.json); tools that correlate
    /// flows by it must use the same seed.
    #[arg(long, default_value_t = 0, value_name = "N")]
    community_id_seed: u16,
    /// Format version of eve.json's dns events: 3 (Suricata 8's default: request/response
    /// events with query and answer lists) or 2 (Suricata 7's: query/answer events).
    #[arg(
        long,
        default_value_t = 3,
        value_name = "2|3",
        value_parser = clap::value_parser!(u8).range(2..=3)
    )]
    eve_dns_version: u8,
    /// Do not verify IP/TCP/UDP/ICMP checksums (for captures taken with checksum offload;
    /// like `zeek -C`).
    #[arg(short = 'C', long)]
    no_checksums: bool,
    /// Maximum flows tracked at once; beyond it the longest-idle are ended early (counted as
    /// evictions in stats.json).
    #[arg(long, default_value_t = 4_000_000, value_name = "N")]
    max_flows: usize,
    /// TCP inactivity timeout in seconds (Zeek: 300).
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    tcp_timeout: f64,
    /// UDP inactivity timeout in seconds (Zeek: 60).
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    udp_timeout: f64,
    /// ICMP and other-protocol inactivity timeout in seconds (Zeek: 60).
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    icmp_timeout: f64,
    /// Report and restart flows active longer than this many seconds (0: never, as Zeek).
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    active_timeout: f64,
    /// Memory cap for IP fragments awaiting reassembly, in bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    defrag_max_bytes: usize,
    /// Fragments of a datagram not complete within this many seconds are dropped (counted).
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    defrag_timeout: f64,
    /// Track connections only: no stream reassembly, protocol identification or protocol logs
    /// (conn.log and weird.log only; the fastest mode).
    #[arg(long)]
    conn_only: bool,
    /// Digests computed for every file (HTTP bodies) in files.log: a comma-separated list of
    /// md5, sha1, sha256, or `all` / `none`. Hashing is the costliest part of inspection on
    /// traffic with large bodies; Zeek's hash-all-files policy computes all three.
    #[arg(long, default_value = "all", value_name = "LIST", value_parser = FileHashes::parse)]
    file_hashes: FileHashes,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long)]
    no_progress: bool,
    /// No end-of-run summary on stderr.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    intel: intel_cli::IntelArgs,
}

fn secs(s: f64) -> i64 {
    (s.max(0.0) * 1e9) as i64
}

fn main() -> ExitCode {
    // clap exits with 2 on usage errors; netloupe documents 2 as "no input could be read".
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_USAGE_OR_OUTPUT
            } else {
                EXIT_OK
            });
        }
    };
    match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Intel(cmd) => ExitCode::from(intel_cli::run(cmd)),
        Command::Demo { out } => demo(out),
        Command::WriteDemoPcap { file } => match netloupe_engine::synth::write_demo_pcap(&file) {
            Ok(()) => ExitCode::from(EXIT_OK),
            Err(e) => fail(&format!("cannot write {}: {e}", file.display())),
        },
        Command::WriteManyFlowsPcap { file, flows } => {
            match netloupe_engine::synth::write_many_flows_pcap(&file, flows) {
                Ok(()) => ExitCode::from(EXIT_OK),
                Err(e) => fail(&format!("cannot write {}: {e}", file.display())),
            }
        }
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("netloupe: error: {msg}");
    ExitCode::from(EXIT_USAGE_OR_OUTPUT)
}

fn demo(out: PathBuf) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(&out) {
        return fail(&format!("cannot create {}: {e}", out.display()));
    }
    let pcap = out.join("demo.pcap");
    if let Err(e) = netloupe_engine::synth::write_demo_pcap(&pcap) {
        return fail(&format!("cannot write {}: {e}", pcap.display()));
    }
    eprintln!("netloupe: wrote demonstration capture {}", pcap.display());
    analyze(AnalyzeArgs {
        files: vec![pcap],
        out,
        threads: 1,
        format: vec![],
        community_id_seed: 0,
        eve_dns_version: 3,
        no_checksums: false,
        max_flows: 4_000_000,
        tcp_timeout: 300.0,
        udp_timeout: 60.0,
        icmp_timeout: 60.0,
        active_timeout: 0.0,
        defrag_max_bytes: 64 << 20,
        defrag_timeout: 60.0,
        conn_only: false,
        file_hashes: FileHashes::ALL,
        no_progress: false,
        quiet: false,
        intel: intel_cli::IntelArgs::default(),
    })
}

fn analyze(a: AnalyzeArgs) -> ExitCode {
    if a.threads == 0 {
        return fail("--threads must be at least 1");
    }
    let mut cfg = EngineConfig {
        inputs: a.files.clone(),
        out_dir: a.out.clone(),
        threads: a.threads,
        ..Default::default()
    };
    cfg.decode.verify_checksums = !a.no_checksums;
    cfg.flow.community_id_seed = a.community_id_seed;
    cfg.eve_dns_version = a.eve_dns_version;
    cfg.decode.defrag.max_bytes = a.defrag_max_bytes;
    cfg.decode.defrag.timeout_ns = secs(a.defrag_timeout);
    cfg.flow.max_flows = a.max_flows.max(1);
    cfg.flow.tcp_inactivity_ns = secs(a.tcp_timeout);
    cfg.flow.udp_inactivity_ns = secs(a.udp_timeout);
    cfg.flow.icmp_inactivity_ns = secs(a.icmp_timeout);
    cfg.flow.other_inactivity_ns = secs(a.icmp_timeout);
    cfg.flow.active_timeout_ns = secs(a.active_timeout);
    cfg.flow.app.enabled = !a.conn_only;
    cfg.flow.app.parsers.file_hashes = a.file_hashes;
    if a.format.contains(&FormatArg::ZeekTsv) {
        cfg.formats.push(LogFormat::ZeekTsv);
    }
    if a.format.contains(&FormatArg::Eve) {
        cfg.formats.push(LogFormat::Eve);
    }

    let intel_cfg = match intel_cli::intel_config(&a.intel, &[]) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let intel = match intel_cli::start(intel_cfg, a.quiet) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    if let Some(i) = &intel {
        cfg.intel = Some(i.set.clone());
        cfg.intel_updates = Some(i.updates.clone());
    }

    let show_bar = !a.no_progress && !a.quiet && std::io::stderr().is_terminal();
    let bar = if show_bar { Some(new_bar()) } else { None };
    let started = std::time::Instant::now();
    let progress = |done: u64, total: Option<u64>, packets: u64| {
        if let Some(b) = &bar {
            if let Some(t) = total {
                b.set_length(t);
            }
            b.set_position(done);
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            b.set_message(format!(
                "{packets} packets, {:.0} packets/s",
                packets as f64 / secs
            ));
        }
    };
    let result = netloupe_engine::run(&cfg, if show_bar { Some(&progress) } else { None });
    if let Some(i) = intel {
        i.reloader.stop();
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let outcome = match result {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    for e in &outcome.input_errors {
        let level = if e.is_truncation() {
            "warning"
        } else {
            "error"
        };
        eprintln!("netloupe: {level}: {e}");
    }
    if !a.quiet {
        print_summary(&outcome, &cfg);
    }
    if outcome.nothing_readable() {
        ExitCode::from(EXIT_NO_INPUT)
    } else if outcome.damaged_input() {
        ExitCode::from(EXIT_DAMAGED_INPUT)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

fn new_bar() -> ProgressBar {
    let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    b
}

fn print_summary(o: &RunOutcome, cfg: &EngineConfig) {
    let s = &o.stats;
    let rate = if s.elapsed_s > 0.0 {
        s.packets_read as f64 / s.elapsed_s
    } else {
        0.0
    };
    let gbps = if s.elapsed_s > 0.0 {
        s.bytes_captured as f64 * 8.0 / s.elapsed_s / 1e9
    } else {
        0.0
    };
    eprintln!(
        "netloupe: {} packets ({}) from {} file(s) in {:.2} s: {:.0} packets/s, {:.3} Gbit/s, {} thread(s)",
        s.packets_read,
        human_bytes(s.bytes_captured),
        s.inputs.len(),
        s.elapsed_s,
        rate,
        gbps,
        s.threads
    );
    let protos: Vec<String> = s.by_proto.iter().map(|(p, n)| format!("{p} {n}")).collect();
    eprintln!(
        "  flows: {} conn records ({}); peak {} concurrent; {} evicted (table full)",
        s.conn_records,
        if protos.is_empty() {
            "none".to_string()
        } else {
            protos.join(", ")
        },
        s.flow.peak_flows,
        s.flow.flows_evicted
    );
    let non_ip: u64 = s.non_ip.values().sum();
    let dropped: u64 = s.dropped.values().sum();
    eprintln!(
        "  packets: {} to flows, {} ARP, {} non-IP, {} fragments held, {} dropped{}",
        s.to_flows,
        s.arp,
        non_ip,
        s.fragments_held,
        dropped,
        if s.accounted() == s.packets_read {
            ""
        } else {
            " (ACCOUNTING MISMATCH: please report)"
        }
    );
    if !s.dropped.is_empty() {
        eprintln!(
            "  dropped: {}",
            top_n(s.dropped.iter().map(|(k, v)| (k.to_string(), *v)), 6)
        );
    }
    if !s.top_ports.is_empty() {
        eprintln!(
            "  top responder ports: {}",
            top_n(s.top_ports.iter().cloned(), 8)
        );
    }
    if !s.anomalies.is_empty() {
        eprintln!(
            "  anomalies: {}",
            top_n(s.anomalies.iter().map(|(k, v)| (k.to_string(), *v)), 8)
        );
    }
    if !s.app_records.is_empty() {
        let logs: Vec<String> = s
            .app_records
            .iter()
            .map(|(k, v)| format!("{k}.log {v}"))
            .collect();
        eprintln!("  protocol logs: {}", logs.join(", "));
    }
    if let Some((st, set)) = &s.intel {
        eprintln!(
            "  intel: {} indicators from {} feed(s); {} lookups, {} sightings (intel.log), {} alerts (alerts.log){}",
            set.len(),
            set.feeds().len(),
            st.lookups,
            st.hits_by_where.values().sum::<u64>(),
            st.alerts,
            if st.reloads > 0 {
                format!("; reloaded {} time(s)", st.reloads)
            } else {
                String::new()
            }
        );
    }
    eprintln!(
        "  output: {} (conn.log, weird.log, stats.json, and protocol logs)",
        cfg.out_dir.display()
    );
}

fn top_n(items: impl Iterator<Item = (String, u64)>, n: usize) -> String {
    let mut v: Vec<(String, u64)> = items.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let more = v.len().saturating_sub(n);
    let mut s: Vec<String> = v
        .into_iter()
        .take(n)
        .map(|(k, c)| format!("{k} {c}"))
        .collect();
    if more > 0 {
        s.push(format!("+{more} more"));
    }
    s.join(", ")
}

fn human_bytes(b: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}
