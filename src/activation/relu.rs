//! The rectifier `f(z) = max(0, z)`, `f'(z) = 1` for `z > 0`, else 0 (the subgradient at 0 is taken as 0, as TensorFlow does).

use super::Elementwise;
use crate::Float;

/// The rectifier `f(z) = max(0, z)`, `f'(z) = 1` for `z > 0`, else 0 (the subgradient at 0 is taken as 0, as TensorFlow does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl Elementwise for Relu {
    const NAME: &'static str = "Relu";

    #[inline]
    fn f<T: Float>(z: T) -> T {
        // NaN passes through (as numpy's `maximum(z, 0)`): mapping it to 0 would hide a NaN
        // input from the loss, and the step would write NaN into the weights via `δ·xᵀ`.
        if z <= T::zero() {
            T::zero()
        } else {
            z
        }
    }

    #[inline]
    fn df<T: Float>(z: T, y: T) -> T {
        let _ = (z, y);
        if z > T::zero() {
            T::one()
        } else {
            T::zero()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<Relu>();
    }

    #[test]
    fn nan_passes_through() {
        assert!(Relu::f(f64::NAN).is_nan());
        assert_eq!(Relu::f(-0.0f64).to_bits(), 0.0f64.to_bits());
    }
}
