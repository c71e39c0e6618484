use super::*;
use crate::feed::testutil::{find, load, load_with, problem_at, sample, skips, tags, ts, values};
use crate::feed::{FeedFormat, FeedOptions};
use crate::indicator::IndicatorType as T;

const EVENT_REF: &str = "MISP event 5e1f0a2b-3c4d-4e5f-9a6b-7c8d9e0f1a2b: Emotet epoch 5 spam wave";

fn obj(id: &str) -> Location {
    Location::Object(id.to_string())
}

#[test]
fn event_file() {
    let l = load(FeedFormat::Misp, &sample("misp_event.json"));
    assert_eq!(
        values(&l),
        [
            (T::Addr, "198.51.100.14"),
            (T::Subnet, "203.0.113.0/24"),
            (T::Addr, "192.0.2.80"),
            (T::Domain, "mail-secure-login.example"),
            (T::Domain, "cdn.mail-secure-login.example"),
            (T::Domain, "dl.evil.example"),
            (T::Addr, "192.0.2.81"),
            (T::Url, "dl.evil.example/invoice.php?id=1"),
            (T::Email, "invoices@mail-secure-login.example"),
            (T::FileMd5, "92eb5ffee6ae2fec3ad71c777531578f"),
            (T::FileSha1, "e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98"),
            (
                T::FileSha256,
                "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
            ),
            (
                T::FileSha256,
                "18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4"
            ),
            (T::Ja3, "4a8a08f09d37b73795649038408b5f33"),
            (T::Hassh, "8277e0910d750195b448797616e091ad"),
            (T::Hassh, "e1671797c52e15f763380b45e841ec32"),
            (T::CertSha1, "3c363836cf4e16666669a25da280a1865c2d2874"),
            (
                T::CertSha256,
                "252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111"
            ),
            (T::UserAgent, "Mozilla/5.0 (EmotetLoader)"),
            (
                T::FileSha256,
                "cd0aa9856147b6c5b4ff2b7dfee5da20aa38253099ef1b4a64aced233c9afe29"
            ),
            (T::Addr, "192.0.2.201"),
        ]
    );
    assert_eq!(
        problem_at(&l),
        [
            obj("6a0c0017-1b2c-4d3e-8f40-5a6b7c8d9e17"),
            obj("6a0c0018-1b2c-4d3e-8f40-5a6b7c8d9e18"),
            obj("6a0c0019-1b2c-4d3e-8f40-5a6b7c8d9e19"),
            obj("Event.Attribute[25]"),
        ]
    );
    let messages: Vec<&str> = l.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "not an IP address",
            "ip-dst|port value without '|'",
            "attribute without a type",
            "not a MISP attribute"
        ]
    );
    assert_eq!(
        skips(&l),
        [
            ("deleted", 3),
            ("not to_ids", 4),
            ("unsupported MISP type", 2)
        ]
    );

    // The attribute's own galaxy and confidence tags win over the event's.
    let c2 = find(&l, "198.51.100.14");
    assert_eq!(
        tags(c2),
        [
            "misp-galaxy:mitre-attack-pattern=\"Web Protocols - T1071.001\"",
            "misp:confidence-level=\"completely-confident\"",
            "tlp:amber",
            "misp-galaxy:mitre-attack-pattern=\"Phishing - T1566\"",
            "estimative-language:confidence-in-analytic-judgment=\"moderate\"",
        ]
    );
    assert_eq!(c2.meta.technique(), Some("T1071.001"));
    assert_eq!(c2.meta.confidence, Some(100));
    assert_eq!(c2.meta.severity, Some(Severity::High));
    assert_eq!(c2.meta.first_seen(), Some(ts("2024-03-04T10:00:00Z")));
    assert_eq!(c2.meta.last_seen(), Some(ts("1709650000")));
    assert_eq!(
        c2.meta.reference.as_deref(),
        Some(format!("{EVENT_REF}; C2 server").as_str())
    );

    // Everything else: the event's.
    let d = find(&l, "mail-secure-login.example");
    assert_eq!(d.meta.technique(), Some("T1566"));
    assert_eq!(d.meta.confidence, Some(60));
    assert_eq!(d.meta.first_seen(), Some(ts("2024-03-05")));
    assert_eq!(d.meta.reference.as_deref(), Some(EVENT_REF));
    assert_eq!(tags(d).len(), 3);

    let dropped = find(
        &l,
        "cd0aa9856147b6c5b4ff2b7dfee5da20aa38253099ef1b4a64aced233c9afe29",
    );
    assert_eq!(
        dropped.meta.reference.as_deref(),
        Some(format!("{EVENT_REF}; dropped by the macro").as_str())
    );
}

#[test]
fn shapes_of_the_document() {
    let event = |uuid: &str, ip: &str, level: &str| {
        format!(
            r#"{{"uuid":"{uuid}","info":"x","threat_level_id":{level},"Attribute":[{{"type":"ip-dst","value":"{ip}","to_ids":true}}]}}"#
        )
    };
    let a = event("a", "192.0.2.1", "\"3\"");
    let b = event("b", "192.0.2.2", "4");

    let response = format!(r#"{{"response":[{{"Event":{a}}},{{"Event":{b}}},{{"nope":1}}]}}"#);
    let l = load(FeedFormat::Misp, response.as_bytes());
    assert_eq!(values(&l), [(T::Addr, "192.0.2.1"), (T::Addr, "192.0.2.2")]);
    assert_eq!(l.indicators[0].meta.severity, Some(Severity::Low));
    // Undefined: the feed's default (none here).
    assert_eq!(l.indicators[1].meta.severity, None);
    assert_eq!(problem_at(&l), [obj("response[2]")]);
    assert_eq!(
        l.indicators[1].meta.reference.as_deref(),
        Some("MISP event b: x")
    );

    let array = format!(r#"[{{"Event":{a}}}, {b}, 5]"#);
    let l = load(FeedFormat::Misp, array.as_bytes());
    assert_eq!(values(&l), [(T::Addr, "192.0.2.1"), (T::Addr, "192.0.2.2")]);
    assert_eq!(problem_at(&l), [obj("[2]")]);

    let l = load(FeedFormat::Misp, b.as_bytes());
    assert_eq!(values(&l), [(T::Addr, "192.0.2.2")]);

    // Undefined threat level leaves the feed's severity; a defined one replaces it.
    let opts = FeedOptions {
        severity: Some(Severity::Critical),
        ..FeedOptions::default()
    };
    let l = load_with(FeedFormat::Misp, array.as_bytes(), opts);
    assert_eq!(l.indicators[0].meta.severity, Some(Severity::Low));
    assert_eq!(l.indicators[1].meta.severity, Some(Severity::Critical));

    for junk in [&b"{"[..], b"42", b""] {
        let l = load(FeedFormat::Misp, junk);
        assert_eq!(problem_at(&l), [Location::Feed]);
    }
    let l = load(FeedFormat::Misp, br#"{"Event": 5}"#);
    assert_eq!(problem_at(&l), [obj("Event")]);
}

#[test]
fn flags_and_confidence_tags() {
    assert_eq!(flag(Some(&Value::from("1"))), Some(true));
    assert_eq!(flag(Some(&Value::from(0))), Some(false));
    assert_eq!(flag(Some(&Value::from(false))), Some(false));
    assert_eq!(flag(Some(&Value::from("maybe"))), None);
    assert_eq!(flag(None), None);
    assert_eq!(
        tag_confidence("estimative-language:confidence-in-analytic-judgment=\"high\""),
        Some(90)
    );
    assert_eq!(tag_confidence("misp:confidence-level=\"low\""), Some(30));
    assert_eq!(
        tag_confidence("misp:confidence-level=\"fairly-confident\""),
        Some(50)
    );
    assert_eq!(tag_confidence("tlp:amber"), None);
}

#[test]
fn detected() {
    assert_eq!(
        FeedFormat::detect("event.json", &sample("misp_event.json")),
        FeedFormat::Misp
    );
}
