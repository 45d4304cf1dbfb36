//! Parameter initialisers, with Keras' defaults.
//!
//! - Glorot (Xavier) uniform, Keras' default kernel initialiser: `U(-l, l)` with
//!   `l = √(6 / (fan_in + fan_out))`, which keeps the variance of activations and of gradients
//!   roughly equal across layers (Glorot & Bengio, 2010).
//! - He uniform: `l = √(6 / fan_in)`, for ReLU layers, which zero half their inputs
//!   (He et al., 2015).
//! - Biases start at zero, as in Keras.
//!
//! Every draw is taken as an `f64` from the caller's generator and then rounded to `T`, so a
//! given seed gives the same network bit for bit in `f32` and `f64` alike.

use rand::{Rng, RngCore};

use crate::Float;

/// How to draw a kernel's initial values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Initializer {
    /// `U(-l, l)`, `l = √(6 / (fan_in + fan_out))`: Keras' default.
    #[default]
    GlorotUniform,
    /// `U(-l, l)`, `l = √(6 / fan_in)`: suited to ReLU layers.
    HeUniform,
    /// All zeros.
    Zeros,
}

impl Initializer {
    /// The half-width `l` of the uniform distribution for the given fans.
    pub fn limit(self, fan_in: usize, fan_out: usize) -> f64 {
        match self {
            Initializer::GlorotUniform => libm::sqrt(6.0 / (fan_in + fan_out).max(1) as f64),
            Initializer::HeUniform => libm::sqrt(6.0 / fan_in.max(1) as f64),
            Initializer::Zeros => 0.0,
        }
    }

    /// Fills `values` with independent draws from `U(-l, l)`.
    pub fn fill<T: Float, R: RngCore + ?Sized>(
        self,
        values: &mut [T],
        fan_in: usize,
        fan_out: usize,
        rng: &mut R,
    ) {
        let limit = self.limit(fan_in, fan_out);
        for v in values {
            let u: f64 = if limit == 0.0 { 0.5 } else { rng.random() };
            *v = T::of((2.0 * u - 1.0) * limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn glorot_draws_stay_in_bounds_and_fill_them() {
        let mut values = [0f32; 784 * 128];
        Initializer::GlorotUniform.fill(&mut values, 784, 128, &mut SplitMix64::new(1));
        let l = (6.0f64 / 912.0).sqrt() as f32;
        assert!(values.iter().all(|v| v.abs() <= l));
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / values.len() as f64;
        // U(-l, l) has mean 0 and variance l²/3.
        assert!(mean.abs() < 1e-3, "{mean}");
        assert!(
            (var / (l as f64 * l as f64 / 3.0) - 1.0).abs() < 0.02,
            "{var}"
        );
    }

    #[test]
    fn same_seed_same_values() {
        let (mut a, mut b) = ([0f64; 64], [0f64; 64]);
        Initializer::HeUniform.fill(&mut a, 8, 8, &mut SplitMix64::new(3));
        Initializer::HeUniform.fill(&mut b, 8, 8, &mut SplitMix64::new(3));
        assert_eq!(a, b);
        assert!(a.iter().all(|v| v.abs() <= (6.0f64 / 8.0).sqrt()));
    }
}
