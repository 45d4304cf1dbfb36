//! An int8 convolution and the valid max pooling after it in one layer, bit for bit as the two
//! layers one after the other, computing only the convolution's outputs the windows cover.
//!
//! The product's rows are the pixels the windows cover, window by window: window
//! `p = i·QW + j` is the `PH·PW` rows of the pixels `(i·SH + t, j·SW + u)`, so that the windows
//! are runs of consecutive rows, and the product requantises each row and keeps each window's
//! largest output per filter. (Where every filter's requantisation is monotone, as a
//! convolution's `s_in·s_w/s_out` below one makes it, the SIMD bodies pool the accumulators in
//! registers and requantise once per window, which gives the same bytes.) The convolution's
//! int8 output, and its rows and columns no window covers (the last of an odd size pooled by
//! two), never exist.
//!
//! Each sample's image is copied once, unsigned (as the convolution's patches are, see
//! [`Conv2D`]) and padded with its zero point, and [`conv_max_pool`] reads each row's window
//! from it in place: `KH` runs of `KW·C` values, a padded image row apart, matching the kernel's
//! groups per kernel row. Only if that image does not fit in the room of the patches
//! ([`Conv2DMaxPool::IN_PLACE`]: kernels much smaller than their strides) are the patches
//! copied instead, for [`gemm_max_pool`]; overlapping windows (strides below the window) then
//! copy the pixels they share once per window.

use super::conv2d::{flip, Conv2D};
use super::{Int8Activation, Quantization};
use crate::kernel::int8::{conv_max_pool, gemm_max_pool};
use crate::layer::{Accepts, Forward};
use crate::layers::window::Window;
use crate::layers::Padding;
use crate::shape::{Hwc, HwcBatch};
use crate::Zeroed;

/// The int8 convolution `conv` followed by a valid max pooling of `PH×PW` windows with
/// strides `SH×SW` over its output, giving `QH×QW` pixels of its filters: what
/// [`Conv2D`] then [`MaxPooling2D`](super::MaxPooling2D) compute, in one pass. It has the
/// convolution's tensors and output quantisation (the pooling keeps it).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2DMaxPool<
    L,
    const PH: usize,
    const PW: usize,
    const SH: usize,
    const SW: usize,
    const QH: usize,
    const QW: usize,
> {
    /// The convolution.
    pub conv: L,
}

// Safety: the convolution alone, `Zeroed` by the bound.
unsafe impl<
        L: Zeroed,
        const PH: usize,
        const PW: usize,
        const SH: usize,
        const SW: usize,
        const QH: usize,
        const QW: usize,
    > Zeroed for Conv2DMaxPool<L, PH, PW, SH, SW, QH, QW>
{
}

/// One sample's unsigned patches, window by window: `[i][j][t][u]` is the patch of the
/// convolution's output pixel `(i·SH + t, j·SW + u)` in groups of four.
pub type PooledPatches<
    const G: usize,
    const PH: usize,
    const PW: usize,
    const QH: usize,
    const QW: usize,
> = [[[[[[u8; 4]; G]; PW]; PH]; QW]; QH];

/// The scratch of [`Conv2DMaxPool`]: room for one sample's patches, which holds instead the
/// sample's image, unsigned and padded, when that fits (see [`Conv2DMaxPool::IN_PLACE`]), and
/// where each covered pixel's window starts in that image.
#[derive(Debug)]
pub struct Conv2DMaxPoolScratch<
    const G: usize,
    const PH: usize,
    const PW: usize,
    const QH: usize,
    const QW: usize,
> {
    patches: PooledPatches<G, PH, PW, QH, QW>,
    starts: [[[[u32; PW]; PH]; QW]; QH],
}

// Safety: integer arrays: all zeros are valid.
unsafe impl<const G: usize, const PH: usize, const PW: usize, const QH: usize, const QW: usize>
    Zeroed for Conv2DMaxPoolScratch<G, PH, PW, QH, QW>
{
}

/// The patches' room as bytes.
fn bytes<const G: usize, const PH: usize, const PW: usize, const QH: usize, const QW: usize>(
    patches: &mut PooledPatches<G, PH, PW, QH, QW>,
) -> &mut [u8] {
    let groups = patches
        .as_flattened_mut()
        .as_flattened_mut()
        .as_flattened_mut();
    groups.as_flattened_mut().as_flattened_mut()
}

/// The generics of `Conv2DMaxPool<Conv2D<..>, ..>` in an impl (`fused!([impl] [bound]; ..)`).
macro_rules! fused {
    ([$($head:tt)*] [$($a:tt)*]; $($rest:tt)*) => {
        $($head)*<
            const H: usize,
            const W: usize,
            const C: usize,
            const F: usize,
            const KH: usize,
            const KW: usize,
            const OH: usize,
            const OW: usize,
            const G: usize,
            A $($a)*,
            P: Padding,
            const CSH: usize,
            const CSW: usize,
            const PH: usize,
            const PW: usize,
            const SH: usize,
            const SW: usize,
            const QH: usize,
            const QW: usize,
        > $($rest)*
    };
}

/// `Conv2DMaxPool<Conv2D<H, W, C, F, KH, KW, OH, OW, G, A, P, CSH, CSW>, PH, PW, SH, SW, QH, QW>`.
macro_rules! ty {
    () => {
        Conv2DMaxPool<Conv2D<H, W, C, F, KH, KW, OH, OW, G, A, P, CSH, CSW>, PH, PW, SH, SW, QH, QW>
    };
}

fused!([impl] []; ty!() {
    /// The rule of the pooling, checked where the layer is used: the stated output size is
    /// that of valid `PH×PW` windows with strides `SH×SW` over the convolution's output.
    const RULE: () =
        Window::new([OH, OW], [PH, PW], [SH, SW], false).check("MaxPooling2D", "Valid", [QH, QW]);

    /// The convolution's tensors: [`Conv2D::TENSORS`].
    pub const TENSORS: usize = 5;

    /// Fills the convolution from an int8 file's bytes, as [`Conv2D::load`]; `const`, for
    /// compiled-in networks.
    pub const fn load(&mut self, bytes: &[u8], at: &[usize], input: Quantization) {
        let () = Self::RULE;
        self.conv.load(bytes, at, input)
    }

    /// The padded image's rows and columns: those the convolution's windows read.
    const PADDED: [usize; 2] = [(OH - 1) * CSH + KH, (OW - 1) * CSW + KW];

    /// Whether the image, unsigned and padded, and the three bytes past it that a kernel row's
    /// last group may read fit in the patches' room: then the product reads it in place, with
    /// no patches. (The patches cover each window's pixels, so this holds but for kernels
    /// much smaller than their strides or a single pixel.)
    pub const IN_PLACE: bool = {
        let [hp, wp] = Self::PADDED;
        let bytes = hp * wp * C + 4;
        OH > 0 && OW > 0 && bytes <= QH * QW * PH * PW * 4 * G && bytes <= u32::MAX as usize
    };

    /// `image` made unsigned and padded with its zero point into `bytes`, rows of
    /// `PADDED[1]·C` values, then four 128s (flipped zeros): the bytes past the image that the
    /// last kernel row's last group reads, against weights of zero. The rest of `bytes` is
    /// left as it is; nothing reads it.
    fn padded(&self, image: &[[[i8; C]; W]; H], bytes: &mut [u8]) {
        let Window { rows, cols } = Conv2D::<H, W, C, F, KH, KW, OH, OW, G, A, P, CSH, CSW>::WINDOW;
        let [hp, wp] = Self::PADDED;
        let zero = flip(self.conv.input_zero_point);
        let (image_bytes, rest) = bytes.split_at_mut(hp * wp * C);
        rest[..4].fill(0x80);
        for (py, row) in image_bytes.chunks_exact_mut(wp * C).enumerate() {
            let Some(pixels) = py.checked_sub(rows.before).and_then(|y| image.get(y)) else {
                row.fill(zero);
                continue;
            };
            if cols.before == 0 && wp <= W {
                for (b, &v) in row.iter_mut().zip(pixels.as_flattened()) {
                    *b = flip(v);
                }
                continue;
            }
            for (px, pixel) in row.chunks_exact_mut(C).enumerate() {
                match px.checked_sub(cols.before).and_then(|x| pixels.get(x)) {
                    Some(values) => pixel.iter_mut().zip(values).for_each(|(b, &v)| *b = flip(v)),
                    None => pixel.fill(zero),
                }
            }
        }
    }

    /// Where each covered pixel's window starts in the padded image, window by window.
    fn starts(starts: &mut [[[[u32; PW]; PH]; QW]; QH]) {
        let pitch = Self::PADDED[1] * C;
        Self::covered(starts, |[oy, ox], start| {
            *start = (oy * CSH * pitch + ox * CSW * C) as u32;
        });
    }

    /// The unsigned patches of `image`, window by window.
    fn patches(&self, image: &[[[i8; C]; W]; H], patches: &mut PooledPatches<G, PH, PW, QH, QW>) {
        Self::covered(patches, |pixel, patch| {
            self.conv.patch(image, pixel, patch.as_flattened_mut(), flip);
        });
    }

    /// Calls `f(pixel, item)` for each pixel `(i·SH + t, j·SW + u)` of the convolution's output
    /// that window `(i, j)` covers, with its item `[i][j][t][u]` of `items`.
    #[inline(always)]
    fn covered<T>(items: &mut [[[[T; PW]; PH]; QW]; QH], mut f: impl FnMut([usize; 2], &mut T)) {
        for (i, row) in items.iter_mut().enumerate() {
            for (j, window) in row.iter_mut().enumerate() {
                for (t, pixels) in window.iter_mut().enumerate() {
                    for (u, item) in pixels.iter_mut().enumerate() {
                        f([i * SH + t, j * SW + u], item);
                    }
                }
            }
        }
    }
});

fused!([impl] [: Int8Activation]; Forward for ty!() {
    type Element = i8;
    type Input = Hwc<H, W, C>;
    type Output = Hwc<QH, QW, F>;
    /// One sample's image or patches, whatever the batch: the samples are convolved one at a
    /// time.
    type Scratch<const B: usize> = Conv2DMaxPoolScratch<G, PH, PW, QH, QW>;

    /// Per sample, its image made unsigned and padded, read in place by the pooled product
    /// with the kernel (or, where that does not fit, its patches window by window).
    fn forward<const B: usize>(
        &self,
        x: &HwcBatch<i8, H, W, C, B>,
        y: &mut HwcBatch<i8, QH, QW, F, B>,
        scratch: &mut Conv2DMaxPoolScratch<G, PH, PW, QH, QW>,
    ) {
        let ((), ()) = (Self::RULE, Conv2D::<H, W, C, F, KH, KW, OH, OW, G, A, P, CSH, CSW>::RULE);
        let (kernel, q) = (self.conv.kernel.as_flattened(), self.conv.requantization());
        let (windows, window, k) = (QH * QW, PH * PW, 4 * G);
        let taps = [KH, Self::PADDED[1] * C];
        let Conv2DMaxPoolScratch { patches, starts } = scratch;
        if Self::IN_PLACE {
            Self::starts(starts);
        }
        let starts: &[u32] = starts.as_flattened().as_flattened().as_flattened();
        for (image, out) in x.samples().iter().zip(y.samples_mut()) {
            let out = out.as_flattened_mut().as_flattened_mut();
            if Self::IN_PLACE {
                let image_bytes = bytes(patches);
                self.padded(image, image_bytes);
                conv_max_pool(image_bytes, starts, window, taps, k, kernel, F, &q, out, F);
                continue;
            }
            self.patches(image, patches);
            let rows = patches.as_flattened().as_flattened().as_flattened();
            let rows = rows.as_flattened().as_flattened();
            gemm_max_pool(rows, windows, window, k, k, kernel, F, &q, out, F);
        }
    }
});

fused!([impl] [: Int8Activation]; Accepts<Hwc<H, W, C>> for ty!() {});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Identity, Relu};
    use crate::layers::{Same, Valid};
    use crate::quant::{Int8Patches, MaxPooling2D};
    use crate::rng::SplitMix64;
    use crate::shape::Buffer;

    /// A random int8 value in `[lo, hi]`.
    fn int(rng: &mut SplitMix64, lo: i32, hi: i32) -> i32 {
        lo + rng.below((hi - lo + 1) as usize) as i32
    }

    /// Fills `conv` at random: weights in `[-127, 127]`, biases, multipliers in `[2^30, 2^31)`
    /// and shifts scaled to `K` values so that most outputs fall inside int8, or with
    /// `wrapping` positive shifts, whose products overflow.
    fn randomise<const F: usize, const G: usize>(
        rng: &mut SplitMix64,
        wrapping: bool,
        [k, row]: [usize; 2],
        kernel: &mut [[[i8; 4]; F]; G],
        bias: &mut [i32; F],
        multiplier: &mut [i32; F],
        shift: &mut [i8; F],
    ) {
        for (g, group) in kernel.iter_mut().enumerate() {
            for four in group.iter_mut() {
                for (j, w) in four.iter_mut().enumerate() {
                    // Zeros past each kernel row's `KW·C` values, as a loaded kernel holds them.
                    *w = if (g % row.div_ceil(4)) * 4 + j < row {
                        int(rng, -127, 127) as i8
                    } else {
                        0
                    };
                }
            }
        }
        let scale = -7 - (k.ilog2() as i32 + 1) / 2;
        for f in 0..F {
            bias[f] = int(rng, -20_000, 20_000);
            multiplier[f] = int(rng, 1 << 30, i32::MAX);
            shift[f] = match wrapping {
                true => int(rng, 0, 20),
                false => scale + int(rng, -1, 1),
            } as i8;
        }
    }

    /// The fused layer on two random images equals the convolution followed by the pooling.
    macro_rules! agrees {
        ($seed:expr, $wrapping:expr; $h:literal $w:literal $c:literal $f:literal $kh:literal $kw:literal
         $oh:literal $ow:literal $g:literal $a:ty, $p:ty, $csh:literal $csw:literal;
         $ph:literal $pw:literal $sh:literal $sw:literal $qh:literal $qw:literal) => {{
            let mut rng = SplitMix64::new($seed);
            let mut conv = <Conv2D<$h, $w, $c, $f, $kh, $kw, $oh, $ow, $g, $a, $p, $csh, $csw>>::boxed();
            randomise(
                &mut rng,
                $wrapping,
                [$kh * $kw * $c, $kw * $c],
                &mut conv.kernel,
                &mut conv.bias,
                &mut conv.multiplier,
                &mut conv.shift,
            );
            conv.output = Quantization { scale: 0.1, zero_point: int(&mut rng, -30, 30) };
            conv.input_zero_point = int(&mut rng, -20, 20) as i8;
            let mut x = HwcBatch::<i8, $h, $w, $c, 2>::boxed();
            for v in x.as_mut_slice() {
                *v = int(&mut rng, -128, 127) as i8;
            }
            let mut between = HwcBatch::<i8, $oh, $ow, $f, 2>::boxed();
            let mut want = HwcBatch::<i8, $qh, $qw, $f, 2>::boxed();
            conv.forward(&x, &mut between, &mut Int8Patches::<$g, $oh, $ow>::boxed());
            let pool = MaxPooling2D::<$oh, $ow, $f, $ph, $pw, $qh, $qw, Valid, $sh, $sw>::new();
            pool.forward(&between, &mut want, &mut ());
            let fused = Conv2DMaxPool::<_, $ph, $pw, $sh, $sw, $qh, $qw> { conv: *conv };
            let mut got = HwcBatch::<i8, $qh, $qw, $f, 2>::boxed();
            let mut scratch = Conv2DMaxPoolScratch::<$g, $ph, $pw, $qh, $qw>::boxed();
            // What the scratch holds before does not matter.
            bytes(&mut scratch.patches).fill(0xa5);
            scratch.starts.as_flattened_mut().as_flattened_mut().as_flattened_mut().fill(7);
            fused.forward(&x, &mut got, &mut scratch);
            assert_eq!(got.as_slice(), want.as_slice(), "seed {}", $seed);
            let (lo, hi) = <$a as Int8Activation>::range(fused.conv.output.zero_point);
            let inner = want.as_slice().iter().filter(|&&v| v > lo && v < hi).count();
            if !$wrapping {
                let n = want.as_slice().len();
                assert!(inner * 4 > n, "{inner} of {n} not clamped, seed {}", $seed);
            }
            type Fused = Conv2DMaxPool<
                Conv2D<$h, $w, $c, $f, $kh, $kw, $oh, $ow, $g, $a, $p, $csh, $csw>,
                $ph, $pw, $sh, $sw, $qh, $qw,
            >;
            Fused::IN_PLACE
        }};
    }

    #[test]
    fn fused_layers_equal_the_convolution_then_the_pooling() {
        // The convnet's first layers, read in place.
        assert!(agrees!(1, false; 28 28 1 32 3 3 26 26 3 Relu, Valid, 1 1; 2 2 2 2 13 13));
        assert!(agrees!(2, false; 13 13 32 64 3 3 11 11 72 Relu, Valid, 1 1; 2 2 2 2 5 5));
        // Odd sizes: the pooling drops the last row and column.
        agrees!(3, false; 13 13 1 5 3 3 11 11 3 Identity, Valid, 1 1; 2 2 2 2 5 5);
        agrees!(4, false; 9 8 3 20 3 2 7 7 6 Relu, Valid, 1 1; 2 2 2 2 3 3);
        // Overlapping and uneven windows, strided and padded convolutions.
        agrees!(5, false; 11 11 2 17 3 3 9 9 6 Identity, Valid, 1 1; 3 3 2 2 4 4);
        agrees!(6, false; 10 9 3 16 3 3 10 9 9 Relu, Same, 1 1; 2 3 1 2 9 4);
        agrees!(7, false; 12 12 1 33 5 5 4 4 10 Identity, Valid, 2 2; 2 2 2 2 2 2);
        agrees!(8, false; 7 7 4 9 3 3 4 4 9 Relu, Same, 2 2; 3 3 1 1 2 2);
        // A 1×1 kernel: the image does not fit in the patches' room, which holds patches.
        assert!(!agrees!(11, false; 5 5 4 6 1 1 5 5 1 Relu, Valid, 1 1; 2 2 2 2 2 2));
    }

    #[test]
    fn positive_shifts_that_wrap_pool_the_int8_outputs() {
        agrees!(9, true; 13 13 4 20 3 3 11 11 9 Identity, Valid, 1 1; 2 2 2 2 5 5);
        agrees!(10, true; 10 9 3 16 3 3 10 9 9 Relu, Same, 1 1; 2 3 1 2 9 4);
    }
}
