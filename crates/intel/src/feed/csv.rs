//! CSV feeds (to be written): column mapping and abuse.ch presets.

use super::{CsvMapping, FeedLoad};

/// The CSV layouts netloupe knows by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvPreset {
    Feodo,
    Urlhaus,
    Threatfox,
    Sslbl,
    SslblJa3,
}

impl CsvPreset {
    /// Recognises a preset from a file's leading comment/header lines.
    pub fn detect(_head: &str) -> Option<CsvPreset> {
        None
    }
}

pub(super) fn parse(_bytes: &[u8], _mapping: Option<&CsvMapping>, _load: &mut FeedLoad) {}
