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

use super::window::{Padding, Valid, Window};
use crate::layer::{Accepts, Backward, Forward, Head, Train};
use crate::shape::{Buffer, Hwc, HwcBatch};
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

/// The generic parameters of [`MaxPooling2D`] in an `impl`, and the type itself.
macro_rules! pooling {
    (impl $($bound:path)? ; $($rest:tt)*) => {
        impl<
                T $(: $bound)?,
                const H: usize,
                const W: usize,
                const C: usize,
                const PH: usize,
                const PW: usize,
                const OH: usize,
                const OW: usize,
                P: Padding,
                const SH: usize,
                const SW: usize,
            > $($rest)*
    };
}

/// `MaxPooling2D<T, H, W, C, PH, PW, OH, OW, P, SH, SW>`.
macro_rules! ty {
    () => {
        MaxPooling2D<T, H, W, C, PH, PW, OH, OW, P, SH, SW>
    };
}

// Safety: a PhantomData has no bytes.
unsafe impl<
        T,
        const H: usize,
        const W: usize,
        const C: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
        P,
        const SH: usize,
        const SW: usize,
    > Zeroed for ty!()
{
}

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
    /// is at. The channels of a pixel are one array, so each comparison is a vector's.
    fn pool<const B: usize>(
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut HwcBatch<T, OH, OW, C, B>,
        mut argmax: Option<&mut HwcBatch<T, OH, OW, C, B>>,
    ) {
        let Window { rows, cols } = Self::WINDOW;
        for n in 0..B {
            let image = x.sample(n);
            for i in 0..OH {
                let (r0, r1) = rows.taps(i);
                for j in 0..OW {
                    let (c0, c1) = cols.taps(j);
                    let first = (rows.position(i, r0), cols.position(j, c0));
                    let mut best = image[first.0][first.1];
                    let mut at = [T::of((first.0 * W + first.1) as f64); C];
                    for t in r0..r1 {
                        let h = rows.position(i, t);
                        for u in c0..c1 {
                            let w = cols.position(j, u);
                            let pixel = T::of((h * W + w) as f64);
                            // The first maximum wins a tie: a later value must be larger.
                            for ((b, a), &v) in best.iter_mut().zip(&mut at).zip(&image[h][w]) {
                                let larger = v > *b;
                                *b = if larger { v } else { *b };
                                *a = if larger { pixel } else { *a };
                            }
                        }
                    }
                    y.sample_mut(n)[i][j] = best;
                    if let Some(argmax) = argmax.as_deref_mut() {
                        argmax.sample_mut(n)[i][j] = at;
                    }
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
        Self::pool(x, y, None);
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
        Self::pool(x, y, Some(&mut tape.argmax));
    }

    /// `∂L/∂x[argmax] += ∂L/∂y`, zero elsewhere.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        let Some(dx) = ctx.dx else { return };
        dx.as_mut_slice().fill(T::zero());
        for n in 0..B {
            let (argmax, dy) = (ctx.tape.argmax.sample(n), ctx.dy.sample(n));
            let image = dx.sample_mut(n).as_flattened_mut();
            for (at, dy) in argmax.iter().flatten().zip(dy.iter().flatten()) {
                for (c, (&pixel, &d)) in at.iter().zip(dy).enumerate() {
                    image[pixel.to_f64() as usize][c] += d;
                }
            }
        }
    }

    fn init<R: RngCore + ?Sized>(&mut self, _: &mut R) {}
});

crate::layer::no_params!([
    T,
    const H: usize,
    const W: usize,
    const C: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
    P,
    const SH: usize,
    const SW: usize
] MaxPooling2D<T, H, W, C, PH, PW, OH, OW, P, SH, SW>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check_layer;
    use crate::layers::Same;

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
