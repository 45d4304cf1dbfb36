//! The element types a batch can hold: floats for training and inference, integers for
//! quantised inference.

use crate::layer::{BufferMut, BufferRef};
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

    /// `values` as a non-trainable tensor, for [`Buffers`](crate::Buffers).
    fn buffer(values: &[Self]) -> BufferRef<'_>;

    /// `values` as a non-trainable tensor, mutably.
    fn buffer_mut(values: &mut [Self]) -> BufferMut<'_>;
}

macro_rules! elements {
    ($($t:ty: $dtype:literal $variant:ident),*) => {$(
        impl Element for $t {
            const DTYPE: &'static str = $dtype;

            fn buffer(values: &[Self]) -> BufferRef<'_> {
                BufferRef::$variant(values)
            }

            fn buffer_mut(values: &mut [Self]) -> BufferMut<'_> {
                BufferMut::$variant(values)
            }
        }
    )*};
}

elements!(f32: "F32" F32, f64: "F64" F64, i8: "I8" I8, u8: "U8" U8, i32: "I32" I32, i64: "I64" I64);
