//! [`IntelSet`]: every loaded indicator, indexed for lookups that cost a hash probe or two when
//! nothing matches (the common case: almost no traffic is listed).
//!
//! * Addresses: a hash map (exact addresses are most of any address feed).
//! * Subnets: per address family, the elementary intervals the blocks' boundaries cut the
//!   address space into, each with *every* block covering it (several feeds may list nested
//!   blocks): one binary search per address, whatever the prefix lengths.
//! * IPv4 addresses meet two 2 MiB bitmaps first (one bit per /24 holding a listed address,
//!   one per /24 inside a listed block), and names and digests a 2 MiB bit filter of the string
//!   table's hashes: a miss, which nearly every lookup is, touches nothing larger.
//! * Domains, URLs, e-mail addresses, digests, JA4: one hash table of indicator indices keyed by
//!   (namespace, value), the values stored once, in the indicators. A domain is probed at each
//!   label boundary only when some feed lists subdomains.
//! * User agents: one Aho-Corasick automaton for the substrings, one `RegexSet` for patterns.
//!
//! Several feeds listing the same value share a key: indices with an equal key are chained
//! through `next`, so a hit reports every feed that lists the value.

use crate::feed::{FeedFormat, FeedLoad, FeedProblem};
use crate::indicator::{FeedId, Indicator, IndicatorType};
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;

const END: u32 = u32::MAX;

/// Words of the string filter: 2^24 bits.
const STRINGS_FILTER_WORDS: usize = (1 << 24) / 64;

/// The filter bit of a key hash (its top bits: hashbrown uses the low ones and the top 7).
fn filter_bit(hash: u64) -> usize {
    ((hash >> 32) as usize) & ((1 << 24) - 1)
}

/// What is known about one loaded feed.
#[derive(Clone, Debug)]
pub struct FeedInfo {
    pub name: String,
    /// Path or URL.
    pub location: String,
    pub format: FeedFormat,
    /// Indicators loaded, by type (duplicates within the feed not counted).
    pub counts: BTreeMap<IndicatorType, u64>,
    /// Entries left out on purpose, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Duplicate entries (same type and value) within the feed.
    pub duplicates: u64,
    pub problem_count: u64,
    pub problems: Vec<FeedProblem>,
}

impl FeedInfo {
    pub fn loaded(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// A value seen in traffic, in the form [`crate::normalize`] gives it (callers normalise: see
/// [`crate::normalize::seen_domain`] and [`crate::normalize::seen_http_url`]).
#[derive(Clone, Copy, Debug)]
pub enum Seen<'a> {
    Addr(IpAddr),
    Domain(&'a str),
    Url(&'a str),
    Email(&'a str),
    /// A hex digest, lowercase, seen as `kind` (one of the named digest types, e.g. `Ja3`,
    /// `CertSha1`, `FileSha256`).
    Digest(IndicatorType, &'a str),
    Ja4(&'a str),
    UserAgent(&'a str),
}

/// Lookup namespaces of the string table.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Space {
    Domain,
    Url,
    Email,
    Digest,
    Ja4,
}

fn space(kind: IndicatorType) -> Option<Space> {
    Some(match kind {
        IndicatorType::Domain => Space::Domain,
        IndicatorType::Url => Space::Url,
        IndicatorType::Email => Space::Email,
        IndicatorType::Ja4 => Space::Ja4,
        k if k.is_hex_digest() => Space::Digest,
        _ => return None,
    })
}

/// Whether an indicator of type `listed` matches a digest seen as `seen`.
fn digest_compatible(listed: IndicatorType, seen: IndicatorType) -> bool {
    use IndicatorType as T;
    listed == seen
        || match listed {
            T::Md5 => matches!(seen, T::Ja3 | T::Ja3s | T::Hassh | T::FileMd5),
            T::Sha1 => matches!(seen, T::CertSha1 | T::FileSha1),
            T::Sha256 => matches!(seen, T::CertSha256 | T::FileSha256),
            _ => false,
        }
}

/// Subnets of one address family. Blocks are keyed by (length, network) while loading (one
/// chain per block, as for every other key); `finish` then cuts the address space into the
/// elementary intervals the block boundaries make, each with the blocks covering it, so that
/// a lookup is one binary search whatever the number of prefix lengths (probing each length
/// cost 13 hash probes per address with a typical mix of /16-/28 blocks).
#[derive(Default)]
struct PrefixIndex {
    table: HashMap<(u8, u128), u32>,
    /// Merged [start, end] ranges of all blocks, sorted (the /24 filter is built from them).
    ranges: Vec<(u128, u128)>,
    /// Start of each elementary interval, sorted; interval `i` is [starts[i], starts[i+1]).
    starts: Vec<u128>,
    /// For interval `i`, `cover[cover_at[i]..cover_at[i + 1]]` are the chains covering it.
    cover_at: Vec<u32>,
    cover: Vec<u32>,
    bits: u32,
}

impl PrefixIndex {
    fn new(bits: u32) -> Self {
        PrefixIndex {
            bits,
            ..Default::default()
        }
    }

    fn finish(&mut self) {
        let mut blocks: Vec<(u128, u128, u32)> = self
            .table
            .iter()
            .map(|(&(len, net), &head)| {
                let host_bits = self.bits - u32::from(len);
                let span = if host_bits >= 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                };
                (net, net | span, head)
            })
            .collect();
        blocks.sort_unstable();
        self.build_intervals(&blocks);
        let r: Vec<(u128, u128)> = blocks.iter().map(|&(s, e, _)| (s, e)).collect();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(r.len());
        for (s, e) in r {
            match merged.last_mut() {
                Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.ranges = merged;
    }

    /// Sweeps the sorted blocks' boundaries: at each start a block becomes active, past its
    /// end it stops; every stretch between two boundaries records the active blocks (CIDR
    /// blocks nest or are disjoint, so there are at most two boundaries per block and the
    /// active list is at most the nesting depth).
    fn build_intervals(&mut self, blocks: &[(u128, u128, u32)]) {
        let mut bounds: Vec<u128> = Vec::with_capacity(blocks.len() * 2);
        for &(s, e, _) in blocks {
            bounds.push(s);
            if let Some(after) = e.checked_add(1) {
                bounds.push(after);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        // Blocks sorted by start; an active stack suffices because blocks nest.
        let mut active: Vec<(u128, u32)> = Vec::new();
        let mut next_block = 0;
        self.cover_at.push(0);
        for &b in &bounds {
            active.retain(|&(end, _)| end >= b);
            while next_block < blocks.len() && blocks[next_block].0 == b {
                let (_, e, head) = blocks[next_block];
                active.push((e, head));
                next_block += 1;
            }
            self.starts.push(b);
            self.cover.extend(active.iter().map(|&(_, h)| h));
            self.cover_at.push(self.cover.len() as u32);
        }
    }

    /// The chains of the blocks covering `x`.
    fn covering(&self, x: u128) -> &[u32] {
        let i = self.starts.partition_point(|&s| s <= x);
        if i == 0 {
            return &[];
        }
        let (a, b) = (self.cover_at[i - 1] as usize, self.cover_at[i] as usize);
        &self.cover[a..b]
    }
}

fn addr_bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

/// Every loaded indicator, indexed for matching. Immutable once built: a reload builds a new
/// set and swaps it in.
pub struct IntelSet {
    feeds: Vec<FeedInfo>,
    indicators: Vec<Indicator>,
    next: Vec<u32>,
    hasher: DefaultHashBuilder,
    addrs: HashMap<IpAddr, u32>,
    v4: PrefixIndex,
    /// One bit per IPv4 /24 holding a listed address (2 MiB, built when any IPv4 address is
    /// loaded), and one per /24 inside a listed block: most traffic is rejected by these
    /// probes, which stay in cache, before the large tables are touched; the two are kept
    /// apart so that an address near a listed one does not pay for the block search and the
    /// other way round.
    v4_addr_filter: Vec<u64>,
    v4_net_filter: Vec<u64>,
    v6: PrefixIndex,
    strings: HashTable<u32>,
    /// One bit per value of the string table, at its hash (2 MiB): an unlisted name or digest
    /// is rejected without probing the table (a cache miss for a million entries).
    strings_filter: Vec<u64>,
    any_subdomains: bool,
    ua_substrings: Option<(aho_corasick::AhoCorasick, Vec<u32>)>,
    ua_patterns: Option<(regex::RegexSet, Vec<u32>)>,
}

impl Default for IntelSet {
    fn default() -> Self {
        IntelSet::build(Vec::new())
    }
}

impl std::fmt::Debug for IntelSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntelSet")
            .field("feeds", &self.feeds.len())
            .field("indicators", &self.indicators.len())
            .finish()
    }
}

impl IntelSet {
    /// Builds the set from parsed feeds (each with its description). Indicator feed ids are
    /// rewritten to the feed's position in `loads`.
    pub fn build(loads: Vec<(FeedInfo, FeedLoad)>) -> IntelSet {
        // One vector of indicators: the first feed's is taken over and the others appended,
        // so that a large feed is never held twice (a copy doubled the peak memory of a
        // million-indicator load).
        let mut infos = Vec::with_capacity(loads.len());
        let mut indicators: Vec<Indicator> = Vec::new();
        for (fid, (mut info, mut load)) in loads.into_iter().enumerate() {
            let fid = FeedId::try_from(fid).unwrap_or(FeedId::MAX);
            info.problem_count = load.problem_count;
            info.problems = std::mem::take(&mut load.problems);
            info.skipped = std::mem::take(&mut load.skipped);
            for ind in &mut load.indicators {
                ind.feed = fid;
            }
            if indicators.is_empty() {
                indicators = std::mem::take(&mut load.indicators);
            } else {
                indicators.append(&mut load.indicators);
            }
            infos.push(info);
        }
        let n = indicators.len();
        let (mut n_addr, mut n_str) = (0, 0);
        for i in &indicators {
            match i.kind {
                IndicatorType::Addr => n_addr += 1,
                k if space(k).is_some() => n_str += 1,
                _ => {}
            }
        }
        let mut set = IntelSet {
            feeds: Vec::new(),
            indicators,
            next: vec![END; n],
            hasher: DefaultHashBuilder::default(),
            addrs: HashMap::with_capacity(n_addr),
            v4: PrefixIndex::new(32),
            v4_addr_filter: Vec::new(),
            v4_net_filter: Vec::new(),
            v6: PrefixIndex::new(128),
            strings: HashTable::with_capacity(n_str),
            strings_filter: Vec::new(),
            any_subdomains: false,
            ua_substrings: None,
            ua_patterns: None,
        };
        let mut ua_sub: Vec<(String, u32)> = Vec::new();
        let mut ua_pat: Vec<(String, u32)> = Vec::new();
        for idx in 0..n as u32 {
            let ind = &set.indicators[idx as usize];
            let (kind, feed, sub) = (ind.kind, ind.feed, ind.subdomains);
            let fresh = match kind {
                IndicatorType::Addr => match ind.value.parse::<IpAddr>() {
                    Ok(a) => match set.addrs.get(&a).copied() {
                        Some(head) => chain(&mut set.next, &set.indicators, head, idx),
                        None => {
                            set.addrs.insert(a, idx);
                            true
                        }
                    },
                    Err(_) => false,
                },
                IndicatorType::Subnet => match crate::normalize::subnet(&ind.value) {
                    Some((net, len)) => set.insert_subnet(net, len, idx),
                    None => false,
                },
                IndicatorType::UserAgent => {
                    ua_sub.push((ind.value.to_string(), idx));
                    true
                }
                IndicatorType::UserAgentPattern => {
                    ua_pat.push((ind.value.to_string(), idx));
                    true
                }
                _ => set.insert_string(idx),
            };
            let info = &mut infos[usize::from(feed)];
            if fresh {
                *info.counts.entry(kind).or_default() += 1;
                if kind == IndicatorType::Domain && sub {
                    set.any_subdomains = true;
                }
            } else {
                info.duplicates += 1;
            }
        }
        set.feeds = infos;
        set.v4.finish();
        set.build_v4_filter();
        set.v6.finish();
        if !ua_sub.is_empty() {
            let ac = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(ua_sub.iter().map(|(s, _)| s.as_str()));
            if let Ok(ac) = ac {
                set.ua_substrings = Some((ac, ua_sub.into_iter().map(|(_, i)| i).collect()));
            }
        }
        if !ua_pat.is_empty() {
            if let Ok(rs) = regex::RegexSet::new(ua_pat.iter().map(|(s, _)| s.as_str())) {
                set.ua_patterns = Some((rs, ua_pat.into_iter().map(|(_, i)| i).collect()));
            }
        }
        set
    }

    fn build_v4_filter(&mut self) {
        fn set_range(bits: &mut Vec<u64>, first: usize, last: usize) {
            if bits.is_empty() {
                *bits = vec![0u64; (1 << 24) / 64];
            }
            for b in first..=last {
                bits[b / 64] |= 1 << (b % 64);
            }
        }
        let mut addr_bits = Vec::new();
        for a in self.addrs.keys() {
            if let IpAddr::V4(v) = a {
                let b = (u32::from(*v) >> 8) as usize;
                set_range(&mut addr_bits, b, b);
            }
        }
        let mut net_bits = Vec::new();
        for &(start, end) in &self.v4.ranges {
            set_range(&mut net_bits, (start >> 8) as usize, (end >> 8) as usize);
        }
        self.v4_addr_filter = addr_bits;
        self.v4_net_filter = net_bits;
    }

    fn insert_subnet(&mut self, net: IpAddr, len: u8, idx: u32) -> bool {
        let index = if net.is_ipv4() {
            &mut self.v4
        } else {
            &mut self.v6
        };
        let key = (len, addr_bits(net));
        match index.table.get(&key).copied() {
            Some(head) => chain(&mut self.next, &self.indicators, head, idx),
            None => {
                index.table.insert(key, idx);
                true
            }
        }
    }

    fn key_hash(&self, space: Space, value: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        space.hash(&mut h);
        value.hash(&mut h);
        h.finish()
    }

    fn insert_string(&mut self, idx: u32) -> bool {
        let ind = &self.indicators[idx as usize];
        let Some(sp) = space(ind.kind) else {
            return false;
        };
        let hash = self.key_hash(sp, &ind.value);
        if self.strings_filter.is_empty() {
            self.strings_filter = vec![0; STRINGS_FILTER_WORDS];
        }
        let bit = filter_bit(hash);
        self.strings_filter[bit / 64] |= 1 << (bit % 64);
        let inds = &self.indicators;
        let found = self
            .strings
            .find(hash, |&i| {
                let o = &inds[i as usize];
                space(o.kind) == Some(sp) && o.value == ind.value
            })
            .copied();
        match found {
            Some(head) => chain(&mut self.next, &self.indicators, head, idx),
            None => {
                let hasher = self.hasher.clone();
                self.strings.insert_unique(hash, idx, |&i| {
                    let o = &inds[i as usize];
                    let mut h = hasher.build_hasher();
                    space(o.kind)
                        .expect("only string kinds are inserted")
                        .hash(&mut h);
                    o.value.hash(&mut h);
                    h.finish()
                });
                true
            }
        }
    }

    pub fn feeds(&self) -> &[FeedInfo] {
        &self.feeds
    }

    pub fn indicator(&self, i: u32) -> &Indicator {
        &self.indicators[i as usize]
    }

    pub fn feed(&self, id: FeedId) -> &FeedInfo {
        &self.feeds[usize::from(id)]
    }

    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// Indicators loaded, by type, over all feeds.
    pub fn counts(&self) -> BTreeMap<IndicatorType, u64> {
        let mut c = BTreeMap::new();
        for f in &self.feeds {
            for (k, n) in &f.counts {
                *c.entry(*k).or_default() += n;
            }
        }
        c
    }

    /// Pushes onto `out` the indices of the indicators that match `seen` and are valid at
    /// `ts_ns` (every feed's entry, and for addresses every covering block).
    pub fn lookup(&self, seen: Seen<'_>, ts_ns: i64, out: &mut Vec<u32>) {
        self.lookup_at(seen, Some(ts_ns), out)
    }

    /// [`IntelSet::lookup`] regardless of validity windows (`netloupe intel lookup`, which
    /// shows expired entries as such).
    pub fn lookup_any_time(&self, seen: Seen<'_>, out: &mut Vec<u32>) {
        self.lookup_at(seen, None, out)
    }

    fn lookup_at(&self, seen: Seen<'_>, ts_ns: Option<i64>, out: &mut Vec<u32>) {
        if self.indicators.is_empty() {
            return;
        }
        match seen {
            Seen::Addr(a) => {
                let (maybe_addr, maybe_net) = match a {
                    IpAddr::V4(v) => {
                        let slash24 = (u32::from(v) >> 8) as usize;
                        let bit = |f: &[u64]| {
                            f.get(slash24 / 64)
                                .is_some_and(|w| w & (1 << (slash24 % 64)) != 0)
                        };
                        (bit(&self.v4_addr_filter), bit(&self.v4_net_filter))
                    }
                    IpAddr::V6(_) => (true, true),
                };
                if maybe_addr {
                    if let Some(&h) = self.addrs.get(&a) {
                        self.push_chain(h, ts_ns, out, |_| true);
                    }
                }
                let index = if a.is_ipv4() { &self.v4 } else { &self.v6 };
                if maybe_net {
                    for &h in index.covering(addr_bits(a)) {
                        self.push_chain(h, ts_ns, out, |_| true);
                    }
                }
            }
            Seen::Domain(d) => {
                if let Ok(a) = d.parse::<IpAddr>() {
                    return self.lookup_at(Seen::Addr(a), ts_ns, out);
                }
                self.probe(Space::Domain, d, ts_ns, out, |_| true);
                if self.any_subdomains {
                    let mut rest = d;
                    while let Some((_, parent)) = rest.split_once('.') {
                        self.probe(Space::Domain, parent, ts_ns, out, |i| i.subdomains);
                        rest = parent;
                    }
                }
            }
            Seen::Url(u) => self.probe(Space::Url, u, ts_ns, out, |_| true),
            Seen::Email(e) => self.probe(Space::Email, e, ts_ns, out, |_| true),
            Seen::Ja4(j) => self.probe(Space::Ja4, j, ts_ns, out, |_| true),
            Seen::Digest(kind, d) => self.probe(Space::Digest, d, ts_ns, out, |i| {
                digest_compatible(i.kind, kind)
            }),
            Seen::UserAgent(ua) => {
                if let Some((ac, idx)) = &self.ua_substrings {
                    let mut seen_pat = Vec::new();
                    for m in ac.find_overlapping_iter(ua) {
                        let p = m.pattern().as_usize();
                        if !seen_pat.contains(&p) {
                            seen_pat.push(p);
                            self.push_one(idx[p], ts_ns, out);
                        }
                    }
                }
                if let Some((rs, idx)) = &self.ua_patterns {
                    for p in rs.matches(ua).iter() {
                        self.push_one(idx[p], ts_ns, out);
                    }
                }
            }
        }
    }

    fn probe(
        &self,
        sp: Space,
        value: &str,
        ts_ns: Option<i64>,
        out: &mut Vec<u32>,
        keep: impl Fn(&Indicator) -> bool,
    ) {
        let hash = self.key_hash(sp, value);
        let bit = filter_bit(hash);
        if self
            .strings_filter
            .get(bit / 64)
            .is_none_or(|w| w & (1 << (bit % 64)) == 0)
        {
            return;
        }
        let inds = &self.indicators;
        if let Some(&h) = self.strings.find(hash, |&i| {
            let o = &inds[i as usize];
            space(o.kind) == Some(sp) && &*o.value == value
        }) {
            self.push_chain(h, ts_ns, out, keep);
        }
    }

    fn push_one(&self, i: u32, ts_ns: Option<i64>, out: &mut Vec<u32>) {
        if ts_ns.is_none_or(|t| self.indicators[i as usize].meta.valid_at(t)) {
            out.push(i);
        }
    }

    fn push_chain(
        &self,
        mut i: u32,
        ts_ns: Option<i64>,
        out: &mut Vec<u32>,
        keep: impl Fn(&Indicator) -> bool,
    ) {
        while i != END {
            let ind = &self.indicators[i as usize];
            if keep(ind) && ts_ns.is_none_or(|t| ind.meta.valid_at(t)) {
                out.push(i);
            }
            i = self.next[i as usize];
        }
    }
}

/// Appends `idx` to the chain starting at `head`, unless the chain already holds the same
/// value of the same type from the same feed (a duplicate line). Returns whether it was added.
fn chain(next: &mut [u32], inds: &[Indicator], head: u32, idx: u32) -> bool {
    let new = &inds[idx as usize];
    let mut i = head;
    loop {
        let o = &inds[i as usize];
        if o.feed == new.feed && o.kind == new.kind && o.subdomains == new.subdomains {
            return false;
        }
        if next[i as usize] == END {
            next[i as usize] = idx;
            return true;
        }
        i = next[i as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{self, FeedOptions};

    fn set_of(feeds: &[&str]) -> IntelSet {
        let loads = feeds
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let (format, load) = feed::parse(
                    text.as_bytes(),
                    "t.intel",
                    &FeedOptions::default(),
                    i as FeedId,
                );
                let info = FeedInfo {
                    name: format!("feed{i}"),
                    location: String::new(),
                    format,
                    counts: BTreeMap::new(),
                    skipped: BTreeMap::new(),
                    duplicates: 0,
                    problem_count: 0,
                    problems: Vec::new(),
                };
                (info, load)
            })
            .collect();
        IntelSet::build(loads)
    }

    /// (feed name, listed value) of every match.
    fn hits(set: &IntelSet, seen: Seen<'_>, ts: i64) -> Vec<(String, String)> {
        let mut out = Vec::new();
        set.lookup(seen, ts, &mut out);
        let mut v: Vec<(String, String)> = out
            .iter()
            .map(|&i| {
                let ind = set.indicator(i);
                (set.feed(ind.feed).name.clone(), ind.value.to_string())
            })
            .collect();
        v.sort();
        v
    }

    fn ip(s: &str) -> Seen<'static> {
        Seen::Addr(s.parse().unwrap())
    }

    #[test]
    fn addresses_and_every_covering_block_of_every_feed() {
        let set = set_of(&[
            "192.0.2.7\n10.0.0.0/8\n10.1.0.0/16\n2001:db8::/32\n",
            "10.1.2.3\n10.1.2.0/24\n10.1.2.3\n",
        ]);
        assert_eq!(set.feed(1).duplicates, 1);
        assert_eq!(
            hits(&set, ip("10.1.2.3"), 0),
            [
                ("feed0".into(), "10.0.0.0/8".into()),
                ("feed0".into(), "10.1.0.0/16".into()),
                ("feed1".into(), "10.1.2.0/24".into()),
                ("feed1".into(), "10.1.2.3".into()),
            ]
        );
        assert_eq!(hits(&set, ip("10.255.255.255"), 0).len(), 1);
        assert!(hits(&set, ip("11.0.0.0"), 0).is_empty());
        assert!(hits(&set, ip("9.255.255.255"), 0).is_empty());
        assert_eq!(hits(&set, ip("192.0.2.7"), 0).len(), 1);
        assert!(
            hits(&set, ip("192.0.2.8"), 0).is_empty(),
            "same /24, not listed"
        );
        assert_eq!(hits(&set, ip("2001:db8:ffff::1"), 0).len(), 1);
        assert!(hits(&set, ip("2001:db9::1"), 0).is_empty());
        // An address in a Host header or a name field is looked up as an address.
        assert_eq!(hits(&set, Seen::Domain("192.0.2.7"), 0).len(), 1);
    }

    #[test]
    fn adjacent_nested_and_whole_space_blocks() {
        let set = set_of(&[
            "10.0.0.0/25\n10.0.0.128/25\n10.0.0.0/24\n::/0\n",
            "0.0.0.0/0\n",
        ]);
        let n = |a: &str| hits(&set, ip(a), 0).len();
        assert_eq!(n("10.0.0.0"), 3);
        assert_eq!(n("10.0.0.127"), 3);
        assert_eq!(n("10.0.0.128"), 3);
        assert_eq!(n("10.0.0.255"), 3);
        assert_eq!(n("10.0.1.0"), 1, "only 0.0.0.0/0");
        assert_eq!(n("255.255.255.255"), 1);
        assert_eq!(n("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
    }

    #[test]
    fn no_ipv4_entries_means_no_ipv4_match() {
        let set = set_of(&["2001:db8::1\nevil.example\n"]);
        assert!(hits(&set, ip("0.0.0.0"), 0).is_empty());
        assert_eq!(hits(&set, ip("2001:db8::1"), 0).len(), 1);
    }

    #[test]
    fn domains_exact_and_listed_subdomains() {
        let set = set_of(&["evil.example\n*.bad.example\n", "bad.example\n"]);
        assert_eq!(hits(&set, Seen::Domain("evil.example"), 0).len(), 1);
        assert!(hits(&set, Seen::Domain("www.evil.example"), 0).is_empty());
        assert_eq!(
            hits(&set, Seen::Domain("a.b.bad.example"), 0),
            [("feed0".into(), "bad.example".into())]
        );
        assert_eq!(hits(&set, Seen::Domain("bad.example"), 0).len(), 2);
        assert!(hits(&set, Seen::Domain("notbad.example"), 0).is_empty());
    }

    #[test]
    fn digests_match_where_their_kind_is_seen() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        let set = set_of(&[
            &format!("{md5}\n"),
            &format!("#fields\tindicator\tindicator_type\n{md5}\tIntel::JA3\n"),
        ]);
        // The bare MD5 (feed0) matches anywhere an MD5-long digest is seen; the JA3 only as
        // a JA3.
        assert_eq!(
            hits(&set, Seen::Digest(IndicatorType::Ja3, md5), 0).len(),
            2
        );
        assert_eq!(
            hits(&set, Seen::Digest(IndicatorType::FileMd5, md5), 0),
            [("feed0".into(), md5.into())]
        );
        assert!(hits(&set, Seen::Digest(IndicatorType::CertSha1, md5), 0).is_empty());
    }

    #[test]
    fn user_agents_by_substring_and_pattern() {
        let set = set_of(&[
            "#fields\tindicator\tindicator_type\nEvilBot\tIntel::SOFTWARE\n",
            "#fields\tindicator\tindicator_type\tmeta.desc\nx\tIntel::SOFTWARE\t-\n",
        ]);
        assert_eq!(
            hits(&set, Seen::UserAgent("Mozilla/5.0 evilbot/1.2"), 0).len(),
            1
        );
        assert_eq!(
            hits(&set, Seen::UserAgent("xx"), 0).len(),
            1,
            "one hit per entry"
        );
        assert!(hits(&set, Seen::UserAgent("Mozilla/5.0"), 0).is_empty());
    }

    #[test]
    fn validity_windows_use_packet_time() {
        let bundle = r#"{"type":"bundle","objects":[{"type":"indicator","spec_version":"2.1",
            "id":"indicator--1","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z",
            "pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix",
            "valid_from":"2024-01-01T00:00:00Z","valid_until":"2024-02-01T00:00:00Z"}]}"#;
        let set = set_of(&[bundle]);
        let jan = 1_704_067_200_000_000_000 + 86_400_000_000_000;
        let mar = 1_709_251_200_000_000_000;
        assert_eq!(hits(&set, ip("198.51.100.1"), jan).len(), 1);
        assert!(hits(&set, ip("198.51.100.1"), mar).is_empty(), "expired");
        let mut out = Vec::new();
        set.lookup_any_time(ip("198.51.100.1"), &mut out);
        assert_eq!(out.len(), 1);
    }
}
