//! Max pooling over channels-last images, as Keras' `MaxPooling2D`: each channel's largest
//! value in each window.
//!
//! Shapes: `H×W×C` in, `OH×OW×C` out, with `OH×OW` the [window](super::window)'s positions
//! for a `PH×PW` pool moving by strides `SH×SW` (the pool size unless given, as in Keras) with
//! padding `P`. The padding takes no part: a window's maximum is over the input values it
//! covers, as TensorFlow pads with `−∞`.
//!
//! `y[i, j, c] = max_{(h, w) ∈ window(i, j)} x[h, w, c]`
//!
//! Backward: the maximum is a selection, so its gradient routes: `∂L/∂x[h, w, c]` is the sum of
//! `∂L/∂y[i, j, c]` over the windows `(i, j)` whose maximum `x[h, w, c]` is, and zero
//! elsewhere. When a window holds its maximum more than once, the *first* of them in row-major
//! window order (top row first, left to right) is the maximum and receives the gradient, as in
//! PyTorch and in XLA (Keras on JAX); the others get none. The training pass keeps each
//! output's input position in the tape.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::MaxPooling2D;
//! use liandan::shape::{Batch, Hwc};
//!
//! let pool = MaxPooling2D::<f32, 4, 4, 1, 2, 2, 2, 2>::new(); // 2×2 windows, strides 2×2
//! let mut x = Batch::<f32, Hwc<4, 4, 1>, 1>::zeroed();
//! for (i, v) in x.as_mut_slice().iter_mut().enumerate() {
//!     *v = i as f32; // rows 0..4, 4..8, 8..12, 12..16
//! }
//! let mut y = Batch::<f32, Hwc<2, 2, 1>, 1>::zeroed();
//! pool.forward(&x, &mut y, &mut ());
//! assert_eq!(y.as_slice(), [5.0, 7.0, 13.0, 15.0]);
//! ```

use core::marker::PhantomData;

use rand::RngCore;

use super::window::{pooling, Valid, Window};
use crate::kernel::by_samples;
use crate::layer::{Accepts, Backward, Forward, Head, Train};
use crate::shape::{Hwc, HwcBatch};
use crate::{Float, Zeroed};

/// Max pooling of `PH×PW` windows over `H×W×C` images, giving `OH×OW×C`, with padding `P`
/// and strides `SH×SW` (the pool size by default).
///
/// The output size is a parameter because stable Rust cannot compute it in a type: `network!`
/// fills it in, and a wrong one fails to compile with the rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxPooling2D<
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

/// What a training pass of [`MaxPooling2D`] keeps: for each output value, the pixel `h·W + w`
/// of its sample where the window's maximum is, as a float of the layer's type (so the tape is
/// as large as an output batch; exact, as the rule keeps images below 2²⁴ pixels).
#[derive(Clone, Debug)]
pub struct MaxPoolingTape<T, const C: usize, const OH: usize, const OW: usize, const B: usize> {
    argmax: HwcBatch<T, OH, OW, C, B>,
}

// Safety: a batch of floats.
unsafe impl<T: Zeroed, const C: usize, const OH: usize, const OW: usize, const B: usize> Zeroed
    for MaxPoolingTape<T, C, OH, OW, B>
{
}

/// `MaxPooling2D<T, H, W, C, PH, PW, OH, OW, P, SH, SW>`.
macro_rules! ty {
    () => {
        MaxPooling2D<T, H, W, C, PH, PW, OH, OW, P, SH, SW>
    };
}

pooling!(zeroed MaxPooling2D);

pooling!(impl; ty!() {
    /// The window of the pool over the image.
    const WINDOW: Window = Window::new([H, W], [PH, PW], [SH, SW], P::SAME);

    /// The rule, checked where the layer is used: positive sizes, the stated output size is
    /// the window's, and a pixel's index is exact in the tape's floats (below 2²⁴).
    const RULE: () = {
        Self::WINDOW.check("MaxPooling2D", P::NAME, [OH, OW]);
        assert!(H * W <= 1 << 24, "`MaxPooling2D` of an image of over 2²⁴ pixels");
    };

    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        let () = Self::RULE;
        MaxPooling2D(PhantomData)
    }
});

pooling!(impl Float; ty!() {
    /// Each window's maximum per channel into `y`, and with `argmax` the pixel `h·W + w` it
    /// is at, for the images `x`. The channels of a pixel are one array, so each comparison is
    /// a vector's; the maxima are kept in `y` itself (in cache), not in registers.
    fn pool(x: &[[[[T; C]; W]; H]], y: &mut [[[[T; C]; OW]; OH]], mut argmax: Option<&mut [[[[T; C]; OW]; OH]]>) {
        for (n, (image, out)) in x.iter().zip(y.iter_mut()).enumerate() {
            for (i, row) in out.iter_mut().enumerate() {
                for (j, best) in row.iter_mut().enumerate() {
                    match argmax.as_deref_mut() {
                        Some(argmax) => Self::window_argmax(image, (i, j), best, &mut argmax[n][i][j]),
                        None => Self::window_max(image, (i, j), best),
                    }
                }
            }
        }
    }

    /// The values a pass over `batch` samples reads: what decides whether it splits.
    const fn work(batch: usize) -> usize {
        (OH * OW * C).saturating_mul(PH * PW).saturating_mul(batch)
    }

    /// `∂L/∂x[argmax] = Σ ∂L/∂y`, zero elsewhere, for the images `dx`.
    fn route(argmax: &[[[[T; C]; OW]; OH]], dy: &[[[[T; C]; OW]; OH]], dx: &mut [[[[T; C]; W]; H]]) {
        for ((argmax, dy), image) in argmax.iter().zip(dy).zip(dx) {
            image.as_flattened_mut().as_flattened_mut().fill(T::zero());
            for i in 0..OH {
                for j in 0..OW {
                    let (at, d) = (&argmax[i][j], &dy[i][j]);
                    // Each pixel of the window takes the gradient of the channels whose
                    // maximum it is: a comparison per channel, a vector's.
                    Self::taps((i, j), |h, w| {
                        let pixel = T::of((h * W + w) as f64);
                        for ((g, &a), &d) in image[h][w].iter_mut().zip(at).zip(d) {
                            *g += if a == pixel { d } else { T::zero() };
                        }
                    });
                }
            }
        }
    }

    /// The input pixels `(h, w)` of window `(i, j)`, in row-major window order.
    #[inline]
    fn taps((i, j): (usize, usize), mut f: impl FnMut(usize, usize)) {
        let Window { rows, cols } = Self::WINDOW;
        let ((r0, r1), (c0, c1)) = (rows.taps(i), cols.taps(j));
        for t in r0..r1 {
            for u in c0..c1 {
                f(rows.position(i, t), cols.position(j, u));
            }
        }
    }

    /// `best` = each channel's maximum over window `(i, j)` (every window covers a pixel).
    #[inline]
    fn window_max(image: &[[[T; C]; W]; H], at: (usize, usize), best: &mut [T; C]) {
        let mut first = true;
        Self::taps(at, |h, w| {
            if first {
                *best = image[h][w];
                first = false;
            }
            for (b, &v) in best.iter_mut().zip(&image[h][w]) {
                *b = if v > *b { v } else { *b };
            }
        });
    }

    /// As [`window_max`](Self::window_max), with `argmax` the pixel of each maximum: the
    /// first of equal ones, since a second pass over the window from its last pixel to its
    /// first marks every pixel holding the maximum and the first marks last.
    #[inline]
    fn window_argmax(image: &[[[T; C]; W]; H], at: (usize, usize), best: &mut [T; C], argmax: &mut [T; C]) {
        Self::window_max(image, at, best);
        let Window { rows, cols } = Self::WINDOW;
        let ((r0, r1), (c0, c1)) = (rows.taps(at.0), cols.taps(at.1));
        // A NaN maximum equals nothing: its channel keeps the window's first pixel.
        let first = rows.position(at.0, r0) * W + cols.position(at.1, c0);
        *argmax = [T::of(first as f64); C];
        for t in (r0..r1).rev() {
            let h = rows.position(at.0, t);
            for u in (c0..c1).rev() {
                let w = cols.position(at.1, u);
                let pixel = T::of((h * W + w) as f64);
                for ((a, &b), &v) in argmax.iter_mut().zip(best.iter()).zip(&image[h][w]) {
                    *a = if v == b { pixel } else { *a };
                }
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
        by_samples(B, Self::work(B), buffers, |(x, y)| Self::pool(x, y, None));
    }
});

pooling!(impl Float; Accepts<Hwc<H, W, C>> for ty!() {});

pooling!(impl Float; Train for ty!() {
    type Tape<const B: usize> = MaxPoolingTape<T, C, OH, OW, B>;
    type Grad = crate::layer::NoParams;
    const HEAD: Head = Head::Other;

    fn forward_train<const B: usize>(
        &self,
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut HwcBatch<T, OH, OW, C, B>,
        tape: &mut Self::Tape<B>,
        _: Option<&mut dyn RngCore>,
    ) {
        let () = Self::RULE;
        let buffers = (x.samples(), (y.samples_mut(), tape.argmax.samples_mut()));
        by_samples(B, Self::work(B), buffers, |(x, (y, argmax))| Self::pool(x, y, Some(argmax)));
    }

    /// `∂L/∂x[argmax] += ∂L/∂y`, zero elsewhere.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        let Some(dx) = ctx.dx else { return };
        let buffers = ((ctx.tape.argmax.samples(), ctx.dy.samples()), dx.samples_mut());
        by_samples(B, Self::work(B), buffers, |((argmax, dy), dx)| Self::route(argmax, dy, dx));
    }

    fn init<R: RngCore + ?Sized>(&mut self, _: &mut R) {}
});

pooling!(no_params MaxPooling2D);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check_layer;
    use crate::layers::Same;
    use crate::shape::Buffer;

    #[test]
    #[cfg(feature = "parallel")]
    fn passes_split_by_samples_are_the_whole_passes_bits() {
        // keras.io's convnet's first pooling, narrower: 16 samples, split at 12.
        let pool = MaxPooling2D::<f32, 26, 26, 8, 2, 2, 13, 13>::new();
        crate::gradcheck::check_split_bits::<_, 16>(&pool);
        let same = MaxPooling2D::<f32, 11, 11, 8, 3, 3, 6, 6, Same, 2, 2>::new();
        crate::gradcheck::check_split_bits::<_, 16>(&same);
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_layer::<MaxPooling2D<f64, 4, 6, 2, 2, 2, 2, 3>>();
        check_layer::<MaxPooling2D<f64, 5, 5, 3, 2, 2, 3, 3, Same>>();
        check_layer::<MaxPooling2D<f64, 5, 6, 2, 3, 3, 2, 2, Valid, 2, 2>>();
        check_layer::<MaxPooling2D<f64, 7, 5, 1, 3, 2, 4, 5, Same, 2, 1>>();
    }

    #[test]
    fn the_first_of_tied_maxima_receives_the_gradient() {
        type Pool = MaxPooling2D<f64, 2, 4, 1, 2, 2, 1, 2>;
        let x = HwcBatch::<f64, 2, 4, 1, 1>::from_slice(&[1.0, 3.0, 2.0, 2.0, 3.0, 0.0, 2.0, 2.0]);
        let mut y = HwcBatch::<f64, 1, 2, 1, 1>::zeroed();
        let mut tape = MaxPoolingTape::<f64, 1, 1, 2, 1>::zeroed();
        Pool::new().forward_train(&x, &mut y, &mut tape, None);
        assert_eq!(y.as_slice(), [3.0, 2.0]);
        let mut dy = HwcBatch::<f64, 1, 2, 1, 1>::from_slice(&[10.0, 20.0]);
        let mut dx = HwcBatch::<f64, 2, 4, 1, 1>::zeroed();
        let mut grad = crate::layer::NoParams;
        let ctx = Backward::new(&x, &y, &mut tape, &mut dy, &mut grad).input_gradient(&mut dx);
        Pool::new().backward(ctx);
        assert_eq!(dx.as_slice(), [0.0, 10.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
