//! The loop every loss shares: over the batch's real columns only, averaging over them.
//!
//! A batch `SMatrix<T, N, B>` is stored column-major, so sample `j` is the contiguous run
//! `j·N .. (j + 1)·N`. Only the first `n` columns are visited; the gradient's padding columns are
//! set to zero and never read. The padding must still be finite: the backward pass multiplies
//! it by those zeros (`dW += δ·xᵀ`), and `0·NaN` is NaN. The data layer pads with zeros.

use nalgebra::SMatrix;

use super::inverse_count;
use crate::{Error, Float};

/// Rejects more real samples than the batch holds.
pub(crate) fn check_size<const B: usize>(n: usize) -> Result<(), Error> {
    if n > B {
        return Err(Error::BatchSize {
            samples: n,
            batch: B,
        });
    }
    Ok(())
}

/// The columns of `m`, one slice of `N` values per sample.
///
/// `N.max(1)` only keeps `chunks_exact` from panicking at `N = 0`, where the slice is empty.
pub(crate) fn columns<T, const N: usize, const B: usize>(
    m: &SMatrix<T, N, B>,
) -> core::slice::ChunksExact<'_, T> {
    m.as_slice().chunks_exact(N.max(1))
}

/// `(1/n)·Σ_{j<n} per_sample(y_j, t_j)`, the mean loss over the real samples.
///
/// `n` is clamped to `B`, so unvalidated input cannot index past the batch.
pub(crate) fn mean<T: Float, const N: usize, const B: usize, S>(
    y: &SMatrix<T, N, B>,
    targets: impl IntoIterator<Item = S>,
    n: usize,
    mut per_sample: impl FnMut(&[T], S) -> T,
) -> T {
    let n = n.min(B);
    let total = columns(y)
        .zip(targets)
        .take(n)
        .fold(T::zero(), |sum, (y, t)| sum + per_sample(y, t));
    total * inverse_count(n)
}

/// Zeroes `d`, then calls `per_sample(y_j, t_j, d_j, 1/n)` for each real sample `j`, which
/// writes that sample's gradient scaled by `1/n`.
pub(crate) fn gradient<T: Float, const N: usize, const B: usize, S>(
    y: &SMatrix<T, N, B>,
    targets: impl IntoIterator<Item = S>,
    n: usize,
    d: &mut SMatrix<T, N, B>,
    mut per_sample: impl FnMut(&[T], S, &mut [T], T),
) {
    d.fill(T::zero());
    let n = n.min(B);
    let scale = inverse_count(n);
    let d_columns = d.as_mut_slice().chunks_exact_mut(N.max(1));
    for ((y, t), d) in columns(y).zip(targets).zip(d_columns).take(n) {
        per_sample(y, t, d, scale);
    }
}

/// The mean over the real samples of `(1/N)·Σᵢ f(yᵢ, tᵢ)`: a loss applied output by output.
pub(crate) fn elementwise_mean<T: Float, const N: usize, const B: usize>(
    y: &SMatrix<T, N, B>,
    t: &SMatrix<T, N, B>,
    n: usize,
    f: impl Fn(T, T) -> T,
) -> T {
    let per_output = inverse_count::<T>(N);
    mean(y, columns(t), n, |y, t| {
        let sum = y.iter().zip(t).fold(T::zero(), |s, (&y, &t)| s + f(y, t));
        sum * per_output
    })
}

/// `dᵢⱼ = df(yᵢⱼ, tᵢⱼ)/(N·n)` on the real samples, the gradient of [`elementwise_mean`] when
/// `df = ∂f/∂y`.
pub(crate) fn elementwise_gradient<T: Float, const N: usize, const B: usize>(
    y: &SMatrix<T, N, B>,
    t: &SMatrix<T, N, B>,
    n: usize,
    d: &mut SMatrix<T, N, B>,
    df: impl Fn(T, T) -> T,
) {
    let per_output = inverse_count::<T>(N);
    gradient(y, columns(t), n, d, |y, t, d, scale| {
        let scale = scale * per_output;
        for ((d, &y), &t) in d.iter_mut().zip(y).zip(t) {
            *d = df(y, t) * scale;
        }
    });
}
