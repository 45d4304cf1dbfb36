//! A trained float layer's tensors in int8: the kernel symmetric per output channel, the bias
//! in the accumulator's scale, and the output's quantisation.

use std::vec::Vec;

use super::{Int8Tensor, Quantization};

/// The int8 tensors of a layer whose kernel `kernel` (row-major in `shape`, the output
/// channel fastest, as Keras stores dense and convolution kernels) has one bias per channel.
///
/// Each channel's scale is `max|w| / 127` (1 for a channel of zeros), so its weights round to
/// `[-127, 127]`; the bias is `round(b / (s_in·s_w))` in `i32`, as TFLite quantises it.
pub(crate) fn layer(
    kernel: &[f32],
    shape: Vec<usize>,
    bias: &[f32],
    input: Quantization,
    output: Quantization,
) -> Vec<(&'static str, Int8Tensor)> {
    let channels = bias.len();
    let mut scales = std::vec![0.0f32; channels];
    for (j, w) in kernel.iter().enumerate() {
        let s = &mut scales[j % channels];
        *s = s.max(w.abs());
    }
    for s in &mut scales {
        *s = if *s > 0.0 && s.is_finite() {
            *s / 127.0
        } else {
            1.0
        };
    }
    let weights = kernel.iter().enumerate().map(|(j, w)| {
        let q = (w / scales[j % channels]).round().clamp(-127.0, 127.0);
        q as i8 as u8
    });
    let biases = bias.iter().zip(&scales).map(|(b, s)| {
        let q = (f64::from(*b) / (f64::from(input.scale) * f64::from(*s))).round();
        q.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
    });
    std::vec![
        ("kernel", tensor("I8", shape, weights.collect())),
        ("bias", words("I32", biases.map(i32::to_le_bytes))),
        (
            "kernel_scale",
            words("F32", scales.iter().map(|s| s.to_le_bytes()))
        ),
        (
            "output_scale",
            words("F32", [output.scale.to_le_bytes()].into_iter())
        ),
        (
            "output_zero_point",
            words("I32", [output.zero_point.to_le_bytes()].into_iter())
        ),
    ]
}

/// The tensors of an int8 network's input: its scale and zero point.
pub(crate) fn input(q: Quantization) -> [(&'static str, Int8Tensor); 2] {
    [
        (
            "input.scale",
            words("F32", [q.scale.to_le_bytes()].into_iter()),
        ),
        (
            "input.zero_point",
            words("I32", [q.zero_point.to_le_bytes()].into_iter()),
        ),
    ]
}

fn tensor(dtype: &'static str, shape: Vec<usize>, bytes: Vec<u8>) -> Int8Tensor {
    Int8Tensor {
        dtype,
        shape,
        bytes,
    }
}

/// A vector of four-byte values.
fn words(dtype: &'static str, values: impl Iterator<Item = [u8; 4]>) -> Int8Tensor {
    let bytes: Vec<u8> = values.flatten().collect();
    tensor(dtype, std::vec![bytes.len() / 4], bytes)
}
