//! Data for training: datasets, their files, splits and batches (with the `std` feature).

pub mod csv;
mod dataset;
mod error;
pub mod idx;
mod shuffle;
mod split;
mod standardize;
mod targets;

pub use csv::{read_csv, CsvOptions, Header, Table, Target};
pub use dataset::Dataset;
pub use error::DataError;
pub use idx::{read_idx, read_images, read_labels, IdxArray, Images};
pub use shuffle::{shuffle, shuffled_indices};
pub use standardize::Standardizer;
pub use targets::Targets;
