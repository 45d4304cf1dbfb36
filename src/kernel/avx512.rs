//! The `f32` kernel for x86-64 with AVX-512F: the AVX2 kernel's scheme (see `x86.rs`) with 16
//! lanes and 32 registers, so the main tile is 32×12 (24 accumulators), and rows past the last
//! multiple of 16 use one masked register instead of a masked and an 8-row tile.
//!
//! Every element of `C` is the same chain of fused multiply-adds over `p` in the same order as
//! in the AVX2 kernel, so both compute bit for bit the same product.

use core::arch::x86_64::*;

use super::x86::Operands;

/// `f32` lanes per register.
const W: usize = 16;

/// `C = A·B + beta·C` for an `m×k` by `k×n` product.
///
/// # Safety
/// The processor must have AVX-512F (with the operating system saving its registers), every
/// element of the three operands must lie in a live allocation, and `C` must overlap neither
/// `A` nor `B`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn gemm(m: usize, k: usize, n: usize, ops: Operands) {
    let mut j = 0;
    while j < n {
        // 12 columns at a time, then the remainder as 8, 4, 2 and 1: few tile shapes to compile.
        let nr = match n - j {
            12.. => 12,
            8.. => 8,
            4.. => 4,
            2.. => 2,
            _ => 1,
        };
        // Safety: `j < n`, and each strip covers columns `j .. j + nr` only.
        unsafe {
            let ops = ops.at(0, j);
            match nr {
                12 => strip::<2, 12>(m, k, ops),
                8 => strip::<2, 8>(m, k, ops),
                4 => strip::<4, 4>(m, k, ops),
                2 => strip::<4, 2>(m, k, ops),
                // A single column of 64 to 127 rows (a batch-1 convolution's last tile of 64
                // filters): four registers of rows at a time, so four independent chains.
                _ if m < 8 * W => strip::<4, 1>(m, k, ops),
                _ => strip::<8, 1>(m, k, ops),
            }
        }
        j += nr;
    }
}

/// All `m` rows of `NR` columns: tiles of `16·MV` rows, then of 16, then a masked one.
///
/// Safety: as [`gemm`], for the `NR` columns `ops` starts at.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn strip<const MV: usize, const NR: usize>(m: usize, k: usize, ops: Operands) {
    let mut i = 0;
    // Safety (all three loops): each tile's rows `i .. i + rows` lie below `m`.
    unsafe {
        while i + MV * W <= m {
            tile::<MV, NR>(k, ops.at(i, 0), !0);
            i += MV * W;
        }
        while i + W <= m {
            tile::<1, NR>(k, ops.at(i, 0), !0);
            i += W;
        }
        if i < m {
            tile::<1, NR>(k, ops.at(i, 0), (1u16 << (m - i)) - 1);
        }
    }
}

/// One `16·MV × NR` tile of `C`; only the lanes of `mask` exist in its last register of rows.
///
/// Safety: as [`gemm`], for the tile `ops` starts at.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn tile<const MV: usize, const NR: usize>(k: usize, ops: Operands, mask: __mmask16) {
    let mask_of = |v: usize| if v + 1 == MV { mask } else { !0 };
    // Safety: every load and store below is of an element of this tile, of column `p < k` of
    // A's rows, or of `B[p, j]` for `p < k` and `j < NR`; masked lanes are not accessed.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); MV]; NR];
        if ops.resume {
            for (j, acc) in acc.iter_mut().enumerate() {
                let out = ops.c.add(j * ops.ldc);
                for (v, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm512_maskz_loadu_ps(mask_of(v), out.add(v * W));
                }
            }
        }
        for p in 0..k {
            let col = ops.a.add(p * ops.lda);
            let mut a = [_mm512_setzero_ps(); MV];
            for (v, a) in a.iter_mut().enumerate() {
                *a = _mm512_maskz_loadu_ps(mask_of(v), col.add(v * W));
            }
            let row = ops.b.add(p * ops.rsb);
            for (j, acc) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*row.add(j * ops.csb));
                for (acc, &a) in acc.iter_mut().zip(&a) {
                    *acc = _mm512_fmadd_ps(a, b, *acc);
                }
            }
        }
        let beta = _mm512_set1_ps(ops.beta);
        for (j, acc) in acc.iter().enumerate() {
            let out = ops.c.add(j * ops.ldc);
            for (v, &acc) in acc.iter().enumerate() {
                let out = out.add(v * W);
                // β = 0 overwrites, so whatever C held (even NaN) is not read.
                let r = if ops.resume || ops.beta == 0.0 {
                    acc
                } else {
                    _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask_of(v), out), acc)
                };
                _mm512_mask_storeu_ps(out, mask_of(v), r);
            }
        }
    }
}
