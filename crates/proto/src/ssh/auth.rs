//! Authentication outcome inferred from the sizes of encrypted packets.
//!
//! After NEWKEYS nothing can be read, but the user-authentication protocol (RFC 4252) has a
//! recognisable shape, and packet sizes follow from the negotiated cipher and MAC:
//!
//! 1. Server packets sent before the client's first encrypted packet are not answers to it
//!    (RFC 8308 EXT_INFO, for instance): skipped.
//! 2. The first server packet after that answers SERVICE_REQUEST: SERVICE_ACCEPT, skipped.
//! 3. USERAUTH_SUCCESS has a one-byte payload, so it is the smallest packet the cipher and MAC
//!    can produce ([`success_size`]); no other message of the authentication phase is that
//!    small (USERAUTH_FAILURE carries a name-list, PK_OK a key). A server packet of exactly
//!    that size is the success, and ends the analysis.
//! 4. Clients open with the `none` method to learn the allowed methods (RFC 4252 5.2); the
//!    server's first answer is that FAILURE. It is a probe, not an attempt: not counted, but
//!    its size is the size of a FAILURE on this connection.
//! 5. Each later server packet of that size is a failed attempt; other sizes (PK_OK,
//!    keyboard-interactive INFO_REQUEST, banners) are intermediate steps and not counted.
//!
//! Result: success with the attempts counted (failures plus the success); failure when the
//! connection ended after failed attempts only; undecided otherwise. Compressed connections
//! are left undecided (compression changes sizes; Zeek does the same, also for delayed
//! `zlib@openssh.com`, and the two agree that way), as are unknown ciphers or MACs.
//!
//! For encrypt-then-MAC MACs and AES-GCM the packet length is sent in clear, so packets are cut
//! exactly; otherwise each delivery counts as one packet (interactive authentication sends
//! one packet per segment in practice).

/// One encrypted packet (or delivery) seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncEvent {
    pub from_client: bool,
    pub len: u32,
}

/// Cipher block size for padding (RFC 4253 6: at least 8).
fn block_size(cipher: &str) -> Option<u32> {
    Some(if cipher.starts_with("aes") {
        16
    } else if cipher.starts_with("chacha20-poly1305")
        || cipher.starts_with("3des")
        || cipher.starts_with("blowfish")
        || cipher.starts_with("cast128")
        || cipher.starts_with("arcfour")
        || cipher.starts_with("idea")
        || cipher == "none"
    {
        8
    } else {
        return None;
    })
}

fn is_gcm(cipher: &str) -> bool {
    cipher.contains("-gcm")
}

fn is_chacha(cipher: &str) -> bool {
    cipher.starts_with("chacha20-poly1305")
}

fn mac_len(mac: &str) -> Option<u32> {
    let m = mac
        .trim_end_matches("-etm@openssh.com")
        .trim_end_matches("@openssh.com");
    Some(match m {
        "hmac-md5" | "umac-128" => 16,
        "hmac-md5-96" | "hmac-sha1-96" => 12,
        "hmac-sha1" | "hmac-ripemd160" => 20,
        "hmac-sha2-256" => 32,
        "hmac-sha2-512" => 64,
        "umac-64" => 8,
        "none" => 0,
        _ => return None,
    })
}

/// Whether the packet length travels in clear (encrypt-then-MAC, AES-GCM), with the bytes that
/// follow each packet (MAC or tag).
pub fn clear_length(cipher: &str, mac: &str) -> Option<u32> {
    if is_gcm(cipher) {
        Some(16)
    } else if is_chacha(cipher) {
        None
    } else if mac.ends_with("-etm@openssh.com") {
        mac_len(mac)
    } else {
        None
    }
}

/// Size on the wire of a packet with a one-byte payload (USERAUTH_SUCCESS).
pub fn success_size(cipher: &str, mac: &str) -> Option<u32> {
    let b = block_size(cipher)?;
    let round = |n: u32| n.div_ceil(b) * b;
    if is_chacha(cipher) {
        // Length encrypted apart (4 bytes), padding over the rest, 16-byte tag.
        return Some(4 + round(1 + 1 + 4) + 16);
    }
    if is_gcm(cipher) {
        return Some(4 + round(1 + 1 + 4) + 16);
    }
    let m = mac_len(mac)?;
    if mac.ends_with("-etm@openssh.com") {
        Some(4 + round(1 + 1 + 4) + m)
    } else {
        Some(round(4 + 1 + 1 + 4) + m)
    }
}

/// Incremental form of the heuristic (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct AuthTracker {
    success_size: Option<u32>,
    client_seen: bool,
    accept_seen: bool,
    failure_size: Option<u32>,
    attempts: u32,
    success: bool,
    disabled: bool,
}

impl AuthTracker {
    pub fn new(cipher: Option<&str>, mac: Option<&str>, compression: Option<&str>) -> Self {
        let success_size = match (cipher, mac) {
            (Some(c), Some(m)) => success_size(c, m),
            _ => None,
        };
        AuthTracker {
            success_size,
            disabled: success_size.is_none() || compression.is_some_and(|c| c != "none"),
            ..Default::default()
        }
    }

    /// Whether the outcome is final (success seen).
    pub fn decided(&self) -> bool {
        self.success
    }

    pub fn packet(&mut self, e: EncEvent) {
        if self.disabled || self.success {
            return;
        }
        if e.from_client {
            self.client_seen = true;
            return;
        }
        if !self.client_seen {
            return;
        }
        if !self.accept_seen {
            self.accept_seen = true;
            return;
        }
        if Some(e.len) == self.success_size {
            self.success = true;
            self.attempts += 1;
            return;
        }
        match self.failure_size {
            None => self.failure_size = Some(e.len),
            Some(f) if f == e.len => self.attempts += 1,
            Some(_) => {}
        }
    }

    /// (`auth_success`, `auth_attempts`).
    pub fn outcome(&self) -> (Option<bool>, u32) {
        if self.disabled {
            (None, 0)
        } else if self.success {
            (Some(true), self.attempts)
        } else if self.attempts > 0 {
            (Some(false), self.attempts)
        } else {
            (None, 0)
        }
    }
}

/// The heuristic over a whole list of packets.
pub fn infer_auth(
    events: &[EncEvent],
    cipher: Option<&str>,
    mac: Option<&str>,
    compression: Option<&str>,
) -> (Option<bool>, u32) {
    let mut t = AuthTracker::new(cipher, mac, compression);
    for &e in events {
        t.packet(e);
    }
    t.outcome()
}
