//! Stochastic gradient descent, with optional (Nesterov) momentum, as Keras' `SGD`.
//!
//! Without momentum: `θ ← θ - η·g`. With momentum `μ`, a velocity `v ← μ·v - η·g` and
//! `θ ← θ + v`, or with Nesterov `θ ← θ + μ·v - η·g` (Keras' formulation).

use crate::optim::Optimizer;
use crate::{Float, Params, Zeroed};

/// SGD; Keras' defaults are `learning_rate = 0.01`, `momentum = 0`, `nesterov = false`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// The step size `η`.
    pub learning_rate: f64,
    /// The momentum `μ` in `[0, 1)`; zero turns momentum off.
    pub momentum: f64,
    /// Nesterov's look-ahead form of momentum.
    pub nesterov: bool,
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd {
            learning_rate: 0.01,
            momentum: 0.0,
            nesterov: false,
        }
    }
}

impl Sgd {
    /// Plain SGD with the given learning rate.
    pub fn new(learning_rate: f64) -> Self {
        Sgd {
            learning_rate,
            ..Sgd::default()
        }
    }
}

/// The velocity of [`Sgd`] with momentum, one entry per parameter.
#[derive(Debug)]
pub struct SgdState<G> {
    /// `v`, shaped like the gradient.
    pub velocity: G,
}

// Safety: the only field is `Zeroed`.
unsafe impl<G: Zeroed> Zeroed for SgdState<G> {}

impl<T: Float> Optimizer<T> for Sgd {
    type State<G: Params<T> + Zeroed> = SgdState<G>;
    // The velocity is there even without momentum, so a momentum can be set between steps.
    const STATE_SLOTS: usize = 1;
    const STATE_EXTRA_BYTES: usize = 0;

    fn update<P: Params<T>, G: Params<T> + Zeroed>(
        &self,
        params: &mut P,
        grad: &G,
        state: &mut SgdState<G>,
    ) {
        let lr = T::of(self.learning_rate);
        let mu = T::of(self.momentum);
        for i in 0..P::TENSORS {
            let (p, g, v) = (
                params.tensor_mut(i),
                grad.tensor(i),
                state.velocity.tensor_mut(i),
            );
            if self.momentum == 0.0 {
                p.iter_mut().zip(g).for_each(|(p, &g)| *p -= lr * g);
                continue;
            }
            for ((p, &g), v) in p.iter_mut().zip(g).zip(v) {
                *v = *v * mu - lr * g;
                *p += if self.nesterov { *v * mu - lr * g } else { *v };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;

    type P = Dense<f64, 1, 2>;

    fn params(k: [f64; 2], b: [f64; 2]) -> P {
        let mut p = P::zeroed();
        p.kernel.copy_from_slice(&k);
        p.bias.copy_from_slice(&b);
        p
    }

    #[test]
    fn plain_step_is_lr_times_gradient() {
        let mut p = params([1.0, 2.0], [0.0, -1.0]);
        let g = params([0.5, -1.0], [2.0, 0.0]);
        Sgd::default().update(&mut p, &g, &mut SgdState::zeroed());
        assert_eq!(p, params([0.995, 2.01], [-0.02, -1.0]));
    }

    #[test]
    fn momentum_and_nesterov_follow_keras() {
        // By hand, μ = 0.9, η = 0.1, g = 1 twice: v1 = -0.1, v2 = -0.19.
        // Plain momentum: θ = 1 - 0.1 - 0.19 = 0.71.
        // Nesterov: θ += μ·v - η·g: 1 - 0.19 - 0.271 = 0.539.
        for (nesterov, want) in [(false, 0.71), (true, 0.539)] {
            let sgd = Sgd {
                learning_rate: 0.1,
                momentum: 0.9,
                nesterov,
            };
            let mut p = params([1.0, 1.0], [1.0, 1.0]);
            let g = params([1.0, 1.0], [1.0, 1.0]);
            let mut state = SgdState::zeroed();
            sgd.update(&mut p, &g, &mut state);
            sgd.update(&mut p, &g, &mut state);
            approx::assert_relative_eq!(p.kernel[0], want, max_relative = 1e-12);
        }
    }
}
