//! An int8 fully connected layer: `y = clamp(zp_out + M·(Σ_i (x_i - zp_in)·w_i + b))`, per
//! output channel `o` with its own multiplier `M[o] = s_in·s_w[o] / s_out`.
//!
//! The kernel is stored in groups of four inputs, `kernel[g][o] = [w[4g][o], .., w[4g+3][o]]`
//! (zeros past the last input), the layout the int8 dot-product instructions read: four
//! consecutive inputs of one sample times four weights of one output, summed into one `i32`.
//! The product reads each input as the unsigned `x + 128` (see `kernel::int8`), so the input's
//! zero point and that offset are folded into the bias, `b[o] - (zp_in + 128)·Σ_i w[i][o]`.
//! An input at zero point -128 (a ReLU's zero, an image's background) is then a zero the product
//! skips.

use core::marker::PhantomData;

use nalgebra::SMatrix;

use super::bytes::{f32_at, i32_at, quantization_at};
use super::{Int8Activation, Multiplier, Quantization, Rounding, Softmax};
use crate::activation::Identity;
use crate::kernel::int8::{gemm, Requantize};
use crate::layer::{Accepts, Forward};
use crate::shape::Flat;
use crate::Zeroed;

/// An int8 dense layer from `I` to `O` features, its kernel in `G = ⌈I/4⌉` groups of four
/// inputs, ending with activation `A` (identity, ReLU, or a softmax on the int8 logits).
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<const I: usize, const O: usize, const G: usize, A = Identity> {
    /// The weights, `kernel[g][o][j] = w[4g + j][o]`, symmetric int8 in `[-127, 127]`.
    pub kernel: [[[i8; 4]; O]; G],
    /// The bias in the accumulator's scale `s_in·s_w[o]`, with `-(zp_in + 128)·Σ_i w[i][o]`
    /// folded in: the bias of a product of the unsigned inputs `x + 128`.
    pub bias: [i32; O],
    /// The significand of each output channel's requantisation multiplier.
    pub multiplier: [i32; O],
    /// The power of two of each output channel's requantisation multiplier.
    pub shift: [i8; O],
    /// The quantisation of the output (of the logits, before a softmax).
    pub output: Quantization,
    /// The integer softmax of the logits, for a softmax head (computed from the logits'
    /// scale for every layer, 12 bytes, since a `const fn` cannot ask the activation).
    pub softmax: Softmax,
    activation: PhantomData<A>,
}

// Safety: integer arrays, a scale and zero point, and a PhantomData: all zeros are valid.
unsafe impl<const I: usize, const O: usize, const G: usize, A> Zeroed for Dense<I, O, G, A> {}

impl<const I: usize, const O: usize, const G: usize, A> Dense<I, O, G, A> {
    /// The tensors an int8 file holds for this layer, in the order [`load`](Dense::load)
    /// takes their offsets: `kernel` (I8 `[I, O]`, Keras' order), `bias` (I32 `[O]`),
    /// `kernel_scale` (F32 `[O]`), `output_scale` (F32 `[1]`), `output_zero_point` (I32 `[1]`).
    pub const TENSORS: usize = 5;

    /// Fills the layer from an int8 file's bytes, tensor `i` of [`TENSORS`](Dense::TENSORS)
    /// starting at `at[i]`, for inputs quantised as `input`. `const`, so that `network!`
    /// builds compiled-in int8 networks at compile time; the caller has checked every tensor's
    /// type and size (reading past `bytes` fails the compilation in `const`).
    pub const fn load(&mut self, bytes: &[u8], at: &[usize], input: Quantization) {
        assert!(G * 4 >= I && G * 4 < I + 4, "G must be ⌈I/4⌉");
        let (kernel, bias, kernel_scale) = (at[0], at[1], at[2]);
        self.output = quantization_at(bytes, at[3], at[4]);
        self.softmax = Softmax::new(self.output.scale);
        let mut o = 0;
        while o < O {
            let mut sum = 0i32;
            let mut i = 0;
            while i < I {
                let w = bytes[kernel + i * O + o] as i8;
                self.kernel[i / 4][o][i % 4] = w;
                sum += w as i32;
                i += 1;
            }
            let b = i32_at(bytes, bias + 4 * o);
            let offset = (input.zero_point + 128).wrapping_mul(sum);
            self.bias[o] = b.wrapping_sub(offset);
            let s_w = f32_at(bytes, kernel_scale + 4 * o);
            let m = Multiplier::of_scales(input.scale, s_w, self.output.scale);
            self.multiplier[o] = m.multiplier;
            self.shift[o] = m.shift as i8;
            o += 1;
        }
    }
}

impl<const I: usize, const O: usize, const G: usize, A: Int8Activation> Forward
    for Dense<I, O, G, A>
{
    type Element = i8;
    type Input = Flat<I>;
    type Output = Flat<O>;
    type Scratch<const B: usize> = ();

    /// One product over the batch (each sample a row of `I` int8 values), requantised per
    /// output channel; then the softmax of each sample's logits, for a softmax head.
    fn forward<const B: usize>(
        &self,
        x: &SMatrix<i8, I, B>,
        y: &mut SMatrix<i8, O, B>,
        _: &mut (),
    ) {
        let (min, max) = A::range(self.output.zero_point);
        let requantize = Requantize {
            bias: &self.bias,
            multiplier: &self.multiplier,
            shift: &self.shift,
            zero_point: self.output.zero_point,
            min,
            max,
            // TFLite's reference FULLY_CONNECTED rounds the product once.
            rounding: Rounding::Once,
        };
        let (x, y) = (x.as_slice(), y.as_mut_slice());
        gemm(x, B, I, I, self.kernel.as_flattened(), O, &requantize, y, O);
        if A::SOFTMAX {
            self.softmax.apply_rows::<O>(y);
        }
    }
}

impl<const I: usize, const O: usize, const G: usize, A: Int8Activation> Accepts<Flat<I>>
    for Dense<I, O, G, A>
{
}

impl<const I: usize, const O: usize, A: crate::activation::Activation> super::Observe
    for crate::layers::Dense<f32, I, O, A>
{
    /// Before a softmax, the logits (the pre-activation in the tape); else the output.
    fn observed<'a, const B: usize>(
        y: &'a SMatrix<f32, O, B>,
        z: &'a SMatrix<f32, O, B>,
    ) -> &'a [f32] {
        match A::HEAD {
            crate::Head::Softmax => z.as_slice(),
            _ => y.as_slice(),
        }
    }
}

impl<const I: usize, const O: usize, A> super::QuantizeTensors
    for crate::layers::Dense<f32, I, O, A>
{
    #[cfg(feature = "std")]
    fn int8_tensors(
        &self,
        input: Quantization,
        output: Quantization,
    ) -> std::vec::Vec<(&'static str, super::Int8Tensor)> {
        let (kernel, bias) = (self.kernel.as_slice(), self.bias.as_slice());
        super::tensors::layer(kernel, std::vec![I, O], bias, input, output)
    }
}
