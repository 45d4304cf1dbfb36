//! Adam (Kingma & Ba, 2015), in Keras' formulation.
//!
//! At step `t` (from 1), with gradient `g`:
//! - `m ← m + (g - m)(1 - β₁)`, `v ← v + (g² - v)(1 - β₂)`,
//! - `α = η·√(1 - β₂ᵗ) / (1 - β₁ᵗ)` (the bias corrections folded into the step size),
//! - `θ ← θ - α·m / (√v + ε)`.
//!
//! Keras' defaults: `η = 1e-3`, `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-7`.
//!
//! Subnormals, deliberately: a gradient below 2⁻⁵⁰ in magnitude counts as zero in `g²`, and
//! moments that fall below 2⁻¹⁰⁰ are set to zero. Their effect on a parameter is below 10⁻²⁶,
//! but computing with them produces subnormal floats, which x86 processors handle in microcode:
//! on the benchmark's gradient (a batch trained on repeatedly, with thousands of gradients
//! near 10⁻²⁰) the update took 44 instead of 33 us. In real training the moments of rarely seen
//! inputs decay towards zero by `β₁` per step and reach that range in a few hundred steps.

use crate::optim::Optimizer;
use crate::{Float, Params, Zeroed};

/// Adam's hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam {
    /// The step size `η`.
    pub learning_rate: f64,
    /// The decay `β₁` of the first-moment estimate.
    pub beta_1: f64,
    /// The decay `β₂` of the second-moment estimate.
    pub beta_2: f64,
    /// `ε`, added to `√v` so the step stays finite.
    pub epsilon: f64,
}

impl Default for Adam {
    fn default() -> Self {
        Adam {
            learning_rate: 1e-3,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

impl Adam {
    /// Adam with Keras' defaults and the given learning rate.
    pub fn new(learning_rate: f64) -> Self {
        Adam {
            learning_rate,
            ..Adam::default()
        }
    }
}

/// Adam's moment estimates, shaped like the gradient, and the step count.
#[derive(Debug)]
pub struct AdamState<G> {
    /// The first-moment (mean) estimate `m`.
    pub m: G,
    /// The second-moment (uncentred variance) estimate `v`.
    pub v: G,
    /// How many updates have been applied.
    pub step: u64,
}

// Safety: every field is `Zeroed`.
unsafe impl<G: Zeroed> Zeroed for AdamState<G> {}

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

/// One tensor's update; with `parallel`, a large tensor is updated in two halves at once
/// (elements are independent).
///
/// A kernel of `rows` rows is split between the same columns as its products split it (the
/// forward product by depth, the gradient by columns), so each thread updates the weights whose
/// gradient it computed and which it reads in the next forward pass. After a step on `batch`
/// samples, a kernel whose products were not split (too little work) is not split either.
fn update_tensor<T: Float>(
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    k: [T; 4],
    (rows, batch): (Option<usize>, Option<usize>),
) {
    #[cfg(feature = "parallel")]
    if let Some(half) = crate::parallel::halves(p.len(), 1 << 16)
        .filter(|_| batch.is_none_or(|b| crate::parallel::splits(p.len(), b)))
    {
        let half = rows
            .filter(|&r| r > 0 && p.len().is_multiple_of(r))
            .and_then(|r| Some(r * crate::parallel::column_split(p.len() / r)?))
            .unwrap_or(half);
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

impl<T: Float> Optimizer<T> for Adam {
    type State<G: Params<T> + Zeroed> = AdamState<G>;
    const STATE_SLOTS: usize = 2;
    const STATE_EXTRA_BYTES: usize = core::mem::size_of::<u64>();

    fn update<P: Params<T>, G: Params<T> + Zeroed>(
        &self,
        params: &mut P,
        grad: &G,
        state: &mut AdamState<G>,
    ) {
        self.update_with(params, grad, state, None)
    }

    fn update_after_step<P: Params<T>, G: Params<T> + Zeroed>(
        &self,
        params: &mut P,
        grad: &G,
        state: &mut AdamState<G>,
        batch: usize,
    ) {
        self.update_with(params, grad, state, Some(batch))
    }

    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.learning_rate = lr;
    }
}

impl Adam {
    /// One update; `batch` is the step's batch size when known (see [`update_tensor`]).
    fn update_with<T: Float, P: Params<T>, G: Params<T> + Zeroed>(
        &self,
        params: &mut P,
        grad: &G,
        state: &mut AdamState<G>,
        batch: Option<usize>,
    ) {
        // Saturating: at `u64::MAX` the bias corrections are 1 either way, and a count that
        // wrapped to 0 would make them 0 and every parameter NaN.
        state.step = state.step.saturating_add(1);
        let t = state.step as f64;
        let alpha = self.learning_rate * libm::sqrt(1.0 - libm::pow(self.beta_2, t))
            / (1.0 - libm::pow(self.beta_1, t));
        let (alpha, eps) = (T::of(alpha), T::of(self.epsilon));
        let (c1, c2) = (T::of(1.0 - self.beta_1), T::of(1.0 - self.beta_2));
        let k = [alpha, eps, c1, c2];
        for i in 0..P::TENSORS {
            let p = params.tensor_mut(i);
            let (m, v) = (state.m.tensor_mut(i), state.v.tensor_mut(i));
            let rows = P::tensor_info(i)
                .filter(|t| t.shape.len() == 2)
                .map(|t| t.shape[1]);
            update_tensor(p, grad.tensor(i), m, v, k, (rows, batch));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;

    type P<T> = Dense<T, 1, 2>;

    /// A kernel `[k₀, k₁]` and a bias `[b₀, b₁]`, in the order `Params` lists them.
    fn params<T: Float>(v: [f64; 4]) -> P<T> {
        let mut p = P::<T>::zeroed();
        p.kernel.copy_from_slice(&[T::of(v[0]), T::of(v[1])]);
        p.bias.copy_from_slice(&[T::of(v[2]), T::of(v[3])]);
        p
    }

    fn flat<T: Float>(p: &P<T>) -> [f64; 4] {
        [p.kernel[0], p.kernel[1], p.bias[0], p.bias[1]].map(T::to_f64)
    }

    const START: [f64; 4] = [0.5, -1.0, 0.1, 0.0];
    /// Three gradients; the last entry's stays zero throughout.
    const GRADIENTS: [[f64; 4]; 3] = [
        [0.2, -0.4, 1.0, 0.0],
        [0.1, 0.3, -0.5, 0.0],
        [-0.2, 0.05, 2.0, 0.0],
    ];

    /// The parameters after each of the three steps, with `η = 0.01` and Keras' other defaults.
    fn run<T: Float>() -> [[f64; 4]; 3] {
        let adam = Adam::new(0.01);
        let mut p = params::<T>(START);
        let mut state = AdamState::zeroed();
        GRADIENTS.map(|g| {
            adam.update(&mut p, &params::<T>(g), &mut state);
            flat(&p)
        })
    }

    #[test]
    fn the_batch_size_changes_no_bit_of_the_update() {
        // Large enough for `parallel` to split the kernel's update after a big batch, and not
        // after a batch of one; every way must give the same bits.
        type Big = Dense<f32, 300, 256>;
        let mut rng = crate::rng::SplitMix64::new(3);
        let (mut start, mut grad) = (Big::boxed(), Big::boxed());
        crate::Train::init(&mut *start, &mut rng);
        crate::Train::init(&mut *grad, &mut rng);
        let adam = Adam::default();
        let after = |batch: Option<usize>| {
            let (mut p, mut state) = (start.clone(), AdamState::<Big>::boxed());
            for _ in 0..2 {
                match batch {
                    Some(b) => adam.update_after_step(&mut *p, &*grad, &mut *state, b),
                    None => adam.update(&mut *p, &*grad, &mut *state),
                }
            }
            p
        };
        let whole = after(None);
        assert_ne!(whole.kernel, start.kernel);
        for batch in [1, 128] {
            assert_eq!(after(Some(batch)).kernel, whole.kernel, "batch {batch}");
        }
    }

    #[test]
    fn golden_values_of_three_steps() {
        // numpy, float64, Keras 3's `Adam.update_step` written out:
        //   lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
        //   theta = np.array([0.5, -1.0, 0.1, 0.0]); m = np.zeros(4); v = np.zeros(4)
        //   for t, g in enumerate(map(np.array, GRADIENTS), start=1):
        //       alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        //       m += (g - m) * (1 - b1); v += (g * g - v) * (1 - b2)
        //       theta -= alpha * m / (np.sqrt(v) + eps)
        // The first step moves every parameter with a gradient by about η against its sign.
        let want = [
            [
                0.49000015811138303,
                -0.9900000790563165,
                0.09000003162267661,
                0.0,
            ],
            [
                0.48067849360427567,
                -0.9891068346334458,
                0.08733666876221542,
                0.0,
            ],
            [
                0.479570674574333,
                -0.9890559421713179,
                0.08075556184440762,
                0.0,
            ],
        ];
        for (got, want) in run::<f64>().iter().zip(want) {
            for (g, w) in got.iter().zip(want) {
                approx::assert_relative_eq!(*g, w, max_relative = 1e-12);
            }
        }
    }

    #[test]
    fn f32_follows_f64() {
        for (single, double) in run::<f32>().iter().zip(run::<f64>()) {
            for (s, d) in single.iter().zip(double) {
                approx::assert_relative_eq!(*s, d, max_relative = 1e-6);
            }
        }
    }

    #[test]
    fn a_zero_gradient_moves_nothing() {
        let (adam, zero) = (Adam::default(), params::<f64>([0.0; 4]));
        let mut p = params::<f64>(START);
        let mut state = AdamState::zeroed();
        for _ in 0..3 {
            adam.update(&mut p, &zero, &mut state);
        }
        assert_eq!(flat(&p), START);
        assert_eq!(state.step, 3);
    }

    #[test]
    fn the_step_count_saturates_instead_of_wrapping_to_nan() {
        // Wrapped to 0, both bias corrections would be 0 and the step size 0/0.
        let adam = Adam::default();
        let mut p = params::<f32>(START);
        let mut state = AdamState::zeroed();
        state.step = u64::MAX;
        adam.update(&mut p, &params::<f32>(GRADIENTS[0]), &mut state);
        assert_eq!(state.step, u64::MAX);
        assert!(flat(&p).iter().all(|x| x.is_finite()));
        // At step u64::MAX, βᵗ is 0 and α = η: the bias takes m = 0.1, v = 0.001 (g = 1).
        let want = 0.1 - 1e-3 * 0.1 / (libm::sqrt(0.001) + 1e-7);
        approx::assert_relative_eq!(flat(&p)[2], want, max_relative = 1e-6);
    }

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
