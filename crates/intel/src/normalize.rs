//! One canonical form per value, applied alike to what feeds list and to what traffic shows, so
//! that matching is a plain lookup.
//!
//! * Addresses: parsed (`[::1]` brackets and IPv6 zone ids dropped); subnets masked to their
//!   network address (`10.1.2.3/8` lists `10.0.0.0/8`).
//! * Domains: lowercase, no trailing dot; `*.example.com` or `.example.com` list every subdomain.
//! * URLs (RFC 3986 §6.2.2): scheme and host lowercase, the scheme's default port dropped,
//!   percent-encoding of unreserved characters decoded and other escapes upper-cased, dot
//!   segments removed, fragment dropped, empty path `/`. The key then drops the scheme and
//!   userinfo, as Zeek's `Intel::URL` does: traffic shows a URL as a Host header and a request
//!   target, never with its scheme.
//! * E-mail: the address inside `Name <addr>` or `mailto:`, lowercase.
//! * Hex digests: lowercase, `:`/space separators (certificate fingerprints) removed.
//!
//! Indicators copied out of reports are often defanged (`hxxp://evil[.]com`); they are refanged.

use crate::indicator::IndicatorType;
use std::net::IpAddr;

/// Why a value was not accepted.
pub type Reason = &'static str;

/// Undoes the usual defanging of indicators in reports: `[.]`, `(.)`, `{.}`, `[dot]`, `[:]`,
/// `[@]`, `[at]`, `hxxp`.
pub fn refang(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['[', '(', '{']) && !s.starts_with("hxxp") && !s.starts_with("HXXP") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut t = s
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("{.}", ".")
        .replace("[dot]", ".")
        .replace("[:]", ":")
        .replace("[://]", "://")
        .replace("[@]", "@")
        .replace("[at]", "@");
    for (from, to) in [("hxxps://", "https://"), ("hxxp://", "http://")] {
        // `get`, not indexing: the prefix may end inside a multi-byte character.
        if t.get(..from.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(from))
        {
            t.replace_range(..from.len(), to);
        }
    }
    std::borrow::Cow::Owned(t)
}

/// An IP address, with `[...]` brackets and an IPv6 zone (`%eth0`) tolerated.
pub fn addr(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    let s = s.split_once('%').map_or(s, |(a, _)| a);
    s.parse().ok()
}

/// A CIDR block masked to its network address. A bare address is a full-length prefix.
pub fn subnet(s: &str) -> Option<(IpAddr, u8)> {
    let (a, len) = match s.trim().split_once('/') {
        Some((a, l)) => (addr(a)?, l.trim().parse::<u8>().ok()?),
        None => {
            let a = addr(s)?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if a.is_ipv4() { 32 } else { 128 };
    if len > max {
        return None;
    }
    Some((mask(a, len), len))
}

/// `a` with every bit past the first `len` cleared.
pub fn mask(a: IpAddr, len: u8) -> IpAddr {
    match a {
        IpAddr::V4(v) => {
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            IpAddr::V4((u32::from(v) & m).into())
        }
        IpAddr::V6(v) => {
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            IpAddr::V6((u128::from(v) & m).into())
        }
    }
}

/// A domain name: lowercase, without trailing dot. Returns whether the feed asked for every
/// subdomain (`*.` or `.` prefix).
pub fn domain(s: &str) -> Result<(String, bool), Reason> {
    let s = s.trim();
    let (s, subdomains) = if let Some(r) = s.strip_prefix("*.") {
        (r, true)
    } else if let Some(r) = s.strip_prefix('.') {
        (r, true)
    } else {
        (s, false)
    };
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return Err("domain name empty or longer than 253 characters");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err("domain name with characters other than letters, digits, '-', '_', '.'");
    }
    if s.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return Err("domain name with an empty label or one longer than 63 characters");
    }
    Ok((s.to_ascii_lowercase(), subdomains))
}

/// Lowercases `name` into `buf` (reused) and drops a trailing dot: the form domains are looked
/// up in. Returns `None` for names that cannot be listed (empty, too long, an address).
pub fn seen_domain<'b>(name: &str, buf: &'b mut String) -> Option<&'b str> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return None;
    }
    buf.clear();
    buf.push_str(name);
    buf.make_ascii_lowercase();
    Some(buf.as_str())
}

/// The scheme's default port.
fn default_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "ftp" => 21,
        _ => return None,
    })
}

/// The matching key of a URL (see the module comment). A URL without a scheme is taken as
/// `http://`.
pub fn url(s: &str) -> Result<String, Reason> {
    let s = s.trim();
    if s.is_empty() || s.len() > 8192 {
        return Err("URL empty or longer than 8192 characters");
    }
    if s.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err("URL with spaces or control characters");
    }
    let (scheme, rest) = match s.find("://") {
        Some(i)
            if i > 0
                && s[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            (s[..i].to_ascii_lowercase(), &s[i + 3..])
        }
        _ => ("http".to_string(), s),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = split_host_port(hostport).ok_or("URL with a bad port")?;
    if host.is_empty() {
        return Err("URL without a host");
    }
    let mut out = String::with_capacity(s.len());
    out.push_str(&host.to_ascii_lowercase());
    if let Some(p) = port {
        if Some(p) != default_port(&scheme) {
            out.push(':');
            out.push_str(&p.to_string());
        }
    }
    push_path_and_query(tail, &mut out);
    Ok(out)
}

/// The key of a URL seen in an HTTP request: its Host header (when the target is not in
/// absolute form) and request target, on a connection to `port`.
pub fn seen_http_url(host: Option<&str>, target: &str, out: &mut String) -> bool {
    out.clear();
    if target.contains("://") {
        return match url(target) {
            Ok(u) => {
                out.push_str(&u);
                true
            }
            Err(_) => false,
        };
    }
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        return false;
    };
    let Some((h, port)) = split_host_port(host) else {
        return false;
    };
    out.push_str(h);
    out.make_ascii_lowercase();
    if let Some(p) = port.filter(|&p| p != 80) {
        out.push(':');
        out.push_str(&p.to_string());
    }
    if !target.starts_with('/') && !target.is_empty() && target != "*" {
        out.push('/');
    }
    push_path_and_query(target, out);
    true
}

/// The host of `host[:port]` (an HTTP Host header): brackets of IPv6 literals dropped; a port
/// that is not a number leaves the text as it is.
pub fn host_of(hostport: &str) -> &str {
    split_host_port(hostport).map_or(hostport, |(h, _)| h)
}

/// Splits `host[:port]` (IPv6 literals in brackets).
fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    if let Some(r) = s.strip_prefix('[') {
        let (h, after) = r.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(p) if !p.is_empty() => Some((h, Some(p.parse().ok()?))),
            _ => Some((h, None)),
        };
    }
    match s.rsplit_once(':') {
        // More than one colon: a bare IPv6 literal, no port.
        Some((h, _)) if h.contains(':') => Some((s, None)),
        Some((h, "")) => Some((h, None)),
        Some((h, p)) => Some((h, Some(p.parse().ok()?))),
        None => Some((s, None)),
    }
}

/// Appends path and query of `tail` (which starts at `/`, `?`, `#` or is empty), normalised.
fn push_path_and_query(tail: &str, out: &mut String) {
    let tail = tail.split_once('#').map_or(tail, |(a, _)| a);
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    let decoded = normalize_percent(path);
    out.push_str(&remove_dot_segments(&decoded));
    if let Some(q) = query {
        out.push('?');
        out.push_str(&normalize_percent(q));
    }
}

/// Decodes `%XX` of unreserved characters, upper-cases the hex of the others (RFC 3986
/// §6.2.2.1-2). Malformed escapes are kept as they are.
fn normalize_percent(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('%') {
        return std::borrow::Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = (b[i + 1] as char).to_digit(16);
            let l = (b[i + 2] as char).to_digit(16);
            if let (Some(h), Some(l)) = (h, l) {
                let c = (h * 16 + l) as u8;
                if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                    out.push(c as char);
                } else {
                    out.push('%');
                    out.push((b[i + 1] as char).to_ascii_uppercase());
                    out.push((b[i + 2] as char).to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        // Copy one (possibly multi-byte) character.
        let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    out.into()
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.contains("/.") && !path.starts_with('.') {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut segs: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/');
    let trailing = path.ends_with("/.") || path.ends_with("/..") || path.ends_with('/');
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    if absolute {
        out.push('/');
    }
    out.push_str(&segs.join("/"));
    if trailing && !segs.is_empty() {
        out.push('/');
    }
    out.into()
}

/// An e-mail address: the part inside `<...>` if any, `mailto:` dropped, lowercase.
pub fn email(s: &str) -> Result<String, Reason> {
    let s = s.trim();
    let s = match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    };
    let s = s.strip_prefix("mailto:").unwrap_or(s).trim();
    let Some((local, host)) = s.rsplit_once('@') else {
        return Err("e-mail address without '@'");
    };
    if local.is_empty() || host.is_empty() || s.len() > 320 || s.contains(char::is_whitespace) {
        return Err("malformed e-mail address");
    }
    Ok(s.to_ascii_lowercase())
}

/// A hex digest of `len` hex digits (separators `:` and spaces removed), lowercase.
pub fn hex_digest(s: &str, len: usize) -> Result<String, Reason> {
    let mut out = String::with_capacity(len);
    for c in s.trim().chars() {
        match c {
            ':' | ' ' => {}
            c if c.is_ascii_hexdigit() => out.push(c.to_ascii_lowercase()),
            _ => return Err("digest with characters other than hex digits"),
        }
        if out.len() > len {
            return Err("digest of the wrong length");
        }
    }
    if out.len() != len {
        return Err("digest of the wrong length");
    }
    Ok(out)
}

/// A JA4 fingerprint (`t13d1516h2_8daaf6152771_b186095e22b6`), lowercase; `q`/`d` prefixes for
/// QUIC and DTLS are allowed.
pub fn ja4(s: &str) -> Result<String, Reason> {
    let s = s.trim().to_ascii_lowercase();
    let parts: Vec<&str> = s.split('_').collect();
    let ok = parts.len() == 3
        && parts[0].len() == 10
        && matches!(parts[0].as_bytes()[0], b't' | b'q' | b'd')
        && parts[0].bytes().all(|b| b.is_ascii_alphanumeric())
        && parts[1].len() == 12
        && parts[2].len() == 12
        && parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(s)
    } else {
        Err("not a JA4 fingerprint (a_b_c, 10 + 12 + 12 characters)")
    }
}

/// The hex length of each digest type.
pub fn digest_len(kind: IndicatorType) -> Option<usize> {
    Some(match kind {
        IndicatorType::Ja3
        | IndicatorType::Ja3s
        | IndicatorType::Hassh
        | IndicatorType::FileMd5
        | IndicatorType::Md5 => 32,
        IndicatorType::CertSha1 | IndicatorType::FileSha1 | IndicatorType::Sha1 => 40,
        IndicatorType::CertSha256 | IndicatorType::FileSha256 | IndicatorType::Sha256 => 64,
        _ => return None,
    })
}

/// Normalises `raw` as a value of `kind`. Returns the key and, for domains, whether every
/// subdomain is listed too.
pub fn value(kind: IndicatorType, raw: &str) -> Result<(String, bool), Reason> {
    let raw = refang(raw.trim());
    let raw = raw.as_ref();
    if raw.is_empty() {
        return Err("empty value");
    }
    match kind {
        IndicatorType::Addr => addr(raw)
            .map(|a| (a.to_string(), false))
            .ok_or("not an IP address"),
        IndicatorType::Subnet => subnet(raw)
            .map(|(a, l)| (format!("{a}/{l}"), false))
            .ok_or("not a CIDR block"),
        IndicatorType::Domain => domain(raw),
        IndicatorType::Url => url(raw).map(|u| (u, false)),
        IndicatorType::Email => email(raw).map(|e| (e, false)),
        IndicatorType::Ja4 => ja4(raw).map(|j| (j, false)),
        IndicatorType::UserAgent => {
            if raw.len() > 1024 {
                Err("user-agent substring longer than 1024 characters")
            } else {
                Ok((raw.to_string(), false))
            }
        }
        IndicatorType::UserAgentPattern => match regex::Regex::new(raw) {
            Ok(_) if raw.len() <= 1024 => Ok((raw.to_string(), false)),
            Ok(_) => Err("user-agent pattern longer than 1024 characters"),
            Err(_) => Err("user-agent pattern is not a valid regular expression"),
        },
        k => {
            let len = digest_len(k).expect("every other type is a digest");
            hex_digest(raw, len).map(|h| (h, false))
        }
    }
}

/// The type of an untyped value (plain lists): address, CIDR, URL, e-mail, MD5/SHA-1/SHA-256
/// (of unknown kind), JA4, domain, in that order of tests. `0.0.0.0 evil.com` (hosts-file
/// block lists) is the domain.
pub fn classify(raw: &str) -> Result<(IndicatorType, String, bool), Reason> {
    let raw = refang(raw.trim());
    let mut raw = raw.as_ref();
    if raw.contains('<') && raw.contains('@') {
        return email(raw).map(|e| (IndicatorType::Email, e, false));
    }
    if let Some((ip, name)) = raw.split_once(char::is_whitespace) {
        if matches!(ip, "0.0.0.0" | "127.0.0.1" | "::" | "::1") {
            raw = name.trim();
        } else {
            return Err("more than one value on the line");
        }
    }
    if raw.is_empty() {
        return Err("empty value");
    }
    if let Some(a) = addr(raw) {
        return Ok((IndicatorType::Addr, a.to_string(), false));
    }
    if raw.contains('/') && !raw.contains("://") {
        if let Some((a, l)) = subnet(raw) {
            return Ok((IndicatorType::Subnet, format!("{a}/{l}"), false));
        }
        if let Some((a, l)) = raw.split_once('/') {
            if addr(a).is_some() && l.bytes().all(|b| b.is_ascii_digit()) {
                return Err("CIDR prefix length out of range");
            }
        }
    }
    if raw.contains("://") {
        return url(raw).map(|u| (IndicatorType::Url, u, false));
    }
    if raw.contains('@') {
        return email(raw).map(|e| (IndicatorType::Email, e, false));
    }
    let hex = raw.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        match raw.len() {
            32 => return Ok((IndicatorType::Md5, raw.to_ascii_lowercase(), false)),
            40 => return Ok((IndicatorType::Sha1, raw.to_ascii_lowercase(), false)),
            64 => return Ok((IndicatorType::Sha256, raw.to_ascii_lowercase(), false)),
            _ => {}
        }
    }
    if let Ok(j) = ja4(raw) {
        return Ok((IndicatorType::Ja4, j, false));
    }
    if raw.contains('.') {
        // A host with a path but no scheme is a URL.
        if raw.contains('/') {
            return url(raw).map(|u| (IndicatorType::Url, u, false));
        }
        return domain(raw).map(|(d, s)| (IndicatorType::Domain, d, s));
    }
    Err("not an address, CIDR, domain, URL, e-mail address or hash")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_share_one_key() {
        let k = url("HTTP://Evil.EXAMPLE:80/a/./b/../c%7e%2f?x=%2a#frag").unwrap();
        assert_eq!(k, "evil.example/a/c~%2F?x=%2A");
        assert_eq!(url("https://evil.example:443/").unwrap(), "evil.example/");
        assert_eq!(
            url("https://evil.example:8443").unwrap(),
            "evil.example:8443/"
        );
        assert_eq!(url("evil.example/x").unwrap(), "evil.example/x");
        assert_eq!(url("http://user:pw@[::1]:8080/p").unwrap(), "::1:8080/p");
        let mut seen = String::new();
        assert!(seen_http_url(
            Some("EVIL.example:80"),
            "/a/./b/../c%7e%2f?x=%2a",
            &mut seen
        ));
        assert_eq!(seen, "evil.example/a/c~%2F?x=%2A");
        assert!(seen_http_url(None, "http://evil.example/p", &mut seen));
        assert_eq!(seen, "evil.example/p");
        assert!(!seen_http_url(None, "/p", &mut seen));
    }

    #[test]
    fn hosts_of_host_headers() {
        assert_eq!(host_of("evil.com:8080"), "evil.com");
        assert_eq!(host_of("[2001:db8::1]:80"), "2001:db8::1");
        assert_eq!(host_of("2001:db8::1"), "2001:db8::1");
        assert_eq!(host_of("evil.com:http"), "evil.com:http");
    }

    #[test]
    fn classify_plain_values() {
        let c = classify;
        assert_eq!(c("1.2.3.4").unwrap().0, IndicatorType::Addr);
        assert_eq!(
            c("10.1.2.3/8").unwrap(),
            (IndicatorType::Subnet, "10.0.0.0/8".into(), false)
        );
        assert_eq!(
            c("*.Evil.com.").unwrap(),
            (IndicatorType::Domain, "evil.com".into(), true)
        );
        assert_eq!(
            c("evil[.]com").unwrap(),
            (IndicatorType::Domain, "evil.com".into(), false)
        );
        assert_eq!(c("0.0.0.0 ads.example").unwrap().1, "ads.example");
        assert_eq!(c("hxxp://evil[.]com/x").unwrap().0, IndicatorType::Url);
        // "hxxps://" would end inside the "é".
        assert_eq!(c("hxxp://aé").unwrap().0, IndicatorType::Url);
        assert_eq!(c("Bad <BAD@Evil.com>").unwrap().1, "bad@evil.com");
        assert_eq!(
            c("D41D8CD98F00B204E9800998ECF8427E").unwrap().0,
            IndicatorType::Md5
        );
        assert_eq!(
            c("t13d1516h2_8daaf6152771_b186095e22b6").unwrap().0,
            IndicatorType::Ja4
        );
        assert!(c("not a value").is_err());
        assert!(c("").is_err());
        assert!(c("1.2.3.4/40").is_err());
    }

    #[test]
    fn digests_and_addresses() {
        assert_eq!(
            hex_digest("AB:cd:EF:01", 8).unwrap(),
            "abcdef01".to_string()
        );
        assert!(hex_digest("abc", 4).is_err());
        assert!(hex_digest("abcg", 4).is_err());
        assert_eq!(addr("[fe80::1%eth0]"), Some("fe80::1".parse().unwrap()));
        assert_eq!(
            subnet("2001:db8::1/32"),
            Some(("2001:db8::".parse().unwrap(), 32))
        );
        assert_eq!(subnet("0.0.0.0/0"), Some(("0.0.0.0".parse().unwrap(), 0)));
    }
}
