#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
#![warn(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod activation;
#[cfg(feature = "std")]
pub mod data;
mod element;
pub mod embed;
mod error;
mod float;
#[cfg(feature = "alloc")]
pub mod gradcheck;
pub mod init;
#[cfg(feature = "std")]
pub mod io;
mod kernel;
pub mod layer;
pub mod layers;
pub mod linalg;
pub mod loss;
pub mod metrics;
mod network;
pub mod optim;
mod parallel;
pub mod quant;
pub mod rng;
pub mod shape;
#[cfg(feature = "std")]
pub mod tour;
#[cfg(feature = "std")]
pub mod train;
mod trainer;
mod zeroed;

pub use element::Element;
pub use error::{Error, LabelOutOfRange, TensorInfoError};
pub use float::Float;
pub use layer::{Accepts, Buffers, Forward, Head, Params, TensorInfo, Train};
pub use network::{LayerInfo, Network, Summary};
pub use trainer::Trainer;
pub use zeroed::{zeroed, Zeroed};

/// Everything a program that declares and trains networks needs, in one `use`.
pub mod prelude {
    pub use crate::activation::{Gelu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Swish, Tanh};
    pub use crate::layer::{Forward, Params, Scratch, Train};
    pub use crate::loss::{
        BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanAbsoluteError, MeanSquaredError,
        SparseCategoricalCrossentropy,
    };
    pub use crate::metrics::Metric;
    pub use crate::optim::{Adam, Optimizer, Sgd};
    pub use crate::shape::{Batch, Buffer, Flat, Hw, Hwc, Sample};
    #[cfg(feature = "std")]
    pub use crate::train::{FitOptions, Model, Verbosity};
    pub use crate::{network, Error, Float, Network, Trainer, Zeroed};
    pub use nalgebra::{SMatrix, SVector};
}

/// Declares a network as a type; see the crate documentation for the grammar.
///
/// ```
/// use liandan::prelude::*;
///
/// network! {
///     /// The seed's MNIST classifier.
///     pub struct Mnist {
///         input: [28, 28],
///         Flatten,
///         Dense<128, Relu>,
///         Dropout<0.2>,
///         Dense<10, Softmax>,
///     }
/// }
///
/// assert_eq!(Mnist::<f32>::PARAMS, 101_770);
/// assert_eq!(Mnist::<f32>::INPUT, 784);
/// ```
#[macro_export]
macro_rules! network {
    ($($declaration:tt)*) => {
        $crate::__private::network! { [$crate] $($declaration)* }
    };
}

/// Paths the expansion of `network!` uses; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use liandan_macros::network;
    pub use nalgebra::SMatrix;
    pub use rand::RngCore;

    pub use crate::parallel::SPARES;

    /// The int8 matrix product, for the benchmarks (`benches/main.rs`).
    pub use crate::kernel::int8::{gemm as int8_gemm, Requantize};
}
