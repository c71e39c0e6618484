#![no_main]
// Threat-intelligence feeds are downloaded from third parties: any bytes, read as every format
// (and as whatever the content looks like), must give indicators and/or problems, never a
// panic, a hang or an allocation out of proportion to the input.
use netloupe_intel::feed::{parse, CsvMapping, FeedFormat, FeedOptions};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let formats = [
        None,
        Some(FeedFormat::Plain),
        Some(FeedFormat::Csv),
        Some(FeedFormat::Zeek),
        Some(FeedFormat::Stix),
        Some(FeedFormat::Misp),
    ];
    for format in formats {
        let opts = FeedOptions {
            format,
            ..FeedOptions::default()
        };
        let _ = parse(data, "fuzz", &opts, 0);
    }
    // CSV with a preset and with a mapping by index (each takes its own path through the header
    // and row code).
    for csv in [
        CsvMapping {
            preset: Some("threatfox".into()),
            ..CsvMapping::default()
        },
        CsvMapping {
            value: Some("1".into()),
            type_column: Some("0".into()),
            tags: vec!["2".into()],
            delimiter: Some(';'),
            header: Some(true),
            ..CsvMapping::default()
        },
    ] {
        let opts = FeedOptions {
            format: Some(FeedFormat::Csv),
            csv: Some(csv),
            ..FeedOptions::default()
        };
        let _ = parse(data, "fuzz", &opts, 0);
    }
});
