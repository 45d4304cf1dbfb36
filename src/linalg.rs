//! The three matrix products of a dense layer, on column-major `SMatrix` operands.
//!
//! | product | used for | shapes |
//! | --- | --- | --- |
//! | [`gemm_nn`]: `C = A·B + βC` | forward, `z = W·x` | `(M×K)·(K×N)` |
//! | [`gemm_tn`]: `C = Aᵀ·B + βC` | input gradient, `dx = Wᵀ·dz` | `(K×M)ᵀ·(K×N)` |
//! | [`gemm_nt`]: `C = A·Bᵀ + βC` | kernel gradient, `dW += dz·xᵀ` | `(M×K)·(N×K)ᵀ` |
//!
//! The shapes are in the types, so the strides handed to `matrixmultiply` are in bounds by
//! construction; a transpose is only a swap of strides, never a copy.

use nalgebra::SMatrix;

use crate::Float;

/// Row and column strides of a column-major `R×C` matrix.
const fn strides(rows: usize) -> (isize, isize) {
    (1, rows as isize)
}

/// `C = A·B + beta·C`.
#[inline]
pub fn gemm_nn<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, M, K>,
    b: &SMatrix<T, K, N>,
    beta: T,
) {
    let (rsa, csa) = strides(M);
    let (rsb, csb) = strides(K);
    let (rsc, csc) = strides(M);
    // Safety: A is M×K, B is K×N, C is M×N, all column-major and fully owned by their `SMatrix`
    // (the types guarantee the sizes); `c` is a unique borrow, so it overlaps neither input.
    unsafe {
        T::gemm_raw(
            M,
            K,
            N,
            T::one(),
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            rsc,
            csc,
        )
    }
}

/// `C = Aᵀ·B + beta·C`, reading `A` (K×M) transposed in place.
#[inline]
pub fn gemm_tn<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, K, M>,
    b: &SMatrix<T, K, N>,
    beta: T,
) {
    // Aᵀ[i, j] = A[j, i] at j + i·K: row stride K, column stride 1.
    let (rsb, csb) = strides(K);
    let (rsc, csc) = strides(M);
    // Safety: as in `gemm_nn`; the transposed view of the K×M matrix A visits exactly its K·M
    // elements.
    unsafe {
        T::gemm_raw(
            M,
            K,
            N,
            T::one(),
            a.as_ptr(),
            K as isize,
            1,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            rsc,
            csc,
        )
    }
}

/// `C = A·Bᵀ + beta·C`, reading `B` (N×K) transposed in place.
#[inline]
pub fn gemm_nt<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, M, K>,
    b: &SMatrix<T, N, K>,
    beta: T,
) {
    let (rsa, csa) = strides(M);
    let (rsc, csc) = strides(M);
    // Safety: as in `gemm_nn`; Bᵀ[i, j] = B[j, i] at j + i·N visits exactly B's N·K elements.
    unsafe {
        T::gemm_raw(
            M,
            K,
            N,
            T::one(),
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            N as isize,
            1,
            beta,
            c.as_mut_ptr(),
            rsc,
            csc,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn products_match_nalgebra() {
        let a = SMatrix::<f64, 3, 4>::from_fn(|i, j| (i * 4 + j) as f64 - 5.0);
        let b = SMatrix::<f64, 4, 2>::from_fn(|i, j| (i as f64) * 0.5 - j as f64);
        let mut c = SMatrix::<f64, 3, 2>::from_element(1.0);
        gemm_nn(&mut c, &a, &b, 2.0);
        assert_relative_eq!(c, a * b + SMatrix::<f64, 3, 2>::from_element(2.0));

        let at = a.transpose();
        let mut c = SMatrix::<f64, 3, 2>::zeros();
        gemm_tn(&mut c, &at, &b, 0.0);
        assert_relative_eq!(c, a * b);

        let bt = b.transpose();
        let mut c = SMatrix::<f64, 3, 2>::zeros();
        gemm_nt(&mut c, &a, &bt, 0.0);
        assert_relative_eq!(c, a * b);
    }
}
