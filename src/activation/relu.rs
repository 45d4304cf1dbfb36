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
        if z > T::zero() {
            z
        } else {
            T::zero()
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
}
