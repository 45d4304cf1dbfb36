//! The hyperbolic tangent, `f'(z) = 1 - tanh²(z) = 1 - y²`: zero-centred, unlike the sigmoid.

use super::Elementwise;
use crate::Float;

/// The hyperbolic tangent, `f'(z) = 1 - tanh²(z) = 1 - y²`: zero-centred, unlike the sigmoid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Elementwise for Tanh {
    const NAME: &'static str = "Tanh";
    const COST: usize = super::TRANSCENDENTAL;

    #[inline]
    fn f<T: Float>(z: T) -> T {
        z.tanh()
    }

    #[inline]
    fn df<T: Float>(z: T, y: T) -> T {
        let _ = (z, y);
        T::one() - y * y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<Tanh>();
    }
}
