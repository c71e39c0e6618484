//! Pieces of FTP lines: data channel addresses (RFC 959 PORT and 227, RFC 2428 EPRT and 229)
//! and path handling for the working directory.

use std::net::{IpAddr, Ipv4Addr};

/// Six comma-separated decimal bytes "h1,h2,h3,h4,p1,p2" (RFC 959 section 4.1.2), spaces
/// around the numbers allowed; what follows the sixth number is ignored.
fn six_bytes(s: &str) -> Option<(IpAddr, u16)> {
    let mut v = [0u8; 6];
    let mut it = s.split(',');
    for (i, slot) in v.iter_mut().enumerate() {
        let part = it.next()?.trim();
        let digits: &str = if i == 5 {
            let end = part
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len());
            &part[..end]
        } else {
            part
        };
        if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = digits.parse::<u16>().ok().filter(|&n| n <= 255)? as u8;
    }
    Some((
        IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3])),
        (v[4] as u16) << 8 | v[5] as u16,
    ))
}

/// The argument of PORT.
pub fn parse_port(arg: &str) -> Option<(IpAddr, u16)> {
    six_bytes(arg.trim())
}

/// The text of a 227 reply: the numbers after the first "(", or from the first digit.
pub fn parse_pasv(msg: &str) -> Option<(IpAddr, u16)> {
    let start = match msg.find('(') {
        Some(i) => i + 1,
        None => msg.find(|c: char| c.is_ascii_digit())?,
    };
    six_bytes(&msg[start..])
}

/// `<d>proto<d>addr<d>port<d>` with any delimiter `d` (RFC 2428 section 2 and 3): the address
/// (`None` when empty) and the port.
fn extended(s: &str) -> Option<(Option<IpAddr>, u16)> {
    let d = s.chars().next()?;
    let mut it = s[d.len_utf8()..].split(d);
    let _proto = it.next()?;
    let addr = it.next()?;
    let port = it.next()?;
    it.next()?; // the closing delimiter
    let port: u16 = port.trim().parse().ok()?;
    let addr = if addr.is_empty() {
        None
    } else {
        Some(addr.parse().ok()?)
    };
    Some((addr, port))
}

/// The argument of EPRT.
pub fn parse_eprt(arg: &str) -> Option<(IpAddr, u16)> {
    let (a, p) = extended(arg.trim())?;
    Some((a?, p))
}

/// The text of a 229 reply: "Entering Extended Passive Mode (|||port|)". The address is
/// `None` when not given (the control connection's server, then).
pub fn parse_epsv(msg: &str) -> Option<(Option<IpAddr>, u16)> {
    let open = msg.find('(')?;
    let close = msg[open..].find(')')? + open;
    let (a, p) = extended(&msg[open + 1..close])?;
    Some((a.filter(|a| !a.is_unspecified()), p))
}

/// The last decimal number of a text ("... 'f.txt' (77 bytes).", "213 77").
pub fn last_number(msg: &str) -> Option<u64> {
    msg.split(|c: char| !c.is_ascii_digit())
        .rfind(|t| !t.is_empty())?
        .parse()
        .ok()
}

/// The text between the first pair of double quotes (a 257 reply's directory).
pub fn extract_path(msg: &str) -> String {
    let Some(a) = msg.find('"') else {
        return String::new();
    };
    match msg[a + 1..].find('"') {
        Some(b) => msg[a + 1..a + 1 + b].to_string(),
        None => String::new(),
    }
}

/// `file` relative to `dir` (an absolute `file` stands alone), with `.` and `..` segments,
/// repeated and trailing slashes resolved. A leading `.` of a relative path stays (the
/// working directory starts as "."), as in Zeek.
pub fn build_path_compressed(dir: &str, file: &str) -> String {
    let joined = if file.starts_with('/') || dir.is_empty() {
        file.to_string()
    } else {
        format!("{dir}/{file}")
    };
    compress_path(&joined)
}

/// Resolves `.`, `..` and empty segments of a path.
pub fn compress_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut segs: Vec<&str> = Vec::new();
    for (i, s) in p.split('/').enumerate() {
        match s {
            "" => {}
            "." if i == 0 && !absolute => segs.push("."),
            "." => {}
            ".." => match segs.last() {
                Some(&"..") | None => {
                    if !absolute {
                        segs.push("..");
                    }
                }
                Some(_) => {
                    segs.pop();
                }
            },
            s => segs.push(s),
        }
    }
    let j = segs.join("/");
    if absolute {
        format!("/{j}")
    } else if j.is_empty() {
        ".".to_string()
    } else {
        j
    }
}

/// `ftp://host/path` for a file argument, `host` in brackets for IPv6.
pub fn build_url(host: Option<IpAddr>, cwd: &str, arg: &str) -> String {
    let mut path = build_path_compressed(cwd, arg);
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    match host {
        Some(IpAddr::V6(a)) => format!("ftp://[{a}]{path}"),
        Some(a) => format!("ftp://{a}{path}"),
        None => format!("ftp://{path}"),
    }
}
