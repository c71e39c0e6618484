//! CSV feeds: a column mapping (by header name or 0-based index) says which column holds the
//! value, its type, dates, tags, confidence and reference; presets give the mapping of the
//! abuse.ch exports (Feodo Tracker, URLhaus, ThreatFox, SSLBL certificates and JA3s), which are
//! recognised from their header.
//!
//! abuse.ch files open with `#` comment lines, the last of which is often the header, commented
//! out (`# id,dateadded,url,...`); Feodo Tracker's header is an ordinary first row instead.
//! ThreatFox writes a space after each comma, before the opening quote, which strict CSV reads
//! as an unquoted field (and then splits its quoted commas): such spaces are dropped first.
//!
//! Without a mapping or a recognised preset, a header row naming a usual column (`indicator`,
//! `value`, `ioc`, `type`, `tags`...) is used if there is one; otherwise the first column is the
//! value and its type is detected per row.

use super::entry::{self, EntryMeta};
use super::time::parse_ts;
use super::{CsvMapping, FeedLoad, Location};
use crate::indicator::IndicatorType;
use std::borrow::Cow;

/// The CSV layouts netloupe knows by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvPreset {
    Feodo,
    Urlhaus,
    Threatfox,
    Sslbl,
    SslblJa3,
}

/// How far into a file the header is looked for.
const HEAD_LINES: usize = 64;

impl CsvPreset {
    pub const ALL: [CsvPreset; 5] = [
        CsvPreset::Feodo,
        CsvPreset::Urlhaus,
        CsvPreset::Threatfox,
        CsvPreset::Sslbl,
        CsvPreset::SslblJa3,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CsvPreset::Feodo => "feodo",
            CsvPreset::Urlhaus => "urlhaus",
            CsvPreset::Threatfox => "threatfox",
            CsvPreset::Sslbl => "sslbl",
            CsvPreset::SslblJa3 => "sslbl-ja3",
        }
    }

    pub fn from_name(s: &str) -> Option<CsvPreset> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        CsvPreset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .or(match s.as_str() {
                "feodotracker" | "feodo-tracker" => Some(CsvPreset::Feodo),
                "ja3" | "sslbl-ja3-fingerprints" => Some(CsvPreset::SslblJa3),
                _ => None,
            })
    }

    /// Header columns (lowercase) that only this layout has.
    fn signature(self) -> &'static [&'static str] {
        match self {
            CsvPreset::Feodo => &["dst_ip", "c2_status"],
            CsvPreset::Urlhaus => &["url", "urlhaus_link"],
            CsvPreset::Threatfox => &["ioc_value", "ioc_type"],
            CsvPreset::Sslbl => &["sha1", "listingreason"],
            CsvPreset::SslblJa3 => &["ja3_md5", "listingreason"],
        }
    }

    /// Recognises a preset from a file's leading comment/header lines: the comment lines, and
    /// the first line after them.
    pub fn detect(head: &str) -> Option<CsvPreset> {
        for line in head.lines().take(HEAD_LINES) {
            let line = line.trim_start_matches('\u{feff}').trim();
            let names = header_names(line.trim_start_matches('#'));
            if let Some(p) = CsvPreset::ALL
                .into_iter()
                .find(|p| p.signature().iter().all(|s| names.iter().any(|n| n == s)))
            {
                return Some(p);
            }
            if !line.is_empty() && !line.starts_with('#') {
                break;
            }
        }
        None
    }

    /// The preset's layout.
    fn layout(self) -> Layout {
        let n = |s: &str| Some(Col::name(s));
        let mut l = Layout {
            preset: Some(self),
            strict: true,
            ..Layout::default()
        };
        match self {
            CsvPreset::Feodo => {
                l.value = Col::name("dst_ip");
                l.kind = Some(IndicatorType::Addr);
                l.first_seen = n("first_seen_utc");
                l.last_seen = n("last_online");
                l.tags = vec![Col::name("malware")];
            }
            CsvPreset::Urlhaus => {
                l.value = Col::name("url");
                l.kind = Some(IndicatorType::Url);
                l.first_seen = n("dateadded");
                l.last_seen = n("last_online");
                l.tags = vec![Col::name("threat"), Col::name("tags")];
                l.reference = n("urlhaus_link");
            }
            CsvPreset::Threatfox => {
                l.value = Col::name("ioc_value");
                l.type_column = n("ioc_type");
                l.first_seen = n("first_seen_utc");
                l.last_seen = n("last_seen_utc");
                l.confidence = n("confidence_level");
                l.tags = vec![
                    Col::name("threat_type"),
                    Col::name("malware_printable"),
                    Col::name("tags"),
                ];
                l.reference = n("reference");
                l.id = n("ioc_id");
            }
            CsvPreset::Sslbl => {
                l.value = Col::name("sha1");
                l.kind = Some(IndicatorType::CertSha1);
                l.first_seen = n("listingdate");
                l.tags = vec![Col::name("listingreason")];
            }
            CsvPreset::SslblJa3 => {
                l.value = Col::name("ja3_md5");
                l.kind = Some(IndicatorType::Ja3);
                l.first_seen = n("firstseen");
                l.last_seen = n("lastseen");
                l.tags = vec![Col::name("listingreason")];
            }
        }
        l
    }
}

/// A column as a mapping names it: by index, or by one of several header names (lowercase; the
/// first present wins).
#[derive(Clone, Debug, PartialEq)]
enum Col {
    Index(usize),
    Names(Vec<String>),
}

impl Default for Col {
    fn default() -> Self {
        Col::Index(0)
    }
}

impl Col {
    fn name(s: &str) -> Col {
        Col::Names(vec![s.trim().to_ascii_lowercase()])
    }

    /// A mapping's column: digits are an index, anything else a header name.
    fn parse(s: &str) -> Col {
        let t = s.trim();
        match t.parse::<usize>() {
            Ok(i) if t.bytes().all(|b| b.is_ascii_digit()) => Col::Index(i),
            _ => Col::name(t),
        }
    }

    fn any_of(names: &[&str]) -> Col {
        Col::Names(names.iter().map(|s| s.to_string()).collect())
    }

    fn label(&self) -> String {
        match self {
            Col::Index(i) => i.to_string(),
            Col::Names(n) => n.join("|"),
        }
    }

    fn resolve(&self, header: Option<&[String]>) -> Option<usize> {
        match self {
            Col::Index(i) => Some(*i),
            Col::Names(names) => {
                let header = header?;
                names
                    .iter()
                    .find_map(|n| header.iter().position(|h| h == n))
            }
        }
    }
}

/// Where each thing is, before the header is known.
#[derive(Clone, Debug, Default)]
struct Layout {
    preset: Option<CsvPreset>,
    /// Columns named by the user (or a preset) that the header lacks are reported; guessed
    /// ones are simply absent.
    strict: bool,
    /// `Some(true)`: the first row is a header even if the columns are given by index.
    header: Option<bool>,
    delimiter: u8,
    value: Col,
    type_column: Option<Col>,
    /// The preset's type for every row.
    kind: Option<IndicatorType>,
    first_seen: Option<Col>,
    last_seen: Option<Col>,
    tags: Vec<Col>,
    reference: Option<Col>,
    confidence: Option<Col>,
    description: Option<Col>,
    /// The row's id in the tracker (ThreatFox), for its link.
    id: Option<Col>,
}

impl Layout {
    /// The layout when nothing is configured and no preset is recognised: common header names.
    fn guessed() -> Layout {
        Layout {
            value: Col::any_of(&[
                "indicator",
                "value",
                "ioc",
                "ioc_value",
                "observable",
                "ip",
                "ip_address",
                "address",
                "domain",
                "hostname",
                "host",
                "url",
                "hash",
                "sha256",
                "sha1",
                "md5",
                "ja3",
                "ja3_md5",
            ]),
            type_column: Some(Col::any_of(&["type", "indicator_type", "ioc_type", "kind"])),
            first_seen: Some(Col::any_of(&["first_seen", "first_seen_utc", "firstseen"])),
            last_seen: Some(Col::any_of(&["last_seen", "last_seen_utc", "lastseen"])),
            tags: vec![Col::any_of(&["tags", "tag", "labels"])],
            reference: Some(Col::any_of(&["reference", "link", "url_reference"])),
            confidence: Some(Col::any_of(&["confidence", "confidence_level", "score"])),
            description: Some(Col::any_of(&["description", "desc", "comment"])),
            ..Layout::default()
        }
    }

    /// The preset's layout (or the guessed one) with the mapping's fields laid over it.
    fn from_mapping(m: &CsvMapping, preset: Option<CsvPreset>) -> Layout {
        let mut l = match preset {
            Some(p) => p.layout(),
            None if m.value.is_some() => Layout {
                strict: true,
                ..Layout::default()
            },
            None => Layout::guessed(),
        };
        let col = |s: &Option<String>| s.as_deref().map(Col::parse);
        if let Some(v) = col(&m.value) {
            l.value = v;
        }
        // A mapping that says where the type is overrides the preset's fixed type.
        if let Some(t) = col(&m.type_column) {
            l.type_column = Some(t);
            l.kind = None;
        }
        for (slot, given) in [
            (&mut l.first_seen, &m.first_seen),
            (&mut l.last_seen, &m.last_seen),
            (&mut l.reference, &m.reference),
            (&mut l.confidence, &m.confidence),
            (&mut l.description, &m.description),
        ] {
            if let Some(c) = col(given) {
                *slot = Some(c);
            }
        }
        if !m.tags.is_empty() {
            l.tags = m.tags.iter().map(|t| Col::parse(t)).collect();
        }
        l.header = m.header;
        l
    }

    fn needs_header(&self) -> bool {
        let named = |c: &Col| matches!(c, Col::Names(_));
        named(&self.value)
            || [
                &self.type_column,
                &self.first_seen,
                &self.last_seen,
                &self.reference,
                &self.confidence,
                &self.description,
                &self.id,
            ]
            .into_iter()
            .flatten()
            .any(named)
            || self.tags.iter().any(named)
    }

    /// Column indices given the header (if any); `None` when the value column is not in it.
    fn resolve(&self, header: Option<&[String]>) -> Option<Resolved> {
        let value = self.value.resolve(header)?;
        let opt = |c: &Option<Col>| c.as_ref().and_then(|c| c.resolve(header));
        Some(Resolved {
            value,
            type_column: opt(&self.type_column),
            first_seen: opt(&self.first_seen),
            last_seen: opt(&self.last_seen),
            tags: self.tags.iter().filter_map(|c| c.resolve(header)).collect(),
            reference: opt(&self.reference),
            confidence: opt(&self.confidence),
            description: opt(&self.description),
            id: opt(&self.id),
        })
    }

    /// The configured columns the header lacks (only reported for strict layouts).
    fn missing(&self, header: &[String]) -> Vec<String> {
        if !self.strict {
            return Vec::new();
        }
        [
            &self.type_column,
            &self.first_seen,
            &self.last_seen,
            &self.reference,
            &self.confidence,
            &self.description,
        ]
        .into_iter()
        .flatten()
        .chain(self.tags.iter())
        .filter(|c| c.resolve(Some(header)).is_none())
        .map(Col::label)
        .collect()
    }
}

/// Column indices for one file.
#[derive(Debug)]
struct Resolved {
    value: usize,
    type_column: Option<usize>,
    first_seen: Option<usize>,
    last_seen: Option<usize>,
    tags: Vec<usize>,
    reference: Option<usize>,
    confidence: Option<usize>,
    description: Option<usize>,
    id: Option<usize>,
}

/// The names of a header line, lowercase, quotes and spaces trimmed.
fn header_names(line: &str) -> Vec<String> {
    line.split([',', ';', '\t'])
        .map(|s| s.trim().trim_matches('"').trim().to_ascii_lowercase())
        .collect()
}

/// The header cells of a parsed row, lowercase.
fn row_names(row: &csv::ByteRecord) -> Vec<String> {
    row.iter().map(|c| cell(c).to_ascii_lowercase()).collect()
}

/// A cell's text, trimmed, with quotes that survived parsing (a quoted field after a space)
/// removed.
fn cell(raw: &[u8]) -> Cow<'_, str> {
    let s = String::from_utf8_lossy(raw);
    let t = s.trim();
    let t = match t.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => inner.trim(),
        None => t,
    };
    if t.len() == s.len() {
        s
    } else {
        Cow::Owned(t.to_string())
    }
}

/// The last non-empty `#` comment line before the first data line: where abuse.ch puts its
/// header.
fn comment_header(text: &[u8]) -> Option<String> {
    let mut last = None;
    for line in text.split(|&b| b == b'\n').take(HEAD_LINES) {
        let line = String::from_utf8_lossy(line);
        let t = line.trim_start_matches('\u{feff}').trim();
        if t.is_empty() {
            continue;
        }
        let Some(c) = t.strip_prefix('#') else {
            break;
        };
        let c = c.trim_start_matches('#').trim();
        if !c.is_empty() {
            last = Some(c.to_string());
        }
    }
    last
}

/// Drops the spaces between a delimiter (or the start of a line) and an opening quote, so that
/// `"a", "b,c"` reads as two quoted fields. Comment lines are copied as they are; line breaks
/// are never touched, so line numbers stay right.
fn tidy_quotes(bytes: &[u8], delim: u8) -> Cow<'_, [u8]> {
    let needs = bytes
        .windows(3)
        .any(|w| w[0] == delim && (w[1] == b' ' || w[1] == b'\t') && w[1] != delim);
    if !needs {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_quotes = false;
    let mut field_start = true;
    let mut line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            out.push(b);
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    out.push(b'"');
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
            i += 1;
            continue;
        }
        if line_start && b == b'#' {
            let end = bytes[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(bytes.len(), |p| i + p);
            out.extend_from_slice(&bytes[i..end]);
            i = end;
            continue;
        }
        line_start = false;
        if field_start && (b == b' ' || b == b'\t') && b != delim {
            let mut j = i;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            if bytes.get(j) == Some(&b'"') {
                i = j;
                continue;
            }
        }
        out.push(b);
        match b {
            b'"' if field_start => in_quotes = true,
            b'\n' => {
                field_start = true;
                line_start = true;
            }
            _ if b == delim => field_start = true,
            _ => field_start = false,
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// A row's type column: netloupe's names and ThreatFox's `ioc_type`s. The flag says the value
/// carries a port (`ip:port`).
fn row_type(s: &str) -> Option<(IndicatorType, bool)> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "ip:port" => (IndicatorType::Addr, true),
        "md5_hash" => (IndicatorType::FileMd5, false),
        "sha1_hash" => (IndicatorType::FileSha1, false),
        "sha256_hash" => (IndicatorType::FileSha256, false),
        other => (IndicatorType::from_name(other)?, false),
    })
}

/// The address of `addr:port` or `[v6]:port` (a bare IPv6 address is left alone).
fn strip_port(s: &str) -> &str {
    let s = s.trim();
    if let Some(r) = s.strip_prefix('[') {
        return r.split_once(']').map_or(s, |(a, _)| a);
    }
    match s.split_once(':') {
        Some((a, p)) if !p.contains(':') => a,
        _ => s,
    }
}

pub(super) fn parse(bytes: &[u8], mapping: Option<&CsvMapping>, load: &mut FeedLoad) {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut preset = None;
    if let Some(name) = mapping.and_then(|m| m.preset.as_deref()) {
        match CsvPreset::from_name(name) {
            Some(p) => preset = Some(p),
            None => {
                load.problem(
                    Location::Feed,
                    format!(
                        "unknown CSV preset {name:?} (feodo, urlhaus, threatfox, sslbl, sslbl-ja3)"
                    ),
                    "",
                );
                return;
            }
        }
    }
    if preset.is_none() && mapping.is_none_or(|m| m.value.is_none()) {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
        preset = CsvPreset::detect(&head);
    }
    let mut layout = match mapping {
        Some(m) => Layout::from_mapping(m, preset),
        None => preset.map_or_else(Layout::guessed, CsvPreset::layout),
    };
    layout.delimiter = b',';
    if let Some(d) = mapping.and_then(|m| m.delimiter) {
        match u8::try_from(d) {
            // `#` starts comments, `"` quotes: neither can separate fields.
            Ok(d) if d.is_ascii() && !b"\"#\r\n".contains(&d) => layout.delimiter = d,
            _ => {
                load.problem(
                    Location::Feed,
                    format!(
                        "CSV delimiter {d:?} is not an ASCII character other than '\"', '#' or a line break"
                    ),
                    "",
                );
                return;
            }
        }
    }

    let data = tidy_quotes(bytes, layout.delimiter);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .comment(Some(b'#'))
        .from_reader(&data[..]);
    let needs_header = layout.needs_header() || layout.header == Some(true);
    let comment = comment_header(bytes).map(|c| header_names(&c));
    let mut cols: Option<Resolved> = None;
    let mut first = true;
    let mut row = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                load.problem(Location::Line(line), format!("unreadable CSV: {e}"), "");
                break;
            }
        }
        let line = row.position().map_or(line, |p| p.line());
        if std::mem::take(&mut first) && needs_header {
            match header_of(&layout, &row, comment.as_deref(), load) {
                Header::ThisRow(r) => {
                    cols = Some(r);
                    continue;
                }
                Header::FirstRowIsData(r) => cols = Some(r),
                Header::Missing => return,
            }
        }
        let cols = cols.get_or_insert_with(|| {
            layout
                .resolve(None)
                .expect("a layout without names resolves without a header")
        });
        add_row(&layout, cols, &row, line, load);
    }
}

/// Where the header was found.
enum Header {
    /// The first row is the header.
    ThisRow(Resolved),
    /// A comment line was (or there is none to be had): the first row is data.
    FirstRowIsData(Resolved),
    /// Nowhere (reported).
    Missing,
}

fn header_of(
    layout: &Layout,
    first: &csv::ByteRecord,
    comment: Option<&[String]>,
    load: &mut FeedLoad,
) -> Header {
    let names = row_names(first);
    if let Some(r) = layout.resolve(Some(&names)) {
        report_missing(layout, &names, load);
        return Header::ThisRow(r);
    }
    if let Some(c) = comment {
        if let Some(r) = layout.resolve(Some(c)) {
            report_missing(layout, c, load);
            return Header::FirstRowIsData(r);
        }
    }
    if !layout.strict {
        // Nothing configured and no header recognised: the first column holds the values.
        let r = Layout {
            type_column: None,
            first_seen: None,
            last_seen: None,
            tags: Vec::new(),
            reference: None,
            confidence: None,
            description: None,
            ..Layout::default()
        }
        .resolve(None)
        .expect("index columns resolve");
        return Header::FirstRowIsData(r);
    }
    load.problem(
        Location::Feed,
        format!(
            "no header line names the value column {:?}",
            layout.value.label()
        ),
        &names.join(","),
    );
    Header::Missing
}

fn report_missing(layout: &Layout, header: &[String], load: &mut FeedLoad) {
    for c in layout.missing(header) {
        load.problem(
            Location::Feed,
            format!("the header has no column {c:?}; it is ignored"),
            &header.join(","),
        );
    }
}

/// The row as the report shows it.
fn row_text(row: &csv::ByteRecord, delim: u8) -> String {
    let d = char::from(delim).to_string();
    row.iter()
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(&d)
}

fn add_row(
    layout: &Layout,
    cols: &Resolved,
    row: &csv::ByteRecord,
    line: u64,
    load: &mut FeedLoad,
) {
    let get = |i: Option<usize>| {
        i.and_then(|i| row.get(i))
            .map(cell)
            .filter(|c| !entry::is_unset(c))
    };
    let at = Location::Line(line);
    let Some(value) = get(Some(cols.value)) else {
        load.problem(
            at,
            format!("no value in column {}", layout.value.label()),
            &row_text(row, layout.delimiter),
        );
        return;
    };
    let mut kind = layout.kind;
    let mut with_port = false;
    if let Some(t) = get(cols.type_column) {
        match row_type(&t) {
            Some((k, p)) => {
                kind = Some(k);
                with_port = p;
            }
            None => {
                load.problem(
                    at,
                    format!("unknown indicator type {:?}", t.as_ref()),
                    &row_text(row, layout.delimiter),
                );
                return;
            }
        }
    }
    let mut value: &str = &value;
    if with_port {
        value = strip_port(value);
    }
    if kind.or(load.forced_type()) == Some(IndicatorType::Addr) {
        let (k, v) = entry::addr_or_subnet(value);
        kind = Some(k);
        value = v;
    }

    let mut m = EntryMeta::new(load);
    if let Some(c) = get(cols.confidence).and_then(|c| entry::confidence(&c)) {
        m.meta.confidence = Some(c);
    }
    if let Some(t) = get(cols.first_seen).and_then(|t| parse_ts(&t)) {
        m.meta.first_seen = Some(t);
    }
    if let Some(t) = get(cols.last_seen).and_then(|t| parse_ts(&t)) {
        m.meta.last_seen = Some(t);
    }
    for &i in &cols.tags {
        if let Some(t) = get(Some(i)) {
            m.tag_list(&mut load.interner, &t);
        }
    }
    if let Some(r) = get(cols.reference) {
        m.reference(&mut load.interner, &r);
    }
    match layout.preset {
        Some(CsvPreset::Feodo) => {
            // Everything Feodo Tracker lists is a botnet C2 server.
            m.tag(&mut load.interner, "c2");
            let link = format!("https://feodotracker.abuse.ch/browse/host/{value}/");
            m.reference(&mut load.interner, &link);
        }
        Some(CsvPreset::Threatfox) => {
            if let Some(id) = get(cols.id) {
                let link = format!("https://threatfox.abuse.ch/ioc/{id}/");
                m.reference(&mut load.interner, &link);
            }
        }
        Some(CsvPreset::Sslbl) => {
            let c2 = get(cols.tags.first().copied()).is_some_and(|r| r.contains("C&C"));
            if c2 {
                m.tag(&mut load.interner, "c2");
            }
        }
        _ => {}
    }
    if let Some(d) = get(cols.description) {
        m.reference(&mut load.interner, &d);
    }
    let meta = m.finish(&mut load.interner);
    load.add(kind, value, meta, at);
}

#[cfg(test)]
mod tests;
