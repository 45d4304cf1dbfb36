//! Non-trainable tensors ([`Buffers`]) in files: each in its own element type, beside the
//! parameters, named like them (`normalization_1.mean`).
//!
//! A buffer's shape must be the file's (no PyTorch reordering: buffers are kept as Keras keeps
//! them). An integer buffer is read exactly, in its own element type. A float buffer is read as
//! parameters are: in its own element type, or from the other float width with
//! [`LoadOptions::converting`] (a finite `f64` beyond `f32`'s range refused, not made infinite);
//! not finite only with [`LoadOptions::allowing_non_finite`].

use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::Dtype;

use crate::io::check;
use crate::io::file::{File, Tensor, TensorRef};
use crate::io::names::Spec;
use crate::io::scalar::{dtype_name, read};
use crate::io::{LoadOptions, WeightsErrorKind};
use crate::layer::{BufferMut, BufferRef};
use crate::{Buffers, Float};

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
/// (for floats) values, as [`check::values`] checks parameters.
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
        if !readable(found.dtype, expected, options.convert) {
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
        match buffer {
            BufferRef::F32(_) => check::values::<f32>(&found, spec, options, spec.non_negative)?,
            BufferRef::F64(_) => check::values::<f64>(&found, spec, options, spec.non_negative)?,
            _ => {}
        }
        Ok(found)
    });
    checks.collect()
}

/// Whether a file tensor of type `file` can be read into a buffer of type `buffer`: the same
/// type, or (if converting) one float width into the other.
fn readable(file: Dtype, buffer: Dtype, convert: bool) -> bool {
    let float = |d: Dtype| matches!(d, Dtype::F32 | Dtype::F64);
    file == buffer || (convert && float(file) && float(buffer))
}

/// Copies the checked file tensors into `p`'s buffers: bit for bit in the same type, a float
/// of the other width rounded to nearest.
pub(crate) fn copy<P: Buffers>(p: &mut P, sources: &[TensorRef<'_>]) {
    for (i, src) in sources.iter().enumerate() {
        let Some(buffer) = p.buffer_mut(i) else {
            continue;
        };
        let bytes = src.bytes;
        match buffer {
            BufferMut::F32(v) => floats(v, src),
            BufferMut::F64(v) => floats(v, src),
            BufferMut::I8(v) => overwrite(v, bytes, i8::from_le_bytes),
            BufferMut::U8(v) => overwrite(v, bytes, u8::from_le_bytes),
            BufferMut::I32(v) => overwrite(v, bytes, i32::from_le_bytes),
            BufferMut::I64(v) => overwrite(v, bytes, i64::from_le_bytes),
        }
    }
}

/// `out` from the checked float tensor `src`, of either width.
fn floats<T: Float>(out: &mut [T], src: &TensorRef<'_>) {
    for (j, x) in out.iter_mut().enumerate() {
        *x = read(src.bytes, src.dtype, j);
    }
}

/// `out` from the little-endian `bytes`, `N` bytes a value; the caller has checked the length.
fn overwrite<const N: usize, X>(out: &mut [X], bytes: &[u8], f: impl Fn([u8; N]) -> X) {
    for (x, word) in out.iter_mut().zip(words(bytes)) {
        *x = f(word);
    }
}

/// The `N`-byte words of `bytes`.
fn words<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes.chunks_exact(N).map(|b| {
        let mut word = [0; N];
        word.copy_from_slice(b);
        word
    })
}

#[cfg(test)]
mod tests {
    use crate::io::{params_from_bytes, params_to_bytes, LoadOptions, WeightsErrorKind};
    use crate::rng::SplitMix64;
    use crate::{Network, Zeroed};

    crate::network! {
        #[derive(Debug, PartialEq)]
        struct Scaled { input: [2], Normalization, Dense<2> }
    }

    /// An `f64` network whose statistics are set, and its file.
    fn wide() -> (Scaled<f64>, std::vec::Vec<u8>) {
        let mut net = Scaled::<f64>::new(&mut SplitMix64::new(3));
        net.normalization_1.adapt(&[0.1, 10.0, 0.7, 30.0]).unwrap();
        let bytes = params_to_bytes(&net).unwrap();
        (net, bytes)
    }

    #[test]
    fn float_buffers_convert_like_parameters() {
        let (net, bytes) = wide();
        let mut narrow = Scaled::<f32>::zeroed();
        let strict = params_from_bytes(&mut narrow, &bytes, &LoadOptions::default());
        assert!(matches!(
            strict.unwrap_err().kind(),
            WeightsErrorKind::Dtype { tensor, .. } if tensor == "dense_1.kernel"
        ));
        params_from_bytes(&mut narrow, &bytes, &LoadOptions::default().converting()).unwrap();
        let (want, got) = (&net.normalization_1, &narrow.normalization_1);
        assert_eq!(got.mean, want.mean.map(|v| v as f32));
        assert_eq!(got.variance, want.variance.map(|v| v as f32));
        assert_eq!(
            (got.count, narrow.dense_1.bias),
            (2, net.dense_1.bias.map(|v| v as f32))
        );
        // And back, widened exactly.
        let mut back = Scaled::<f64>::zeroed();
        let bytes = params_to_bytes(&narrow).unwrap();
        params_from_bytes(&mut back, &bytes, &LoadOptions::default().converting()).unwrap();
        assert_eq!(back.normalization_1.mean, got.mean.map(f64::from));
    }

    #[test]
    fn a_buffer_beyond_f32s_range_is_refused_when_converting() {
        let (mut net, _) = wide();
        net.normalization_1.mean[1] = 1e300;
        let bytes = params_to_bytes(&net).unwrap();
        let mut narrow = Scaled::<f32>::zeroed();
        let err = params_from_bytes(&mut narrow, &bytes, &LoadOptions::default().converting());
        assert!(matches!(
            err.unwrap_err().kind(),
            WeightsErrorKind::OutOfRange { tensor, index: 1, value }
                if tensor == "normalization_1.mean" && *value == 1e300
        ));
        assert_eq!(narrow, Scaled::<f32>::zeroed());
    }

    #[test]
    fn a_negative_variance_is_refused_and_changes_nothing() {
        let (mut net, _) = wide();
        net.normalization_1.variance[1] = -0.5;
        let bytes = params_to_bytes(&net).unwrap();
        let mut loaded = Scaled::<f64>::zeroed();
        let err = params_from_bytes(&mut loaded, &bytes, &LoadOptions::default());
        assert!(matches!(
            err.unwrap_err().kind(),
            WeightsErrorKind::Negative { tensor, index: 1, value }
                if tensor == "normalization_1.variance" && *value == -0.5
        ));
        assert_eq!(loaded, Scaled::<f64>::zeroed());
        // A negative mean is a mean like any other.
        let (mut net, _) = wide();
        net.normalization_1.mean[0] = -3.0;
        let bytes = params_to_bytes(&net).unwrap();
        params_from_bytes(&mut loaded, &bytes, &LoadOptions::default()).unwrap();
        assert_eq!(loaded.normalization_1.mean[0], -3.0);
    }
}
