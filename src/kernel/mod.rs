//! The kernels: the loops that do a layer's arithmetic, on slices and run-time sizes, each
//! chosen for the processor at run time (AVX-512, AVX2, or portable code), and split between
//! threads where [`parallel`](crate::parallel) says so.
//!
//! | kernel | file | what |
//! | --- | --- | --- |
//! | matrix product | `gemm.rs`, `x86.rs`, `avx512.rs`, `portable.rs` | `C = A·B + β·C`, behind [`linalg`](crate::linalg)'s typed products |
//! | int8 matrix product | `int8/` | `y = requantise(b + x·W)` per output channel, for [`quant`](crate::quant)'s layers |
//! | Adam | `adam.rs` | one fused pass over a tensor: both moments and the parameter |
//! | convolution | `conv.rs` | patches (image to columns) and back, inference through a packing buffer |
//! | direct convolution | `direct.rs` | single-channel inference: each pixel's taps times the kernel, in registers |
//! | Winograd convolution | `winograd.rs` | `F(4×4, 3×3)`: 3×3 stride-1 inference as 36 products of transformed tiles |
//! | dropout mask | `dropout.rs` | a counter-based mask and `y = m ⊙ x`, vectorised |
//! | passes by columns | [`by_columns`] | an activation's pass over a batch, split by columns |
//! | passes by samples | [`by_samples`], [`by_samples_summed`] | a convolution's or a pooling's pass over whole samples, split by samples |
//!
//! Layers and optimizers reach them through [`Kernels`], implemented for `f32` and `f64` (a
//! bound of [`Float`](crate::Float)), and through the free functions here. One body per scalar
//! type, on slices: nothing is instantiated per layer size, which keeps compile times flat in
//! the number of layers.

mod adam;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod conv;
mod direct;
mod dropout;
mod gemm;
pub(crate) mod int8;
mod portable;
pub(crate) mod winograd;
#[cfg(target_arch = "x86_64")]
mod x86;

pub(crate) use crate::parallel::{by_columns, by_samples, by_samples_summed};
pub(crate) use adam::adam_tensor;
pub(crate) use conv::{col2im_add, forward as conv_forward, im2col, patch, Geometry};
pub(crate) use direct::{fits as direct_fits, forward as direct_forward};
pub(crate) use dropout::{dropout, masked, Mask};

/// `f()`, compiled with AVX2 as well where the processor runs it (detected once, as the
/// kernels' features are): for short loops that the compiler vectorises by itself, such as
/// int8 max-pooling (`pmaxsb` on 32 bytes instead of SSE2's compare-and-select on 16).
#[inline]
pub(crate) fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        // Safety: the processor runs AVX2, detected just above.
        return unsafe { with_avx2(f) };
    }
    f()
}

/// `f()` in a function compiled for AVX2, into which `f` is inlined.
///
/// # Safety
/// The processor must run AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The kernels of a scalar type, one body each for `f32` and `f64`.
///
/// Sealed: its module is private, so only liandan implements it.
pub trait Kernels: Copy + Send + Sync + Sized + 'static {
    /// `C = A·B + beta·C`: `A` is `m×k` column-major with leading dimension `lda`, `B[p, j]` is
    /// `b[p·rsb + j·csb]`, `C` is `m×n` column-major with leading dimension `ldc`; with
    /// `beta = 0`, `C` is not read. Panics if an operand does not fit in its slice.
    #[allow(clippy::too_many_arguments)]
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
    fn adam(p: &mut [Self], g: &[Self], m: &mut [Self], v: &mut [Self], k: [Self; 4]);

    /// One output row of a single-channel direct convolution into `y` (whole pixels of
    /// `row.filters` values); see `direct.rs`. Panics if the row reads outside its slices.
    fn direct_row(row: &direct::Row<'_, Self>, y: &mut [Self]);
}

impl Kernels for f32 {
    #[inline]
    fn gemm(
        dims: (usize, usize, usize),
        a: &[f32],
        lda: usize,
        b: &[f32],
        b_strides: (usize, usize),
        beta: f32,
        c: &mut [f32],
        ldc: usize,
    ) {
        gemm::sgemm(dims, a, lda, b, b_strides, beta, c, ldc)
    }

    #[inline]
    fn adam(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], k: [f32; 4]) {
        adam::adam_f32(p, g, m, v, k)
    }

    fn direct_row(row: &direct::Row<'_, f32>, y: &mut [f32]) {
        row.check(y);
        #[cfg(target_arch = "x86_64")]
        {
            if x86::avx512() {
                // Safety: the processor runs AVX-512F and the row is checked.
                return unsafe { direct::x86::row512(row, y) };
            }
            if x86::available() {
                // Safety: the processor runs AVX2 and FMA and the row is checked.
                return unsafe { direct::x86::row256(row, y) };
            }
        }
        direct::row(row, y)
    }
}

impl Kernels for f64 {
    #[inline]
    fn gemm(
        dims: (usize, usize, usize),
        a: &[f64],
        lda: usize,
        b: &[f64],
        b_strides: (usize, usize),
        beta: f64,
        c: &mut [f64],
        ldc: usize,
    ) {
        gemm::dgemm(dims, a, lda, b, b_strides, beta, c, ldc)
    }

    #[inline]
    fn adam(p: &mut [f64], g: &[f64], m: &mut [f64], v: &mut [f64], k: [f64; 4]) {
        adam::adam_fused(p, g, m, v, k)
    }

    fn direct_row(row: &direct::Row<'_, f64>, y: &mut [f64]) {
        row.check(y);
        direct::row(row, y)
    }
}

/// Whether the fast `f32` kernel runs on this processor.
#[allow(dead_code)]
pub(crate) fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        x86::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the processor also runs AVX-512F (which [`simd_available`] then implies).
#[allow(dead_code)]
pub(crate) fn simd512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        x86::avx512()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the processor also runs AVX-512DQ (which [`simd512_available`] then implies).
#[allow(dead_code)]
pub(crate) fn simd512dq_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        x86::avx512dq()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests;
