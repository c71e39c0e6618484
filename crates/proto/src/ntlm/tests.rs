use super::*;

fn unhex(parts: &[&str]) -> Vec<u8> {
    crate::test_util::unhex(&parts.concat())
}

/// Zeek corpus Traces/dce-rpc/mapi.pcap, packet 416: the CHALLENGE of server SATURN (domain
/// CNAMIS), from the DCE-RPC bind_ack's auth verifier.
fn challenge() -> Vec<u8> {
    unhex(&[
        "4e544c4d53535000020000000c000c003000000005828920b06a306d9fc9db0900000000000000002400",
        "24003c00000043004e0041004d004900530002000c0043004e0041004d004900530001000c0053004100",
        "5400550052004e0000000000",
    ])
}

/// Same capture, packet 417: the AUTHENTICATE of CNAMIS\ALeonard from ALEONARD-XP.
fn authenticate() -> Vec<u8> {
    unhex(&[
        "4e544c4d53535000030000001800180072000000180018008a0000000c000c0040000000100010004c00",
        "0000160016005c00000000000000a20000000582882043004e0041004d004900530041004c0065006f00",
        "6e0061007200640041004c0045004f004e004100520044002d0058005000d9e60e287e49e9cc00000000",
        "0000000000000000000000002d19e10529d89b98bae0eeb60768a7fdf2798ee01a3284a4",
    ])
}

#[test]
fn parses_challenge_target_info() {
    let Some(NtlmMessage::Challenge(c)) = parse_ntlmssp(&challenge()) else {
        panic!()
    };
    assert_eq!(c.target_name.as_deref(), Some("CNAMIS"));
    assert_eq!(c.nb_domain_name.as_deref(), Some("CNAMIS"));
    assert_eq!(c.nb_computer_name.as_deref(), Some("SATURN"));
    assert_eq!(c.dns_computer_name, None);
    assert!(!c.av_unterminated);
    assert_eq!(
        c.challenge,
        [0xb0, 0x6a, 0x30, 0x6d, 0x9f, 0xc9, 0xdb, 0x09]
    );
}

#[test]
fn unterminated_target_info_keeps_its_pairs() {
    // Zeek corpus Traces/dce-rpc/ntlm-unterminated-av-sequence.pcap, packet 5: the same
    // challenge cut before MsvAvEOL.
    let mut c = challenge();
    c.truncate(c.len() - 4);
    let Some(NtlmMessage::Challenge(c)) = parse_ntlmssp(&c) else {
        panic!()
    };
    assert_eq!(c.nb_computer_name.as_deref(), Some("SATURN"));
    assert!(c.av_unterminated);
}

#[test]
fn parses_authenticate() {
    let Some(NtlmMessage::Authenticate(a)) = parse_ntlmssp(&authenticate()) else {
        panic!()
    };
    assert_eq!(a.user.as_deref(), Some("ALeonard"));
    assert_eq!(a.domain.as_deref(), Some("CNAMIS"));
    assert_eq!(a.workstation.as_deref(), Some("ALEONARD-XP"));
    assert_eq!(a.nt_response_len, 24);
}

#[test]
fn tracker_joins_an_exchange() {
    let mut stream = vec![0u8; 10];
    stream.extend(challenge());
    stream.extend([1, 2, 3]);
    stream.extend(authenticate());
    let found = find_and_parse(&stream);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].0, 10);
    let mut t = NtlmTracker::new();
    let mut out = Vec::new();
    for (i, (_, m)) in found.iter().enumerate() {
        t.message(i as i64, m, &mut out);
    }
    assert!(out.is_empty() && t.pending());
    t.set_success(true, &mut out);
    let [r] = &out[..] else { panic!() };
    assert_eq!(r.ts_ns, 0);
    assert_eq!(r.username.as_deref(), Some("ALeonard"));
    assert_eq!(r.hostname.as_deref(), Some("ALEONARD-XP"));
    assert_eq!(r.domainname.as_deref(), Some("CNAMIS"));
    assert_eq!(r.server_nb_computer_name.as_deref(), Some("SATURN"));
    assert_eq!(r.success, Some(true));
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    r.write_json(&mut o);
    o.end();
    assert_eq!(
        line,
        "{\"username\":\"ALeonard\",\"hostname\":\"ALEONARD-XP\",\"domainname\":\"CNAMIS\",\
         \"server_nb_computer_name\":\"SATURN\",\"success\":true}"
    );
}

#[test]
fn http_authorization_header() {
    // A typical Windows client's NEGOTIATE_MESSAGE in "Authorization: NTLM ..." (flags
    // 0xa2088207, no domain or workstation, version 10.0.17134); not from the corpus, whose
    // NTLM traces are all DCE-RPC.
    let m = parse_http_auth("NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAO5CAAAADw==");
    let Some(NtlmMessage::Negotiate(n)) = m else {
        panic!("{m:?}")
    };
    assert_eq!(n.flags, 0xa208_8207);
    assert_eq!(parse_http_auth("Basic dXNlcjpwYXNz"), None);
    assert_eq!(base64_decode("aGk=").as_deref(), Some(&b"hi"[..]));
}

#[test]
fn every_prefix_is_safe() {
    for m in [challenge(), authenticate()] {
        for n in 0..=m.len() {
            let _ = parse_ntlmssp(&m[..n]);
            fuzz(&m[..n]);
        }
    }
}

#[test]
fn fuzz_pseudo_random() {
    let mut x: u64 = 0x853c_49e6_748f_ea9b;
    let mut base = challenge();
    base.extend(authenticate());
    for round in 0..3000 {
        let mut buf = base.clone();
        for _ in 0..1 + round % 8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % buf.len();
            buf[i] = (x >> 40) as u8;
        }
        if round % 4 == 0 {
            buf.truncate((x >> 20) as usize % buf.len());
        }
        fuzz(&buf);
    }
}
