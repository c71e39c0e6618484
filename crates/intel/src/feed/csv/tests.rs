use super::*;
use crate::feed::testutil::{find, load, load_with, problem_at, sample, tags, ts, values};
use crate::feed::{FeedFormat, FeedOptions};
use crate::indicator::IndicatorType as T;

fn with_mapping(bytes: &[u8], m: CsvMapping) -> FeedLoad {
    load_with(
        FeedFormat::Csv,
        bytes,
        FeedOptions {
            csv: Some(m),
            ..FeedOptions::default()
        },
    )
}

#[test]
fn feodo_tracker() {
    let l = load(FeedFormat::Csv, &sample("feodo_ipblocklist.csv"));
    assert_eq!(
        values(&l),
        [
            (T::Addr, "192.0.2.10"),
            (T::Addr, "198.51.100.23"),
            (T::Addr, "2001:db8::7"),
            (T::Addr, "203.0.113.77"),
        ]
    );
    assert_eq!(problem_at(&l), [Location::Line(12), Location::Line(14)]);
    assert_eq!(l.problems[0].message, "not an IP address");
    assert!(
        l.problems[1].message.contains("no value"),
        "{:?}",
        l.problems[1]
    );
    let q = find(&l, "192.0.2.10");
    assert_eq!(tags(q), ["QakBot", "c2"]);
    assert_eq!(q.meta.first_seen(), Some(ts("2023-12-30T13:56:31Z")));
    assert_eq!(q.meta.last_seen(), Some(ts("2024-03-11")));
    assert_eq!(
        q.meta.reference.as_deref(),
        Some("https://feodotracker.abuse.ch/browse/host/192.0.2.10/")
    );
    assert_eq!(find(&l, "203.0.113.77").meta.last_seen(), None);
    assert_eq!(tags(find(&l, "2001:db8::7")), ["Dridex", "c2"]);
    assert!(l.skipped.is_empty());
}

#[test]
fn urlhaus() {
    let l = load(FeedFormat::Csv, &sample("urlhaus.csv"));
    assert_eq!(
        values(&l),
        [
            (T::Url, "198.51.100.5:39521/i"),
            (T::Url, "evil.example.com/wp-content/Invoice_0311.zip"),
            (T::Url, "2001:db8::5/x.sh"),
            (T::Url, "payload.example.net/dl?id=7"),
            (T::Url, "tagged.example.org/gate.php"),
        ]
    );
    // Line 14's record runs over two lines: the next record starts on line 16.
    assert_eq!(problem_at(&l), [Location::Line(13), Location::Line(17)]);
    let mozi = &l.indicators[0];
    assert_eq!(
        tags(mozi),
        ["malware_download", "32-bit", "elf", "mips", "Mozi"]
    );
    assert_eq!(mozi.meta.first_seen(), Some(ts("2024-03-11 09:18:04")));
    assert_eq!(mozi.meta.last_seen(), Some(ts("2024-03-11 09:18:04")));
    assert_eq!(
        mozi.meta.reference.as_deref(),
        Some("https://urlhaus.abuse.ch/url/2784512/")
    );
    assert_eq!(tags(&l.indicators[2]), ["malware_download"]);
    assert_eq!(l.indicators[4].meta.technique(), Some("T1105"));
    assert_eq!(l.indicators[0].meta.technique(), None);
}

#[test]
fn threatfox() {
    let l = load(FeedFormat::Csv, &sample("threatfox.csv"));
    assert_eq!(
        values(&l),
        [
            (T::Addr, "192.0.2.44"),
            (T::Domain, "login-update.example.com"),
            (T::Url, "cdn.example.net/update/chrome.exe"),
            (T::FileMd5, "0cc175b9c0f1b6a831c399e269772661"),
            (T::FileSha1, "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"),
            (
                T::FileSha256,
                "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
            ),
            (T::Addr, "2001:db8::44"),
        ]
    );
    assert_eq!(problem_at(&l), [Location::Line(17), Location::Line(18)]);
    assert_eq!(l.problems[1].message, "unknown indicator type \"onion\"");
    let cs = &l.indicators[0];
    assert_eq!(
        tags(cs),
        ["botnet_cc", "Cobalt Strike", "c2", "CobaltStrike"]
    );
    assert_eq!(cs.meta.confidence, Some(100));
    assert_eq!(cs.meta.first_seen(), Some(ts("2024-03-11 09:28:14")));
    assert_eq!(cs.meta.last_seen(), None);
    assert_eq!(
        cs.meta.reference.as_deref(),
        Some("https://threatfox.abuse.ch/ioc/1245871/")
    );
    let cf = &l.indicators[1];
    assert_eq!(cf.meta.confidence, Some(75));
    assert_eq!(cf.meta.last_seen(), Some(ts("2024-03-11 09:26:00")));
    assert_eq!(
        cf.meta.reference.as_deref(),
        Some("https://blog.example.org/clearfake-analysis")
    );
    assert_eq!(l.indicators[2].meta.technique(), Some("T1204.002"));
    assert_eq!(l.indicators[2].meta.confidence, Some(50));
    assert_eq!(tags(&l.indicators[6]), ["botnet_cc", "Mirai"]);
}

#[test]
fn sslbl_certificates_and_ja3() {
    let l = load(FeedFormat::Csv, &sample("sslbl.csv"));
    assert_eq!(
        values(&l),
        [
            (T::CertSha1, "e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98"),
            (T::CertSha1, "84a516841ba77a5b4648de2cd0dfcb30ea46dbb4"),
            (T::CertSha1, "3c363836cf4e16666669a25da280a1865c2d2874"),
        ]
    );
    assert_eq!(problem_at(&l), [Location::Line(12)]);
    assert_eq!(tags(&l.indicators[0]), ["AsyncRAT C&C", "c2"]);
    assert_eq!(tags(&l.indicators[1]), ["Dridex C&C", "c2"]);
    assert_eq!(tags(&l.indicators[2]), ["Malware distribution"]);
    assert_eq!(
        l.indicators[0].meta.first_seen(),
        Some(ts("2024-03-10 18:24:55"))
    );

    let l = load(FeedFormat::Csv, &sample("sslbl_ja3.csv"));
    assert_eq!(
        values(&l),
        [
            (T::Ja3, "b386946a5a44d1ddcc843bc75336dfce"),
            (T::Ja3, "8991a387e4cc841740f25d6f5139f92d"),
            (T::Ja3, "1aa7bf8b97e540ca5edd75f7b8384bfa"),
        ]
    );
    assert_eq!(problem_at(&l), [Location::Line(12)]);
    let d = &l.indicators[0];
    assert_eq!(tags(d), ["Dridex"]);
    assert_eq!(d.meta.first_seen(), Some(ts("2017-07-14 18:08:15")));
    assert_eq!(d.meta.last_seen(), Some(ts("2019-07-27 20:42:54")));
    assert_eq!(l.indicators[2].meta.last_seen(), None);
}

#[test]
fn custom_mapping() {
    let m = CsvMapping {
        delimiter: Some(';'),
        value: Some("indicator".into()),
        type_column: Some("Kind".into()),
        confidence: Some("confidence".into()),
        tags: vec!["labels".into()],
        reference: Some("source_url".into()),
        first_seen: Some("seen".into()),
        ..CsvMapping::default()
    };
    let opts = FeedOptions {
        csv: Some(m),
        confidence: Some(20),
        tags: vec!["soc".into()],
        ..FeedOptions::default()
    };
    let l = load_with(FeedFormat::Csv, &sample("custom.csv"), opts);
    assert_eq!(
        values(&l),
        [
            (T::Subnet, "203.0.113.0/24"),
            (T::Url, "phish.example.com/login"),
            (T::Ja3, "e7d705a3286e19ea42f587b344ee6865"),
            (T::Email, "ops@evil.example"),
            (T::Ja4, "t13d1516h2_8daaf6152771_b186095e22b6"),
            (T::Subnet, "198.51.100.0/24"),
        ]
    );
    assert_eq!(
        problem_at(&l),
        [Location::Line(6), Location::Line(10), Location::Line(11)]
    );
    let net = &l.indicators[0];
    assert_eq!(tags(net), ["soc", "scanner", "T1595"]);
    assert_eq!(net.meta.technique(), Some("T1595"));
    assert_eq!(net.meta.confidence, Some(90));
    assert_eq!(net.meta.first_seen(), Some(ts("2024-02-01")));
    assert_eq!(
        net.meta.reference.as_deref(),
        Some("https://cases.example.org/7")
    );
    assert_eq!(
        l.indicators[1].meta.first_seen(),
        Some(ts("2024-02-02T10:00:00Z"))
    );
    // No confidence in the row: the feed's.
    assert_eq!(l.indicators[3].meta.confidence, Some(20));
    assert_eq!(tags(&l.indicators[4]), ["soc", "quoted;label"]);
}

#[test]
fn guessed_columns_and_index_mappings() {
    // A header with usual names, nothing configured.
    let feed =
        b"value,type,tags,confidence\n1.2.3.4,ip,\"a,b\",30\nevil.example,,c,\nx,martian,,\n";
    let l = load(FeedFormat::Csv, feed);
    assert_eq!(
        values(&l),
        [(T::Addr, "1.2.3.4"), (T::Domain, "evil.example")]
    );
    assert_eq!(tags(&l.indicators[0]), ["a", "b"]);
    assert_eq!(l.indicators[0].meta.confidence, Some(30));
    assert_eq!(problem_at(&l), [Location::Line(4)]);

    // No header at all: the first column, typed per value.
    let l = load(FeedFormat::Csv, b"1.2.3.4,whatever\nhttp://x.example/p,2\n");
    assert_eq!(values(&l), [(T::Addr, "1.2.3.4"), (T::Url, "x.example/p")]);

    // Columns by index; the feed's type for every value.
    let m = CsvMapping {
        value: Some("1".into()),
        tags: vec!["2".into()],
        ..CsvMapping::default()
    };
    let opts = FeedOptions {
        csv: Some(m.clone()),
        kind: Some(T::Ja3),
        ..FeedOptions::default()
    };
    let feed = b"x,E7D705A3286E19EA42F587B344EE6865,evil\ny,nope,evil\nz\n";
    let l = load_with(FeedFormat::Csv, feed, opts);
    assert_eq!(values(&l), [(T::Ja3, "e7d705a3286e19ea42f587b344ee6865")]);
    assert_eq!(tags(&l.indicators[0]), ["evil"]);
    assert_eq!(problem_at(&l), [Location::Line(2), Location::Line(3)]);

    // ... and a header row above them, said to be one.
    let l = with_mapping(
        b"name,address\nx,192.0.2.1\n",
        CsvMapping {
            header: Some(true),
            ..m
        },
    );
    assert_eq!(values(&l), [(T::Addr, "192.0.2.1")]);
    assert_eq!(l.problem_count, 0);
}

#[test]
fn presets_by_name_and_bad_configs() {
    // A preset named in the config, one column overridden.
    let l = with_mapping(
        &sample("sslbl_ja3.csv"),
        CsvMapping {
            preset: Some("sslbl_ja3".into()),
            tags: vec![],
            last_seen: Some("firstseen".into()),
            ..CsvMapping::default()
        },
    );
    assert_eq!(l.indicators.len(), 3);
    assert_eq!(
        l.indicators[0].meta.last_seen(),
        Some(ts("2017-07-14 18:08:15"))
    );

    let l = with_mapping(
        b"1.2.3.4\n",
        CsvMapping {
            preset: Some("nope".into()),
            ..CsvMapping::default()
        },
    );
    assert!(l.indicators.is_empty());
    assert_eq!(problem_at(&l), [Location::Feed]);

    // A named value column that no header names.
    let l = with_mapping(
        b"a,b\n1.2.3.4,x\n",
        CsvMapping {
            value: Some("ioc".into()),
            ..CsvMapping::default()
        },
    );
    assert!(l.indicators.is_empty());
    assert_eq!(problem_at(&l), [Location::Feed]);

    // A configured column the header lacks is reported; the rest still loads.
    let l = with_mapping(
        b"ioc,when\n1.2.3.4,2024-01-01\n",
        CsvMapping {
            value: Some("ioc".into()),
            first_seen: Some("first".into()),
            ..CsvMapping::default()
        },
    );
    assert_eq!(values(&l), [(T::Addr, "1.2.3.4")]);
    assert_eq!(problem_at(&l), [Location::Feed]);

    let l = with_mapping(
        b"1.2.3.4\n",
        CsvMapping {
            delimiter: Some('€'),
            ..CsvMapping::default()
        },
    );
    assert_eq!(problem_at(&l), [Location::Feed]);
    let l = with_mapping(
        b"1.2.3.4\n",
        CsvMapping {
            delimiter: Some('#'),
            ..CsvMapping::default()
        },
    );
    assert_eq!(problem_at(&l), [Location::Feed]);
    // A tab-separated file.
    let l = with_mapping(
        b"ioc\tnote\n192.0.2.3\ta, b\n",
        CsvMapping {
            delimiter: Some('\t'),
            value: Some("ioc".into()),
            tags: vec!["note".into()],
            ..CsvMapping::default()
        },
    );
    assert_eq!(values(&l), [(T::Addr, "192.0.2.3")]);
    assert_eq!(tags(&l.indicators[0]), ["a", "b"]);
}

#[test]
fn detect_presets_and_format() {
    for (name, preset) in [
        ("feodo_ipblocklist.csv", CsvPreset::Feodo),
        ("urlhaus.csv", CsvPreset::Urlhaus),
        ("threatfox.csv", CsvPreset::Threatfox),
        ("sslbl.csv", CsvPreset::Sslbl),
        ("sslbl_ja3.csv", CsvPreset::SslblJa3),
    ] {
        let bytes = sample(name);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(CsvPreset::detect(&text), Some(preset), "{name}");
        // Recognised by content, whatever the file is called.
        assert_eq!(
            FeedFormat::detect("feed.txt", &bytes),
            FeedFormat::Csv,
            "{name}"
        );
        assert_eq!(CsvPreset::from_name(preset.name()), Some(preset));
    }
    let custom = sample("custom.csv");
    assert_eq!(CsvPreset::detect(&String::from_utf8_lossy(&custom)), None);
    assert_eq!(FeedFormat::detect("custom.csv", &custom), FeedFormat::Csv);
    // A header further down than the first data line is not one.
    assert_eq!(
        CsvPreset::detect("1.2.3.4\n# ja3_md5,Firstseen,Lastseen,Listingreason\n"),
        None
    );
}

#[test]
fn spaces_before_quotes() {
    assert_eq!(
        &*tidy_quotes(b"\"a\", \"b,c\",  \"d\"\"e\", f\n# x, \"y\n \"g\", h", b','),
        b"\"a\",\"b,c\",\"d\"\"e\", f\n# x, \"y\n\"g\", h"
    );
    assert_eq!(&*tidy_quotes(b"a,b\n", b','), b"a,b\n");
    assert_eq!(strip_port("192.0.2.1:443"), "192.0.2.1");
    assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
    assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
}

#[test]
fn junk_is_problems_not_panics() {
    let l = load(
        FeedFormat::Csv,
        b"\xef\xbb\xbf\"unterminated,1.2.3.4\n\xff\xfe,\x00\n\"\"\"\n,,,,,\n",
    );
    assert!(l.indicators.is_empty());
    assert!(l.problem_count > 0);
}
