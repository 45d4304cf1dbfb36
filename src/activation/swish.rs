//! Swish, also called SiLU: `f(z) = z·σ(z)`, `f'(z) = σ(z) + z·σ(z)(1 - σ(z))`.

use super::Elementwise;
use crate::Float;

/// Swish, also called SiLU: `f(z) = z·σ(z)`, `f'(z) = σ(z) + z·σ(z)(1 - σ(z))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swish;

impl Elementwise for Swish {
    const NAME: &'static str = "Swish";
    const COST: usize = super::TRANSCENDENTAL;

    #[inline]
    fn f<T: Float>(z: T) -> T {
        z * super::logistic(z)
    }

    #[inline]
    fn df<T: Float>(z: T, y: T) -> T {
        let _ = (z, y);
        {
            let s = super::logistic(z);
            s + z * s * (T::one() - s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<Swish>();
    }
}
