//! Placeholder while the loss is written.
/// Placeholder.
#[derive(Clone, Copy, Debug, Default)]
pub struct BinaryCrossentropy;
