//! Binary cross-entropy, Keras 3's exact formula (`keras.ops.binary_crossentropy`): with
//! `p = clip(y)` to `[ε, 1 - ε]`, `ε = 1e-7`, per sample
//! `L = -(1/N)·Σᵢ (tᵢ·ln pᵢ + (1 - tᵢ)·ln(1 - pᵢ))`, averaged over the batch. A confident miss
//! costs `-ln ε ≈ 16.12` per element. (tf.keras 2 added `ε` inside the logarithms as well.)
//!
//! Gradients, for each of the `n` real samples (zero in the padding):
//! - through the clip: `∂L/∂y = (-t/y + (1 - t)/(1 - y))/(N·n)` where `ε ≤ y ≤ 1 - ε`, and `0`
//!   where the clip is active;
//! - fused with a sigmoid head (`y = σ(z)`): `∂L/∂z = (y - t)/(N·n)`, the exact gradient of the
//!   unclipped loss, which is what Keras computes from the sigmoid's cached logits;
//! - `from_logits` (`y` is `z`): `L = (1/N)·Σ max(z, 0) - z·t + ln(1 + e^(-|z|))`, which never
//!   overflows, and `∂L/∂z = (σ(z) - t)/(N·n)`.
//!
//! Shapes: the output `y` and the targets `t` are batches of one shape of `N` values per sample
//! (`N×B` matrices, one sample per column, for a flat output); each of the `N` outputs is an
//! independent yes/no probability and `t` may be soft (in `[0, 1]`).
//!
//! ```
//! use liandan::prelude::*;
//! let y = SMatrix::<f64, 1, 1>::new(0.8);
//! let t = SMatrix::<f64, 1, 1>::new(1.0);
//! let loss = BinaryCrossentropy::default().loss(&y, &t, 1);
//! assert!((loss - 0.2231).abs() < 1e-4); // -ln 0.8
//! ```

#[cfg(test)]
use nalgebra::SMatrix;

use super::{batch, clip, Loss, EPSILON};
use crate::activation::logistic;
use crate::layer::Seed;
use crate::shape::Buffer;
use crate::{Float, Head};

/// Keras' `BinaryCrossentropy`: for `N` independent yes/no outputs (multi-label), usually after
/// a sigmoid.
///
/// [`Default`] is Keras' default: the outputs are probabilities (`from_logits: false`).
///
/// ```
/// use liandan::prelude::*;
///
/// let t = SMatrix::<f64, 1, 1>::new(1.0); // a positive sample
/// let p = SMatrix::<f64, 1, 1>::new(0.5);
/// let from_probability = BinaryCrossentropy::default().loss(&p, &t, 1);
/// // The logit 0 is the probability sigmoid(0) = 0.5: the same loss, ln 2.
/// let z = SMatrix::<f64, 1, 1>::new(0.0);
/// let from_logit = BinaryCrossentropy { from_logits: true }.loss(&z, &t, 1);
/// assert!((from_probability - 2f64.ln()).abs() < 1e-6);
/// assert!((from_logit - 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinaryCrossentropy {
    /// Whether the network's output is the logit `z` rather than the probability `σ(z)`
    /// (Keras' default: `false`).
    pub from_logits: bool,
}

impl<T: Float, Y: Buffer<T>> Loss<T, Y> for BinaryCrossentropy {
    /// Targets in `[0, 1]`, a batch like the output.
    type Targets = Y;

    fn loss(&self, y: &Y, t: &Y, n: usize) -> T {
        let (y, t) = (batch::samples(y), t.as_slice());
        if self.from_logits {
            batch::elementwise_mean(y, t, n, logits_loss)
        } else {
            batch::elementwise_mean(y, t, n, probability_loss)
        }
    }

    /// Fused ([`Seed::Logits`]) exactly when the output is a probability made by a sigmoid
    /// head.
    fn gradient(&self, y: &Y, t: &Y, n: usize, head: Head, d: &mut Y) -> Seed {
        let fused = !self.from_logits && head == Head::Sigmoid;
        let (y, t, d) = (batch::samples(y), t.as_slice(), d.as_mut_slice());
        if self.from_logits {
            batch::elementwise_gradient(y, t, n, d, |z, t| logistic(z) - t);
        } else if fused {
            batch::elementwise_gradient(y, t, n, d, |p, t| p - t);
        } else {
            batch::elementwise_gradient(y, t, n, d, probability_gradient);
        }
        if fused {
            Seed::Logits
        } else {
            Seed::Output
        }
    }
}

/// `-(t·ln p + (1 - t)·ln(1 - p))` with `p = clip(y)`, as Keras 3 computes it.
fn probability_loss<T: Float>(y: T, t: T) -> T {
    let (p, one) = (clip(y), T::one());
    -(t * p.ln() + (one - t) * (one - p).ln())
}

/// `∂/∂y` of [`probability_loss`]: `-t/y + (1 - t)/(1 - y)` inside the clip range, `0` outside
/// it, where the clipped value does not move with `y`.
fn probability_gradient<T: Float>(y: T, t: T) -> T {
    let (eps, one) = (T::of(EPSILON), T::one());
    if y < eps || y > one - eps {
        return T::zero();
    }
    -t / y + (one - t) / (one - y)
}

/// `-(t·ln σ(z) + (1 - t)·ln(1 - σ(z))) = max(z, 0) - z·t + ln(1 + e^(-|z|))`: the exponent is
/// never positive, so nothing overflows (TensorFlow's `sigmoid_cross_entropy_with_logits`).
fn logits_loss<T: Float>(z: T, t: T) -> T {
    z.max(T::zero()) - z * t + (-z.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Activation, Sigmoid};
    use crate::loss::check;
    use crate::Error;

    const PROBABILITIES: BinaryCrossentropy = BinaryCrossentropy { from_logits: false };
    const LOGITS: BinaryCrossentropy = BinaryCrossentropy { from_logits: true };

    /// One positive sample predicted `p`.
    fn positive(p: f64) -> f64 {
        let (y, t) = (SMatrix::<f64, 1, 1>::new(p), SMatrix::<f64, 1, 1>::new(1.0));
        PROBABILITIES.loss(&y, &t, 1)
    }

    /// Three samples of two outputs, one per column, with a soft target in the last.
    fn batch() -> (SMatrix<f64, 2, 3>, SMatrix<f64, 2, 3>) {
        let y = [0.8, 0.5, 0.3, 0.9, 0.1, 0.6];
        let t = [1.0, 1.0, 0.0, 1.0, 0.0, 0.25];
        (
            SMatrix::from_column_slice(&y),
            SMatrix::from_column_slice(&t),
        )
    }

    /// Logits for the same shape, with both signs and a large one.
    fn logits() -> SMatrix<f64, 2, 3> {
        SMatrix::from_column_slice(&[1.5, 0.3, -2.0, 0.7, -4.0, 2.5])
    }

    #[test]
    fn default_is_keras() {
        assert!(!BinaryCrossentropy::default().from_logits);
    }

    #[test]
    fn golden_values_of_the_teaching_docs() {
        // Keras 3.15.1 in float64 (`bash tools/keras_reference/run.sh bce.py`): -ln 0.8, ln 2.
        approx::assert_relative_eq!(positive(0.8), 0.2231435513142097, max_relative = 1e-12);
        approx::assert_relative_eq!(positive(0.5), core::f64::consts::LN_2, max_relative = 1e-12);
        // Clipped: p = 0 becomes ε, and a confident miss costs -ln ε; Keras 3: 16.11809565095832.
        approx::assert_relative_eq!(positive(0.0), 16.11809565095832, max_relative = 1e-12);
    }

    #[test]
    fn golden_values_of_a_batch() {
        // Keras' BinaryCrossentropy docstring: y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4],
        // [0.4, 0.6]] gives 0.815; Keras 3.15.1 in float64: 0.814924454847114.
        let y = SMatrix::<f64, 2, 2>::from_column_slice(&[0.6, 0.4, 0.4, 0.6]);
        let t = SMatrix::<f64, 2, 2>::from_column_slice(&[0.0, 1.0, 0.0, 0.0]);
        let loss = PROBABILITIES.loss(&y, &t, 2);
        approx::assert_relative_eq!(loss, 0.814924454847114, max_relative = 1e-12);
        // Keras 3.15.1 in float64, samples as rows there.
        let (y, t) = batch();
        let loss = PROBABILITIES.loss(&y, &t, 3);
        approx::assert_relative_eq!(loss, 0.3831018603292756, max_relative = 1e-12);
        // numpy: (np.maximum(z, 0) - z*t + np.log1p(np.exp(-abs(z)))).mean(-1).mean()
        let loss = LOGITS.loss(&logits(), &t, 3);
        approx::assert_relative_eq!(loss, 0.5429870407650116, max_relative = 1e-12);
    }

    #[test]
    fn gradients_are_keras_gradients() {
        // `jax.grad` of Keras 3.15.1's loss in float64 (`tools/keras_reference/bce.py`), with
        // respect to the probabilities: the unfused path, after a head that is not a sigmoid.
        let want = |y: &[f64], t: &[f64], n: usize, keras: &[f64]| {
            let (y, t) = (
                SMatrix::<f64, 2, 3>::from_column_slice(y),
                SMatrix::from_column_slice(t),
            );
            let mut d = SMatrix::zeros();
            let seed = PROBABILITIES.gradient(&y, &t, n, Head::Other, &mut d);
            assert_eq!(seed, Seed::Output);
            for (got, want) in d.iter().zip(keras) {
                approx::assert_relative_eq!(*got, *want, max_relative = 1e-12);
            }
        };
        let keras = [
            -0.20833333333333331,
            -0.3333333333333333,
            0.2380952380952381,
            -0.18518518518518517,
            0.18518518518518517,
            0.24305555555555555,
        ];
        let (y, t) = batch();
        want(y.as_slice(), t.as_slice(), 3, &keras);
        // The docstring batch, padded with a third column.
        let y = [0.6, 0.4, 0.4, 0.6, 0.5, 0.5];
        let t = [0.0, 1.0, 0.0, 0.0, 1.0, 1.0];
        let keras = [0.625, -0.625, 0.4166666666666667, 0.625, 0.0, 0.0];
        want(&y, &t, 2, &keras);
    }

    #[test]
    fn loss_and_unfused_gradient_agree_at_a_confident_miss() {
        // Near the clip, the gradient must be the derivative of the loss actually computed.
        let t = SMatrix::<f64, 1, 1>::new(1.0);
        for p in [1e-3, 1e-2, 0.999] {
            let y = SMatrix::<f64, 1, 1>::new(p);
            check::gradient(&PROBABILITIES, &y, &t, 1, Head::Other);
        }
    }

    #[test]
    fn large_logits_stay_finite() {
        // By hand: z = -1000 with t = 1 costs 0 + 1000 + ln(1 + e^-1000) = 1000.
        let z = SMatrix::<f64, 2, 1>::new(-1000.0, 1000.0);
        let t = SMatrix::<f64, 2, 1>::new(1.0, 1.0);
        assert_eq!(LOGITS.loss(&z, &t, 1), 500.0);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (y, t) = batch();
        check::gradient(&PROBABILITIES, &y, &t, 3, Head::Identity);
        check::gradient(&PROBABILITIES, &y, &t, 2, Head::Softmax);
    }

    #[test]
    fn gradient_is_zero_where_clipped() {
        // Outside [ε, 1 - ε] the clipped probability, hence the loss, does not move with y.
        let y = SMatrix::<f64, 2, 2>::from_column_slice(&[-0.5, 1.5, 0.0, 1.0]);
        let t = SMatrix::<f64, 2, 2>::from_column_slice(&[1.0, 0.0, 1.0, 0.0]);
        let mut d = SMatrix::from_element(1.0);
        PROBABILITIES.gradient(&y, &t, 2, Head::Other, &mut d);
        assert_eq!(d, SMatrix::<f64, 2, 2>::zeros());
        let y = y.fixed_columns::<1>(0).into_owned();
        let t = t.fixed_columns::<1>(0).into_owned();
        check::gradient(&PROBABILITIES, &y, &t, 1, Head::Other);
    }

    #[test]
    fn fused_gradient_matches_finite_differences_through_the_sigmoid() {
        let (_, t) = batch();
        check::fused::<Sigmoid, _, 2, 3>(&PROBABILITIES, &logits(), &t, 3);
        check::fused::<Sigmoid, _, 2, 3>(&PROBABILITIES, &logits(), &t, 2);
    }

    #[test]
    fn from_logits_gradient_matches_finite_differences() {
        let (_, t) = batch();
        // The output is the logit whatever the head, so never fused.
        check::gradient(&LOGITS, &logits(), &t, 3, Head::Identity);
        check::gradient(&LOGITS, &logits(), &t, 2, Head::Sigmoid);
    }

    #[test]
    fn fused_and_from_logits_gradients_agree() {
        let (_, t) = batch();
        let mut y = logits();
        Sigmoid::apply(y.as_mut_slice(), 2);
        let (mut fused, mut direct) = (SMatrix::zeros(), SMatrix::zeros());
        PROBABILITIES.gradient(&y, &t, 3, Head::Sigmoid, &mut fused);
        LOGITS.gradient(&logits(), &t, 3, Head::Identity, &mut direct);
        assert_eq!(fused, direct);
    }

    #[test]
    fn partial_batch_averages_over_real_samples() {
        let (mut y, t) = batch();
        y.column_mut(2).fill(f64::NAN);
        // The mean of the first two samples' losses, Keras 3's formula in numpy:
        // -(t*np.log(p) + (1-t)*np.log(1-p)).mean(-1)[:2].mean()
        let loss = PROBABILITIES.loss(&y, &t, 2);
        approx::assert_relative_eq!(loss, 0.3445815478676784, max_relative = 1e-12);
        let t_exact = t.fixed_columns::<2>(0).into_owned();
        for head in [Head::Identity, Head::Sigmoid] {
            check::padding::<_, 2, 3, 2>(&PROBABILITIES, &y, &t, &t_exact, head);
            check::padding::<_, 2, 3, 2>(&LOGITS, &y, &t, &t_exact, head);
            check::empty(&PROBABILITIES, &y, &t, head);
            check::empty(&LOGITS, &y, &t, head);
        }
    }

    #[test]
    fn validate_rejects_more_samples_than_the_batch() {
        let (_, t) = batch();
        assert_eq!(
            Loss::<f64, SMatrix<f64, 2, 3>>::validate(&LOGITS, &t, 2),
            Ok(())
        );
        let err = Loss::<f64, SMatrix<f64, 2, 3>>::validate(&PROBABILITIES, &t, 4);
        assert_eq!(
            err,
            Err(Error::BatchSize {
                samples: 4,
                batch: 3
            })
        );
    }
}
