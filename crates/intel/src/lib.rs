//! Threat intelligence for netloupe: indicators from the feed formats analysts use (plain
//! lists, abuse.ch CSVs, Zeek intel files, STIX 2.1, MISP, TAXII 2.1), normalised and indexed
//! so that every record of a run can be checked against millions of them at line rate.
//!
//! * [`indicator`]: the model (type, value, source feed, confidence, severity, tags, validity,
//!   reference).
//! * [`normalize`]: one canonical form per value, for feeds and traffic alike.
//! * [`feed`]: the format parsers; a bad line never stops a feed from loading.
//! * [`fetch`]: remote feeds: HTTP(S) through an on-disk cache (ETag/Last-Modified, refresh
//!   interval, stale copy when the server is unreachable), and TAXII 2.1 servers.
//! * [`set`]: [`IntelSet`], the indexed, immutable set that records are matched against.
//! * [`source`]: where feeds come from (files, HTTP(S) URLs, TAXII servers) and the config
//!   file's `[intel]` table; [`load_all`] builds the set.
//! * [`reload`]: the background thread that rebuilds the set on SIGHUP and on the refresh
//!   interval.
//!
//! What a record shows and where (Zeek's `seen.where`) is decided by the engine
//! (`netloupe-engine`'s `intel_match`), which knows the records; this crate knows only values.
#![forbid(unsafe_code)]

pub mod feed;
pub mod fetch;
pub mod indicator;
pub mod normalize;
pub mod reload;
pub mod set;
pub mod source;

pub use feed::{FeedFormat, FeedOptions};
pub use indicator::{Indicator, IndicatorMeta, IndicatorType, Severity};
pub use set::{FeedInfo, IntelSet, Seen};
pub use source::{load_all, FeedSpec, IntelConfig, LoadError};
