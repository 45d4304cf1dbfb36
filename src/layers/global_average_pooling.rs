//! Global average pooling, as Keras' `GlobalAveragePooling2D`: each channel's mean over the
//! whole image, `H×W×C` in, `C` features out.
//!
//! `y[c] = (1 / (H·W)) · Σ_{h, w} x[h, w, c]`
//!
//! Backward: every pixel receives an equal share, `∂L/∂x[h, w, c] = ∂L/∂y[c] / (H·W)`.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::GlobalAveragePooling2D;
//! use liandan::shape::{Batch, Hwc};
//!
//! let pool = GlobalAveragePooling2D::<f32, 2, 1, 2>::new();
//! let x = Batch::<f32, Hwc<2, 1, 2>, 1>::from_slice(&[1.0, 10.0, 3.0, 30.0]);
//! let mut y = SMatrix::<f32, 2, 1>::zeros();
//! pool.forward(&x, &mut y, &mut ());
//! assert_eq!(y.as_slice(), [2.0, 20.0]);
//! ```

use core::marker::PhantomData;

use rand::RngCore;

use crate::layer::{Accepts, Backward, Forward, Head, NoParams, Train};
use crate::shape::{Batch, Buffer, Flat, Hwc, HwcBatch, Text};
use crate::{Float, Zeroed};

/// The mean of each of `C` channels over an `H×W` image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalAveragePooling2D<T, const H: usize, const W: usize, const C: usize>(
    PhantomData<T>,
);

// Safety: a PhantomData has no bytes.
unsafe impl<T, const H: usize, const W: usize, const C: usize> Zeroed
    for GlobalAveragePooling2D<T, H, W, C>
{
}

impl<T, const H: usize, const W: usize, const C: usize> GlobalAveragePooling2D<T, H, W, C> {
    /// The rule, checked where the layer is used: an image has pixels.
    const RULE: () = if H == 0 || W == 0 {
        let text = Text::new()
            .str("`GlobalAveragePooling2D` of ")
            .num(H)
            .str("×")
            .num(W);
        panic!(
            "{}",
            text.str(": an image without pixels has no mean").as_str()
        );
    };

    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        let () = Self::RULE;
        GlobalAveragePooling2D(PhantomData)
    }
}

impl<T: Float, const H: usize, const W: usize, const C: usize> Forward
    for GlobalAveragePooling2D<T, H, W, C>
{
    type Element = T;
    type Input = Hwc<H, W, C>;
    type Output = Flat<C>;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(
        &self,
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut Batch<T, Flat<C>, B>,
        _: &mut (),
    ) {
        let () = Self::RULE;
        let count = T::of((H * W) as f64);
        let images = x.as_slice().chunks_exact(H * W * C);
        for (image, mean) in images.zip(y.as_mut_slice().chunks_exact_mut(C)) {
            mean.fill(T::zero());
            for pixel in image.chunks_exact(C) {
                for (m, &v) in mean.iter_mut().zip(pixel) {
                    *m += v;
                }
            }
            mean.iter_mut().for_each(|m| *m /= count);
        }
    }
}

impl<T: Float, const H: usize, const W: usize, const C: usize> Accepts<Hwc<H, W, C>>
    for GlobalAveragePooling2D<T, H, W, C>
{
}

impl<T: Float, const H: usize, const W: usize, const C: usize> Train
    for GlobalAveragePooling2D<T, H, W, C>
{
    type Tape<const B: usize> = ();
    type Grad = NoParams;
    const HEAD: Head = Head::Other;

    fn forward_train<const B: usize>(
        &self,
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut Batch<T, Flat<C>, B>,
        _: &mut (),
        _: Option<&mut dyn RngCore>,
    ) {
        self.forward(x, y, &mut ());
    }

    /// `∂L/∂x[h, w, c] = ∂L/∂y[c] / (H·W)` at every pixel.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        let Some(dx) = ctx.dx else { return };
        let count = T::of((H * W) as f64);
        let dy = ctx.dy.as_slice().chunks_exact(C);
        for (image, d) in dx.as_mut_slice().chunks_exact_mut(H * W * C).zip(dy) {
            for pixel in image.chunks_exact_mut(C) {
                for (g, &d) in pixel.iter_mut().zip(d) {
                    *g = d / count;
                }
            }
        }
    }

    fn init<R: RngCore + ?Sized>(&mut self, _: &mut R) {}
}

crate::layer::no_params!([T, const H: usize, const W: usize, const C: usize] GlobalAveragePooling2D<T, H, W, C>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_finite_differences() {
        crate::gradcheck::check_layer::<GlobalAveragePooling2D<f64, 3, 4, 2>>();
        crate::gradcheck::check_layer::<GlobalAveragePooling2D<f64, 1, 1, 5>>();
    }
}
