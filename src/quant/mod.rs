//! Integer inference: networks whose weights and activations are int8, computed with integer
//! arithmetic only, bit for bit as TFLite's integer kernels compute them.
//!
//! TFLite's scheme (its "full integer quantization"): a real value `r` is held as an integer
//! `q` with `r = scale·(q - zero_point)`. Activations are int8 with one scale and zero point
//! per tensor; weights are int8 with one scale per output channel and zero point 0, in
//! `[-127, 127]`; biases are int32 with scale `input_scale·kernel_scale`. A layer sums
//! `Σ (x - zp_in)·w + bias` exactly in an `i32`, then requantises it to its output's scale
//! with a fixed-point [`Multiplier`].
//!
//! A classifier's last step, [`Softmax`], turns int8 logits into int8 probabilities of fixed
//! scale 1/256 and zero point -128, with gemmlowp's fixed-point `exp` and reciprocal.

mod activation;
pub mod bytes;
#[cfg(feature = "std")]
mod calibrate;
mod conv2d;
mod conv2d_max_pool;
mod dense;
#[cfg(feature = "std")]
pub mod file;
mod fixed_point;
mod max_pooling;
mod multiplier;
mod network;
mod quantization;
mod quantize;
mod softmax;
#[cfg(feature = "std")]
mod tensors;

pub use activation::Int8Activation;
#[cfg(feature = "std")]
pub use calibrate::{calibrate, Calibration, CalibrationError};
pub use conv2d::{Conv2D, Int8Patches};
pub use conv2d_max_pool::{Conv2DMaxPool, Conv2DMaxPoolScratch, PooledPatches};
pub use dense::Dense;
pub use max_pooling::MaxPooling2D;
pub use multiplier::{rounding_divide_by_pot, rounding_doubling_high_mul, Multiplier, Rounding};
pub use network::{Int8Network, TensorSpec};
pub use quantization::Quantization;
#[cfg(feature = "std")]
pub use quantize::Int8Tensor;
pub use quantize::{Observe, Quantize, QuantizeTensors, Range};
pub use softmax::Softmax;
