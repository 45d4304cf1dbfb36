//! Integer inference: networks whose weights and activations are int8, computed with integer
//! arithmetic only, bit for bit as TFLite's integer kernels compute them.
//!
//! TFLite's scheme (its "full integer quantization"): a real value `r` is held as an integer
//! `q` with `r = scale·(q - zero_point)`. Activations are int8 with one scale and zero point
//! per tensor; weights are int8 with one scale per output channel and zero point 0, in
//! `[-127, 127]`; biases are int32 with scale `input_scale·kernel_scale`. A layer sums
//! `Σ (x - zp_in)·w + bias` exactly in an `i32`, then requantises it to its output's scale
//! with a fixed-point [`Multiplier`].

mod activation;
pub mod bytes;
#[cfg(feature = "std")]
mod calibrate;
mod conv2d;
mod dense;
#[cfg(feature = "std")]
pub mod file;
mod max_pooling;
mod multiplier;
mod network;
mod quantization;
mod quantize;
#[cfg(feature = "std")]
mod tensors;

pub use activation::Int8Activation;
#[cfg(feature = "std")]
pub use calibrate::{calibrate, Calibration, CalibrationError};
pub use conv2d::{Conv2D, Int8Patches};
pub use dense::Dense;
pub use max_pooling::MaxPooling2D;
pub use multiplier::{rounding_divide_by_pot, rounding_doubling_high_mul, Multiplier};
pub use network::{Int8Network, TensorSpec};
pub use quantization::Quantization;
#[cfg(feature = "std")]
pub use quantize::Int8Tensor;
pub use quantize::{Observe, Quantize, QuantizeTensors, Range};
