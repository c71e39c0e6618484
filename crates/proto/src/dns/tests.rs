use super::parser::{parse_message, read_name, render_rdata, RrDetail, Section};
use super::session::MAX_REJECTED;
use super::*;
use crate::test_util::unhex;
use crate::{AppRecord, Ctx, Direction, SessionParser};

/// Traces/dns-two-responses.pcap (Zeek corpus), packet 1: UDP payload of the query
/// (www.cmu.edu A, with EDNS).
const TWO_RESP_Q: &str =
    "5294001000010000000000010377777703636d750365647500000100010000291000000080000000";
/// Same trace, packet 2 (packet 3 is the same bytes again): the response.
const TWO_RESP_R: &str = "5294841000010004000200040377777703636d75036564750000010001c00c00050001000151800011075757572d434d5506414e44524557c010c00c002e000100015180009b0005070300015180515cb25b5135187a1b2303636d7503656475006b741ab2616a3f33b02d97c41edb5fc04bde32780687bdcf24b8208dae7550e35b164428fba91d0c72e757a70dcb38924d702d04a5919b673d05065e2406b93b99cb4ad945c46d550a28edbcc1cbe6db31c7b8650a6428acfab46fc5987db561a714893a1003e464f1550d3e3c344c093a3475efddd7d5d2176c6203350a2eaac0290005000100000005000c095757572d434d552d32c031c0ed0001000100005460000480020aa3c0310002000100015180000e074e534155544831034e4554c058c0310002000100015180000a074e534155544832c11dc1150001000100015180000480020108c115001c00010001518000102607fb28000000000000000000000004c12f0001000100015180000480ed94a80000291000000080000000";
/// Traces/dns/dns_notify2.pcap, packet 2: NOTIFY for dhcp.lbnl.us SOA (with an SOA answer).
const NOTIFY_Q: &str = "5131240000010001000000000464686370046c626e6c0275730000060001c00c0006000100000000003f096c6f63616c686f7374036c626c03676f76000a686f73746d6173746572036e7378036c626c03676f760081f6a03200003840000007080083d6000000a8c0";
/// Same trace, packet 3: REFUSED, question only.
const NOTIFY_R: &str = "5131a00500010000000000000464686370046c626e6c0275730000060001";

const T0: i64 = 1_000_000_000_000;

fn ctx(ts_ns: i64, dir: Direction) -> Ctx {
    Ctx { ts_ns, dir }
}

fn dns_records(out: Vec<AppRecord>) -> Vec<DnsRecord> {
    out.into_iter()
        .map(|r| match r {
            AppRecord::Dns(d) => d,
            other => panic!("not dns: {other:?}"),
        })
        .collect()
}

#[test]
fn parses_real_query() {
    let m = parse_message(&unhex(TWO_RESP_Q)).unwrap();
    assert_eq!(m.header.id, 0x5294);
    assert!(!m.header.qr);
    assert_eq!(m.header.z, 1, "CD bit");
    assert_eq!(m.questions.len(), 1);
    assert_eq!(m.questions[0].name, "www.cmu.edu");
    assert_eq!((m.questions[0].qtype, m.questions[0].qclass), (1, 1));
    let e = m.edns.unwrap();
    assert_eq!(e.udp_payload, 4096);
    assert!(e.dnssec_ok);
    assert_eq!(m.malformed, None);
}

#[test]
fn parses_real_response_like_zeek() {
    let m = parse_message(&unhex(TWO_RESP_R)).unwrap();
    assert!(m.header.qr && m.header.aa);
    assert_eq!(m.malformed, None);
    let answers: Vec<_> = m.answers().map(|r| r.text.clone().unwrap()).collect();
    // Zeek's dns.log for this trace: names lower-cased, RRSIG as "RRSIG <covered> <signer>".
    assert_eq!(
        answers,
        [
            "www-cmu.andrew.cmu.edu",
            "RRSIG 5 cmu.edu",
            "www-cmu-2.andrew.cmu.edu",
            "128.2.10.163"
        ]
    );
    let ttls: Vec<_> = m.answers().map(|r| r.ttl).collect();
    assert_eq!(ttls, [86400, 86400, 5, 21600]);
    let auth: Vec<_> = m
        .rrs
        .iter()
        .filter(|r| r.section == Section::Authority)
        .map(|r| r.text.clone().unwrap())
        .collect();
    assert_eq!(auth, ["nsauth1.net.cmu.edu", "nsauth2.net.cmu.edu"]);
    let aaaa = m.rrs.iter().find(|r| r.rtype == 28).unwrap();
    assert_eq!(aaaa.text.as_deref(), Some("2607:fb28::4"));
    // OPT: no text (no reply event in Zeek).
    assert_eq!(m.rrs.last().unwrap().text, None);
}

#[test]
fn udp_pairs_query_and_response_and_keeps_duplicate() {
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &unhex(TWO_RESP_Q), &mut out);
    assert!(out.is_empty());
    assert!(s.confirmed());
    s.data(
        ctx(T0 + 214_000, Direction::Resp),
        &unhex(TWO_RESP_R),
        &mut out,
    );
    s.data(
        ctx(T0 + 302_000, Direction::Resp),
        &unhex(TWO_RESP_R),
        &mut out,
    );
    s.end(T0 + 1_000_000_000, &mut out);
    let recs = dns_records(out);
    assert_eq!(recs.len(), 2);
    let r = &recs[0];
    assert_eq!(r.ts_ns, T0);
    assert_eq!(r.rtt_ns, Some(214_000));
    assert_eq!(r.query.as_deref(), Some("www.cmu.edu"));
    assert_eq!((r.qtype, r.qclass, r.rcode), (Some(1), Some(1), Some(0)));
    assert!(r.aa && !r.rd && !r.ra);
    assert_eq!(r.z, 1);
    assert_eq!(r.answers.len(), 4);
    // The second response has no query left: query from the first answer's owner, no rtt,
    // no qtype, Z of no query.
    let d = &recs[1];
    assert_eq!(d.ts_ns, T0 + 302_000);
    assert_eq!(d.rtt_ns, None);
    assert_eq!(d.query.as_deref(), Some("www.cmu.edu"));
    assert_eq!((d.qtype, d.qclass), (None, None));
    assert_eq!(d.z, 0);
    assert_eq!(d.answers, r.answers);
}

#[test]
fn tcp_framing_any_split() {
    let q = unhex(TWO_RESP_Q);
    let r = unhex(TWO_RESP_R);
    let frame = |m: &[u8]| {
        let mut v = (m.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(m);
        v
    };
    let (fq, fr) = (frame(&q), frame(&r));
    let reference = {
        let mut s = DnsSession::tcp();
        let mut out = Vec::new();
        s.data(ctx(T0, Direction::Orig), &fq, &mut out);
        s.data(ctx(T0 + 5, Direction::Resp), &fr, &mut out);
        s.end(T0 + 10, &mut out);
        dns_records(out)
    };
    assert_eq!(reference.len(), 1);
    assert_eq!(reference[0].proto, DnsProto::Tcp);
    for cut in 0..fr.len() {
        let mut s = DnsSession::tcp();
        let mut out = Vec::new();
        // The query split in two at a varying place too.
        let qc = cut % fq.len();
        s.data(ctx(T0, Direction::Orig), &fq[..qc], &mut out);
        s.data(ctx(T0, Direction::Orig), &fq[qc..], &mut out);
        s.data(ctx(T0 + 5, Direction::Resp), &fr[..cut], &mut out);
        s.data(ctx(T0 + 5, Direction::Resp), &fr[cut..], &mut out);
        s.end(T0 + 10, &mut out);
        assert_eq!(dns_records(out), reference, "cut at {cut}");
    }
    // Two messages in one delivery.
    let mut both = fq.clone();
    both.extend_from_slice(&frame(&q));
    let mut s = DnsSession::tcp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &both, &mut out);
    s.end(T0, &mut out);
    assert_eq!(dns_records(out).len(), 2);
}

#[test]
fn tcp_gap_stops_direction() {
    let r = unhex(TWO_RESP_R);
    let mut fr = (r.len() as u16).to_be_bytes().to_vec();
    fr.extend_from_slice(&r);
    // A loss inside a message: the direction is given up.
    let mut s = DnsSession::tcp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Resp), &fr[..10], &mut out);
    s.gap(Direction::Resp, 100);
    s.data(ctx(T0, Direction::Resp), &fr, &mut out);
    assert!(out.is_empty());
    assert_eq!(s.stats.skipped_bytes, 100 + fr.len() as u64);
    // A loss at a message boundary followed by bytes that do not start a message: the same.
    let mut s = DnsSession::tcp();
    s.gap(Direction::Resp, 100);
    s.data(ctx(T0, Direction::Resp), &[0xff; 40], &mut out);
    s.data(ctx(T0, Direction::Resp), &fr, &mut out);
    assert!(out.is_empty());
    // A loss at a message boundary (suricata-verify/tests/dns-tcp-ts-gap: a whole query lost)
    // followed by a message: parsing resumes.
    let mut s = DnsSession::tcp();
    s.gap(Direction::Resp, 100);
    s.data(ctx(T0, Direction::Resp), &fr, &mut out);
    s.end(T0, &mut out);
    assert_eq!(dns_records(out).len(), 1);
}

#[test]
fn notify_refused_is_rejected() {
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &unhex(NOTIFY_Q), &mut out);
    s.data(
        ctx(T0 + 268_000, Direction::Resp),
        &unhex(NOTIFY_R),
        &mut out,
    );
    let recs = dns_records(out);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    // As Zeek's notify baseline: query from the NOTIFY, REFUSED, rejected, opcode notify; the
    // SOA carried by the NOTIFY itself is not an answer; no answer, so no rtt.
    assert_eq!(r.query.as_deref(), Some("dhcp.lbnl.us"));
    assert_eq!((r.qtype, r.rcode, r.opcode), (Some(6), Some(5), Some(4)));
    assert!(r.rejected);
    assert!(r.answers.is_empty());
    assert_eq!(r.rtt_ns, None);
    assert_eq!(r.opcode_name().as_deref(), Some("notify"));
    assert_eq!(r.rcode_name().as_deref(), Some("REFUSED"));
}

#[test]
fn every_prefix_parses_without_panic() {
    for msg in [TWO_RESP_Q, TWO_RESP_R, NOTIFY_Q, NOTIFY_R] {
        let b = unhex(msg);
        for n in 0..=b.len() {
            let m = parse_message(&b[..n]);
            if n < 12 {
                assert!(m.is_none());
                continue;
            }
            let m = m.unwrap();
            if n < b.len() {
                assert!(m.malformed.is_some(), "prefix {n} of {} bytes", b.len());
            }
            let mut s = DnsSession::udp();
            let mut out = Vec::new();
            s.data(ctx(T0, Direction::Orig), &b[..n], &mut out);
            s.end(T0, &mut out);
        }
    }
    // Truncated in the answers: what parsed is kept.
    let b = unhex(TWO_RESP_R);
    let m = parse_message(&b[..120]).unwrap();
    assert_eq!(m.questions.len(), 1);
    assert!(!m.rrs.is_empty());
    assert_eq!(m.malformed, Some("DNS_RR_length_mismatch"));
}

#[test]
fn names_reject_loops_forward_pointers_and_overlength() {
    // Pointer to itself.
    let mut b = vec![0u8; 12];
    b.extend_from_slice(&[0xc0, 12]);
    assert_eq!(read_name(&b, 12), None);
    // Forward pointer.
    let mut b = vec![0u8; 12];
    b.extend_from_slice(&[0xc0, 14, 1, b'a', 0]);
    assert_eq!(read_name(&b, 12), None);
    // Backward pointer works, and the end is after the pointer.
    let mut b = vec![0u8; 12];
    b.extend_from_slice(&[1, b'A', 0, 1, b'b', 0xc0, 12]);
    assert_eq!(read_name(&b, 15), Some(("b.a".to_string(), 19)));
    let name_of = |last: usize| {
        let mut b = Vec::new();
        for len in [63, 63, 63, last] {
            b.push(len as u8);
            b.extend(std::iter::repeat_n(b'x', len));
        }
        b.push(0);
        b
    };
    // 3 labels of 63, one of 61 and the root: 255 bytes on the wire, the most allowed.
    assert_eq!(name_of(61).len(), 255);
    assert!(read_name(&name_of(61), 0).is_some());
    assert_eq!(read_name(&name_of(62), 0), None);
    // Reserved label types.
    assert_eq!(read_name(&[0x40, 0], 0), None);
    assert_eq!(read_name(&[0x80, 0], 0), None);
    // Non-printable bytes are escaped.
    assert_eq!(
        read_name(&[2, 0x01, b'Z', 0], 0),
        Some(("\\x01z".to_string(), 4))
    );
}

#[test]
fn rdata_rendering() {
    let txt = [3, b'a', b'b', b'c', 1, b'Z'];
    assert_eq!(
        render_rdata(&txt, 0, &txt, "o", 16).unwrap(),
        "TXT 3 abc TXT 1 Z"
    );
    let loc = [0, 0x12, 0x15, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        render_rdata(&loc, 0, &loc, "o", 29).unwrap(),
        "LOC:  18 21 19"
    );
    let ds = [0x12, 0x34, 5, 2, 0xaa];
    assert_eq!(render_rdata(&ds, 0, &ds, "o", 43).unwrap(), "DS 5 2");
    let fp = [1, 1, 0xab, 0xcd];
    assert_eq!(render_rdata(&fp, 0, &fp, "o", 44).unwrap(), "SSHFP: abcd");
    assert_eq!(
        render_rdata(&[], 0, &[], "o", 65000).unwrap(),
        "<unknown type=65000>"
    );
    assert_eq!(
        render_rdata(&[1, 2, 3], 0, &[1, 2, 3], "o", 1).unwrap(),
        "<unknown type=1>"
    );
    assert_eq!(render_rdata(&[], 0, &[], "o", 250), None);
    assert_eq!(render_rdata(&[], 0, &[], "o", 11).unwrap(), "");
}

#[test]
fn pending_queries_are_bounded() {
    let q = unhex(TWO_RESP_Q);
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    for id in 0..100u16 {
        let mut m = q.clone();
        m[..2].copy_from_slice(&id.to_be_bytes());
        s.data(ctx(T0 + id as i64, Direction::Orig), &m, &mut out);
    }
    assert_eq!(out.len(), 100 - session::MAX_PENDING);
    assert_eq!(s.stats.evicted, (100 - session::MAX_PENDING) as u64);
    s.end(T0 + 1000, &mut out);
    let recs = dns_records(out);
    assert_eq!(recs.len(), 100);
    assert!(recs.iter().all(|r| r.rcode.is_none() && r.rtt_ns.is_none()));
}

#[test]
fn mdns_id_zero_is_not_paired() {
    let mut q = unhex(TWO_RESP_Q);
    let mut r = unhex(TWO_RESP_R);
    q[..2].fill(0);
    r[..2].fill(0);
    let mut s = DnsSession::udp().with_mdns(true);
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &q, &mut out);
    s.data(ctx(T0 + 5, Direction::Orig), &r, &mut out);
    s.end(T0 + 10, &mut out);
    let recs = dns_records(out);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].rcode, None);
    assert_eq!(recs[1].qtype, None);
    // Without mDNS, they pair.
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &q, &mut out);
    s.data(ctx(T0 + 5, Direction::Orig), &r, &mut out);
    s.end(T0 + 10, &mut out);
    assert_eq!(dns_records(out).len(), 1);
}

#[test]
fn garbage_only_is_a_violation_after_several_messages() {
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    for i in 0..MAX_REJECTED {
        assert!(!s.violated(), "after {i} messages");
        let t = T0 + i64::from(i);
        s.data(ctx(t, Direction::Orig), b"GET / HTTP/1.1\r\n", &mut out);
        assert!(!s.confirmed());
    }
    assert!(s.violated());
    assert_eq!(s.stats.skipped, u64::from(MAX_REJECTED));
    // Short messages count the same.
    let mut s = DnsSession::udp();
    for i in 0..MAX_REJECTED {
        s.data(
            ctx(T0 + i64::from(i), Direction::Resp),
            b"\x12\x34",
            &mut out,
        );
    }
    assert!(s.violated() && !s.confirmed());
    assert!(out.is_empty());
}

/// ndpi/pcap/fuzz-2006-06-26-2594.pcap, 192.168.1.2:2754 -> 192.168.1.1:53: #269 is a 9-byte
/// datagram (shorter than a header), #278 a valid SRV query for _sip._udp.sip.cybercity.dk.
const FUZZ_SHORT_269: &str = "7dcf01000001000000";
const FUZZ_VALID_278: &str =
    "7dcf01000001000000000000045f736970045f756470037369700963796265726369747902646b0000210001";
/// Same capture, 192.168.1.2:2740 -> 192.168.1.1:53 #184: the query with its flags fuzzed to
/// opcode 6 (implausible as a first message).
const FUZZ_OPCODE6_184: &str =
    "2cdf36000001000000000000045f736970045f756470037369700963796265726369747902646b0000210001";

#[test]
fn malformed_datagrams_are_skipped_not_a_violation() {
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &unhex(FUZZ_SHORT_269), &mut out);
    assert!(!s.violated() && !s.confirmed());
    assert_eq!(s.stats.malformed, 1);
    assert_eq!(s.stats.last_weird, Some("DNS_truncated_len_lt_hdr_len"));
    s.data(
        ctx(T0 + 1, Direction::Orig),
        &unhex(FUZZ_OPCODE6_184),
        &mut out,
    );
    assert!(!s.violated() && !s.confirmed());
    // The first valid message confirms; the conversation keeps being parsed.
    s.data(
        ctx(T0 + 2, Direction::Orig),
        &unhex(FUZZ_VALID_278),
        &mut out,
    );
    assert!(s.confirmed() && !s.violated());
    // Once confirmed, malformed messages never make a violation.
    for i in 0..2 * MAX_REJECTED {
        let t = T0 + 3 + i64::from(i);
        s.data(ctx(t, Direction::Orig), &unhex(FUZZ_SHORT_269), &mut out);
    }
    assert!(s.confirmed() && !s.violated());
    assert_eq!(s.stats.skipped, 2 + u64::from(2 * MAX_REJECTED));
    s.end(T0 + 100, &mut out);
    let recs = dns_records(out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].query.as_deref(), Some("_sip._udp.sip.cybercity.dk"));
    assert_eq!(recs[0].qtype, Some(33));
    assert_eq!(recs[0].ts_ns, T0 + 2);
}

#[test]
fn rejections_before_the_limit_then_valid_confirms() {
    // MAX_REJECTED - 1 bad messages, then a valid one: confirmed, never violated.
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    for i in 0..MAX_REJECTED - 1 {
        s.data(
            ctx(T0 + i64::from(i), Direction::Orig),
            &unhex(FUZZ_SHORT_269),
            &mut out,
        );
    }
    assert!(!s.violated());
    s.data(ctx(T0 + 10, Direction::Orig), &unhex(TWO_RESP_Q), &mut out);
    assert!(s.confirmed() && !s.violated());
    // TCP: a framed message too short for a header is skipped the same way.
    let mut s = DnsSession::tcp();
    let mut data = vec![0, 9];
    data.extend_from_slice(&unhex(FUZZ_SHORT_269));
    let q = unhex(TWO_RESP_Q);
    data.extend_from_slice(&(q.len() as u16).to_be_bytes());
    data.extend_from_slice(&q);
    s.data(ctx(T0, Direction::Orig), &data, &mut out);
    assert!(s.confirmed() && !s.violated());
    assert_eq!(s.stats.skipped, 1);
}

#[test]
fn json_has_zeek_names_and_omits_unset() {
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &unhex(TWO_RESP_Q), &mut out);
    s.data(
        ctx(T0 + 214_000, Direction::Resp),
        &unhex(TWO_RESP_R),
        &mut out,
    );
    let rec = dns_records(out).remove(0);
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    rec.write_json(&mut o);
    o.end();
    assert!(line.starts_with("{\"proto\":\"udp\",\"trans_id\":21140,\"rtt\":0.000214,"));
    assert!(line.contains("\"query\":\"www.cmu.edu\",\"qclass\":1,\"qclass_name\":\"C_INTERNET\""));
    assert!(line.contains("\"qtype_name\":\"A\",\"rcode\":0,\"rcode_name\":\"NOERROR\""));
    assert!(line.contains("\"AA\":true,\"TC\":false,\"RD\":false,\"RA\":false,\"Z\":1"));
    assert!(line.contains("\"TTLs\":[86400.0,86400.0,5.0,21600.0]"));
    assert!(line.ends_with("\"rejected\":false,\"opcode\":0,\"opcode_name\":\"query\"}"));
    assert!(!line.contains("\"ts\""));
    // An unanswered query: no rtt, rcode or answers.
    let mut s = DnsSession::udp();
    let mut out = Vec::new();
    s.data(ctx(T0, Direction::Orig), &unhex(TWO_RESP_Q), &mut out);
    s.end(T0, &mut out);
    let rec = dns_records(out).remove(0);
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    rec.write_json(&mut o);
    o.end();
    assert!(!line.contains("rtt") && !line.contains("rcode") && !line.contains("answers"));
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
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = [TWO_RESP_Q, TWO_RESP_R, NOTIFY_Q, NOTIFY_R]
        .iter()
        .map(|h| unhex(h))
        .collect();
    for i in 0..4000 {
        let mut input: Vec<u8> = if i % 2 == 0 {
            let len = (rng.next() % 600) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            // A real message behind a control byte and a chunk length, with bytes flipped.
            let seed = &seeds[(rng.next() % seeds.len() as u64) as usize];
            let mut v = vec![rng.next() as u8, 255];
            v.extend_from_slice(seed);
            for _ in 0..(rng.next() % 8) {
                let p = 2 + (rng.next() as usize) % seed.len();
                v[p] ^= 1 << (rng.next() % 8);
            }
            v
        };
        fuzz(&input);
        input.truncate(input.len() / 2);
        fuzz(&input);
    }
}

#[test]
fn srv_and_sshfp_details_beside_the_text() {
    // A response with one SRV answer (priority 20, weight 1, port 5060, target "a") and one
    // SSHFP answer (algorithm 1, type 1), owner the root.
    let mut m = vec![0, 1, 0x81, 0x80, 0, 0, 0, 2, 0, 0, 0, 0];
    m.extend([
        0, 0, 33, 0, 1, 0, 0, 0, 60, 0, 9, 0, 20, 0, 1, 0x13, 0xc4, 1, b'a', 0,
    ]);
    m.extend([0, 0, 44, 0, 1, 0, 0, 0, 60, 0, 4, 1, 1, 0xab, 0xcd]);
    // And a NULL record, whose data Zeek does not show.
    m[7] = 3;
    m.extend([0, 0, 10, 0, 1, 0, 0, 0, 0, 0, 3, b'V', 3, 0xc5]);
    let msg = parse_message(&m).unwrap();
    let got: Vec<_> = msg
        .rrs
        .iter()
        .map(|r| (r.text.clone().unwrap(), r.detail.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "a".to_string(),
                RrDetail::Srv {
                    priority: 20,
                    weight: 1,
                    port: 5060
                }
            ),
            (
                "SSHFP: abcd".to_string(),
                RrDetail::Sshfp {
                    algorithm: 1,
                    fp_type: 1
                }
            ),
            (
                "<unknown type=10>".to_string(),
                RrDetail::Raw(vec![b'V', 3, 0xc5].into())
            )
        ]
    );
}

#[test]
fn query_case_is_kept_beside_the_lowered_name() {
    // suricata-verify/tests/dns-udp-junkrequest-first: "catenacyber.Fr".
    let q = unhex("c58e01200001000000000001 0b63617465 6e61637962657202467200 00010001");
    let m = parse_message(&q).unwrap();
    assert_eq!(m.questions[0].name, "catenacyber.fr");
    assert_eq!(m.questions[0].name_case.as_deref(), Some("catenacyber.Fr"));
    let lower = unhex(TWO_RESP_Q);
    let m = parse_message(&lower).unwrap();
    assert_eq!(m.questions[0].name_case, None);
}
