//! A 2-D convolution over channels-last images: `y = f(K ⋆ x + b)`, as Keras' `Conv2D`.
//!
//! Shapes: the input is `H×W×C`, the kernel `K` is `KH×KW×C×F` (Keras' layout, indexed
//! `kernel[kh][kw][c][f]`), the bias has `F` entries and the output is `OH×OW×F`, with
//! `OH×OW` the [window](super::window)'s positions for the strides and the padding. Output
//! pixel `(i, j)`, filter `f`:
//!
//! `z[i, j, f] = b[f] + Σ_{kh, kw, c} K[kh, kw, c, f] · x[i·SH + kh − pt, j·SW + kw − pl, c]`
//!
//! (a cross-correlation, as in every framework), where `pt`, `pl` are the padding before the
//! rows and columns and `x` is zero in the padding. With `P` the matrix whose column for pixel
//! `n` is its *patch* (the `KH·KW·C` values the sum reads, in the kernel's row order), the layer
//! is one matrix product `Z = Kᵀ·P` (`F × pixels`), plus `b` per pixel.
//!
//! Backward, with `δ = ∂L/∂z = f'(z) ⊙ ∂L/∂y` (the activation's own backward):
//! - `∂L/∂K[kh, kw, c, f] = Σ_{n, i, j} δ[n, i, j, f] · x[n, i·SH + kh − pt, j·SW + kw − pl, c]`:
//!   the correlation of the input with `δ`, which is `δ·Pᵀ`;
//! - `∂L/∂b[f] = Σ_{n, i, j} δ[n, i, j, f]`;
//! - `∂L/∂x` is the transposed convolution of `δ`: each pixel's patch gradient `K·δ[n, i, j]`
//!   (the columns of `K·δ`, with `K` read as `taps × F`) added back at the input positions its
//!   patch read (`col2im`), the padding's share dropped.
//!
//! Initialisation as Keras: glorot-uniform with the receptive field in both fans, `fan_in =
//! KH·KW·C` and `fan_out = KH·KW·F`, and a zero bias.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::{Conv2D, Valid};
//! use liandan::shape::{Batch, Hwc};
//!
//! // 3×3 image, one channel, two 2×2 filters: 2×2×2 out.
//! let mut conv = Conv2D::<f64, 3, 3, 1, 2, 2, 2, 2, 2>::zeroed();
//! conv.kernel[0][0][0] = [1.0, 0.0]; // filter 0 reads the top-left tap
//! conv.kernel[1][1][0] = [0.0, 1.0]; // filter 1 the bottom-right one
//! conv.bias[1] = 0.5;
//! let mut x = Batch::<f64, Hwc<3, 3, 1>, 1>::zeroed();
//! for (i, v) in x.as_mut_slice().iter_mut().enumerate() {
//!     *v = i as f64; // 0 1 2 / 3 4 5 / 6 7 8
//! }
//! let mut y = Batch::<f64, Hwc<2, 2, 2>, 1>::zeroed();
//! conv.forward(&x, &mut y, &mut Zeroed::zeroed());
//! assert_eq!(y.sample(0)[0][1], [1.0, 5.5]); // pixel (0, 1): x[0, 1] and x[1, 2] + 0.5
//! ```

use core::marker::PhantomData;

use nalgebra::SVector;
use rand::RngCore;

use super::window::{Padding, Valid, Window};
use crate::activation::{Activation, Identity};
use crate::init::Initializer;
use crate::kernel::winograd::{self, Tiles, BLOCK, POINTS};
use crate::kernel::{
    by_samples, by_samples_summed, col2im_add, conv_forward, direct_fits, direct_forward, im2col,
    patch, Geometry,
};
use crate::layer::{Accepts, Backward, Buffers, Forward, Head, Params, Seed, TensorInfo, Train};
use crate::parallel::SPARES;
use crate::shape::{image_values, image_values_mut, Buffer, Hwc, HwcBatch, Text};
use crate::{Float, Zeroed};

/// Keras' kernel layout: `[kh][kw][c][f]`.
pub type Kernel<T, const KH: usize, const KW: usize, const C: usize, const F: usize> =
    [[[[T; F]; C]; KW]; KH];

/// The patches of a batch: `[n][i][j]` is output pixel `(i, j)` of sample `n`'s receptive
/// field, `[kh][kw][c]`.
pub type Patches<
    T,
    const C: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    const B: usize,
> = [[[[[[T; C]; KW]; KH]; OW]; OH]; B];

/// One sample's patches, `[i][j]` for output pixel `(i, j)`: an element of [`Patches`].
type SamplePatches<
    T,
    const C: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> = [[[[[T; C]; KW]; KH]; OW]; OH];

/// A convolution of `F` filters of `KH×KW` over `H×W×C` images, giving `OH×OW×F`, with
/// strides `SH×SW`, padding `P` ([`Valid`] or [`Same`](super::Same)), activation `A`, and a
/// bias if `BIAS`. It is also its own gradient.
///
/// The output size is a parameter because stable Rust cannot compute it in a type: `network!`
/// fills it in, and a wrong one fails to compile with the rule, e.g. `` `Conv2D` of 28×28 with
/// a 3×3 window, strides 1×1 and valid padding gives 26×26, not 25×26 ``.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2D<
    T,
    const H: usize,
    const W: usize,
    const C: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    A = Identity,
    P = Valid,
    const SH: usize = 1,
    const SW: usize = 1,
    const BIAS: bool = true,
> {
    /// The kernel, `kernel[kh][kw][c][f]`.
    pub kernel: Kernel<T, KH, KW, C, F>,
    /// The bias, one entry per filter; zero and not a parameter without `BIAS` (the layer then
    /// still holds its `F` zeros, so its size is its parameters' and `F` more).
    pub bias: SVector<T, F>,
    marker: PhantomData<(A, P)>,
}

/// What a training pass of [`Conv2D`] keeps: the pre-activation and the patches of the batch
/// (which the kernel gradient reads, then the input gradient overwrites); with the `parallel`
/// feature also a spare kernel and bias gradient, where the second thread of a backward pass
/// split by samples sums its share.
#[derive(Clone, Debug)]
pub struct Conv2DTape<
    T,
    const C: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    const B: usize,
> {
    z: HwcBatch<T, OH, OW, F, B>,
    patches: Patches<T, C, KH, KW, OH, OW, B>,
    /// Where inference in the tape works ([`Train::forward_in`]).
    inference: Conv2DScratch<T, C, F, KH, KW>,
    spare: [(Kernel<T, KH, KW, C, F>, [T; F]); SPARES],
}

/// What inference of a [`Conv2D`] works in when its kernel is 3×3 with strides 1×1 and it has
/// at least 16 channels (the Winograd path, `src/kernel/winograd.rs`): the transformed kernel `U`
/// (`36 × C × F` values), the kernel it was computed from, so that a call with the same kernel
/// reuses it, and the transformed input tiles and products of one block of tiles
/// (`12 × 36 × C` and `12 × 36 × F`).
///
/// Stable Rust cannot size an array by arithmetic of the layer's parameters, so the buffers are
/// sized in kernels and taps: `U` as four kernels (`4·KH·KW = 36` for a 3×3 kernel), the blocks
/// as `48` pixels per tap. A convolution off that path leaves it untouched (the direct path of
/// one channel and the patches' product work in small buffers on the stack).
#[derive(Clone, Debug)]
pub struct Conv2DScratch<T, const C: usize, const F: usize, const KH: usize, const KW: usize> {
    /// The kernel `u` is the transform of (zero in a zeroed scratch, as `u` is); its first value
    /// is NaN while `u` is being rewritten, so that an interrupted rewrite is redone.
    kernel: Kernel<T, KH, KW, C, F>,
    u: [Kernel<T, KH, KW, C, F>; 4],
    tiles: [[[[T; C]; 4 * BLOCK]; KW]; KH],
    products: [[[[T; F]; 4 * BLOCK]; KW]; KH],
}

// Safety: arrays of zeroed floats.
unsafe impl<T: Zeroed, const C: usize, const F: usize, const KH: usize, const KW: usize> Zeroed
    for Conv2DScratch<T, C, F, KH, KW>
{
}

impl<T: Float, const C: usize, const F: usize, const KH: usize, const KW: usize>
    Conv2DScratch<T, C, F, KH, KW>
{
    /// The transformed kernel of `kernel` (`POINTS × C × F`), computed only if `kernel` is not
    /// the one the scratch last transformed, and the block buffers: transformed tiles and their
    /// products.
    fn parts(&mut self, g: &Geometry, kernel: &[T]) -> (&[T], &mut [T], &mut [T]) {
        let seen = self
            .kernel
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut();
        let u = self
            .u
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut();
        let u = &mut u.as_flattened_mut()[..POINTS * C * F];
        if seen != kernel {
            if let Some(first) = seen.first_mut() {
                *first = T::of(f64::NAN);
            }
            winograd::kernel(g, kernel, u);
            seen.copy_from_slice(kernel);
        }
        let v = self
            .tiles
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut();
        let m = self
            .products
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut();
        (u, v, m)
    }
}

/// A kernel gradient and a bias gradient (empty without a bias) being summed over samples, and
/// the factor of what they hold when the next product adds to them: 0 (overwrite) or 1.
struct Sums<'a, T> {
    kernel: &'a mut [T],
    bias: &'a mut [T],
    beta: T,
}

impl<T: Float> Sums<'_, T> {
    /// `self += other`, tensor by tensor.
    fn add(&mut self, other: &Self) {
        for (a, &b) in self.kernel.iter_mut().zip(other.kernel.iter()) {
            *a += b;
        }
        for (a, &b) in self.bias.iter_mut().zip(other.bias.iter()) {
            *a += b;
        }
    }
}

// Safety: arrays of zeroed floats.
unsafe impl<
        T: Zeroed,
        const C: usize,
        const F: usize,
        const KH: usize,
        const KW: usize,
        const OH: usize,
        const OW: usize,
        const B: usize,
    > Zeroed for Conv2DTape<T, C, F, KH, KW, OH, OW, B>
{
}

/// The generic parameters of [`Conv2D`] in an `impl` (`conv2d!(impl Float; ..)`, or
/// `conv2d!(unsafe impl Zeroed; ..)`), and the type itself.
macro_rules! conv2d {
    (unsafe impl $bound:path ; $($rest:tt)*) => {
        conv2d!(@generics [unsafe impl] [T: $bound] $($rest)*);
    };
    (impl $($bound:path)? ; $($rest:tt)*) => {
        conv2d!(@generics [impl] [T $(: $bound)?] $($rest)*);
    };
    (@generics [$($head:tt)*] [$($t:tt)*] $($rest:tt)*) => {
        $($head)*<
                $($t)*,
                const H: usize,
                const W: usize,
                const C: usize,
                const F: usize,
                const KH: usize,
                const KW: usize,
                const OH: usize,
                const OW: usize,
                A,
                P,
                const SH: usize,
                const SW: usize,
                const BIAS: bool,
            > $($rest)*
    };
}

/// `Conv2D<T, H, W, C, F, KH, KW, OH, OW, A, P, SH, SW, BIAS>`.
macro_rules! ty {
    () => {
        Conv2D<T, H, W, C, F, KH, KW, OH, OW, A, P, SH, SW, BIAS>
    };
}

// Safety: arrays of zeroed floats and a PhantomData.
conv2d!(unsafe impl Zeroed; Zeroed for ty!() {});

conv2d!(impl; ty!() {
    /// A layer with the given kernel and bias; `const`, so compiled-in weights build it at
    /// compile time.
    pub const fn from_parts(kernel: Kernel<T, KH, KW, C, F>, bias: SVector<T, F>) -> Self {
        Conv2D {
            kernel,
            bias,
            marker: PhantomData,
        }
    }
});

conv2d!(impl Float; ty!() where A: Activation, P: Padding {
    /// The window of the kernel over the image.
    const WINDOW: Window = Window::new([H, W], [KH, KW], [SH, SW], P::SAME);

    /// The rule, checked where the layer is used: positive sizes, and the stated output size
    /// is the window's.
    const RULE: () = {
        Self::WINDOW.check("Conv2D", P::NAME, [OH, OW]);
        if C == 0 || F == 0 {
            let text = Text::new().str("`Conv2D` needs at least one channel and one filter");
            panic!("{}", text.as_str());
        }
    };

    /// The Winograd path's buffers hold what it needs: 36 points as four 3×3 kernels.
    const FITS: () = assert!(!Self::WINOGRAD || POINTS <= 4 * KH * KW);

    /// The sizes, for the kernels.
    const GEOMETRY: Geometry = Geometry {
        window: Self::WINDOW,
        channels: C,
        filters: F,
    };

    /// Whether inference takes the Winograd path: a 3×3 kernel with strides 1×1, and at least
    /// 16 channels (one block of the transforms' lanes; with fewer, the transforms cost more
    /// than the products they save, and the patches' product is faster).
    const WINOGRAD: bool = KH == 3 && KW == 3 && SH == 1 && SW == 1 && C >= 16;

    /// Whether inference takes the direct path: one channel, so that a patch is only `KH·KW`
    /// values and packing patches would move about as many values as the product multiplies
    /// (for a same window, also a padded image of at most 4096 values, which the kernel
    /// copies onto its stack).
    const DIRECT: bool = direct_fits(&Self::GEOMETRY);

    /// Samples per chunk of a training pass: enough for about 1024 output pixels, so that one
    /// chunk's patches and outputs stay in cache between the steps of the pass.
    const CHUNK: usize = 1024_usize.div_ceil(if OH * OW == 0 { 1 } else { OH * OW });

    /// The multiply-adds of a pass over `batch` samples: what decides whether it splits.
    const fn work(batch: usize) -> usize {
        let per_sample = (OH * OW * F).saturating_mul(KH * KW * C);
        per_sample.saturating_mul(batch)
    }

    /// The input, patches and pre-activation of a batch, chunk by chunk of samples.
    fn chunks<'a>(
        x: &'a [T],
        p: &'a mut [T],
        z: &'a mut [T],
    ) -> impl Iterator<Item = ((&'a [T], &'a mut [T]), &'a mut [T])> {
        let taps = KH * KW * C;
        let x = x.chunks(Self::CHUNK * H * W * C);
        let p = p.chunks_mut(Self::CHUNK * OH * OW * taps);
        x.zip(p).zip(z.chunks_mut(Self::CHUNK * OH * OW * F))
    }

    /// Writes values `q0..` of the patch of output pixel `pixel` of `image` into `out`: a whole
    /// patch of a window inside the image is `KH` rows of `KW` pixels, each row one copy of a
    /// `[[T; C]; KW]` array; anything else goes through the kernel's general `patch`.
    #[inline]
    fn patch(image: &[T], pixel: usize, q0: usize, out: &mut [T]) {
        let Window { rows, cols } = Self::WINDOW;
        let (i, j) = (pixel / OW, pixel % OW);
        let inside = rows.taps(i) == (0, KH) && cols.taps(j) == (0, KW);
        if q0 == 0 && out.len() == KH * KW * C && inside {
            let (pixels, _) = image.as_chunks::<C>();
            let (taps, _) = out.as_chunks_mut::<C>();
            let (out_rows, _) = taps.as_chunks_mut::<KW>();
            let w0 = cols.position(j, 0);
            for (t, row) in out_rows.iter_mut().enumerate() {
                let start = rows.position(i, t) * W + w0;
                if let Some(window) = pixels[start..].first_chunk::<KW>() {
                    *row = *window;
                }
            }
            return;
        }
        patch(&Self::GEOMETRY, image, pixel, q0, out);
    }

    /// The training forward pass over the samples of `x`, into their patches `p`, their
    /// pre-activation `z` and their output `y`: a chunk of samples at a time, the patches,
    /// `Z = Kᵀ·P`, `z + b` and `y = f(z)`, so that each chunk's patches and outputs are still in
    /// cache for the next step.
    fn forward_samples(&self, x: &[T], p: &mut [T], z: &mut [T], y: &mut [T]) {
        let g = Self::GEOMETRY;
        let taps = g.taps();
        let chunks = Self::chunks(x, p, z);
        for (((x, p), z), y) in chunks.zip(y.chunks_mut(Self::CHUNK * OH * OW * F)) {
            im2col(&g, x, p, &Self::patch);
            let n = z.len() / F;
            T::gemm((F, taps, n), self.kernel_values(), F, p, (1, taps), T::zero(), z, F);
            self.add_bias(z);
            y.copy_from_slice(z);
            A::apply(y, F);
        }
    }

    /// The backward pass over some samples (see [`Train::backward`]): their output gradient
    /// `delta` (overwritten with `δ`) and patches `p` (overwritten with `K·δ` if `dx` is
    /// wanted), their pre-activation and output, their input gradient; the parameter gradients
    /// are summed into `sums`.
    fn backward_samples(
        &self,
        (delta, p): (&mut [T], &mut [T]),
        (z, y): (&[T], &[T]),
        dx: Option<&mut [T]>,
        seed: Seed,
        sums: &mut Sums<'_, T>,
    ) {
        let g = Self::GEOMETRY;
        let taps = g.taps();
        if sums.beta == T::zero() {
            sums.bias.fill(T::zero());
        }
        let out = Self::CHUNK * OH * OW * F;
        let images = dx.map(|dx| dx.chunks_mut(Self::CHUNK * H * W * C));
        let mut images = images.into_iter().flatten();
        let (z, y) = (z.chunks(out), y.chunks(out));
        let patches = p.chunks_mut(Self::CHUNK * OH * OW * taps);
        for ((delta, p), (z, y)) in delta.chunks_mut(out).zip(patches).zip(z.zip(y)) {
            let n = delta.len() / F;
            if seed == Seed::Output {
                A::backward(z, y, delta, F);
            }
            T::gemm((F, n, taps), delta, F, p, (taps, 1), sums.beta, sums.kernel, F);
            sums.beta = T::one();
            if BIAS {
                for pixel in delta.chunks_exact(F) {
                    for (b, &d) in sums.bias.iter_mut().zip(pixel) {
                        *b += d;
                    }
                }
            }
            let Some(dx) = images.next() else { continue };
            // `K·δ` with `K` read as `taps × F`: the transpose of the `F × taps` kernel.
            crate::linalg::tn((taps, F, n), self.kernel_values(), delta, T::zero(), p);
            dx.fill(T::zero());
            col2im_add(&g, p, dx);
        }
    }

    /// A kernel and a bias gradient to sum into, the bias left out without `BIAS`.
    fn sums<'a>(kernel: &'a mut Kernel<T, KH, KW, C, F>, bias: &'a mut [T], beta: T) -> Sums<'a, T> {
        let bias = if BIAS { bias } else { &mut [] };
        Sums { kernel: kernel_values_mut(kernel), bias, beta }
    }

    /// The kernel as a flat slice: a column-major `F × taps` matrix.
    fn kernel_values(&self) -> &[T] {
        self.kernel.as_flattened().as_flattened().as_flattened()
    }

    /// Draws the kernel with `init`, the receptive field in both fans, and zeroes the bias.
    pub fn init_with<R: RngCore + ?Sized>(&mut self, init: Initializer, rng: &mut R) {
        let kernel = self.kernel.as_flattened_mut().as_flattened_mut().as_flattened_mut();
        init.fill(kernel, KH * KW * C, KH * KW * F, rng);
        self.bias.fill(T::zero());
    }

    /// `y ← f(y + b)`, pixel by pixel.
    fn bias_and_activation(&self, y: &mut [T]) {
        self.add_bias(y);
        A::apply(y, F);
    }

    /// `y ← y + b`, pixel by pixel (nothing without a bias).
    fn add_bias(&self, y: &mut [T]) {
        if BIAS {
            for pixel in y.chunks_exact_mut(F) {
                for (v, &b) in pixel.iter_mut().zip(self.bias.as_slice()) {
                    *v += b;
                }
            }
        }
    }
});

conv2d!(impl Float; Forward for ty!() where A: Activation, P: Padding {
    type Element = T;
    type Input = Hwc<H, W, C>;
    type Output = Hwc<OH, OW, F>;
    type Scratch<const B: usize> = Conv2DScratch<T, C, F, KH, KW>;

    /// Winograd's `F(4×4, 3×3)` for a 3×3 kernel with strides 1×1 and at least 16 channels
    /// (see `src/kernel/winograd.rs`); with one channel, the direct loops
    /// (`direct.rs`: each pixel's taps times the kernel in registers, plus the bias, and the
    /// activation on each output row as soon as it is written); else the patches of a few
    /// pixels at a time times the kernel; then the bias and the activation, a chunk of samples
    /// at a time so that they find it in cache.
    fn forward<const B: usize>(
        &self,
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut HwcBatch<T, OH, OW, F, B>,
        scratch: &mut Self::Scratch<B>,
    ) {
        let () = Self::RULE;
        if Self::DIRECT {
            let bias = if BIAS { Some(self.bias.as_slice()) } else { None };
            let (x, y) = (x.as_slice(), y.as_mut_slice());
            let activation = |row: &mut [T]| A::apply(row, F);
            direct_forward(&Self::GEOMETRY, self.kernel_values(), bias, x, y, activation);
            return;
        }
        let x = x.as_slice().chunks(Self::CHUNK * H * W * C);
        let y = y.as_mut_slice().chunks_mut(Self::CHUNK * OH * OW * F);
        if Self::WINOGRAD {
            let () = Self::FITS;
            let tiles = Tiles::new(Self::GEOMETRY);
            let (u, v, m) = scratch.parts(&Self::GEOMETRY, self.kernel_values());
            for (x, y) in x.zip(y) {
                winograd::forward(&tiles, u, x, y, v, m);
                self.bias_and_activation(y);
            }
            return;
        }
        for (x, y) in x.zip(y) {
            conv_forward(&Self::GEOMETRY, self.kernel_values(), x, y, &Self::patch);
            self.bias_and_activation(y);
        }
    }
});

conv2d!(impl Float; Accepts<Hwc<H, W, C>> for ty!() where A: Activation, P: Padding {});

conv2d!(impl Float; Train for ty!() where A: Activation, P: Padding {
    type Tape<const B: usize> = Conv2DTape<T, C, F, KH, KW, OH, OW, B>;
    type Grad = Self;
    /// A softmax here is over each pixel's filters, not a whole sample: it fuses with no loss.
    const HEAD: Head = match A::HEAD {
        Head::Softmax => Head::Other,
        head => head,
    };

    fn forward_in<const B: usize>(
        &self,
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut HwcBatch<T, OH, OW, F, B>,
        tape: &mut Self::Tape<B>,
    ) {
        self.forward(x, y, &mut tape.inference);
    }

    /// The patches of the batch into the tape, then `Z = Kᵀ·P`, `z + b` and `y = f(z)`, a few
    /// samples at a time so that each chunk's patches and outputs are still in cache for the
    /// next step.
    fn forward_train<const B: usize>(
        &self,
        x: &HwcBatch<T, H, W, C, B>,
        y: &mut HwcBatch<T, OH, OW, F, B>,
        tape: &mut Self::Tape<B>,
        _rng: Option<&mut dyn RngCore>,
    ) {
        let () = Self::RULE;
        let Conv2DTape { z, patches, .. } = tape;
        let buffers = ((x.samples(), &mut patches[..]), (z.samples_mut(), y.samples_mut()));
        by_samples(B, Self::work(B), buffers, |((x, p), (z, y))| {
            let (z, y) = (image_values_mut(z), image_values_mut(y));
            self.forward_samples(image_values(x), patch_values(p), z, y)
        });
    }

    /// Chunk by chunk of samples: `δ` in `dy` (unless it is the seed already), `∂L/∂K += δ·Pᵀ`,
    /// `∂L/∂b += Σ δ`, then, if wanted, `∂L/∂x = col2im(K·δ)` through the patches' storage.
    /// Split by samples, each thread sums `∂L/∂K` and `∂L/∂b` over its samples (the second in
    /// the tape's spare), and the two sums are added.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        let Backward { y, tape, dy, seed, grad, mode, dx, .. } = ctx;
        let Conv2DTape { z, patches, spare, .. } = tape;
        let sum = Self::sums(&mut grad.kernel, grad.bias.as_mut_slice(), mode.beta());
        let spare = spare.first_mut().map(|(kernel, bias)| Self::sums(kernel, bias, T::zero()));
        let dx = dx.map(|dx| dx.samples_mut());
        let buffers = ((dy.samples_mut(), &mut patches[..]), (z.samples(), y.samples()), dx);
        by_samples_summed(B, Self::work(B), buffers, (sum, spare), |((dy, p), (z, y), dx), sums| {
            let dx = dx.map(image_values_mut);
            let (z, y) = (image_values(z), image_values(y));
            self.backward_samples((image_values_mut(dy), patch_values(p)), (z, y), dx, seed, sums)
        }, |sum, spare| sum.add(spare));
    }

    fn init<R: RngCore + ?Sized>(&mut self, rng: &mut R) {
        self.init_with(Initializer::GlorotUniform, rng);
    }
});

/// The patches of some samples as one slice.
fn patch_values<
    T,
    const C: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    p: &mut [SamplePatches<T, C, KH, KW, OH, OW>],
) -> &mut [T] {
    let p = p.as_flattened_mut().as_flattened_mut().as_flattened_mut();
    p.as_flattened_mut().as_flattened_mut()
}

/// A kernel as one slice: a column-major `F × taps` matrix.
fn kernel_values_mut<T, const KH: usize, const KW: usize, const C: usize, const F: usize>(
    kernel: &mut Kernel<T, KH, KW, C, F>,
) -> &mut [T] {
    kernel
        .as_flattened_mut()
        .as_flattened_mut()
        .as_flattened_mut()
}

conv2d!(impl Float; Params<T> for ty!() {
    const TENSORS: usize = if BIAS { 2 } else { 1 };
    const PARAMS: usize = KH * KW * C * F + if BIAS { F } else { 0 };

    fn tensor(&self, i: usize) -> &[T] {
        match i {
            0 => self.kernel.as_flattened().as_flattened().as_flattened(),
            1 if BIAS => self.bias.as_slice(),
            _ => &[],
        }
    }

    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        match i {
            0 => self.kernel.as_flattened_mut().as_flattened_mut().as_flattened_mut(),
            1 if BIAS => self.bias.as_mut_slice(),
            _ => &mut [],
        }
    }

    fn tensor_info(i: usize) -> Option<TensorInfo> {
        match i {
            // Keras' `(KH, KW, C, F)`; PyTorch's `nn.Conv2d.weight` is `(F, C, KH, KW)`.
            0 => Some(TensorInfo::new("kernel", const { &[KH, KW, C, F] }).torch(&[3, 2, 0, 1]).kind("conv2d")),
            1 if BIAS => Some(TensorInfo::new("bias", const { &[F] }).kind("conv2d")),
            _ => None,
        }
    }
});

conv2d!(impl; Buffers for ty!() {});

#[cfg(test)]
mod tests;
