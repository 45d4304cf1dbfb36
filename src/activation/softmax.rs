//! Softmax over each sample: `yᵢ = e^(zᵢ) / Σⱼ e^(zⱼ)`.
//!
//! Its Jacobian is `∂yᵢ/∂zⱼ = yᵢ(δᵢⱼ - yⱼ)`, so the backward pass is
//! `∂L/∂zⱼ = yⱼ·(∂L/∂yⱼ - Σᵢ yᵢ·∂L/∂yᵢ)`, O(n) per sample with no Jacobian built.

use super::Activation;
use crate::{Float, Head};

/// Softmax over each sample's `n` values; turns logits into class probabilities.
///
/// The largest logit is subtracted before exponentiating, so no logit overflows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softmax;

impl Activation for Softmax {
    const NAME: &'static str = "Softmax";
    const HEAD: Head = Head::Softmax;
    const COST: usize = super::TRANSCENDENTAL;

    fn apply<T: Float>(v: &mut [T], n: usize) {
        for col in v.chunks_exact_mut(n.max(1)) {
            let max = col
                .iter()
                .copied()
                .reduce(|m, z| m.max(z))
                .unwrap_or_else(T::zero);
            let mut sum = T::zero();
            for z in col.iter_mut() {
                *z = (*z - max).exp();
                sum += *z;
            }
            for y in col {
                *y /= sum;
            }
        }
    }

    fn backward<T: Float>(_z: &[T], y: &[T], d: &mut [T], n: usize) {
        let n = n.max(1);
        for (d, y) in d.chunks_exact_mut(n).zip(y.chunks_exact(n)) {
            let dot = d.iter().zip(y).fold(T::zero(), |s, (&d, &y)| s + d * y);
            for (d, &y) in d.iter_mut().zip(y) {
                *d = y * (*d - dot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<Softmax>();
    }

    #[test]
    fn golden_values() {
        // numpy: e = np.exp([1., 2., 3.]); e / e.sum()
        let mut v = [1.0f64, 2.0, 3.0, 1000.0, 1000.0, 1000.0];
        Softmax::apply(&mut v, 3);
        let want = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];
        for (got, want) in v[..3].iter().zip(want) {
            approx::assert_relative_eq!(*got, want, max_relative = 1e-12);
        }
        for got in &v[3..] {
            approx::assert_relative_eq!(*got, 1.0 / 3.0, max_relative = 1e-12);
        }
    }
}
