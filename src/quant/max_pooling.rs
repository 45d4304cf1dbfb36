//! Int8 max pooling over channels-last images, as TFLite's reference `MaxPool`: each
//! channel's largest value in each window, over the input values the window covers (the
//! padding takes no part).
//!
//! The largest int8 stands for the largest real value whatever the quantisation, so the output
//! keeps its input's scale and zero point, as TFLite's `MAX_POOL_2D` requires; the layer has no
//! tensors.

use core::marker::PhantomData;

use crate::layer::{Accepts, Forward};
use crate::layers::window::Window;
use crate::layers::{Padding, Valid};
use crate::shape::{Hwc, HwcBatch};
use crate::Zeroed;

/// Int8 max pooling of `PH×PW` windows over `H×W×C` images, giving `OH×OW×C`, with padding
/// `P` and strides `SH×SW` (the pool size by default): the parameters of
/// [`layers::MaxPooling2D`](crate::layers::MaxPooling2D) without its element type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxPooling2D<
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
>(PhantomData<P>);

/// The generics of [`MaxPooling2D`] in an impl (`pool!([impl]; ..)`).
macro_rules! pool {
    ([$($head:tt)*]; $($rest:tt)*) => {
        $($head)*<
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

/// `MaxPooling2D<H, W, C, PH, PW, OH, OW, P, SH, SW>`.
macro_rules! ty {
    () => {
        MaxPooling2D<H, W, C, PH, PW, OH, OW, P, SH, SW>
    };
}

// Safety: a PhantomData has no bytes.
pool!([unsafe impl]; Zeroed for ty!() {});

pool!([impl]; ty!() {
    /// The window of the pool over the image.
    const WINDOW: Window = Window::new([H, W], [PH, PW], [SH, SW], P::SAME);

    /// The rule, checked where the layer is used: the stated output size is the window's.
    const RULE: () = Self::WINDOW.check("MaxPooling2D", P::NAME, [OH, OW]);

    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        let () = Self::RULE;
        MaxPooling2D(PhantomData)
    }

    /// [`window_max`](Self::window_max) without padding: the window is `PH×PW` pixels from
    /// `(i·SH, j·SW)`, all inside the image, so it is indexed directly (and the channels'
    /// maxima are vector instructions).
    #[inline(always)]
    fn valid_window_max(image: &[[[i8; C]; W]; H], (i, j): (usize, usize), best: &mut [i8; C]) {
        *best = [i8::MIN; C];
        for pixels in &image[i * SH..i * SH + PH] {
            for pixel in &pixels[j * SW..j * SW + PW] {
                for (b, &v) in best.iter_mut().zip(pixel) {
                    *b = (*b).max(v);
                }
            }
        }
    }

    /// `best` = each channel's maximum over window `(i, j)` of `image`, which covers at least
    /// one pixel.
    #[inline(always)]
    fn window_max(image: &[[[i8; C]; W]; H], (i, j): (usize, usize), best: &mut [i8; C]) {
        let Window { rows, cols } = Self::WINDOW;
        let ((r0, r1), (c0, c1)) = (rows.taps(i), cols.taps(j));
        *best = [i8::MIN; C];
        for t in r0..r1 {
            let pixels = &image[rows.position(i, t)];
            for u in c0..c1 {
                let pixel = &pixels[cols.position(j, u)];
                for (b, &v) in best.iter_mut().zip(pixel) {
                    *b = (*b).max(v);
                }
            }
        }
    }
});

pool!([impl]; Forward for ty!() {
    type Element = i8;
    type Input = Hwc<H, W, C>;
    type Output = Hwc<OH, OW, C>;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(
        &self,
        x: &HwcBatch<i8, H, W, C, B>,
        y: &mut HwcBatch<i8, OH, OW, C, B>,
        _: &mut (),
    ) {
        let () = Self::RULE;
        crate::kernel::vectorised(|| Self::pool(x, y));
    }
});

pool!([impl]; ty!() {
    /// Each sample's windows' maxima.
    #[inline(always)]
    fn pool<const B: usize>(x: &HwcBatch<i8, H, W, C, B>, y: &mut HwcBatch<i8, OH, OW, C, B>) {
        for (image, out) in x.samples().iter().zip(y.samples_mut()) {
            for (i, row) in out.iter_mut().enumerate() {
                for (j, best) in row.iter_mut().enumerate() {
                    if P::SAME {
                        Self::window_max(image, (i, j), best);
                    } else {
                        Self::valid_window_max(image, (i, j), best);
                    }
                }
            }
        }
    }
});

pool!([impl]; Accepts<Hwc<H, W, C>> for ty!() {});

#[cfg(test)]
mod tests {
    use std::vec::Vec;

    use super::*;
    use crate::layers::Same;
    use crate::rng::SplitMix64;
    use crate::shape::Buffer;

    /// TFLite's `MaxPool` of `x`: each window's maximum over the positions inside the image,
    /// the padding before computed here as TFLite computes it.
    fn reference(
        x: &[i8],
        [h, w, c]: [usize; 3],
        [ph, pw]: [usize; 2],
        [oh, ow]: [usize; 2],
        [sh, sw]: [usize; 2],
        same: bool,
    ) -> Vec<i8> {
        let pad = |out: usize, s: usize, k: usize, i: usize| match same {
            true => ((out - 1) * s + k).saturating_sub(i) / 2,
            false => 0,
        };
        let (pt, pl) = (pad(oh, sh, ph, h) as isize, pad(ow, sw, pw, w) as isize);
        let mut y = Vec::new();
        for n in 0..x.len() / (h * w * c) {
            for (i, j, ch) in (0..oh * ow * c).map(|p| (p / (ow * c), p / c % ow, p % c)) {
                let mut best = i8::MIN;
                for (t, u) in (0..ph * pw).map(|p| (p / pw, p % pw)) {
                    let (r, col) = ((i * sh + t) as isize - pt, (j * sw + u) as isize - pl);
                    if r >= 0 && col >= 0 && r < h as isize && col < w as isize {
                        let at = n * h * w * c + (r as usize * w + col as usize) * c + ch;
                        best = best.max(x[at]);
                    }
                }
                y.push(best);
            }
        }
        y
    }

    /// The layer agrees with the reference on two random images.
    fn agrees<
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
    >(
        seed: u64,
    ) {
        let mut rng = SplitMix64::new(seed);
        let mut x = HwcBatch::<i8, H, W, C, 2>::boxed();
        for v in x.as_mut_slice() {
            *v = (rng.below(256) as i32 - 128) as i8;
        }
        let mut y = HwcBatch::<i8, OH, OW, C, 2>::boxed();
        <MaxPooling2D<H, W, C, PH, PW, OH, OW, P, SH, SW>>::new().forward(&x, &mut y, &mut ());
        let expected = reference(
            x.as_slice(),
            [H, W, C],
            [PH, PW],
            [OH, OW],
            [SH, SW],
            P::SAME,
        );
        assert_eq!(y.as_slice(), expected.as_slice());
    }

    #[test]
    fn valid_pools_match_tflite() {
        agrees::<26, 26, 4, 2, 2, 13, 13, Valid, 2, 2>(1);
        agrees::<5, 7, 3, 2, 2, 2, 3, Valid, 2, 2>(2); // the last row and column are dropped
        agrees::<6, 5, 2, 3, 3, 2, 2, Valid, 2, 2>(3);
        agrees::<4, 4, 1, 2, 2, 3, 3, Valid, 1, 1>(4);
    }

    #[test]
    fn same_pools_leave_the_padding_out_as_tflite() {
        agrees::<5, 6, 2, 3, 3, 3, 3, Same, 2, 2>(5);
        agrees::<5, 5, 3, 2, 2, 3, 3, Same, 2, 2>(6);
        agrees::<4, 5, 1, 2, 2, 4, 5, Same, 1, 1>(7);
        agrees::<7, 5, 1, 3, 2, 4, 5, Same, 2, 1>(8);
    }

    #[test]
    fn the_smallest_int8_is_a_maximum_too() {
        let x = HwcBatch::<i8, 2, 2, 1, 1>::from_slice(&[-128, -128, -128, -128]);
        let mut y = HwcBatch::<i8, 1, 1, 1, 1>::zeroed();
        MaxPooling2D::<2, 2, 1, 2, 2, 1, 1>::new().forward(&x, &mut y, &mut ());
        assert_eq!(y.as_slice(), [-128]);
    }
}
