//! The int8 product with AVX2: unsigned inputs and signed weights widened to `i16`, multiplied
//! with `vpmaddwd` (two products summed per `i32` lane, exact for every `u8` times `i8`;
//! `vpmaddubsw` would saturate).
//!
//! One register holds four outputs' four weights of a group as sixteen `i16`; the row's four
//! inputs of the group are widened and repeated four times. `vpmaddwd` then leaves, per output,
//! the sums of its inputs 0–1 and 2–3 in two neighbouring lanes; they are added (`vphaddd`)
//! once per tile, after the last group. Tiles are `R` rows by `8·P` outputs: 4 rows by 8 outputs,
//! or one row by 32 and two rows by 16 for products of one or two rows. Outputs past `O` are
//! masked in the weights' loads (`vpmaskmovd`: one lane is one output's group) and stored
//! through a buffer. A pooled product folds each row into its window's maximum and stores a
//! window once its last row is in.

use core::arch::x86_64::*;
use core::cell::Cell;

use super::requantize::Lanes256;
use super::{Channels, Operands, Pool, Requantize, FLIP};

/// Outputs per requantised vector.
const W: usize = 8;

/// Rows of the main tile.
const ROWS: usize = 4;

/// The product of `ops` requantised by `q` into `out`.
///
/// # Safety
/// The processor must run AVX2, and `ops` and `q` must have been checked against `out` and
/// `out_stride` (`Operands::check`, `Requantize::check`).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn gemm(
    ops: &Operands<'_>,
    q: &Requantize<'_>,
    out: &mut [i8],
    out_stride: usize,
) {
    // Safety: as this function's.
    unsafe { strips::<false>(ops, Out::Int8(out.as_mut_ptr(), q), out_stride) }
}

/// The product of `ops` (`u8` inputs) requantised by `q` and max-pooled by `pool` into
/// `out`.
///
/// # Safety
/// The processor must run AVX2, and `ops` and `q` must have been checked against `out` and
/// `out_stride` for `rows / window` rows (`Operands::check_out`, `Requantize::check`).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn gemm_max_pool(
    ops: &Operands<'_>,
    q: &Requantize<'_>,
    pool: Pool,
    out: &mut [i8],
    out_stride: usize,
) {
    // Safety: as this function's.
    unsafe { strips::<true>(ops, Out::Pool(out.as_mut_ptr(), q, pool), out_stride) }
}

/// Where a product's rows go.
#[derive(Clone, Copy)]
enum Out<'a> {
    /// Requantised by the requantisation, as bytes.
    Int8(*mut i8, &'a Requantize<'a>),
    /// Requantised and max-pooled over windows of consecutive rows, as bytes.
    Pool(*mut i8, &'a Requantize<'a>, Pool),
}

/// The product of `ops` into `out`, strip by strip of outputs: `u8` inputs pooled if `U`,
/// else `i8` inputs (read as `x + 128`) requantised.
///
/// Safety: as [`gemm`], with `out` rows of `out_stride` as checked.
#[target_feature(enable = "avx2")]
unsafe fn strips<const U: bool>(ops: &Operands<'_>, out: Out<'_>, out_stride: usize) {
    // `u8` inputs are a convolution's patches, many rows: tall tiles alone, so that their
    // code exists once.
    let widest = match ops.rows {
        _ if U => 1,
        1 => 4,
        2 => 2,
        _ => 1,
    };
    let mut o0 = 0;
    while o0 < ops.outputs {
        let left = ops.outputs - o0;
        let p = [1, 2, 4]
            .into_iter()
            .find(|&p| p * W >= left || p == widest)
            .unwrap_or(widest);
        let strip = Strip {
            ops,
            o0,
            out,
            out_stride,
        };
        // Safety: the outputs `o0 .. min(o0 + 8·p, O)` exist, and the strip masks the rest.
        unsafe {
            match p {
                1 => strip.tall::<U>(),
                2 => strip.wide::<2, 4, U>(),
                _ => strip.wide::<4, 8, U>(),
            }
        }
        o0 += p * W;
    }
}

/// The outputs from `o0` of every row.
struct Strip<'a> {
    ops: &'a Operands<'a>,
    o0: usize,
    out: Out<'a>,
    out_stride: usize,
}

impl Strip<'_> {
    /// Every row of 8 outputs: tiles of 4 rows, then one of the rest.
    ///
    /// Safety: as [`gemm`].
    #[target_feature(enable = "avx2")]
    unsafe fn tall<const U: bool>(&self) {
        let rows = self.ops.rows;
        self.with_tile::<1, 2, U>(|tile| {
            let mut r = 0;
            // Safety (all tiles): the rows `r .. r + R` lie below `rows`.
            unsafe {
                while r + ROWS <= rows {
                    tile.run::<ROWS>(r);
                    r += ROWS;
                }
                match rows - r {
                    0 => {}
                    1 => tile.run::<1>(r),
                    2 => tile.run::<2>(r),
                    _ => tile.run::<3>(r),
                }
            }
        })
    }

    /// The one or two rows of a product of fewer than three, `8·P` outputs at once (`Q = 2·P`
    /// registers of four).
    ///
    /// Safety: as [`gemm`], with `rows` 1 or 2.
    #[target_feature(enable = "avx2")]
    unsafe fn wide<const P: usize, const Q: usize, const U: bool>(&self) {
        let rows = self.ops.rows;
        // Safety: the rows `0 .. rows` exist.
        self.with_tile::<P, Q, U>(|tile| unsafe {
            match rows {
                1 => tile.run::<1>(0),
                _ => tile.run::<2>(0),
            }
        })
    }

    /// Calls `f` with the strip's bias, masks and, if it requantises, requantisation.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn with_tile<const P: usize, const Q: usize, const U: bool>(
        &self,
        f: impl FnOnce(&Tile<'_, P, Q, U>),
    ) {
        let (ops, o0) = (self.ops, self.o0);
        let n = (ops.outputs - o0).min(P * W);
        let count = |p: usize| n.saturating_sub(p * W).min(W);
        let lanes = |q: &Requantize<'_>| {
            core::array::from_fn(|p| Lanes256::new(&Channels::of(q, o0 + p * W, count(p)), q))
        };
        f(&Tile::<P, Q, U> {
            strip: self,
            n,
            bias: core::array::from_fn(|p| {
                let mut lanes = [0i32; W];
                // A vector past the last output starts past the bias: none of it.
                let start = (o0 + p * W).min(ops.bias.len());
                let from = &ops.bias[start..][..count(p)];
                lanes[..from.len()].copy_from_slice(from);
                // Safety: `lanes` holds 8 `i32`, one vector.
                unsafe { _mm256_loadu_si256(lanes.as_ptr().cast()) }
            }),
            store: match self.out {
                Out::Int8(out, q) => Store::Int8(out, lanes(q)),
                Out::Pool(out, q, pool) => Store::Pool(out, lanes(q), pool),
            },
            window: Cell::new(Window {
                best: [_mm256_set1_epi32(i32::MIN); P],
                rows: 0,
                at: 0,
            }),
            masks: core::array::from_fn(|j| {
                let lanes = n.saturating_sub(4 * j).min(4) as i32;
                _mm_cmpgt_epi32(_mm_set1_epi32(lanes), _mm_setr_epi32(0, 1, 2, 3))
            }),
        })
    }
}

/// How a tile stores its rows: requantised by the strip's `P` vectors of requantisation, or
/// requantised and pooled.
enum Store<const P: usize> {
    Int8(*mut i8, [Lanes256; P]),
    Pool(*mut i8, [Lanes256; P], Pool),
}

/// One strip's per-output vectors: bias, requantisation if any, and the weights' masks by four;
/// the window a pooling strip is in. Its inputs are `u8` if `U`, else `i8` read as
/// `x + 128`.
struct Tile<'a, const P: usize, const Q: usize, const U: bool> {
    strip: &'a Strip<'a>,
    /// The strip's outputs below `O`.
    n: usize,
    bias: [__m256i; P],
    store: Store<P>,
    masks: [__m128i; Q],
    window: Cell<Window<P>>,
}

/// The window a pooling strip is in: the largest sums (or, where the requantisation is not
/// monotone, outputs) of its first `rows` rows, and the output row it gives.
#[derive(Clone, Copy)]
struct Window<const P: usize> {
    best: [__m256i; P],
    rows: usize,
    at: usize,
}

impl<const P: usize, const Q: usize, const U: bool> Tile<'_, P, Q, U> {
    /// The `Q` registers of weights of group `g`, widened.
    ///
    /// Safety: `g < G`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn weights(&self, g: usize) -> [__m256i; Q] {
        let ops = self.strip.ops;
        let kernel = ops.kernel.as_ptr().cast::<i32>();
        let first = g * ops.outputs + self.strip.o0;
        let mut w = [_mm256_setzero_si256(); Q];
        for (j, w) in w.iter_mut().enumerate() {
            let at = kernel.wrapping_add(first + 4 * j);
            // Safety: the loaded lanes are outputs below `O` of group `g < G`, inside the
            // kernel (checked); masked lanes are not read.
            let four = unsafe {
                if 4 * j + 4 <= self.n {
                    _mm_loadu_si128(at.cast())
                } else {
                    _mm_maskload_epi32(at, self.masks[j])
                }
            };
            *w = _mm256_cvtepi8_epi16(four);
        }
        w
    }

    /// Rows `r0 .. r0 + R` of the strip.
    ///
    /// Safety: as [`gemm`], for rows below `rows`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn run<const R: usize>(&self, r0: usize) {
        let ops = self.strip.ops;
        // Plain loops: `array::from_fn`'s closures are not inlined here, and a call per row
        // costs more than the row's products of a small kernel.
        let mut x = [ops.x.as_ptr(); R];
        for (i, x) in x.iter_mut().enumerate() {
            *x = x.wrapping_add(ops.start(r0 + i));
        }
        // The last group's inputs first, while no vector is live: it is scalar code. (None if
        // `K` is whole groups, as a convolution's patches are.)
        let mut last = [0i32; R];
        if !ops.k.is_multiple_of(4) {
            for (i, last) in last.iter_mut().enumerate() {
                *last = ops.last_group(r0 + i);
            }
        }
        let mut acc = [[_mm256_setzero_si256(); Q]; R];
        // The row's runs (one, but for a convolution read in place), whole groups each.
        let per = ops.whole_groups() / ops.taps;
        for t in 0..ops.taps {
            let x = x.map(|x| x.wrapping_add(t * ops.pitch));
            for c in 0..per {
                // Safety: `t·per + c < G`.
                let w = unsafe { self.weights(t * per + c) };
                for (acc, &x) in acc.iter_mut().zip(&x) {
                    // Safety: the group's four inputs lie in the row's run `t` (checked).
                    let x = widen::<U>(unsafe { x.add(4 * c).cast::<i32>().read_unaligned() });
                    for (acc, &w) in acc.iter_mut().zip(&w) {
                        *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(w, x));
                    }
                }
            }
        }
        if !ops.k.is_multiple_of(4) {
            // Safety: the last group is below `G`.
            let w = unsafe { self.weights(ops.whole_groups()) };
            for (acc, &x) in acc.iter_mut().zip(&last) {
                // `last_group` gives the inputs unsigned already.
                let x = widen::<true>(x);
                for (acc, &w) in acc.iter_mut().zip(&w) {
                    *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(w, x));
                }
            }
        }
        // A copy, so that only the copy's address is taken and the accumulators above stay in
        // registers.
        let done = acc;
        for (i, acc) in done.iter().enumerate() {
            // Safety: row `r0 + i` is below `rows`.
            unsafe { self.finish(r0 + i, acc) };
        }
    }

    /// Row `r`'s outputs from its accumulators: pairs of lanes added, the bias, the
    /// requantisation if any, and a store of the outputs below `O`.
    ///
    /// Safety: as [`gemm`], for a row below `rows`.
    #[inline(never)]
    #[target_feature(enable = "avx2")]
    unsafe fn finish(&self, r: usize, acc: &[__m256i; Q]) {
        let s = self.strip;
        let sums: [__m256i; P] = core::array::from_fn(|p| {
            // [o0 o1 o4 o5 | o2 o3 o6 o7], then the middle 64-bit halves swapped.
            let sums = _mm256_hadd_epi32(acc[2 * p], acc[2 * p + 1]);
            let sums = _mm256_permute4x64_epi64::<0b11_01_10_00>(sums);
            _mm256_add_epi32(sums, self.bias[p])
        });
        // `U` says which (see `strips`), so that each product's code holds one.
        let (out, lanes) = match (U, &self.store) {
            (false, Store::Int8(out, lanes)) => (*out, lanes),
            // Safety: as this function's.
            (true, Store::Pool(out, lanes, pool)) => {
                return unsafe { self.pooled(*out, lanes, *pool, &sums) }
            }
            _ => unreachable!("u8 inputs are pooled, i8 ones are not"),
        };
        let row = out.wrapping_add(r * s.out_stride + s.o0);
        for (p, &sums) in sums.iter().enumerate() {
            let n = self.n.saturating_sub(p * W).min(W);
            // Safety: the outputs `row + 8·p .. + n` are below `O` in a row below `rows`
            // (checked).
            unsafe { store_bytes(lanes[p].apply(sums), row.wrapping_add(p * W), n) };
        }
    }
}

impl<const P: usize, const Q: usize, const U: bool> Tile<'_, P, Q, U> {
    /// The next row of a pooling strip from its sums: folded into its window's maximum
    /// (requantised first unless the requantisation is monotone), and the window stored,
    /// requantised, once its last row is in.
    ///
    /// Safety: as [`gemm_max_pool`], the row following those folded before.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn pooled(&self, out: *mut i8, lanes: &[Lanes256; P], pool: Pool, sums: &[__m256i; P]) {
        let mut window = self.window.get();
        for (p, (best, &sums)) in window.best.iter_mut().zip(sums).enumerate() {
            let y = if pool.monotone {
                sums
            } else {
                lanes[p].apply(sums)
            };
            *best = _mm256_max_epi32(*best, y);
        }
        window.rows += 1;
        if window.rows == pool.window {
            let row = out.wrapping_add(window.at * self.strip.out_stride + self.strip.o0);
            for (p, &best) in window.best.iter().enumerate() {
                let y = if pool.monotone {
                    lanes[p].apply(best)
                } else {
                    best
                };
                let n = self.n.saturating_sub(p * W).min(W);
                // Safety: the outputs `row + 8·p .. + n` are below `O` in the window's output
                // row, below `rows / window` (checked).
                unsafe { store_bytes(y, row.wrapping_add(p * W), n) };
            }
            window.best = [_mm256_set1_epi32(i32::MIN); P];
            window.rows = 0;
            window.at += 1;
        }
        self.window.set(window);
    }
}

/// Eight `i32` in `[-128, 127]` narrowed to bytes, the first `n` stored at `at`.
///
/// Safety: `at .. at + n` must be writable, `n ≤ 8`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn store_bytes(y: __m256i, at: *mut i8, n: usize) {
    let low = _mm_packs_epi32(_mm256_castsi256_si128(y), _mm256_extracti128_si256::<1>(y));
    let bytes = _mm_packs_epi16(low, low);
    // Safety: as this function's.
    unsafe {
        if n == W {
            _mm_storel_epi64(at.cast(), bytes);
        } else {
            let mut buffer = [0i8; 16];
            _mm_storeu_si128(buffer.as_mut_ptr().cast(), bytes);
            core::ptr::copy_nonoverlapping(buffer.as_ptr(), at, n);
        }
    }
}

/// A group's four inputs made unsigned (as they are if `U`, else `x + 128`), widened to `i16`
/// and repeated four times.
#[inline]
#[target_feature(enable = "avx2")]
fn widen<const U: bool>(four: i32) -> __m256i {
    let four = if U { four } else { four ^ FLIP };
    _mm256_cvtepu8_epi16(_mm_set1_epi32(four))
}
