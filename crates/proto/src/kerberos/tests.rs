use super::*;
use crate::{AppRecord, Ctx, Direction, SessionParser};

fn unhex(parts: &[&str]) -> Vec<u8> {
    crate::test_util::unhex(&parts.concat())
}

/// Zeek corpus Traces/krb/kinit.pcap, packet 1: AS-REQ of valid_client_principal@VLADG.NET
/// for krbtgt/VLADG.NET.
fn as_req() -> Vec<u8> {
    unhex(&[
        "6a81af3081aca103020105a20302010aa30e300c300aa10402020095a2020400a4818f30818ca00703050000",
        "000010a1233021a003020101a11a30181b1676616c69645f636c69656e745f7072696e636970616ca20b1b09",
        "564c4144472e4e4554a31e301ca003020102a11530131b066b72627467741b09564c4144472e4e4554a51118",
        "0f32303135303131393232353435395aa70602047805a1eba814301202011202011102011002011702011902",
        "011a",
    ])
}

/// Same capture, packet 2: the AS-REP (aes256-cts-hmac-sha1-96 ticket).
fn as_rep() -> Vec<u8> {
    unhex(&[
        "6b8202e4308202e0a003020105a10302010ba23930373035a103020113a22e042c302a3028a003020112a121",
        "1b1f564c4144472e4e455476616c69645f636c69656e745f7072696e636970616ca30b1b09564c4144472e4e",
        "4554a4233021a003020101a11a30181b1676616c69645f636c69656e745f7072696e636970616ca582014c61",
        "82014830820144a003020105a10b1b09564c4144472e4e4554a21e301ca003020102a11530131b066b726274",
        "67741b09564c4144472e4e4554a382010e3082010aa003020112a103020101a281fd0481fa26667361d36058",
        "bc249e02eb4ed72c44f0fc0143a21430e9b70de84a8e341f19ef4a908bb57023d29c792d15a719f74d036ea4",
        "0fed6975e45f7ead1d02886e0924edd3b97e885951f8866a2d236d19de29860b5c263cd4ed1908e7ea8e8a0c",
        "b67175dc8593a3c16cea980380ebd5f03f0d4b3e0c4abf546a59d903e32b8e5ffc7b766afd30f7f9998d25cf",
        "7b1ebee03afc8e854a296f373a5e9447a34bf37a8c7c26bb466ef79ecfb0db9b9ec7afd3116c67c06e1b9a43",
        "059d67a520e466bea5511a8e96ae535c45cecc9cffd28d004fd7f0dad4b6502ab379bf6f52f729cd379d86a5",
        "9d2404c175335674fdb800e817a074b83f962136f709d1a682011530820111a003020112a282010804820104",
        "c0e9bc01959d9e9f9fee59934fb4f12d57fb1890bb0d86a8d3c3c88ffa8a953abd0a0a0c1e3cf36762e8af14",
        "c64fca04254c932ba04326cbc9e7e01363b6eea0bfc1145d032b04dc1322994fbbcef460186f53960819a0d3",
        "7f0507e49a36a44b8a655dc7022c6bab760741247681ba833f07aa0a8589615b892bbef7e564265a9c87ee3d",
        "61efe4181f70950f3d4ba226b37335c1ef54789bc8f3824792a6a98ab6c245afe8adec16102cd5b6f5c484fc",
        "f5b23113b306f82ff77359f5542e4f75cff22a32b63c1d6059e3d888694c41072128402e7d7de9203b90d3e0",
        "d2eb2602aac9d3cde662610d7c2ddf88f3d3b9e453d4d704bc9670175953152df9c89bfd003cc143",
    ])
}

/// Same capture, packet 72: KRB-ERROR 13 "TICKET NOT RENEWABLE" answering a TGS-REQ.
fn tgs_error() -> Vec<u8> {
    unhex(&[
        "7e8201f6308201f2a003020105a10302011ea211180f32303135303131393232353430335aa411180f323031",
        "35303131393232353430335aa505020303015ca60302010da70b1b09564c4144472e4e4554a8233021a00302",
        "0101a11a30181b1676616c69645f636c69656e745f7072696e636970616ca90b1b09564c4144472e4e4554aa",
        "1e301ca003020102a11530131b066b72627467741b09564c4144472e4e4554ab161b145449434b4554204e4f",
        "542052454e455741424c45ac82013b04820137308201333082012fa10402020088a282012504820121a08201",
        "1d30820119a082011530820111a003020112a28201080482010432f8b1b19e3385c75065498289c2a0dd582c",
        "ed4230909576c1c15321e36746edc632317ac17c2f48d2a9c81452fa17eae85a40b91e295bb1bcb37d8afebb",
        "53c3d4f10cc9257febcae6d587eb2fb81b5f61d8fc7a89da3fb9dd8b1d74d24c6bf62c8d6711ae8c2058c0af",
        "ccd726f404d61f267e079d6ca811415368424a5a5e0e0cb195e94e9360b42d4014be75df54d941a05dc86739",
        "f5859f92138c6ca6818c10c0c4b006c88c4838864d938530b5e1b3be4d9e54a2610db847389a0f30eb12c4c3",
        "6f4aaf9d7045d493c149e42f149489c05337fd6d7ce05ce0db49778cdbbef6b8d1f5f503e0b5a99f1c8c5140",
        "cb516c59a583ade870146ebdb695b6837db329f0b851",
    ])
}

/// Zeek corpus Traces/krb/error-preauth-padata.pcap, packet 1: a KRB-ERROR lacking its
/// required fields (only error code 25 and e-data).
const SPARSE_ERROR: &str = "7e143012a603020119ac0b30093007a103020102a200";

#[test]
fn parses_as_req() {
    let Some(KrbMessage::AsReq(q)) = parse_krb_message(&as_req()) else {
        panic!()
    };
    assert_eq!(q.cname.as_deref(), Some("valid_client_principal"));
    assert_eq!(q.realm, "VLADG.NET");
    assert_eq!(q.sname.as_deref(), Some("krbtgt/VLADG.NET"));
    assert_eq!(q.till, Some(1421708099));
    assert_eq!(q.from, None);
    assert!(!q.forwardable && !q.renewable);
}

#[test]
fn as_exchange_over_udp() {
    let mut s = KerberosSession::new(false);
    let mut out = Vec::new();
    let c = |ts, dir| Ctx { ts_ns: ts, dir };
    s.data(c(1, Direction::Orig), &as_req(), &mut out);
    assert!(out.is_empty() && s.confirmed());
    s.data(c(2, Direction::Resp), &as_rep(), &mut out);
    let [AppRecord::Kerberos(r)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(r.ts_ns, 1);
    assert_eq!(r.request_type.as_deref(), Some("AS"));
    assert_eq!(
        r.client.as_deref(),
        Some("valid_client_principal/VLADG.NET")
    );
    assert_eq!(r.service.as_deref(), Some("krbtgt/VLADG.NET"));
    assert_eq!(r.success, Some(true));
    assert_eq!(r.cipher.as_deref(), Some("aes256-cts-hmac-sha1-96"));
    let mut line = String::new();
    let mut o = netloupe_output::json::JsonObject::new(&mut line);
    r.write_json(&mut o);
    o.end();
    assert!(line.contains("\"till\":1421708099.000000"), "{line}");
    assert!(line.contains("\"success\":true"), "{line}");
}

#[test]
fn as_exchange_over_tcp_in_pieces() {
    let mut s = KerberosSession::new(true);
    let mut out = Vec::new();
    for (dir, m) in [(Direction::Orig, as_req()), (Direction::Resp, as_rep())] {
        let mut framed = (m.len() as u32).to_be_bytes().to_vec();
        framed.extend(&m);
        for chunk in framed.chunks(7) {
            s.data(Ctx { ts_ns: 0, dir }, chunk, &mut out);
        }
    }
    s.end(0, &mut out);
    assert_eq!(out.len(), 1);
    assert!(!s.violated());
}

#[test]
fn error_alone_takes_client_from_the_error() {
    let Some(m) = parse_krb_message(&tgs_error()) else {
        panic!()
    };
    let mut t = KerberosTracker::new();
    let mut out = Vec::new();
    t.message(0, &m, &mut out);
    assert_eq!(out[0].error_msg.as_deref(), Some("TICKET NOT RENEWABLE"));
    assert_eq!(
        out[0].client.as_deref(),
        Some("valid_client_principal/VLADG.NET")
    );
    assert_eq!(out[0].success, Some(false));
}

#[test]
fn sparse_error_is_read_leniently() {
    let Some(KrbMessage::Error(e)) = parse_krb_message(&unhex(&[SPARSE_ERROR])) else {
        panic!()
    };
    assert_eq!(e.error_code, 25);
    assert_eq!(parser::error_name(25), "KDC_ERR_PREAUTH_REQUIRED");
}

#[test]
fn gssapi_token_search() {
    // An AP-REQ can only be found behind the Kerberos OID and token id 01 00.
    let mut blob = vec![0x60, 0x00];
    blob.extend([
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03, 0x00,
    ]);
    blob.extend(unhex(&[SPARSE_ERROR]));
    let found = find_gssapi_krb5(&blob);
    assert!(matches!(&found[..], [KrbMessage::Error(e)] if e.error_code == 25));
}

#[test]
fn every_prefix_is_safe() {
    for m in [as_req(), as_rep(), tgs_error(), unhex(&[SPARSE_ERROR])] {
        for n in 0..=m.len() {
            let _ = parse_krb_message(&m[..n]);
            fuzz(&m[..n]);
        }
    }
}

#[test]
fn fuzz_pseudo_random() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let bases = [as_req(), as_rep(), tgs_error()];
    for round in 0..3000 {
        let mut buf = bases[round % 3].clone();
        for _ in 0..1 + round % 8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % buf.len();
            buf[i] = (x >> 40) as u8;
        }
        if round % 5 == 0 {
            buf.truncate((x >> 20) as usize % buf.len());
        }
        fuzz(&buf);
    }
}
