//! Activation functions: zero-sized types usable on any shape.
//!
//! Each is applied to a batch as consecutive runs of `n` values: the samples of a flat batch
//! (one per column of an `SMatrix`), or each pixel's channels of an image. Element-wise
//! activations give `f` and `f'`; [`Softmax`] works per run and overrides the batch methods.
//! Each file states the function and its derivative.

mod gelu;
mod identity;
mod leaky_relu;
mod relu;
mod sigmoid;
mod softmax;
mod swish;
mod tanh;

pub use gelu::Gelu;
pub use identity::Identity;
pub use leaky_relu::LeakyRelu;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use softmax::Softmax;
pub use swish::Swish;
pub use tanh::Tanh;

use crate::{Float, Head};

/// An activation function `y = f(z)`, applied to a batch whose samples are consecutive runs of
/// `n` values.
///
/// Element-wise activations implement [`Elementwise`] and get this trait for free; a
/// per-sample activation ([`Softmax`]) implements it directly.
pub trait Activation: Copy + Default + Send + Sync + core::fmt::Debug + 'static {
    /// The name used in summaries and error messages, as written in `network!`.
    const NAME: &'static str;
    /// Which fused loss gradients this activation allows when it ends a network.
    const HEAD: Head;
    /// The cost of [`apply`](Activation::apply) per value, relative to a ReLU's (which only
    /// reads and writes memory). With the `parallel` feature, a layer's activation passes,
    /// forward and backward, are split between the threads from `8192 / COST` values.
    const COST: usize = 1;

    /// `v ← f(v)`, where `v` holds whole samples of `n` values each.
    ///
    /// Each sample must be computed on its own: with the `parallel` feature, a batch is cut
    /// between samples and the parts run on two threads.
    fn apply<T: Float>(v: &mut [T], n: usize);

    /// `d ← (∂y/∂z)ᵀ·d`: turns `∂L/∂y` into `∂L/∂z` in place, given `z` and `y`, sample by
    /// sample as in [`apply`](Activation::apply).
    fn backward<T: Float>(z: &[T], y: &[T], d: &mut [T], n: usize);
}

/// An activation applied to each element on its own: `y = f(z)`, `∂y/∂z = f'(z)`.
pub trait Elementwise: Copy + Default + Send + Sync + core::fmt::Debug + 'static {
    /// The name used in summaries and error messages, as written in `network!`.
    const NAME: &'static str;
    /// Which fused loss gradients this activation allows when it ends a network.
    const HEAD: Head = Head::Other;
    /// As [`Activation::COST`].
    const COST: usize = 1;

    /// `f(z)`.
    fn f<T: Float>(z: T) -> T;

    /// `f'(z)`, given `z` and `y = f(z)` (whichever is cheaper to use).
    fn df<T: Float>(z: T, y: T) -> T;
}

impl<A: Elementwise> Activation for A {
    const NAME: &'static str = A::NAME;
    const HEAD: Head = A::HEAD;
    const COST: usize = A::COST;

    #[inline]
    fn apply<T: Float>(v: &mut [T], _n: usize) {
        for x in v {
            *x = A::f(*x);
        }
    }

    /// The Jacobian is diagonal: `∂L/∂z = ∂L/∂y ⊙ f'(z)`.
    #[inline]
    fn backward<T: Float>(z: &[T], y: &[T], d: &mut [T], _n: usize) {
        for ((d, &z), &y) in d.iter_mut().zip(z).zip(y) {
            *d *= A::df(z, y);
        }
    }
}

/// [`Activation::COST`] of the activations built on `exp` or `erf`: on the machine of the
/// README, a dense layer's forward pass over 128×10 values took 7.3 us more with a softmax
/// than with the identity and 5.5 us more with a sigmoid (about 5 ns per value), while a ReLU
/// added nothing measurable to the pass that adds the bias.
pub(crate) const TRANSCENDENTAL: usize = 16;

/// The logistic function `1 / (1 + e^(-z))`, computed without overflow for large `|z|`.
#[inline]
pub(crate) fn logistic<T: Float>(z: T) -> T {
    if z >= T::zero() {
        T::one() / (T::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::one() + e)
    }
}

#[cfg(test)]
pub(crate) mod check;
