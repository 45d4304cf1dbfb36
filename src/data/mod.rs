//! Data for training: datasets, their files, splits and batches (with the `std` feature).

mod error;
pub mod idx;

pub use error::DataError;
pub use idx::{read_idx, read_images, read_labels, IdxArray, Images};
