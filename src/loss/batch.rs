//! The loop every loss shares: over the batch's real samples only, averaging over them.
//!
//! A batch is sample after sample, so sample `j` is the contiguous run `j·N .. (j + 1)·N` of its
//! slice, `N` values per sample. Only the first `n` samples are visited; the gradient's padding
//! samples are set to zero and never read. The padding must still be finite: the backward pass
//! multiplies it by those zeros (`dW += δ·xᵀ`), and `0·NaN` is NaN. The data layer pads with
//! zeros.

use super::inverse_count;
use crate::shape::Buffer;
use crate::{Error, Float};

/// Rejects more real samples than the batch of `batch` holds.
pub(crate) fn check_size(n: usize, batch: usize) -> Result<(), Error> {
    if n > batch {
        return Err(Error::BatchSize { samples: n, batch });
    }
    Ok(())
}

/// A batch `y` as the loss loops see it: its values and the values per sample.
pub(crate) fn samples<T: Float, Y: Buffer<T>>(y: &Y) -> (&[T], usize) {
    (y.as_slice(), Y::SAMPLE)
}

/// The samples of a batch `m` of `width` values each, one slice per sample.
///
/// `width.max(1)` only keeps `chunks_exact` from panicking at width 0, where the slice is empty.
pub(crate) fn columns<T>(m: &[T], width: usize) -> core::slice::ChunksExact<'_, T> {
    m.chunks_exact(width.max(1))
}

/// `(1/n)·Σ_{j<n} per_sample(y_j, t_j)`, the mean loss over the real samples of `y`, a batch
/// of samples of `width` values.
///
/// `n` is clamped to the batch's samples, so unvalidated input cannot index past the batch.
pub(crate) fn mean<T: Float, S>(
    (y, width): (&[T], usize),
    targets: impl IntoIterator<Item = S>,
    n: usize,
    mut per_sample: impl FnMut(&[T], S) -> T,
) -> T {
    let n = n.min(y.len() / width.max(1));
    let total = columns(y, width)
        .zip(targets)
        .take(n)
        .fold(T::zero(), |sum, (y, t)| sum + per_sample(y, t));
    total * inverse_count(n)
}

/// Zeroes `d`, then calls `per_sample(y_j, t_j, d_j, 1/n)` for each real sample `j`, which
/// writes that sample's gradient scaled by `1/n`.
pub(crate) fn gradient<T: Float, S>(
    (y, width): (&[T], usize),
    targets: impl IntoIterator<Item = S>,
    n: usize,
    d: &mut [T],
    mut per_sample: impl FnMut(&[T], S, &mut [T], T),
) {
    d.fill(T::zero());
    let n = n.min(y.len() / width.max(1));
    let scale = inverse_count(n);
    let d_columns = d.chunks_exact_mut(width.max(1));
    for ((y, t), d) in columns(y, width).zip(targets).zip(d_columns).take(n) {
        per_sample(y, t, d, scale);
    }
}

/// The mean over the real samples of `(1/N)·Σᵢ f(yᵢ, tᵢ)`: a loss applied value by value.
pub(crate) fn elementwise_mean<T: Float>(
    (y, width): (&[T], usize),
    t: &[T],
    n: usize,
    f: impl Fn(T, T) -> T,
) -> T {
    let per_output = inverse_count::<T>(width);
    mean((y, width), columns(t, width), n, |y, t| {
        let sum = y.iter().zip(t).fold(T::zero(), |s, (&y, &t)| s + f(y, t));
        sum * per_output
    })
}

/// `dᵢⱼ = df(yᵢⱼ, tᵢⱼ)/(N·n)` on the real samples, the gradient of [`elementwise_mean`] when
/// `df = ∂f/∂y`.
pub(crate) fn elementwise_gradient<T: Float>(
    (y, width): (&[T], usize),
    t: &[T],
    n: usize,
    d: &mut [T],
    df: impl Fn(T, T) -> T,
) {
    let per_output = inverse_count::<T>(width);
    gradient((y, width), columns(t, width), n, d, |y, t, d, scale| {
        let scale = scale * per_output;
        for ((d, &y), &t) in d.iter_mut().zip(y).zip(t) {
            *d = df(y, t) * scale;
        }
    });
}
