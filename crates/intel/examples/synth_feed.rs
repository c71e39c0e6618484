//! Writes a large synthetic Zeek intel file for the intel benchmark (scripts/bench.sh):
//! `synth_feed COUNT OUT [REAL_VALUES_FILE]`.
//!
//! The mix follows what large real feed collections hold: 40% IPv4 and 5% IPv6 addresses, 3%
//! CIDR blocks, 25% domains (a fifth with their subdomains), 12% URLs, 10% digests (file MD5,
//! SHA-1, SHA-256, certificate SHA-1, JA3), 3% e-mail addresses, 2% JA4, and 100 user-agent
//! substrings. Values are pseudo-random but reproducible (fixed seed). Lines of
//! REAL_VALUES_FILE (`type<TAB>value`, e.g. addresses taken from the benchmark capture's
//! conn.log) are added so that the benchmark also exercises the hit path.

use std::fmt::Write as _;
use std::io::Write as _;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: reproducible, no dependency.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }
    fn word(&mut self) -> String {
        const SYL: &[&str] = &[
            "ka", "lo", "mi", "ne", "ro", "ta", "vu", "ze", "qui", "dor", "fen", "gal", "hex",
            "jin", "pax", "sol", "tor", "vex", "wyn", "zor",
        ];
        let n = 2 + self.below(3);
        (0..n)
            .map(|_| SYL[self.below(SYL.len() as u64) as usize])
            .collect()
    }
}

const TLDS: &[&str] = &[
    "com", "net", "org", "info", "xyz", "top", "ru", "cn", "io", "biz",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: synth_feed COUNT OUT [REAL_VALUES_FILE]");
        std::process::exit(1);
    }
    let count: u64 = args[1].parse().expect("COUNT is a number");
    let out = std::fs::File::create(&args[2]).expect("OUT can be created");
    let mut w = std::io::BufWriter::new(out);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    writeln!(
        w,
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url"
    )
    .unwrap();
    let sources = [
        "feodo",
        "urlhaus",
        "threatfox",
        "misp-community",
        "internal-hunt",
    ];
    let mut line = String::new();
    for i in 0..count {
        line.clear();
        let r = rng.below(100);
        let (value, kind) = if r < 40 {
            let a = rng.next();
            (
                format!(
                    "{}.{}.{}.{}",
                    1 + (a >> 8) % 223,
                    (a >> 16) & 255,
                    (a >> 24) & 255,
                    a & 255
                ),
                "Intel::ADDR",
            )
        } else if r < 45 {
            let a = rng.next();
            (
                format!(
                    "2001:db8:{:x}:{:x}::{:x}",
                    a & 0xffff,
                    (a >> 16) & 0xffff,
                    (a >> 32) & 0xffff
                ),
                "Intel::ADDR",
            )
        } else if r < 48 {
            let a = rng.next();
            let len = 16 + rng.below(13);
            (
                format!(
                    "{}.{}.{}.0/{len}",
                    1 + (a >> 8) % 223,
                    (a >> 16) & 255,
                    (a >> 24) & 255
                ),
                "Intel::SUBNET",
            )
        } else if r < 73 {
            let d = format!(
                "{}{i:x}.{}",
                rng.word(),
                TLDS[rng.below(TLDS.len() as u64) as usize]
            );
            let d = if rng.below(5) == 0 {
                format!("*.{d}")
            } else {
                d
            };
            (d, "Intel::DOMAIN")
        } else if r < 85 {
            (
                format!(
                    "http://{}{i:x}.{}/{}/{}.php?id={}",
                    rng.word(),
                    TLDS[rng.below(TLDS.len() as u64) as usize],
                    rng.word(),
                    rng.word(),
                    rng.below(100_000)
                ),
                "Intel::URL",
            )
        } else if r < 95 {
            match rng.below(5) {
                0 => (rng.hex(32), "Intel::FILE_HASH"),
                1 => (rng.hex(40), "Intel::FILE_HASH"),
                2 => (rng.hex(64), "Intel::FILE_HASH"),
                3 => (rng.hex(40), "Intel::CERT_HASH"),
                _ => (rng.hex(32), "Intel::JA3"),
            }
        } else if r < 98 {
            (
                format!(
                    "{}{i:x}@{}.{}",
                    rng.word(),
                    rng.word(),
                    TLDS[rng.below(TLDS.len() as u64) as usize]
                ),
                "Intel::EMAIL",
            )
        } else {
            (
                format!(
                    "t13d{:02}{:02}h2_{}_{}",
                    rng.below(99),
                    rng.below(99),
                    rng.hex(12),
                    rng.hex(12)
                ),
                "Intel::JA4",
            )
        };
        let src = sources[(i % sources.len() as u64) as usize];
        let _ = writeln!(line, "{value}\t{kind}\t{src}\tsynthetic indicator {i}\t-");
        w.write_all(line.as_bytes()).unwrap();
    }
    for i in 0..100 {
        writeln!(
            w,
            "{}Bot/{}.{}\tIntel::SOFTWARE\tinternal-hunt\tsynthetic user agent {i}\t-",
            rng.word(),
            rng.below(10),
            rng.below(10)
        )
        .unwrap();
    }
    if let Some(real) = args.get(3) {
        let text = std::fs::read_to_string(real).expect("REAL_VALUES_FILE is readable");
        for l in text.lines().filter(|l| !l.is_empty()) {
            let (kind, value) = l.split_once('\t').unwrap_or(("Intel::ADDR", l));
            writeln!(
                w,
                "{value}\t{kind}\tbench-real\tvalue seen in the benchmark capture\t-"
            )
            .unwrap();
        }
    }
    w.flush().unwrap();
}
