//! Names of the numeric values rdp.log shows.

/// Languages of the default keyboard layouts (a layout identifier's low 16 bits are the
/// Windows language identifier, LCID). Variant layouts (high bits set) not listed are named
/// after their language with a "Best Guess" note, as Zeek does.
const LAYOUTS: &[(u32, &str)] = &[
    (0x0401, "Arabic - Saudi Arabia"),
    (0x0402, "Bulgarian"),
    (0x0403, "Catalan"),
    (0x0404, "Chinese - Taiwan"),
    (0x0405, "Czech"),
    (0x0406, "Danish"),
    (0x0407, "German - Germany"),
    (0x0408, "Greek"),
    (0x0409, "English - United States"),
    (0x040a, "Spanish - Traditional Sort"),
    (0x040b, "Finnish"),
    (0x040c, "French - France"),
    (0x040d, "Hebrew"),
    (0x040e, "Hungarian"),
    (0x040f, "Icelandic"),
    (0x0410, "Italian - Italy"),
    (0x0411, "Japanese"),
    (0x0412, "Korean"),
    (0x0413, "Dutch - Netherlands"),
    (0x0414, "Norwegian (Bokmal)"),
    (0x0415, "Polish"),
    (0x0416, "Portuguese - Brazil"),
    (0x0418, "Romanian"),
    (0x0419, "Russian"),
    (0x041a, "Croatian"),
    (0x041b, "Slovak"),
    (0x041c, "Albanian"),
    (0x041d, "Swedish"),
    (0x041e, "Thai"),
    (0x041f, "Turkish"),
    (0x0420, "Urdu"),
    (0x0421, "Indonesian"),
    (0x0422, "Ukrainian"),
    (0x0423, "Belarusian"),
    (0x0424, "Slovenian"),
    (0x0425, "Estonian"),
    (0x0426, "Latvian"),
    (0x0427, "Lithuanian"),
    (0x0429, "Farsi"),
    (0x042a, "Vietnamese"),
    (0x042b, "Armenian"),
    (0x042c, "Azeri - Latin"),
    (0x042d, "Basque"),
    (0x042f, "Macedonian"),
    (0x0436, "Afrikaans"),
    (0x0437, "Georgian"),
    (0x0438, "Faroese"),
    (0x0439, "Hindi"),
    (0x043e, "Malay - Malaysia"),
    (0x043f, "Kazakh"),
    (0x0440, "Kyrgyz"),
    (0x0441, "Swahili"),
    (0x0443, "Uzbek - Latin"),
    (0x0444, "Tatar"),
    (0x0445, "Bengali"),
    (0x0446, "Punjabi"),
    (0x0447, "Gujarati"),
    (0x0449, "Tamil"),
    (0x044a, "Telugu"),
    (0x044b, "Kannada"),
    (0x044e, "Marathi"),
    (0x0450, "Mongolian"),
    (0x0456, "Galician"),
    (0x0804, "Chinese - PRC"),
    (0x0807, "German - Switzerland"),
    (0x0809, "English - United Kingdom"),
    (0x080a, "Spanish - Mexico"),
    (0x080c, "French - Belgium"),
    (0x0810, "Italian - Switzerland"),
    (0x0813, "Dutch - Belgium"),
    (0x0814, "Norwegian (Nynorsk)"),
    (0x0816, "Portuguese - Portugal"),
    (0x081a, "Serbian - Latin"),
    (0x081d, "Swedish - Finland"),
    (0x0c04, "Chinese - Hong Kong SAR"),
    (0x0c07, "German - Austria"),
    (0x0c09, "English - Australia"),
    (0x0c0a, "Spanish - International Sort"),
    (0x0c0c, "French - Canada"),
    (0x0c1a, "Serbian - Cyrillic"),
    (0x1004, "Chinese - Singapore"),
    (0x1009, "English - Canada"),
    (0x100c, "French - Switzerland"),
    (0x1409, "English - New Zealand"),
    (0x1809, "English - Ireland"),
    (0x2c0a, "Spanish - Argentina"),
];

/// The keyboard layout of the client core data.
pub fn keyboard_layout(id: u32) -> String {
    let find = |k: u32| LAYOUTS.iter().find(|(n, _)| *n == k).map(|(_, s)| *s);
    if let Some(s) = find(id) {
        return s.to_string();
    }
    match find(id & 0xffff) {
        Some(s) => format!("{s} (Best Guess for {id})"),
        None => format!("unknown-{id}"),
    }
}

/// The client build number as the RDP client version that ships with it.
pub fn client_build(build: u32) -> String {
    let v = match build {
        419 => "RDP 4.0",
        2195 | 2221 => "RDP 5.0",
        2600 => "RDP 5.1",
        3790 => "RDP 5.2",
        6000 => "RDP 6.0",
        6001 => "RDP 6.1",
        6002 => "RDP 6.2",
        7600 => "RDP 7.0",
        7601 => "RDP 7.1",
        9200 => "RDP 8.0",
        9600 => "RDP 8.1",
        25189 => "RDP 8.0 (Mac)",
        25282 => "RDP 8.0 (Mac)",
        _ => return format!("client_build-{build}"),
    };
    v.to_string()
}

/// Encryption level of the server security data.
pub fn encryption_level(n: u32) -> String {
    match n {
        0 => "None".into(),
        1 => "Low".into(),
        2 => "Client compatible".into(),
        3 => "High".into(),
        4 => "FIPS".into(),
        _ => format!("unknown-{n}"),
    }
}

/// Encryption method of the server security data.
pub fn encryption_method(n: u32) -> String {
    match n {
        0 => "None".into(),
        1 => "40bit".into(),
        2 => "128bit".into(),
        8 => "56bit".into(),
        0x10 => "FIPS".into(),
        _ => format!("unknown-{n}"),
    }
}

/// Selected protocol of the negotiation response.
pub fn security_protocol(n: u32) -> String {
    match n {
        0 => "RDP".into(),
        1 => "SSL".into(),
        2 => "HYBRID".into(),
        4 => "RDSTLS".into(),
        8 => "HYBRID_EX".into(),
        _ => format!("unknown-{n}"),
    }
}

/// Failure code of a negotiation failure (MS-RDPBCGR 2.2.1.2.2).
pub fn failure_code(n: u32) -> String {
    match n {
        1 => "SSL_REQUIRED_BY_SERVER".into(),
        2 => "SSL_NOT_ALLOWED_BY_SERVER".into(),
        3 => "SSL_CERT_NOT_ON_SERVER".into(),
        4 => "INCONSISTENT_FLAGS".into(),
        5 => "HYBRID_REQUIRED_BY_SERVER".into(),
        6 => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER".into(),
        _ => format!("unknown-{n}"),
    }
}

/// Result of the MCS Connect Response (T.125 Result).
pub fn mcs_result(n: u32) -> String {
    const R: [&str; 16] = [
        "Success",
        "Domain merging",
        "Domain not hierarchical",
        "No such channel",
        "No such domain",
        "No such user",
        "Not admitted",
        "Other user id",
        "Parameters unacceptable",
        "Token not available",
        "Token not possessed",
        "Too many channels",
        "Too many tokens",
        "Too many users",
        "Unspecified failure",
        "User rejected",
    ];
    R.get(n as usize)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("unknown-{n}"))
}

/// Bits per pixel of highColorDepth (MS-RDPBCGR 2.2.1.3.2).
pub fn high_color_depth(n: u16) -> Option<&'static str> {
    Some(match n {
        4 => "4bit",
        8 => "8bit",
        15 => "15bit",
        16 => "16bit",
        24 => "24bit",
        32 => "32bit",
        _ => return None,
    })
}

/// Bits per pixel of colorDepth / postBeta2ColorDepth (RNS_UD_COLOR_*).
pub fn legacy_color_depth(n: u16) -> Option<&'static str> {
    Some(match n {
        0xca00 => "4bit",
        0xca01 => "8bit",
        0xca02 => "15bit",
        0xca03 => "16bit",
        0xca04 => "24bit",
        _ => return None,
    })
}
