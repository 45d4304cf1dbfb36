//! The scalar type of a network: `f32` (the default) or `f64`.
//!
//! [`Float`] is nalgebra's [`RealField`] plus the few things liandan needs that it lacks:
//! conversion from `f64` literals and `erf` for the exact GELU; its kernels (the matrix
//! product, Adam's update) are behind the kernel seam, `src/kernel`.

use nalgebra::RealField;

use crate::kernel::Kernels;
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
pub trait Float: Element + RealField + Kernels + core::fmt::Display + sealed::Sealed {
    /// The value nearest to `x`.
    fn of(x: f64) -> Self;
    /// This value widened (or kept) as `f64`.
    fn to_f64(self) -> f64;
    /// The error function, `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`.
    fn erf(self) -> Self;
    /// Whether this value is neither infinite nor NaN.
    fn finite(self) -> bool;
}

macro_rules! impl_float {
    ($t:ty, $erf:path) => {
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
        }
    };
}

impl_float!(f32, libm::erff);
impl_float!(f64, libm::erf);
