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
        for i in 0..P::TENSORS {
            let p = params.tensor_mut(i);
            let (m, v) = (state.m.tensor_mut(i), state.v.tensor_mut(i));
            for (((p, &g), m), v) in p.iter_mut().zip(grad.tensor(i)).zip(m).zip(v) {
                *m += (g - *m) * c1;
                *v += (g * g - *v) * c2;
                *p -= *m * alpha / (v.sqrt() + eps);
            }
        }
    }

    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.learning_rate = lr;
    }
}
