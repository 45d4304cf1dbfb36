//! The layers, one per file: struct, forward, backward (the math in its docs), tests.

mod activation;
mod chain;
mod dense;
mod dropout;
mod flatten;
mod normalization;

pub use activation::Activation;
pub use chain::{Chain, ChainScratch, ChainTape};
pub use dense::Dense;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use normalization::Normalization;
