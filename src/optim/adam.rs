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

/// The per-step constants of the update.
#[derive(Clone, Copy)]
struct Constants<T> {
    alpha: T,
    eps: T,
    c1: T,
    c2: T,
}

/// One fused pass over a tensor: both moments and the parameter, each element read and
/// written once.
///
/// The same arithmetic in the same order whatever the vector width (no FMA contraction: Rust
/// never fuses `a * b + c` on its own), so the results are bit-identical with and without AVX.
#[inline(always)]
fn fused<T: Float>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: Constants<T>) {
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        *m += (g - *m) * k.c1;
        *v += (g * g - *v) * k.c2;
        *p -= *m * k.alpha / (v.sqrt() + k.eps);
    }
}

/// [`fused`], compiled for 256-bit vectors when the processor has AVX (the default x86-64
/// target only assumes SSE2, half the width for the square roots and divisions that bound this
/// loop).
fn update_tensor<T: Float>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: Constants<T>) {
    // With `parallel`, a large tensor is updated in two halves at once: elements are independent.
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
                update_serial(p0, g0, m0, v0, k)
            },
            || update_serial(p1, g1, m1, v1, k),
        );
        return;
    }
    update_serial(p, g, m, v, k)
}

/// [`update_tensor`] on this thread.
fn update_serial<T: Float>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: Constants<T>) {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if std::is_x86_feature_detected!("avx") {
        // Safety: AVX was detected just above.
        return unsafe { fused_avx(p, g, m, v, k) };
    }
    fused(p, g, m, v, k)
}

/// [`fused`] with AVX enabled.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx")]
fn fused_avx<T: Float>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: Constants<T>) {
    fused(p, g, m, v, k)
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
        let k = Constants { alpha, eps, c1, c2 };
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
}
