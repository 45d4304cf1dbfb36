//! Average pooling over channels-last images, as Keras' `AveragePooling2D`: each channel's
//! mean in each window.
//!
//! Shapes: `H×W×C` in, `OH×OW×C` out, with `OH×OW` the [window](super::window)'s positions
//! for a `PH×PW` pool moving by strides `SH×SW` (the pool size unless given, as in Keras) with
//! padding `P`. With [`Same`](super::Same) padding a window at the border averages only the
//! input values it covers, `n(i, j)` of them, as TensorFlow does (the padding is not counted).
//!
//! `y[i, j, c] = (1 / n(i, j)) · Σ_{(h, w) ∈ window(i, j)} x[h, w, c]`
//!
//! Backward: each input value receives an equal share of every window it lies in,
//! `∂L/∂x[h, w, c] = Σ_{(i, j) ∋ (h, w)} ∂L/∂y[i, j, c] / n(i, j)`.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::{AveragePooling2D, Same};
//! use liandan::shape::{Batch, Hwc};
//!
//! // 3×3 windows with strides 1 over a 3×3 image, same padding: corners average 4 values.
//! let pool = AveragePooling2D::<f32, 3, 3, 1, 3, 3, 3, 3, Same, 1, 1>::new();
//! let x = Batch::<f32, Hwc<3, 3, 1>, 1>::from_slice(&[4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
//! let mut y = Batch::<f32, Hwc<3, 3, 1>, 1>::zeroed();
//! pool.forward(&x, &mut y, &mut ());
//! assert_eq!(y.as_slice()[..3], [1.0, 4.0 / 6.0, 0.0]);
//! ```

use core::marker::PhantomData;

use rand::RngCore;

use super::window::{pooling, Valid, Window};
use crate::kernel::by_samples;
use crate::layer::{Accepts, Backward, Forward, Head, NoParams, Train};
use crate::shape::{image_values, image_values_mut, Hwc, HwcBatch};
use crate::Float;

/// Average pooling of `PH×PW` windows over `H×W×C` images, giving `OH×OW×C`, with padding
/// `P` and strides `SH×SW` (the pool size by default).
///
/// The output size is a parameter because stable Rust cannot compute it in a type: `network!`
/// fills it in, and a wrong one fails to compile with the rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AveragePooling2D<
    T,
    const H: usize,
    const W: usize,
    const C: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
    P = Valid,
    const SH: usize = PH,
    const SW: usize = PW,
>(PhantomData<(T, P)>);

/// `AveragePooling2D<T, H, W, C, PH, PW, OH, OW, P, SH, SW>`.
macro_rules! ty {
    () => {
        AveragePooling2D<T, H, W, C, PH, PW, OH, OW, P, SH, SW>
    };
}

pooling!(zeroed AveragePooling2D);

pooling!(impl; ty!() {
    /// The window of the pool over the image.
    const WINDOW: Window = Window::new([H, W], [PH, PW], [SH, SW], P::SAME);

    /// The rule, checked where the layer is used: positive sizes, and the stated output size
    /// is the window's.
    const RULE: () = Self::WINDOW.check("AveragePooling2D", P::NAME, [OH, OW]);

    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        let () = Self::RULE;
        AveragePooling2D(PhantomData)
    }

    /// The values a pass over `batch` samples reads: what decides whether it splits.
    const fn work(batch: usize) -> usize {
        (OH * OW * C).saturating_mul(PH * PW).saturating_mul(batch)
    }
});

pooling!(impl Float; ty!() {
    /// Each window's mean per channel, for the images `x` into `y` (flat, sample after sample).
    fn mean(x: &[T], y: &mut [T]) {
        let window = Self::WINDOW;
        let images = x.chunks_exact(H * W * C);
        for (image, out) in images.zip(y.chunks_exact_mut(OH * OW * C)) {
            for (pixel, mean) in out.chunks_exact_mut(C).enumerate() {
                mean.fill(T::zero());
                window.inputs(pixel, |p| {
                    for (m, &v) in mean.iter_mut().zip(&image[p * C..(p + 1) * C]) {
                        *m += v;
                    }
                });
                let count = T::of(window.count(pixel) as f64);
                mean.iter_mut().for_each(|m| *m /= count);
            }
        }
    }

    /// `∂L/∂x` of the images whose output gradient is `dy`, into `dx`: each window's gradient
    /// shared equally among the input values it covers.
    fn share(dy: &[T], dx: &mut [T]) {
        let window = Self::WINDOW;
        dx.fill(T::zero());
        let dy = dy.chunks_exact(OH * OW * C);
        for (image, dy) in dx.chunks_exact_mut(H * W * C).zip(dy) {
            for (pixel, d) in dy.chunks_exact(C).enumerate() {
                let count = T::of(window.count(pixel) as f64);
                window.inputs(pixel, |p| {
                    for (g, &d) in image[p * C..(p + 1) * C].iter_mut().zip(d) {
                        *g += d / count;
                    }
                });
            }
        }
    }
});

pooling!(impl Float; Forward for ty!() {
    type Element = T;
    type Input = Hwc<H, W, C>;
    type Output = Hwc<OH, OW, C>;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(&self, x: &HwcBatch<T, H, W, C, B>, y: &mut HwcBatch<T, OH, OW, C, B>, _: &mut ()) {
        let () = Self::RULE;
        let buffers = (x.samples(), y.samples_mut());
        by_samples(B, Self::work(B), buffers, |(x, y)| Self::mean(image_values(x), image_values_mut(y)));
    }
});

pooling!(impl Float; Accepts<Hwc<H, W, C>> for ty!() {});

pooling!(impl Float; Train for ty!() {
    type Tape<const B: usize> = ();
    type Grad = NoParams;
    const HEAD: Head = Head::Other;

    fn forward_train<const B: usize>(
        &self,
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut HwcBatch<T, OH, OW, C, B>,
        _: &mut (),
        _: Option<&mut dyn RngCore>,
    ) {
        self.forward(x, y, &mut ());
    }

    /// `∂L/∂x[h, w] += ∂L/∂y[i, j] / n(i, j)` for every window `(i, j)` over `(h, w)`.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        let Some(dx) = ctx.dx else { return };
        let buffers = (ctx.dy.samples(), dx.samples_mut());
        by_samples(B, Self::work(B), buffers, |(dy, dx)| Self::share(image_values(dy), image_values_mut(dx)));
    }

    fn init<R: RngCore + ?Sized>(&mut self, _: &mut R) {}
});

pooling!(no_params AveragePooling2D);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check_layer;
    use crate::layers::Same;

    #[test]
    #[cfg(feature = "parallel")]
    fn passes_split_by_samples_are_the_whole_passes_bits() {
        // keras.io's convnet's first pooling, narrower: 16 samples, split at 12.
        let pool = AveragePooling2D::<f32, 26, 26, 8, 2, 2, 13, 13>::new();
        crate::gradcheck::check_split_bits::<_, 16>(&pool);
        let same = AveragePooling2D::<f32, 11, 11, 8, 3, 3, 6, 6, Same, 2, 2>::new();
        crate::gradcheck::check_split_bits::<_, 16>(&same);
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_layer::<AveragePooling2D<f64, 4, 6, 2, 2, 2, 2, 3>>();
        check_layer::<AveragePooling2D<f64, 5, 5, 3, 2, 2, 3, 3, Same>>();
        check_layer::<AveragePooling2D<f64, 5, 6, 2, 3, 3, 2, 2, Valid, 2, 2>>();
        check_layer::<AveragePooling2D<f64, 7, 5, 1, 3, 2, 4, 5, Same, 2, 1>>();
    }
}
