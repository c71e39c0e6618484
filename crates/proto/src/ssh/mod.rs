//! (skeleton: being written)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SshRecord {}
