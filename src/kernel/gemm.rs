//! The matrix product `C = A·B + β·C` on slices, for `f32` and `f64`.
//!
//! `A` is `m×k` column-major with leading dimension `lda` (`A[i, p] = a[i + p·lda]`), `B` is
//! `k×n` with arbitrary strides (`B[p, j] = b[p·rsb + j·csb]`, so a transposed operand is only a
//! swap of strides), and `C` is `m×n` column-major with leading dimension `ldc`. With `β = 0`,
//! `C` is overwritten without being read.
//!
//! Why not `matrixmultiply`: it packs both operands into a buffer it allocates on every call,
//! which costs an allocation per product (the training step must allocate nothing) and, at a
//! dense layer's sizes, a copy of the whole kernel per call. Here the register-blocked
//! micro-kernel reads `A` in place: a column of `A` is contiguous, and `B` is only ever
//! broadcast one scalar at a time, so its strides cost nothing.
//!
//! Dispatch: `f32` on x86-64 uses AVX-512F, or else AVX2 + FMA, when the processor has them
//! (detected at run time with CPUID, with or without `std`); everything else uses the portable
//! loop. Both SIMD kernels compute every element with the same chain of fused multiply-adds.
//! With `parallel`, a large product is split between threads as [`parallel`](crate::parallel)
//! decides: by columns of `C`, or by depth as a pipeline.

use super::portable;
#[cfg(target_arch = "x86_64")]
use super::{avx512, x86};

/// The number of elements a strided operand spans: the last element's index plus one, or
/// `usize::MAX` if that does not fit (so no slice holds it).
fn span(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        return 0;
    }
    let last = (rows - 1)
        .checked_mul(rs)
        .zip((cols - 1).checked_mul(cs))
        .and_then(|(r, c)| r.checked_add(c));
    last.map_or(usize::MAX, |last| last.saturating_add(1))
}

/// Checks that every element of the three operands lies inside its slice.
#[allow(clippy::too_many_arguments)]
fn check_bounds<T>(
    (m, k, n): (usize, usize, usize),
    a: &[T],
    lda: usize,
    b: &[T],
    (rsb, csb): (usize, usize),
    c: &[T],
    ldc: usize,
) {
    assert!(
        lda >= m && ldc >= m,
        "leading dimension below the row count"
    );
    assert!(span(m, k, 1, lda) <= a.len(), "A out of bounds");
    assert!(span(k, n, rsb, csb) <= b.len(), "B out of bounds");
    assert!(span(m, n, 1, ldc) <= c.len(), "C out of bounds");
}

/// `C = A·B + beta·C` in `f64`; see the module documentation for the layouts.
///
/// Panics if an operand does not fit in its slice.
#[allow(clippy::too_many_arguments)]
pub(crate) fn dgemm(
    dims: (usize, usize, usize),
    a: &[f64],
    lda: usize,
    b: &[f64],
    b_strides: (usize, usize),
    beta: f64,
    c: &mut [f64],
    ldc: usize,
) {
    check_bounds(dims, a, lda, b, b_strides, c, ldc);
    portable::gemm(dims, a, lda, b, b_strides, beta, c, ldc);
}

/// `C = A·B + beta·C` in `f32`; see the module documentation for the layouts.
///
/// Panics if an operand does not fit in its slice.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm(
    dims: (usize, usize, usize),
    a: &[f32],
    lda: usize,
    b: &[f32],
    b_strides: (usize, usize),
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    check_bounds(dims, a, lda, b, b_strides, c, ldc);
    if dims.0 == 0 || dims.2 == 0 {
        // `C` has no elements: nothing to compute or write.
        return;
    }
    #[cfg(all(feature = "parallel", target_arch = "x86_64"))]
    if x86::available() {
        if let Some(k0) = crate::parallel::depth_split(dims, beta == 0.0) {
            // Safety: the SIMD kernel runs here and the bounds are checked.
            unsafe { sgemm_depth_split(dims, k0, a, lda, b, b_strides, c, ldc) };
            return;
        }
    }
    #[cfg(feature = "parallel")]
    if let Some(split) = crate::parallel::split(dims) {
        let (m, k, n) = dims;
        let (c0, c1) = c.split_at_mut(split * ldc);
        let b1 = &b[split * b_strides.1..];
        return crate::parallel::both(
            c0,
            c1,
            |c0| sgemm_serial((m, k, split), a, lda, b, b_strides, beta, c0, ldc),
            |c1| sgemm_serial((m, k, n - split), a, lda, b1, b_strides, beta, c1, ldc),
        );
    }
    sgemm_serial(dims, a, lda, b, b_strides, beta, c, ldc);
}

/// The pointer to `C` both threads of a depth-split product write through, one strip at a time.
#[cfg(all(feature = "parallel", target_arch = "x86_64"))]
struct SharedC(*mut f32);

// Safety: the two threads sharing it never access the same strip of `C` at the same time (see
// `sgemm_depth_split`).
#[cfg(all(feature = "parallel", target_arch = "x86_64"))]
unsafe impl Sync for SharedC {}

/// `C = A·B` split at depth `k0` (see [`depth_split`](crate::parallel::depth_split)): the
/// helper computes each strip of `C` over `p < k0` and publishes it, this thread resumes it over
/// `p >= k0`.
///
/// Safety: [`x86::available`] holds, the operands passed [`check_bounds`], and `0 < k0 < k`.
#[cfg(all(feature = "parallel", target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
unsafe fn sgemm_depth_split(
    (m, k, n): (usize, usize, usize),
    k0: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    (rsb, csb): (usize, usize),
    c: &mut [f32],
    ldc: usize,
) {
    use core::sync::atomic::{AtomicUsize, Ordering};
    let full = crate::parallel::strip_width(n);
    let strips = n.div_ceil(full);
    // How many strips the helper has finished; `usize::MAX` if it stopped (panicked), so this
    // thread does not wait forever (`join` then reports the panic).
    let done = AtomicUsize::new(0);
    let shared = SharedC(c.as_mut_ptr());
    let (done, shared) = (&done, &shared);
    let strip = |s: usize, resume: bool| {
        let (j, (p0, depth)) = (s * full, if resume { (k0, k - k0) } else { (0, k0) });
        let width = full.min(n - j);
        // Safety: `j < n` and `p0 < k`, so the offsets stay inside the checked operands, and
        // the strip covers rows `p0 .. p0 + depth` of `B` and columns `j .. j + width`; the
        // caller's contract gives the instructions; the two threads write one strip at a time
        // in turn (this thread only after the helper published it, the helper never again).
        unsafe {
            let ops = x86::Operands {
                a: a.as_ptr().add(p0 * lda),
                lda,
                b: b.as_ptr().add(p0 * rsb + j * csb),
                rsb,
                csb,
                beta: 0.0,
                c: shared.0.add(j * ldc),
                ldc,
                resume,
            };
            if x86::avx512() {
                avx512::gemm(m, depth, width, ops)
            } else {
                x86::gemm(m, depth, width, ops)
            }
        }
    };
    struct Finish<'a>(&'a AtomicUsize);
    impl Drop for Finish<'_> {
        fn drop(&mut self) {
            self.0.store(usize::MAX, Ordering::Release);
        }
    }
    crate::parallel::join(
        &|| {
            let finish = Finish(done);
            for s in 0..strips {
                strip(s, false);
                finish.0.store(s + 1, Ordering::Release);
            }
        },
        || {
            for s in 0..strips {
                let mut spins = 0;
                while done.load(Ordering::Acquire) <= s {
                    crate::parallel::wait_a_little(&mut spins);
                }
                strip(s, true);
            }
        },
    );
}

/// [`sgemm`] on this thread; the bounds are already checked.
#[allow(clippy::too_many_arguments)]
pub(super) fn sgemm_serial(
    dims: (usize, usize, usize),
    a: &[f32],
    lda: usize,
    b: &[f32],
    b_strides: (usize, usize),
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        let (m, k, n) = dims;
        let (rsb, csb) = b_strides;
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let ops = x86::Operands {
            a,
            lda,
            b,
            rsb,
            csb,
            beta,
            c,
            ldc,
            resume: false,
        };
        // Safety: the instructions each kernel needs are available (checked just above), and
        // `check_bounds` proved every element the product touches lies inside its slice; `c`
        // is a unique borrow, so it overlaps neither input.
        unsafe {
            if x86::avx512() {
                avx512::gemm(m, k, n, ops)
            } else {
                x86::gemm(m, k, n, ops)
            }
        };
        return;
    }
    portable::gemm(dims, a, lda, b, b_strides, beta, c, ldc);
}
