//! The convolution kernels, on slices and run-time sizes: patches (image to columns), the
//! columns added back into an image, and inference through a small packing buffer.
//!
//! A *patch* is the receptive field of one output pixel: its `KH·KW·C` input values in the
//! order `(kh, kw, c)`, the order of the rows of Keras' `(KH, KW, C, F)` kernel read as a
//! `KH·KW·C × F` matrix, with zeros where the window lies in the padding. With the patches of
//! `N` pixels as the columns of a `KH·KW·C × N` matrix `P`, the convolution is one matrix
//! product, `Z = Kᵀ·P` in liandan's column-major terms (`F × N`, each pixel's filters
//! together, which is an image's channels-last layout), and the existing product kernel does
//! the arithmetic.
//!
//! In a patch, the taps of one kernel row `kh` that fall inside the image are consecutive
//! input columns, so they are one contiguous run of the image (channels last): a patch is at
//! most `KH` copies.

use crate::layers::window::Window;
use crate::Float;

/// A convolution's sizes at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    /// The window over rows and columns.
    pub window: Window,
    /// Input channels.
    pub channels: usize,
    /// Filters: output channels.
    pub filters: usize,
}

impl Geometry {
    /// Values per patch: `KH·KW·C`.
    pub const fn taps(&self) -> usize {
        self.window.rows.size * self.window.cols.size * self.channels
    }

    /// Output pixels per sample: `OH·OW`.
    pub const fn pixels(&self) -> usize {
        self.window.outputs()
    }

    /// Values per input sample: `H·W·C`.
    pub const fn input_len(&self) -> usize {
        self.window.rows.input * self.window.cols.input * self.channels
    }

    /// Calls `f(q, run)` for each run of the patch of `pixel`: `run` is `Some(start)` for the
    /// `len` values of the image `x` from `start` that are the patch's values `q..q + len`,
    /// `None` for `len` padding values.
    #[inline]
    fn runs(&self, pixel: usize, mut f: impl FnMut(usize, usize, Option<usize>)) {
        let (rows, cols, c) = (self.window.rows, self.window.cols, self.channels);
        let (oh, ow) = (pixel / cols.output, pixel % cols.output);
        let (r0, r1) = rows.taps(oh);
        let (c0, c1) = cols.taps(ow);
        let run = cols.size * c;
        for kh in 0..rows.size {
            let q = kh * run;
            if kh < r0 || kh >= r1 {
                f(q, run, None);
                continue;
            }
            let ih = rows.position(oh, kh);
            let start = (ih * cols.input + cols.position(ow, c0)) * c;
            f(q, c0 * c, None);
            f(q + c0 * c, (c1 - c0) * c, Some(start));
            f(q + c1 * c, run - c1 * c, None);
        }
    }
}

/// Writes the values `q0..q0 + out.len()` of the patch of `pixel` in the image `x` into `out`.
pub(crate) fn patch<T: Float>(g: &Geometry, x: &[T], pixel: usize, q0: usize, out: &mut [T]) {
    let q1 = q0 + out.len();
    g.runs(pixel, |q, len, start| {
        // The part of the run `q..q + len` inside `q0..q1`.
        let (a, b) = (q.max(q0), (q + len).min(q1));
        if a >= b {
            return;
        }
        let dst = &mut out[a - q0..b - q0];
        match start {
            Some(s) => dst.copy_from_slice(&x[s + a - q..s + b - q]),
            None => dst.fill(T::zero()),
        }
    });
}

/// The patches of every pixel of `samples` images `x`, one after another, into `p`
/// (`taps × pixels·samples`, column-major).
pub(crate) fn im2col<T: Float>(g: &Geometry, x: &[T], p: &mut [T]) {
    let (taps, pixels) = (g.taps(), g.pixels());
    if taps == 0 || pixels == 0 {
        return;
    }
    let images = x.chunks_exact(g.input_len());
    for (image, columns) in images.zip(p.chunks_exact_mut(taps * pixels)) {
        for (pixel, column) in columns.chunks_exact_mut(taps).enumerate() {
            patch(g, image, pixel, 0, column);
        }
    }
}

/// `dx += col2im(dp)`: each column of `dp` (a patch's gradient, `taps × pixels·samples`) added
/// back where its values came from in the images `dx`; padding values are dropped.
pub(crate) fn col2im_add<T: Float>(g: &Geometry, dp: &[T], dx: &mut [T]) {
    let (taps, pixels) = (g.taps(), g.pixels());
    if taps == 0 || pixels == 0 {
        return;
    }
    let images = dx.chunks_exact_mut(g.input_len());
    for (image, columns) in images.zip(dp.chunks_exact(taps * pixels)) {
        for (pixel, column) in columns.chunks_exact(taps).enumerate() {
            g.runs(pixel, |q, len, start| {
                if let Some(s) = start {
                    let src = &column[q..q + len];
                    for (d, &v) in image[s..s + len].iter_mut().zip(src) {
                        *d += v;
                    }
                }
            });
        }
    }
}

/// The packing buffer of [`forward`], in values: 16 KiB of `f32`.
const PACK: usize = 4096;

/// Pixels per product, at least: the widest tile of the product kernel.
const MIN_PIXELS: usize = 12;

/// `y = Kᵀ·P` for `samples` images `x` without their patch matrix: the patches of a few pixels
/// at a time are packed into a buffer on the stack (at most [`PACK`] values), in blocks of taps
/// when a patch is long, and multiplied into `y` (each pixel's `F` filters together). `kernel`
/// is Keras' `(KH, KW, C, F)` kernel, a column-major `F × taps` matrix.
pub(crate) fn forward<T: Float>(g: &Geometry, kernel: &[T], x: &[T], y: &mut [T]) {
    let (taps, pixels, f) = (g.taps(), g.pixels(), g.filters);
    if f == 0 || pixels == 0 {
        return;
    }
    let mut pack = [T::zero(); PACK];
    // Whole patches when 12 fit, in as many pixels as fit (a multiple of 12); else 12 pixels
    // and as many taps as fit.
    let (kc, nc) = match taps {
        0 => (0, pixels),
        _ if taps * MIN_PIXELS <= PACK => (taps, (PACK / taps) / MIN_PIXELS * MIN_PIXELS),
        _ => (PACK / MIN_PIXELS, MIN_PIXELS),
    };
    let images = x.chunks_exact(g.input_len().max(1));
    for (image, out) in images.zip(y.chunks_exact_mut(pixels * f)) {
        for j0 in (0..pixels).step_by(nc) {
            let n = nc.min(pixels - j0);
            let c = &mut out[j0 * f..(j0 + n) * f];
            if taps == 0 {
                c.fill(T::zero());
                continue;
            }
            for q0 in (0..taps).step_by(kc) {
                let k = kc.min(taps - q0);
                for (j, column) in pack.chunks_exact_mut(k).take(n).enumerate() {
                    patch(g, image, j0 + j, q0, column);
                }
                let beta = if q0 == 0 { T::zero() } else { T::one() };
                T::gemm((f, k, n), &kernel[q0 * f..], f, &pack, (1, k), beta, c, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::window::Window;

    fn geometry(input: [usize; 2], size: [usize; 2], stride: [usize; 2], same: bool) -> Geometry {
        Geometry {
            window: Window::new(input, size, stride, same),
            channels: 2,
            filters: 3,
        }
    }

    /// The patch value by the definition: input `(o·s + t − before)` or 0 outside.
    fn by_definition(g: &Geometry, x: &[f64], pixel: usize, q: usize) -> f64 {
        let (rows, cols, c) = (g.window.rows, g.window.cols, g.channels);
        let (oh, ow) = (pixel / cols.output, pixel % cols.output);
        let (kh, kw, ch) = (q / (cols.size * c), q / c % cols.size, q % c);
        let ih = (oh * rows.stride + kh) as isize - rows.before as isize;
        let iw = (ow * cols.stride + kw) as isize - cols.before as isize;
        if ih < 0 || iw < 0 || ih >= rows.input as isize || iw >= cols.input as isize {
            return 0.0;
        }
        x[(ih as usize * cols.input + iw as usize) * c + ch]
    }

    #[test]
    fn patches_are_the_receptive_fields_with_zero_padding() {
        let cases = [
            geometry([5, 5], [3, 3], [1, 1], false),
            geometry([5, 4], [3, 2], [1, 1], true),
            geometry([5, 5], [3, 3], [2, 2], true),
            geometry([6, 6], [3, 3], [2, 2], false),
            geometry([2, 3], [5, 4], [1, 2], true),
        ];
        for g in cases {
            let x: std::vec::Vec<f64> = (0..g.input_len()).map(|i| i as f64 + 1.0).collect();
            let taps = g.taps();
            for pixel in 0..g.pixels() {
                // Whole, and in pieces of 5 taps.
                let mut whole = std::vec![f64::NAN; taps];
                patch(&g, &x, pixel, 0, &mut whole);
                for (q, &v) in whole.iter().enumerate() {
                    assert_eq!(
                        v,
                        by_definition(&g, &x, pixel, q),
                        "{g:?} pixel {pixel} q {q}"
                    );
                }
                for q0 in (0..taps).step_by(5) {
                    let mut part = std::vec![f64::NAN; 5.min(taps - q0)];
                    patch(&g, &x, pixel, q0, &mut part);
                    assert_eq!(part[..], whole[q0..q0 + part.len()]);
                }
            }
        }
    }

    #[test]
    fn col2im_is_the_transpose_of_im2col() {
        // <im2col(x), p> = <x, col2im(p)> for any x and p.
        let g = geometry([5, 5], [3, 3], [2, 2], true);
        let x: std::vec::Vec<f64> = (0..2 * g.input_len())
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let n = 2 * g.pixels() * g.taps();
        let p: std::vec::Vec<f64> = (0..n).map(|i| (i as f64 * 0.53).cos()).collect();
        let mut cols = std::vec![0.0; n];
        im2col(&g, &x, &mut cols);
        let mut back = std::vec![0.0; x.len()];
        col2im_add(&g, &p, &mut back);
        let left: f64 = cols.iter().zip(&p).map(|(a, b)| a * b).sum();
        let right: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
        assert!((left - right).abs() < 1e-12, "{left} {right}");
    }

    #[test]
    fn packed_forward_equals_the_product_with_all_patches() {
        // Long patches (taps · 12 > PACK) take the blocked path.
        for (channels, size) in [(2, [3, 3]), (40, [3, 3]), (1, [5, 5])] {
            let g = Geometry {
                window: Window::new([7, 6], size, [1, 2], true),
                channels,
                filters: 5,
            };
            let (taps, pixels) = (g.taps(), g.pixels());
            let x: std::vec::Vec<f32> = (0..2 * g.input_len())
                .map(|i| (i as f32 * 0.37).sin())
                .collect();
            let k: std::vec::Vec<f32> = (0..taps * 5).map(|i| (i as f32 * 0.91).cos()).collect();
            let mut y = std::vec![f32::NAN; 2 * g.pixels() * g.filters];
            forward(&g, &k, &x, &mut y);
            let mut p = std::vec![0.0; 2 * pixels * taps];
            im2col(&g, &x, &mut p);
            for (j, patch) in p.chunks_exact(taps).enumerate() {
                for f in 0..5 {
                    let want: f32 = (0..taps).map(|q| k[q * 5 + f] * patch[q]).sum();
                    let got = y[j * 5 + f];
                    assert!(
                        (got - want).abs() < 1e-4,
                        "{channels} {j} {f}: {got} {want}"
                    );
                }
            }
        }
    }
}
