//! The convnet in int8: a quarter of the f32 convnet's flash, integer arithmetic only.
//!
//! The int8 file (`weights/convnet-int8.safetensors`, written by `cargo run --release
//! --example deploy -- quantize`) is checked and decoded when this crate compiles, as the
//! seed network's is (`int8.rs`): 35,824 bytes of `.rodata` against the f32 convnet's
//! 139,304. Its scratch (each convolution's image read in place, with room for the patches of
//! the pixels its pooling windows cover, and the activations of one image, 47,024 bytes) is too
//! large for a small stack, so it is a zero-initialised `static`
//! like the f32 convnet's, taken through [`Exclusive`]: a call made while another int8 convnet call is running is refused.

use liandan::prelude::*;
use liandan::quant::Int8Network;

/// Keeps the declaration's name, `Convnet`, which the int8 file records.
mod declared {
    use liandan::prelude::*;

    network! {
        /// keras.io's MNIST convnet in int8, as `examples/deploy.rs quantize` wrote it.
        pub struct Convnet {
            input: [28, 28, 1],
            Conv2D<32, 3x3, Relu>,
            MaxPooling2D<2>,
            Conv2D<64, 3x3, Relu>,
            MaxPooling2D<2>,
            Flatten,
            Dropout<0.5>,
            Dense<10, Softmax>,
            weights: "weights/convnet-int8.safetensors",
        }
    }
}

use declared::{Convnet as ConvnetInt8, ConvnetScratch as ConvnetInt8Scratch};

use crate::int8::class;
use crate::{Exclusive, CLASSES, INPUTS};

/// One image as the int8 convnet takes it.
type Image = Sample<i8, Hwc<28, 28, 1>>;

/// The int8 convnet in read-only memory.
static CONVNET_INT8: ConvnetInt8 = ConvnetInt8::WEIGHTS;

/// The int8 convnet's scratch for one image.
static CONVNET_INT8_SCRATCH: Exclusive<ConvnetInt8Scratch<1>> = Exclusive::new(liandan::zeroed());

/// The int8 outputs of a quantised image, or `None` if the scratch is busy.
fn outputs(x: &Image) -> Option<[i8; CLASSES]> {
    let mut y = SMatrix::<i8, CLASSES, 1>::zeroed();
    CONVNET_INT8_SCRATCH.with(|scratch| CONVNET_INT8.forward(x, &mut y, scratch))?;
    let mut out = [0; CLASSES];
    out.copy_from_slice(y.as_slice());
    Some(out)
}

/// The class of `x`'s outputs, which go to `out` if it is not null; 255 if the scratch is
/// busy, `out` then untouched.
fn classify(x: &Image, out: Option<&mut [i8; CLASSES]>) -> u8 {
    let Some(y) = outputs(x) else {
        return u8::MAX;
    };
    if let Some(out) = out {
        *out = y;
    }
    class(&y)
}

/// The digit the int8 convnet reads in an int8 image (784 values quantised with
/// `liandan_int8_convnet_input_quantization`), its 10 int8 outputs written to `out` if not
/// null; 255 if `x` is null or another int8 convnet call is running (`out` then untouched).
#[no_mangle]
pub extern "C" fn liandan_int8_convnet_classify(
    x: Option<&[i8; INPUTS]>,
    out: Option<&mut [i8; CLASSES]>,
) -> u8 {
    match x {
        Some(x) => classify(&Image::from_slice(x), out),
        None => u8::MAX,
    }
}

/// [`liandan_int8_convnet_classify`] of float pixels in `[0, 1]`, quantised first.
#[no_mangle]
pub extern "C" fn liandan_int8_convnet_classify_pixels(
    pixels: Option<&[f32; INPUTS]>,
    out: Option<&mut [i8; CLASSES]>,
) -> u8 {
    let Some(pixels) = pixels else {
        return u8::MAX;
    };
    let input = CONVNET_INT8.input_quantization();
    let mut x = Image::zeroed();
    x.as_mut_slice()
        .iter_mut()
        .zip(pixels)
        .for_each(|(q, &p)| *q = input.quantize(p));
    classify(&x, out)
}

/// The int8 convnet input's scale and zero point, for quantising images in C: `q = round(p /
/// scale) + zero_point`, clamped to int8.
#[no_mangle]
pub extern "C" fn liandan_int8_convnet_input_quantization(
    scale: Option<&mut f32>,
    zero_point: Option<&mut i32>,
) {
    let q = CONVNET_INT8.input_quantization();
    if let Some(scale) = scale {
        *scale = q.scale;
    }
    if let Some(zero_point) = zero_point {
        *zero_point = q.zero_point;
    }
}
