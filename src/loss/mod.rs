//! Losses with Keras semantics: a per-sample loss, averaged over the batch's real samples
//! (Keras' `"sum_over_batch_size"` reduction).
//!
//! A batch may be partly filled: only its first `n` samples (columns, for a flat output) are
//! real, the rest padding. The loss averages over those `n`, and the gradient of a padding
//! sample is zero, so a partial last batch trains exactly like the sum over its samples divided
//! by `n`.
//!
//! Probabilities are clipped to `[ε, 1 - ε]` with `ε = 1e-7`, as Keras does. When the network
//! ends in softmax (for the cross-entropies) or sigmoid (for binary cross-entropy) the loss
//! gives the fused gradient `p - y` with respect to the logits instead; see [`Head`].

mod batch;
mod binary_cross_entropy;
#[cfg(test)]
mod check;
mod cross_entropy;
mod mean_absolute_error;
mod mean_squared_error;

pub use binary_cross_entropy::BinaryCrossentropy;
pub use cross_entropy::{CategoricalCrossentropy, SparseCategoricalCrossentropy};
pub use mean_absolute_error::MeanAbsoluteError;
pub use mean_squared_error::MeanSquaredError;

use crate::layer::Seed;
use crate::shape::Buffer;
use crate::{Error, Float, Head};

/// Keras' `epsilon()`: the clipping margin for probabilities.
pub const EPSILON: f64 = 1e-7;

/// A loss over a batch of outputs `Y`: an `SMatrix<T, N, B>` of `B` samples of `N` values, or
/// the batch of an image shape.
///
/// The element-wise losses (squared and absolute error, binary cross-entropy) take any batch
/// and average over its values; the categorical cross-entropies take flat class scores.
pub trait Loss<T: Float, Y: Buffer<T>> {
    /// The targets of the batch: class indices (`[usize; B]`) for the sparse cross-entropy, a
    /// batch like the output's (one-hot rows or real values) for the others.
    type Targets;

    /// Checks the targets of the first `n` samples (a class index must be a class).
    fn validate(&self, targets: &Self::Targets, n: usize) -> Result<(), Error> {
        let _ = targets;
        batch::check_size(n, Y::SAMPLES)
    }

    /// The mean loss over the first `n` samples of `y` (`n = 0` gives zero).
    fn loss(&self, y: &Y, targets: &Self::Targets, n: usize) -> T;

    /// Writes the gradient of [`loss`](Loss::loss) into `d`, zero in the padding samples, and
    /// says what it is the gradient of.
    ///
    /// If the network's last operation `head` allows it, `d` is the fused gradient with
    /// respect to the logits ([`Seed::Logits`]); otherwise `d = ∂L/∂y` ([`Seed::Output`]).
    /// Pass the result as the [`Backward`](crate::layer::Backward) pass's seed.
    fn gradient(&self, y: &Y, targets: &Self::Targets, n: usize, head: Head, d: &mut Y) -> Seed;
}

/// `p` clipped to `[ε, 1 - ε]`; NaN stays NaN, as in Keras (`ops.clip`).
///
/// Not `p.max(ε).min(1 - ε)`: `max` and `min` drop a NaN operand, which turned a NaN output
/// into the finite loss `-ln ε`, so `Trainer::step` missed it and wrote NaN into the weights.
#[inline]
pub(crate) fn clip<T: Float>(p: T) -> T {
    let (lo, hi) = (T::of(EPSILON), T::one() - T::of(EPSILON));
    if p < lo {
        lo
    } else if p > hi {
        hi
    } else {
        p
    }
}

/// `1 / n` as `T`, or zero for an empty batch (so an empty batch has zero loss and gradient).
#[inline]
pub(crate) fn inverse_count<T: Float>(n: usize) -> T {
    if n == 0 {
        T::zero()
    } else {
        T::one() / T::of(n as f64)
    }
}
