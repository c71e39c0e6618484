//! Community ID flow hashing, version 1 (<https://github.com/corelight/community-id-spec>).
//!
//! `1:` + base64(SHA1(seed(2, big-endian) | src addr | dst addr | proto | 0 | src port | dst port)),
//! with the endpoints ordered so that both directions hash the same, and ICMP type/code mapped to
//! ports the way the spec prescribes (so an echo request and its reply share an ID).

use sha1::{Digest, Sha1};
use std::net::IpAddr;

const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
const TCP: u8 = 6;
const UDP: u8 = 17;
const SCTP: u8 = 132;

// ICMP request/reply pairing is the same table Zeek uses for its connection keys.
use crate::key::{icmp4_counterpart, icmp6_counterpart};

/// Computes the Community ID v1 of a flow as seen in one packet. For ICMP, `sport` is the type
/// and `dport` the code. `seed` is 0 unless the deployment agreed on another.
pub fn community_id_v1(
    seed: u16,
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    sport: u16,
    dport: u16,
) -> String {
    let (mut sport, mut dport) = (sport, dport);
    let mut one_way = false;
    match proto {
        ICMP | ICMPV6 => {
            let t = sport as u8;
            let code = dport;
            let cp = if proto == ICMP {
                icmp4_counterpart(t)
            } else {
                icmp6_counterpart(t)
            };
            match cp {
                Some(c) => {
                    sport = t as u16;
                    dport = c as u16;
                }
                None => {
                    sport = t as u16;
                    dport = code;
                    one_way = true;
                }
            }
        }
        _ => {}
    }
    let has_ports = matches!(proto, ICMP | ICMPV6 | TCP | UDP | SCTP);
    let (mut a, mut b) = (src, dst);
    let (mut pa, mut pb) = (sport, dport);
    // Both directions must hash the same, except one-way ICMP messages, which keep theirs.
    let ordered = match ip_cmp(&a, &b) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Equal => pa <= pb,
        std::cmp::Ordering::Greater => false,
    };
    if !one_way && !ordered {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut pa, &mut pb);
    }
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    match (a, b) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            h.update(x.octets());
            h.update(y.octets());
        }
        (x, y) => {
            h.update(to16(x));
            h.update(to16(y));
        }
    }
    h.update([proto, 0]);
    if has_ports {
        h.update(pa.to_be_bytes());
        h.update(pb.to_be_bytes());
    }
    let digest = h.finalize();
    let mut out = String::with_capacity(30);
    out.push_str("1:");
    base64_encode(&digest, &mut out);
    out
}

fn to16(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

fn ip_cmp(a: &IpAddr, b: &IpAddr) -> std::cmp::Ordering {
    match (a, b) {
        (IpAddr::V4(x), IpAddr::V4(y)) => x.octets().cmp(&y.octets()),
        _ => to16(*a).cmp(&to16(*b)),
    }
}

/// Standard base64 with padding, appended (data-encoding is already in the build through
/// x509-parser).
fn base64_encode(data: &[u8], out: &mut String) {
    data_encoding::BASE64.encode_append(data, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cid(proto: u8, src: &str, dst: &str, sport: u16, dport: u16) -> String {
        community_id_v1(
            0,
            src.parse().unwrap(),
            dst.parse().unwrap(),
            proto,
            sport,
            dport,
        )
    }

    // The published vectors of the specification (community-id-spec/baseline/baseline_deflt.json).
    // ICMP inputs here are (type, code) as they appear on the wire.
    #[test]
    fn spec_baseline_vectors() {
        let a = "fe80::200:86ff:fe05:80da";
        let b = "fe80::260:97ff:fe07:69ea";
        assert_eq!(cid(58, a, b, 135, 0), "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
        assert_eq!(cid(58, b, a, 136, 0), "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
        assert_eq!(cid(58, b, a, 135, 0), "1:zavyT/cezQr1fmImYCwYnMXbgck=");
        assert_eq!(cid(58, a, b, 136, 0), "1:zavyT/cezQr1fmImYCwYnMXbgck=");
        let c = "3ffe:507:0:1:200:86ff:fe05:80da";
        assert_eq!(
            cid(58, "3ffe:501:1800:2345::2", c, 3, 0),
            "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="
        );
        assert_eq!(
            cid(58, "3ffe:501:410:0:2c0:dfff:fe47:33e", c, 1, 4),
            "1:hLZd0XGWojozrvxqE0dWB1iM6R0="
        );
        assert_eq!(
            cid(58, c, "3ffe:501:0:1001::2", 128, 0),
            "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="
        );
        assert_eq!(
            cid(58, "3ffe:501:0:1001::2", c, 129, 0),
            "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="
        );
        assert_eq!(
            cid(58, a, "ff02::2", 133, 0),
            "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="
        );
        assert_eq!(
            cid(58, b, "ff02::1", 134, 0),
            "1:pkvHqCL88/tg1k4cPigmZXUtL00="
        );
        assert_eq!(
            cid(1, "192.168.0.89", "192.168.0.1", 8, 0),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="
        );
        assert_eq!(
            cid(1, "192.168.0.1", "192.168.0.89", 0, 0),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="
        );
        assert_eq!(
            cid(1, "10.0.0.1", "10.0.0.2", 11, 0),
            "1:YHxtAirCG//0OzkcVAukqKQN9xM="
        );
        let v6a = "2001:470:e5bf:dead:4957:2174:e82c:4887";
        let v6b = "2607:f8b0:400c:c03::1a";
        assert_eq!(
            cid(6, v6a, v6b, 63943, 25),
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="
        );
        assert_eq!(
            cid(6, v6b, v6a, 25, 63943),
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="
        );
        assert_eq!(
            cid(132, "192.168.170.8", "192.168.170.56", 7, 7),
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="
        );
        assert_eq!(
            cid(132, "192.168.170.56", "192.168.170.8", 7, 7),
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="
        );
        assert_eq!(
            cid(6, "128.232.110.120", "66.35.250.204", 34855, 80),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            cid(6, "66.35.250.204", "128.232.110.120", 80, 34855),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            cid(17, "192.168.1.52", "8.8.8.8", 54585, 53),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
        );
        assert_eq!(
            cid(17, "8.8.8.8", "192.168.1.52", 53, 54585),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
        );
        assert_eq!(
            cid(46, "10.1.12.1", "10.1.12.2", 0, 0),
            "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="
        );
        assert_eq!(
            cid(46, "10.1.12.2", "10.1.12.1", 0, 0),
            "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="
        );
    }
}
