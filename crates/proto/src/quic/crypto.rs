//! Initial packet protection (RFC 9001 §5, RFC 9369 §3.3): key derivation from the client's
//! first Destination Connection ID, header protection removal (AES-ECB of a ciphertext sample)
//! and AES-128-GCM payload decryption. The primitives come from RustCrypto (hkdf, sha2, aes,
//! aes-gcm); only the QUIC-specific glue (labels, nonce, masks) is written here.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::Aes128;
use aes_gcm::aead::AeadInOut;
use aes_gcm::Aes128Gcm;
use hkdf::Hkdf;
use sha2::Sha256;

/// Length of the header protection sample and of the AEAD tag.
pub const SAMPLE_LEN: usize = 16;
pub const TAG_LEN: usize = 16;

/// What differs between the QUIC versions whose Initial packets can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionParams {
    pub salt: &'static [u8; 20],
    pub key_label: &'static [u8],
    pub iv_label: &'static [u8],
    pub hp_label: &'static [u8],
    /// Version 2 rotates the long-header packet type bits (RFC 9369 §3.2).
    pub v2_types: bool,
}

/// RFC 9001 §5.2.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// draft-ietf-quic-tls-23 §5.2 (drafts 23 to 28, and mvfst's faceb002 built on draft 27).
const SALT_DRAFT23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];
/// draft-ietf-quic-tls-29 §5.2 (drafts 29 to 32 share it).
const SALT_DRAFT29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];

pub const VERSION_1: u32 = 0x0000_0001;
pub const VERSION_2: u32 = 0x6b33_43cf;

const V1_PARAMS: VersionParams = VersionParams {
    salt: &SALT_V1,
    key_label: b"quic key",
    iv_label: b"quic iv",
    hp_label: b"quic hp",
    v2_types: false,
};

/// Parameters of the versions netloupe can decrypt: 1, 2, and drafts 23-34 with mvfst's
/// faceb002 (whose Initial packets, frames and labels are those of version 1, with their own
/// salts). A wrong salt cannot go unnoticed: the AEAD tag would not verify.
pub fn version_params(version: u32) -> Option<VersionParams> {
    match version {
        VERSION_1 => Some(V1_PARAMS),
        VERSION_2 => Some(VersionParams {
            salt: &SALT_V2,
            key_label: b"quicv2 key",
            iv_label: b"quicv2 iv",
            hp_label: b"quicv2 hp",
            v2_types: true,
        }),
        0xff00_0017..=0xff00_001c | 0xface_b002 => Some(VersionParams {
            salt: &SALT_DRAFT23,
            ..V1_PARAMS
        }),
        0xff00_001d..=0xff00_0020 => Some(VersionParams {
            salt: &SALT_DRAFT29,
            ..V1_PARAMS
        }),
        // Drafts 33 and 34 took version 1's salt.
        0xff00_0021..=0xff00_0022 => Some(V1_PARAMS),
        _ => None,
    }
}

/// HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context.
pub fn expand_label(secret: &[u8], label: &[u8], out: &mut [u8]) -> Option<()> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let full = 6 + label.len();
    if full > 255 || out.len() > u16::MAX as usize {
        return None;
    }
    let mut info = Vec::with_capacity(4 + full);
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    hk.expand(&info, out).ok()
}

/// initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id).
pub fn initial_secret(p: &VersionParams, dcid: &[u8]) -> [u8; 32] {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(p.salt), dcid);
    let mut s = [0u8; 32];
    s.copy_from_slice(&prk);
    s
}

/// Packet protection keys of one direction.
#[derive(Clone)]
pub struct Keys {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
    aead: Aes128Gcm,
    hp_cipher: Aes128,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

impl Keys {
    /// Keys from a traffic secret with the version's labels.
    pub fn from_secret(p: &VersionParams, secret: &[u8]) -> Option<Keys> {
        let mut key = [0u8; 16];
        let mut iv = [0u8; 12];
        let mut hp = [0u8; 16];
        expand_label(secret, p.key_label, &mut key)?;
        expand_label(secret, p.iv_label, &mut iv)?;
        expand_label(secret, p.hp_label, &mut hp)?;
        Some(Keys {
            key,
            iv,
            hp,
            aead: Aes128Gcm::new_from_slice(&key).ok()?,
            hp_cipher: Aes128::new_from_slice(&hp).ok()?,
        })
    }

    /// AES-ECB of the sample: the header protection mask (RFC 9001 §5.4.3).
    pub fn mask(&self, sample: &[u8; SAMPLE_LEN]) -> [u8; 16] {
        let mut block = aes::Block::from(*sample);
        self.hp_cipher.encrypt_block(&mut block);
        let mut m = [0u8; 16];
        m.copy_from_slice(&block);
        m
    }

    /// Decrypts `payload` (ciphertext and tag) in place; `header` is the unprotected header,
    /// the associated data.
    pub fn open(&self, pn: u64, header: &[u8], payload: &mut Vec<u8>) -> Option<()> {
        let mut nonce = self.iv;
        for (n, p) in nonce[4..].iter_mut().zip(pn.to_be_bytes()) {
            *n ^= p;
        }
        let nonce = aes_gcm::aead::Nonce::<Aes128Gcm>::from(nonce);
        self.aead.decrypt_in_place(&nonce, header, payload).ok()
    }
}

/// Client and server Initial keys of a connection.
#[derive(Debug, Clone)]
pub struct InitialKeys {
    pub client: Keys,
    pub server: Keys,
}

impl InitialKeys {
    pub fn new(p: &VersionParams, dcid: &[u8]) -> Option<InitialKeys> {
        let secret = initial_secret(p, dcid);
        let mut c = [0u8; 32];
        let mut s = [0u8; 32];
        expand_label(&secret, b"client in", &mut c)?;
        expand_label(&secret, b"server in", &mut s)?;
        Some(InitialKeys {
            client: Keys::from_secret(p, &c)?,
            server: Keys::from_secret(p, &s)?,
        })
    }
}

/// Full packet number from its truncated encoding (RFC 9000 §A.3).
pub fn decode_pn(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    let expected = largest.map_or(0, |l| l.saturating_add(1));
    let bits = 8 * pn_len as u32;
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate.saturating_add(hwin) <= expected && candidate < (1u64 << 62) - win {
        candidate + win
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// An Initial (or other long-header) packet with protection removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The unprotected header, up to and including the packet number.
    pub header: Vec<u8>,
    pub pn: u64,
    /// The decrypted frames.
    pub payload: Vec<u8>,
}

/// Removes header protection and decrypts one long-header packet. `packet` runs from the first
/// header byte to the end of the packet (as given by its Length field); `pn_offset` is where the
/// packet number starts.
pub fn open_long(
    keys: &Keys,
    packet: &[u8],
    pn_offset: usize,
    largest: Option<u64>,
) -> Option<Opened> {
    let sample: &[u8; SAMPLE_LEN] = packet
        .get(pn_offset + 4..pn_offset + 4 + SAMPLE_LEN)?
        .try_into()
        .ok()?;
    let mask = keys.mask(sample);
    let first = packet[0] ^ (mask[0] & 0x0f);
    let pn_len = (first & 0x03) as usize + 1;
    let mut header = packet.get(..pn_offset + pn_len)?.to_vec();
    header[0] = first;
    let mut truncated = 0u64;
    for i in 0..pn_len {
        header[pn_offset + i] ^= mask[1 + i];
        truncated = (truncated << 8) | header[pn_offset + i] as u64;
    }
    let pn = decode_pn(largest, truncated, pn_len);
    let mut payload = packet[pn_offset + pn_len..].to_vec();
    if payload.len() < TAG_LEN {
        return None;
    }
    keys.open(pn, &header, &mut payload)?;
    Some(Opened {
        header,
        pn,
        payload,
    })
}
