#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
#![warn(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod activation;
mod error;
mod float;
#[cfg(feature = "alloc")]
pub mod gradcheck;
pub mod init;
#[cfg(feature = "std")]
pub mod io;
pub mod layer;
pub mod layers;
pub mod linalg;
pub mod loss;
mod network;
pub mod optim;
mod trainer;
mod zeroed;

pub use error::Error;
pub use float::Float;
pub use layer::{Head, Layer, Params, Shape, Size, TensorInfo};
pub use network::{LayerInfo, Network, Summary};
pub use trainer::Trainer;
pub use zeroed::Zeroed;

/// Everything a program that declares and trains networks needs, in one `use`.
pub mod prelude {
    pub use crate::activation::{Gelu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Swish, Tanh};
    pub use crate::layer::{Layer, Params};
    pub use crate::loss::{
        BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanAbsoluteError, MeanSquaredError,
        SparseCategoricalCrossentropy,
    };
    pub use crate::optim::{Adam, Optimizer, Sgd};
    pub use crate::{Error, Float, Network, Trainer, Zeroed};
    pub use nalgebra::{SMatrix, SVector};
}
