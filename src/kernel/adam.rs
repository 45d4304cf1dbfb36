//! Adam's update of one tensor, fused: both moments and the parameter, each element read and
//! written once, in the arithmetic `optim/adam.rs` states, on every processor bit for bit the
//! same.
//!
//! Subnormals, deliberately: a gradient below 2⁻⁵⁰ in magnitude counts as zero in `g²`, and
//! moments that fall below 2⁻¹⁰⁰ are set to zero (see `optim/adam.rs` for why).

use super::Kernels;
use crate::Float;

/// One fused pass over a tensor: both moments and the parameter, each element read and
/// written once; `k = [α, ε, 1 - β₁, 1 - β₂]`.
///
/// The portable body, used for `f64` and where no SIMD path applies. Every vector path does the
/// same arithmetic in the same order (no FMA contraction; square root and division are
/// correctly rounded in IEEE 754 whatever the width), so results are bit for bit the same.
pub(crate) fn adam_fused<T: Float>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: [T; 4]) {
    let [alpha, eps, c1, c2] = k;
    let (tiny_g, tiny) = (T::of(TINY_GRADIENT), T::of(TINY_MOMENT));
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        let gs = if g.abs() < tiny_g { T::zero() } else { g };
        *m += (g - *m) * c1;
        if m.abs() < tiny {
            *m = T::zero();
        }
        *v += (gs * gs - *v) * c2;
        if *v < tiny {
            *v = T::zero();
        }
        *p -= *m * alpha / (v.sqrt() + eps);
    }
}

/// Gradients below this count as zero in `g²` (whose square would be subnormal in `f32`).
const TINY_GRADIENT: f64 = 8.881784197001252e-16; // 2⁻⁵⁰
/// Moments below this are set to zero, so no product of them is subnormal in `f32`.
const TINY_MOMENT: f64 = 7.888609052210118e-31; // 2⁻¹⁰⁰

/// [`adam_fused`] for `f32`, sixteen lanes at a time with AVX-512F or eight with AVX where the
/// processor has them.
///
/// Why explicit intrinsics: the square root comes from `libm` (for bit-for-bit agreement with
/// `no_std` builds), whose `sqrtss` is inline assembly the compiler cannot vectorise, which
/// made the whole loop scalar (8x slower).
pub(crate) fn adam_f32(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], k: [f32; 4]) {
    let n = p.len().min(g.len()).min(m.len()).min(v.len());
    #[cfg(target_arch = "x86_64")]
    if crate::kernel::simd_available() {
        let whole = n / 16 * 16;
        // Safety: AVX-512F, or else AVX, is available (checked just above), and every slice
        // holds at least `whole` elements; `p`, `m` and `v` are unique borrows, so they
        // overlap nothing.
        unsafe {
            if crate::kernel::simd512_available() {
                avx::adam512(whole, p, g, m, v, k)
            } else {
                avx::adam(whole, p, g, m, v, k)
            }
        };
        let (p, m, v) = (&mut p[whole..n], &mut m[whole..n], &mut v[whole..n]);
        return adam_fused(p, &g[whole..n], m, v, k);
    }
    adam_fused(&mut p[..n], &g[..n], &mut m[..n], &mut v[..n], k)
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use core::arch::x86_64::*;

    /// The first `n` elements (a multiple of 8) of [`adam_fused`](super::adam_fused), with
    /// AVX.
    ///
    /// # Safety
    /// The processor must have AVX, and every slice at least `n` elements.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn adam(
        n: usize,
        p: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        [alpha, eps, c1, c2]: [f32; 4],
    ) {
        let (alpha, eps) = (_mm256_set1_ps(alpha), _mm256_set1_ps(eps));
        let (c1, c2) = (_mm256_set1_ps(c1), _mm256_set1_ps(c2));
        let tiny_g = _mm256_set1_ps(super::TINY_GRADIENT as f32);
        let tiny = _mm256_set1_ps(super::TINY_MOMENT as f32);
        let sign = _mm256_set1_ps(-0.0);
        // Lanes where `x < limit` (false for NaN, as the scalar comparison), set to zero.
        let flush = |x: __m256, magnitude: __m256, limit: __m256| {
            _mm256_andnot_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(magnitude, limit), x)
        };
        let (p, g, m, v) = (p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
        for i in (0..n).step_by(8) {
            // Safety: `i + 8 <= n`, inside every slice (the caller's promise).
            unsafe {
                let gi = _mm256_loadu_ps(g.add(i));
                let mut mi = _mm256_loadu_ps(m.add(i));
                let mut vi = _mm256_loadu_ps(v.add(i));
                // m += (g - m)·c1; v += (g·g - v)·c2, rounded after each operation.
                let gs = flush(gi, _mm256_andnot_ps(sign, gi), tiny_g);
                mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), c1));
                mi = flush(mi, _mm256_andnot_ps(sign, mi), tiny);
                let g2 = _mm256_mul_ps(gs, gs);
                vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(g2, vi), c2));
                vi = flush(vi, vi, tiny);
                // p -= (m·α) / (√v + ε)
                let step = _mm256_div_ps(
                    _mm256_mul_ps(mi, alpha),
                    _mm256_add_ps(_mm256_sqrt_ps(vi), eps),
                );
                _mm256_storeu_ps(m.add(i), mi);
                _mm256_storeu_ps(v.add(i), vi);
                _mm256_storeu_ps(p.add(i), _mm256_sub_ps(_mm256_loadu_ps(p.add(i)), step));
            }
        }
    }

    /// [`adam`] sixteen lanes at a time: the same operations, the flushes as masked moves.
    ///
    /// # Safety
    /// The processor must have AVX-512F, and every slice at least `n` elements (a multiple of
    /// 16).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn adam512(
        n: usize,
        p: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        [alpha, eps, c1, c2]: [f32; 4],
    ) {
        let (alpha, eps) = (_mm512_set1_ps(alpha), _mm512_set1_ps(eps));
        let (c1, c2) = (_mm512_set1_ps(c1), _mm512_set1_ps(c2));
        let tiny_g = _mm512_set1_ps(super::TINY_GRADIENT as f32);
        let tiny = _mm512_set1_ps(super::TINY_MOMENT as f32);
        // Keeps the lanes where `magnitude < limit` is false (NaN included), zeroes the rest.
        let flush = |x: __m512, magnitude: __m512, limit: __m512| {
            _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_NLT_UQ>(magnitude, limit), x)
        };
        let (p, g, m, v) = (p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
        for i in (0..n).step_by(16) {
            // Safety: `i + 16 <= n`, inside every slice (the caller's promise).
            unsafe {
                let gi = _mm512_loadu_ps(g.add(i));
                let mut mi = _mm512_loadu_ps(m.add(i));
                let mut vi = _mm512_loadu_ps(v.add(i));
                let gs = flush(gi, _mm512_abs_ps(gi), tiny_g);
                mi = _mm512_add_ps(mi, _mm512_mul_ps(_mm512_sub_ps(gi, mi), c1));
                mi = flush(mi, _mm512_abs_ps(mi), tiny);
                let g2 = _mm512_mul_ps(gs, gs);
                vi = _mm512_add_ps(vi, _mm512_mul_ps(_mm512_sub_ps(g2, vi), c2));
                vi = flush(vi, vi, tiny);
                let step = _mm512_div_ps(
                    _mm512_mul_ps(mi, alpha),
                    _mm512_add_ps(_mm512_sqrt_ps(vi), eps),
                );
                _mm512_storeu_ps(m.add(i), mi);
                _mm512_storeu_ps(v.add(i), vi);
                _mm512_storeu_ps(p.add(i), _mm512_sub_ps(_mm512_loadu_ps(p.add(i)), step));
            }
        }
    }
}

/// One tensor's update, `(p, g, m, v)`: whole, or with `parallel` in two parts at once where
/// [`adam_split`](crate::parallel::adam_split) says (elements are independent), given the
/// tensor's `rows` if it is a matrix and the batch of the step that made the gradient.
pub(crate) fn adam_tensor<T: Kernels>(
    (p, g, m, v): (&mut [T], &[T], &mut [T], &mut [T]),
    k: [T; 4],
    (rows, batch): (Option<usize>, Option<usize>),
) {
    #[cfg(feature = "parallel")]
    if let Some(half) = crate::parallel::adam_split(p.len(), rows, batch) {
        let (p0, p1) = p.split_at_mut(half);
        let (m0, m1) = m.split_at_mut(half);
        let (v0, v1) = v.split_at_mut(half);
        let (g0, g1) = g.split_at(half.min(g.len()));
        let adam = |(p, g, m, v): (&mut [T], &[T], &mut [T], &mut [T])| T::adam(p, g, m, v, k);
        return crate::parallel::both((p0, g0, m0, v0), (p1, g1, m1, v1), adam, adam);
    }
    let _ = (rows, batch);
    T::adam(p, g, m, v, k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simd_passes_equal_the_portable_one_bit_for_bit() {
        // 48 elements: three 16-lane vectors; gradients from subnormal (1e-40) to 29, one NaN.
        let mut g: [f32; 48] =
            core::array::from_fn(|i| (i as f32 - 18.0) * 10f32.powi(i as i32 % 9 * 5 - 40));
        g[40] = f32::NAN;
        let k = [1e-3, 1e-7, 0.1, 0.001];
        type Pass<'a> = &'a dyn Fn(&mut [f32], &mut [f32], &mut [f32]);
        let run = |pass: Pass| {
            let (mut p, mut m, mut v) = ([0.5f32; 48], [0.0f32; 48], [0.0f32; 48]);
            for _ in 0..5 {
                pass(&mut p, &mut m, &mut v);
            }
            [p, m, v].map(|a| a.map(f32::to_bits))
        };
        let portable = run(&|p, m, v| adam_fused(p, &g, m, v, k));
        assert_eq!(run(&|p, m, v| adam_f32(p, &g, m, v, k)), portable);
        #[cfg(target_arch = "x86_64")]
        if crate::kernel::simd_available() {
            // Safety: AVX was detected; every slice holds 48 elements.
            let avx = run(&|p, m, v| unsafe { avx::adam(48, p, &g, m, v, k) });
            assert_eq!(avx, portable);
        }
        #[cfg(target_arch = "x86_64")]
        if crate::kernel::simd512_available() {
            // Safety: AVX-512F was detected; every slice holds 48 elements.
            let wide = run(&|p, m, v| unsafe { avx::adam512(48, p, &g, m, v, k) });
            assert_eq!(wide, portable);
        }
    }

    #[test]
    fn moments_of_a_vanished_gradient_reach_zero_not_subnormals() {
        let k = [1e-3, 1e-7, 0.1, 0.001];
        let (mut p, mut m, mut v) = ([0.5f32; 9], [0.0f32; 9], [0.0f32; 9]);
        adam_f32(&mut p, &[1e-3; 9], &mut m, &mut v, k);
        // 1e-21 squared would be subnormal; then the gradient vanishes and `m` decays.
        for g in [1e-21, 0.0] {
            for _ in 0..1000 {
                adam_f32(&mut p, &[g; 9], &mut m, &mut v, k);
                assert!(m.iter().chain(&v).all(|x| !x.is_subnormal()));
            }
        }
        assert_eq!(m, [0.0; 9]);
    }
}
