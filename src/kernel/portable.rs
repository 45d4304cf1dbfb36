//! The portable kernel: the same blocking as the SIMD one, on plain scalars; the compiler
//! vectorises what the default target allows. Used for `f64`, off x86-64, and on x86-64
//! processors without AVX2 and FMA.

use crate::Float;

/// Rows of `C` per block.
const MR: usize = 8;
/// Columns of `C` per block.
const NR: usize = 4;

/// `C = A·B + beta·C`; the caller has checked the bounds.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm<T: Float>(
    (m, k, n): (usize, usize, usize),
    a: &[T],
    lda: usize,
    b: &[T],
    (rsb, csb): (usize, usize),
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    for j0 in (0..n).step_by(NR) {
        let nr = NR.min(n - j0);
        for i0 in (0..m).step_by(MR) {
            let mr = MR.min(m - i0);
            let mut acc = [[T::zero(); MR]; NR];
            for p in 0..k {
                let col = &a[i0 + p * lda..][..mr];
                for (j, acc) in acc.iter_mut().enumerate().take(nr) {
                    let bv = b[p * rsb + (j0 + j) * csb];
                    for (acc, &av) in acc.iter_mut().zip(col) {
                        *acc += av * bv;
                    }
                }
            }
            for (j, acc) in acc.iter().enumerate().take(nr) {
                let out = &mut c[i0 + (j0 + j) * ldc..][..mr];
                for (c, &acc) in out.iter_mut().zip(acc) {
                    // β = 0 overwrites, so whatever C held (even NaN) is not read.
                    *c = if beta == T::zero() {
                        acc
                    } else {
                        acc + beta * *c
                    };
                }
            }
        }
    }
}
