//! The exact Gaussian error linear unit, as Keras' default (`approximate=False`): `f(z) = z·Φ(z) = z/2·(1 + erf(z/√2))`, `f'(z) = Φ(z) + z·φ(z)` with `φ(z) = e^(-z²/2)/√(2π)`.

use super::Elementwise;
use crate::Float;

use core::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

/// The exact Gaussian error linear unit, as Keras' default (`approximate=False`): `f(z) = z·Φ(z) = z/2·(1 + erf(z/√2))`, `f'(z) = Φ(z) + z·φ(z)` with `φ(z) = e^(-z²/2)/√(2π)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gelu;

impl Elementwise for Gelu {
    const NAME: &'static str = "Gelu";
    const COST: usize = super::TRANSCENDENTAL;

    #[inline]
    fn f<T: Float>(z: T) -> T {
        T::of(0.5) * z * (T::one() + (z * T::of(FRAC_1_SQRT_2)).erf())
    }

    #[inline]
    fn df<T: Float>(z: T, y: T) -> T {
        let _ = (z, y);
        T::of(0.5) * (T::one() + (z * T::of(FRAC_1_SQRT_2)).erf())
            + z * (-(z * z) * T::of(0.5)).exp() * T::of(FRAC_1_SQRT_2 * FRAC_2_SQRT_PI * 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<Gelu>();
    }
}
