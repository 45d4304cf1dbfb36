//! Mean squared error: per sample `L = (1/N)·Σᵢ (yᵢ - tᵢ)²`, averaged over the batch.
//!
//! Gradient: `∂L/∂yᵢⱼ = 2(yᵢⱼ - tᵢⱼ)/(N·n)` for each of the `n` real samples `j`, zero in the
//! padding. Shapes: the output `y` and the targets `t` are batches of one shape of `N` values
//! per sample: `N×B` matrices, one sample per column, for a flat output.
//!
//! ```
//! use liandan::prelude::*;
//! let y = SMatrix::<f64, 2, 2>::from_column_slice(&[1.0, 1.0, 1.0, 0.0]); // [1, 1], [1, 0]
//! let t = SMatrix::<f64, 2, 2>::from_column_slice(&[0.0, 1.0, 0.0, 0.0]); // [0, 1], [0, 0]
//! assert_eq!(MeanSquaredError.loss(&y, &t, 2), 0.5);
//! ```

#[cfg(test)]
use nalgebra::SMatrix;

use super::{batch, Loss};
use crate::layer::Seed;
use crate::shape::Buffer;
use crate::{Float, Head};

/// Keras' `MeanSquaredError`: the mean of `(y - t)²` over outputs and samples; for regression.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanSquaredError;

impl<T: Float, Y: Buffer<T>> Loss<T, Y> for MeanSquaredError {
    /// Real-valued targets, a batch like the output.
    type Targets = Y;

    fn loss(&self, y: &Y, t: &Y, n: usize) -> T {
        let (y, t) = (batch::samples(y), t.as_slice());
        batch::elementwise_mean(y, t, n, |y, t| (y - t) * (y - t))
    }

    /// `∂(y - t)²/∂y = 2(y - t)`; never fused, whatever the head.
    fn gradient(&self, y: &Y, t: &Y, n: usize, _head: Head, d: &mut Y) -> Seed {
        let (y, t, d) = (batch::samples(y), t.as_slice(), d.as_mut_slice());
        let two = T::of(2.0);
        batch::elementwise_gradient(y, t, n, d, |y, t| two * (y - t));
        Seed::Output
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::check;
    use crate::Error;

    /// Three samples of three outputs, one per column.
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
        // Keras' MeanSquaredError docstring: y_true [[0, 1], [0, 0]], y_pred [[1, 1], [1, 0]].
        let y = SMatrix::<f64, 2, 2>::from_column_slice(&[1.0, 1.0, 1.0, 0.0]);
        let t = SMatrix::<f64, 2, 2>::from_column_slice(&[0.0, 1.0, 0.0, 0.0]);
        assert_eq!(MeanSquaredError.loss(&y, &t, 2), 0.5);
        // numpy: ((y - t)**2).mean(-1) = [0.06, 0.12666666666666668, 1.5133333333333334],
        // whose mean is 0.5666666666666668.
        let (y, t) = batch();
        approx::assert_relative_eq!(
            MeanSquaredError.loss(&y, &t, 3),
            0.5666666666666668,
            max_relative = 1e-12
        );
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (y, t) = batch();
        check::gradient(&MeanSquaredError, &y, &t, 3, Head::Identity);
        check::gradient(&MeanSquaredError, &y, &t, 2, Head::Other);
    }

    #[test]
    fn partial_batch_averages_over_real_samples() {
        let (mut y, t) = batch();
        y.column_mut(2).fill(f64::NAN);
        // numpy: mean of the first two per-sample losses above.
        let loss = MeanSquaredError.loss(&y, &t, 2);
        approx::assert_relative_eq!(loss, 0.09333333333333334, max_relative = 1e-12);
        let t_exact = t.fixed_columns::<2>(0).into_owned();
        check::padding::<_, 3, 3, 2>(&MeanSquaredError, &y, &t, &t_exact, Head::Identity);
        check::empty(&MeanSquaredError, &y, &t, Head::Identity);
    }

    #[test]
    fn validate_rejects_more_samples_than_the_batch() {
        let (_, t) = batch();
        let mse = MeanSquaredError;
        assert_eq!(
            Loss::<f64, SMatrix<f64, 3, 3>>::validate(&mse, &t, 3),
            Ok(())
        );
        let err = Loss::<f64, SMatrix<f64, 3, 3>>::validate(&mse, &t, 4);
        assert_eq!(
            err,
            Err(Error::BatchSize {
                samples: 4,
                batch: 3
            })
        );
    }
}
