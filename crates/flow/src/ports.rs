//! Zeek's `likely_server_ports`: ports whose presence on the source side of a connection's first
//! packet suggests that the roles should be flipped (when no SYN says who started it).
//!
//! Zeek fills the set from the ports its loaded analyzers register; this is the union of the
//! registrations of Zeek's default protocol scripts, so the flip decisions match a default Zeek.

const TCP_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 179, 389, 443, 445, 464, 502, 512,
    513, 514, 563, 585, 587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1433, 1723, 1883, 2049,
    2811, 3128, 3268, 3306, 3389, 5060, 5222, 5223, 5269, 5432, 5900, 5901, 5902, 5903, 5904, 5905,
    5985, 5986, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8443, 8888, 20000, 27017,
];

const UDP_PORTS: &[u16] = &[
    53, 67, 69, 88, 111, 123, 137, 138, 161, 162, 389, 443, 464, 500, 514, 520, 1812, 1813, 2123,
    2152, 3386, 3544, 3784, 4500, 4789, 5060, 5072, 5353, 5355, 6081, 47808,
];

/// Whether `port` of transport `proto` (6 or 17; ICMP never flips) is a likely server port.
pub fn is_likely_server_port(proto: u8, port: u16) -> bool {
    match proto {
        6 => TCP_PORTS.binary_search(&port).is_ok(),
        17 => UDP_PORTS.binary_search(&port).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_are_sorted() {
        assert!(super::TCP_PORTS.windows(2).all(|w| w[0] < w[1]));
        assert!(super::UDP_PORTS.windows(2).all(|w| w[0] < w[1]));
    }
}
