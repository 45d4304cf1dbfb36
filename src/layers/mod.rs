//! The layers, one per file: struct, forward, backward (the math in its docs), tests.

mod activation;
mod average_pooling;
mod chain;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod global_average_pooling;
mod max_pooling;
mod normalization;
pub(crate) mod window;

pub use activation::Activation;
pub use average_pooling::AveragePooling2D;
pub use chain::{Chain, ChainScratch, ChainTape};
pub use conv2d::{Conv2D, Conv2DScratch, Conv2DTape, Kernel, Patches};
pub use dense::Dense;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use global_average_pooling::GlobalAveragePooling2D;
pub use max_pooling::{MaxPooling2D, MaxPoolingTape};
pub use normalization::Normalization;
pub use window::{Padding, Same, Valid};
