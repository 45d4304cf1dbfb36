//! Inverted dropout: during training each feature is zeroed with probability `rate` and the
//! survivors are scaled by `1 / (1 - rate)`, so the expected activation is unchanged and
//! inference needs no rescaling (Keras' `Dropout`). At inference it is the identity.
//!
//! With the mask `m` (entries `0` or `1 / (1 - rate)`), `y = m ⊙ x` and `∂L/∂x = m ⊙ ∂L/∂y`.
//!
//! Any shape: the mask is drawn for each value of each sample.
//!
//! The rate is part of the type, in millionths: `Dropout<T, Flat<128>, 200_000>` drops 20%, which is
//! what `network!` makes of `Dropout<0.2>`. So every way of building a network (`new`,
//! `new_boxed`, `boxed`, all-zero bytes, compiled-in weights) has the declared rate, and no
//! file or copy can lose it. A training step may still switch dropout off, explicitly: pass no
//! generator to [`forward_train`](crate::Train::forward_train) (see [`Trainer::set_dropout`]).
//!
//! Random numbers: each forward pass draws one `u64` seed `s` from the caller's generator, and
//! feature `i` of the batch (flat index, sample after sample) gets 32 bits of
//! [`SplitMix64::nth`]`(s, i / 2)`: the low half for even `i`, the high half for odd. They are
//! compared as integers against `rate·2³²`. A counter-based stream costs two multiplications
//! per pair of features whatever the caller's generator, and vectorises (the kernel,
//! `src/kernel/dropout.rs`). Any range of the batch that starts at an even feature can be made
//! on its own, so with `parallel` each thread makes the mask of the columns whose activations
//! it computed. A zero rate draws nothing.
//!
//! [`SplitMix64::nth`]: crate::rng::SplitMix64::nth
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::Dropout;
//!
//! use liandan::shape::Flat;
//!
//! let dropout = Dropout::<f64, Flat<4>, 500_000>::new();
//! assert_eq!(dropout.rate(), 0.5);
//! let x = SMatrix::<f64, 4, 1>::repeat(1.0);
//! let (mut y, mut mask) = (SMatrix::zeros(), SMatrix::zeros());
//! dropout.forward_train(&x, &mut y, &mut mask, Some(&mut liandan::rng::SplitMix64::new(3)));
//! // Each feature is dropped, or kept and doubled.
//! assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
//! // Without a generator, dropout is off: every feature is kept, unscaled.
//! dropout.forward_train::<1>(&x, &mut y, &mut mask, None);
//! assert_eq!(y, x);
//! ```
//!
//! [`Trainer::set_dropout`]: crate::Trainer::set_dropout

use core::marker::PhantomData;

use rand::RngCore;

use crate::kernel::{self, Mask};
use crate::layer::{Accepts, Backward, Forward, Head, NoParams, Train};
use crate::shape::{Batch, Buffer, Shape};
use crate::{Element, Float, Zeroed};

/// Drops each value of samples of shape `S` with probability `RATE_PPM / 1_000_000` while
/// training.
///
/// `RATE_PPM` must be below `1_000_000` (a rate in `[0, 1)`); a larger one is a compile error
/// where the layer is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropout<T, S, const RATE_PPM: u32>(PhantomData<(T, S)>);

// Safety: a PhantomData has no bytes.
unsafe impl<T, S, const RATE_PPM: u32> Zeroed for Dropout<T, S, RATE_PPM> {}

impl<T, S, const RATE_PPM: u32> Dropout<T, S, RATE_PPM> {
    /// The probability of dropping a feature, `RATE_PPM / 10⁶`: for a rate written with at most
    /// six decimals, exactly the `f64` the decimal denotes (the division is correctly rounded).
    pub const RATE: f64 = {
        assert!(
            RATE_PPM < 1_000_000,
            "a dropout rate must lie in [0, 1): RATE_PPM must be below 1_000_000"
        );
        RATE_PPM as f64 / 1e6
    };

    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        // Evaluated here, so an out-of-range rate fails to compile wherever the layer is made.
        let _ = Self::RATE;
        Dropout(PhantomData)
    }

    /// The probability of dropping a feature, [`RATE`](Self::RATE).
    pub const fn rate(&self) -> f64 {
        Self::RATE
    }
}

impl<T: Element, S: Shape, const RATE_PPM: u32> Forward for Dropout<T, S, RATE_PPM> {
    type Element = T;
    type Input = S;
    type Output = S;
    type Scratch<const B: usize> = ();

    /// The identity: inference keeps every value.
    fn forward<const B: usize>(&self, x: &Batch<T, S, B>, y: &mut Batch<T, S, B>, _: &mut ()) {
        y.as_mut_slice().copy_from_slice(x.as_slice());
    }
}

impl<T: Element, S: Shape, const RATE_PPM: u32> Accepts<S> for Dropout<T, S, RATE_PPM> {}

impl<T: Float, S: Shape, const RATE_PPM: u32> Train for Dropout<T, S, RATE_PPM> {
    /// The mask `m`: `0` for a dropped feature, `1 / (1 - rate)` for a kept one (`1` for every
    /// feature when dropout is off).
    type Tape<const B: usize> = Batch<T, S, B>;
    type Grad = NoParams;
    const HEAD: Head = Head::Other;

    fn forward_train<const B: usize>(
        &self,
        x: &Batch<T, S, B>,
        y: &mut Batch<T, S, B>,
        mask: &mut Batch<T, S, B>,
        rng: Option<&mut dyn RngCore>,
    ) {
        let (m, y, x) = (mask.as_mut_slice(), y.as_mut_slice(), x.as_slice());
        let Some(rng) = rng.filter(|_| RATE_PPM > 0) else {
            // Nothing is dropped, and no random number is drawn.
            m.fill(T::one());
            return y.copy_from_slice(x);
        };
        let mask = Mask::new(rng.next_u64(), Self::RATE);
        kernel::dropout(&mask, (S::LEN, B), x, y, m);
    }

    /// `∂L/∂x = m ⊙ ∂L/∂y`.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        if let Some(dx) = ctx.dx {
            let (dx, dy, m) = (dx.as_mut_slice(), ctx.dy.as_slice(), ctx.tape.as_slice());
            kernel::masked((S::LEN, B), dx, dy, m);
        }
    }
}

crate::layer::no_params!([T, S, const RATE_PPM: u32] Dropout<T, S, RATE_PPM>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::rng::SplitMix64;
    use crate::shape::{Flat, Hwc};
    use nalgebra::SMatrix;

    #[test]
    fn gradient_matches_finite_differences_with_the_same_mask() {
        let mut d = Dropout::<f64, Flat<6>, 500_000>::new();
        let x = SMatrix::<f64, 6, 4>::from_fn(|i, j| i as f64 - j as f64 * 0.5);
        let w = SMatrix::<f64, 6, 4>::from_fn(|i, j| 1.0 + i as f64 * 0.1 + j as f64);
        let report = check(&mut d, &x, &w, 100, 5);
        assert_eq!(report.checked, 24);
        assert!(report.max_error < 1e-8, "{report:?}");
    }

    #[test]
    fn drops_about_rate_and_keeps_the_mean() {
        let d = Dropout::<f64, Flat<100>, 200_000>::new();
        let x = SMatrix::<f64, 100, 50>::from_element(1.0);
        let mut y = SMatrix::<f64, 100, 50>::zeros();
        let mut mask = SMatrix::<f64, 100, 50>::zeros();
        d.forward_train(&x, &mut y, &mut mask, Some(&mut SplitMix64::new(9)));
        let dropped = y.iter().filter(|v| **v == 0.0).count() as f64 / 5000.0;
        assert!((dropped - 0.2).abs() < 0.02, "{dropped}");
        assert!((y.mean() - 1.0).abs() < 0.03, "{}", y.mean());
        assert!(y.iter().all(|&v| v == 0.0 || (v - 1.25).abs() < 1e-12));
        let mut inference = SMatrix::<f64, 100, 50>::zeros();
        d.forward(&x, &mut inference, &mut ());
        assert_eq!(inference, x);
    }

    #[test]
    fn a_batch_split_between_threads_keeps_the_mask() {
        // 129 features at batch 65: with `parallel`, odd sizes cut at column 36 between the
        // two threads. Every feature must get the bits of the whole, unsplit stream.
        let d = Dropout::<f32, Flat<129>, 300_000>::new();
        let x = SMatrix::<f32, 129, 65>::from_fn(|i, j| (i * 65 + j) as f32);
        let (mut y, mut mask) = (SMatrix::zeros(), SMatrix::zeros());
        let mut rng = SplitMix64::new(4);
        d.forward_train(&x, &mut y, &mut mask, Some(&mut rng.clone()));
        let draw = Mask::<f32>::new(rng.next_u64(), 0.3);
        let mut y_whole = SMatrix::<f32, 129, 65>::zeros();
        let mut m_whole = SMatrix::<f32, 129, 65>::zeros();
        let (y_all, m_all) = (y_whole.as_mut_slice(), m_whole.as_mut_slice());
        draw.fill_portable(0, x.as_slice(), y_all, m_all);
        assert_eq!((y, mask), (y_whole, m_whole));
        let (mut dx, mut dy) = (SMatrix::zeros(), SMatrix::<f32, 129, 65>::repeat(3.0));
        d.backward(
            Backward::new(&x, &y, &mut mask, &mut dy, &mut NoParams).input_gradient(&mut dx),
        );
        assert_eq!(dx, m_whole * 3.0);
    }

    #[test]
    fn images_are_masked_value_by_value() {
        let d = Dropout::<f64, Hwc<4, 5, 6>, 500_000>::new();
        let x = Batch::<f64, Hwc<4, 5, 6>, 3>::from_slice(&[1.0; 360]);
        let (mut y, mut mask) = (Batch::<f64, Hwc<4, 5, 6>, 3>::zeroed(), Zeroed::zeroed());
        d.forward_train(&x, &mut y, &mut mask, Some(&mut SplitMix64::new(2)));
        let dropped = y.as_slice().iter().filter(|&&v| v == 0.0).count();
        assert!((140..220).contains(&dropped), "{dropped}");
        assert_eq!(y, mask);
    }

    #[test]
    fn the_rate_is_the_declared_decimal() {
        assert_eq!(Dropout::<f32, Flat<3>, 200_000>::RATE, 0.2);
        assert_eq!(Dropout::<f32, Flat<3>, 999_999>::new().rate(), 0.999999);
        assert_eq!(Dropout::<f32, Flat<3>, 0>::RATE, 0.0);
        // All-zero bytes, as `boxed()` and `Zeroed` build it, keep the rate: it is the type's.
        assert_eq!(Dropout::<f32, Flat<3>, 250_000>::zeroed().rate(), 0.25);
    }

    #[test]
    fn dropout_switched_off_keeps_every_feature_and_draws_nothing() {
        let d = Dropout::<f64, Flat<5>, 500_000>::new();
        let x = SMatrix::<f64, 5, 3>::from_fn(|i, j| i as f64 - j as f64);
        let (mut y, mut mask) = (SMatrix::zeros(), SMatrix::zeros());
        d.forward_train::<3>(&x, &mut y, &mut mask, None);
        assert_eq!((y, mask), (x, SMatrix::repeat(1.0)));
        let (mut dx, mut dy) = (SMatrix::zeros(), SMatrix::repeat(2.0));
        d.backward(
            Backward::new(&x, &y, &mut mask, &mut dy, &mut NoParams).input_gradient(&mut dx),
        );
        assert_eq!(dx, SMatrix::<f64, 5, 3>::repeat(2.0));
    }
}
