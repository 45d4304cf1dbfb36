//! The int8 product with AVX-512 VNNI: `vpdpbusd` adds to each `i32` lane the four products of
//! its bytes, unsigned inputs times signed weights, without saturating.
//!
//! A vector of one group holds sixteen outputs' four weights; the row's four inputs of that
//! group are made unsigned (`x ⊕ 0x80 = x + 128`, unless they are `u8` already) and broadcast to
//! every lane. The result is `bias + Σ u·w` exactly, modulo `2^32` as every body computes it.
//!
//! Tiles are `R` rows by `V` vectors of outputs (`R·V` accumulators of the 32 registers): 8
//! rows (12 for a pooled product) by 32 outputs. A product of one or two rows (a batch of one)
//! takes up to 128 outputs at once and skips the groups whose inputs are all zero, found 64
//! groups at a time by comparing vectors, in up to four sets of accumulators so that enough
//! independent ones hide the instruction's latency. The requantised lanes are narrowed to
//! bytes with packs. A pooled product folds each tile's rows into its windows' maxima and
//! stores a window once its last row is in; a window whose largest sums are the bias (all its
//! inputs zero, an image's background) stores bytes requantised once per strip. Outputs past
//! `O` are masked in the weights' loads and the stores, which never touch memory outside the
//! mask.

use core::arch::x86_64::*;

use core::cell::Cell;

use super::requantize::Lanes512;
use super::{Operands, Pool, Requantize, FLIP};

/// Outputs per vector.
const W: usize = 16;

/// Rows of the main tile.
const ROWS: usize = 8;

/// Rows of a pooled product's main tile (24 accumulators of two vectors).
const POOLED_ROWS: usize = 12;

/// Groups whose zeros are found at once: four vectors of sixteen, one bit each.
const SCAN: usize = 64;

/// The product of `ops` requantised by `q` into `out`.
///
/// # Safety
/// The processor must run AVX-512F, BW, VL and VNNI, and `ops` and `q` must have been checked
/// against `out` and `out_stride` (`Operands::check`, `Requantize::check`).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
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
/// The processor must run AVX-512F, BW, VL and VNNI, and `ops` and `q` must have been checked
/// against `out` and `out_stride` for `rows / window` rows (`Operands::check_out`,
/// `Requantize::check`).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
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
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn strips<const U: bool>(ops: &Operands<'_>, out: Out<'_>, out_stride: usize) {
    // `u8` inputs are a convolution's patches, many rows: tall tiles alone, so that their
    // code exists once.
    let widest = if ops.rows < 3 && !U { 8 } else { 2 };
    let mut o0 = 0;
    while o0 < ops.outputs {
        let left = ops.outputs - o0;
        let v = [1, 2, 4, 8]
            .into_iter()
            .find(|&v| v * W >= left || v == widest)
            .unwrap_or(widest);
        let strip = Strip {
            ops,
            o0,
            out,
            out_stride,
        };
        // Safety: the outputs `o0 .. min(o0 + 16·v, O)` exist, and the strip masks the rest.
        unsafe {
            match (widest, v) {
                (2, 1) => strip.tall::<1, U>(),
                (2, _) => strip.tall::<2, U>(),
                (_, 1) => strip.wide::<1, U>(),
                (_, 2) => strip.wide::<2, U>(),
                (_, 4) => strip.wide::<4, U>(),
                _ => strip.wide::<8, U>(),
            }
        }
        o0 += v * W;
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
    /// Every row of `V` vectors of outputs: tiles of 12 rows if pooled, of 8, then one of the
    /// rest.
    ///
    /// Safety: as [`gemm`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn tall<const V: usize, const U: bool>(&self) {
        let rows = self.ops.rows;
        self.with_tile::<V, U>(rows > ROWS, |tile| {
            let mut r = 0;
            // Safety (all tiles): the rows `r .. r + R` lie below `rows`.
            unsafe {
                // A pooled product's tiles are taller: a convolution of a small kernel spends
                // as much in a tile's setting up and folding as in its products.
                while U && r + POOLED_ROWS <= rows {
                    tile.run::<POOLED_ROWS>(r);
                    r += POOLED_ROWS;
                }
                while r + ROWS <= rows {
                    tile.run::<ROWS>(r);
                    r += ROWS;
                }
                match rows - r {
                    0 => {}
                    1 => tile.run::<1>(r),
                    2 => tile.run::<2>(r),
                    3 => tile.run::<3>(r),
                    4 => tile.run::<4>(r),
                    5 => tile.run::<5>(r),
                    6 => tile.run::<6>(r),
                    _ => tile.run::<7>(r),
                }
            }
        })
    }

    /// The one or two rows of a product of fewer than three, `V` vectors of outputs at once,
    /// in `C` sets of accumulators: enough that at least four chains of `vpdpbusd` are
    /// independent (`R·V·C ≥ 4`).
    ///
    /// Safety: as [`gemm`], with `rows` 1 or 2.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn wide<const V: usize, const U: bool>(&self) {
        let rows = self.ops.rows;
        // Safety: the rows `0 .. rows` exist.
        self.with_tile::<V, U>(false, |tile| unsafe {
            match (rows, V) {
                (1, 1 | 2) => tile.run_sparse::<1, 4>(),
                (1, 4) => tile.run_sparse::<1, 2>(),
                (2, 1 | 2) => tile.run_sparse::<2, 2>(),
                (1, _) => tile.run_sparse::<1, 1>(),
                _ => tile.run_sparse::<2, 1>(),
            }
        })
    }

    /// Calls `f` with the strip's `V` vectors of bias and masks, and, if `keep` (a strip of
    /// many tiles) and it requantises, or if it pools, its `V` vectors of requantisation, built
    /// once for all of them. A strip of one tile builds each vector's requantisation where it
    /// applies it instead: eight of them kept would be ten kilobytes copied for one use.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    fn with_tile<const V: usize, const U: bool>(
        &self,
        keep: bool,
        f: impl FnOnce(&Tile<'_, V, U>),
    ) {
        let (ops, o0) = (self.ops, self.o0);
        let n = (ops.outputs - o0).min(V * W);
        let count = |v: usize| n.saturating_sub(v * W).min(W);
        let masks: [__mmask16; V] = core::array::from_fn(|v| ((1u32 << count(v)) - 1) as __mmask16);
        let bias: [__m512i; V] = core::array::from_fn(|v| {
            let at = ops.bias.as_ptr().wrapping_add(o0 + v * W);
            // Safety: the unmasked lanes are outputs below `O`, inside the bias (checked);
            // masked lanes are not read.
            unsafe { _mm512_maskz_loadu_epi32(masks[v], at) }
        });
        // Built in place: a copy of these kilobytes would cost more than building them.
        let mut kept = [Lanes512::ZERO; V];
        let lanes = match self.out {
            Out::Int8(_, q) | Out::Pool(_, q, _) if keep || U => {
                for (v, lanes) in kept.iter_mut().enumerate() {
                    *lanes = Lanes512::of(q, o0 + v * W, count(v));
                }
                Some(&kept)
            }
            _ => None,
        };
        // A pooling strip of at most two vectors whose requantisation is monotone: the bytes a
        // window whose largest sums are the bias gives (an image's background, where every
        // input is zero), requantised once here rather than for each such window.
        let background = match (self.out, lanes) {
            (Out::Pool(_, _, pool), Some(lanes)) if pool.monotone && V <= 2 => {
                let ya = lanes[0].apply(bias[0]);
                Some(narrow(ya, lanes[V - 1].apply(bias[V - 1])))
            }
            _ => None,
        };
        f(&Tile {
            strip: self,
            lanes,
            bias: &bias,
            background,
            masks: &masks,
            window: Cell::new(Window {
                best: [_mm512_set1_epi32(i32::MIN); V],
                rows: 0,
                at: 0,
            }),
        })
    }
}

/// One strip's per-output vectors: bias, masks and, for a strip of many tiles or one that
/// pools, requantisation; the window a pooling strip is in. Its inputs are `u8` if `U`, else
/// `i8` read as `x + 128`.
struct Tile<'a, const V: usize, const U: bool> {
    strip: &'a Strip<'a>,
    lanes: Option<&'a [Lanes512; V]>,
    bias: &'a [__m512i; V],
    /// What a window whose largest sums are the bias stores, if known (see `with_tile`).
    background: Option<__m256i>,
    masks: &'a [__mmask16; V],
    window: Cell<Window<V>>,
}

/// The window a pooling strip is in: the largest accumulators (or, where the requantisation is
/// not monotone, outputs) of its first `rows` rows, and the output row it gives.
#[derive(Clone, Copy)]
struct Window<const V: usize> {
    best: [__m512i; V],
    rows: usize,
    at: usize,
}

impl<const V: usize, const U: bool> Tile<'_, V, U> {
    /// The `V` vectors of weights of group `g`.
    ///
    /// Safety: `g < G`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn weights(&self, g: usize) -> [__m512i; V] {
        let ops = self.strip.ops;
        let first = ops
            .kernel
            .as_ptr()
            .cast::<i32>()
            .wrapping_add(g * ops.outputs + self.strip.o0);
        let mut w = [_mm512_setzero_si512(); V];
        for (v, (w, &mask)) in w.iter_mut().zip(self.masks).enumerate() {
            // Safety: the unmasked lanes are outputs below `O` of group `g < G`, inside the
            // kernel (checked); masked lanes are not read.
            *w = unsafe { _mm512_maskz_loadu_epi32(mask, first.wrapping_add(v * W)) };
        }
        w
    }

    /// Rows `r0 .. r0 + R` of the strip.
    ///
    /// Safety: as [`gemm`], for rows below `rows`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
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
        let mut acc = [*self.bias; R];
        // The row's runs (one, but for a convolution read in place), whole groups each.
        let per = ops.whole_groups() / ops.taps;
        for t in 0..ops.taps {
            let x = x.map(|x| x.wrapping_add(t * ops.pitch));
            for c in 0..per {
                // Safety: `t·per + c < G`.
                let w = unsafe { self.weights(t * per + c) };
                for (acc, &x) in acc.iter_mut().zip(&x) {
                    // Safety: the group's four inputs lie in the row's run `t` (checked).
                    let x = unsafe { x.add(4 * c).cast::<i32>().read_unaligned() };
                    let x = _mm512_set1_epi32(if U { x } else { x ^ FLIP });
                    for (acc, &w) in acc.iter_mut().zip(&w) {
                        *acc = _mm512_dpbusd_epi32(*acc, x, w);
                    }
                }
            }
        }
        if !ops.k.is_multiple_of(4) {
            // Safety: the last group is below `G`.
            let w = unsafe { self.weights(ops.whole_groups()) };
            // `last_group` gives the inputs unsigned already.
            for (acc, &x) in acc.iter_mut().zip(&last) {
                let x = _mm512_set1_epi32(x);
                for (acc, &w) in acc.iter_mut().zip(&w) {
                    *acc = _mm512_dpbusd_epi32(*acc, x, w);
                }
            }
        }
        // A copy, so that only the copy's address is taken and the accumulators above stay in
        // registers.
        let done = acc;
        // Safety: the rows lie below `rows`.
        unsafe { self.finish(r0, &done) }
    }

    /// The `R` rows (one or two) of the strip, skipping the groups where every row's inputs
    /// are zero: group `g` of the rest into the set of accumulators `n % C`, `n` its place
    /// among them, the sets summed at the end (the same sum modulo `2^32`, in independent
    /// chains).
    ///
    /// Safety: as [`gemm`], for rows `0 .. R` below `rows`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn run_sparse<const R: usize, const C: usize>(&self) {
        let ops = self.strip.ops;
        let (mut x, mut last) = ([ops.x.as_ptr(); R], [0i32; R]);
        for (i, (x, last)) in x.iter_mut().zip(&mut last).enumerate() {
            *x = x.wrapping_add(ops.start(i));
            *last = ops.last_group(i);
        }
        let mut acc = [[*self.bias; R]; C];
        for acc in &mut acc[1..] {
            *acc = [[_mm512_setzero_si512(); V]; R];
        }
        let whole = ops.whole_groups();
        for first in (0..whole).step_by(SCAN) {
            // Safety: the groups `first .. min(first + 64, whole)` lie in each row.
            let mut live = unsafe { nonzero::<R, U>(&x, first, whole - first) };
            while live != 0 {
                // The next `C` groups with an input that is not zero; past the last, group 0
                // of no inputs, which adds nothing.
                let mut four = [[0i32; R]; C];
                let mut group = [0usize; C];
                for (four, group) in four.iter_mut().zip(&mut group) {
                    if live == 0 {
                        break;
                    }
                    *group = first + live.trailing_zeros() as usize;
                    live &= live - 1;
                    for (four, &x) in four.iter_mut().zip(&x) {
                        // Safety: the group's four inputs lie in the row (checked).
                        let v = unsafe { x.add(4 * *group).cast::<i32>().read_unaligned() };
                        *four = if U { v } else { v ^ FLIP };
                    }
                }
                for ((acc, four), &group) in acc.iter_mut().zip(&four).zip(&group) {
                    // Safety: `group < G`.
                    let w = unsafe { self.weights(group) };
                    for (acc, &four) in acc.iter_mut().zip(four) {
                        let x = _mm512_set1_epi32(four);
                        for (acc, &w) in acc.iter_mut().zip(&w) {
                            *acc = _mm512_dpbusd_epi32(*acc, x, w);
                        }
                    }
                }
            }
        }
        if !ops.k.is_multiple_of(4) {
            // Safety: the last group is below `G`; `last_group` gives its inputs unsigned.
            let w = unsafe { self.weights(whole) };
            for (acc, &four) in acc[0].iter_mut().zip(&last) {
                let x = _mm512_set1_epi32(four);
                for (acc, &w) in acc.iter_mut().zip(&w) {
                    *acc = _mm512_dpbusd_epi32(*acc, x, w);
                }
            }
        }
        let mut done = acc[0];
        for set in &acc[1..] {
            for (done, set) in done.iter_mut().zip(set) {
                for (sum, &acc) in done.iter_mut().zip(set) {
                    *sum = _mm512_add_epi32(*sum, acc);
                }
            }
        }
        // Safety: the rows `0 .. R` exist.
        unsafe { self.finish(0, &done) }
    }

    /// Rows `r0 .. r0 + R` of the strip from their accumulators: requantised, or pooled.
    ///
    /// Safety: as [`gemm`], for rows below `rows`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn finish<const R: usize>(&self, r0: usize, acc: &[[__m512i; V]; R]) {
        // Safety: as this function's.
        unsafe {
            // `U` says which (see `strips`), so that each product's code holds one.
            match (U, self.strip.out) {
                (false, Out::Int8(out, q)) => self.requantized(out, q, r0, acc),
                (true, Out::Pool(out, _, pool)) => self.pooled(out, pool, acc),
                _ => unreachable!("u8 inputs are pooled, i8 ones are not"),
            }
        }
    }

    /// Rows `r0 .. r0 + R` of the strip requantised by `q` from their accumulators and stored
    /// into `out`; a call, whose registers leave the accumulation's alone.
    ///
    /// Safety: as [`gemm`], for rows below `rows`.
    #[inline(never)]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn requantized<const R: usize>(
        &self,
        out: *mut i8,
        q: &Requantize<'_>,
        r0: usize,
        acc: &[[__m512i; V]; R],
    ) {
        let s = self.strip;
        let first = out.wrapping_add(r0 * s.out_stride + s.o0);
        // Two vectors of outputs at a time. A one-tile strip builds their requantisation here.
        for v in (0..V).step_by(2) {
            let next = (v + 1).min(V - 1);
            // Built in place: a copy of these kilobytes would cost more than building them.
            let (built_a, built_b);
            let (a, b) = match self.lanes {
                Some(lanes) => (&lanes[v], &lanes[next]),
                None => {
                    let o = s.o0 + v * W;
                    let count = |v: usize| (s.ops.outputs - s.o0).saturating_sub(v * W).min(W);
                    built_a = Lanes512::of(q, o, count(v));
                    if next > v {
                        built_b = Lanes512::of(q, o + W, count(next));
                        (&built_a, &built_b)
                    } else {
                        (&built_a, &built_a)
                    }
                }
            };
            let mask = match self.masks.get(v + 1) {
                Some(&high) => self.masks[v] as u32 | (high as u32) << 16,
                None => self.masks[v] as u32,
            };
            let at = first.wrapping_add(v * W);
            for (i, acc) in acc.iter().enumerate() {
                let ya = a.apply(acc[v]);
                let yb = if v + 1 < V { b.apply(acc[v + 1]) } else { ya };
                // Safety: the unmasked bytes are outputs below `O` of a row below `rows`
                // (checked); masked bytes are not written.
                unsafe {
                    _mm256_mask_storeu_epi8(at.wrapping_add(i * s.out_stride), mask, narrow(ya, yb))
                };
            }
        }
    }
}

impl<const V: usize, const U: bool> Tile<'_, V, U> {
    /// The next `R` rows of a pooling strip from their accumulators: each folded into its
    /// window's maximum (requantised first unless the requantisation is monotone), and each
    /// window stored, requantised, once its last row is in.
    ///
    /// Safety: as [`gemm_max_pool`], the rows following those folded before.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn pooled<const R: usize>(&self, out: *mut i8, pool: Pool, acc: &[[__m512i; V]; R]) {
        let Some(lanes) = self.lanes else {
            unreachable!("a pooling strip keeps its requantisation")
        };
        let mut window = self.window.get();
        for acc in acc {
            for (v, (best, &acc)) in window.best.iter_mut().zip(acc).enumerate() {
                let y = if pool.monotone {
                    acc
                } else {
                    lanes[v].apply(acc)
                };
                *best = _mm512_max_epi32(*best, y);
            }
            window.rows += 1;
            if window.rows == pool.window {
                // Safety: the window's output row is below `rows / window`.
                unsafe { self.store_window(out, pool, lanes, &window) };
                window.best = [_mm512_set1_epi32(i32::MIN); V];
                window.rows = 0;
                window.at += 1;
            }
        }
        self.window.set(window);
    }

    /// A window's outputs, requantised unless they are already, stored in its output row.
    ///
    /// Safety: as [`gemm_max_pool`], for an output row below `rows / window`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn store_window(&self, out: *mut i8, pool: Pool, lanes: &[Lanes512; V], w: &Window<V>) {
        let s = self.strip;
        let row = out.wrapping_add(w.at * s.out_stride + s.o0);
        if let Some(bytes) = self.background {
            let differ = (0..V).fold(0, |m, v| {
                m | _mm512_cmpneq_epi32_mask(w.best[v], self.bias[v])
            });
            if differ == 0 {
                let high = if V > 1 {
                    (self.masks[1] as u32) << 16
                } else {
                    0
                };
                let mask = self.masks[0] as u32 | high;
                // Safety: as below.
                unsafe { _mm256_mask_storeu_epi8(row, mask, bytes) };
                return;
            }
        }
        let y = |v: usize| {
            if pool.monotone {
                lanes[v].apply(w.best[v])
            } else {
                w.best[v]
            }
        };
        for v in (0..V).step_by(2) {
            let (ya, high) = (y(v), self.masks.get(v + 1));
            let yb = if high.is_some() { y(v + 1) } else { ya };
            let mask = self.masks[v] as u32 | high.map_or(0, |&m| (m as u32) << 16);
            let (at, bytes) = (row.wrapping_add(v * W), narrow(ya, yb));
            // Safety: the unmasked bytes are outputs below `O` of the window's row (checked);
            // masked bytes are not written. Whole vectors are stored without the mask, which
            // costs more on some processors.
            unsafe {
                match mask {
                    u32::MAX => _mm256_storeu_si256(at.cast(), bytes),
                    _ => _mm256_mask_storeu_epi8(at, mask, bytes),
                }
            };
        }
    }
}

/// Two vectors of sixteen `i32` in `[-128, 127]` as 32 bytes, in order: packed to `i16` and to
/// `i8` within each 128-bit lane, then the lanes' dwords gathered. (AMD runs `vpmovdb`, which
/// the compiler would fuse with the store, slowly.)
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn narrow(a: __m512i, b: __m512i) -> __m256i {
    // Lane `l` holds a[4l..4l+4] in dword 0 and b[4l..4l+4] in dword 1.
    let words = _mm512_packs_epi32(a, b);
    let bytes = _mm512_packs_epi16(words, words);
    let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);
    _mm512_castsi512_si256(_mm512_permutexvar_epi32(order, bytes))
}

/// The groups `first .. first + min(n, 64)` of `R` rows at `x` where some row's four inputs are
/// not zero (made unsigned unless `U`), one bit each from bit 0.
///
/// Safety: those groups of every row must be readable.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn nonzero<const R: usize, const U: bool>(
    x: &[*const i8; R],
    first: usize,
    n: usize,
) -> u64 {
    let zero = _mm512_set1_epi32(if U { 0 } else { FLIP });
    let mut live = 0u64;
    for part in 0..SCAN / W {
        let count = n.saturating_sub(part * W).min(W);
        let mask = ((1u32 << count) - 1) as __mmask16;
        for &x in x {
            let at = x.wrapping_add(4 * (first + part * W));
            // Safety: the unmasked lanes are groups below `first + n` of the row.
            let v = unsafe { _mm512_maskz_loadu_epi32(mask, at.cast()) };
            live |= (_mm512_mask_cmpneq_epi32_mask(mask, v, zero) as u64) << (part * W);
        }
    }
    live
}
