//! (to be written)

use super::FeedLoad;

pub(super) fn parse(_bytes: &[u8], _load: &mut FeedLoad) {}
