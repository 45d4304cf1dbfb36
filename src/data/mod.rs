//! Data for training: datasets, their files, splits and batches (with the `std` feature).
//!
//! - A **sample** is one example the network learns from: an input and its target.
//! - A **feature vector** is a sample's input: values of one [shape](crate::shape), such as
//!   the 4 numbers of a [`Flat<4>`](crate::shape::Flat) or an MNIST image's 28×28 pixels, a
//!   [`Hw<28, 28>`](crate::shape::Hw).
//! - A **label** is a sample's class, an index below the number of classes; a regression
//!   sample has real-valued **targets** instead.
//! - A **dataset** is a list of samples of one shape `S`: a [`Dataset<T, S>`].
//!
//! Files come in as IDX ([`idx`], MNIST's format, plain or gzip) or numeric CSV ([`csv`]);
//! [`Dataset::split`] and [`Dataset::validation_split`] cut a dataset into parts;
//! [`Standardizer`] scales features by statistics of the training part; [`Dataset::batches`]
//! walks an epoch, filling a caller's batch of shape `S`
//! ([`shape::Batch<T, S, B>`](crate::shape::Batch)) without allocating.
//!
//! ```
//! use liandan::data::{shuffled_indices, Dataset};
//! use liandan::shape::{Batch, Hw};
//! use liandan::Zeroed;
//!
//! let mnist = Dataset::<f32, Hw<28, 28>>::from_idx(
//!     "data/mnist/mnist-10k-images-idx3-ubyte.gz",
//!     "data/mnist/mnist-10k-labels-idx1-ubyte.gz",
//!     10,
//! )?;
//! let (train, _eval, _test) = mnist.split((0.8, 0.1, 0.1), 42, true)?;
//! // 32 images of 28×28 are 100 KB: on the heap, allocated once.
//! let (mut x, mut y) = (Batch::<f32, Hw<28, 28>, 32>::boxed(), [0usize; 32]);
//! let mut order = shuffled_indices(train.len(), 42);
//! for epoch in 0..2 {
//!     liandan::data::shuffle(&mut order, 42 + epoch);
//!     let mut seen = 0;
//!     for batch in train.batches::<32>(&order) {
//!         let n = batch.fill(&mut x, &mut y)?;
//!         seen += n; // here: a trainer step on the first n samples
//!     }
//!     assert_eq!(seen, train.len());
//! }
//! # Ok::<(), liandan::data::DataError>(())
//! ```

mod batch;
pub mod csv;
mod dataset;
mod error;
pub mod idx;
mod shuffle;
mod split;
mod standardize;
mod targets;

pub use batch::{Batch, BatchTargets, Batches};
pub use csv::{read_csv, CsvOptions, Header, Table, Target};
pub use dataset::Dataset;
pub use error::{DataError, DataErrorKind, Place};
pub use idx::{read_idx, read_images, read_labels, IdxArray, Images};
pub use shuffle::{shuffle, shuffled_indices};
pub use standardize::Standardizer;
pub use targets::Targets;
