//! Does a file fit what it is loaded into? Every check runs before a single value is copied,
//! so a failed load changes nothing.

use std::string::{String, ToString};

use crate::io::file::{File, TensorRef};
use crate::io::names::Spec;
use crate::io::scalar::{count, dtype_name, dtype_of, read, readable};
use crate::io::{Layout, LoadOptions, WeightsErrorKind};
use crate::Float;

/// The file's tensor for `spec`, checked for presence, element type and shape.
pub(crate) fn tensor<'f, T: Float>(
    file: &'f File<'_>,
    spec: &Spec,
    options: &LoadOptions,
) -> Result<TensorRef<'f>, WeightsErrorKind> {
    let found = file
        .tensor(&spec.name)
        .ok_or_else(|| WeightsErrorKind::Missing(spec.name.clone()))?;
    if !readable::<T>(found.dtype, options.convert) {
        return Err(WeightsErrorKind::Dtype {
            tensor: spec.name.clone(),
            file: found.dtype.to_string(),
            expected: dtype_name(dtype_of::<T>()),
        });
    }
    let expected = spec.file_shape(options.layout);
    if found.shape != expected.as_slice() {
        return Err(WeightsErrorKind::Shape {
            tensor: spec.name.clone(),
            file: found.shape.to_vec(),
            expected,
        });
    }
    Ok(found)
}

/// The first tensor of the file (in file order) that is not in `expected`.
pub(crate) fn no_extra(file: &File<'_>, expected: &[&str]) -> Result<(), WeightsErrorKind> {
    match file
        .names()
        .into_iter()
        .find(|n| !expected.contains(&n.as_str()))
    {
        Some(name) => Err(WeightsErrorKind::Extra(name)),
        None => Ok(()),
    }
}

/// The metadata entry `key`, if the file has it, must be `expected`.
///
/// Files without it (written by numpy, Keras or PyTorch) pass: their tensors are checked one by
/// one anyway.
pub(crate) fn metadata(
    file: &File<'_>,
    key: &str,
    expected: &str,
    error: impl FnOnce(String) -> WeightsErrorKind,
) -> Result<(), WeightsErrorKind> {
    match file.metadata(key) {
        Some(found) if found != expected => Err(error(found.to_string())),
        _ => Ok(()),
    }
}

/// Checks every value of the file tensor `src` (already checked by [`tensor`]) as it would be
/// read into a `T`: finite unless `options` allow otherwise, within `T`'s range, and not
/// negative if `non_negative`. The first value that is not names its row-major index.
pub(crate) fn values<T: Float>(
    src: &TensorRef<'_>,
    spec: &Spec,
    options: &LoadOptions,
    non_negative: bool,
) -> Result<(), WeightsErrorKind> {
    for index in 0..count(src.bytes, src.dtype) {
        // Exact: an `f32` widens to `f64` without rounding.
        let value: f64 = read(src.bytes, src.dtype, index);
        let fault = if !value.is_finite() {
            (!options.allow_non_finite).then_some(Fault::NonFinite)
        } else if !read::<T>(src.bytes, src.dtype, index).is_finite() {
            Some(Fault::OutOfRange)
        } else {
            None
        };
        let fault = fault.or((non_negative && value < 0.0).then_some(Fault::Negative));
        if let Some(fault) = fault {
            return Err(fault.at(spec.name.clone(), index, value));
        }
    }
    Ok(())
}

/// What is wrong with a value, before its place is known.
enum Fault {
    NonFinite,
    OutOfRange,
    Negative,
}

impl Fault {
    fn at(self, tensor: String, index: usize, value: f64) -> WeightsErrorKind {
        match self {
            Fault::NonFinite => WeightsErrorKind::NonFinite {
                tensor,
                index,
                value,
            },
            Fault::OutOfRange => WeightsErrorKind::OutOfRange {
                tensor,
                index,
                value,
            },
            Fault::Negative => WeightsErrorKind::Negative {
                tensor,
                index,
                value,
            },
        }
    }
}

/// Copies a checked file tensor into `out`, reordering PyTorch's axes into Keras'.
///
/// liandan stores each tensor row-major in its Keras shape (its column-major `O×I` dense kernel
/// puts `W[o, i]` at `o + i·O`, which is where Keras' row-major `(I, O)` array puts it); a
/// PyTorch file orders the axes as [`Spec::torch`] says (`(O, I)`, so `o·I + i`).
pub(crate) fn copy<T: Float>(src: &TensorRef<'_>, spec: &Spec, layout: Layout, out: &mut [T]) {
    for (index, x) in out.iter_mut().enumerate() {
        *x = read(src.bytes, src.dtype, spec.file_index(index, layout));
    }
}
