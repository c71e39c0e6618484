use super::headers::{add_addrs, email_addrs, first_ip};
use super::*;
use crate::test_util::frames;
use crate::{AppRecord, Ctx, Direction, SessionParser};

/// Traces/smtp/rfc3030-bdat-example1.pcap (Zeek corpus): every TCP payload (frames 4 to 24):
/// greeting, EHLO, MAIL, RCPT, BDAT 86 LAST and its chunk, QUIT.
const BDAT: &str = include_str!("testdata/bdat_example1.txt");
/// Traces/tls/smtp-starttls.pcap (Zeek corpus), frames 4 to 13: greeting, EHLO, STARTTLS, 220,
/// then the ClientHello.
const STARTTLS: &str = include_str!("testdata/starttls.txt");

fn run(t: &str, chunk: usize) -> (SmtpSession, Vec<SmtpRecord>) {
    let mut s = SmtpSession::new();
    let mut out = Vec::new();
    for (n, dir, bytes) in frames(t) {
        for c in bytes.chunks(chunk) {
            s.data(Ctx { ts_ns: n, dir }, c, &mut out);
        }
    }
    s.end(1000, &mut out);
    let recs = out
        .into_iter()
        .map(|r| match r {
            AppRecord::Smtp(r) => r,
            _ => panic!("not smtp"),
        })
        .collect();
    (s, recs)
}

#[test]
fn bdat_transaction() {
    for chunk in [1, 3, 7, 1500] {
        let (s, recs) = run(BDAT, chunk);
        assert!(s.confirmed() && !s.violated());
        assert_eq!(recs.len(), 1, "chunk {chunk}");
        let r = &recs[0];
        assert_eq!(r.trans_depth, 1);
        assert_eq!(r.helo.as_deref(), Some("localhost"));
        assert_eq!(r.mailfrom.as_deref(), Some("zeek@localhost"));
        assert_eq!(r.rcptto, vec!["root@localhost"]);
        assert_eq!(r.from.as_deref(), Some("Sam@random.com"));
        assert_eq!(r.to, vec!["Susan@random.com"]);
        assert_eq!(
            r.subject.as_deref(),
            Some("This is a bodyless test message")
        );
        assert_eq!(
            r.last_reply.as_deref(),
            Some("250 2.0.0 Ok: 86 bytes queued as 1E2891CA025")
        );
        assert!(!r.tls);
    }
}

#[test]
fn starttls_hands_over() {
    let (s, recs) = run(STARTTLS, 5);
    assert!(s.handed_to_tls());
    assert!(!s.violated());
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert!(r.tls);
    assert_eq!(r.helo.as_deref(), Some("openssl.client.net"));
    assert_eq!(
        r.last_reply.as_deref(),
        Some("220 2.0.0 Ready to start TLS")
    );
    assert_eq!(r.mailfrom, None);
}

#[test]
fn pipelining_and_dot_stuffing() {
    let mut s = SmtpSession::new();
    s.set_endpoints([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
    let mut out = Vec::new();
    let c = |s: &mut SmtpSession, b: &[u8], out: &mut Vec<AppRecord>| {
        s.data(
            Ctx {
                ts_ns: 1,
                dir: Direction::Orig,
            },
            b,
            out,
        )
    };
    let r = |s: &mut SmtpSession, b: &[u8], out: &mut Vec<AppRecord>| {
        s.data(
            Ctx {
                ts_ns: 2,
                dir: Direction::Resp,
            },
            b,
            out,
        )
    };
    r(&mut s, b"220 hi\r\n", &mut out);
    c(&mut s, b"EHLO me\r\n", &mut out);
    r(&mut s, b"250-hi\r\n250 PIPELINING\r\n", &mut out);
    c(
        &mut s,
        b"MAIL FROM:<a@x> SIZE=1\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@z> ORCPT=rfc822;c@z\r\nDATA\r\n",
        &mut out,
    );
    r(
        &mut s,
        b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
        &mut out,
    );
    c(
        &mut s,
        b"Received: from h ([192.0.2.9]) by x;\r\n  Mon\r\nTo: \"D, E\" <d@e>, f@g\r\nSubject: s\r\n\r\n..x\r\n.\r\n",
        &mut out,
    );
    assert!(out.is_empty());
    r(&mut s, b"250 queued\r\n", &mut out);
    assert_eq!(out.len(), 1);
    let AppRecord::Smtp(rec) = &out[0] else {
        panic!()
    };
    assert_eq!(rec.rcptto, vec!["b@y", "c@z"]);
    assert_eq!(rec.to, vec!["\"D, E\" <d@e>", "f@g"]);
    assert_eq!(
        rec.first_received.as_deref(),
        Some("from h ([192.0.2.9]) by x;  Mon")
    );
    let p: Vec<String> = rec.path.iter().map(|a| a.to_string()).collect();
    assert_eq!(p, vec!["10.0.0.2", "10.0.0.1", "192.0.2.9"]);
    assert_eq!(rec.body_bytes, 4);
    assert_eq!(rec.last_reply.as_deref(), Some("250 queued"));
    // A second transaction gets depth 2.
    c(&mut s, b"MAIL FROM:<>\r\n", &mut out);
    s.end(3, &mut out);
    let AppRecord::Smtp(rec) = &out[1] else {
        panic!()
    };
    assert_eq!(rec.trans_depth, 2);
    assert_eq!(rec.mailfrom, None);
}

#[test]
fn rejected_data_returns_to_commands() {
    let mut s = SmtpSession::new();
    let mut out = Vec::new();
    for (dir, b) in [
        (Direction::Resp, &b"220 x\r\n"[..]),
        (Direction::Orig, b"HELO a\r\n"),
        (Direction::Resp, b"250 x\r\n"),
        (Direction::Orig, b"RCPT TO:<a@b>\r\n"),
        (Direction::Resp, b"503 no\r\n"),
        (Direction::Orig, b"DATA\r\n"),
        (Direction::Resp, b"503 no\r\n"),
        (Direction::Orig, b"MAIL FROM:<c@d>\r\n"),
    ] {
        s.data(Ctx { ts_ns: 0, dir }, b, &mut out);
    }
    assert_eq!(out.len(), 1);
    let AppRecord::Smtp(r) = &out[0] else {
        panic!()
    };
    assert_eq!(r.mailfrom, None);
    assert_eq!(r.rcptto, vec!["a@b"]);
}

#[test]
fn helpers() {
    assert_eq!(email_addrs("FROM:<a@b.c> SIZE=3"), vec!["a@b.c"]);
    assert_eq!(email_addrs("TO:<a@b> ORCPT=rfc822;a@b"), vec!["a@b"]);
    assert!(email_addrs("FROM:<>").is_empty());
    let mut v = Vec::new();
    add_addrs(&mut v, "a@b,  \"x, y\" <c@d>,a@b");
    assert_eq!(v, vec!["a@b", "\"x, y\" <c@d>"]);
    assert_eq!(first_ip("[10.1.2.3]").unwrap().to_string(), "10.1.2.3");
    assert_eq!(first_ip("none"), None);
}

#[test]
fn not_smtp_is_a_violation() {
    let mut s = SmtpSession::new();
    let mut out = Vec::new();
    s.data(
        Ctx {
            ts_ns: 0,
            dir: Direction::Resp,
        },
        b"SSH-2.0-OpenSSH\r\n",
        &mut out,
    );
    assert!(s.violated());
}

#[test]
fn every_prefix_no_panic() {
    for t in [BDAT, STARTTLS] {
        let fr = frames(t);
        let all: Vec<(Direction, u8)> = fr
            .iter()
            .flat_map(|(_, d, b)| b.iter().map(move |x| (*d, *x)))
            .collect();
        for n in 0..all.len() {
            let mut s = SmtpSession::new();
            let mut out = Vec::new();
            for (d, b) in &all[..n] {
                s.data(Ctx { ts_ns: 0, dir: *d }, &[*b], &mut out);
            }
            s.end(0, &mut out);
        }
    }
}

#[test]
fn fuzz_pseudo_random() {
    let mut x: u64 = 0x1234_5678_9abc_def0;
    for i in 0..3000 {
        let len = (i * 7) % 600;
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly printable, with line ends and the words that change state.
            let b = match x % 16 {
                0 => b'\n',
                1 => b'\r',
                2 => b'.',
                3 => b'3',
                _ => b"DATBLMFROA:<@>0123 5"[(x >> 8) as usize % 20],
            };
            v.push(b);
        }
        if i % 5 == 0 && !v.is_empty() {
            v.splice(1..1, b"DATA\r\nBDAT 5 LAST\r\nSTARTTLS\r\n".iter().copied());
        }
        fuzz(&v);
    }
}

/// suricata-verify's smtp-pipelined-post-data-rset-sequence: after the first message's dot
/// the client pipelines RSET, a second envelope and DATA before the server's replies.
const PIPELINED_RSET: &str = include_str!("testdata/smtp-pipelined-post-data-rset-sequence.txt");
/// suricata-verify's smtp-ehlo-reset-after-rejected-data: HELO, a DATA refused (503), EHLO,
/// then a complete transaction.
const EHLO_RESET: &str = include_str!("testdata/smtp-ehlo-reset-after-rejected-data.txt");
/// suricata-verify's smtp-pipelined-rset-data-replies: EHLO, then RSET, DATA and an empty
/// message pipelined, no envelope.
const RSET_DATA: &str = include_str!("testdata/smtp-pipelined-rset-data-replies.txt");

#[test]
fn pipelined_envelope_after_the_dot_keeps_its_message() {
    for chunk in [1, 7, 1500] {
        let (_, recs) = run(PIPELINED_RSET, chunk);
        let got: Vec<_> = recs
            .iter()
            .map(|r| {
                (
                    r.mailfrom.as_deref(),
                    r.subject.as_deref(),
                    r.message,
                    r.eve_only,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some("alice@example.com"),
                    Some("pipelined first before rset"),
                    true,
                    false
                ),
                (
                    Some("bob@example.com"),
                    Some("pipelined second after rset"),
                    true,
                    false
                ),
            ],
            "chunk {chunk}"
        );
    }
}

#[test]
fn a_reset_ends_a_transaction_of_a_refused_data_alone() {
    let (_, recs) = run(EHLO_RESET, 1500);
    assert_eq!(recs.len(), 2);
    // The HELO and the refused DATA: no envelope, so not in smtp.log; for EVE only.
    let (a, b) = (&recs[0], &recs[1]);
    assert!(a.eve_only && !a.message && a.mailfrom.is_none());
    assert_eq!(a.helo.as_deref(), Some("client.example.com"));
    assert!(!b.eve_only && b.message);
    assert_eq!(b.mailfrom.as_deref(), Some("bob@example.com"));
    assert_eq!(b.from.as_deref(), Some("bob@example.com"));
    assert_eq!(b.to, ["alice@example.com"]);
    assert!(AppRecord::Smtp(b.clone()).in_zeek_log());
    assert!(!AppRecord::Smtp(a.clone()).in_zeek_log());
}

#[test]
fn an_empty_message_without_envelope_is_for_eve_only() {
    let (_, recs) = run(RSET_DATA, 1500);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert!(r.eve_only && r.message);
    assert_eq!(r.helo.as_deref(), Some("client.example"));
    assert!(r.mailfrom.is_none() && r.from.is_none());
}
