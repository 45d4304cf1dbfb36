//! The element types a batch can hold: floats for training and inference, integers for
//! quantised inference.

use crate::Zeroed;

/// A value a batch or a tensor holds: `f32` and `f64` (see [`Float`](crate::Float)), and the
/// integers of quantised networks (`i8` activations and weights, `i32` accumulators and biases).
///
/// All-zero bytes are a valid value of every element ([`Zeroed`]), so buffers of any size are
/// built in place.
pub trait Element:
    nalgebra::Scalar + Copy + Default + PartialEq + Zeroed + Send + Sync + 'static
{
    /// The element's name in a safetensors file (`"F32"`, `"I8"`).
    const DTYPE: &'static str;
}

macro_rules! elements {
    ($($t:ty: $dtype:literal),*) => {$(
        impl Element for $t {
            const DTYPE: &'static str = $dtype;
        }
    )*};
}

elements!(f32: "F32", f64: "F64", i8: "I8", u8: "U8", i32: "I32", i64: "I64");
