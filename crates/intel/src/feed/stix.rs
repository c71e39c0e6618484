//! STIX 2.1 (to be written).

use super::FeedLoad;

pub(super) fn parse(_bytes: &[u8], _load: &mut FeedLoad) {}

/// Loads indicators from STIX objects already parsed (a TAXII envelope's `objects`).
pub fn parse_objects(_objects: &[serde_json::Value], _load: &mut FeedLoad) {}
