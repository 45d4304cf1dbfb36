//! Adam (Kingma & Ba, 2015), in Keras' formulation.
//!
//! At step `t` (from 1), with gradient `g`:
//! - `m ← m + (g - m)(1 - β₁)`, `v ← v + (g² - v)(1 - β₂)`,
//! - `α = η·√(1 - β₂ᵗ) / (1 - β₁ᵗ)` (the bias corrections folded into the step size),
//! - `θ ← θ - α·m / (√v + ε)`.
//!
//! Keras' defaults: `η = 1e-3`, `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-7`.

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
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        *m += (g - *m) * c1;
        *v += (g * g - *v) * c2;
        *p -= *m * alpha / (v.sqrt() + eps);
    }
}

/// [`adam_fused`] for `f32`, eight lanes at a time with AVX where the processor has it.
///
/// Why explicit intrinsics: the square root comes from `libm` (for bit-for-bit agreement with
/// `no_std` builds), whose `sqrtss` is inline assembly the compiler cannot vectorise, which
/// made the whole loop scalar (8x slower).
pub(crate) fn adam_f32(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], k: [f32; 4]) {
    let n = p.len().min(g.len()).min(m.len()).min(v.len());
    #[cfg(target_arch = "x86_64")]
    if crate::kernel::simd_available() {
        let whole = n / 8 * 8;
        // Safety: AVX is available (implied by the check just above), and every slice holds
        // at least `whole` elements; `p`, `m` and `v` are unique borrows, so they overlap
        // nothing.
        unsafe { avx::adam(whole, p, g, m, v, k) };
        let (p, m, v) = (&mut p[whole..n], &mut m[whole..n], &mut v[whole..n]);
        return adam_fused(p, &g[whole..n], m, v, k);
    }
    adam_fused(&mut p[..n], &g[..n], &mut m[..n], &mut v[..n], k)
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use core::arch::x86_64::*;

    /// The first `n` elements (a multiple of 8) of [`adam_fused`](super::adam_fused).
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
        let (p, g, m, v) = (p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
        for i in (0..n).step_by(8) {
            // Safety: `i + 8 <= n`, inside every slice (the caller's promise).
            unsafe {
                let gi = _mm256_loadu_ps(g.add(i));
                let mut mi = _mm256_loadu_ps(m.add(i));
                let mut vi = _mm256_loadu_ps(v.add(i));
                // m += (g - m)·c1; v += (g·g - v)·c2, rounded after each operation.
                mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), c1));
                let g2 = _mm256_mul_ps(gi, gi);
                vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(g2, vi), c2));
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
}

/// One tensor's update; with `parallel`, a large tensor is updated in two halves at once
/// (elements are independent).
fn update_tensor<T: Float>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: [T; 4]) {
    #[cfg(feature = "parallel")]
    if let Some(half) = crate::kernel::parallel::halves(p.len(), 1 << 16) {
        let (p0, p1) = p.split_at_mut(half);
        let (m0, m1) = m.split_at_mut(half);
        let (v0, v1) = v.split_at_mut(half);
        let (g0, g1) = g.split_at(half.min(g.len()));
        let first = std::sync::Mutex::new((p0, m0, v0));
        crate::kernel::parallel::join(
            &|| {
                let mut first = first.lock().unwrap_or_else(|e| e.into_inner());
                let (p0, m0, v0) = &mut *first;
                T::adam(p0, g0, m0, v0, k)
            },
            || T::adam(p1, g1, m1, v1, k),
        );
        return;
    }
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
        state.step += 1;
        let t = state.step as f64;
        let alpha = self.learning_rate * libm::sqrt(1.0 - libm::pow(self.beta_2, t))
            / (1.0 - libm::pow(self.beta_1, t));
        let (alpha, eps) = (T::of(alpha), T::of(self.epsilon));
        let (c1, c2) = (T::of(1.0 - self.beta_1), T::of(1.0 - self.beta_2));
        let k = [alpha, eps, c1, c2];
        for i in 0..P::TENSORS {
            let p = params.tensor_mut(i);
            let (m, v) = (state.m.tensor_mut(i), state.v.tensor_mut(i));
            update_tensor(p, grad.tensor(i), m, v, k);
        }
    }

    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.learning_rate = lr;
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
    fn the_simd_pass_equals_the_portable_one_bit_for_bit() {
        // 37 elements: four vectors and a remainder; gradients from tiny to large.
        let g: [f32; 37] =
            core::array::from_fn(|i| (i as f32 - 18.0) * 10f32.powi(i as i32 % 9 - 6));
        let k = [1e-3, 1e-7, 0.1, 0.001];
        let (mut p1, mut m1, mut v1) = ([0.5f32; 37], [0.0f32; 37], [0.0f32; 37]);
        let (mut p2, mut m2, mut v2) = (p1, m1, v1);
        for _ in 0..5 {
            adam_f32(&mut p1, &g, &mut m1, &mut v1, k);
            adam_fused(&mut p2, &g, &mut m2, &mut v2, k);
        }
        let bits = |a: &[f32]| a.iter().map(|x| x.to_bits()).collect::<std::vec::Vec<_>>();
        assert_eq!(bits(&p1), bits(&p2));
        assert_eq!(bits(&m1), bits(&m2));
        assert_eq!(bits(&v1), bits(&v2));
    }
}
