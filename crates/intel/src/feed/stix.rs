//! STIX 2.1: indicators from a bundle (`{"type":"bundle","objects":[...]}`), a TAXII envelope
//! (`{"more":..,"objects":[...]}`), a bare array of objects, or one object.
//!
//! Each `indicator` with a STIX pattern gives one indicator per value its pattern lists (see
//! [`extract`] for which shapes of pattern name values netloupe can match on its own). Its
//! metadata: `confidence`, `labels`/`indicator_types`/kill-chain phases as tags,
//! `valid_from`/`valid_until` (narrowed by a `START`/`STOP` qualifier), `created`/`modified`
//! as first/last seen, the first external reference URL (else the description or name) as the
//! reference. `indicates` relationships add the names of the malware, threat actors,
//! intrusion sets, campaigns and tools indicated as tags, and an attack pattern's ATT&CK id as
//! the technique. Of several versions of one indicator, the newest `modified` is kept.

mod pattern;

use self::pattern::{Comparison, Literal, ObjectPath, Observation, Op, Operand, Qualifier};
use super::entry::{self, EntryMeta};
use super::time::parse_ts;
use super::{FeedLoad, Location};
use crate::indicator::{IndicatorType, NO_END, NO_START};
use hashbrown::HashMap;
use serde_json::{Map, Value};

pub(super) fn parse(bytes: &[u8], load: &mut FeedLoad) {
    let Some(doc) = super::json_document(bytes, load) else {
        return;
    };
    match &doc {
        Value::Array(objects) => parse_objects(objects, load),
        Value::Object(o) => match o.get("objects") {
            Some(Value::Array(objects)) => parse_objects(objects, load),
            // An empty TAXII page.
            None | Some(Value::Null)
                if o.contains_key("more") || o.get("type") == Some(&Value::from("bundle")) => {}
            None if o.get("type").is_some_and(Value::is_string) => {
                parse_objects(std::slice::from_ref(&doc), load)
            }
            _ => load.problem(
                Location::Feed,
                "neither a STIX bundle, a TAXII envelope nor a list of STIX objects",
                "",
            ),
        },
        _ => load.problem(
            Location::Feed,
            "neither a STIX bundle, a TAXII envelope nor a list of STIX objects",
            "",
        ),
    }
}

/// What the other objects say about the indicators.
#[derive(Default)]
struct Context<'a> {
    /// Names of malware, threat actors, intrusion sets, campaigns and tools, by id.
    names: HashMap<&'a str, &'a str>,
    /// ATT&CK ids of attack patterns, by id.
    techniques: HashMap<&'a str, &'a str>,
    /// The objects each indicator `indicates`, by indicator id, in the order seen.
    indicates: HashMap<&'a str, Vec<&'a str>>,
}

/// Loads indicators from STIX objects already parsed (a TAXII envelope's `objects`).
pub fn parse_objects(objects: &[Value], load: &mut FeedLoad) {
    let mut ctx = Context::default();
    // The newest version of each indicator id: (its place in `chosen`, its `modified`).
    let mut newest: HashMap<&str, (usize, i64)> = HashMap::new();
    // Positions of the indicators to load, in order of first appearance.
    let mut chosen: Vec<usize> = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        let Some(o) = obj.as_object() else {
            load.problem(
                Location::Object(format!("objects[{i}]")),
                "not a JSON object",
                &short_json(obj),
            );
            continue;
        };
        let id = str_of(o, "id");
        let Some(kind) = str_of(o, "type") else {
            load.problem(location(id, i), "object without a type", &short_json(obj));
            continue;
        };
        match kind {
            "indicator" => {
                let Some(id) = id else {
                    chosen.push(i);
                    continue;
                };
                let modified = str_of(o, "modified")
                    .or_else(|| str_of(o, "created"))
                    .and_then(parse_ts)
                    .unwrap_or(NO_START);
                match newest.get_mut(id) {
                    None => {
                        newest.insert(id, (chosen.len(), modified));
                        chosen.push(i);
                    }
                    Some((place, newest_modified)) => {
                        load.skip("superseded version");
                        if modified > *newest_modified {
                            // The first appearance's place in the order, the newer body.
                            chosen[*place] = i;
                            *newest_modified = modified;
                        }
                    }
                }
            }
            "relationship" => {
                let indicates = str_of(o, "relationship_type") == Some("indicates");
                let revoked = o.get("revoked") == Some(&Value::Bool(true));
                if let (true, false, Some(src), Some(dst)) = (
                    indicates,
                    revoked,
                    str_of(o, "source_ref"),
                    str_of(o, "target_ref"),
                ) {
                    let targets = ctx.indicates.entry(src).or_default();
                    if !targets.contains(&dst) {
                        targets.push(dst);
                    }
                }
            }
            "malware" | "threat-actor" | "intrusion-set" | "campaign" | "tool" => {
                if let (Some(id), Some(name)) = (id, str_of(o, "name")) {
                    ctx.names.insert(id, name);
                }
            }
            "attack-pattern" => {
                if let (Some(id), Some(t)) = (id, mitre_id(o)) {
                    ctx.techniques.insert(id, t);
                }
            }
            _ => {}
        }
    }
    for i in chosen {
        if let Some(o) = objects[i].as_object() {
            indicator(o, i, &ctx, load);
        }
    }
}

/// Where a problem with object `i` is reported: its id, or its position.
fn location(id: Option<&str>, i: usize) -> Location {
    Location::Object(id.map_or_else(|| format!("objects[{i}]"), str::to_string))
}

fn str_of<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// The strings of a list property (non-strings ignored).
fn strs<'a>(o: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a str> {
    o.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The ATT&CK id among an object's external references.
fn mitre_id(o: &Map<String, Value>) -> Option<&str> {
    o.get("external_references")?
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .filter(|r| str_of(r, "source_name").is_some_and(|s| s.starts_with("mitre-attack")))
        .find_map(|r| str_of(r, "external_id").and_then(entry::attack_id))
}

/// An object's JSON, shortened for a problem report.
fn short_json(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(200) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s,
    }
}

fn indicator(o: &Map<String, Value>, i: usize, ctx: &Context, load: &mut FeedLoad) {
    let id = str_of(o, "id");
    let at = location(id, i);
    if o.get("revoked") == Some(&Value::Bool(true)) {
        load.skip("revoked");
        return;
    }
    match str_of(o, "pattern_type") {
        // STIX 2.0 has no pattern_type: its patterns are all STIX patterns.
        None | Some("stix") => {}
        Some(_) => {
            load.skip("unsupported pattern type");
            return;
        }
    }
    let Some(pattern_text) = str_of(o, "pattern") else {
        load.problem(at, "indicator without a pattern", "");
        return;
    };
    let mut window = (NO_START, NO_END);
    for (key, slot) in [
        ("valid_from", &mut window.0),
        ("valid_until", &mut window.1),
    ] {
        match o.get(key) {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_str().and_then(parse_ts) {
                Some(t) => *slot = t,
                None => {
                    load.problem(at, format!("bad {key}"), &short_json(v));
                    return;
                }
            },
        }
    }
    if window.1 < window.0 {
        load.problem(at, "valid_until before valid_from", pattern_text);
        return;
    }
    let observation = match pattern::parse(pattern_text) {
        Ok(p) => p,
        Err(why) => {
            load.problem(at, format!("bad STIX pattern: {why}"), pattern_text);
            return;
        }
    };

    let mut m = EntryMeta::new(load);
    if let Some(c) = o.get("confidence").and_then(Value::as_u64) {
        m.meta.confidence = Some(c.min(100) as u8);
    }
    if let Some(targets) = id.and_then(|id| ctx.indicates.get(id)) {
        for t in targets {
            if let Some(tech) = ctx.techniques.get(t) {
                m.technique(&mut load.interner, tech);
            }
            if let Some(name) = ctx.names.get(t) {
                m.tag(&mut load.interner, name);
            }
        }
    }
    if let Some(t) = mitre_id(o) {
        m.technique(&mut load.interner, t);
    }
    for t in strs(o, "labels").chain(strs(o, "indicator_types")) {
        m.tag(&mut load.interner, t);
    }
    let phases = o.get("kill_chain_phases").and_then(Value::as_array);
    for p in phases.into_iter().flatten().filter_map(Value::as_object) {
        if let Some(name) = str_of(p, "phase_name") {
            m.tag(&mut load.interner, name);
        }
    }
    let refs = o.get("external_references").and_then(Value::as_array);
    let url = refs
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find_map(|r| str_of(r, "url"));
    for r in [url, str_of(o, "description"), str_of(o, "name")]
        .into_iter()
        .flatten()
    {
        m.reference(&mut load.interner, r);
    }
    m.meta.first_seen = str_of(o, "created").and_then(parse_ts);
    m.meta.last_seen = str_of(o, "modified").and_then(parse_ts);
    m.meta.valid_from = window.0;
    m.meta.valid_until = window.1;
    let meta = m.finish(&mut load.interner);

    let mut found = Vec::new();
    extract(&observation, window, &mut found);
    for f in found {
        match f {
            Found::Value { kind, raw, window } => {
                let (kind, raw) = match kind {
                    PathKind::Is(k) => (k, raw.as_str()),
                    PathKind::Address => entry::addr_or_subnet(&raw),
                    PathKind::Host => host_kind(&raw),
                };
                let mut meta = meta.clone();
                meta.valid_from = window.0;
                meta.valid_until = window.1;
                load.add(Some(kind), raw, meta, at.clone());
            }
            Found::Skip(reason) => load.skip(reason),
            Found::Problem(why) => load.problem(at.clone(), why, pattern_text),
        }
    }
}

/// A network-traffic endpoint: an address, a network, or (a `domain-name` reference) a name.
fn host_kind(raw: &str) -> (IndicatorType, &str) {
    let (k, v) = entry::addr_or_subnet(raw);
    let is_addr = match k {
        IndicatorType::Subnet => crate::normalize::subnet(v).is_some(),
        _ => crate::normalize::addr(v).is_some(),
    };
    if is_addr {
        (k, v)
    } else {
        (IndicatorType::Domain, raw)
    }
}

/// What an object path names, when netloupe can match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PathKind {
    Is(IndicatorType),
    /// `ipv4-addr:value`: an address or a network.
    Address,
    /// `network-traffic:dst_ref.value`: an address, a network or a domain name.
    Host,
}

fn path_kind(p: &ObjectPath) -> Option<PathKind> {
    use IndicatorType as T;
    let keys = p.keys();
    Some(match (p.object_type.as_str(), keys.as_slice()) {
        ("ipv4-addr" | "ipv6-addr", ["value"]) => PathKind::Address,
        ("domain-name", ["value"]) => PathKind::Is(T::Domain),
        ("url", ["value"]) => PathKind::Is(T::Url),
        ("email-addr", ["value"]) => PathKind::Is(T::Email),
        ("email-message", [r, "value"])
            if matches!(
                *r,
                "from_ref" | "sender_ref" | "to_refs" | "cc_refs" | "bcc_refs"
            ) =>
        {
            PathKind::Is(T::Email)
        }
        ("network-traffic", ["dst_ref" | "src_ref", "value"]) => PathKind::Host,
        ("file", ["hashes", h]) => PathKind::Is(match hash_name(h)? {
            "MD5" => T::FileMd5,
            "SHA1" => T::FileSha1,
            _ => T::FileSha256,
        }),
        ("x509-certificate", ["hashes", h]) => PathKind::Is(match hash_name(h)? {
            "SHA1" => T::CertSha1,
            "SHA256" => T::CertSha256,
            _ => return None,
        }),
        _ => return None,
    })
}

/// The hash algorithms netloupe matches, whatever the spelling (`SHA-256`, `SHA256`, `sha256`).
fn hash_name(key: &str) -> Option<&'static str> {
    let k: String = key
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase();
    match k.as_str() {
        "MD5" => Some("MD5"),
        "SHA1" => Some("SHA1"),
        "SHA256" => Some("SHA256"),
        _ => None,
    }
}

/// What one branch of a pattern gave.
#[derive(Debug, PartialEq)]
enum Found {
    Value {
        kind: PathKind,
        raw: String,
        window: (i64, i64),
    },
    Skip(&'static str),
    Problem(String),
}

/// The values a pattern names, each on its own enough to raise the indicator:
///
/// * every branch of an `OR` (of observations or of comparisons) is taken alone;
/// * `path = 'v'` on a supported path names `v`; `path IN ('a', 'b')` names each element;
///   `address ISSUBSET 'net'` names the network;
/// * an `AND` of comparisons names values only when each is an equality on a hash of the same
///   object (`file:hashes.MD5 = 'x' AND file:hashes.'SHA-256' = 'y'`): each hash identifies the
///   file alone;
/// * `START`/`STOP` narrows the validity window; `WITHIN` on single observations changes
///   nothing.
///
/// Any other shape (`AND` with a port, `NOT`, `!=`, `LIKE`, `MATCHES`, `FOLLOWEDBY`,
/// `REPEATS`, ...) needs more than a value lookup to match and is skipped, as is a path netloupe
/// does not match on.
fn extract(o: &Observation, window: (i64, i64), out: &mut Vec<Found>) {
    match o {
        Observation::Single(c) => comparison(c, window, out),
        Observation::Or(items) => items.iter().for_each(|i| extract(i, window, out)),
        Observation::Qualified(inner, q) => match *q {
            Qualifier::StartStop(start, stop) => {
                extract(inner, (window.0.max(start), window.1.min(stop)), out)
            }
            Qualifier::Within(_) => extract(inner, window, out),
            Qualifier::Repeats(_) => out.push(Found::Skip("unsupported pattern")),
        },
        Observation::And(_) | Observation::FollowedBy(_) => {
            out.push(Found::Skip("unsupported pattern"))
        }
    }
}

fn comparison(c: &Comparison, window: (i64, i64), out: &mut Vec<Found>) {
    match c {
        Comparison::Or(items) => items.iter().for_each(|i| comparison(i, window, out)),
        Comparison::Test {
            path,
            negated: false,
            op: op @ (Op::Eq | Op::In | Op::IsSubset),
            operand,
        } => {
            let Some(kind) = path_kind(path) else {
                out.push(Found::Skip("unsupported path"));
                return;
            };
            let items: &[Literal] = match (op, operand) {
                (Op::IsSubset, Operand::One(l)) if kind == PathKind::Address => {
                    std::slice::from_ref(l)
                }
                (Op::IsSubset, _) => {
                    out.push(Found::Skip("unsupported pattern"));
                    return;
                }
                (_, Operand::One(l)) => std::slice::from_ref(l),
                (_, Operand::Set(s)) => s,
            };
            for l in items {
                match l {
                    Literal::Str(s) => out.push(Found::Value {
                        kind,
                        raw: s.clone(),
                        window,
                    }),
                    other => out.push(Found::Problem(format!(
                        "{} compared with {other:?}, not a string",
                        path_text(path)
                    ))),
                }
            }
        }
        Comparison::And(items) if hashes_of_one_object(items) => {
            items.iter().for_each(|i| comparison(i, window, out))
        }
        Comparison::Test { .. } | Comparison::And(_) | Comparison::Exists(_) => {
            out.push(Found::Skip("unsupported pattern"))
        }
    }
}

/// Whether every comparison is `object:hashes.X = '...'` of one object type.
fn hashes_of_one_object(items: &[Comparison]) -> bool {
    let mut object = None;
    items.iter().all(|c| match c {
        Comparison::Test {
            path,
            negated: false,
            op: Op::Eq,
            operand: Operand::One(Literal::Str(_)),
        } => {
            let same = *object.get_or_insert(path.object_type.as_str()) == path.object_type;
            same && matches!(path.keys().as_slice(), ["hashes", _])
        }
        _ => false,
    })
}

fn path_text(p: &ObjectPath) -> String {
    format!("{}:{}", p.object_type, p.keys().join("."))
}

#[cfg(test)]
mod tests;
