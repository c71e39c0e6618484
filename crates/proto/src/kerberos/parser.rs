//! Kerberos 5 messages (RFC 4120) decoded with rusticata's kerberos-parser, reduced to the
//! facts kerberos.log needs. A KRB-ERROR that the strict decoder rejects (required fields
//! missing) is read leniently for its error code and text, since such errors still say that a
//! request failed.
//!
//! Caps: a message is at most what the caller hands over (one datagram, one TCP record of at
//! most [`super::session::MAX_RECORD`] bytes); DER lengths are bounded by the input.

use crate::tls::x509::dn_string;
use kerberos_parser::krb5::PAData;
use kerberos_parser::krb5::{ApReq, KdcRep, KdcReq, KrbError, PrincipalName};
use kerberos_parser::krb5_parser::{parse_as_rep, parse_as_req, parse_tgs_rep, parse_tgs_req};
use x509_parser::asn1_rs::{FromDer, GeneralizedTime};
use x509_parser::certificate::X509Certificate;

/// A KDC request (AS-REQ or TGS-REQ), reduced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KdcReqInfo {
    /// Client name components joined with "/" (AS-REQ only).
    pub cname: Option<String>,
    pub realm: String,
    /// Server name components joined with "/".
    pub sname: Option<String>,
    /// Requested start and end times, seconds since the epoch.
    pub from: Option<i64>,
    pub till: Option<i64>,
    /// KDC options (RFC 4120 5.4.1): bit 1 forwardable, bit 8 renewable.
    pub forwardable: bool,
    pub renewable: bool,
    pub etypes: Vec<i32>,
    /// Subject of the client certificate of a PKINIT request (PA-PK-AS-REQ, RFC 4556).
    pub client_cert_subject: Option<String>,
}

/// A KDC reply (AS-REP or TGS-REP), reduced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KdcRepInfo {
    pub cname: String,
    pub crealm: String,
    pub ticket_realm: String,
    pub ticket_sname: String,
    /// Encryption type of the ticket.
    pub ticket_etype: i32,
    /// Subject of the KDC certificate of a PKINIT reply (PA-PK-AS-REP, RFC 4556).
    pub server_cert_subject: Option<String>,
}

/// A KRB-ERROR, reduced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KrbErrorInfo {
    pub error_code: i32,
    pub etext: Option<String>,
    pub cname: Option<String>,
    pub crealm: Option<String>,
    pub realm: Option<String>,
    pub sname: Option<String>,
}

/// An AP-REQ, reduced to its ticket (the rest is encrypted).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApReqInfo {
    pub realm: String,
    pub sname: String,
    pub ticket_etype: i32,
}

/// One Kerberos message.
#[derive(Debug, Clone, PartialEq)]
pub enum KrbMessage {
    AsReq(KdcReqInfo),
    TgsReq(KdcReqInfo),
    AsRep(KdcRepInfo),
    TgsRep(KdcRepInfo),
    Error(KrbErrorInfo),
    ApReq(ApReqInfo),
    ApRep,
}

impl KrbMessage {
    /// Requests are sent by clients; replies and errors answer them.
    pub fn is_request(&self) -> bool {
        matches!(
            self,
            KrbMessage::AsReq(_) | KrbMessage::TgsReq(_) | KrbMessage::ApReq(_)
        )
    }
}

fn name(p: &PrincipalName) -> String {
    p.name_string.join("/")
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn epoch(t: &GeneralizedTime) -> i64 {
    let d = &t.0;
    days_from_civil(d.year as i64, d.month as i64, d.day as i64) * 86400
        + d.hour as i64 * 3600
        + d.minute as i64 * 60
        + d.second as i64
}

fn req(r: &KdcReq) -> KdcReqInfo {
    let b = &r.req_body;
    KdcReqInfo {
        cname: b.cname.as_ref().map(name),
        realm: b.realm.0.clone(),
        sname: b.sname.as_ref().map(name),
        from: b.from.as_ref().map(epoch),
        till: Some(epoch(&b.till)),
        forwardable: b.kdc_options.is_set(1),
        renewable: b.kdc_options.is_set(8),
        etypes: b.etype.iter().map(|e| e.0).collect(),
        client_cert_subject: pkinit_subject(&r.padata, 16),
    }
}

fn rep(r: &KdcRep) -> KdcRepInfo {
    KdcRepInfo {
        cname: name(&r.cname),
        crealm: r.crealm.0.clone(),
        ticket_realm: r.ticket.realm.0.clone(),
        ticket_sname: name(&r.ticket.sname),
        ticket_etype: r.ticket.enc_part.etype.0,
        server_cert_subject: pkinit_subject(&r.padata, 17),
    }
}

/// Certificates tried per PKINIT pre-authentication value.
const MAX_CERT_TRIES: usize = 64;

/// The subject of the first X.509 certificate inside the CMS signed data of a PKINIT
/// pre-authentication value of type `pa_type` (16: PA-PK-AS-REQ, 17: PA-PK-AS-REP). The
/// certificates are found by trying to decode one at each long-form SEQUENCE.
fn pkinit_subject(padata: &[PAData], pa_type: i32) -> Option<String> {
    let v = padata
        .iter()
        .find(|p| p.padata_type.0 == pa_type)?
        .padata_value;
    let mut tries = 0;
    for i in 0..v.len().saturating_sub(4) {
        if v[i] != 0x30 || !matches!(v[i + 1], 0x81..=0x83) {
            continue;
        }
        tries += 1;
        if tries > MAX_CERT_TRIES {
            break;
        }
        if let Ok((_, c)) = X509Certificate::from_der(&v[i..]) {
            return Some(dn_string(c.subject()));
        }
    }
    None
}

fn err(e: &KrbError) -> KrbErrorInfo {
    KrbErrorInfo {
        error_code: e.error_code.0,
        etext: e.etext.clone(),
        cname: e.cname.as_ref().map(name),
        crealm: e.crealm.as_ref().map(|r| r.0.clone()),
        realm: Some(e.realm.0.clone()),
        sname: Some(name(&e.sname)),
    }
}

/// One DER element: (tag byte, content, rest). Single-byte tags and definite lengths only.
fn der(i: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *i.first()?;
    let l0 = *i.get(1)? as usize;
    let (len, hdr) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let n = l0 & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for k in 0..n {
            len = (len << 8) | *i.get(2 + k)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    Some((tag, i.get(hdr..end)?, &i[end..]))
}

fn der_int(c: &[u8]) -> Option<i32> {
    let (t, v, _) = der(c)?;
    if t != 0x02 || v.is_empty() || v.len() > 4 {
        return None;
    }
    let mut x: i32 = if v[0] & 0x80 != 0 { -1 } else { 0 };
    for &b in v {
        x = (x << 8) | b as i32;
    }
    Some(x)
}

fn der_string(c: &[u8]) -> Option<String> {
    let (_, v, _) = der(c)?;
    Some(String::from_utf8_lossy(v).into_owned())
}

/// KRB-ERROR fields read one by one, for errors the strict decoder rejects.
fn lenient_error(data: &[u8]) -> Option<KrbErrorInfo> {
    let (t, body, _) = der(data)?;
    if t != 0x7e {
        return None;
    }
    let (t, mut seq, _) = der(body)?;
    if t != 0x30 {
        return None;
    }
    let mut e = KrbErrorInfo::default();
    let mut code = None;
    while let Some((tag, c, rest)) = der(seq) {
        match tag {
            0xa6 => code = der_int(c),
            0xa7 => e.crealm = der_string(c),
            0xa9 => e.realm = der_string(c),
            0xab => e.etext = der_string(c),
            _ => {}
        }
        seq = rest;
    }
    e.error_code = code?;
    Some(e)
}

/// Parses one Kerberos message (the DER bytes, without TCP record mark or GSS-API framing).
pub fn parse_krb_message(data: &[u8]) -> Option<KrbMessage> {
    match *data.first()? {
        0x6a => Some(KrbMessage::AsReq(req(&parse_as_req(data).ok()?.1))),
        0x6c => Some(KrbMessage::TgsReq(req(&parse_tgs_req(data).ok()?.1))),
        0x6b => Some(KrbMessage::AsRep(rep(&parse_as_rep(data).ok()?.1))),
        0x6d => Some(KrbMessage::TgsRep(rep(&parse_tgs_rep(data).ok()?.1))),
        0x7e => match KrbError::from_der(data) {
            Ok((_, e)) => Some(KrbMessage::Error(err(&e))),
            Err(_) => lenient_error(data).map(KrbMessage::Error),
        },
        0x6e => {
            let (_, r) = ApReq::from_der(data).ok()?;
            Some(KrbMessage::ApReq(ApReqInfo {
                realm: r.ticket.realm.0.clone(),
                sname: name(&r.ticket.sname),
                ticket_etype: r.ticket.enc_part.etype.0,
            }))
        }
        0x6f => {
            // The AP-REP is all encrypted: its framing is what there is to check.
            let (t, body, _) = der(data)?;
            (t == 0x6f && der(body)?.0 == 0x30).then_some(KrbMessage::ApRep)
        }
        _ => None,
    }
}

/// The Kerberos V5 mechanism OIDs (RFC 4121 1.1: 1.2.840.113554.1.2.2; and Microsoft's
/// 1.2.840.48018.1.2.2) as DER, each followed in a GSS-API token by a two-byte token id.
const KRB5_OIDS: [&[u8]; 2] = [
    &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ],
    &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ],
];
/// Largest number of GSS-API tokens returned from one buffer.
pub const MAX_TOKENS: usize = 64;

/// Kerberos messages framed as GSS-API tokens (RFC 4121 4.1: mechanism OID, token id 01 00
/// AP-REQ, 02 00 AP-REP, 03 00 KRB-ERROR) anywhere in `data` (SPNEGO blobs of SMB session
/// setups, HTTP Negotiate, DCE-RPC auth verifiers, LDAP binds, ...), in order.
pub fn find_gssapi_krb5(data: &[u8]) -> Vec<KrbMessage> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 13 <= data.len() && found.len() < MAX_TOKENS {
        let hit = KRB5_OIDS
            .iter()
            .any(|oid| data[i..].starts_with(oid) && i + oid.len() + 2 <= data.len());
        if hit {
            let after = &data[i + 11..];
            let (tok, msg) = (&after[..2], &after[2..]);
            let want = match tok {
                [1, 0] => Some(0x6e),
                [2, 0] => Some(0x6f),
                [3, 0] => Some(0x7e),
                _ => None,
            };
            if want.is_some() && msg.first().copied() == want {
                if let Some(m) = parse_krb_message(msg) {
                    found.push(m);
                    i += 13;
                    continue;
                }
            }
        }
        i += 1;
    }
    found
}

/// Encryption type names (IANA Kerberos parameters registry), as Zeek logs them.
pub fn etype_name(e: i32) -> String {
    match e {
        1 => "des-cbc-crc",
        2 => "des-cbc-md4",
        3 => "des-cbc-md5",
        5 => "des3-cbc-md5",
        7 => "des3-cbc-sha1",
        9 => "dsaWithSHA1-CmsOID",
        10 => "md5WithRSAEncryption-CmsOID",
        11 => "sha1WithRSAEncryption-CmsOID",
        12 => "rc2CBC-EnvOID",
        13 => "rsaEncryption-EnvOID",
        14 => "rsaES-OAEP-ENV-OID",
        15 => "des-ede3-cbc-Env-OID",
        16 => "des3-cbc-sha1-kd",
        17 => "aes128-cts-hmac-sha1-96",
        18 => "aes256-cts-hmac-sha1-96",
        19 => "aes128-cts-hmac-sha256-128",
        20 => "aes256-cts-hmac-sha384-192",
        23 => "rc4-hmac",
        24 => "rc4-hmac-exp",
        25 => "camellia128-cts-cmac",
        26 => "camellia256-cts-cmac",
        65 => "subkey-keymaterial",
        _ => return format!("unknown-{e}"),
    }
    .to_string()
}

/// Error code names (RFC 4120 7.5.9 and the PKINIT codes of RFC 4556).
pub fn error_name(code: i32) -> String {
    let n = match code {
        0 => "KDC_ERR_NONE",
        1 => "KDC_ERR_NAME_EXP",
        2 => "KDC_ERR_SERVICE_EXP",
        3 => "KDC_ERR_BAD_PVNO",
        4 => "KDC_ERR_C_OLD_MAST_KVNO",
        5 => "KDC_ERR_S_OLD_MAST_KVNO",
        6 => "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        7 => "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        8 => "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
        9 => "KDC_ERR_NULL_KEY",
        10 => "KDC_ERR_CANNOT_POSTDATE",
        11 => "KDC_ERR_NEVER_VALID",
        12 => "KDC_ERR_POLICY",
        13 => "KDC_ERR_BADOPTION",
        14 => "KDC_ERR_ETYPE_NOSUPP",
        15 => "KDC_ERR_SUMTYPE_NOSUPP",
        16 => "KDC_ERR_PADATA_TYPE_NOSUPP",
        17 => "KDC_ERR_TRTYPE_NOSUPP",
        18 => "KDC_ERR_CLIENT_REVOKED",
        19 => "KDC_ERR_SERVICE_REVOKED",
        20 => "KDC_ERR_TGT_REVOKED",
        21 => "KDC_ERR_CLIENT_NOTYET",
        22 => "KDC_ERR_SERVICE_NOTYET",
        23 => "KDC_ERR_KEY_EXPIRED",
        24 => "KDC_ERR_PREAUTH_FAILED",
        25 => "KDC_ERR_PREAUTH_REQUIRED",
        26 => "KDC_ERR_SERVER_NOMATCH",
        27 => "KDC_ERR_MUST_USE_USER2USER",
        28 => "KDC_ERR_PATH_NOT_ACCEPTED",
        29 => "KDC_ERR_SVC_UNAVAILABLE",
        31 => "KRB_AP_ERR_BAD_INTEGRITY",
        32 => "KRB_AP_ERR_TKT_EXPIRED",
        33 => "KRB_AP_ERR_TKT_NYV",
        34 => "KRB_AP_ERR_REPEAT",
        35 => "KRB_AP_ERR_NOT_US",
        36 => "KRB_AP_ERR_BADMATCH",
        37 => "KRB_AP_ERR_SKEW",
        38 => "KRB_AP_ERR_BADADDR",
        39 => "KRB_AP_ERR_BADVERSION",
        40 => "KRB_AP_ERR_MSG_TYPE",
        41 => "KRB_AP_ERR_MODIFIED",
        42 => "KRB_AP_ERR_BADORDER",
        44 => "KRB_AP_ERR_BADKEYVER",
        45 => "KRB_AP_ERR_NOKEY",
        46 => "KRB_AP_ERR_MUT_FAIL",
        47 => "KRB_AP_ERR_BADDIRECTION",
        48 => "KRB_AP_ERR_METHOD",
        49 => "KRB_AP_ERR_BADSEQ",
        50 => "KRB_AP_ERR_INAPP_CKSUM",
        51 => "KRB_AP_PATH_NOT_ACCEPTED",
        52 => "KRB_ERR_RESPONSE_TOO_BIG",
        60 => "KRB_ERR_GENERIC",
        61 => "KRB_ERR_FIELD_TOOLONG",
        62 => "KDC_ERR_CLIENT_NOT_TRUSTED",
        63 => "KDC_ERR_KDC_NOT_TRUSTED",
        64 => "KDC_ERR_INVALID_SIG",
        65 => "KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED",
        66 => "KDC_ERR_CERTIFICATE_MISMATCH",
        67 => "KRB_AP_ERR_NO_TGT",
        68 => "KDC_ERR_WRONG_REALM",
        69 => "KRB_AP_ERR_USER_TO_USER_REQUIRED",
        70 => "KDC_ERR_CANT_VERIFY_CERTIFICATE",
        71 => "KDC_ERR_INVALID_CERTIFICATE",
        72 => "KDC_ERR_REVOKED_CERTIFICATE",
        73 => "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
        74 => "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE",
        75 => "KDC_ERR_CLIENT_NAME_MISMATCH",
        76 => "KDC_ERR_KDC_NAME_MISMATCH",
        _ => return format!("KRB_ERR_{code}"),
    };
    n.to_string()
}
