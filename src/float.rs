//! The scalar type of a network: `f32` (the default) or `f64`.
//!
//! [`Float`] is nalgebra's [`RealField`] plus the few things liandan needs that it lacks:
//! conversion from `f64` literals, `erf` for the exact GELU, and the matrix product, which is
//! liandan's own kernel (SIMD chosen at run time with `std`; see `src/kernel`).

use nalgebra::RealField;

use crate::Element;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point scalar liandan can compute with: implemented for `f32` and `f64` only.
///
/// Arithmetic and the elementary functions (`exp`, `tanh`, `sqrt`, ...) come from nalgebra's
/// [`RealField`]; see its documentation for the full list.
pub trait Float: Element + RealField + core::fmt::Display + sealed::Sealed {
    /// The value nearest to `x`.
    fn of(x: f64) -> Self;
    /// This value widened (or kept) as `f64`.
    fn to_f64(self) -> f64;
    /// The error function, `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`.
    fn erf(self) -> Self;
    /// Whether this value is neither infinite nor NaN.
    fn finite(self) -> bool;

    /// `C = A·B + beta·C`: `A` is `m×k` column-major with leading dimension `lda`, `B[p, j]` is
    /// `b[p·rsb + j·csb]`, `C` is `m×n` column-major with leading dimension `ldc`; with
    /// `beta = 0`, `C` is not read. Panics if an operand does not fit in its slice.
    #[allow(clippy::too_many_arguments)]
    #[doc(hidden)]
    fn gemm(
        dims: (usize, usize, usize),
        a: &[Self],
        lda: usize,
        b: &[Self],
        b_strides: (usize, usize),
        beta: Self,
        c: &mut [Self],
        ldc: usize,
    );

    /// One fused Adam pass over a tensor, with `k = [α, ε, 1 - β₁, 1 - β₂]`; see
    /// `optim/adam.rs`. Bit for bit the same result whatever SIMD the processor has.
    #[doc(hidden)]
    fn adam(p: &mut [Self], g: &[Self], m: &mut [Self], v: &mut [Self], k: [Self; 4]);
}

macro_rules! impl_float {
    ($t:ty, $erf:path, $gemm:path, $adam:path) => {
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
            fn gemm(
                dims: (usize, usize, usize),
                a: &[Self],
                lda: usize,
                b: &[Self],
                b_strides: (usize, usize),
                beta: Self,
                c: &mut [Self],
                ldc: usize,
            ) {
                $gemm(dims, a, lda, b, b_strides, beta, c, ldc)
            }
            #[inline]
            fn adam(p: &mut [Self], g: &[Self], m: &mut [Self], v: &mut [Self], k: [Self; 4]) {
                $adam(p, g, m, v, k)
            }
        }
    };
}

impl_float!(
    f32,
    libm::erff,
    crate::kernel::sgemm,
    crate::optim::adam_f32
);
impl_float!(
    f64,
    libm::erf,
    crate::kernel::dgemm,
    crate::optim::adam_fused
);
