use super::*;
use crate::feed::testutil::{find, load, load_with, problem_at, sample, skips, tags, ts, values};
use crate::feed::{FeedFormat, FeedOptions};
use crate::indicator::IndicatorType as T;

fn obj(id: &str) -> Location {
    Location::Object(id.to_string())
}

#[test]
fn bundle() {
    let l = load(FeedFormat::Stix, &sample("bundle.json"));
    assert_eq!(
        values(&l),
        [
            (T::Addr, "198.51.100.7"),
            (T::Subnet, "2001:db8:abcd::/48"),
            (T::Domain, "c2.evil.example"),
            (T::Url, "evil.example/payload.bin"),
            (T::Url, "evil.example/it's"),
            (T::Email, "ceo@spoofed.example"),
            (T::Email, "billing@evil.example"),
            (T::Email, "victim@corp.example"),
            (T::FileMd5, "0cc175b9c0f1b6a831c399e269772661"),
            (
                T::FileSha256,
                "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
            ),
            (T::FileSha1, "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"),
            (
                T::FileSha256,
                "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
            ),
            (T::CertSha1, "e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98"),
            (
                T::CertSha256,
                "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
            ),
            (T::Subnet, "203.0.113.0/24"),
            (T::Domain, "beacon.evil.example"),
            (T::Addr, "192.0.2.1"),
            (T::Addr, "192.0.2.2"),
            (T::Subnet, "10.10.0.0/16"),
            (T::Domain, "new.evil.example"),
            (T::Domain, "window.evil.example"),
        ]
    );
    assert_eq!(
        problem_at(&l),
        [
            obj("objects[15]"),
            obj("malware--1f9e6b3a-2c4d-4e5f-8a6b-7c8d9e0f1a2b"),
            obj("indicator--b3c4d5e6-f708-4293-a4a5-b0c1d2e3f405"),
            obj("indicator--e6f70819-2a3b-45c6-97d8-e3f405162738"),
            obj("indicator--e6f70819-2a3b-45c6-97d8-e3f405162738"),
            obj("indicator--f7081929-3a4b-46d7-a8e9-f40516273849"),
            obj("indicator--0819293a-4b5c-47e8-b9fa-051627384950"),
        ]
    );
    let messages: Vec<&str> = l.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages[0], "not a JSON object");
    assert_eq!(messages[1], "object without a type");
    assert!(
        messages[2].starts_with("bad STIX pattern: "),
        "{}",
        messages[2]
    );
    assert_eq!(messages[3], "not an IP address");
    assert_eq!(
        messages[4],
        "ipv4-addr:value compared with Int(5), not a string"
    );
    assert_eq!(messages[5], "indicator without a pattern");
    assert_eq!(messages[6], "bad valid_until");
    assert_eq!(
        skips(&l),
        [
            ("revoked", 1),
            ("superseded version", 2),
            ("unsupported path", 2),
            ("unsupported pattern", 5),
            ("unsupported pattern type", 1),
        ]
    );

    // Relationships, labels, kill chain, references.
    let c2 = find(&l, "198.51.100.7");
    assert_eq!(
        tags(c2),
        [
            "Cobalt Strike",
            "malicious-activity",
            "c2",
            "command-and-control"
        ]
    );
    assert_eq!(c2.meta.technique(), Some("T1071.001"));
    assert_eq!(c2.meta.confidence, Some(85));
    assert_eq!(
        c2.meta.reference.as_deref(),
        Some("https://cert.example.org/ir-2024-031")
    );
    assert_eq!(c2.meta.valid_from(), ts("2024-01-10T08:00:00Z"));
    assert_eq!(c2.meta.valid_until(), NO_END);
    assert_eq!(c2.meta.first_seen(), Some(ts("2024-01-10T08:00:00Z")));
    assert_eq!(c2.meta.last_seen(), Some(ts("2024-01-10T08:00:00Z")));

    let exfil = find(&l, "c2.evil.example");
    assert_eq!(exfil.meta.valid_until(), ts("2024-06-30T00:00:00Z"));
    assert_eq!(exfil.meta.confidence, Some(60));
    assert_eq!(
        exfil.meta.reference.as_deref(),
        Some("Exfiltration infrastructure")
    );
    assert!(tags(exfil).is_empty());
    assert_eq!(exfil.meta.technique(), None);

    let dl = find(&l, "evil.example/payload.bin");
    assert_eq!(tags(dl), ["Example Spider"]);
    assert_eq!(dl.meta.reference.as_deref(), Some("Second-stage downloads"));

    // The newest version, whatever the order in the bundle.
    let renamed = find(&l, "new.evil.example");
    assert_eq!(renamed.meta.reference.as_deref(), Some("Renamed C2"));
    assert_eq!(renamed.meta.last_seen(), Some(ts("2024-02-01T00:00:00Z")));

    // START/STOP narrows the validity window.
    let w = find(&l, "window.evil.example");
    assert_eq!(w.meta.valid_from(), ts("2024-03-01T00:00:00Z"));
    assert_eq!(w.meta.valid_until(), ts("2024-04-01T00:00:00Z"));
}

#[test]
fn feed_defaults_apply() {
    let opts = FeedOptions {
        confidence: Some(10),
        severity: Some(crate::indicator::Severity::High),
        tags: vec!["cert-feed".into(), "c2".into()],
        ..FeedOptions::default()
    };
    let l = load_with(FeedFormat::Stix, &sample("bundle.json"), opts);
    let c2 = find(&l, "198.51.100.7");
    // The entry's confidence wins; tags are unioned.
    assert_eq!(c2.meta.confidence, Some(85));
    assert_eq!(
        tags(c2),
        [
            "cert-feed",
            "c2",
            "Cobalt Strike",
            "malicious-activity",
            "command-and-control"
        ]
    );
    assert_eq!(c2.meta.severity, Some(crate::indicator::Severity::High));
    assert_eq!(
        find(&l, "evil.example/payload.bin").meta.confidence,
        Some(10)
    );
}

#[test]
fn envelopes_arrays_and_single_objects() {
    let one = r#"{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'a.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}"#;
    let l = load(FeedFormat::Stix, one.as_bytes());
    assert_eq!(values(&l), [(T::Domain, "a.example")]);

    let array = format!("[{one}, 7]");
    let l = load(FeedFormat::Stix, array.as_bytes());
    assert_eq!(values(&l), [(T::Domain, "a.example")]);
    assert_eq!(problem_at(&l), [obj("objects[1]")]);

    let taxii = format!(r#"{{"more": false, "objects": [{one}]}}"#);
    let l = load(FeedFormat::Taxii, taxii.as_bytes());
    assert_eq!(values(&l), [(T::Domain, "a.example")]);

    let empty = load(FeedFormat::Stix, br#"{"more": false}"#);
    assert!(empty.indicators.is_empty() && empty.problems.is_empty());

    // STIX 2.0: no pattern_type.
    let v20 = r#"{"type":"bundle","id":"bundle--1","spec_version":"2.0","objects":[{"type":"indicator","id":"indicator--2","labels":["malicious-activity"],"pattern":"[url:value = 'http://b.example/x']","valid_from":"2017-01-01T00:00:00Z"}]}"#;
    let l = load(FeedFormat::Stix, v20.as_bytes());
    assert_eq!(values(&l), [(T::Url, "b.example/x")]);
    assert_eq!(tags(&l.indicators[0]), ["malicious-activity"]);

    for junk in [
        &b"not json"[..],
        b"{\"objects\": 5}",
        b"\"bundle\"",
        b"[[[[",
        b"",
    ] {
        let l = load(FeedFormat::Stix, junk);
        assert!(l.indicators.is_empty());
        assert_eq!(
            problem_at(&l),
            [Location::Feed],
            "{:?}",
            String::from_utf8_lossy(junk)
        );
    }
    // serde_json's own nesting limit keeps deep documents from the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        problem_at(&load(FeedFormat::Stix, deep.as_bytes())),
        [Location::Feed]
    );
}

#[test]
fn parse_objects_from_taxii() {
    let objects: Vec<Value> = serde_json::from_str(
        r#"[{"type":"indicator","id":"indicator--3","pattern":"[ipv4-addr:value = '192.0.2.5/32']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","valid_until":"2023-01-01T00:00:00Z"},
            {"type":"indicator","id":"indicator--4","pattern":"[ipv4-addr:value = '192.0.2.5/32']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}]"#,
    )
    .unwrap();
    let mut l = FeedLoad::new(0, &FeedOptions::default());
    parse_objects(&objects, &mut l);
    assert_eq!(values(&l), [(T::Addr, "192.0.2.5")]);
    assert_eq!(problem_at(&l), [obj("indicator--3")]);
    assert_eq!(l.problems[0].message, "valid_until before valid_from");
}

#[test]
fn extraction_rules() {
    let run = |p: &str| {
        let mut out = Vec::new();
        extract(&pattern::parse(p).unwrap(), (NO_START, NO_END), &mut out);
        out
    };
    let value = |kind, raw: &str| Found::Value {
        kind,
        raw: raw.into(),
        window: (NO_START, NO_END),
    };
    // Hashes of two different objects do not identify one thing.
    assert_eq!(
        run("[file:hashes.MD5 = 'a' AND x509-certificate:hashes.'SHA-1' = 'b']"),
        [Found::Skip("unsupported pattern")]
    );
    // An unknown hash beside known ones: the known ones still identify the file.
    assert_eq!(
        run("[file:hashes.'SHA-512' = 'a' AND file:hashes.sha1 = 'b']"),
        [
            Found::Skip("unsupported path"),
            value(PathKind::Is(T::FileSha1), "b")
        ]
    );
    assert_eq!(
        run("[ipv4-addr:value = 'a' AND ipv4-addr:value = 'b']"),
        [Found::Skip("unsupported pattern")]
    );
    assert_eq!(
        run("[domain-name:value NOT = 'a']"),
        [Found::Skip("unsupported pattern")]
    );
    assert_eq!(
        run("[domain-name:value ISSUBSET 'a']"),
        [Found::Skip("unsupported pattern")]
    );
    assert_eq!(
        run("[EXISTS domain-name:value]"),
        [Found::Skip("unsupported pattern")]
    );
    assert_eq!(
        run("([domain-name:value = 'a'] OR [url:value = 'b']) WITHIN 10 SECONDS"),
        [
            value(PathKind::Is(T::Domain), "a"),
            value(PathKind::Is(T::Url), "b")
        ]
    );
    assert_eq!(
        run("[domain-name:value = 'a'] AND [url:value = 'b']"),
        [Found::Skip("unsupported pattern")]
    );
    assert_eq!(
        run("[(domain-name:value = 'a' OR domain-name:value = 'b')]"),
        [
            value(PathKind::Is(T::Domain), "a"),
            value(PathKind::Is(T::Domain), "b")
        ]
    );
    assert_eq!(
        run("[email-message:cc_refs[0].value = 'a@b.example']"),
        [value(PathKind::Is(T::Email), "a@b.example")]
    );
    assert_eq!(
        run("[x-ja3:value = 'a'] OR [ipv4-addr:resolves_to_refs[*].value = 'b']"),
        [
            Found::Skip("unsupported path"),
            Found::Skip("unsupported path")
        ]
    );
    assert_eq!(host_kind("192.0.2.0/24"), (T::Subnet, "192.0.2.0/24"));
    assert_eq!(host_kind("192.0.2.1/32"), (T::Addr, "192.0.2.1"));
    assert_eq!(host_kind("evil.example"), (T::Domain, "evil.example"));
}

#[test]
fn detected() {
    assert_eq!(
        FeedFormat::detect("feed", &sample("bundle.json")),
        FeedFormat::Stix
    );
}
