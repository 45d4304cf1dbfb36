//! The int8 product with AVX-512 VNNI: `vpdpbusd` adds to each `i32` lane the four products of
//! its bytes, one operand unsigned and one signed, without saturating.
//!
//! A vector of one group holds sixteen outputs' four weights; the row's four inputs of that
//! group are broadcast to every lane. Unsigned inputs (a convolution's patches) are multiplied
//! as they are. Signed ones need the weights made unsigned by flipping their sign bits
//! (`w ⊕ 0x80 = w + 128`), so the instruction sums `(w + 128)·x`, and the accumulator starts
//! from `bias - 128·Σ_k x[k]` (the row's sum, once per tile): the result is `bias + Σ w·x`
//! exactly, modulo `2^32` as every body computes it.
//!
//! Tiles are `R` rows by `V` vectors of outputs (`R·V` accumulators of the 32 registers): 8 rows
//! by 32 outputs, or for one or two rows (a batch of one) up to 128 outputs, so that enough
//! independent accumulators hide the instruction's latency; one row of at most 32 outputs
//! splits its groups between four sets of accumulators instead. The requantised lanes are
//! narrowed to bytes with packs. A pooled product folds each tile's rows into its windows'
//! maxima and stores a window once its last row is in. Outputs past `O` are masked in the
//! weights' loads and the stores, which never touch memory outside the mask.

use core::arch::x86_64::*;

use core::cell::Cell;

use super::requantize::Lanes512;
use super::{Operands, Pool, Requantize};

/// Outputs per vector.
const W: usize = 16;

/// Rows of the main tile.
const ROWS: usize = 8;

/// Independent sets of accumulators of a one-row product of at most 32 outputs.
const CHAINS: usize = 4;

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

/// The product of `ops` (unsigned inputs) requantised by `q` and max-pooled by `pool` into
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

/// The product of `ops` into `out`, strip by strip of outputs: unsigned inputs pooled if `U`,
/// else signed inputs requantised.
///
/// Safety: as [`gemm`], with `out` rows of `out_stride` as checked.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn strips<const U: bool>(ops: &Operands<'_>, out: Out<'_>, out_stride: usize) {
    // Unsigned inputs are a convolution's patches, many rows: tall tiles alone, so that their
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
    /// Every row of `V` vectors of outputs: tiles of 8 rows, then one of the rest.
    ///
    /// Safety: as [`gemm`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn tall<const V: usize, const U: bool>(&self) {
        let rows = self.ops.rows;
        self.with_tile::<V, U>(rows > ROWS, |tile| {
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
                    3 => tile.run::<3>(r),
                    4 => tile.run::<4>(r),
                    5 => tile.run::<5>(r),
                    6 => tile.run::<6>(r),
                    _ => tile.run::<7>(r),
                }
            }
        })
    }

    /// The one or two rows of a product of fewer than three, `V` vectors of outputs at once.
    ///
    /// Safety: as [`gemm`], with `rows` 1 or 2.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn wide<const V: usize, const U: bool>(&self) {
        let rows = self.ops.rows;
        // Safety: the rows `0 .. rows` exist.
        self.with_tile::<V, U>(false, |tile| unsafe {
            match rows {
                // One or two vectors of one row: too few chains of `vpdpbusd` without more.
                1 if V <= 2 => tile.run_chains(),
                1 => tile.run::<1>(0),
                _ => tile.run::<2>(0),
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
        f(&Tile {
            strip: self,
            lanes,
            bias: &bias,
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
/// pools, requantisation; the window a pooling strip is in. Its inputs are unsigned if `U`.
struct Tile<'a, const V: usize, const U: bool> {
    strip: &'a Strip<'a>,
    lanes: Option<&'a [Lanes512; V]>,
    bias: &'a [__m512i; V],
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
    /// The `V` vectors of weights of group `g`, made unsigned (`w + 128`) unless the inputs
    /// are.
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
            let loaded = unsafe { _mm512_maskz_loadu_epi32(mask, first.wrapping_add(v * W)) };
            *w = if U {
                loaded
            } else {
                _mm512_xor_si512(loaded, _mm512_set1_epi8(-128))
            };
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
        let x: [*const i8; R] =
            core::array::from_fn(|i| ops.x.as_ptr().wrapping_add(ops.start(r0 + i)));
        // The last group's inputs first, while no vector is live: it is scalar code. (None if
        // `K` is whole groups, as a convolution's patches are.)
        let partial = !ops.k.is_multiple_of(4);
        let last: [i32; R] = core::array::from_fn(|i| match partial {
            true => ops.last_group(r0 + i),
            false => 0,
        });
        let mut start = [0i32; R];
        for (start, &x) in start.iter_mut().zip(&x).filter(|_| !U) {
            // Safety: the row has `k` values in `x` (checked).
            *start = unsafe { row_sum(x, ops.k) }.wrapping_mul(-128);
        }
        let mut acc = [[_mm512_setzero_si512(); V]; R];
        for (acc, &start) in acc.iter_mut().zip(&start) {
            for (acc, &bias) in acc.iter_mut().zip(self.bias) {
                *acc = _mm512_add_epi32(bias, _mm512_set1_epi32(start));
            }
        }
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
                    let x = _mm512_set1_epi32(x);
                    for (acc, &w) in acc.iter_mut().zip(&w) {
                        *acc = dot::<U>(*acc, w, x);
                    }
                }
            }
        }
        if !ops.k.is_multiple_of(4) {
            // Safety: the last group is below `G`.
            let w = unsafe { self.weights(ops.whole_groups()) };
            for (acc, &x) in acc.iter_mut().zip(&last) {
                let x = _mm512_set1_epi32(x);
                for (acc, &w) in acc.iter_mut().zip(&w) {
                    *acc = dot::<U>(*acc, w, x);
                }
            }
        }
        // A copy, so that only the copy's address is taken and the accumulators above stay in
        // registers.
        let done = acc;
        // Safety: the rows lie below `rows`.
        unsafe { self.finish(r0, &done) }
    }

    /// The strip of a product of one row, its groups split between [`CHAINS`] sets of
    /// accumulators (group `g` into set `g % CHAINS`), summed at the end: the same sum modulo
    /// `2^32`, in independent chains.
    ///
    /// Safety: as [`gemm`], with one row.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn run_chains(&self) {
        let ops = self.strip.ops;
        let x = ops.x.as_ptr();
        let last = ops.last_group(0);
        // Safety: the row has `k` values in `x` (checked).
        let sum = if U { 0 } else { unsafe { row_sum(x, ops.k) } };
        let start = _mm512_set1_epi32(sum.wrapping_mul(-128));
        let mut acc = [[_mm512_setzero_si512(); V]; CHAINS];
        for (acc, &bias) in acc[0].iter_mut().zip(self.bias) {
            *acc = _mm512_add_epi32(bias, start);
        }
        let whole = ops.whole_groups();
        let mut g = 0;
        while g < whole {
            for acc in acc.iter_mut().take(whole - g) {
                // Safety: `g < G`, and the group's four inputs lie below `k`.
                let (w, x) =
                    unsafe { (self.weights(g), x.add(4 * g).cast::<i32>().read_unaligned()) };
                let x = _mm512_set1_epi32(x);
                for (acc, &w) in acc.iter_mut().zip(&w) {
                    *acc = dot::<U>(*acc, w, x);
                }
                g += 1;
            }
        }
        if !ops.k.is_multiple_of(4) {
            // Safety: the last group is below `G`.
            let w = unsafe { self.weights(whole) };
            for (acc, &w) in acc[0].iter_mut().zip(&w) {
                *acc = dot::<U>(*acc, w, _mm512_set1_epi32(last));
            }
        }
        let mut done = [acc[0]];
        for chain in &acc[1..] {
            for (sum, &acc) in done[0].iter_mut().zip(chain) {
                *sum = _mm512_add_epi32(*sum, acc);
            }
        }
        // Safety: row 0 exists.
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
                _ => unreachable!("unsigned inputs are pooled, signed ones are not"),
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

/// `acc` plus the four products per lane of `w` and `x`, signed weights times unsigned inputs
/// if `U`, else unsigned (flipped) weights times signed inputs.
#[inline]
#[target_feature(enable = "avx512f,avx512vnni")]
fn dot<const U: bool>(acc: __m512i, w: __m512i, x: __m512i) -> __m512i {
    if U {
        _mm512_dpbusd_epi32(acc, x, w)
    } else {
        _mm512_dpbusd_epi32(acc, w, x)
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

/// `Σ_{k<len} x[k]`, from 64 bytes at a time: each byte made unsigned (`x + 128`) and summed
/// by `vpsadbw`; the bytes past `len` load as zeros, which count as inputs of zero.
///
/// Safety: `x .. x + len` must be readable.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn row_sum(x: *const i8, len: usize) -> i32 {
    if len <= 16 {
        // A short row (a convolution's patch) in the scalar units, beside the vector work.
        // Safety: `x .. x + len` is readable.
        let row = unsafe { core::slice::from_raw_parts(x, len) };
        return row.iter().map(|&v| v as i32).sum();
    }
    let flip = _mm512_set1_epi8(-128);
    let mut total = _mm512_setzero_si512();
    let chunks = len.div_ceil(64);
    for c in 0..chunks {
        let n = (len - 64 * c).min(64);
        let mask = if n == 64 { !0 } else { (1u64 << n) - 1 };
        // Safety: the unmasked bytes lie below `len`; masked ones are not read.
        let v = unsafe { _mm512_maskz_loadu_epi8(mask, x.add(64 * c)) };
        total = _mm512_add_epi64(
            total,
            _mm512_sad_epu8(_mm512_xor_si512(v, flip), _mm512_setzero_si512()),
        );
    }
    (_mm512_reduce_add_epi64(total) - 128 * 64 * chunks as i64) as i32
}
