//! The three matrix products of a dense layer, on column-major `SMatrix` operands.
//!
//! | product | used for | shapes |
//! | --- | --- | --- |
//! | [`gemm_nn`]: `C = A·B + βC` | forward, `z = W·x` | `(M×K)·(K×N)` |
//! | [`gemm_tn`]: `C = Aᵀ·B + βC` | input gradient, `dx = Wᵀ·dz` | `(K×M)ᵀ·(K×N)` |
//! | [`gemm_nt`]: `C = A·Bᵀ + βC` | kernel gradient, `dW += dz·xᵀ` | `(M×K)·(N×K)ᵀ` |
//!
//! They are written here rather than taken from a BLAS because they must not allocate (a
//! packing buffer per call is what general GEMM libraries do) and must build without `std`.
//! Each loop nest keeps the innermost loop over contiguous memory so the compiler vectorises it;
//! the reductions of `gemm_tn` use several independent accumulators for the same reason (a
//! single running sum is a serial dependency chain the compiler may not reorder).

use nalgebra::SMatrix;

use crate::Float;

/// `C = A·B + beta·C`: each column of `C` is a sum of columns of `A` (axpy form).
#[inline]
pub fn gemm_nn<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, M, K>,
    b: &SMatrix<T, K, N>,
    beta: T,
) {
    for (mut c_col, b_col) in c.column_iter_mut().zip(b.column_iter()) {
        let c_col = c_col.as_mut_slice();
        scale(c_col, beta);
        for (a_col, &b_kj) in a.column_iter().zip(b_col.iter()) {
            axpy(c_col, b_kj, a_col.as_slice());
        }
    }
}

/// `C = Aᵀ·B + beta·C`: each entry is the dot product of a column of `A` (K×M) and of `B`.
#[inline]
pub fn gemm_tn<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, K, M>,
    b: &SMatrix<T, K, N>,
    beta: T,
) {
    for (mut c_col, b_col) in c.column_iter_mut().zip(b.column_iter()) {
        for (c_ij, a_col) in c_col.iter_mut().zip(a.column_iter()) {
            let keep = if beta == T::zero() {
                T::zero()
            } else {
                beta * *c_ij
            };
            *c_ij = keep + dot(a_col.as_slice(), b_col.as_slice());
        }
    }
}

/// `C = A·Bᵀ + beta·C`, reading `B` (N×K) transposed in place: `C[:, j] += Σₖ A[:, k]·B[j, k]`.
#[inline]
pub fn gemm_nt<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, M, K>,
    b: &SMatrix<T, N, K>,
    beta: T,
) {
    for (j, mut c_col) in c.column_iter_mut().enumerate() {
        let c_col = c_col.as_mut_slice();
        scale(c_col, beta);
        for (k, a_col) in a.column_iter().enumerate() {
            axpy(c_col, b[(j, k)], a_col.as_slice());
        }
    }
}

/// `y ← beta·y`, with `beta = 0` clearing `y` (so stale NaNs do not survive, as BLAS does).
#[inline]
fn scale<T: Float>(y: &mut [T], beta: T) {
    if beta == T::zero() {
        y.fill(T::zero());
    } else if beta != T::one() {
        y.iter_mut().for_each(|v| *v *= beta);
    }
}

/// `y ← y + alpha·x`.
#[inline]
fn axpy<T: Float>(y: &mut [T], alpha: T, x: &[T]) {
    if alpha == T::zero() {
        return; // common after ReLU and dropout: a whole column of work saved
    }
    for (y, &x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

/// `Σ xᵢ·yᵢ` with eight interleaved partial sums, which the compiler can keep in SIMD lanes.
#[inline]
fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    const LANES: usize = 8;
    let mut acc = [T::zero(); LANES];
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..LANES {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut sum = acc.iter().fold(T::zero(), |s, &a| s + a);
    for (&x, &y) in xr.iter().zip(yr) {
        sum += x * y;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn products_match_nalgebra() {
        let a = SMatrix::<f64, 3, 11>::from_fn(|i, j| (i * 11 + j) as f64 - 5.0);
        let b = SMatrix::<f64, 11, 2>::from_fn(|i, j| (i as f64) * 0.5 - j as f64);
        let mut c = SMatrix::<f64, 3, 2>::from_element(1.0);
        gemm_nn(&mut c, &a, &b, 2.0);
        assert_relative_eq!(c, a * b + SMatrix::<f64, 3, 2>::from_element(2.0));

        let at = a.transpose();
        let mut c = SMatrix::<f64, 3, 2>::from_element(f64::NAN);
        gemm_tn(&mut c, &at, &b, 0.0);
        assert_relative_eq!(c, a * b);

        let bt = b.transpose();
        let mut c = SMatrix::<f64, 3, 2>::from_element(1.0);
        gemm_nt(&mut c, &a, &bt, 1.0);
        assert_relative_eq!(c, a * b + SMatrix::<f64, 3, 2>::from_element(1.0));
    }
}
