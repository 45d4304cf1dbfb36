//! The logistic sigmoid `σ(z) = 1 / (1 + e^(-z))`, `σ'(z) = σ(z)(1 - σ(z)) = y(1 - y)`, at most 1/4.

use super::Elementwise;
use crate::{Float, Head};

/// The logistic sigmoid `σ(z) = 1 / (1 + e^(-z))`, `σ'(z) = σ(z)(1 - σ(z)) = y(1 - y)`, at most 1/4.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl Elementwise for Sigmoid {
    const NAME: &'static str = "Sigmoid";
    const COST: usize = super::TRANSCENDENTAL;
    const HEAD: Head = Head::Sigmoid;

    #[inline]
    fn f<T: Float>(z: T) -> T {
        super::logistic(z)
    }

    #[inline]
    fn df<T: Float>(z: T, y: T) -> T {
        let _ = (z, y);
        y * (T::one() - y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<Sigmoid>();
    }
}
