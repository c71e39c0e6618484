//! (skeleton: being written)
