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
            crate::kernel::adam_tensor((p, grad.tensor(i), m, v), k, (rows, batch));
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
}
