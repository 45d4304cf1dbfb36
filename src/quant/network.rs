//! What `network!` generates for an int8 network, and what the float network it quantises
//! offers calibration.

use super::Quantization;
use crate::layer::Forward;
use crate::Zeroed;

/// A tensor of an int8 file: its name, element type and shape (Keras' axis order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    /// `dense_1.kernel`.
    pub name: &'static str,
    /// As safetensors names it: `I8`, `I32`, `F32`.
    pub dtype: &'static str,
    /// `[784, 128]`.
    pub shape: &'static [usize],
}

/// An int8 network `network!` declared: an integer-only [`Forward`] whose tensors an int8
/// file holds.
///
/// A declaration whose `weights:` file is int8 is one (with a `const WEIGHTS` decoded at
/// compile time), and every float network whose layers all have int8 forms names one as
/// [`Quantize::Int8`](super::Quantize::Int8) (`MnistInt8` for `Mnist`).
pub trait Int8Network: Forward<Element = i8> + Zeroed {
    /// The float declaration it quantises, as weight files record it.
    const ARCHITECTURE: &'static str;
    /// Every tensor of its int8 file, in the order [`load`](Int8Network::load) takes them.
    const TENSORS: &'static [TensorSpec];

    /// How a real input is quantised.
    fn input_quantization(&self) -> Quantization;

    /// What the int8 outputs stand for: `(1/256, -128)` after a softmax.
    fn output_quantization(&self) -> Quantization;

    /// Fills the network from an int8 file's bytes, tensor `i` of
    /// [`TENSORS`](Int8Network::TENSORS) starting at `at[i]`; the caller has checked every
    /// tensor's type, size and values.
    fn load(&mut self, bytes: &[u8], at: &[usize]);
}
