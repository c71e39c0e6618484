//! TAXII 2.1 client (to be written).

use super::{FetchConfig, FetchError, Remote};
use crate::source::FeedSpec;

/// Reads the STIX objects of a TAXII server's collections.
pub fn fetch(spec: &FeedSpec, _cfg: &FetchConfig) -> Result<Remote, FetchError> {
    Err(FetchError(format!(
        "TAXII {} is not written yet",
        spec.location
    )))
}
