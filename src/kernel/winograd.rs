//! Winograd's minimal filtering `F(4×4, 3×3)` for a 3×3, stride-1 convolution at inference
//! (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 4×4 tile of
//! output pixels from the 6×6 tile of input pixels it reads, in 36 multiplications per channel
//! and filter instead of 144.
//!
//! ## The one-dimensional case
//!
//! Four outputs of a 3-tap correlation, `y_i = Σ_k g_k · d_{i+k}` for `i < 4` from six inputs
//! `d_0..d_5`, form the transpose of a linear convolution: the map `d ↦ y` is the transpose of
//! `e ↦ g ∗ e`, which takes four values `e` to the six coefficients of the product of the
//! polynomials `e(x) = Σ_i e_i x^i` (degree 3) and `g(x)` (degree 2). Toom-Cook computes that
//! product from its values at six points, `0, 1, −1, 2, −2` and `∞` (the leading coefficient):
//! evaluate both factors there, multiply pairwise (6 multiplications), interpolate. Transposed,
//! the evaluation of `e` becomes the last step and the interpolation the first, and the
//! correlation is `y = Aᵀ[(G·g) ⊙ (Bᵀ·d)]`: 6 multiplications for 4 outputs, where the definition
//! needs 12. The matrices, as Lavin and Gray give them:
//!
//! ```text
//!      ⎡ 4  0 −5  0  1  0⎤        ⎡ 1/4    0     0  ⎤
//!      ⎢ 0 −4 −4  1  1  0⎥        ⎢−1/6  −1/6  −1/6 ⎥        ⎡1  1  1  1  1  0⎤
//! Bᵀ = ⎢ 0  4 −4 −1  1  0⎥    G = ⎢−1/6   1/6  −1/6 ⎥   Aᵀ = ⎢0  1 −1  2 −2  0⎥
//!      ⎢ 0 −2 −1  2  1  0⎥        ⎢1/24  1/12   1/6 ⎥        ⎢0  1  1  4  4  0⎥
//!      ⎢ 0  2 −1 −2  1  0⎥        ⎢1/24 −1/12   1/6 ⎥        ⎣0  1 −1  8 −8  1⎦
//!      ⎣ 0  4  0 −5  0  1⎦        ⎣  0     0     1  ⎦
//! ```
//!
//! Column `r` of `Aᵀ` is the powers `p_r^i` of point `r` (the evaluation of `e`, its `∞` column
//! picking the leading coefficient), row `r` of `G` evaluates `g` at point `r` and `Bᵀ` is the
//! transposed interpolation, the interpolation's denominators moved into `G` so that `Bᵀ` and
//! `Aᵀ` are small integers. Why the result is the correlation: `Σ_r Aᵀ[i][r] · (G g)_r ·
//! (Bᵀ d)_r` is bilinear in `g` and `d`, so it is enough that it equals `y_i` for every pair of
//! unit vectors `g = e_k`, `d = e_j`, i.e. that `Σ_r Aᵀ[i][r] G[r][k] Bᵀ[r][j] = [j = i + k]`:
//! 4·3·6 identities, which `tests::the_transforms_compute_the_correlation` checks exactly (in
//! integers, `24·G` being integral).
//!
//! ## Two dimensions, channels and filters
//!
//! The 2-D correlation of a 6×6 tile `d` with a 3×3 filter `g` nests the 1-D one in rows and
//! columns: `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A`. Summed over the channels `c`, with
//! `U[ξ][c][f] = (G g_{c,f} Gᵀ)_ξ` and `V[ξ][t][c] = (Bᵀ d_{t,c} B)_ξ` for each of the 36
//! points `ξ` and tiles `t`, the sum over channels is inside the elementwise product:
//!
//! `M[ξ][t][f] = Σ_c U[ξ][c][f] · V[ξ][t][c]`, and `Y_{t,f} = Aᵀ M[·][t][f] A`,
//!
//! so the arithmetic is 36 matrix products (`F × C` by `C × tiles`) through
//! [`Kernels::gemm`](super::Kernels::gemm), and the transforms are small sums of scaled
//! channel (or filter) vectors, contiguous in channels-last images and vectorised across them.
//! Tiles that run past the image (the last row and column of tiles when the output is not a
//! multiple of 4, and the padding of `Same`) read zeros, and only the outputs inside the image
//! are written. In memory, the tiles of a block keep their points together (`V` as
//! `[t][ξ][c]`, `M` as `[t][ξ][f]`, the products' strides saying so), so that each transform
//! reads and writes one contiguous run per tile.
//!
//! The products are 2.25 multiplications per output, channel and filter, where the definition
//! has 9. In `f32`, `G`'s sixths and the transforms' sums round differently from the
//! definition: the result is within a few `1e-6` of it relative to the largest output (the
//! layer's tests state the bound).

use super::Geometry;
use crate::Float;

/// The side of an output tile.
pub(crate) const TILE: usize = 4;
/// The side of the input tile it reads: `TILE + 3 − 1`.
const ALPHA: usize = TILE + 2;
/// The points of the transformed domain: `ALPHA²`.
pub(crate) const POINTS: usize = ALPHA * ALPHA;
/// Tiles transformed and multiplied together: the widest tile of the product kernel.
pub(crate) const BLOCK: usize = 12;
/// Channels (or filters) transformed together: one AVX-512 register of `f32`.
const LANES: usize = 16;

/// `Bᵀ`: the input at the six points. The transforms below are these matrices factored; the
/// tests check them against these.
#[cfg(test)]
const BT: [[f64; ALPHA]; ALPHA] = [
    [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
    [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
    [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
    [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
    [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
    [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
];

/// `G`: the filter at the six points.
#[cfg(test)]
const G: [[f64; 3]; ALPHA] = [
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];

/// `Aᵀ`: the interpolation back to four outputs.
#[cfg(test)]
const AT: [[f64; ALPHA]; TILE] = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    [0.0, 1.0, -1.0, 2.0, -2.0, 0.0],
    [0.0, 1.0, 1.0, 4.0, 4.0, 0.0],
    [0.0, 1.0, -1.0, 8.0, -8.0, 1.0],
];

/// A 1-D transform `x ↦ T·x` of `N` values into `R`: `Bᵀ`, `G` or `Aᵀ`, on scalars.
trait Transform<const N: usize, const R: usize> {
    fn apply<T: Float>(x: [T; N]) -> [T; R];
}

/// `Bᵀ`.
struct Input;
/// `G`.
struct Filter;
/// `Aᵀ`.
struct Output;

impl Transform<ALPHA, ALPHA> for Input {
    /// `Bᵀ·d`, its rows factored to share sums.
    #[inline(always)]
    fn apply<T: Float>([d0, d1, d2, d3, d4, d5]: [T; ALPHA]) -> [T; ALPHA] {
        let (four, five, two) = (T::of(4.0), T::of(5.0), T::of(2.0));
        let (even, odd) = (d4 - d2, d3 - d1);
        [
            four * d0 - five * d2 + d4,
            d3 + d4 - four * (d1 + d2),
            d4 - d3 + four * (d1 - d2),
            even + two * odd,
            even - two * odd,
            four * d1 - five * d3 + d5,
        ]
    }
}

impl Transform<3, ALPHA> for Filter {
    /// `G·g`.
    #[inline(always)]
    fn apply<T: Float>([g0, g1, g2]: [T; 3]) -> [T; ALPHA] {
        let (quarter, sixth) = (T::of(1.0 / 4.0), T::of(-1.0 / 6.0));
        let (a, b, c) = (T::of(1.0 / 24.0), T::of(1.0 / 12.0), T::of(1.0 / 6.0));
        let outer = g0 + g2;
        [
            quarter * g0,
            sixth * (outer + g1),
            sixth * (outer - g1),
            a * g0 + b * g1 + c * g2,
            a * g0 - b * g1 + c * g2,
            g2,
        ]
    }
}

impl Transform<ALPHA, TILE> for Output {
    /// `Aᵀ·m`.
    #[inline(always)]
    fn apply<T: Float>([m0, m1, m2, m3, m4, m5]: [T; ALPHA]) -> [T; TILE] {
        let (two, four, eight) = (T::of(2.0), T::of(4.0), T::of(8.0));
        let (sum1, diff1, sum2, diff2) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4);
        [
            m0 + sum1 + sum2,
            diff1 + two * diff2,
            sum1 + four * sum2,
            diff1 + eight * diff2 + m5,
        ]
    }
}

/// A 6×6 tile of lane vectors, entry `(a, b)` at `a·6 + b`: a block of channels (or filters) of
/// each of the tile's pixels (or points).
type Tile<T> = [[T; LANES]; POINTS];

/// `X` applied in place to the entries `base + k·stride` of `tile` (`k < N` read, `k < R`
/// written), every lane: a loop over lanes the compiler vectorises.
#[inline(always)]
fn along<T: Float, X: Transform<N, R>, const N: usize, const R: usize>(
    tile: &mut Tile<T>,
    base: usize,
    stride: usize,
) {
    assert!(base + (N.max(R) - 1) * stride < POINTS);
    // `l` indexes a lane of several entries at once: the loop the compiler vectorises.
    #[allow(clippy::needless_range_loop)]
    for l in 0..LANES {
        let mut x = [T::zero(); N];
        for (k, x) in x.iter_mut().enumerate() {
            *x = tile[base + k * stride][l];
        }
        for (k, y) in X::apply(x).into_iter().enumerate() {
            tile[base + k * stride][l] = y;
        }
    }
}

/// `T·x·Tᵀ` in place for the 1-D transform `X` of the `N × N` tile at the top left of `tile`:
/// `X` down each column, then along each row; the `R × R` result at the top left.
#[inline(always)]
fn both_axes<T: Float, X: Transform<N, R>, const N: usize, const R: usize>(tile: &mut Tile<T>) {
    for b in 0..N {
        along::<T, X, N, R>(tile, b, ALPHA);
    }
    for a in 0..R {
        along::<T, X, N, R>(tile, a * ALPHA, 1);
    }
}

/// The first `lanes` values of `from` into `to`, zeros after: one vector copy for a whole
/// block.
#[inline(always)]
fn load<T: Float>(to: &mut [T; LANES], from: &[T], lanes: usize) {
    match from.first_chunk::<LANES>() {
        Some(all) if lanes == LANES => *to = *all,
        _ => {
            *to = [T::zero(); LANES];
            to[..lanes].iter_mut().zip(from).for_each(|(t, &f)| *t = f);
        }
    }
}

/// The first `lanes` values of `from` into `to`.
#[inline(always)]
fn store<T: Float>(to: &mut [T], from: &[T; LANES], lanes: usize) {
    match to.first_chunk_mut::<LANES>() {
        Some(all) if lanes == LANES => *all = *from,
        _ => to.iter_mut().zip(&from[..lanes]).for_each(|(t, &f)| *t = f),
    }
}

/// Defines `$name`, which runs `$body` compiled for the widest SIMD the processor has
/// (AVX-512F, else AVX2; its loops over lanes vectorise to that), or as portable code.
macro_rules! simd {
    ($(#[$doc:meta])* fn $name:ident => $body:ident ($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        pub(crate) fn $name<T: Float>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                /// # Safety
                /// The processor must run AVX-512F.
                #[target_feature(enable = "avx512f")]
                unsafe fn wide<T: Float>($($arg: $ty),*) {
                    $body($($arg),*)
                }
                /// # Safety
                /// The processor must run AVX2 and FMA.
                #[target_feature(enable = "avx2,fma")]
                unsafe fn narrow<T: Float>($($arg: $ty),*) {
                    $body($($arg),*)
                }
                if super::x86::avx512() {
                    // Safety: the processor runs AVX-512F (just checked).
                    return unsafe { wide($($arg),*) };
                }
                if super::x86::available() {
                    // Safety: the processor runs AVX2 and FMA (just checked).
                    return unsafe { narrow($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

/// Where the tiles of a convolution's output are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tiles {
    /// The convolution.
    pub geometry: Geometry,
    /// Tiles per row of the output: `⌈OW / 4⌉`.
    across: usize,
    /// Tiles per sample: `⌈OH / 4⌉·⌈OW / 4⌉`.
    per_sample: usize,
}

impl Tiles {
    /// The tiles of `g`'s output.
    pub const fn new(geometry: Geometry) -> Tiles {
        let (rows, cols) = (geometry.window.rows.output, geometry.window.cols.output);
        let across = cols.div_ceil(TILE);
        Tiles {
            geometry,
            across,
            per_sample: rows.div_ceil(TILE) * across,
        }
    }

    /// Tile `q` of a run of samples: its sample and its output's first row and column.
    #[inline]
    fn at(&self, q: usize) -> (usize, usize, usize) {
        let (n, q) = (q / self.per_sample, q % self.per_sample);
        (n, q / self.across * TILE, q % self.across * TILE)
    }
}

simd! {
    /// `U[ξ][c][f] = (G g Gᵀ)_ξ` of Keras' `(3, 3, C, F)` kernel into `u` (`POINTS × C × F`).
    fn kernel => kernel_body(g: &Geometry, kernel: &[T], u: &mut [T])
}

#[inline(always)]
fn kernel_body<T: Float>(geometry: &Geometry, kernel: &[T], u: &mut [T]) {
    let (c, f) = (geometry.channels, geometry.filters);
    let mut tile: Tile<T> = [[T::zero(); LANES]; POINTS];
    for ch in 0..c {
        for f0 in (0..f).step_by(LANES) {
            let lanes = LANES.min(f - f0);
            for (kh, kw) in (0..3).flat_map(|kh| (0..3).map(move |kw| (kh, kw))) {
                let at = ((kh * 3 + kw) * c + ch) * f + f0;
                load(&mut tile[kh * ALPHA + kw], &kernel[at..], lanes);
            }
            both_axes::<T, Filter, 3, ALPHA>(&mut tile);
            for (xi, p) in tile.iter().enumerate() {
                store(&mut u[(xi * c + ch) * f + f0..], p, lanes);
            }
        }
    }
}

simd! {
    /// `V[ξ][t][c] = (Bᵀ d B)_ξ` for the `count` tiles from tile `first` of the images `x` into
    /// `v` (`BLOCK × POINTS × C`, each tile's points together): each tile's 6×6 input pixels, zero outside the image.
    fn input => input_body(t: &Tiles, x: &[T], first: usize, count: usize, v: &mut [T])
}

#[inline(always)]
fn input_body<T: Float>(t: &Tiles, x: &[T], first: usize, count: usize, v: &mut [T]) {
    let g = t.geometry;
    let (rows, cols, c) = (g.window.rows, g.window.cols, g.channels);
    let mut tile: Tile<T> = [[T::zero(); LANES]; POINTS];
    for k in 0..count {
        let (n, i0, j0) = t.at(first + k);
        let image = &x[n * g.input_len()..][..g.input_len()];
        for c0 in (0..c).step_by(LANES) {
            let lanes = LANES.min(c - c0);
            for (p, d) in tile.iter_mut().enumerate() {
                // Input row `i0 + a − before`, column `j0 + b − before`, if inside.
                let r = (i0 + p / ALPHA).wrapping_sub(rows.before);
                let s = (j0 + p % ALPHA).wrapping_sub(cols.before);
                match r < rows.input && s < cols.input {
                    true => load(d, &image[(r * cols.input + s) * c + c0..], lanes),
                    false => *d = [T::zero(); LANES],
                }
            }
            both_axes::<T, Input, ALPHA, ALPHA>(&mut tile);
            for (xi, p) in tile.iter().enumerate() {
                store(&mut v[(k * POINTS + xi) * c + c0..], p, lanes);
            }
        }
    }
}

simd! {
    /// `Y_{t,f} = Aᵀ M[·][t][f] A` for the `count` tiles from tile `first`, from `m`
    /// (`BLOCK × POINTS × F`) into the images `y`: the pixels of each 4×4 tile inside the
    /// output.
    fn output => output_body(t: &Tiles, m: &[T], first: usize, count: usize, y: &mut [T])
}

#[inline(always)]
fn output_body<T: Float>(t: &Tiles, m: &[T], first: usize, count: usize, y: &mut [T]) {
    let g = t.geometry;
    let (oh, ow, f) = (g.window.rows.output, g.window.cols.output, g.filters);
    let mut tile: Tile<T> = [[T::zero(); LANES]; POINTS];
    for k in 0..count {
        let (n, i0, j0) = t.at(first + k);
        let image = &mut y[n * oh * ow * f..][..oh * ow * f];
        for f0 in (0..f).step_by(LANES) {
            let lanes = LANES.min(f - f0);
            for (xi, p) in tile.iter_mut().enumerate() {
                load(p, &m[(k * POINTS + xi) * f + f0..], lanes);
            }
            both_axes::<T, Output, ALPHA, TILE>(&mut tile);
            for a in 0..TILE.min(oh - i0) {
                for b in 0..TILE.min(ow - j0) {
                    let at = ((i0 + a) * ow + j0 + b) * f + f0;
                    store(&mut image[at..], &tile[a * ALPHA + b], lanes);
                }
            }
        }
    }
}

/// The convolution of `samples` images `x` into `y` (each pixel's `F` filters together, before
/// the bias): `BLOCK` tiles at a time, transformed into `v`, multiplied by the transformed
/// kernel `u` into `m` and transformed back.
pub(crate) fn forward<T: Float>(
    t: &Tiles,
    u: &[T],
    x: &[T],
    y: &mut [T],
    v: &mut [T],
    m: &mut [T],
) {
    let (c, f) = (t.geometry.channels, t.geometry.filters);
    let tiles = x.len() / t.geometry.input_len().max(1) * t.per_sample;
    for first in (0..tiles).step_by(BLOCK) {
        let count = BLOCK.min(tiles - first);
        input(t, x, first, count, v);
        for xi in 0..POINTS {
            let (u, v, m) = (&u[xi * c * f..], &v[xi * c..], &mut m[xi * f..]);
            T::gemm(
                (f, c, count),
                u,
                f,
                v,
                (1, POINTS * c),
                T::zero(),
                m,
                POINTS * f,
            );
        }
        output(t, m, first, count, y);
    }
}

#[cfg(test)]
mod tests {
    use std::vec;
    use std::vec::Vec;

    use super::*;

    #[test]
    #[allow(clippy::needless_range_loop)] // indices of the identity's matrices
    fn the_transforms_compute_the_correlation() {
        // Σ_r Aᵀ[i][r] G[r][k] Bᵀ[r][j] = [j = i + k], in integers: 24·G is integral.
        for (r, row) in G.iter().enumerate() {
            for &g in row {
                assert_eq!((24.0 * g).round(), 24.0 * g, "G row {r}");
            }
        }
        for i in 0..TILE {
            for k in 0..3 {
                for j in 0..ALPHA {
                    let sum: i64 = (0..ALPHA)
                        .map(|r| {
                            AT[i][r] as i64 * (24.0 * G[r][k]).round() as i64 * BT[r][j] as i64
                        })
                        .sum();
                    assert_eq!(sum, 24 * i64::from(j == i + k), "i {i} k {k} j {j}");
                }
            }
        }
    }

    /// The correlation by its definition: `y[n, i, j, f] = Σ K[kh, kw, c, f] · x[n, i + kh −
    /// before, j + kw − before, c]`, zero outside the image.
    fn by_definition(g: &Geometry, k: &[f64], x: &[f64], samples: usize) -> Vec<f64> {
        let (rows, cols, c, f) = (g.window.rows, g.window.cols, g.channels, g.filters);
        let mut y = vec![0.0; samples * g.pixels() * f];
        for (n, i, j, o) in (0..samples).flat_map(|n| {
            (0..rows.output).flat_map(move |i| {
                (0..cols.output).flat_map(move |j| (0..f).map(move |o| (n, i, j, o)))
            })
        }) {
            let mut sum = 0.0;
            for (kh, kw, ch) in
                (0..3).flat_map(|kh| (0..3).flat_map(move |kw| (0..c).map(move |ch| (kh, kw, ch))))
            {
                let r = (i + kh).wrapping_sub(rows.before);
                let s = (j + kw).wrapping_sub(cols.before);
                if r < rows.input && s < cols.input {
                    let input = x[n * g.input_len() + (r * cols.input + s) * c + ch];
                    sum += k[((kh * 3 + kw) * c + ch) * f + o] * input;
                }
            }
            y[((n * rows.output + i) * cols.output + j) * f + o] = sum;
        }
        y
    }

    #[test]
    fn the_kernel_equals_the_definition_for_any_channels() {
        // One channel and several, valid and same padding, outputs of every size modulo 4, and
        // more tiles than a block: to 1e-12 in f64.
        for (input, channels, filters, same, samples) in [
            ([5, 5], 1, 3, false, 1),
            ([6, 9], 1, 1, true, 2),
            ([7, 8], 3, 17, false, 3),
            ([9, 6], 2, 5, true, 2),
            ([3, 3], 1, 2, false, 1),
        ] {
            let g = Geometry {
                window: crate::layers::window::Window::new(input, [3, 3], [1, 1], same),
                channels,
                filters,
            };
            let t = Tiles::new(g);
            let x: Vec<f64> = (0..samples * g.input_len())
                .map(|i| (i as f64 * 0.37).sin())
                .collect();
            let k: Vec<f64> = (0..9 * channels * filters)
                .map(|i| (i as f64 * 0.91).cos())
                .collect();
            let mut u = vec![0.0; POINTS * channels * filters];
            kernel(&g, &k, &mut u);
            let (mut v, mut m) = (
                vec![0.0; BLOCK * POINTS * channels],
                vec![0.0; BLOCK * POINTS * filters],
            );
            let mut y = vec![f64::NAN; samples * g.pixels() * filters];
            forward(&t, &u, &x, &mut y, &mut v, &mut m);
            let want = by_definition(&g, &k, &x, samples);
            for (i, (got, want)) in y.iter().zip(&want).enumerate() {
                assert!((got - want).abs() <= 1e-12, "{g:?} [{i}]: {got} vs {want}");
            }
        }
    }

    /// The unit vector `e_k` of `N`.
    fn unit<const N: usize>(k: usize) -> [f64; N] {
        let mut e = [0.0; N];
        e[k] = 1.0;
        e
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // indices of the matrices' columns
    fn the_factored_transforms_are_the_matrices() {
        // Column k of each matrix is its transform of e_k, exactly.
        for k in 0..ALPHA {
            let (b, a) = (
                Input::apply(unit::<ALPHA>(k)),
                Output::apply(unit::<ALPHA>(k)),
            );
            (0..ALPHA).for_each(|r| assert_eq!(b[r], BT[r][k], "Bᵀ[{r}][{k}]"));
            (0..TILE).for_each(|r| assert_eq!(a[r], AT[r][k], "Aᵀ[{r}][{k}]"));
        }
        for k in 0..3 {
            let column = Filter::apply(unit::<3>(k));
            (0..ALPHA).for_each(|r| assert_eq!(column[r], G[r][k], "G[{r}][{k}]"));
        }
    }
}
