//! Mean absolute error: per sample `L = (1/N)·Σᵢ |yᵢ - tᵢ|`, averaged over the batch.
//!
//! Gradient: `∂L/∂yᵢⱼ = sign(yᵢⱼ - tᵢⱼ)/(N·n)` for each of the `n` real samples `j`, with
//! `sign(0) = 0` (the subgradient TensorFlow and JAX pick at the kink), zero in the padding.
//! Shapes: the output `y` and the targets `t` are batches of one shape of `N` values per sample:
//! `N×B` matrices, one sample per column, for a flat output.
//!
//! ```
//! use liandan::prelude::*;
//! let y = SMatrix::<f64, 2, 2>::from_column_slice(&[1.0, 1.0, 1.0, 0.0]); // [1, 1], [1, 0]
//! let t = SMatrix::<f64, 2, 2>::from_column_slice(&[0.0, 1.0, 0.0, 0.0]); // [0, 1], [0, 0]
//! assert_eq!(MeanAbsoluteError.loss(&y, &t, 2), 0.5);
//! ```

#[cfg(test)]
use nalgebra::SMatrix;

use super::{batch, Loss};
use crate::layer::Seed;
use crate::shape::Buffer;
use crate::{Float, Head};

/// Keras' `MeanAbsoluteError`: the mean of `|y - t|` over outputs and samples; a regression loss
/// less swayed by outliers than the squared error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanAbsoluteError;

impl<T: Float, Y: Buffer<T>> Loss<T, Y> for MeanAbsoluteError {
    /// Real-valued targets, a batch like the output.
    type Targets = Y;

    fn loss(&self, y: &Y, t: &Y, n: usize) -> T {
        let (y, t) = (batch::samples(y), t.as_slice());
        batch::elementwise_mean(y, t, n, |y, t| (y - t).abs())
    }

    /// `∂|y - t|/∂y = sign(y - t)`; never fused, whatever the head.
    fn gradient(&self, y: &Y, t: &Y, n: usize, _head: Head, d: &mut Y) -> Seed {
        let (y, t, d) = (batch::samples(y), t.as_slice(), d.as_mut_slice());
        batch::elementwise_gradient(y, t, n, d, |y, t| sign(y - t));
        Seed::Output
    }
}

/// `-1`, `0` or `1`: unlike `signum`, zero at zero, so a sample already on its target is left
/// alone.
fn sign<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        T::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::check;
    use crate::Error;

    /// Three samples of three outputs, one per column, none exactly on its target.
    fn batch() -> (SMatrix<f64, 3, 3>, SMatrix<f64, 3, 3>) {
        let y = [0.1, 0.9, 0.4, 0.7, 0.2, 0.5, 2.0, -1.0, 0.3];
        let t = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 0.5];
        (
            SMatrix::from_column_slice(&y),
            SMatrix::from_column_slice(&t),
        )
    }

    #[test]
    fn golden_values() {
        // numpy: abs(y - t).mean(-1) = [0.2, 0.3333333333333333, 1.0666666666666667], whose
        // mean is 0.5333333333333333.
        let (y, t) = batch();
        approx::assert_relative_eq!(
            MeanAbsoluteError.loss(&y, &t, 3),
            0.5333333333333333,
            max_relative = 1e-12
        );
    }

    #[test]
    fn gradient_is_the_sign_and_zero_at_the_kink() {
        let y = SMatrix::<f64, 3, 1>::new(0.5, 0.2, -1.0);
        let t = SMatrix::<f64, 3, 1>::new(0.5, 0.0, 0.0);
        let mut d = SMatrix::zeros();
        MeanAbsoluteError.gradient(&y, &t, 1, Head::Identity, &mut d);
        // By hand: sign(0, 0.2, -1) / (N = 3).
        assert_eq!(d, SMatrix::<f64, 3, 1>::new(0.0, 1.0 / 3.0, -1.0 / 3.0));
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (y, t) = batch();
        check::gradient(&MeanAbsoluteError, &y, &t, 3, Head::Identity);
        check::gradient(&MeanAbsoluteError, &y, &t, 2, Head::Sigmoid);
    }

    #[test]
    fn partial_batch_averages_over_real_samples() {
        let (mut y, t) = batch();
        y.column_mut(2).fill(f64::NAN);
        // numpy: mean of the first two per-sample losses above.
        let loss = MeanAbsoluteError.loss(&y, &t, 2);
        approx::assert_relative_eq!(loss, 0.26666666666666666, max_relative = 1e-12);
        let t_exact = t.fixed_columns::<2>(0).into_owned();
        check::padding::<_, 3, 3, 2>(&MeanAbsoluteError, &y, &t, &t_exact, Head::Identity);
        check::empty(&MeanAbsoluteError, &y, &t, Head::Identity);
    }

    #[test]
    fn validate_rejects_more_samples_than_the_batch() {
        let (_, t) = batch();
        let mae = MeanAbsoluteError;
        assert_eq!(
            Loss::<f64, SMatrix<f64, 3, 3>>::validate(&mae, &t, 0),
            Ok(())
        );
        let err = Loss::<f64, SMatrix<f64, 3, 3>>::validate(&mae, &t, 5);
        assert_eq!(
            err,
            Err(Error::BatchSize {
                samples: 5,
                batch: 3
            })
        );
    }
}
