//! The `f32` kernel for x86-64 with AVX2 and FMA.
//!
//! `C` is computed in tiles of `8·MV` rows by `NR` columns held in `MV·NR` registers: for each
//! `p`, `MV` vectors of column `p` of `A` are loaded and multiplied by `NR` broadcast scalars
//! `B[p, j]`, `MV·NR` fused multiply-adds per `MV + NR` loads. The main tile is 16×6 (12
//! accumulators of the 16 registers), as in BLIS' Haswell kernel; narrow tiles (fewer than
//! three columns left, e.g. batch 1) are taller so that enough independent accumulators hide
//! the FMA latency. Rows past the last multiple of 8 use masked loads and stores, which never
//! touch memory outside the mask.

use core::arch::x86_64::*;

/// `f32` lanes per register.
const W: usize = 8;

/// Whether this processor (and its operating system) runs AVX2 and FMA, detected once at run
/// time with CPUID, with or without `std`: a `no_std` build then computes exactly what the std
/// build computes on the same machine, bit for bit.
#[inline]
pub(super) fn available() -> bool {
    level() >= AVX2_FMA
}

/// Whether this processor (and its operating system) also runs AVX-512F; detected as
/// [`available`] is.
#[inline]
pub(super) fn avx512() -> bool {
    level() >= AVX512F
}

/// Whether this processor (and its operating system) also runs AVX-512DQ, whose 64-bit
/// multiplication (`vpmullq`) makes dropout's random numbers; detected as [`available`] is.
#[inline]
pub(super) fn avx512dq() -> bool {
    level() >= AVX512DQ
}

/// Detection levels: nothing usable, AVX2 and FMA, AVX-512F on top, and AVX-512DQ on top of
/// that.
const NONE: u8 = 1;
const AVX2_FMA: u8 = 2;
const AVX512F: u8 = 3;
const AVX512DQ: u8 = 4;

/// The detected level, cached (0 until the first call).
#[inline]
fn level() -> u8 {
    use core::sync::atomic::{AtomicU8, Ordering};
    static DETECTED: AtomicU8 = AtomicU8::new(0);
    match DETECTED.load(Ordering::Relaxed) {
        0 => {
            let level = detect();
            DETECTED.store(level, Ordering::Relaxed);
            level
        }
        level => level,
    }
}

/// CPUID leaf 1 for FMA, AVX and OSXSAVE, XGETBV for the operating system saving the YMM
/// (and ZMM) registers, and leaf 7 for AVX2, AVX-512F and AVX-512DQ: what
/// `std::is_x86_feature_detected!` checks for these.
#[allow(unused_unsafe)]
fn detect() -> u8 {
    const FMA: u32 = 1 << 12;
    const OSXSAVE: u32 = 1 << 27;
    const AVX: u32 = 1 << 28;
    const AVX2: u32 = 1 << 5;
    const AVX512F: u32 = 1 << 16;
    const AVX512DQ: u32 = 1 << 17;
    // Safety: CPUID exists on every x86-64 processor.
    let leaf1 = unsafe { __cpuid(1) };
    if leaf1.ecx & (FMA | OSXSAVE | AVX) != FMA | OSXSAVE | AVX {
        return NONE;
    }
    // Safety: OSXSAVE is set, so XGETBV is available and the OS manages the extended state.
    let xcr0 = unsafe { xgetbv0() };
    if xcr0 & 0b110 != 0b110 {
        return NONE; // the OS does not save the XMM and YMM registers
    }
    // Safety: as above; leaf 7 exists when leaf 0 reports it.
    let max_leaf = unsafe { __cpuid(0) }.eax;
    if max_leaf < 7 {
        return NONE;
    }
    // Safety: leaf 7 exists (just checked).
    let leaf7 = unsafe { __cpuid_count(7, 0) }.ebx;
    if leaf7 & AVX2 == 0 {
        return NONE;
    }
    // Bits 5-7 of XCR0: the OS saves the opmask registers and all 32 ZMM registers.
    if leaf7 & AVX512F != 0 && xcr0 & 0b1110_0000 == 0b1110_0000 {
        if leaf7 & AVX512DQ != 0 {
            return self::AVX512DQ;
        }
        return self::AVX512F;
    }
    AVX2_FMA
}

/// XCR0, the extended features the operating system saves on a context switch.
///
/// # Safety
/// The processor must support XGETBV (CPUID.1:ECX.OSXSAVE).
#[target_feature(enable = "xsave")]
unsafe fn xgetbv0() -> u64 {
    // Safety: the caller guarantees XGETBV exists; register 0 (XCR0) always does then.
    unsafe { _xgetbv(0) }
}

/// Where the operands are: `A[i, p] = a[i + p·lda]`, `B[p, j] = b[p·rsb + j·csb]`,
/// `C[i, j] = c[i + j·ldc]`.
#[derive(Clone, Copy)]
pub(super) struct Operands {
    pub(super) a: *const f32,
    pub(super) lda: usize,
    pub(super) b: *const f32,
    pub(super) rsb: usize,
    pub(super) csb: usize,
    pub(super) beta: f32,
    pub(super) c: *mut f32,
    pub(super) ldc: usize,
    /// Continue each element's chain of multiply-adds from the value `C` holds (`beta` is
    /// then ignored): a product over the first rows of `B` followed by one over the rest with
    /// `resume` computes bit for bit the product over all of them.
    pub(super) resume: bool,
}

impl Operands {
    /// The same operands from row `i` and column `j` of `C` on.
    ///
    /// Safe for any `i` and `j`: the offsets wrap rather than assume they stay inside an
    /// allocation, because an empty operand (`k = 0`: `A` and `B` hold nothing; `m = 0`:
    /// neither do `A` and `C`) may have any leading dimension, and moving its dangling
    /// pointer by that would be undefined behaviour. Only the accesses of the kernels, which
    /// stay inside the product, need the operands' bounds.
    #[inline(always)]
    pub(super) fn at(self, i: usize, j: usize) -> Self {
        Operands {
            a: self.a.wrapping_add(i),
            b: self.b.wrapping_add(j.wrapping_mul(self.csb)),
            c: self
                .c
                .wrapping_add(i.wrapping_add(j.wrapping_mul(self.ldc))),
            ..self
        }
    }
}

/// `C = A·B + beta·C` for an `m×k` by `k×n` product.
///
/// # Safety
/// The processor must have AVX2 and FMA, every element of the three operands must lie in a live
/// allocation, and `C` must overlap neither `A` nor `B`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn gemm(m: usize, k: usize, n: usize, ops: Operands) {
    let mut j = 0;
    while j < n {
        let nr = (n - j).min(6);
        // Safety: `j < n`, and each strip covers columns `j .. j + nr` only.
        unsafe {
            let ops = ops.at(0, j);
            match nr {
                6 => strip::<2, 6>(m, k, ops),
                5 => strip::<2, 5>(m, k, ops),
                4 => strip::<2, 4>(m, k, ops),
                3 => strip::<4, 3>(m, k, ops),
                2 => strip::<4, 2>(m, k, ops),
                _ => strip::<8, 1>(m, k, ops),
            }
        }
        j += nr;
    }
}

/// All `m` rows of `NR` columns: tiles of `8·MV` rows, then of 8, then a masked one.
///
/// Safety: as [`gemm`], for the `NR` columns `ops` starts at.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn strip<const MV: usize, const NR: usize>(m: usize, k: usize, ops: Operands) {
    let mut i = 0;
    // Safety (all three loops): each tile's rows `i .. i + rows` lie below `m`.
    unsafe {
        while i + MV * W <= m {
            tile::<MV, NR, false>(k, ops.at(i, 0), W);
            i += MV * W;
        }
        while i + W <= m {
            tile::<1, NR, false>(k, ops.at(i, 0), W);
            i += W;
        }
        if i < m {
            tile::<1, NR, true>(k, ops.at(i, 0), m - i);
        }
    }
}

/// A mask whose first `rows` lanes are set.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn mask(rows: usize) -> __m256i {
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_cmpgt_epi32(_mm256_set1_epi32(rows as i32), lanes)
}

/// One `8·MV × NR` tile of `C`; with `MASKED`, only the first `last_rows` rows of the last
/// register of rows exist.
///
/// Safety: as [`gemm`], for the tile `ops` starts at.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile<const MV: usize, const NR: usize, const MASKED: bool>(
    k: usize,
    ops: Operands,
    last_rows: usize,
) {
    let mask = mask(last_rows);
    // Safety: every load and store below is of an element of this tile, of column `p < k` of
    // A's rows, or of `B[p, j]` for `p < k` and `j < NR`; masked lanes are not accessed.
    unsafe {
        let load = |p: *const f32, v: usize| {
            if MASKED && v + 1 == MV {
                _mm256_maskload_ps(p, mask)
            } else {
                _mm256_loadu_ps(p)
            }
        };
        let mut acc = [[_mm256_setzero_ps(); MV]; NR];
        if ops.resume {
            for (j, acc) in acc.iter_mut().enumerate() {
                let out = ops.c.add(j * ops.ldc);
                for (v, acc) in acc.iter_mut().enumerate() {
                    *acc = load(out.add(v * W), v);
                }
            }
        }
        for p in 0..k {
            let col = ops.a.add(p * ops.lda);
            let mut a = [_mm256_setzero_ps(); MV];
            for (v, a) in a.iter_mut().enumerate() {
                *a = load(col.add(v * W), v);
            }
            let row = ops.b.add(p * ops.rsb);
            for (j, acc) in acc.iter_mut().enumerate() {
                let b = _mm256_broadcast_ss(&*row.add(j * ops.csb));
                for (acc, &a) in acc.iter_mut().zip(&a) {
                    *acc = _mm256_fmadd_ps(a, b, *acc);
                }
            }
        }
        let beta = _mm256_set1_ps(ops.beta);
        for (j, acc) in acc.iter().enumerate() {
            let out = ops.c.add(j * ops.ldc);
            for (v, &acc) in acc.iter().enumerate() {
                let out = out.add(v * W);
                // β = 0 overwrites, so whatever C held (even NaN) is not read.
                let r = if ops.resume || ops.beta == 0.0 {
                    acc
                } else {
                    _mm256_fmadd_ps(beta, load(out, v), acc)
                };
                if MASKED && v + 1 == MV {
                    _mm256_maskstore_ps(out, mask, r);
                } else {
                    _mm256_storeu_ps(out, r);
                }
            }
        }
    }
}
