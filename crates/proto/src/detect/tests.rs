//! Unit tests with real bytes: each sample is the start of a payload copied from a capture of
//! the shared corpus (/work/shared/corpus), cited as `file#packet` (1-based frame number). UDP
//! samples longer than what is copied are padded with zeros to their original length (noted);
//! the rules do not look at the encrypted / padded part.

use super::*;
use crate::Direction::{Orig, Resp};

fn h(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(s.len().is_multiple_of(2), "odd hex");
    s.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

/// A copied prefix (an odd trailing nibble is dropped) padded with zeros to `len` bytes.
fn padded(s: &str, len: usize) -> Vec<u8> {
    let mut v = h(&s[..s.len() & !1]);
    assert!(v.len() <= len);
    v.resize(len, 0);
    v
}

/// Feeds TCP segments in order, each direction as a growing prefix; returns every verdict.
fn tcp_verdicts(segs: &[(Direction, &[u8])], op: u16, rp: u16) -> Vec<Verdict> {
    let mut det = Detector::new();
    let mut bufs: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    segs.iter()
        .map(|(dir, seg)| {
            let b = &mut bufs[usize::from(*dir == Resp)];
            b.extend_from_slice(seg);
            det.feed(Transport::Tcp, *dir, b, op, rp)
        })
        .collect()
}

fn tcp(segs: &[(Direction, &[u8])], op: u16, rp: u16) -> Verdict {
    *tcp_verdicts(segs, op, rp).last().unwrap()
}

fn tcp1(dir: Direction, data: &[u8], op: u16, rp: u16) -> Verdict {
    tcp(&[(dir, data)], op, rp)
}

fn udp(data: &[u8], op: u16, rp: u16) -> Verdict {
    Detector::new().feed(Transport::Udp, Orig, data, op, rp)
}

use Verdict::{Match, NeedMore, NoMatch};

/// The other direction of negative TCP tests: bytes no rule can extend into a match.
const JUNK: &[u8] = &[0x07; 16];

// --- DNS family -------------------------------------------------------------------------------

/// zeek/Traces/dns53.pcap#1: response for us.v27.distributed.net A (first 80 bytes of 8
/// answers / 7 authority / 7 additional records would be cut; use the header + question only).
const DNS_QUERY: &str =
    "6465010000010000000000000275730376323 70b6469737472696275746564036e65740000010001";

#[test]
fn detect_dns_udp() {
    let q = h(DNS_QUERY);
    assert_eq!(udp(&q, 40000, 53), Match(Service::Dns));
    // Same message on ports that are nobody's: still DNS (content only).
    assert_eq!(udp(&q, 40000, 40001), Match(Service::Dns));
}

#[test]
fn detect_dns_tcp() {
    // zeek/Traces/dns-edns-tcp-keepalive.pcap#4: query with a 2-byte length prefix.
    let q = h("003c8076012000010000000000010977696b697065646961036f726700000100010000291000000000000012000a0008c814985a928a6342000b0002000a");
    assert_eq!(tcp1(Orig, &q, 50000, 53), Match(Service::Dns));
    // The first segment carrying only the length and half the header waits.
    assert_eq!(tcp1(Orig, &q[..8], 50000, 53), NeedMore);
}

#[test]
fn detect_mdns_llmnr_nbns() {
    // zeek/Traces/dns/mdns.pcap#1: 5353 -> 5353, id 0, two PTR questions under .local.
    let m = h("000000000002000000000000045f697070045f746370056c6f63616c00000c0001055f69707073c011000c0001");
    assert_eq!(udp(&m, 5353, 5353), Match(Service::Mdns));
    // By content alone (id 0, ".local"), without the port.
    assert_eq!(udp(&m, 40000, 40001), Match(Service::Mdns));
    // ndpi/pcap/1kxun.pcap#1 (udp 5355): LLMNR query for "jason-PC", type ANY.
    let l = h("e6a100000001000000000000086a61736f6e2d50430000ff0001");
    assert_eq!(udp(&l, 60000, 5355), Match(Service::Llmnr));
    // Without its port, an LLMNR message is indistinguishable from DNS.
    assert_eq!(udp(&l, 60000, 40001), Match(Service::Dns));
    // ndpi/pcap/netbios.pcap#1: NBNS query (broadcast flag), NetBIOS-encoded name, type NB.
    let n = h("a7490110000100000000000020464946444645464345464542454e46504549464a4341434143414341434141410000200001");
    assert_eq!(udp(&n, 137, 137), Match(Service::Nbns));
    assert_eq!(udp(&n, 40000, 40001), Match(Service::Nbns));
}

#[test]
fn off_port_datagram_waits_for_the_ports_protocol() {
    // suricata-verify/tests/dns-udp-junkrequest-first: an SNMPv3 message to port 53, then a
    // DNS query: the port's own protocol wins.
    let snmp = h("3040020103300f02030091c8020205dc0401040201030415301304000201000201000405                  61646d696e04000400301304000400a00d02030091c8020100020100 3000");
    let dns = h("c58e01200001000000000001 0b63617465 6e61637962657202467200 00010001");
    let mut det = Detector::new();
    assert_eq!(det.feed(Transport::Udp, Orig, &snmp, 59075, 53), NeedMore);
    assert_eq!(
        det.feed(Transport::Udp, Orig, &dns, 59075, 53),
        Match(Service::Dns)
    );
    // Alone, the SNMP message is still SNMP: when the connection ends, or when the datagram
    // budget runs out.
    let mut det = Detector::new();
    assert_eq!(det.feed(Transport::Udp, Orig, &snmp, 59075, 53), NeedMore);
    assert_eq!(det.finish(), Some(Service::Snmp));
    let mut det = Detector::new();
    let mut last = NeedMore;
    for _ in 0..MAX_DATAGRAMS {
        last = det.feed(Transport::Udp, Orig, &snmp, 59075, 53);
    }
    assert_eq!(last, Match(Service::Snmp));
    // Towards a port no protocol registers, or its own, it decides at once.
    assert_eq!(udp(&snmp, 59075, 40000), Match(Service::Snmp));
    assert_eq!(udp(&snmp, 59075, 161), Match(Service::Snmp));
}

#[test]
fn dns_with_unassigned_opcode_only_on_the_dns_port() {
    // suricata-verify/tests/dns/dns-invalid-opcode: a query for suricata.io A with opcode 9.
    let q = h("0001490000010000000000000873757269636174610269 6f0000010001");
    assert_eq!(udp(&q, 5333, 53), Match(Service::Dns));
    assert_eq!(udp(&q, 5333, 5353), NeedMore);
    assert_eq!(udp(&q, 5333, 40000), NeedMore);
}

#[test]
fn detect_dns_negatives() {
    let q = h(DNS_QUERY);
    // Class 0x0042 is no DNS class.
    let mut bad_class = q.clone();
    let n = bad_class.len();
    bad_class[n - 1] = 0x42;
    assert_eq!(udp(&bad_class, 40000, 53), NeedMore);
    // Z bit set.
    let mut z = q.clone();
    z[3] |= 0x40;
    assert_eq!(udp(&z, 40000, 53), NeedMore);
    // A label running past the end.
    assert_eq!(udp(&q[..20], 40000, 53), NeedMore);
    // A compression pointer in the first name (must point backwards past the header).
    let mut ptr = q[..12].to_vec();
    ptr.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    assert_eq!(udp(&ptr, 40000, 53), NeedMore);
}

// --- HTTP ---------------------------------------------------------------------------------------

#[test]
fn detect_http() {
    // zeek/Traces/http/get-gzip.pcap#4 (request) and #6 (response).
    let req = h("474554202f677a697020485454502f312e310d0a557365722d4167656e743a206375726c2f372e32392e300d0a");
    let resp = h("485454502f312e3120323030204f4b0d0a");
    assert_eq!(tcp1(Orig, &req, 50000, 8888), Match(Service::Http));
    assert_eq!(tcp1(Resp, &resp, 50000, 8888), Match(Service::Http));
    // A request line arriving in pieces.
    assert_eq!(tcp1(Orig, &req[..2], 50000, 80), NeedMore);
    assert_eq!(tcp1(Orig, &req[..12], 50000, 80), NeedMore);
    // ndpi/pcap/WebattackRCE.pcap: unescaped spaces in the target.
    let rce = b"GET /cgi-bin/handler/netsonar;cat /etc/passwd|?data=Download HTTP/1.1\r\n";
    assert_eq!(tcp1(Orig, rce, 50000, 8080), Match(Service::Http));
}

#[test]
fn detect_http_negatives() {
    // Unknown method, other versions, "HTTP" inside binary, RTSP.
    for d in [
        &b"FETCH / HTTP/1.1\r\n"[..],
        b"GET / HTTP/2.0\r\n",
        b"GET /\r\n\r\n",
        b"\x00\x01\x02HTTP/1.1 200 OK\r\n",
        b"DESCRIBE rtsp://cam/ RTSP/1.0\r\n",
        b"RTSP/1.0 200 OK\r\n",
        b"HTTP/1.1 999 Nope\r\n",
    ] {
        let v = tcp(&[(Orig, d), (Resp, JUNK)], 1, 2);
        assert_eq!(v, NoMatch, "{:?}", String::from_utf8_lossy(d));
    }
}

#[test]
fn detect_http09_simple_request() {
    // zeek/Traces/http/http_09.pcap#4: "GET /zeek.html\n" (LF only) to port 80.
    let get = h("474554202f7a65656b2e68746d6c0a");
    assert_eq!(tcp1(Orig, &get, 42960, 80), Match(Service::Http));
    // zeek/Traces/http/http_09.pcap#14: "POST /zeek.html\n".
    let post = h("504f5354202f7a65656b2e68746d6c0a");
    assert_eq!(tcp1(Orig, &post, 42964, 80), Match(Service::Http));
    // zeek/Traces/http/no-version.pcap#4: a formmail probe without version, CRLF-terminated.
    let nv = h(
        "474554202f6367692d62696e2f666f726d6d61696c2e706c3f656d61696c3d663240616f6c2e636f6d26\
         7375626a6563743d7777772d6e72672e65652f6367692d62696e2f666f726d6d61696c2e706c26726563\
         697069656e743d756e6b6e6f776e7a4062757932736176652e636f6d266d73673d773030740d0a",
    );
    assert_eq!(nv.len(), 123);
    assert_eq!(tcp1(Orig, &nv, 1035, 80), Match(Service::Http));
    // zeek/Traces/http/http-09-content-length-confusion.pcap#10: "GET /\r\n" (the server
    // spoke first there; here alone, to the other well-known ports).
    let root = h("474554202f0d0a");
    for port in [8080, 8000, 8008, 3128, 81] {
        assert_eq!(
            tcp1(Orig, &root, 46982, port),
            Match(Service::Http),
            "{port}"
        );
    }
    // Absolute-form target.
    assert_eq!(
        tcp1(Orig, b"GET http://example.com/\r\n", 50000, 3128),
        Match(Service::Http)
    );
    // Split lines wait for the end of the line.
    assert_eq!(tcp1(Orig, &get[..10], 42960, 80), NeedMore);
    assert_eq!(tcp1(Orig, &root[..6], 46982, 80), NeedMore);
    assert_eq!(
        tcp(&[(Orig, &get[..7]), (Orig, &get[7..])], 42960, 80),
        Match(Service::Http)
    );
}

#[test]
fn detect_http09_negatives() {
    let get = h("474554202f7a65656b2e68746d6c0a");
    // Not a well-known HTTP port: the same line is not enough.
    for port in [8888, 443, 21, 12345] {
        assert_eq!(
            tcp(&[(Orig, &get), (Resp, JUNK)], 42960, port),
            NoMatch,
            "{port}"
        );
    }
    // Sent by the responder (the port is the originator's, not the server's).
    assert_eq!(tcp(&[(Resp, &get), (Orig, JUNK)], 42960, 80), NoMatch);
    assert_eq!(tcp(&[(Orig, JUNK), (Resp, &get)], 80, 42960), NoMatch);
    for d in [
        // zeek/Traces/http/http_09.pcap#24: "GET \n", no target.
        &h("474554200a")[..],
        // zeek/Traces/http/http_09.pcap#34 and #44: truncated methods "T /zeek.html\n", "T\n".
        &h("54202f7a65656b2e68746d6c0a"),
        &h("540a"),
        // Spaces or a second word without an HTTP version, targets not '/' or "http".
        b"GET /a b\r\n",
        b"GET / HTTP/2.0\r\n",
        b"GET index.html\r\n",
        b"GET http\r\n",
        b"GET htp://x/\r\n",
        b"get /\r\n",
        b"FETCH /\r\n",
        b"GET /\x01\r\n",
        b"GET /\r\r\n",
    ] {
        // (Some of these leave other line rules undecided: only HTTP is ruled out.)
        let v = tcp(&[(Orig, d), (Resp, JUNK)], 50000, 80);
        assert_ne!(v, Match(Service::Http), "{:?}", String::from_utf8_lossy(d));
        assert_eq!(rules::http_simple_request(d), Err(Miss::No));
    }
}

// --- TLS ----------------------------------------------------------------------------------------

/// zeek/Traces/tls/dhe.pcap#4: TLS 1.2 ClientHello (record version 3.1).
const TLS_CH: &str = "160301005f0100005b03035eda80951f7f8ae4d8dd45f31ed2e158f5f9ee676b7cb2c92585d8a3e1c2da7e000004008800ff020100002d00230000000d0020001e060106020603050105020503040104020403030103020303020102020203000f000101";

#[test]
fn detect_tls() {
    let ch = h(TLS_CH);
    assert_eq!(tcp1(Orig, &ch, 50000, 4433), Match(Service::Tls));
    // zeek/Traces/tls/dhe.pcap#6: ServerHello (first 64 bytes).
    let sh = h("160303003a020000360303535c4db35c3660849d1ba4081e9c5863f11c64233c045d58380ea393bdca532200008800000eff0100010000230000000f000101");
    assert_eq!(tcp1(Resp, &sh, 50000, 4433), Match(Service::Tls));
    // zeek/Traces/tls/ssl-v2.pcap#4: SSLv2-compatible ClientHello.
    let v2 = h("802e0100020015000000100700c00500800300800100800600400400800200801c30e2b12f4c04525476f280c07abee5");
    assert_eq!(tcp1(Orig, &v2, 50000, 443), Match(Service::Tls));
    // ndpi/pcap/6in4tunnel.pcap (IMAPS mid-stream): one application-data record.
    let app = h("170303002907f6afa57a3d7817006d3e7b243dec817b6efdef290a72ce86fabe33b2124c002fbb24b85c81eef4a5");
    assert_eq!(tcp1(Resp, &app, 35610, 993), Match(Service::Tls));
    // Half a ClientHello: wait.
    assert_eq!(tcp1(Orig, &ch[..20], 50000, 443), NeedMore);
}

#[test]
fn detect_tls_negatives() {
    let ch = h(TLS_CH);
    // Record type 22 with a wrong major version.
    let mut v = ch.clone();
    v[1] = 2;
    assert_eq!(tcp(&[(Orig, &v), (Resp, JUNK)], 1, 443), NoMatch);
    // ClientHello whose cipher-suite length overruns the handshake, followed by bytes that are
    // no record header (a well-formed record alone would count as mid-stream TLS).
    let mut cs = ch.clone();
    cs[44] = 0x7f;
    cs.extend_from_slice(b"\x00\x01\x02\x03\x04\x05");
    assert_eq!(tcp(&[(Orig, &cs), (Resp, JUNK)], 1, 443), NoMatch);
    // A lone 0x16 0x03 followed by junk.
    assert_eq!(
        tcp(
            &[(Orig, b"\x16\x03\x01\xff\xff\x99junkjunk"), (Resp, JUNK)],
            1,
            443
        ),
        NoMatch
    );
}

// --- QUIC ---------------------------------------------------------------------------------------

#[test]
fn detect_quic() {
    // zeek/Traces/quic/curl-8.1.2-dev-http3-www-google-de.pcap#1: v1 Initial (first 70 of
    // 1200 bytes).
    let v1 = padded("cc0000000110815d62c70884f4b51e8ccadd5beed37214e5ec6b26584229be98a164349ae910351c40d10b004120ce43dfccf374eedfb3574208cf95e8d03303e0318", 1200);
    assert_eq!(udp(&v1, 50000, 443), Match(Service::Quic));
    assert_eq!(udp(&v1, 50000, 4433), Match(Service::Quic));
    // ndpi/pcap/quic-v2.pcapng#1: v2 Initial with a 50-byte token (first 100 of 1232 bytes).
    let v2 = padded("d66b3343cf080726272642fc2eb20811fffdea452422b832a196c2fa15ec4a99b399b9116eb2c5ef233065423a33ac16db1be7c47541e1dbc9337bc0326b173b40bfcb11d25b647d0e8141c89fd5d4fe0ae06a3a4962392c9e91c2e1b3920ae3f", 1232);
    assert_eq!(udp(&v2, 50000, 443), Match(Service::Quic));
    // ndpi/pcap/quic_q46.pcap#1, quic_q43.pcap#1, quic_q50.pcap#1: Google QUIC (1350 bytes).
    for s in [
        "c35130343650eacfe6e706df272d0000000460da58929f6839d08",
        "0de83c77bd8f8915f95130343301d4a6cc79cf5763921201d4caa",
        "cb5130353008df4a089e4eff5e7a000045344a1f86ea325a43e59578aa9f561c1e93255c7",
    ] {
        assert_eq!(udp(&padded(s, 1350), 50000, 443), Match(Service::Quic));
    }
    // A long header whose Length overruns the datagram.
    let short = v1[..200].to_vec();
    assert_eq!(udp(&short, 50000, 443), NeedMore);
    // Unknown version: only the invariant header can be checked, so only QUIC's port admits it.
    let mut unk = v1.clone();
    unk[1..5].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    assert_eq!(udp(&unk, 50000, 443), Match(Service::Quic));
    assert_eq!(udp(&unk, 50000, 4433), NeedMore);
    // zeek/Traces/quic/vector-max-size-crash.pcap#1 (the whole 45-byte payload): version
    // 0x10010000, DCID 00, no SCID; Zeek logs it as QUIC unknown-10010000.
    let crash = h("c6 10010000 01 00 00 0000000001 320d 6161616161616161 2d 61616161 07 6161616161616161616161 0000100001");
    assert_eq!(udp(&crash, 45492, 443), Match(Service::Quic));
    assert_eq!(udp(&crash, 45492, 53), NeedMore);
    // A short header (fixed bit only) or a bad connection-id length is not admitted.
    let mut bad = crash.clone();
    bad[5] = 21;
    assert_ne!(udp(&bad, 45492, 443), Match(Service::Quic));
}

// --- SSH ----------------------------------------------------------------------------------------

#[test]
fn detect_ssh() {
    // zeek/Traces/ssh/ssh.pcap#4.
    let b = h("5353482d322e302d4f70656e5353485f352e380d0a");
    assert_eq!(tcp1(Orig, &b, 50000, 2222), Match(Service::Ssh));
    assert_eq!(tcp1(Orig, &b[..5], 50000, 22), NeedMore);
    // zeek/Traces/ssh/server-pre-banner-data.pcap#6: server text lines before its banner.
    let pre = b" _____________\n< Hi stranger >\n -------------\nSSH-2.0-OpenSSH_9.7\r\n";
    assert_eq!(tcp1(Resp, pre, 50000, 22), Match(Service::Ssh));
    // "SSH-" without a version.
    assert_eq!(
        tcp(&[(Orig, b"SSH-two-x\r\n"), (Resp, JUNK)], 1, 22),
        NoMatch
    );
}

// --- SMB ----------------------------------------------------------------------------------------

#[test]
fn detect_smb() {
    // zeek/Traces/smb/cifs_negotiate_lanman.pcap#4: SMB1 negotiate over NetBIOS session.
    let s1 = h("0000005cff534d4272000000001853c80000000000000000000000000000341200000100003900025043204e4554574f52");
    assert_eq!(tcp1(Orig, &s1, 50000, 139), Match(Service::Smb));
    // zeek/Traces/smb/smb1.pcap#1: SMB2 header (StructureSize 64).
    let s2 = h("00000158fe534d4240000100000000000500000108000000980000006d07000000000000fffe000001000000310000000004000070e64a7da9d54c");
    assert_eq!(tcp1(Orig, &s2, 50000, 12345), Match(Service::Smb));
    // zeek/Traces/smb/smb3.pcap#9: SMB3 transform header.
    let s3 = h("000000c6fd534d4276176b1956ed2c9c5acf00a30c0485bc3aaa968f18ae61e6e76f1f000000000092000000000001003d00009400480000e72898fada97bec718be0eed4d912a7fff8a04c53ec199");
    assert_eq!(tcp1(Orig, &s3, 50000, 445), Match(Service::Smb));
    // zeek/Traces/netbios/netbios-split-session-msg.pcap#4: header + magic in one 8-byte segment.
    assert_eq!(
        tcp1(Orig, &h("00000020ff534d42"), 50000, 139),
        Match(Service::Smb)
    );
    // Magic with a wrong StructureSize; magic not behind a session header.
    let mut bad = s2.clone();
    bad[8] = 0x41;
    assert_eq!(tcp(&[(Orig, &bad), (Resp, JUNK)], 1, 445), NoMatch);
    assert_eq!(
        tcp(
            &[
                (Orig, b"\x01\x02\xfeSMB@\x00\x00\x00\x00\x00"),
                (Resp, JUNK)
            ],
            1,
            445
        ),
        NoMatch
    );
}

// --- DCE/RPC ------------------------------------------------------------------------------------

#[test]
fn detect_dcerpc() {
    // ndpi/pcap/kerberos.pcap (flow 172.16.8.8:49155): bind_ack, version 5.0, frag 284.
    let ack = h("05000c07100000001c01a80002000000d016d016872200000600343931353500030000000200020000000000000000000000000000000000000000000000000033057171babe37498319b5dbef9ccc3601000000030003000000000000000000");
    assert_eq!(tcp1(Resp, &ack, 49165, 49155), Match(Service::DceRpc));
    // zeek/Traces/dce-rpc/mapi.pcap#3: request (first 64 bytes).
    let req = h("0500000310000000800010002719000044000000000002000000000078b0ca2302be484daaea907a1616b195cc0b0000000000001f000000aaa5a4a5a5a4a5a4");
    assert_eq!(tcp1(Orig, &req, 50000, 6001), Match(Service::DceRpc));
    // ndpi/pcap/profinet-io-le.pcap#1: connectionless PDU over UDP (164 bytes).
    let cl = h("04000800100000000000a0de976cd111827100010003015a0100a0de976cd111827100a02442df7ddbabbaec1d005443b2500b01630abafd0000000001000000000000000500ffffffff54000000000040800000400000004080000000000000400000000009003c0100000a0000000000000000000000000000000000000000000000010000f84000008000000000000000000000000000000000000000000000000000");
    assert_eq!(udp(&cl, 49153, 34964), Match(Service::DceRpc));
    // Version 5.0 with an unknown packet type / a fragment shorter than its header.
    let mut bad = req.clone();
    bad[2] = 42;
    assert_eq!(tcp(&[(Orig, &bad), (Resp, JUNK)], 1, 135), NoMatch);
    let mut frag = req.clone();
    frag[8] = 8;
    frag[9] = 0;
    assert_eq!(tcp(&[(Orig, &frag), (Resp, JUNK)], 1, 135), NoMatch);
}

// --- Kerberos -----------------------------------------------------------------------------------

/// zeek/Traces/krb/kinit.pcap#1: AS-REQ over UDP (178 bytes).
const KRB_AS_REQ: &str = "6a81af3081aca103020105a20302010aa30e300c300aa10402020095a2020400a4818f30818ca00703050000000010a1233021a003020101a11a30181b1676616c69645f636c69656e745f7072696e636970616ca20b1b09564c4144472e4e4554a31e301ca003020102a11530131b066b72627467741b09564c4144472e4e4554a511180f32303135303131393232353435395aa70602047805a1eba814301202011202011102011002011702011902011a";

#[test]
fn detect_kerberos() {
    let a = h(KRB_AS_REQ);
    assert_eq!(udp(&a, 50000, 88), Match(Service::Kerberos));
    assert_eq!(udp(&a, 50000, 8888), Match(Service::Kerberos));
    // Truncated datagram: lengths disagree.
    assert_eq!(udp(&a[..100], 50000, 88), NeedMore);
    // pvno 4.
    let mut p4 = a.clone();
    p4[10] = 4;
    assert_eq!(udp(&p4, 50000, 88), NeedMore);
    // zeek/Traces/krb/optional-service-name.pcap#3: AS-REQ over TCP (record mark 0x6a).
    let t = h("0000006a6a683066a103020105a20302010aa45a3058a00703050040000010a21a1b186b65726265726f735f7265616c6d5f74696d652e6e61736c");
    assert_eq!(tcp1(Orig, &t, 50000, 88), Match(Service::Kerberos));
    // Record mark disagreeing with the message length.
    let mut m = t.clone();
    m[3] = 0x70;
    assert_eq!(tcp(&[(Orig, &m), (Resp, JUNK)], 1, 88), NoMatch);
}

// --- NTLMSSP ------------------------------------------------------------------------------------

#[test]
fn detect_ntlmssp() {
    // zeek/Traces/smb/raw_ntlm_in_smb.pcap#19: NEGOTIATE_MESSAGE inside an SMB1 session setup.
    let s = h("0000009aff534d4273000000000801c8000000000000000000000000ffff0100000001000cff00000004110a000700000000002800000000005cc000805f004e544c4d535350000100000005028862000000000000000000000000000000000601b01d0f000000004d006100630020004f005300200058002000310030002e0031003000000053004d00420046005300200033002e0030002e0030000000");
    assert_eq!(find_ntlmssp(&s), Some(63));
    // The carrier wins: this is SMB.
    assert_eq!(tcp1(Orig, &s, 50000, 445), Match(Service::Smb));
    // Alone on an unknown stream it is reported as NTLM.
    assert_eq!(tcp1(Orig, &s[63..], 50000, 7777), Match(Service::Ntlm));
    // Wrong message type, or truncated before its fixed part.
    assert_eq!(
        find_ntlmssp(b"xxNTLMSSP\0\x04\0\0\0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        None
    );
    assert_eq!(find_ntlmssp(b"NTLMSSP\0\x02\0\0\0"), None);
    assert_eq!(
        find_ntlmssp(b"NTLMSSP\0NTLMSSP\0\x01\0\0\0\0\0\0\0"),
        Some(8)
    );
}

// --- RDP ----------------------------------------------------------------------------------------

#[test]
fn detect_rdp() {
    // zeek/Traces/rdp/rdp-proprietary-encryption.pcap#4 (CR with cookie + RDP_NEG_REQ) and #5
    // (CC with RDP_NEG_RSP).
    let cr = h("0300002f2ae00000000000436f6f6b69653a206d737473686173683d465442434f5c4137300d0a0100080001000000");
    let cc = h("030000130ed000001234000300080002000000");
    assert_eq!(tcp1(Orig, &cr, 50000, 3389), Match(Service::Rdp));
    assert_eq!(tcp1(Resp, &cc, 50000, 33890), Match(Service::Rdp));
    assert_eq!(tcp1(Orig, &cr[..20], 50000, 3389), NeedMore);
    // zeek/Traces/rdp/rdpeudp-handshake-success.pcap#1: RDP-UDP SYN (first 48 of 1232 bytes).
    let syn = padded(
        "ffffffff004018010b127f1504d004d07855d064fbaf43f0b6e8f8aadfad0000",
        1232,
    );
    assert_eq!(udp(&syn, 50000, 3389), Match(Service::Rdp));
    // An ISO-TSAP CR with TSAP parameters (S7comm / MMS style) is not RDP.
    let cotp = h("0300001611e00000000100c0010ac1020100c2020102");
    assert_eq!(tcp(&[(Orig, &cotp), (Resp, JUNK)], 1, 102), NoMatch);
    // Length indicator disagreeing with the TPKT length.
    let mut li = cr.clone();
    li[4] = 0x20;
    assert_eq!(tcp(&[(Orig, &li), (Resp, JUNK)], 1, 3389), NoMatch);
}

// --- LDAP ---------------------------------------------------------------------------------------

#[test]
fn detect_ldap() {
    // zeek/Traces/ldap/ldap-add.pcap#4: simple bindRequest; #6 bindResponse.
    let bind = h(
        "302a0201016025020103041a636e3d61646d696e2c64633d6578616d706c652c64633d636f6d80047a65656b",
    );
    let resp = h("300c02010161070a010004000400");
    assert_eq!(tcp1(Orig, &bind, 46160, 389), Match(Service::Ldap));
    assert_eq!(tcp1(Resp, &resp, 46160, 10389), Match(Service::Ldap));
    // zeek/Traces/ldap/ctu-sme-11-win7ad-1-ldap-tcp-50041.pcap#4: long-form lengths, SASL bind.
    let sasl = h("30840000004b020200a06084000000410201030400a38400000036040a4753532d53504e45474f04284e544c4d5353500001000000978208e2000000000000000000000000000000000601b11d0000000f");
    assert_eq!(tcp1(Orig, &sasl, 50041, 389), Match(Service::Ldap));
    // CLDAP: the same message as one UDP datagram.
    assert_eq!(udp(&bind, 50000, 389), Match(Service::Ldap));
    // Bind with version 9; an APPLICATION tag LDAP does not define (20).
    let mut v9 = bind.clone();
    v9[9] = 9;
    assert_eq!(tcp(&[(Orig, &v9), (Resp, JUNK)], 1, 389), NoMatch);
    let mut t20 = bind.clone();
    t20[5] = 0x74;
    assert_eq!(tcp(&[(Orig, &t20), (Resp, JUNK)], 1, 389), NoMatch);
}

// --- DHCP ---------------------------------------------------------------------------------------

#[test]
fn detect_dhcp() {
    // zeek/Traces/dhcp/dhcp.pcap#1: DHCPDISCOVER (265 bytes).
    let mut d = h("01010600000007c0000000000000000000000000000000000000000090b11c994929");
    d.resize(236, 0);
    d.extend_from_slice(&h(
        "638253633501013204c0a8d3c20c0d62746573742e69732e636f6f6cff",
    ));
    assert_eq!(udp(&d, 68, 67), Match(Service::Dhcp));
    assert_eq!(udp(&d, 6800, 6700), Match(Service::Dhcp));
    // Wrong magic cookie; hlen 6 for Ethernet violated.
    let mut c = d.clone();
    c[237] = 0;
    assert_eq!(udp(&c, 68, 67), NeedMore);
    let mut l = d.clone();
    l[2] = 12;
    assert_eq!(udp(&l, 68, 67), NeedMore);
}

// --- Mail and file transfer ---------------------------------------------------------------------

#[test]
fn detect_smtp() {
    // zeek/Traces/smtp.pcap#6 (greeting, first 64 bytes) and #7 (EHLO).
    let g = h("3232302d786339302e7765627369746577656c636f6d652e636f6d2045534d5450204578696d20342e3639202331204d6f6e2c203035204f637420323030392030313a30");
    let e = h("45484c4f2047500d0a");
    let v = tcp_verdicts(&[(Resp, &g), (Orig, &e)], 1232, 25);
    assert_eq!(v, [NeedMore, Match(Service::Smtp)]);
    // A client EHLO alone is enough.
    assert_eq!(tcp1(Orig, &e, 1232, 2525), Match(Service::Smtp));
    // suricata-verify/tests/smtp-quit: the server closes without a greeting, the client says
    // QUIT. Shared by SMTP, FTP and POP3: the port to which it was sent decides, and nothing
    // is claimed elsewhere.
    let q = b"QUIT\r\n";
    assert_eq!(tcp1(Orig, q, 58121, 25), Match(Service::Smtp));
    assert_eq!(tcp1(Orig, q, 58121, 21), Match(Service::Ftp));
    assert_eq!(tcp1(Orig, q, 58121, 110), Match(Service::Pop3));
    assert_eq!(tcp1(Orig, q, 58121, 8080), NeedMore);
    assert_eq!(tcp1(Orig, b"QUIT now\r\n", 58121, 25), NeedMore);
}

#[test]
fn detect_ftp() {
    // zeek/Traces/ftp/retr.pcap#4 (greeting, first 48 bytes) and #6 (USER).
    let g = h("323230206674702e6e6373612e696c6c696e6f69732e656475204654502053657276657220284170616368652f322e32");
    let u = h("5553455220616e6f6e796d6f75730d0a");
    let v = tcp_verdicts(&[(Resp, &g), (Orig, &u)], 1232, 21);
    assert_eq!(v, [NeedMore, Match(Service::Ftp)]);
    // USER alone could be POP3 or FTP: wait for the greeting.
    assert_eq!(tcp1(Orig, &u, 1232, 21), NeedMore);
    // A 220 greeting answered by something that is no command: give up.
    assert_eq!(
        tcp(&[(Resp, &g), (Orig, b"\x05\x01\x00 socks?\r\n")], 1232, 21),
        NoMatch
    );
}

#[test]
fn detect_pop3_imap() {
    // zeek/Traces/pop3/pop3.pcap#16 (greeting, first 48 bytes) and #17 (CAPA).
    let g = h("2b4f4b20504f50207365727665722072656164792048206d696d61703420304d486f55722d315644785244335569352d");
    let c = h("434150410d0a");
    assert_eq!(
        tcp_verdicts(&[(Resp, &g), (Orig, &c)], 1, 110),
        [NeedMore, Match(Service::Pop3)]
    );
    // USER after a +OK greeting is POP3.
    assert_eq!(
        tcp(&[(Resp, &g), (Orig, b"USER bob\r\n")], 1, 110),
        Match(Service::Pop3)
    );
    // ndpi/pcap/imap.pcap#4 (greeting) and #6 (tagged CAPABILITY).
    let ig =
        h("2a204f4b20494d41503452657631205365727665722056657273696f6e20342e392e30342e3031320d0a");
    let ic = h("433030303030204341504142494c4954590d0a");
    assert_eq!(
        tcp_verdicts(&[(Resp, &ig), (Orig, &ic)], 1, 143),
        [NeedMore, Match(Service::Imap)]
    );
    assert_eq!(tcp1(Orig, &ic, 1, 1143), Match(Service::Imap));
    // An IMAP-like tag with an unknown command.
    assert_eq!(
        tcp(&[(Resp, &ig), (Orig, b"a1 FROB x\r\n")], 1, 143),
        NoMatch
    );
}

// --- SNMP, NTP, SIP -----------------------------------------------------------------------------

#[test]
fn detect_snmp() {
    // zeek/Traces/snmp/snmpv1_get.pcap#1 and snmpv3_get_next.pcap#1.
    let v1 = h("302602010004067075626c6963a019020126020100020100300e300c06082b060102010102000500");
    let v3 = h("303d02010330100204207b2f72020240000401040201030410300e040002012a02012a040004000400301404000400a00e0204207b2f720201000201003000");
    assert_eq!(udp(&v1, 50000, 161), Match(Service::Snmp));
    assert_eq!(udp(&v1, 50000, 1161), Match(Service::Snmp));
    assert_eq!(udp(&v3, 50000, 161), Match(Service::Snmp));
    // Version 2 does not exist on the wire; the SEQUENCE length must cover the datagram.
    let mut v = v1.clone();
    v[4] = 2;
    assert_eq!(udp(&v, 50000, 161), NeedMore);
    assert_eq!(udp(&v1[..30], 50000, 161), NeedMore);
}

#[test]
fn detect_ntp() {
    // zeek/Traces/ntp/ntp.pcap#1 (v4 symmetric active, with a MAC) and #2 (v4 server).
    let a = h("230206ea00000bd90000063055c7d663e09ab55c12dcc914e09ab5540c60c23be09ab55413a64a3be09ab59607050baa");
    let s = h("240406e800000c810000124469edcf1ce09ab29cb8c778ebe09ab59607050baae09ab5960c625ccbe09ab5960c64646b");
    assert_eq!(udp(&a, 123, 123), Match(Service::Ntp));
    assert_eq!(udp(&s, 123, 50000), Match(Service::Ntp));
    // zeek/Traces/ntp/ntpmode67.pcap#1 (mode 6 read status) and #4 (mode 7 request, 192 bytes).
    assert_eq!(
        udp(&h("160100010000000000000000"), 50000, 123),
        Match(Service::Ntp)
    );
    assert_eq!(
        udp(&padded("1700030100000000", 192), 50000, 123),
        Match(Service::Ntp)
    );
    // Minimal SNTP query.
    assert_eq!(udp(&padded("1b", 48), 50000, 123), Match(Service::Ntp));
    // suricata-verify/tests/vxlan-decoder-03 (inside VXLAN): a data-minimised client request
    // (precision 0x20, random transmit cookie) and the server reply echoing the cookie.
    let c = padded("230009200000000000000000000000000000000000000000", 40);
    let mut c = c;
    c.extend(h("6e7c1f1daa4d542f"));
    assert_eq!(udp(&c, 60631, 123), Match(Service::Ntp));
    let r = h("1c0109ea00000000000002d27f7f0100e0bf4a9eed4a07b46e7c1f1daa4d542fe0bf4aa60c781ad7e0bf4aa60c7883e8");
    assert_eq!(udp(&r, 123, 60631), Match(Service::Ntp));
    // The cookie is only allowed in those places: a reply's transmit timestamp must be real.
    let mut r2 = r.clone();
    r2[40..48].copy_from_slice(&h("6e7c1f1daa4d542f"));
    assert_eq!(udp(&r2, 123, 60631), NeedMore);
    // A 48-byte datagram with an implausible transmit timestamp; version 0; mode 7 item
    // count without item size (ndpi/pcap/gtp_false_positive.pcapng).
    let mut bad = s.clone();
    bad[40] = 0x12;
    assert_eq!(udp(&bad, 123, 50000), NeedMore);
    let mut v0 = s.clone();
    v0[0] = 0x04;
    assert_eq!(udp(&v0, 123, 50000), NeedMore);
    let gtp = h("2700000002590000c800325ea56f010000001dad25500000000000000000000000000100000000");
    assert_eq!(udp(&gtp, 29255, 3386), NeedMore);
}

#[test]
fn detect_sip() {
    // zeek/Traces/sip/wireshark.pcap#1: REGISTER (first 60 bytes).
    let r = h("5245474953544552207369703a7369702e6379626572636974792e646b205349502f322e300d0a5669613a205349502f322e302f5544502031");
    assert_eq!(udp(&r, 5060, 5060), Match(Service::Sip));
    assert_eq!(tcp1(Orig, &r, 50000, 5060), Match(Service::Sip));
    assert_eq!(
        udp(b"SIP/2.0 200 OK\r\nVia: x\r\n", 5060, 5060),
        Match(Service::Sip)
    );
    // HTTP-style target or version.
    assert_eq!(udp(b"INVITE http://x/ SIP/2.0\r\n", 5060, 5060), NeedMore);
    assert_eq!(udp(b"INVITE sip:bob@x SIP/3.0\r\n", 5060, 5060), NeedMore);
}

// --- Databases ----------------------------------------------------------------------------------

#[test]
fn detect_mysql_postgresql() {
    // zeek/Traces/mysql/mysql.pcap#4: HandshakeV10 greeting, server version 5.0.54.
    let g = h("340000000a352e302e3534005e0000003e7e24347574682c002ca2210200000000000000000000000000003e36313249575a3e6668575800");
    assert_eq!(tcp1(Resp, &g, 50000, 3306), Match(Service::Mysql));
    assert_eq!(tcp1(Resp, &g, 50000, 13306), Match(Service::Mysql));
    // Protocol 9, or a version string not starting with a digit.
    let mut p9 = g.clone();
    p9[4] = 9;
    assert_eq!(tcp(&[(Resp, &p9), (Orig, JUNK)], 1, 3306), NoMatch);
    // zeek/Traces/postgresql/psql-aws-ssl-disable.pcap#4: StartupMessage (protocol 3.0).
    let s = h("0000004c0003000075736572007a65656b006461746162617365007a65656b006170706c69636174696f6e5f6e616d65007073716c00636c69656e745f656e636f64696e6700555446380000");
    assert_eq!(tcp1(Orig, &s, 50000, 5432), Match(Service::Postgresql));
    // #6: AuthenticationMD5Password.
    let r = h("520000000c0000000589bb8ed0");
    assert_eq!(tcp1(Resp, &r, 50000, 5432), Match(Service::Postgresql));
    // zeek/Traces/postgresql/psql-aws-ssl-require.pcap#4: SSLRequest.
    assert_eq!(
        tcp1(Orig, &h("0000000804d2162f"), 50000, 15432),
        Match(Service::Postgresql)
    );
    // SSLRequest code with the wrong length.
    assert_eq!(
        tcp(
            &[(Orig, &h("0000000c04d2162f00000000")), (Resp, JUNK)],
            1,
            5432
        ),
        NoMatch
    );
}

// --- Detector behaviour -------------------------------------------------------------------------

#[test]
fn detect_decision_is_final_and_gives_up() {
    let mut det = Detector::new();
    let ch = h(TLS_CH);
    assert_eq!(
        det.feed(Transport::Tcp, Orig, &ch, 1, 443),
        Match(Service::Tls)
    );
    // Later data cannot change it.
    assert_eq!(
        det.feed(Transport::Tcp, Resp, b"HTTP/1.1 200 OK\r\n", 1, 443),
        Match(Service::Tls)
    );
    assert_eq!(det.result(), Some(Service::Tls));

    // UDP: gives up after MAX_DATAGRAMS datagrams of noise.
    let mut det = Detector::new();
    let mut last = NeedMore;
    for i in 0..MAX_DATAGRAMS {
        last = det.feed(Transport::Udp, Orig, &[i; 40], 1, 2);
    }
    assert_eq!(last, NoMatch);
    assert!(det.gave_up() && det.result().is_none());

    // TCP: both directions seen, neither can match.
    let v = tcp_verdicts(&[(Orig, b"\x09\x01\x02\x03\x04\x05"), (Resp, JUNK)], 1, 2);
    assert_eq!(v, [NeedMore, NoMatch]);
    // Empty data changes nothing.
    assert_eq!(
        Detector::new().feed(Transport::Tcp, Orig, b"", 1, 2),
        NeedMore
    );
}

#[test]
fn detect_off_port() {
    assert!(!off_port(Service::Http, Transport::Tcp, 80));
    assert!(off_port(Service::Http, Transport::Tcp, 443));
    assert!(off_port(Service::Dns, Transport::Tcp, 5353));
    assert!(!off_port(Service::Dns, Transport::Udp, 53));
    assert!(off_port(Service::Quic, Transport::Tcp, 443));
    assert!(!off_port(Service::Ntlm, Transport::Tcp, 1234));
}

#[test]
fn detect_detector_is_small() {
    assert!(std::mem::size_of::<Detector>() <= 12);
}

/// xorshift64*: pseudo-random inputs for the fuzz body, seeded for reproducibility.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn detect_fuzz_feed_random() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = [TLS_CH, KRB_AS_REQ, DNS_QUERY]
        .iter()
        .map(|s| h(s))
        .chain([b"GET / HTTP/1.1\r\n".to_vec(), b"220 x ESMTP\r\n".to_vec()])
        .collect();
    let mut buf = Vec::new();
    for i in 0..4000u32 {
        buf.clear();
        let len = (rng.next() % 600) as usize;
        if i.is_multiple_of(3) {
            // Mutated real messages reach deeper into the rules than noise.
            let s = &seeds[(rng.next() % seeds.len() as u64) as usize];
            buf.push(rng.next() as u8);
            buf.push(0); // one chunk-length byte
            buf.extend_from_slice(s);
            for _ in 0..1 + rng.next() % 4 {
                let p = (rng.next() as usize) % buf.len();
                buf[p] = rng.next() as u8;
            }
        } else {
            buf.extend((0..len).map(|_| rng.next() as u8));
        }
        fuzz_feed(&buf);
    }
}

/// zeek/Traces/ftp/ftp-with-numbers-in-filename.pcap packets 1 and 3: the capture starts after
/// the login, so there is no 220 greeting; an FTP-only command answered by a reply is FTP.
#[test]
fn ftp_without_greeting() {
    let v = tcp(
        &[
            (Orig, b"PASV\r\n"),
            (
                Resp,
                b"227 Entering Passive Mode (164,107,123,6,183,187)\r\n",
            ),
        ],
        54089,
        21,
    );
    assert_eq!(v, Match(Service::Ftp));
    // Mid-session SMTP is not taken for FTP: its commands are not FTP-only.
    let v = tcp(
        &[
            (Orig, b"MAIL FROM:<a@b.example>\r\n"),
            (Resp, b"250 OK\r\n"),
        ],
        40000,
        25,
    );
    assert_ne!(v, Match(Service::Ftp));
}

// --- Industrial, messaging, remote access, peer-to-peer -----------------------------------------

#[test]
fn detect_dnp3() {
    // suricata-verify/tests/dnp3/dnp3-toclient-start: an outstation response (link header
    // 0564 0a44 0100 0a00, CRC 6e25) and a master request.
    let resp = h("05640a4401000a006e25c0f08280006b7d");
    let req = h("056408c40a000100fc42c1d000a350");
    assert_eq!(tcp1(Resp, &resp, 59602, 20000), Match(Service::Dnp3));
    assert_eq!(tcp1(Orig, &req, 59602, 20000), Match(Service::Dnp3));
    assert_eq!(udp(&req, 59602, 20000), Match(Service::Dnp3));
    // One header byte changed: the CRC no longer agrees.
    let mut bad = req.clone();
    bad[4] ^= 1;
    assert_eq!(tcp(&[(Orig, &bad), (Resp, JUNK)], 59602, 20000), NoMatch);
    // A partial header waits.
    assert_eq!(tcp1(Orig, &req[..6], 59602, 20000), NeedMore);
}

#[test]
fn detect_mqtt() {
    // suricata-verify/tests/mqtt-connect-rules (MQTT 5 CONNECT, first 26 bytes).
    let connect = h("101c00044d51545405c2003c032100140000000475736572");
    assert_eq!(tcp1(Orig, &connect, 53654, 1883), Match(Service::Mqtt));
    // suricata-verify/tests/mqtt-midstream-split: the capture starts with the server's MQTT 5
    // CONNACK (reason 0; topic alias maximum and assigned client identifier properties).
    let mut connack = h("203200002f22000a120029");
    connack.extend(b"auto-1B43E800-08E3-3BA1-2E97-E9A0B4064BF5");
    assert_eq!(
        tcp_verdicts(&[(Resp, &connack[..1]), (Resp, &connack[1..])], 33896, 1883),
        [NeedMore, Match(Service::Mqtt)]
    );
    // A property length that does not account for the packet.
    let mut bad = connack.clone();
    bad[4] = 0x2e;
    assert_eq!(tcp(&[(Resp, &bad), (Orig, JUNK)], 33896, 1883), NoMatch);
    // MQTT 3.1 ("MQIsdp", level 3).
    let v3 = h("102600064d514973647003c2003c");
    assert_eq!(tcp1(Orig, &v3, 40000, 1883), Match(Service::Mqtt));
}

#[test]
fn detect_rfb() {
    // suricata-verify/tests/rfb-partial-tx: the server's ProtocolVersion message.
    assert_eq!(
        tcp1(Resp, b"RFB 003.889\n", 46254, 5900),
        Match(Service::Rfb)
    );
    assert_eq!(tcp1(Resp, b"RFB 003.8", 46254, 5900), NeedMore);
    assert_eq!(
        tcp(&[(Resp, b"RFB 3.8\n\0\0\0\0"), (Orig, JUNK)], 46254, 5900),
        NoMatch
    );
}

#[test]
fn detect_telnet() {
    // suricata-verify/tests/telnet/telnet-01: the client's option negotiation (DO SGA, WILL
    // TTYPE, ...) and the server's lone DO AUTHENTICATION, which waits for more.
    let client = h("fffd03fffb18fffb1ffffb20fffb21fffb22fffb27fffd05fffb23");
    assert_eq!(tcp1(Orig, &client, 1550, 23), Match(Service::Telnet));
    assert_eq!(tcp1(Resp, &h("fffd25"), 1550, 23), NeedMore);
    // A subnegotiation (terminal type IS "xterm").
    let sb = h("fffa1800787465726dfff0fffb01");
    assert_eq!(tcp1(Orig, &sb, 1550, 23), Match(Service::Telnet));
    // 0xff followed by something else is not negotiation.
    assert_eq!(
        tcp(&[(Orig, &h("ffd8ffe000104a46")), (Resp, JUNK)], 1, 2),
        NoMatch
    );
}

#[test]
fn detect_bittorrent_dht() {
    // suricata-verify/tests/bittorrent-dht: ping query, its response and an error.
    let q = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    let r = b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
    let e = b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";
    for m in [&q[..], &r[..], &e[..]] {
        assert_eq!(udp(m, 20000, 30000), Match(Service::BittorrentDht));
    }
    // Trailing bytes, a missing transaction id, or a type without its body: not KRPC.
    let mut trailing = q.to_vec();
    trailing.push(b'x');
    assert_ne!(udp(&trailing, 1, 2), Match(Service::BittorrentDht));
    let no_t = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe";
    assert_ne!(udp(no_t, 1, 2), Match(Service::BittorrentDht));
    let wrong_body = b"d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:re";
    assert_ne!(udp(wrong_body, 1, 2), Match(Service::BittorrentDht));
    // Deep nesting is refused without recursion trouble.
    let deep = [b'l'; 200];
    assert_ne!(udp(&deep, 1, 2), Match(Service::BittorrentDht));
}

/// Zeek's `Traces/tls/webrtc-stun.pcap`: frame 9 is a DTLS 1.0 ClientHello, frame 10 a STUN
/// binding request on the same ports (`tls/testdata/webrtc_dtls_flights.hex`). STUN is passed
/// over without using up the datagram budget; the ClientHello decides DTLS; later datagrams of
/// application data alone (epoch 1, content type 23) are DTLS too.
#[test]
fn dtls_after_stun_and_mid_session() {
    let lines: Vec<&str> = include_str!("../tls/testdata/webrtc_dtls_flights.hex")
        .lines()
        .collect();
    let hello = crate::test_util::unhex(lines[1]);
    let stun = crate::test_util::unhex(lines[3]);
    assert!(rules::stun(&stun).is_ok());
    assert!(rules::dtls_hello(&hello).is_ok());
    assert!(rules::stun(&hello).is_err());
    let mut d = Detector::default();
    for _ in 0..(MAX_DATAGRAMS + 2) {
        assert_eq!(d.feed(Transport::Udp, Orig, &stun, 51462, 43044), NeedMore);
    }
    assert_eq!(
        d.feed(Transport::Udp, Resp, &hello, 51462, 43044),
        Match(Service::Dtls)
    );
    // A record of application data, epoch 1, 24 bytes of ciphertext.
    let mut app = vec![23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7, 0, 24];
    app.extend_from_slice(&[0x5a; 24]);
    assert!(rules::dtls_records(&app).is_ok());
    let mut d = Detector::default();
    assert_eq!(
        d.feed(Transport::Udp, Orig, &app, 40000, 443),
        Match(Service::Dtls)
    );
    // One byte short of its length: not DTLS.
    assert!(rules::dtls_records(&app[..app.len() - 1]).is_err());
}
