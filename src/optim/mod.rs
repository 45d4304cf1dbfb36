//! Optimizers with Keras' defaults.
//!
//! An optimizer is its hyperparameters only; its per-parameter state (momenta) lives in a
//! [`Optimizer::State`] shaped exactly like the gradient, so one update is a monomorphized loop
//! over the parameter tensors ([`Params`]) with no allocation.

mod adam;
mod sgd;

pub(crate) use adam::{adam_f32, adam_fused};
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

    /// The learning rate of the next update.
    fn learning_rate(&self) -> f64;

    /// Changes the learning rate, for schedules.
    fn set_learning_rate(&mut self, lr: f64);
}
