//! MISP event JSON: `{"Event":{...}}` (a MISP feed's event files), `{"response":[{"Event":..},
//! ...]}` (the REST API's search results), a bare array of either, or a bare event.
//!
//! Every attribute with `to_ids` set, and every such attribute of the event's objects, of a type
//! netloupe matches on, is an indicator. Deleted attributes (and those of deleted objects), those
//! without `to_ids` and those of other types are counted as skipped.
//!
//! Metadata: the event's `threat_level_id` as severity (Undefined leaves the feed's default),
//! the attribute's and the event's tags (galaxy clusters included; an ATT&CK galaxy cluster
//! gives the technique, the attribute's before the event's), a confidence taxonomy tag as
//! confidence, `first_seen`/`last_seen` of the attribute (else the event's date and the
//! attribute's timestamp), and "MISP event <uuid>: <info>; <comment>" as the reference.
//! Unpublished events load like published ones: a feed holds what its owner chose to share, and
//! an export of an event being worked on is what the analyst asked to match.

use super::entry::{self, EntryMeta};
use super::time::parse_ts;
use super::{FeedLoad, Location};
use crate::indicator::{IndicatorType, Severity};
use serde_json::{Map, Value};
use std::sync::Arc;

pub(super) fn parse(bytes: &[u8], load: &mut FeedLoad) {
    let Some(doc) = super::json_document(bytes, load) else {
        return;
    };
    // The events, and what a problem calls the list they are in (`None`: a lone event).
    let (list, name): (&[Value], Option<&str>) = match &doc {
        Value::Array(a) => (a, Some("")),
        Value::Object(o) => match o.get("response") {
            Some(Value::Array(a)) => (a, Some("response")),
            Some(one @ Value::Object(_)) => (std::slice::from_ref(one), Some("response")),
            _ => (std::slice::from_ref(&doc), None),
        },
        _ => {
            load.problem(
                Location::Feed,
                "neither a MISP event nor a list of them",
                "",
            );
            return;
        }
    };
    for (i, item) in list.iter().enumerate() {
        let place = name.map_or_else(|| "Event".to_string(), |n| format!("{n}[{i}]"));
        let event = match item {
            Value::Object(o) => match o.get("Event") {
                Some(Value::Object(e)) => Some(e),
                Some(_) => None,
                None if is_event(o) => Some(o),
                None => None,
            },
            _ => None,
        };
        match event {
            Some(e) => parse_event(e, &place, load),
            None => load.problem(
                Location::Object(place),
                "not a MISP event",
                &short_json(item),
            ),
        }
    }
}

/// Whether a bare object looks like an event.
fn is_event(o: &Map<String, Value>) -> bool {
    ["Attribute", "Object", "info", "uuid"]
        .iter()
        .any(|k| o.contains_key(*k))
}

fn str_of<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// MISP writes booleans as `true`, `"1"`, `1`, `"true"`...
fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        Value::String(s) => match s.trim() {
            "1" | "true" | "True" => Some(true),
            "0" | "false" | "False" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn short_json(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(200) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s,
    }
}

/// The tag names of an event or attribute: its `Tag` list and its galaxy clusters' tags.
fn tag_names(o: &Map<String, Value>) -> Vec<&str> {
    fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
        v.and_then(Value::as_array).into_iter().flatten()
    }
    let mut names: Vec<&str> = list(o.get("Tag"))
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect();
    for g in list(o.get("Galaxy")) {
        for c in list(g.get("GalaxyCluster")) {
            if let Some(t) = c.get("tag_name").and_then(Value::as_str) {
                names.push(t);
            }
        }
    }
    names
}

/// The confidence a taxonomy tag states: MISP's `misp:confidence-level` and the estimative
/// language's `confidence-in-analytic-judgment`.
fn tag_confidence(tag: &str) -> Option<u8> {
    let (name, value) = tag.split_once('=')?;
    if name != "misp:confidence-level"
        && name != "estimative-language:confidence-in-analytic-judgment"
    {
        return None;
    }
    match value.trim().trim_matches('"') {
        "completely-confident" => Some(100),
        "high" => Some(90),
        "usually-confident" => Some(75),
        "moderate" => Some(60),
        "fairly-confident" => Some(50),
        "low" => Some(30),
        "rarely-confident" => Some(25),
        "unconfident" => Some(0),
        _ => None,
    }
}

/// What the event gives each of its attributes.
struct EventMeta<'a> {
    severity: Option<Severity>,
    tags: Vec<&'a str>,
    date: Option<i64>,
    /// "MISP event <uuid>: <info>".
    reference: Arc<str>,
}

fn parse_event(e: &Map<String, Value>, place: &str, load: &mut FeedLoad) {
    let label = str_of(e, "uuid")
        .or_else(|| str_of(e, "id"))
        .map_or_else(|| place.to_string(), str::to_string);
    let reference = match str_of(e, "info").map(str::trim).filter(|s| !s.is_empty()) {
        Some(info) => format!("MISP event {label}: {info}"),
        None => format!("MISP event {label}"),
    };
    let level = match e.get("threat_level_id") {
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    let ev = EventMeta {
        severity: match level {
            Some(1) => Some(Severity::High),
            Some(2) => Some(Severity::Medium),
            Some(3) => Some(Severity::Low),
            // 4 is "Undefined": the event does not say, so the feed's default stands.
            _ => None,
        },
        tags: tag_names(e),
        date: str_of(e, "date").and_then(parse_ts),
        reference: load.interner.get(&reference),
    };
    let list = |key: &str| {
        e.get(key)
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    };
    for (i, a) in list("Attribute").iter().enumerate() {
        attribute(a, || format!("{place}.Attribute[{i}]"), &ev, false, load);
    }
    for (oi, obj) in list("Object").iter().enumerate() {
        let Some(obj) = obj.as_object() else {
            load.problem(
                Location::Object(format!("{place}.Object[{oi}]")),
                "not a MISP object",
                &short_json(obj),
            );
            continue;
        };
        let deleted = flag(obj.get("deleted")).unwrap_or(false);
        let attrs = obj.get("Attribute").and_then(Value::as_array);
        for (i, a) in attrs.into_iter().flatten().enumerate() {
            let at = || format!("{place}.Object[{oi}].Attribute[{i}]");
            attribute(a, at, &ev, deleted, load);
        }
    }
}

/// What an attribute's type loads as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Is(IndicatorType),
    /// An address or a network.
    Address,
}

/// The indicators of a MISP type: one per `|`-separated part that netloupe matches on (`None`
/// for the parts it does not), or `None` for a type it does not match on at all.
fn misp_type(t: &str) -> Option<&'static [Option<Part>]> {
    use IndicatorType as T;
    const ADDRESS: &[Option<Part>] = &[Some(Part::Address)];
    const ADDRESS_PORT: &[Option<Part>] = &[Some(Part::Address), None];
    const DOMAIN: &[Option<Part>] = &[Some(Part::Is(T::Domain))];
    Some(match t {
        "ip-src" | "ip-dst" => ADDRESS,
        "ip-src|port" | "ip-dst|port" => ADDRESS_PORT,
        "domain" | "hostname" => DOMAIN,
        "hostname|port" => &[Some(Part::Is(T::Domain)), None],
        "domain|ip" => &[Some(Part::Is(T::Domain)), Some(Part::Address)],
        "url" => &[Some(Part::Is(T::Url))],
        "email" | "email-src" | "email-dst" | "email-reply-to" => &[Some(Part::Is(T::Email))],
        "md5" => &[Some(Part::Is(T::FileMd5))],
        "sha1" => &[Some(Part::Is(T::FileSha1))],
        "sha256" => &[Some(Part::Is(T::FileSha256))],
        "filename|md5" => &[None, Some(Part::Is(T::FileMd5))],
        "filename|sha1" => &[None, Some(Part::Is(T::FileSha1))],
        "filename|sha256" => &[None, Some(Part::Is(T::FileSha256))],
        "ja3-fingerprint-md5" => &[Some(Part::Is(T::Ja3))],
        "ja4-fingerprint" | "ja4" => &[Some(Part::Is(T::Ja4))],
        "hassh-md5" | "hasshserver-md5" => &[Some(Part::Is(T::Hassh))],
        "x509-fingerprint-sha1" => &[Some(Part::Is(T::CertSha1))],
        "x509-fingerprint-sha256" => &[Some(Part::Is(T::CertSha256))],
        "user-agent" => &[Some(Part::Is(T::UserAgent))],
        // `uri` is a path without a host: nothing traffic can be looked up by.
        _ => return None,
    })
}

fn attribute(
    a: &Value,
    place: impl Fn() -> String,
    ev: &EventMeta,
    in_deleted_object: bool,
    load: &mut FeedLoad,
) {
    let Some(a) = a.as_object() else {
        load.problem(
            Location::Object(place()),
            "not a MISP attribute",
            &short_json(a),
        );
        return;
    };
    let at = || Location::Object(str_of(a, "uuid").map_or_else(&place, str::to_string));
    if in_deleted_object || flag(a.get("deleted")).unwrap_or(false) {
        load.skip("deleted");
        return;
    }
    if !flag(a.get("to_ids")).unwrap_or(true) {
        load.skip("not to_ids");
        return;
    }
    let Some(kind) = str_of(a, "type") else {
        load.problem(
            at(),
            "attribute without a type",
            &short_json(&Value::Object(a.clone())),
        );
        return;
    };
    let Some(value) = str_of(a, "value") else {
        load.problem(at(), "attribute without a value", kind);
        return;
    };
    let Some(parts) = misp_type(kind) else {
        load.skip("unsupported MISP type");
        return;
    };
    let values: Vec<&str> = if parts.len() == 1 {
        vec![value]
    } else {
        let v: Vec<&str> = value.splitn(parts.len(), '|').collect();
        if v.len() != parts.len() {
            load.problem(at(), format!("{kind} value without '|'"), value);
            return;
        }
        v
    };

    let mut m = EntryMeta::new(load);
    if ev.severity.is_some() {
        m.meta.severity = ev.severity;
    }
    // The attribute's own tags first: its technique and confidence are the more specific.
    let tags = tag_names(a);
    for t in tags.iter().chain(&ev.tags) {
        m.tag(&mut load.interner, t);
    }
    if let Some(c) = tags.iter().chain(&ev.tags).find_map(|t| tag_confidence(t)) {
        m.meta.confidence = Some(c);
    }
    m.meta.first_seen = str_of(a, "first_seen").and_then(parse_ts).or(ev.date);
    m.meta.last_seen = str_of(a, "last_seen")
        .or_else(|| str_of(a, "timestamp"))
        .and_then(parse_ts);
    m.meta.reference = match str_of(a, "comment")
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(load.interner.get(&format!("{}; {c}", ev.reference))),
        None => Some(ev.reference.clone()),
    };
    let meta = m.finish(&mut load.interner);
    for (part, raw) in parts.iter().zip(values) {
        let (kind, raw) = match part {
            None => continue,
            Some(Part::Is(k)) => (*k, raw),
            Some(Part::Address) => entry::addr_or_subnet(raw),
        };
        load.add(Some(kind), raw, meta.clone(), at());
    }
}

#[cfg(test)]
mod tests;
