//! The three matrix products of a dense layer, on column-major `SMatrix` operands.
//!
//! | product | used for | shapes |
//! | --- | --- | --- |
//! | [`gemm_nn`]: `C = A·B + βC` | forward, `z = W·x` | `(M×K)·(K×N)` |
//! | [`gemm_tn`]: `C = Aᵀ·B + βC` | input gradient, `dx = Wᵀ·dz` | `(K×M)ᵀ·(K×N)` |
//! | [`gemm_nt`]: `C = A·Bᵀ + βC` | kernel gradient, `dW += dz·xᵀ` | `(M×K)·(N×K)ᵀ` |
//!
//! The shapes are in the types, so every operand fits its slice by construction (the kernel
//! checks once per call anyway); a transposed `B` is only a swap of strides, never a copy. The
//! kernel reads `A` column by column in place, so for [`gemm_tn`] the transposed `A` is copied,
//! a block at a time, into a buffer on the stack: that product only computes input gradients,
//! and the network skips it for its first dense layer, the only large one in small networks.
//!
//! These wrappers are generic over the sizes but only forward them, as numbers, to one kernel
//! per scalar type: each layer size instantiates a few lines, not a kernel.

use nalgebra::{SMatrix, SVector};

use crate::Float;

/// `C = A·B + beta·C`.
#[inline]
pub fn gemm_nn<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, M, K>,
    b: &SMatrix<T, K, N>,
    beta: T,
) {
    let (a, b) = (a.as_slice(), b.as_slice());
    T::gemm((M, K, N), a, M, b, (1, K), beta, c.as_mut_slice(), M);
}

/// The scalars in the transposed-`A` buffer of [`gemm_tn`] on the stack (4 KiB of `f32`, 8 KiB
/// of `f64`), kept small for embedded stacks (the product only computes input gradients, never the largest).
const PACK: usize = 1024;

/// `C = Aᵀ·B + beta·C`, reading `A` (K×M) transposed.
#[inline]
pub fn gemm_tn<T: Float, const M: usize, const K: usize, const N: usize>(
    c: &mut SMatrix<T, M, N>,
    a: &SMatrix<T, K, M>,
    b: &SMatrix<T, K, N>,
    beta: T,
) {
    tn(
        (M, K, N),
        a.as_slice(),
        b.as_slice(),
        beta,
        c.as_mut_slice(),
    );
}

/// [`gemm_tn`] on slices (`C` is `m×n` with leading dimension `m`): blocks of `mc` rows of `C` by `kc` of the inner dimension, each
/// block of `Aᵀ` copied to the stack column-major, so the kernel reads it in place.
pub(crate) fn tn<T: Float>(
    (m, k, n): (usize, usize, usize),
    a: &[T],
    b: &[T],
    beta: T,
    c: &mut [T],
) {
    let mut pack = [T::zero(); PACK];
    let kc = k.clamp(1, 256);
    let mc = (PACK / kc).min(m.max(1));
    if k == 0 {
        // No block of A to pack: `C = beta·C`.
        return T::gemm((m, 0, n), &[], m, &[], (1, 1), beta, c, m);
    }
    for p0 in (0..k).step_by(kc) {
        let kb = kc.min(k - p0);
        let beta = if p0 == 0 { beta } else { T::one() };
        for i0 in (0..m).step_by(mc) {
            let mb = mc.min(m - i0);
            // pack[i + p·mb] = Aᵀ[i0 + i, p0 + p] = A[p0 + p, i0 + i] = a[p0 + p + (i0 + i)·k]
            for (i, column_of_a) in a[i0 * k..].chunks(k).take(mb).enumerate() {
                for (p, &v) in column_of_a[p0..p0 + kb].iter().enumerate() {
                    pack[i + p * mb] = v;
                }
            }
            let b_block = &b[p0..];
            let c_block = &mut c[i0..];
            T::gemm((mb, kb, n), &pack, mb, b_block, (1, k), beta, c_block, m);
        }
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
    // Bᵀ[p, j] = B[j, p] at j + p·N: row stride N, column stride 1.
    let (a, b) = (a.as_slice(), b.as_slice());
    T::gemm((M, K, N), a, M, b, (N, 1), beta, c.as_mut_slice(), M);
}

/// A dense layer's two backward products from `δ = ∂L/∂z` (`O×B`) and its input `x` (`I×B`):
/// `∂L/∂W = δ·xᵀ + β·∂L/∂W` and `∂L/∂b = Σⱼ δⱼ + β·∂L/∂b` into `grad`, and `∂L/∂x = Wᵀ·δ` into
/// `dx` if given (`β` is 1 to add to the gradient, 0 to overwrite it without reading it).
///
/// The two are independent: with `parallel`, when the thread policy says so (`concurrent`), they
/// run at the same time on two threads.
#[allow(clippy::type_complexity)]
pub fn dense_gradients<T: Float, const I: usize, const O: usize, const B: usize>(
    grad: (&mut SMatrix<T, O, I>, &mut SVector<T, O>),
    dx: Option<&mut SMatrix<T, I, B>>,
    w: &SMatrix<T, O, I>,
    (delta, x): (&SMatrix<T, O, B>, &SMatrix<T, I, B>),
    beta: T,
) {
    let parameters = |(kernel, bias): (&mut SMatrix<T, O, I>, &mut SVector<T, O>)| {
        gemm_nt(kernel, delta, x, beta);
        if beta == T::zero() {
            bias.fill(T::zero());
        }
        for col in delta.column_iter() {
            *bias += col;
        }
    };
    let input = |dx: &mut SMatrix<T, I, B>| gemm_tn(dx, w, delta, T::zero());
    match dx {
        #[cfg(feature = "parallel")]
        Some(dx) if crate::parallel::concurrent(I.saturating_mul(O).saturating_mul(B), (O, B)) => {
            crate::parallel::both(grad, dx, parameters, input)
        }
        Some(dx) => {
            parameters(grad);
            input(dx)
        }
        None => parameters(grad),
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

    #[test]
    fn transposed_products_in_several_blocks_match_nalgebra() {
        // K = 300 > 256 and M·256 > 4096: several blocks of both dimensions, with a remainder.
        let a = SMatrix::<f64, 300, 37>::from_fn(|i, j| ((i * 37 + j) % 17) as f64 - 8.0);
        let b = SMatrix::<f64, 300, 5>::from_fn(|i, j| ((i + 3 * j) % 7) as f64 * 0.25);
        let mut c = SMatrix::<f64, 37, 5>::from_element(2.0);
        gemm_tn(&mut c, &a, &b, 1.0);
        assert_relative_eq!(
            c,
            a.transpose() * b + SMatrix::<f64, 37, 5>::from_element(2.0)
        );
        let af = a.map(|v| v as f32);
        let bf = b.map(|v| v as f32);
        let mut cf = SMatrix::<f32, 37, 5>::from_element(f32::NAN);
        gemm_tn(&mut cf, &af, &bf, 0.0);
        assert_relative_eq!(cf, af.transpose() * bf, max_relative = 1e-5);
    }
}
