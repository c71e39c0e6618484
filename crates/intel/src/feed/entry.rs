//! What every format parser does to one entry's metadata: start from the feed's defaults, add
//! the entry's own tags (shared through the feed's interner, without duplicates), and notice
//! the ATT&CK technique a tag names.

use super::{FeedLoad, Interner};
use crate::indicator::{IndicatorMeta, IndicatorType};
use std::sync::Arc;

/// One entry's metadata while it is being put together.
pub(super) struct EntryMeta {
    pub meta: IndicatorMeta,
    tags: Vec<Arc<str>>,
}

impl EntryMeta {
    /// The feed's defaults (confidence, severity, tags from its options).
    pub fn new(load: &FeedLoad) -> EntryMeta {
        let meta = load.defaults();
        let tags = meta.tags.to_vec();
        let mut e = EntryMeta { meta, tags };
        if let Some(t) = e.tags.iter().find_map(|t| attack_id(t)) {
            e.meta.technique = Some(Arc::from(t));
        }
        e
    }

    /// Adds a tag (trimmed; unset markers and duplicates ignored). A tag that is an ATT&CK
    /// technique id, or a MISP galaxy tag naming one, gives the entry's technique unless one is
    /// already known.
    pub fn tag(&mut self, interner: &mut Interner, raw: &str) {
        let t = raw.trim();
        if is_unset(t) {
            return;
        }
        if self.meta.technique.is_none() {
            if let Some(id) = technique_in_tag(t) {
                self.meta.technique = Some(interner.get(id));
            }
        }
        if !self.tags.iter().any(|x| &**x == t) {
            self.tags.push(interner.get(t));
        }
    }

    /// Adds each tag of a comma-separated list.
    pub fn tag_list(&mut self, interner: &mut Interner, list: &str) {
        for t in list.split(',') {
            self.tag(interner, t);
        }
    }

    /// Sets the technique (an ATT&CK id) unless one is already known.
    pub fn technique(&mut self, interner: &mut Interner, id: &str) {
        if self.meta.technique.is_none() {
            if let Some(id) = attack_id(id.trim()) {
                self.meta.technique = Some(interner.get(id));
            }
        }
    }

    /// Sets the reference unless one is already known (and `s` says something). Not
    /// interned: references are mostly one per entry (a tracker's link to it), and a set of a
    /// million unique strings would only add memory.
    pub fn reference(&mut self, _interner: &mut Interner, s: &str) {
        let s = s.trim();
        if self.meta.reference.is_none() && !is_unset(s) {
            self.meta.reference = Some(Arc::from(s));
        }
    }

    pub fn finish(mut self, interner: &mut Interner) -> IndicatorMeta {
        self.meta.tags = interner.tag_set(&self.tags);
        self.meta
    }
}

/// Values feeds write for "nothing here": empty, Zeek's `-` and `(empty)`, ThreatFox's `None`.
pub(super) fn is_unset(s: &str) -> bool {
    matches!(
        s.trim(),
        "" | "-" | "(empty)" | "None" | "none" | "null" | "NULL" | "n/a" | "N/A"
    )
}

/// `s` if it is an ATT&CK technique or sub-technique id (`T1071`, `T1071.001`).
pub(super) fn attack_id(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    let ok = match b.len() {
        5 => b[0] == b'T' && digits(&b[1..5]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..9]),
        _ => false,
    };
    ok.then_some(s)
}

/// The technique a tag names: the tag itself (`T1071`), or the id at the end of a MISP galaxy
/// cluster tag (`misp-galaxy:mitre-attack-pattern="Application Layer Protocol - T1071"`).
pub(super) fn technique_in_tag(tag: &str) -> Option<&str> {
    if let Some(id) = attack_id(tag) {
        return Some(id);
    }
    let (name, value) = tag.split_once('=')?;
    if !name.contains("attack-pattern") {
        return None;
    }
    let value = value.trim().trim_matches('"').trim();
    let (_, id) = value.rsplit_once(" - ")?;
    attack_id(id.trim())
}

/// A confidence written as a number: 0-100, a fraction of 1 is not guessed at. Values above
/// 100 are clamped; anything else is `None`.
pub(super) fn confidence(s: &str) -> Option<u8> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n.min(100) as u8);
    }
    let f: f64 = s.parse().ok()?;
    (f.is_finite() && f >= 0.0).then(|| f.min(100.0).round() as u8)
}

/// Whether an address value names a whole network (`10.0.0.0/8`) or one host (`1.2.3.4`,
/// `1.2.3.4/32`), and the value to add for it.
pub(super) fn addr_or_subnet(raw: &str) -> (IndicatorType, &str) {
    let raw = raw.trim();
    match raw.split_once('/') {
        Some((a, len)) => {
            let full = if a.contains(':') { "128" } else { "32" };
            if len.trim() == full {
                (IndicatorType::Addr, a)
            } else {
                (IndicatorType::Subnet, raw)
            }
        }
        None => (IndicatorType::Addr, raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::FeedOptions;

    #[test]
    fn tags_union_and_technique() {
        let opts = FeedOptions {
            tags: vec!["feed-tag".into(), "shared".into()],
            confidence: Some(40),
            ..FeedOptions::default()
        };
        let mut load = FeedLoad::new(0, &opts);
        let mut e = EntryMeta::new(&load);
        e.tag(&mut load.interner, " shared ");
        e.tag(&mut load.interner, "-");
        e.tag_list(&mut load.interner, "a, b,,None");
        e.tag(
            &mut load.interner,
            "misp-galaxy:mitre-attack-pattern=\"Web Protocols - T1071.001\"",
        );
        e.tag(&mut load.interner, "T1105");
        let m = e.finish(&mut load.interner);
        let tags: Vec<&str> = m.tags.iter().map(|t| &**t).collect();
        assert_eq!(
            tags,
            [
                "feed-tag",
                "shared",
                "a",
                "b",
                "misp-galaxy:mitre-attack-pattern=\"Web Protocols - T1071.001\"",
                "T1105"
            ]
        );
        assert_eq!(m.technique.as_deref(), Some("T1071.001"));
        assert_eq!(m.confidence, Some(40));
    }

    #[test]
    fn helpers() {
        assert_eq!(attack_id("T1071"), Some("T1071"));
        assert_eq!(attack_id("T1071.001"), Some("T1071.001"));
        for bad in ["t1071", "T107", "T10711", "T1071.01", "T1071-001", "TA0011"] {
            assert_eq!(attack_id(bad), None, "{bad}");
        }
        assert_eq!(
            technique_in_tag("misp-galaxy:threat-actor=\"APT - T1000\""),
            None
        );
        assert_eq!(confidence("75"), Some(75));
        assert_eq!(confidence("250"), Some(100));
        assert_eq!(confidence("85.4"), Some(85));
        assert_eq!(confidence("high"), None);
        assert_eq!(confidence("-3"), None);
        assert_eq!(
            addr_or_subnet("10.0.0.0/8"),
            (IndicatorType::Subnet, "10.0.0.0/8")
        );
        assert_eq!(
            addr_or_subnet("1.2.3.4/32"),
            (IndicatorType::Addr, "1.2.3.4")
        );
        assert_eq!(
            addr_or_subnet("2001:db8::1/128"),
            (IndicatorType::Addr, "2001:db8::1")
        );
        assert_eq!(
            addr_or_subnet("2001:db8::1"),
            (IndicatorType::Addr, "2001:db8::1")
        );
    }
}
