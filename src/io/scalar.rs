//! Scalars to and from little-endian bytes, exactly when the types match.
//!
//! [`Float`] is sealed to `f32` and `f64`, so the element type of a file is known from `T`.
//! Values of the same type move bit for bit (NaN payloads included) through a safe downcast;
//! only an explicit conversion rounds through `f64`.

use core::any::{Any, TypeId};
use std::vec::Vec;

use safetensors::Dtype;

use crate::Float;

/// The safetensors element type of `T`.
pub(crate) fn dtype_of<T: Float>() -> Dtype {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// `"f32"` or `"f64"`, for the file's metadata.
pub(crate) fn scalar_name<T: Float>() -> &'static str {
    match dtype_of::<T>() {
        Dtype::F32 => "f32",
        _ => "f64",
    }
}

/// Safetensors' name of a dtype liandan reads (`F32`, `I64`); `another type` for the rest.
pub(crate) fn dtype_name(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::F32 => "F32",
        Dtype::F64 => "F64",
        Dtype::I8 => "I8",
        Dtype::U8 => "U8",
        Dtype::I32 => "I32",
        Dtype::I64 => "I64",
        Dtype::U64 => "U64",
        _ => "another type",
    }
}

/// Whether a file tensor of type `file` can be read into `T`, converting only if allowed.
pub(crate) fn readable<T: Float>(file: Dtype, convert: bool) -> bool {
    file == dtype_of::<T>() || (convert && matches!(file, Dtype::F32 | Dtype::F64))
}

/// The little-endian bytes of `values`.
pub(crate) fn encode<T: Float>(values: &[T]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(core::mem::size_of_val(values));
    for x in values {
        match (x as &dyn Any).downcast_ref::<f32>() {
            Some(v) => bytes.extend_from_slice(&v.to_le_bytes()),
            // `T` is `f64`, so `to_f64` is the identity.
            None => bytes.extend_from_slice(&x.to_f64().to_le_bytes()),
        }
    }
    bytes
}

/// How many elements of type `dtype` (`F32` or `F64`) `bytes` hold.
pub(crate) fn count(bytes: &[u8], dtype: Dtype) -> usize {
    match dtype {
        Dtype::F32 => bytes.len() / 4,
        _ => bytes.len() / 8,
    }
}

/// Element `j` of little-endian `bytes` of type `dtype` (`F32` or `F64`), as a `T`.
pub(crate) fn read<T: Float>(bytes: &[u8], dtype: Dtype, j: usize) -> T {
    match dtype {
        Dtype::F32 => cast(f32::from_le_bytes(chunk(bytes, j))),
        _ => cast(f64::from_le_bytes(chunk(bytes, j))),
    }
}

/// The `j`-th `N`-byte chunk of `bytes`; the caller has checked the length.
fn chunk<const N: usize>(bytes: &[u8], j: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[j * N..(j + 1) * N]);
    out
}

/// `x` as a `T`: moved bit for bit if `S` is `T`, else rounded to nearest through `f64`.
fn cast<T: Float, S: Float>(x: S) -> T {
    let mut out = T::zero();
    match (&mut out as &mut dyn Any).downcast_mut::<S>() {
        Some(same) => *same = x,
        None => out = T::of(x.to_f64()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_type_moves_bits_exactly() {
        let nan = f32::from_bits(0x7fc0_1234);
        let bytes = encode(&[1.5f32, nan]);
        assert_eq!(read::<f32>(&bytes, Dtype::F32, 1).to_bits(), nan.to_bits());
        assert_eq!(read::<f32>(&bytes, Dtype::F32, 0), 1.5);
    }

    #[test]
    fn f64_rounds_to_nearest_f32() {
        let bytes = encode(&[0.1f64]);
        assert_eq!(read::<f32>(&bytes, Dtype::F64, 0), 0.1f32);
        assert_eq!(
            read::<f64>(&encode(&[0.1f32]), Dtype::F32, 0),
            0.1f32 as f64
        );
    }

    #[test]
    fn conversion_only_when_asked() {
        assert!(readable::<f32>(Dtype::F32, false));
        assert!(!readable::<f32>(Dtype::F64, false));
        assert!(readable::<f32>(Dtype::F64, true));
        assert!(!readable::<f64>(Dtype::F16, true));
    }
}
