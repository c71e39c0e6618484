//! (skeleton: being written)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SslRecord {}
#[derive(Debug, Clone, PartialEq, Default)]
pub struct X509Record {}
