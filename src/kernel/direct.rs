//! Direct convolution of a single-channel image: for each output pixel, the `KH·KW` taps
//! times the kernel's rows of `F` filters, accumulated in registers, then the bias, with no
//! patch matrix.
//!
//! With one channel a patch is only `KH·KW` values, so packing patches for the matrix product
//! moves about as many values as the product multiplies; here each tap is read from the image
//! where it lies and broadcast against the kernel's row for that tap. Output pixel `(i, j)`,
//! filter `f`, reads the window's padded image `X` (zeros in the padding):
//!
//! `z[i, j, f] = b[f] + Σ_{kh, kw} K[kh, kw, f] · X[i·SH + kh, j·SW + kw]`
//!
//! A valid window reads the image itself; a same window reads a zero-padded copy of it on the
//! stack ([`PLANE`] values at most), so every pixel runs the same loop.
//!
//! Each `z[i, j, f]` is the chain `acc ← K·X + acc` from zero over the taps in the kernel's
//! order `(kh, kw)`, padding taps included, then `acc + b[f]`: on AVX-512F and AVX2 + FMA a
//! fused multiply-add per tap, in the portable code (`f64`, and `f32` without AVX2) a product
//! and a sum. Those are the chains the matrix product computes for the same patches on the
//! same processor, so the result is bit for bit the patches' product followed by the bias;
//! the two SIMD paths agree bit for bit, the portable one rounds each product separately.

use crate::layers::window::Axis;
use crate::Float;

use super::Geometry;

/// The largest padded image of a same window, in values: 16 KiB of `f32`.
pub(crate) const PLANE: usize = 4096;

/// Positions of the padded axis the window reads: `(outputs − 1)·stride + size`.
const fn span(a: &Axis) -> usize {
    match a.output {
        0 => 0,
        o => (o - 1) * a.stride + a.size,
    }
}

/// Whether the window reads outside the image (a same window's padding), so that the image is
/// copied with its padding first.
const fn padded(g: &Geometry) -> bool {
    let (rows, cols) = (&g.window.rows, &g.window.cols);
    rows.before > 0 || cols.before > 0 || span(rows) > rows.input || span(cols) > cols.input
}

/// Whether [`forward`] runs this convolution: one channel, and a padded image that fits in
/// [`PLANE`] values.
pub(crate) const fn fits(g: &Geometry) -> bool {
    let (rows, cols) = (&g.window.rows, &g.window.cols);
    g.channels == 1 && (!padded(g) || span(rows) * span(cols) <= PLANE)
}

/// One output row of a direct convolution: the image it reads, the kernel, and the bias.
///
/// Tap `(kh, kw)` of pixel `j` is `plane[(top + kh)·cols + j·stride + kw]`.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a, T> {
    /// The (padded) image, row-major.
    pub plane: &'a [T],
    /// Values per row of `plane`.
    pub cols: usize,
    /// The first row of `plane` the window reads.
    pub top: usize,
    /// The window, `[KH, KW]`.
    pub size: [usize; 2],
    /// Columns of `plane` between neighbouring pixels.
    pub stride: usize,
    /// Filters: the output's channels.
    pub filters: usize,
    /// Keras' kernel, `kernel[(kh·KW + kw)·F + f]`.
    pub kernel: &'a [T],
    /// The bias, `F` values, or none.
    pub bias: Option<&'a [T]>,
}

impl<T> Row<'_, T> {
    /// Panics unless every value the row's loops read lies in its slices and `y` is whole
    /// pixels of `F` filters.
    pub(super) fn check(&self, y: &[T]) {
        let [kh, kw] = self.size;
        let f = self.filters;
        assert!(
            f > 0 && y.len().is_multiple_of(f),
            "output is not whole pixels"
        );
        assert!(self.kernel.len() >= kh * kw * f, "kernel out of bounds");
        assert!(self.bias.is_none_or(|b| b.len() >= f), "bias out of bounds");
        let pixels = y.len() / f;
        if pixels > 0 && kh > 0 && kw > 0 {
            let last = (self.top + kh - 1) * self.cols + (pixels - 1) * self.stride + kw - 1;
            assert!(
                kw <= self.cols && last < self.plane.len(),
                "image out of bounds"
            );
        }
    }
}

/// `y = K ⋆ x + b` for `samples` single-channel images `x` (`y` is `OH×OW×F` per sample),
/// calling `finish` on each output row once it is written (the layer's activation, while the
/// row is in cache). The caller has checked [`fits`].
pub(crate) fn forward<T: Float>(
    g: &Geometry,
    kernel: &[T],
    bias: Option<&[T]>,
    x: &[T],
    y: &mut [T],
    mut finish: impl FnMut(&mut [T]),
) {
    let (rows, cols, f) = (g.window.rows, g.window.cols, g.filters);
    let width = cols.output * f;
    if width == 0 || rows.output == 0 {
        return;
    }
    let images = x.chunks_exact(g.input_len().max(1));
    let outputs = y.chunks_exact_mut(rows.output * width);
    if !padded(g) {
        for (image, out) in images.zip(outputs) {
            image_rows(g, kernel, bias, (image, cols.input), out, &mut finish);
        }
        return;
    }
    // Only a padded window needs the copy on the stack.
    let mut buffer = [T::zero(); PLANE];
    for (image, out) in images.zip(outputs) {
        let plane = plane(g, image, &mut buffer);
        image_rows(g, kernel, bias, plane, out, &mut finish);
    }
}

/// The output rows `out` of one image, read from `plane` (its values and row length).
fn image_rows<T: Float>(
    g: &Geometry,
    kernel: &[T],
    bias: Option<&[T]>,
    (plane, stride): (&[T], usize),
    out: &mut [T],
    finish: &mut impl FnMut(&mut [T]),
) {
    let (rows, cols, f) = (g.window.rows, g.window.cols, g.filters);
    for (i, y) in out.chunks_exact_mut(cols.output * f).enumerate() {
        let row = Row {
            plane,
            cols: stride,
            top: i * rows.stride,
            size: [rows.size, cols.size],
            stride: cols.stride,
            filters: f,
            kernel,
            bias,
        };
        T::direct_row(&row, y);
        finish(y);
    }
}

/// The image the window reads and its row length: `image` itself, or its copy with the
/// padding's zeros in `buffer`.
fn plane<'a, T: Float>(g: &Geometry, image: &'a [T], buffer: &'a mut [T]) -> (&'a [T], usize) {
    let (rows, cols) = (g.window.rows, g.window.cols);
    if !padded(g) {
        return (image, cols.input);
    }
    let (height, width) = (span(&rows), span(&cols));
    let plane = &mut buffer[..height * width];
    plane.fill(T::zero());
    // Input row `r` lands on padded row `r + before`, its columns from `cols.before` on, cut
    // where the window stops reading.
    let shown = width.saturating_sub(cols.before).min(cols.input);
    for (r, line) in image.chunks_exact(cols.input).enumerate() {
        let Some(to) = plane.chunks_exact_mut(width).nth(r + rows.before) else {
            break;
        };
        to[cols.before..cols.before + shown].copy_from_slice(&line[..shown]);
    }
    (plane, width)
}

/// One output row in portable code: the chains of products and sums of the portable matrix
/// product. The caller has checked the row ([`Row::check`]).
pub(super) fn row<T: Float>(row: &Row<'_, T>, y: &mut [T]) {
    let [kh, kw] = row.size;
    let f = row.filters;
    for (j, pixel) in y.chunks_exact_mut(f).enumerate() {
        pixel.fill(T::zero());
        let left = j * row.stride;
        for r in 0..kh {
            let line = &row.plane[(row.top + r) * row.cols + left..][..kw];
            for (c, &v) in line.iter().enumerate() {
                let taps = &row.kernel[(r * kw + c) * f..][..f];
                for (acc, &k) in pixel.iter_mut().zip(taps) {
                    *acc += k * v;
                }
            }
        }
        if let Some(bias) = row.bias {
            for (acc, &b) in pixel.iter_mut().zip(bias) {
                *acc += b;
            }
        }
    }
}

/// `f32` rows with AVX-512F or AVX2 + FMA: blocks of up to 32 filters (two registers of 16
/// lanes, or four of 8) for a few pixels at a time, enough independent chains to hide the
/// multiply-add's latency; the filters past the last whole register are masked lanes, which
/// never touch memory.
#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use core::arch::x86_64::*;

    use super::Row;

    /// Filters per block.
    const BLOCK: usize = 32;

    /// One output row with AVX-512F: blocks of filters, four pixels at a time, then one.
    ///
    /// # Safety
    /// The processor must run AVX-512F, and the row must be checked ([`Row::check`]).
    #[target_feature(enable = "avx512f")]
    pub(in crate::kernel) unsafe fn row512(row: &Row<'_, f32>, y: &mut [f32]) {
        let f = row.filters;
        let pixels = y.len() / f;
        for f0 in (0..f).step_by(BLOCK) {
            let left = f - f0;
            let m = [mask16(left), mask16(left.saturating_sub(16))];
            let mut j = 0;
            // Safety (both loops): pixels `j..j + PX` and filters `f0..f0 + 32`, masked to `f`,
            // lie in the checked row.
            unsafe {
                while j + 4 <= pixels {
                    match left {
                        17.. => pixels512::<4, 2>(row, y, j, f0, m),
                        _ => pixels512::<4, 1>(row, y, j, f0, m),
                    }
                    j += 4;
                }
                while j < pixels {
                    pixels512::<1, 2>(row, y, j, f0, m);
                    j += 1;
                }
            }
        }
    }

    /// The first `n` of 16 lanes.
    #[inline]
    fn mask16(n: usize) -> __mmask16 {
        if n >= 16 {
            !0
        } else {
            (1u16 << n) - 1
        }
    }

    /// Pixels `j..j + PX`, filters `f0..f0 + 16·V` (lanes of `m`).
    ///
    /// Safety: as [`row512`], for those pixels and filters.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn pixels512<const PX: usize, const V: usize>(
        row: &Row<'_, f32>,
        y: &mut [f32],
        j: usize,
        f0: usize,
        m: [__mmask16; 2],
    ) {
        let ([kh, kw], f) = (row.size, row.filters);
        // Safety: every load and store is of a tap of these pixels in the checked plane, of the
        // kernel's or the bias' filters `f0..f`, or of these pixels' outputs; masked lanes are
        // not accessed (their addresses are only computed, with wrapping arithmetic).
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); V]; PX];
            for r in 0..kh {
                let line = row
                    .plane
                    .as_ptr()
                    .add((row.top + r) * row.cols + j * row.stride);
                for c in 0..kw {
                    let taps = row.kernel.as_ptr().add((r * kw + c) * f + f0);
                    let mut k = [_mm512_setzero_ps(); V];
                    for (v, k) in k.iter_mut().enumerate() {
                        *k = _mm512_maskz_loadu_ps(m[v], taps.wrapping_add(16 * v));
                    }
                    for (p, acc) in acc.iter_mut().enumerate() {
                        let x = _mm512_set1_ps(*line.add(p * row.stride + c));
                        for (acc, &k) in acc.iter_mut().zip(&k) {
                            *acc = _mm512_fmadd_ps(k, x, *acc);
                        }
                    }
                }
            }
            let out = y.as_mut_ptr().wrapping_add(j * f + f0);
            for (p, acc) in acc.iter().enumerate() {
                for (v, &z) in acc.iter().enumerate() {
                    let z = match row.bias {
                        Some(b) => {
                            let b =
                                _mm512_maskz_loadu_ps(m[v], b.as_ptr().wrapping_add(f0 + 16 * v));
                            _mm512_add_ps(z, b)
                        }
                        None => z,
                    };
                    _mm512_mask_storeu_ps(out.wrapping_add(p * f + 16 * v), m[v], z);
                }
            }
        }
    }

    /// One output row with AVX2 and FMA: blocks of filters, two pixels at a time, then one.
    ///
    /// # Safety
    /// The processor must run AVX2 and FMA, and the row must be checked ([`Row::check`]).
    #[target_feature(enable = "avx2,fma")]
    pub(in crate::kernel) unsafe fn row256(row: &Row<'_, f32>, y: &mut [f32]) {
        let f = row.filters;
        let pixels = y.len() / f;
        for f0 in (0..f).step_by(BLOCK) {
            let left = f - f0;
            let m = [0, 8, 16, 24].map(|v| mask8(left.saturating_sub(v)));
            let mut j = 0;
            // Safety (both loops): as in `row512`.
            unsafe {
                while j + 2 <= pixels {
                    match left {
                        17.. => pixels256::<2, 4>(row, y, j, f0, m),
                        _ => pixels256::<2, 2>(row, y, j, f0, m),
                    }
                    j += 2;
                }
                while j < pixels {
                    pixels256::<1, 4>(row, y, j, f0, m);
                    j += 1;
                }
            }
        }
    }

    /// The first `n` of 8 lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn mask8(n: usize) -> __m256i {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n.min(8) as i32), lanes)
    }

    /// Pixels `j..j + PX`, filters `f0..f0 + 8·V` (lanes of `m`).
    ///
    /// Safety: as [`row256`], for those pixels and filters.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn pixels256<const PX: usize, const V: usize>(
        row: &Row<'_, f32>,
        y: &mut [f32],
        j: usize,
        f0: usize,
        m: [__m256i; 4],
    ) {
        let ([kh, kw], f) = (row.size, row.filters);
        // Safety: as in `pixels512`.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); V]; PX];
            for r in 0..kh {
                let line = row
                    .plane
                    .as_ptr()
                    .add((row.top + r) * row.cols + j * row.stride);
                for c in 0..kw {
                    let taps = row.kernel.as_ptr().add((r * kw + c) * f + f0);
                    let mut k = [_mm256_setzero_ps(); V];
                    for (v, k) in k.iter_mut().enumerate() {
                        *k = _mm256_maskload_ps(taps.wrapping_add(8 * v), m[v]);
                    }
                    for (p, acc) in acc.iter_mut().enumerate() {
                        let x = _mm256_broadcast_ss(&*line.add(p * row.stride + c));
                        for (acc, &k) in acc.iter_mut().zip(&k) {
                            *acc = _mm256_fmadd_ps(k, x, *acc);
                        }
                    }
                }
            }
            let out = y.as_mut_ptr().wrapping_add(j * f + f0);
            for (p, acc) in acc.iter().enumerate() {
                for (v, &z) in acc.iter().enumerate() {
                    let z = match row.bias {
                        Some(b) => {
                            let b = _mm256_maskload_ps(b.as_ptr().wrapping_add(f0 + 8 * v), m[v]);
                            _mm256_add_ps(z, b)
                        }
                        None => z,
                    };
                    _mm256_maskstore_ps(out.wrapping_add(p * f + 8 * v), m[v], z);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Kernels;
    use crate::layers::window::Window;
    use std::vec::Vec;

    fn geometry(input: [usize; 2], size: [usize; 2], stride: [usize; 2], same: bool) -> Geometry {
        Geometry {
            window: Window::new(input, size, stride, same),
            channels: 1,
            filters: 5,
        }
    }

    #[test]
    fn the_padded_plane_holds_the_image_inside_zeros() {
        let g = geometry([4, 5], [3, 3], [1, 1], true);
        let x: Vec<f64> = (1..=20).map(f64::from).collect();
        let mut buffer = [0.0; PLANE];
        let (plane, width) = plane(&g, &x, &mut buffer);
        assert_eq!(width, 7);
        for (r, line) in plane.chunks_exact(width).enumerate() {
            for (c, &v) in line.iter().enumerate() {
                let inside = (1..5).contains(&r) && (1..6).contains(&c);
                let want = if inside { x[(r - 1) * 5 + c - 1] } else { 0.0 };
                assert_eq!(v, want, "{r} {c}");
            }
        }
    }

    #[test]
    fn only_single_channel_images_that_fit_run_direct() {
        assert!(fits(&geometry([28, 28], [3, 3], [1, 1], false)));
        assert!(fits(&geometry([28, 28], [3, 3], [2, 2], true)));
        assert!(!fits(&geometry([100, 100], [3, 3], [1, 1], true)));
        assert!(fits(&geometry([100, 100], [3, 3], [1, 1], false)));
        let mut two = geometry([8, 8], [3, 3], [1, 1], false);
        two.channels = 2;
        assert!(!fits(&two));
    }

    #[test]
    #[should_panic(expected = "image out of bounds")]
    fn a_row_past_the_image_panics() {
        let plane = [0.0f32; 8];
        let kernel = [0.0f32; 9];
        let row = Row {
            plane: &plane,
            cols: 4,
            top: 0,
            size: [3, 3],
            stride: 1,
            filters: 1,
            kernel: &kernel,
            bias: None,
        };
        f32::direct_row(&row, &mut [0.0; 2]);
    }

    /// Every output row of `g` on the values `x`, kernel `k`, bias `b`, each computed by
    /// `row_of`.
    fn rows(
        g: &Geometry,
        x: &[f32],
        k: &[f32],
        b: &[f32],
        row_of: impl Fn(&Row<'_, f32>, &mut [f32]),
    ) -> Vec<f32> {
        let (rows, cols, f) = (g.window.rows, g.window.cols, g.filters);
        let mut buffer = [0.0; PLANE];
        let (plane, width) = plane(g, x, &mut buffer);
        let mut y = std::vec![f32::NAN; g.pixels() * f];
        for (i, out) in y.chunks_exact_mut(cols.output * f).enumerate() {
            let row = Row {
                plane,
                cols: width,
                top: i * rows.stride,
                size: [rows.size, cols.size],
                stride: cols.stride,
                filters: f,
                kernel: k,
                bias: Some(b),
            };
            row.check(out);
            row_of(&row, out);
        }
        y
    }

    /// The convolutions the dispatch tests run: filters below, at and past a block, windows
    /// with strides and padding.
    fn cases() -> impl Iterator<Item = Geometry> {
        let windows = [
            ([28, 28], [3, 3], [1, 1], false),
            ([9, 7], [3, 3], [1, 1], true),
            ([9, 9], [5, 4], [2, 3], true),
        ];
        let filters = [1, 8, 16, 17, 32, 33, 64];
        windows
            .into_iter()
            .flat_map(move |(input, size, stride, same)| {
                filters.into_iter().map(move |filters| Geometry {
                    filters,
                    ..geometry(input, size, stride, same)
                })
            })
    }

    fn values(len: usize, seed: f32) -> Vec<f32> {
        (0..len).map(|i| (i as f32 * seed).sin()).collect()
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_and_avx2_rows_agree_bit_for_bit() {
        if !super::super::x86::avx512() {
            return;
        }
        for g in cases() {
            let (x, k) = (
                values(g.input_len(), 0.37),
                values(g.taps() * g.filters, 0.91),
            );
            let b = values(g.filters, 0.53);
            // Safety: the processor runs AVX-512F, hence AVX2 and FMA; `rows` checks each row.
            let wide = rows(&g, &x, &k, &b, |r, y| unsafe { x86::row512(r, y) });
            let narrow = rows(&g, &x, &k, &b, |r, y| unsafe { x86::row256(r, y) });
            assert_eq!(wide, narrow, "{g:?}");
        }
    }

    #[test]
    fn the_portable_row_is_within_rounding_of_the_dispatched_one() {
        // Products rounded before each sum, against fused multiply-adds: each of the `n =
        // taps + 1` steps rounds at most `ε·Σ|terms|` differently, and `Σ|terms| ≤ n` for
        // values in `[-1, 1]`, so the two differ by at most `n²·ε`.
        for g in cases() {
            let (x, k) = (
                values(g.input_len(), 0.37),
                values(g.taps() * g.filters, 0.91),
            );
            let b = values(g.filters, 0.53);
            let fast = rows(&g, &x, &k, &b, f32::direct_row);
            let portable = rows(&g, &x, &k, &b, row);
            for (&a, &p) in fast.iter().zip(&portable) {
                let n = g.taps() as f32 + 1.0;
                let bound = n * n * f32::EPSILON;
                assert!((a - p).abs() <= bound, "{g:?}: {a} {p}");
            }
        }
    }
}
