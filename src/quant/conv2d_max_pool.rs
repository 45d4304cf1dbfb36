//! An int8 convolution and the valid max pooling after it in one layer, bit for bit as the two
//! layers one after the other, requantising only the outputs the pooling keeps.
//!
//! Requantisation is monotone non-decreasing in the accumulator, per filter: it multiplies by
//! a positive fixed-point multiplier (`M[f] > 0`) with rounding that is monotone (rounded
//! doubling high product, then a rounding right shift), adds the output's zero point and
//! clamps, and each step keeps the order of its inputs (ties may merge, never swap). So for a
//! window of accumulators `a_1 .. a_n` of one filter, `max_i requant(a_i) = requant(max_i a_i)`
//! exactly: the largest accumulator gives the largest output. The layer computes each
//! sample's `i32` accumulators (bias included) with [`gemm_acc`], pools them in `i32`, and
//! requantises the `QH·QW` pooled ones alone; a 2×2 pool skips three quarters of the
//! requantisation, and the convolution's int8 output never exists.
//!
//! The product leaves out the rows and columns of the convolution's output that no window
//! covers (the last of an odd size pooled by two), whose accumulators are never read.
//!
//! The pooling works in place: pooled pixel `p = i·QW + j` is written over accumulator row
//! `p` once its window is read, and every later window's first row, `i'·SH·OW + j'·SW` with
//! `(i', j')` after `(i, j)`, lies above `p` (`QW ≤ OW` and the strides are at least one), so
//! no window reads a row an earlier one has overwritten.

use super::conv2d::{Conv2D, Int8Patches};
use super::{Int8Activation, Quantization};
use crate::kernel::int8::{gemm_acc, requantize};
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

/// One sample's scratch of [`Conv2DMaxPool`]: the convolution's patches, and its `OH×OW×F`
/// accumulators, the first `QH·QW` rows of which end up the pooled ones.
#[derive(Debug)]
pub struct Conv2DMaxPoolScratch<const G: usize, const OH: usize, const OW: usize, const F: usize> {
    patches: Int8Patches<G, OH, OW>,
    acc: [[[i32; F]; OW]; OH],
}

// Safety: integer arrays: all zeros are valid.
unsafe impl<const G: usize, const OH: usize, const OW: usize, const F: usize> Zeroed
    for Conv2DMaxPoolScratch<G, OH, OW, F>
{
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

    /// The rows and columns of the convolution's output the windows cover, from the first:
    /// the rest (a row or column of an odd size halved) is never computed.
    const USED: [usize; 2] = match (QH, QW) {
        (0, _) | (_, 0) => [0, 0],
        _ => [(QH - 1) * SH + PH, (QW - 1) * SW + PW],
    };

    /// The convolution's tensors: [`Conv2D::TENSORS`].
    pub const TENSORS: usize = 5;

    /// Fills the convolution from an int8 file's bytes, as [`Conv2D::load`]; `const`, for
    /// compiled-in networks.
    pub const fn load(&mut self, bytes: &[u8], at: &[usize], input: Quantization) {
        let () = Self::RULE;
        self.conv.load(bytes, at, input)
    }

    /// Each filter's maximum over each valid window of `acc`, the convolution's `OH·OW` rows of
    /// accumulators, into its first `QH·QW` rows, in place (see the module documentation).
    #[inline(always)]
    fn pool(acc: &mut [[i32; F]]) {
        for i in 0..QH {
            for j in 0..QW {
                let mut best = [i32::MIN; F];
                for t in 0..PH {
                    let row = (i * SH + t) * OW + j * SW;
                    for pixel in &acc[row..row + PW] {
                        for (b, &v) in best.iter_mut().zip(pixel) {
                            *b = (*b).max(v);
                        }
                    }
                }
                acc[i * QW + j] = best;
            }
        }
    }
});

fused!([impl] [: Int8Activation]; Forward for ty!() {
    type Element = i8;
    type Input = Hwc<H, W, C>;
    type Output = Hwc<QH, QW, F>;
    /// One sample's patches and accumulators, whatever the batch: the samples are convolved one
    /// at a time.
    type Scratch<const B: usize> = Conv2DMaxPoolScratch<G, OH, OW, F>;

    /// Per sample: its patches, their product with the kernel as accumulators, the pooling of
    /// those, and the requantisation of the pooled ones per filter.
    fn forward<const B: usize>(
        &self,
        x: &HwcBatch<i8, H, W, C, B>,
        y: &mut HwcBatch<i8, QH, QW, F, B>,
        scratch: &mut Conv2DMaxPoolScratch<G, OH, OW, F>,
    ) {
        let ((), ()) = (Self::RULE, Conv2D::<H, W, C, F, KH, KW, OH, OW, G, A, P, CSH, CSW>::RULE);
        let conv = &self.conv;
        let q = conv.requantization();
        let kernel = conv.kernel.as_flattened();
        for (image, out) in x.samples().iter().zip(y.samples_mut()) {
            conv.im2col(image, &mut scratch.patches);
            let rows = scratch.patches.as_flattened().as_flattened().as_flattened();
            let product = |rows: &[i8], n: usize, acc: &mut [i32]| {
                gemm_acc(rows, n, 4 * G, 4 * G, kernel, F, &conv.bias, acc, F)
            };
            if Self::USED[1] == OW {
                let n = Self::USED[0] * OW;
                product(rows, n, scratch.acc.as_flattened_mut().as_flattened_mut());
            } else {
                // The columns no window covers are left out, a product per row.
                for (i, acc) in scratch.acc.iter_mut().take(Self::USED[0]).enumerate() {
                    let rows = &rows[i * OW * 4 * G..];
                    product(rows, Self::USED[1], acc.as_flattened_mut());
                }
            }
            let acc = scratch.acc.as_flattened_mut();
            crate::kernel::vectorised(|| Self::pool(acc));
            let pooled = acc[..QH * QW].as_flattened();
            let out = out.as_flattened_mut().as_flattened_mut();
            requantize(pooled, QH * QW, F, &q, out);
        }
    }
});

fused!([impl] [: Int8Activation]; Accepts<Hwc<H, W, C>> for ty!() {});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Identity, Relu};
    use crate::layers::{Same, Valid};
    use crate::quant::MaxPooling2D;
    use crate::rng::SplitMix64;
    use crate::shape::Buffer;

    /// A random int8 value in `[lo, hi]`.
    fn int(rng: &mut SplitMix64, lo: i32, hi: i32) -> i32 {
        lo + rng.below((hi - lo + 1) as usize) as i32
    }

    /// Fills `conv` at random: weights in `[-127, 127]`, biases, multipliers in `[2^30, 2^31)`
    /// and shifts scaled to `K` values so that most outputs fall inside int8, a zero point.
    fn randomise<const F: usize, const G: usize>(
        rng: &mut SplitMix64,
        k: usize,
        kernel: &mut [[[i8; 4]; F]; G],
        bias: &mut [i32; F],
        multiplier: &mut [i32; F],
        shift: &mut [i8; F],
    ) {
        for (g, group) in kernel.iter_mut().enumerate() {
            for four in group.iter_mut() {
                for (j, w) in four.iter_mut().enumerate() {
                    // Zeros past `K`, as a loaded kernel holds them.
                    *w = if 4 * g + j < k {
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
            shift[f] = (scale + int(rng, -1, 1)) as i8;
        }
    }

    /// The fused layer on two random images equals the convolution followed by the pooling.
    macro_rules! agrees {
        ($seed:expr; $h:literal $w:literal $c:literal $f:literal $kh:literal $kw:literal
         $oh:literal $ow:literal $g:literal $a:ty, $p:ty, $csh:literal $csw:literal;
         $ph:literal $pw:literal $sh:literal $sw:literal $qh:literal $qw:literal) => {{
            let mut rng = SplitMix64::new($seed);
            let mut conv = <Conv2D<$h, $w, $c, $f, $kh, $kw, $oh, $ow, $g, $a, $p, $csh, $csw>>::boxed();
            randomise(
                &mut rng,
                $kh * $kw * $c,
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
            let mut scratch = Conv2DMaxPoolScratch::<$g, $oh, $ow, $f>::boxed();
            // What the scratch holds before does not matter.
            scratch.acc.as_flattened_mut().as_flattened_mut().fill(i32::MAX);
            fused.forward(&x, &mut got, &mut scratch);
            assert_eq!(got.as_slice(), want.as_slice(), "seed {}", $seed);
            let (lo, hi) = <$a as Int8Activation>::range(fused.conv.output.zero_point);
            let inner = want.as_slice().iter().filter(|&&v| v > lo && v < hi).count();
            assert!(inner * 4 > want.as_slice().len(), "{inner} not clamped, seed {}", $seed);
        }};
    }

    #[test]
    fn fused_layers_equal_the_convolution_then_the_pooling() {
        // The convnet's first layers.
        agrees!(1; 28 28 1 32 3 3 26 26 3 Relu, Valid, 1 1; 2 2 2 2 13 13);
        agrees!(2; 13 13 32 64 3 3 11 11 72 Relu, Valid, 1 1; 2 2 2 2 5 5);
        // Odd sizes: the pooling drops the last row and column.
        agrees!(3; 13 13 1 5 3 3 11 11 3 Identity, Valid, 1 1; 2 2 2 2 5 5);
        agrees!(4; 9 8 3 20 3 2 7 7 5 Relu, Valid, 1 1; 2 2 2 2 3 3);
        // Overlapping and uneven windows, strided and padded convolutions.
        agrees!(5; 11 11 2 17 3 3 9 9 5 Identity, Valid, 1 1; 3 3 2 2 4 4);
        agrees!(6; 10 9 3 16 3 3 10 9 7 Relu, Same, 1 1; 2 3 1 2 9 4);
        agrees!(7; 12 12 1 33 5 5 4 4 7 Identity, Valid, 2 2; 2 2 2 2 2 2);
        agrees!(8; 7 7 4 9 3 3 4 4 9 Relu, Same, 2 2; 3 3 1 1 2 2);
    }
}
