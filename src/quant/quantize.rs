//! What a float network offers its quantisation: the values calibration observes in a
//! training pass, and each layer's tensors in int8.

use super::{Int8Network, Quantization};
use crate::layer::{In, Out};
use crate::{Network, Train};

/// The smallest and largest value calibration saw in one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// The smallest value seen; `+∞` before any.
    pub min: f32,
    /// The largest value seen; `-∞` before any.
    pub max: f32,
}

impl Default for Range {
    fn default() -> Self {
        Range {
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
        }
    }
}

impl Range {
    /// Widens the range to hold every value of `values`.
    pub fn observe(&mut self, values: &[f32]) {
        for &v in values {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
    }

    /// The int8 quantisation of the range ([`Quantization::from_range`]).
    pub fn quantization(self) -> Quantization {
        Quantization::from_range(self.min, self.max)
    }
}

/// A float layer with an int8 form that requantises: which values of a training pass its
/// int8 output stands for.
pub trait Observe: Train<Element = f32> {
    /// Its output `y`, or the pre-activation its tape keeps when a softmax follows (the int8
    /// layer's requantised output is then the logits).
    fn observed<'a, const B: usize>(y: &'a Out<Self, B>, tape: &'a Self::Tape<B>) -> &'a [f32];
}

/// A tensor of an int8 file: its element type as safetensors names it, its shape, and its
/// little-endian bytes.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq)]
pub struct Int8Tensor {
    /// `I8`, `I32` or `F32`.
    pub dtype: &'static str,
    /// Keras' axis order.
    pub shape: std::vec::Vec<usize>,
    /// The values, row-major.
    pub bytes: std::vec::Vec<u8>,
}

/// A float layer's tensors in int8, for quantising a trained network.
pub trait QuantizeTensors {
    /// Its int8 tensors, named as the int8 layer's `load` takes them (`kernel`, `bias`, ..),
    /// for inputs quantised as `input` and outputs as `output`: the kernel symmetric per
    /// output channel, `scale = max|w| / 127`, and the bias in `input.scale · scale`.
    #[cfg(feature = "std")]
    fn int8_tensors(
        &self,
        input: Quantization,
        output: Quantization,
    ) -> std::vec::Vec<(&'static str, Int8Tensor)>;
}

/// A float network with an int8 form, which `network!` implements for every declaration
/// whose layers all have one: `Mnist` names `MnistInt8`.
pub trait Quantize: Train<Element = f32> + Network {
    /// The int8 network.
    type Int8: Int8Network<Input = Self::Input, Output = Self::Output>;
    /// How many tensors calibration observes: the input, and each layer that requantises.
    const OBSERVED: usize;

    /// Widens `ranges` (`OBSERVED` of them) to hold the input `x` and every observed value
    /// of a training pass that gave `y` and filled `tape`.
    fn observe<const B: usize>(
        &self,
        x: &In<Self, B>,
        y: &Out<Self, B>,
        tape: &Self::Tape<B>,
        ranges: &mut [Range],
    );

    /// Visits each layer that requantises, in order, with its field name.
    fn int8_layers(&self, visit: &mut dyn FnMut(&'static str, &dyn QuantizeTensors));
}
