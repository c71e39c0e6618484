use super::auth::{infer_auth, success_size, EncEvent};
use super::parser::{
    banner_version, frame, negotiated_version, parse_kexinit, Frame, ProtoVersion,
};
use super::*;
use crate::test_util::unhex;
use crate::{AppRecord, Ctx, Direction, SessionParser};

/// TCP payloads of Traces/ssh/ssh_kex_curve25519.pcap (Zeek corpus), frames 4, 6, 8, 9, 12,
/// 14 and 16: banners, KEXINITs, ECDH init, ECDH reply + NEWKEYS + first encrypted packet,
/// client NEWKEYS.
const TRACE: &str = include_str!("testdata/curve25519_kex.txt");

fn frames() -> Vec<(u32, Direction, Vec<u8>)> {
    TRACE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut it = l.split(' ');
            let n = it.next().unwrap().parse().unwrap();
            let d = match it.next().unwrap() {
                "c" => Direction::Orig,
                _ => Direction::Resp,
            };
            (n, d, unhex(it.next().unwrap()))
        })
        .collect()
}

fn frame_bytes(n: u32) -> Vec<u8> {
    frames().into_iter().find(|f| f.0 == n).unwrap().2
}

const T0: i64 = 1_500_000_000_000_000_000;

fn run(chunk: usize) -> SshSession {
    let mut s = SshSession::new();
    let mut out = Vec::new();
    for (n, dir, bytes) in frames() {
        for c in bytes.chunks(chunk) {
            s.data(
                Ctx {
                    ts_ns: T0 + n as i64,
                    dir,
                },
                c,
                &mut out,
            );
        }
    }
    assert!(out.is_empty());
    s
}

#[test]
fn real_key_exchange() {
    let s = run(usize::MAX);
    assert!(s.confirmed() && !s.violated());
    let r = s.record();
    assert_eq!(r.ts_ns, T0 + 4);
    assert_eq!(r.version, Some(2));
    assert_eq!(r.client.as_deref(), Some("SSH-2.0-OpenSSH_7.4"));
    assert_eq!(r.server.as_deref(), Some("SSH-2.0-OpenSSH_7.5"));
    // As Zeek's ssh.log for this trace (scripts.base.protocols.ssh.curve25519_kex).
    assert_eq!(r.kex_alg.as_deref(), Some("curve25519-sha256"));
    assert_eq!(
        r.host_key_alg.as_deref(),
        Some("ssh-ed25519-cert-v01@openssh.com")
    );
    assert_eq!(
        r.cipher_alg.as_deref(),
        Some("chacha20-poly1305@openssh.com")
    );
    assert_eq!(r.mac_alg.as_deref(), Some("hmac-sha2-512-etm@openssh.com"));
    assert_eq!(r.compression_alg.as_deref(), Some("none"));
    assert!(r
        .host_key_fingerprint
        .as_deref()
        .unwrap()
        .starts_with("SHA256:trtjp/Gp6neQFvx/rk16+fmc3q8dWs/0"));
    assert_eq!(r.host_key_fingerprint.as_deref().unwrap().len(), 7 + 43);
    // HASSH computed independently (MD5 of the client's kex;enc;mac;comp lists).
    assert_eq!(r.hassh.as_deref(), Some("0df0d56bb50c6b2426d8d40234bf1826"));
    assert!(r
        .hassh_algorithms
        .as_deref()
        .unwrap()
        .starts_with("curve25519-sha256,"));
    assert_eq!(r.hassh_server.as_ref().map(|h| h.len()), Some(32));
    // The server's EXT_INFO after its NEWKEYS (frame 14), before any client packet: skipped.
    assert_eq!(
        s.encrypted_events(),
        [EncEvent {
            from_client: false,
            len: 172
        }]
    );
    assert_eq!((r.auth_success, r.auth_attempts), (None, 0));
}

#[test]
fn any_chunking_gives_the_same_record() {
    let reference = run(usize::MAX).record();
    for chunk in [1, 2, 3, 5, 7, 64, 500] {
        let s = run(chunk);
        let mut r = s.record();
        // Chunked deliveries change the encrypted event sizes only.
        r.auth_attempts = reference.auth_attempts;
        assert_eq!(r, reference, "chunk {chunk}");
    }
}

#[test]
fn kexinit_prefixes_never_panic() {
    let b = frame_bytes(8);
    let Frame::Packet { payload, used } = frame(&b) else {
        panic!("client KEXINIT should frame");
    };
    assert_eq!(used, b.len());
    let k = parse_kexinit(payload).unwrap();
    assert_eq!(k.kex[0], "curve25519-sha256");
    assert!(k.kex.contains(&"ext-info-c".to_string()));
    assert!(!k.first_kex_follows);
    for n in 0..payload.len() {
        // Up to the last name-list, a prefix is incomplete.
        let p = parse_kexinit(&payload[..n]);
        if n < payload.len() - 5 {
            assert!(p.is_none(), "prefix {n}");
        }
    }
    for n in 0..b.len() {
        assert!(matches!(frame(&b[..n]), Frame::Incomplete));
        let mut s = SshSession::new();
        let mut out = Vec::new();
        let ctx = Ctx {
            ts_ns: T0,
            dir: Direction::Orig,
        };
        s.data(ctx, b"SSH-2.0-x\r\n", &mut out);
        s.data(ctx, &b[..n], &mut out);
        s.end(T0, &mut out);
        assert_eq!(out.len(), 1);
    }
    // Every prefix of the whole conversation, fed at once.
    let all: Vec<_> = frames();
    for cut in 0..all.len() {
        for len in [0usize, 1, 5, 100] {
            let mut s = SshSession::new();
            let mut out = Vec::new();
            for (i, (_, dir, bytes)) in all.iter().enumerate().take(cut + 1) {
                let b = if i == cut {
                    &bytes[..len.min(bytes.len())]
                } else {
                    &bytes[..]
                };
                s.data(
                    Ctx {
                        ts_ns: T0,
                        dir: *dir,
                    },
                    b,
                    &mut out,
                );
            }
            s.end(T0, &mut out);
        }
    }
}

#[test]
fn bad_packets() {
    assert_eq!(
        frame(&[0, 0, 0x90, 0, 4]),
        Frame::Invalid("SSH_packet_too_large")
    );
    assert_eq!(frame(&[0, 0, 0, 8, 9]), Frame::Invalid("SSH_bad_padding"));
    assert_eq!(frame(&[0, 0, 0, 2, 0]), Frame::Invalid("SSH_bad_padding"));
    // A too-large packet after the banners is a violation before confirmation only.
    let mut s = SshSession::new();
    let mut out = Vec::new();
    let c = Ctx {
        ts_ns: T0,
        dir: Direction::Orig,
    };
    s.data(c, b"SSH-2.0-x\r\n\xff\xff\xff\xff\x04", &mut out);
    assert!(s.violated());
    assert_eq!(s.last_weird, Some("SSH_packet_too_large"));
}

#[test]
fn banners() {
    let v = |s: &str| banner_version(s).unwrap();
    assert_eq!(
        v("SSH-1.99-Cisco-1.25"),
        ProtoVersion {
            major: 1,
            minor: 99
        }
    );
    assert_eq!(banner_version("SSH-x"), None);
    assert_eq!(banner_version("HTTP/1.1 200"), None);
    let n = |c: &str, s: &str| negotiated_version(v(c), v(s));
    // As in Zeek's baselines: 1.5 + 1.99 -> 1, 2.0 + 1.99 -> 2, 1.99 + 2.0 -> 2.
    assert_eq!(n("SSH-1.5-a", "SSH-1.99-b"), Some(1));
    assert_eq!(n("SSH-2.0-a", "SSH-1.99-b"), Some(2));
    assert_eq!(n("SSH-1.99-a", "SSH-2.0-b"), Some(2));
    assert_eq!(n("SSH-2.0-a", "SSH-1.5-b"), None);

    // Lines before the server's identification are skipped; an SSH-1 client stops parsing.
    let mut s = SshSession::new();
    let mut out = Vec::new();
    let c = |dir| Ctx { ts_ns: T0, dir };
    s.data(
        c(Direction::Resp),
        b"Welcome\r\nto here\r\nSSH-1.99-OpenSSH_6.6\r\n",
        &mut out,
    );
    s.data(
        c(Direction::Orig),
        b"SSH-1.5-OpenSSH_6.2\n\x00\x00\x01\x02garbage",
        &mut out,
    );
    s.end(T0, &mut out);
    let AppRecord::Ssh(r) = &out[0] else { panic!() };
    assert_eq!(r.server.as_deref(), Some("SSH-1.99-OpenSSH_6.6"));
    assert_eq!(r.client.as_deref(), Some("SSH-1.5-OpenSSH_6.2"));
    assert_eq!(r.version, Some(1));
    assert_eq!(r.kex_alg, None);
    assert!(!s.violated());

    // An overlong identification is cut at 255 bytes.
    let mut s = SshSession::new();
    let mut long = b"SSH-2.0-".to_vec();
    long.extend(std::iter::repeat_n(b'a', 1000));
    long.extend_from_slice(b"\r\n");
    s.data(c(Direction::Orig), &long, &mut Vec::new());
    assert_eq!(s.record().client.unwrap().len(), 255);

    // Endless non-SSH lines: a violation after the pre-banner cap.
    let mut s = SshSession::new();
    let line = [b'x'; 100];
    for _ in 0..(session::MAX_PRE_BANNER / 100 + 2) {
        s.data(c(Direction::Resp), &line, &mut Vec::new());
        s.data(c(Direction::Resp), b"\n", &mut Vec::new());
    }
    assert!(s.violated());
    // Nothing SSH seen: no record.
    let mut out = Vec::new();
    s.end(T0, &mut out);
    assert!(out.is_empty());
}

#[test]
fn success_sizes() {
    // USERAUTH_SUCCESS sizes found in the corpus captures (ssh.pcap and others).
    assert_eq!(success_size("aes128-ctr", "hmac-md5"), Some(32));
    assert_eq!(success_size("aes128-cbc", "hmac-sha1"), Some(36));
    assert_eq!(success_size("aes128-ctr", "umac-64@openssh.com"), Some(24));
    assert_eq!(
        success_size("aes128-ctr", "hmac-md5-etm@openssh.com"),
        Some(36)
    );
    assert_eq!(
        success_size("arcfour256", "hmac-md5-etm@openssh.com"),
        Some(28)
    );
    assert_eq!(
        success_size(
            "chacha20-poly1305@openssh.com",
            "hmac-sha2-512-etm@openssh.com"
        ),
        Some(28)
    );
    assert_eq!(
        success_size("aes256-gcm@openssh.com", "hmac-sha2-256"),
        Some(36)
    );
    assert_eq!(success_size("mystery-cipher", "hmac-md5"), None);
}

fn ev(spec: &str) -> Vec<EncEvent> {
    spec.split(' ')
        .map(|t| EncEvent {
            from_client: t.starts_with('c'),
            len: t[1..].parse().unwrap(),
        })
        .collect()
}

#[test]
fn auth_heuristic() {
    let ctr_md5 = (Some("aes128-ctr"), Some("hmac-md5"), Some("none"));
    let infer = |spec: &str, (c, m, z): (Option<&str>, Option<&str>, Option<&str>)| {
        infer_auth(&ev(spec), c, m, z)
    };
    // ssh.pcap, 10.0.0.18:40184: none probe, publickey query (PK_OK 320), signature, success.
    assert_eq!(
        infer("c48 s48 c64 s48 c368 s320 c640 s32 c64 s48", ctr_md5),
        (Some(true), 1)
    );
    // ssh.pcap, 192.168.1.32:41268: six failures after the probe, then the end: failure.
    let cbc = (Some("aes128-cbc"), Some("hmac-md5"), Some("none"));
    assert_eq!(
        infer(
            "c48 s48 c64 s96 c1448 c712 s96 c368 s96 c96 s96 c144 s96 c144 s96 c144 s96",
            cbc
        ),
        (Some(false), 6)
    );
    // Success straight away (no probe failure).
    assert_eq!(infer("c48 s48 c64 s32 c64 s48", ctr_md5), (Some(true), 1));
    // Server EXT_INFO before the client's first packet is skipped.
    let chacha = (
        Some("chacha20-poly1305@openssh.com"),
        Some("hmac-sha2-512-etm@openssh.com"),
        Some("none"),
    );
    assert_eq!(
        infer("s172 c44 s44 c68 s44 c268 s44 c372 s332 c652 s28", chacha),
        (Some(true), 2)
    );
    // Compression, or unknown algorithms: undecided.
    let zlib = (
        Some("aes128-ctr"),
        Some("hmac-md5"),
        Some("zlib@openssh.com"),
    );
    assert_eq!(infer("c48 s48 c64 s48 c368 s32", zlib), (None, 0));
    assert_eq!(
        infer("c48 s48 c64 s48 c368 s32", (None, None, None)),
        (None, 0)
    );
    // Only the probe: undecided.
    assert_eq!(infer("c48 s48 c64 s48", ctr_md5), (None, 0));
}

#[test]
fn emits_once_on_success_and_not_again() {
    let mut s = run(usize::MAX);
    let mut out = Vec::new();
    let c = |dir| Ctx {
        ts_ns: T0 + 100,
        dir,
    };
    // Encrypt-then-MAC lengths are not in clear with chacha20: one packet per delivery.
    for (dir, n) in [
        (Direction::Orig, 44),
        (Direction::Resp, 44),
        (Direction::Orig, 68),
        (Direction::Resp, 44),
        (Direction::Orig, 148),
        (Direction::Resp, 28),
    ] {
        s.data(c(dir), &vec![0xAA; n], &mut out);
    }
    assert_eq!(out.len(), 1);
    let AppRecord::Ssh(r) = &out[0] else { panic!() };
    assert_eq!((r.auth_success, r.auth_attempts), (Some(true), 1));
    s.data(c(Direction::Resp), &[0; 100], &mut out);
    s.end(T0 + 200, &mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn clear_length_framing() {
    // aes128-ctr with an encrypt-then-MAC MAC: lengths in clear, so coalesced packets are cut.
    let mut s = SshSession::new();
    let mut out = Vec::new();
    let c = |dir| Ctx { ts_ns: T0, dir };
    s.data(c(Direction::Orig), b"SSH-2.0-a\r\n", &mut out);
    s.data(c(Direction::Resp), b"SSH-2.0-b\r\n", &mut out);
    let kexinit = |enc: &str, mac: &str| {
        let mut p = vec![20u8];
        p.extend_from_slice(&[7; 16]);
        for l in [
            "curve25519-sha256",
            "ssh-ed25519",
            enc,
            enc,
            mac,
            mac,
            "none",
            "none",
            "",
            "",
        ] {
            p.extend_from_slice(&(l.len() as u32).to_be_bytes());
            p.extend_from_slice(l.as_bytes());
        }
        p.extend_from_slice(&[0, 0, 0, 0, 0]);
        packet(&p)
    };
    fn packet(payload: &[u8]) -> Vec<u8> {
        let pad = 8 - (payload.len() + 5) % 8 + 8;
        let mut v = ((payload.len() + 1 + pad) as u32).to_be_bytes().to_vec();
        v.push(pad as u8);
        v.extend_from_slice(payload);
        v.extend(std::iter::repeat_n(0, pad));
        v
    }
    let ki = kexinit("aes128-ctr", "hmac-md5-etm@openssh.com");
    s.data(c(Direction::Orig), &ki, &mut out);
    s.data(c(Direction::Resp), &ki, &mut out);
    s.data(c(Direction::Orig), &packet(&[21]), &mut out);
    s.data(c(Direction::Resp), &packet(&[21]), &mut out);
    let r = s.record();
    assert_eq!(r.mac_alg.as_deref(), Some("hmac-md5-etm@openssh.com"));
    let enc = |len: u32| {
        let mut v = len.to_be_bytes().to_vec();
        v.extend(std::iter::repeat_n(0x55, len as usize + 16));
        v
    };
    s.data(c(Direction::Orig), &enc(32), &mut out); // SERVICE_REQUEST
                                                    // SERVICE_ACCEPT and the probe FAILURE in one delivery.
    let mut two = enc(32);
    two.extend_from_slice(&enc(48));
    s.data(c(Direction::Resp), &two, &mut out);
    s.data(c(Direction::Orig), &enc(64), &mut out);
    // FAILURE, then SUCCESS (16 + 4 + 16 = 36) glued to the next packet, split oddly.
    let mut three = enc(48);
    three.extend_from_slice(&enc(16));
    three.extend_from_slice(&enc(80));
    let (a, b) = three.split_at(70);
    s.data(c(Direction::Resp), a, &mut out);
    s.data(c(Direction::Resp), b, &mut out);
    assert_eq!(out.len(), 1);
    let AppRecord::Ssh(r) = &out[0] else { panic!() };
    assert_eq!((r.auth_success, r.auth_attempts), (Some(true), 2));
}

#[test]
fn json_fields() {
    let r = run(usize::MAX).record();
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    r.write_json(&mut o);
    o.end();
    assert!(
        line.starts_with("{\"version\":2,\"auth_attempts\":0,\"client\":\"SSH-2.0-OpenSSH_7.4\"")
    );
    assert!(line.contains("\"kex_alg\":\"curve25519-sha256\""));
    assert!(
        line.contains("\"hasshVersion\":\"1.1\",\"hassh\":\"0df0d56bb50c6b2426d8d40234bf1826\"")
    );
    assert!(!line.contains("auth_success") && !line.contains("direction"));
}

/// Tiny xorshift generator for reproducible pseudo-random inputs.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn fuzz_body_survives_random_and_mutated_inputs() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut real = Vec::new();
    for (_, _, b) in frames() {
        real.extend_from_slice(&b);
    }
    for i in 0..3000 {
        let input: Vec<u8> = if i % 2 == 0 {
            let len = (rng.next() % 800) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            let start = (rng.next() as usize) % real.len();
            let len = (rng.next() as usize) % 2000;
            let mut v = vec![rng.next() as u8 | 1];
            v.extend_from_slice(&real[start..(start + len).min(real.len())]);
            for _ in 0..(rng.next() % 6) {
                let p = (rng.next() as usize) % v.len();
                v[p] ^= 1 << (rng.next() % 8);
            }
            v
        };
        fuzz(&input);
    }
}
