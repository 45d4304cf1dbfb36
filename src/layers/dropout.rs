//! Inverted dropout: during training each feature is zeroed with probability `rate` and the
//! survivors are scaled by `1 / (1 - rate)`, so the expected activation is unchanged and
//! inference needs no rescaling (Keras' `Dropout`). At inference it is the identity.
//!
//! With the mask `m` (entries `0` or `1 / (1 - rate)`), `y = m ⊙ x` and `∂L/∂x = m ⊙ ∂L/∂y`.
//!
//! Random numbers: 32 bits per feature, taken from the generator 256 bytes at a time with
//! `fill_bytes` and compared as integers against `rate·2³²`. (Before 0.1's second speed round a
//! whole `f64` was drawn per feature, four times slower at batch 32; the masks a given seed
//! produces changed then.) A zero rate draws nothing.

use core::marker::PhantomData;

use nalgebra::SMatrix;
use rand::RngCore;

use crate::layer::{Head, Layer, NoParams, Shape, Size};
use crate::{Error, Float, Zeroed};

/// Drops each of `N` features with probability `rate` while training.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dropout<T, const N: usize> {
    rate: f64,
    scalar: PhantomData<T>,
}

// Safety: an f64 and a PhantomData; a zero rate is a valid (inactive) dropout.
unsafe impl<T, const N: usize> Zeroed for Dropout<T, N> {}

impl<T, const N: usize> Dropout<T, N> {
    /// A dropout layer with the given rate, which must lie in `[0, 1)`; `const`, for networks
    /// built at compile time.
    pub const fn new(rate: f64) -> Result<Self, Error> {
        // Written out rather than `(0.0..1.0).contains(&rate)`, which is not `const`; NaN fails.
        if rate >= 0.0 && rate < 1.0 {
            Ok(Dropout {
                rate,
                scalar: PhantomData,
            })
        } else {
            Err(Error::DropoutRate { rate })
        }
    }

    /// The probability of dropping a feature.
    pub const fn rate(&self) -> f64 {
        self.rate
    }

    /// Sets the rate; it must lie in `[0, 1)`. The network is unchanged on error.
    pub fn set_rate(&mut self, rate: f64) -> Result<(), Error> {
        *self = Self::new(rate)?;
        Ok(())
    }
}

/// Features per call of the generator: 32 bits each, drawn in blocks of 256 bytes (the
/// generator fills a block far faster than it returns one number at a time).
const DRAW: usize = 64;

impl<T, const N: usize> Dropout<T, N> {
    /// A feature is dropped when its 32 random bits, read as an integer `u`, are below
    /// `rate·2³²` (rounded): probability `rate` to within 2⁻³², with no float conversion.
    fn threshold(&self) -> u64 {
        libm::round(self.rate * 4_294_967_296.0) as u64
    }
}

impl<T, const N: usize> Shape for Dropout<T, N> {
    type Input = Size<N>;
    type Output = Size<N>;
}

impl<T: Float, const N: usize> Layer<T, N, N> for Dropout<T, N> {
    /// The mask `m`: `0` for a dropped feature, `1 / (1 - rate)` for a kept one.
    type Tape<const B: usize> = SMatrix<T, N, B>;
    type Grad = NoParams;
    const HEAD: Head = Head::Other;

    fn forward<const B: usize>(&self, x: &SMatrix<T, N, B>, y: &mut SMatrix<T, N, B>) {
        y.copy_from(x);
    }

    fn forward_train<const B: usize, R: RngCore + ?Sized>(
        &self,
        x: &SMatrix<T, N, B>,
        y: &mut SMatrix<T, N, B>,
        mask: &mut SMatrix<T, N, B>,
        rng: &mut R,
    ) {
        let keep = T::of(1.0 / (1.0 - self.rate));
        if self.rate == 0.0 {
            // Nothing is dropped, and no random number is drawn.
            mask.fill(keep);
            return y.copy_from(x);
        }
        let threshold = self.threshold();
        let mut bits = [0u8; 4 * DRAW];
        let (mask, y, x) = (mask.as_mut_slice(), y.as_mut_slice(), x.as_slice());
        for ((m, y), x) in mask
            .chunks_mut(DRAW)
            .zip(y.chunks_mut(DRAW))
            .zip(x.chunks(DRAW))
        {
            let bits = &mut bits[..4 * m.len()];
            rng.fill_bytes(bits);
            let draws = bits.chunks_exact(4);
            for (((m, y), &x), u) in m.iter_mut().zip(y.iter_mut()).zip(x).zip(draws) {
                let u = u32::from_le_bytes([u[0], u[1], u[2], u[3]]);
                *m = if u64::from(u) < threshold {
                    T::zero()
                } else {
                    keep
                };
                *y = *m * x;
            }
        }
    }

    fn backward<const B: usize>(
        &self,
        _: &SMatrix<T, N, B>,
        _: &SMatrix<T, N, B>,
        mask: &mut SMatrix<T, N, B>,
        dy: &mut SMatrix<T, N, B>,
        _: bool,
        _: &mut NoParams,
        dx: Option<&mut SMatrix<T, N, B>>,
    ) {
        if let Some(dx) = dx {
            dx.copy_from(dy);
            dx.component_mul_assign(mask);
        }
    }
}

crate::layer::no_params!([T, const N: usize] Dropout<T, N>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::rng::SplitMix64;

    #[test]
    fn gradient_matches_finite_differences_with_the_same_mask() {
        let mut d = Dropout::<f64, 6>::new(0.5).unwrap();
        let x = SMatrix::<f64, 6, 4>::from_fn(|i, j| i as f64 - j as f64 * 0.5);
        let w = SMatrix::<f64, 6, 4>::from_fn(|i, j| 1.0 + i as f64 * 0.1 + j as f64);
        let report = check(&mut d, &x, &w, 100, 5);
        assert_eq!(report.checked, 24);
        assert!(report.max_error < 1e-8, "{report:?}");
    }

    #[test]
    fn drops_about_rate_and_keeps_the_mean() {
        let d = Dropout::<f64, 100>::new(0.2).unwrap();
        let x = SMatrix::<f64, 100, 50>::from_element(1.0);
        let mut y = SMatrix::<f64, 100, 50>::zeros();
        let mut mask = SMatrix::<f64, 100, 50>::zeros();
        d.forward_train(&x, &mut y, &mut mask, &mut SplitMix64::new(9));
        let dropped = y.iter().filter(|v| **v == 0.0).count() as f64 / 5000.0;
        assert!((dropped - 0.2).abs() < 0.02, "{dropped}");
        assert!((y.mean() - 1.0).abs() < 0.03, "{}", y.mean());
        assert!(y.iter().all(|&v| v == 0.0 || (v - 1.25).abs() < 1e-12));
        let mut inference = SMatrix::<f64, 100, 50>::zeros();
        d.forward(&x, &mut inference);
        assert_eq!(inference, x);
    }

    #[test]
    fn rejects_rates_outside_zero_one() {
        assert_eq!(
            Dropout::<f32, 3>::new(1.0),
            Err(Error::DropoutRate { rate: 1.0 })
        );
        assert!(Dropout::<f32, 3>::new(-0.1).is_err());
        assert!(Dropout::<f32, 3>::new(f64::NAN).is_err());
        let mut d = Dropout::<f32, 3>::new(0.3).unwrap();
        assert!(d.set_rate(2.0).is_err());
        assert_eq!(d.rate(), 0.3);
    }
}
