//! An int8 2-D convolution over channels-last images, as TFLite's reference `ConvPerChannel`:
//! per output pixel `(i, j)` and filter `f`,
//!
//! `y[i, j, f] = clamp(zp_out + M[f]·(b[f] + Σ_{kh, kw, c} (x[i·SH + kh − pt, j·SW + kw − pl, c] − zp_in)·w[kh, kw, c, f]))`
//!
//! with `M[f] = s_in·s_w[f] / s_out`, `pt`, `pl` the padding before the rows and columns (as
//! TFLite computes it, `⌊((out − 1)·stride + size − in) / 2⌋`, the [window](crate::layers)'s
//! split), and the padding's terms zero: a position outside the image holds the input's zero
//! point, which stands for the real 0, so `x − zp_in = 0` there.
//!
//! Each sample's patches (the `K = KH·KW·C` values each output pixel reads, in the kernel's
//! row order `(kh, kw, c)`, each kernel row's `KW·C` values padded to whole groups of four)
//! are copied into the scratch made unsigned (`x + 128`, the sign bit flipped), and one int8
//! product with the kernel, packed in the same groups of four as [`Dense`](super::Dense)'s
//! rows, gives the sample's `OH·OW × F` outputs. (Groups that never straddle two kernel rows
//! let [`Conv2DMaxPool`](super::Conv2DMaxPool) read an image in place, with no patches.) The
//! input's zero point and the flip are folded into the bias, `b[f] − (zp_in + 128)·Σ_k w[k][f]`,
//! so the product reads the patches as they are: unsigned inputs times signed weights is what
//! `vpdpbusd` multiplies, with no correction per row.

use core::marker::PhantomData;

use super::bytes::{f32_at, i32_at, quantization_at};
use super::{Int8Activation, Multiplier, Quantization};
use crate::activation::Identity;
use crate::kernel::int8::{gemm_max_pool, Requantize};
use crate::layer::{Accepts, Forward};
use crate::layers::window::Window;
use crate::layers::{Padding, Valid};
use crate::shape::{Hwc, HwcBatch};
use crate::Zeroed;

/// One sample's unsigned patches: `[i][j]` is output pixel `(i, j)`'s `K` values plus 128 in
/// groups of four, then 128s (zeros flipped) to `4G`.
pub type Int8Patches<const G: usize, const OH: usize, const OW: usize> = [[[[u8; 4]; G]; OW]; OH];

/// An int8 convolution of `F` filters of `KH×KW` over `H×W×C` images, giving `OH×OW×F`, with
/// padding `P` and strides `SH×SW`, its kernel in `G = KH·⌈KW·C/4⌉` groups of four patch
/// values (whole groups per kernel row), ending with activation `A` (identity or ReLU).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2D<
    const H: usize,
    const W: usize,
    const C: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    const G: usize,
    A = Identity,
    P = Valid,
    const SH: usize = 1,
    const SW: usize = 1,
> {
    /// The weights, `kernel[kh·GW + v/4][f][v%4] = w[kh, kw, c, f]` with `v = kw·C + c` and
    /// `GW = ⌈KW·C/4⌉` groups per kernel row (zeros past `KW·C`), symmetric int8 in
    /// `[-127, 127]`.
    pub kernel: [[[i8; 4]; F]; G],
    /// The bias in the accumulator's scale `s_in·s_w[f]`, with `-(zp_in + 128)·Σ_k w[k][f]`
    /// folded in: the bias of a product of unsigned patches.
    pub bias: [i32; F],
    /// The significand of each filter's requantisation multiplier.
    pub multiplier: [i32; F],
    /// The power of two of each filter's requantisation multiplier.
    pub shift: [i8; F],
    /// The quantisation of the output.
    pub output: Quantization,
    /// The input's zero point: what the padding holds.
    pub input_zero_point: i8,
    marker: PhantomData<(A, P)>,
}

/// An input made unsigned: `x + 128`, its sign bit flipped.
#[inline]
pub(crate) const fn flip(x: i8) -> u8 {
    x as u8 ^ 0x80
}

/// The generics of [`Conv2D`] in an impl (`conv2d!([impl] [: Int8Activation]; ..)`).
macro_rules! conv2d {
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
            const SH: usize,
            const SW: usize,
        > $($rest)*
    };
}

/// `Conv2D<H, W, C, F, KH, KW, OH, OW, G, A, P, SH, SW>`.
macro_rules! ty {
    () => {
        Conv2D<H, W, C, F, KH, KW, OH, OW, G, A, P, SH, SW>
    };
}

// Safety: integer arrays, a scale and zero point, an `i8` and a PhantomData: all zeros are
// valid.
conv2d!([unsafe impl] []; Zeroed for ty!() {});

conv2d!([impl] []; ty!() {
    /// The window of the kernel over the image.
    pub(crate) const WINDOW: Window = Window::new([H, W], [KH, KW], [SH, SW], P::SAME);

    /// Values per patch: `KH·KW·C`.
    const K: usize = KH * KW * C;

    /// Values per kernel row in a patch and in the kernel: `KW·C` padded to whole groups.
    pub(crate) const ROW: usize = (KW * C).div_ceil(4) * 4;

    /// The rule, checked where the layer is used: the stated output size is the window's and
    /// `G` is `KH·⌈KW·C/4⌉`.
    pub(crate) const RULE: () = {
        Self::WINDOW.check("Conv2D", P::NAME, [OH, OW]);
        assert!(4 * G == KH * Self::ROW, "G must be KH·⌈KW·C/4⌉");
    };

    /// The tensors an int8 file holds for this layer, in the order [`load`](Conv2D::load)
    /// takes their offsets: `kernel` (I8 `[KH, KW, C, F]`, Keras' order), `bias` (I32 `[F]`),
    /// `kernel_scale` (F32 `[F]`), `output_scale` (F32 `[1]`), `output_zero_point` (I32 `[1]`).
    pub const TENSORS: usize = 5;

    /// Fills the layer from an int8 file's bytes, tensor `i` of [`TENSORS`](Conv2D::TENSORS)
    /// starting at `at[i]`, for inputs quantised as `input`. `const`, so that `network!`
    /// builds compiled-in int8 networks at compile time; the caller has checked every tensor's
    /// type and size.
    pub const fn load(&mut self, bytes: &[u8], at: &[usize], input: Quantization) {
        let () = Self::RULE;
        let (kernel, bias, kernel_scale) = (at[0], at[1], at[2]);
        self.output = quantization_at(bytes, at[3], at[4]);
        self.input_zero_point = input.zero_point as i8;
        let mut f = 0;
        while f < F {
            let mut sum = 0i32;
            let mut k = 0;
            // Keras' `[KH, KW, C, F]` row-major is row `k = (kh·KW + kw)·C + c`, filter last.
            while k < Self::K {
                let w = bytes[kernel + k * F + f] as i8;
                let (kh, v) = (k / (KW * C), k % (KW * C));
                self.kernel[kh * (Self::ROW / 4) + v / 4][f][v % 4] = w;
                sum += w as i32;
                k += 1;
            }
            let b = i32_at(bytes, bias + 4 * f);
            // The patches hold `x + 128`: `Σ (x + 128 − 128 − zp_in)·w`.
            let zero = input.zero_point.wrapping_add(128);
            self.bias[f] = b.wrapping_sub(zero.wrapping_mul(sum));
            let s_w = f32_at(bytes, kernel_scale + 4 * f);
            let m = Multiplier::of_scales(input.scale, s_w, self.output.scale);
            self.multiplier[f] = m.multiplier;
            self.shift[f] = m.shift as i8;
            f += 1;
        }
    }

    /// The patches of `image` into `patches`: the image's values where the window covers it,
    /// its zero point in the padding, zeros past `K`.
    pub(crate) fn im2col(&self, image: &[[[i8; C]; W]; H], patches: &mut Int8Patches<G, OH, OW>) {
        for (i, row) in patches.iter_mut().enumerate() {
            for (j, patch) in row.iter_mut().enumerate() {
                self.patch(image, [i, j], patch.as_flattened_mut(), flip);
            }
        }
    }

    /// Output pixel `(i, j)`'s patch of `image` into `patch` (`4G` values, a kernel row per
    /// [`ROW`](Self::ROW)), each value passed through `f`: the image's values where the window
    /// covers it, the zero point in the padding, `f(0)` past each row's `KW·C`. Copied value
    /// by value, since a row of a patch is short and a copy of variable length is a call.
    #[inline(always)]
    pub(crate) fn patch<T: Copy>(
        &self,
        image: &[[[i8; C]; W]; H],
        [i, j]: [usize; 2],
        patch: &mut [T],
        f: impl Fn(i8) -> T,
    ) {
        let Window { rows, cols } = Self::WINDOW;
        let ((r0, r1), (c0, c1)) = (rows.taps(i), cols.taps(j));
        let padded = r1 - r0 < KH || c1 - c0 < KW;
        for (t, row) in patch.chunks_exact_mut(Self::ROW).enumerate() {
            let (taps, tail) = row.split_at_mut(KW * C);
            tail.fill(f(0));
            if !padded {
                // Inside the image (every pixel of a valid convolution): `KW·C` values, a
                // length the compiler knows.
                let (y, x) = (rows.position(i, t), cols.position(j, 0));
                let values = image[y][x..x + KW].as_flattened();
                for (tap, &v) in taps.iter_mut().zip(values) {
                    *tap = f(v);
                }
                continue;
            }
            taps.fill(f(self.input_zero_point));
            if !(r0..r1).contains(&t) {
                continue;
            }
            let pixels = &image[rows.position(i, t)];
            let from = cols.position(j, c0);
            let values = pixels[from..from + (c1 - c0)].as_flattened();
            for (tap, &v) in taps[c0 * C..][..values.len()].iter_mut().zip(values) {
                *tap = f(v);
            }
        }
    }
});

conv2d!([impl] [: Int8Activation]; Forward for ty!() {
    type Element = i8;
    type Input = Hwc<H, W, C>;
    type Output = Hwc<OH, OW, F>;
    /// One sample's patches, whatever the batch: the samples are convolved one at a time.
    type Scratch<const B: usize> = Int8Patches<G, OH, OW>;

    /// Per sample, its patches, then one product of the `OH·OW` patches with the kernel,
    /// requantised per filter.
    fn forward<const B: usize>(
        &self,
        x: &HwcBatch<i8, H, W, C, B>,
        y: &mut HwcBatch<i8, OH, OW, F, B>,
        patches: &mut Int8Patches<G, OH, OW>,
    ) {
        let () = Self::RULE;
        let requantize = self.requantization();
        let kernel = self.kernel.as_flattened();
        for (image, out) in x.samples().iter().zip(y.samples_mut()) {
            self.im2col(image, patches);
            let rows = patches.as_flattened().as_flattened().as_flattened();
            let out = out.as_flattened_mut().as_flattened_mut();
            // Windows of one row: each row requantised, the pooling of one the identity.
            gemm_max_pool(rows, OH * OW, 1, 4 * G, 4 * G, kernel, F, &requantize, out, F);
        }
    }
});

conv2d!([impl] [: Int8Activation]; ty!() {
    /// The layer's requantisation: its bias, multipliers and shifts, its output's zero point
    /// and the activation's clamp.
    pub(crate) fn requantization(&self) -> Requantize<'_> {
        let (min, max) = A::range(self.output.zero_point);
        Requantize {
            bias: &self.bias,
            multiplier: &self.multiplier,
            shift: &self.shift,
            zero_point: self.output.zero_point,
            min,
            max,
            // TFLite's reference CONV_2D rounds twice.
            rounding: crate::quant::Rounding::Twice,
        }
    }
});

conv2d!([impl] [: Int8Activation]; Accepts<Hwc<H, W, C>> for ty!() {});

/// `Conv2D<T, H, W, C, F, KH, KW, OH, OW, A, P, SH, SW, BIAS>`, the float layer, and its
/// generics, for the impls calibration and quantisation use.
macro_rules! float {
    ($trait:path; $($body:tt)*) => {
        impl<
            const H: usize,
            const W: usize,
            const C: usize,
            const F: usize,
            const KH: usize,
            const KW: usize,
            const OH: usize,
            const OW: usize,
            A: crate::activation::Activation,
            P: Padding,
            const SH: usize,
            const SW: usize,
            const BIAS: bool,
        > $trait for crate::layers::Conv2D<f32, H, W, C, F, KH, KW, OH, OW, A, P, SH, SW, BIAS>
        $($body)*
    };
}

float!(super::Observe; {
    /// The output: the int8 layer requantises to the activation's output.
    fn observed<'a, const B: usize>(
        y: &'a crate::layer::Out<Self, B>,
        _: &'a Self::Tape<B>,
    ) -> &'a [f32] {
        crate::shape::Buffer::as_slice(y)
    }
});

float!(super::QuantizeTensors; {
    /// The kernel in Keras' `[KH, KW, C, F]`, the filter fastest; a layer without a bias has
    /// a bias of zeros.
    #[cfg(feature = "std")]
    fn int8_tensors(
        &self,
        input: Quantization,
        output: Quantization,
    ) -> std::vec::Vec<(&'static str, super::Int8Tensor)> {
        let kernel = self.kernel.as_flattened().as_flattened().as_flattened();
        let (shape, bias) = (std::vec![KH, KW, C, F], self.bias.as_slice());
        super::tensors::layer(kernel, shape, bias, input, output)
    }
});

#[cfg(test)]
mod tests {
    use std::vec::Vec;

    use super::*;
    use crate::activation::Relu;
    use crate::layers::Same;
    use crate::rng::SplitMix64;
    use crate::shape::Buffer;

    /// A random int8 value in `[lo, hi]`.
    fn int(rng: &mut SplitMix64, lo: i32, hi: i32) -> i32 {
        lo + rng.below((hi - lo + 1) as usize) as i32
    }

    /// A random layer's int8 file tensors, one after another: the kernel `[KH, KW, C, F]`,
    /// the bias, the kernel scales, the output's scale and zero point; and their offsets. The
    /// output's scale keeps most outputs of random images inside int8.
    fn file(rng: &mut SplitMix64, k: usize, f: usize) -> (Vec<u8>, [usize; 5]) {
        let mut bytes = Vec::new();
        let mut at = [0; 5];
        for _ in 0..k * f {
            bytes.push(int(rng, -127, 127) as i8 as u8);
        }
        at[1] = bytes.len();
        for _ in 0..f {
            bytes.extend(int(rng, -5000, 5000).to_le_bytes());
        }
        at[2] = bytes.len();
        for _ in 0..f {
            let s_w = 0.005 + 0.01 * rng.below(100) as f32 / 100.0;
            bytes.extend(s_w.to_le_bytes());
        }
        at[3] = bytes.len();
        bytes.extend((0.03 * (k as f32).sqrt()).to_le_bytes());
        at[4] = bytes.len();
        bytes.extend(int(rng, -30, 30).to_le_bytes());
        (bytes, at)
    }

    /// TFLite's `ConvPerChannel` on the file's tensors, in `i64` sums over the taps inside
    /// the image (the padding computed here as TFLite computes it).
    #[allow(clippy::too_many_arguments)]
    fn reference(
        x: &[i8],
        [h, w, c]: [usize; 3],
        [kh, kw, f]: [usize; 3],
        [oh, ow]: [usize; 2],
        [sh, sw]: [usize; 2],
        same: bool,
        (bytes, at): (&[u8], [usize; 5]),
        input: Quantization,
        range: (i8, i8),
    ) -> Vec<i8> {
        let pad = |out: usize, s: usize, k: usize, i: usize| match same {
            true => ((out - 1) * s + k).saturating_sub(i) / 2,
            false => 0,
        };
        let (pt, pl) = (pad(oh, sh, kh, h), pad(ow, sw, kw, w));
        let output = quantization_at(bytes, at[3], at[4]);
        let mut y = Vec::new();
        for n in 0..x.len() / (h * w * c) {
            for (i, j, o) in (0..oh * ow * f).map(|p| (p / (ow * f), p / f % ow, p % f)) {
                let mut acc = i64::from(i32_at(bytes, at[1] + 4 * o));
                for (t, u, ch) in (0..kh * kw * c).map(|p| (p / (kw * c), p / c % kw, p % c)) {
                    let (r, col) = (
                        (i * sh + t) as isize - pt as isize,
                        (j * sw + u) as isize - pl as isize,
                    );
                    if r < 0 || col < 0 || r >= h as isize || col >= w as isize {
                        continue;
                    }
                    let v = x[n * h * w * c + (r as usize * w + col as usize) * c + ch];
                    let wt = bytes[((t * kw + u) * c + ch) * f + o] as i8;
                    acc += (i64::from(v) - i64::from(input.zero_point)) * i64::from(wt);
                }
                let s_w = f32_at(bytes, at[2] + 4 * o);
                let m = Multiplier::of_scales(input.scale, s_w, output.scale);
                let v = output.zero_point + m.apply(i32::try_from(acc).unwrap());
                y.push(v.clamp(range.0.into(), range.1.into()) as i8);
            }
        }
        y
    }

    /// The layer loaded from a random file agrees with the reference on two random images.
    fn agrees<
        const H: usize,
        const W: usize,
        const C: usize,
        const F: usize,
        const KH: usize,
        const KW: usize,
        const OH: usize,
        const OW: usize,
        const G: usize,
        A: Int8Activation,
        P: Padding,
        const SH: usize,
        const SW: usize,
    >(
        seed: u64,
    ) {
        let mut rng = SplitMix64::new(seed);
        let (bytes, at) = file(&mut rng, KH * KW * C, F);
        let input = Quantization {
            scale: 0.02,
            zero_point: int(&mut rng, -20, 20),
        };
        let mut layer = <Conv2D<H, W, C, F, KH, KW, OH, OW, G, A, P, SH, SW>>::boxed();
        layer.load(&bytes, &at, input);
        let mut x = HwcBatch::<i8, H, W, C, 2>::boxed();
        for v in x.as_mut_slice() {
            *v = int(&mut rng, -128, 127) as i8;
        }
        let mut y = HwcBatch::<i8, OH, OW, F, 2>::boxed();
        let mut patches = <Int8Patches<G, OH, OW>>::boxed();
        // What the scratch holds before does not matter.
        patches
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut()
            .fill(7);
        layer.forward(&x, &mut y, &mut patches);
        let expected = reference(
            x.as_slice(),
            [H, W, C],
            [KH, KW, F],
            [OH, OW],
            [SH, SW],
            P::SAME,
            (&bytes, at),
            input,
            A::range(layer.output.zero_point),
        );
        assert_eq!(y.as_slice(), expected.as_slice());
        let (lo, hi) = A::range(layer.output.zero_point);
        let inner = expected.iter().filter(|&&v| v > lo && v < hi).count();
        assert!(
            inner * 4 > expected.len(),
            "{inner} of {} not clamped",
            expected.len()
        );
    }

    #[test]
    fn valid_single_channel_convolutions_match_tflite() {
        agrees::<6, 7, 1, 5, 3, 3, 4, 5, 3, Identity, Valid, 1, 1>(1);
        agrees::<7, 8, 1, 4, 2, 3, 3, 3, 2, Identity, Valid, 2, 2>(2);
        agrees::<9, 9, 1, 3, 3, 3, 7, 7, 3, Relu, Valid, 1, 1>(3);
    }

    #[test]
    fn valid_convolutions_of_three_channels_match_tflite() {
        agrees::<6, 6, 3, 4, 3, 3, 4, 4, 9, Identity, Valid, 1, 1>(4);
        agrees::<7, 6, 3, 6, 3, 2, 3, 3, 6, Relu, Valid, 2, 2>(5);
    }

    #[test]
    fn same_convolutions_pad_with_the_input_zero_point_as_tflite() {
        agrees::<5, 6, 3, 4, 3, 3, 5, 6, 9, Identity, Same, 1, 1>(6);
        agrees::<5, 6, 3, 4, 3, 3, 3, 3, 9, Identity, Same, 2, 2>(7);
        agrees::<6, 6, 1, 5, 3, 3, 3, 3, 3, Relu, Same, 2, 2>(8);
        agrees::<4, 5, 1, 3, 2, 2, 4, 5, 2, Identity, Same, 1, 1>(9);
        agrees::<6, 5, 3, 2, 5, 4, 3, 5, 15, Identity, Same, 2, 1>(10);
    }
}
