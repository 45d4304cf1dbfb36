//! Non-trainable tensors ([`Buffers`]) in files: each in its own element type, beside the
//! parameters, named like them (`normalization_1.mean`).
//!
//! A buffer is read exactly: the file's element type and shape must be the buffer's (no
//! conversion, no PyTorch reordering: buffers are kept as Keras keeps them), and a float buffer
//! that is not finite is refused unless [`LoadOptions::allowing_non_finite`] says otherwise.

use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::Dtype;

use crate::io::file::{File, Tensor, TensorRef};
use crate::io::names::Spec;
use crate::io::{LoadOptions, WeightsErrorKind};
use crate::layer::{BufferMut, BufferRef};
use crate::Buffers;

/// The file tensors of `p`'s buffers, named as `specs` say.
pub(crate) fn encode<P: Buffers>(p: &P, specs: &[Spec]) -> Vec<(String, Tensor)> {
    let buffers = (0..P::BUFFERS).filter_map(|i| p.buffer(i));
    let tensors = buffers.zip(specs).map(|(buffer, spec)| {
        let (dtype, bytes) = bytes(buffer);
        let shape = spec.shape.clone();
        let tensor = Tensor {
            dtype,
            shape,
            bytes,
        };
        (spec.name.clone(), tensor)
    });
    tensors.collect()
}

/// The element type and little-endian bytes of a buffer.
fn bytes(buffer: BufferRef<'_>) -> (Dtype, Vec<u8>) {
    fn le<const N: usize, X: Copy>(values: &[X], f: impl Fn(X) -> [u8; N]) -> Vec<u8> {
        values.iter().flat_map(|&x| f(x)).collect()
    }
    match buffer {
        BufferRef::F32(v) => (Dtype::F32, le(v, f32::to_le_bytes)),
        BufferRef::F64(v) => (Dtype::F64, le(v, f64::to_le_bytes)),
        BufferRef::I8(v) => (Dtype::I8, le(v, i8::to_le_bytes)),
        BufferRef::U8(v) => (Dtype::U8, v.to_vec()),
        BufferRef::I32(v) => (Dtype::I32, le(v, i32::to_le_bytes)),
        BufferRef::I64(v) => (Dtype::I64, le(v, i64::to_le_bytes)),
    }
}

/// The element type of a buffer.
fn dtype(buffer: BufferRef<'_>) -> Dtype {
    match buffer {
        BufferRef::F32(_) => Dtype::F32,
        BufferRef::F64(_) => Dtype::F64,
        BufferRef::I8(_) => Dtype::I8,
        BufferRef::U8(_) => Dtype::U8,
        BufferRef::I32(_) => Dtype::I32,
        BufferRef::I64(_) => Dtype::I64,
    }
}

/// The file's tensor for each buffer of `p`, checked for presence, element type, shape and
/// (for floats) finite values.
pub(crate) fn checked<'f, P: Buffers>(
    p: &P,
    file: &'f File<'_>,
    specs: &[Spec],
    options: &LoadOptions,
) -> Result<Vec<TensorRef<'f>>, WeightsErrorKind> {
    let buffers = (0..P::BUFFERS).filter_map(|i| p.buffer(i));
    let checks = buffers.zip(specs).map(|(buffer, spec)| {
        let found = file
            .tensor(&spec.name)
            .ok_or_else(|| WeightsErrorKind::Missing(spec.name.clone()))?;
        let expected = dtype(buffer);
        if found.dtype != expected {
            return Err(WeightsErrorKind::Dtype {
                tensor: spec.name.clone(),
                file: found.dtype.to_string(),
                expected: dtype_name(expected),
            });
        }
        if found.shape != spec.shape.as_slice() {
            return Err(WeightsErrorKind::Shape {
                tensor: spec.name.clone(),
                file: found.shape.to_vec(),
                expected: spec.shape.clone(),
            });
        }
        finite(&found, spec, options)?;
        Ok(found)
    });
    checks.collect()
}

/// Safetensors' name of a buffer's element type.
fn dtype_name(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::F32 => "F32",
        Dtype::F64 => "F64",
        Dtype::I8 => "I8",
        Dtype::U8 => "U8",
        Dtype::I32 => "I32",
        _ => "I64",
    }
}

/// A float tensor's values must be finite unless `options` allow otherwise.
fn finite(src: &TensorRef<'_>, spec: &Spec, options: &LoadOptions) -> Result<(), WeightsErrorKind> {
    if options.allow_non_finite {
        return Ok(());
    }
    let mut values = Vec::new();
    match src.dtype {
        Dtype::F32 => decode(&mut values, src.bytes, |b| f64::from(f32::from_le_bytes(b))),
        Dtype::F64 => decode(&mut values, src.bytes, f64::from_le_bytes),
        _ => return Ok(()),
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(WeightsErrorKind::NonFinite {
            tensor: spec.name.clone(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Copies the checked file tensors into `p`'s buffers, bit for bit.
pub(crate) fn copy<P: Buffers>(p: &mut P, sources: &[TensorRef<'_>]) {
    for (i, src) in sources.iter().enumerate() {
        let Some(buffer) = p.buffer_mut(i) else {
            continue;
        };
        let bytes = src.bytes;
        match buffer {
            BufferMut::F32(v) => overwrite(v, bytes, f32::from_le_bytes),
            BufferMut::F64(v) => overwrite(v, bytes, f64::from_le_bytes),
            BufferMut::I8(v) => overwrite(v, bytes, i8::from_le_bytes),
            BufferMut::U8(v) => overwrite(v, bytes, u8::from_le_bytes),
            BufferMut::I32(v) => overwrite(v, bytes, i32::from_le_bytes),
            BufferMut::I64(v) => overwrite(v, bytes, i64::from_le_bytes),
        }
    }
}

/// `out` from the little-endian `bytes`, `N` bytes a value; the caller has checked the length.
fn overwrite<const N: usize, X>(out: &mut [X], bytes: &[u8], f: impl Fn([u8; N]) -> X) {
    for (x, word) in out.iter_mut().zip(words(bytes)) {
        *x = f(word);
    }
}

/// `out` extended with the values of `bytes`.
fn decode<const N: usize, X>(out: &mut Vec<X>, bytes: &[u8], f: impl Fn([u8; N]) -> X) {
    out.extend(words(bytes).map(f));
}

/// The `N`-byte words of `bytes`.
fn words<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes.chunks_exact(N).map(|b| {
        let mut word = [0; N];
        word.copy_from_slice(b);
        word
    })
}
