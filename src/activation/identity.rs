//! The identity `f(z) = z`, `f'(z) = 1`: Keras' `linear`, and a Dense layer's default.

use super::Elementwise;
use crate::{Float, Head};

/// The identity `f(z) = z`, `f'(z) = 1`: Keras' `linear`, and a Dense layer's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl Elementwise for Identity {
    const NAME: &'static str = "Identity";
    const HEAD: Head = Head::Identity;

    #[inline]
    fn f<T: Float>(z: T) -> T {
        z
    }

    #[inline]
    fn df<T: Float>(z: T, y: T) -> T {
        let _ = (z, y);
        T::one()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<Identity>();
    }
}
