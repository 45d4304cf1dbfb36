//! Optimizers with Keras' defaults.
//!
//! An optimizer is its hyperparameters only; its per-parameter state (momenta) lives in a
//! [`Optimizer::State`] shaped exactly like the gradient, so one update is a monomorphized loop
//! over the parameter tensors ([`Params`]) with no allocation.

mod adam;
mod sgd;

pub use adam::{Adam, AdamState};
pub use sgd::{Sgd, SgdState};

use crate::{Float, Params, Zeroed};

/// An update rule `θ ← θ - step(∂L/∂θ, state)`.
pub trait Optimizer<T: Float> {
    /// The per-parameter state for parameters listed like `G`.
    type State<G: Params<T> + Zeroed>: Zeroed;
    /// How many parameter-shaped buffers [`State`](Optimizer::State) holds: Adam's `m` and `v`
    /// (2), SGD's velocity (1). Used by the networks' memory figures.
    const STATE_SLOTS: usize;
    /// The bytes of state beyond those buffers, before padding: Adam's `u64` step count.
    const STATE_EXTRA_BYTES: usize;

    /// Applies one update to `params` from `grad`, advancing `state`.
    ///
    /// `params`, `grad` and the state list the same tensors in the same order (a network and
    /// its `Grad` type do).
    fn update<P: Params<T>, G: Params<T> + Zeroed>(
        &self,
        params: &mut P,
        grad: &G,
        state: &mut Self::State<G>,
    );

    /// [`update`](Optimizer::update) at the end of a training step on a batch of `batch`
    /// samples, as [`Trainer`](crate::Trainer) calls it.
    ///
    /// The batch size only matters with the `parallel` feature: Adam then updates a tensor on
    /// two threads only if the step's products split it too, so that each thread updates the
    /// weights it reads next. Otherwise half of them would move between the cores' caches, which
    /// made a batch-1 step of the seed network 1.6x slower. The default is `update`.
    fn update_after_step<P: Params<T>, G: Params<T> + Zeroed>(
        &self,
        params: &mut P,
        grad: &G,
        state: &mut Self::State<G>,
        batch: usize,
    ) {
        let _ = batch;
        self.update(params, grad, state)
    }

    /// The learning rate of the next update.
    fn learning_rate(&self) -> f64;

    /// Changes the learning rate, for schedules.
    fn set_learning_rate(&mut self, lr: f64);
}
