//! The seed network in int8: integer weights and arithmetic, a quarter of the f32 flash.
//!
//! The int8 file (`weights/mnist-int8.safetensors`, written by `cargo run --release --example
//! deploy -- quantize`) is checked and decoded when this crate compiles. Classification uses
//! integers only: the int8 input, `i32` sums, fixed-point requantisation and TFLite's integer
//! softmax; the float entry point only quantises the pixels first. Its scratch (the 128
//! hidden activations) is on the stack, so calls are re-entrant.

use liandan::prelude::*;
use liandan::quant::Int8Network;

/// Keeps the declaration's name, `Mnist`, which the int8 file records.
mod declared {
    use liandan::prelude::*;

    network! {
        /// The seed's MNIST classifier in int8, as `examples/deploy.rs quantize` wrote it.
        pub struct Mnist {
            input: [28, 28],
            Flatten,
            Dense<128, Relu>,
            Dropout<0.2>,
            Dense<10, Softmax>,
            weights: "weights/mnist-int8.safetensors",
        }
    }
}

use declared::{Mnist as MnistInt8, MnistScratch as MnistInt8Scratch};

use crate::{CLASSES, INPUTS};

/// The int8 network in read-only memory.
static INT8: MnistInt8 = MnistInt8::WEIGHTS;

/// The int8 outputs (probabilities in steps of 1/256 from -128) of a quantised image.
fn outputs(x: &Sample<i8, Hw<28, 28>>) -> [i8; CLASSES] {
    let mut y = SMatrix::<i8, CLASSES, 1>::zeroed();
    INT8.forward(x, &mut y, &mut MnistInt8Scratch::<1>::zeroed());
    let mut out = [0; CLASSES];
    out.copy_from_slice(y.as_slice());
    out
}

/// The class of the largest output, the first of equals.
pub(crate) fn class(out: &[i8; CLASSES]) -> u8 {
    (0..CLASSES).fold(0, |best, i| if out[i] > out[best] { i } else { best }) as u8
}

/// The digit an int8 image shows (784 values quantised with the network's input scale and
/// zero point, `liandan_int8_input_quantization`), its 10 int8 outputs written to `out` if
/// not null; 255 if `x` is null.
#[no_mangle]
pub extern "C" fn liandan_int8_classify(
    x: Option<&[i8; INPUTS]>,
    out: Option<&mut [i8; CLASSES]>,
) -> u8 {
    let Some(x) = x else {
        return u8::MAX;
    };
    let y = outputs(&Sample::<i8, Hw<28, 28>>::from_slice(x));
    if let Some(out) = out {
        *out = y;
    }
    class(&y)
}

/// [`liandan_int8_classify`] of float pixels in `[0, 1]`, quantised first.
#[no_mangle]
pub extern "C" fn liandan_int8_classify_pixels(
    pixels: Option<&[f32; INPUTS]>,
    out: Option<&mut [i8; CLASSES]>,
) -> u8 {
    let Some(pixels) = pixels else {
        return u8::MAX;
    };
    let input = INT8.input_quantization();
    let mut x = Sample::<i8, Hw<28, 28>>::zeroed();
    x.as_mut_slice()
        .iter_mut()
        .zip(pixels)
        .for_each(|(q, &p)| *q = input.quantize(p));
    let y = outputs(&x);
    if let Some(out) = out {
        *out = y;
    }
    class(&y)
}

/// The input's scale and zero point, for quantising images in C: `q = round(p / scale) +
/// zero_point`, clamped to int8.
#[no_mangle]
pub extern "C" fn liandan_int8_input_quantization(
    scale: Option<&mut f32>,
    zero_point: Option<&mut i32>,
) {
    let q = INT8.input_quantization();
    if let Some(scale) = scale {
        *scale = q.scale;
    }
    if let Some(zero_point) = zero_point {
        *zero_point = q.zero_point;
    }
}
