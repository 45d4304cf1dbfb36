//! The scalar type of a network: `f32` (the default) or `f64`.
//!
//! [`Float`] is nalgebra's [`RealField`] plus the few things liandan needs that it lacks:
//! conversion from `f64` literals, `erf` for the exact GELU, and the matrix product, which is
//! dispatched to `matrixmultiply`'s `sgemm`/`dgemm` (SIMD chosen at run time with `std`).

use nalgebra::RealField;

use crate::zeroed::Zeroed;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point scalar liandan can compute with: implemented for `f32` and `f64` only.
///
/// Arithmetic and the elementary functions (`exp`, `tanh`, `sqrt`, ...) come from nalgebra's
/// [`RealField`]; see its documentation for the full list.
pub trait Float:
    RealField + Copy + Default + Zeroed + Send + Sync + core::fmt::Display + sealed::Sealed + 'static
{
    /// The value nearest to `x`.
    fn of(x: f64) -> Self;
    /// This value widened (or kept) as `f64`.
    fn to_f64(self) -> f64;
    /// The error function, `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`.
    fn erf(self) -> Self;
    /// Whether this value is neither infinite nor NaN.
    fn finite(self) -> bool;

    /// `C = alpha·A·B + beta·C` on strided `m×k` and `k×n` operands.
    ///
    /// # Safety
    /// Every element `A[i,j]` at `a + i·rsa + j·csa` (and likewise for `B`, `C`) must lie inside
    /// one live allocation, and `C` must not overlap `A` or `B`.
    #[allow(clippy::too_many_arguments)]
    #[doc(hidden)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! impl_float {
    ($t:ty, $erf:path, $gemm:path) => {
        impl Float for $t {
            #[inline(always)]
            fn of(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn erf(self) -> Self {
                $erf(self)
            }
            #[inline(always)]
            fn finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            unsafe fn gemm_raw(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // Safety: forwarded verbatim; the caller upholds `gemm_raw`'s contract, which is
                // matrixmultiply's.
                unsafe { $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
            }
        }
    };
}

impl_float!(f32, libm::erff, matrixmultiply::sgemm);
impl_float!(f64, libm::erf, matrixmultiply::dgemm);
