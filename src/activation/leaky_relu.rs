//! The leaky rectifier `f(z) = z` for `z > 0`, else `0.2·z`; `f'(z)` is 1 or 0.2. The slope 0.2 is the default of Keras' `leaky_relu` activation.

use super::Elementwise;
use crate::Float;

/// The slope for negative inputs.
pub const SLOPE: f64 = 0.2;

/// The leaky rectifier `f(z) = z` for `z > 0`, else `0.2·z`; `f'(z)` is 1 or 0.2. The slope 0.2 is the default of Keras' `leaky_relu` activation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeakyRelu;

impl Elementwise for LeakyRelu {
    const NAME: &'static str = "LeakyRelu";

    #[inline]
    fn f<T: Float>(z: T) -> T {
        if z > T::zero() {
            z
        } else {
            T::of(SLOPE) * z
        }
    }

    #[inline]
    fn df<T: Float>(z: T, y: T) -> T {
        let _ = (z, y);
        if z > T::zero() {
            T::one()
        } else {
            T::of(SLOPE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        crate::activation::check::derivative::<LeakyRelu>();
    }
}
