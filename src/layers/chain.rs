//! Two layers one after the other, `y = g(f(x))`: composing layers by hand, without the macro.
//!
//! With `h = f(x)`, backward is the chain rule: `∂L/∂h = g.backward(∂L/∂y)`, then
//! `∂L/∂x = f.backward(∂L/∂h)`. Inference keeps `h` in the chain's scratch ([`ChainScratch`]),
//! training in its tape ([`ChainTape`]). The middle shape is the first layer's output, so a second
//! layer that takes another shape does not compile (``error[E0277]: `Dense<f32, 127, 10>` does
//! not take inputs of shape `Flat<128>` ``):
//!
//! ```compile_fail
//! use liandan::prelude::*;
//! use liandan::layers::{Chain, Dense};
//! // 784 -> 128, then a layer that takes 127: rejected by the type checker.
//! let net = Chain::new(Dense::<f32, 784, 128, Relu>::zeroed(), Dense::<f32, 127, 10>::zeroed());
//! ```
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::{Chain, Dense};
//! let net = Chain::new(Dense::<f64, 4, 3, Relu>::zeroed(), Dense::<f64, 3, 2, Softmax>::zeroed());
//! let mut y = SMatrix::<f64, 2, 1>::zeros();
//! let mut scratch = Zeroed::zeroed(); // a `ChainScratch`: the middle batch, 3 values
//! net.forward(&SMatrix::<f64, 4, 1>::zeros(), &mut y, &mut scratch);
//! assert_eq!(y, SMatrix::<f64, 2, 1>::new(0.5, 0.5));
//! ```

use rand::RngCore;

use crate::layer::{
    reborrow, Accepts, Backward, BufferMut, BufferRef, Buffers, Forward, Head, Params, Seed,
    TensorInfo, Train,
};
use crate::shape::Batch;
use crate::Zeroed;

/// `first` then `second`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chain<F, S> {
    /// The layer applied first.
    pub first: F,
    /// The layer applied to the first one's output.
    pub second: S,
}

impl<F: Forward, S: Forward<Element = F::Element> + Accepts<F::Output>> Chain<F, S> {
    /// Chains two layers; the second must take the first one's output shape.
    pub fn new(first: F, second: S) -> Self {
        Chain { first, second }
    }
}

// Safety: both fields are `Zeroed`.
unsafe impl<F: Zeroed, S: Zeroed> Zeroed for Chain<F, S> {}

/// What a chain keeps between its forward and backward passes: each layer's tape, and the
/// middle batch `M` and its gradient.
#[derive(Debug)]
pub struct ChainTape<TF, TS, M> {
    first: TF,
    second: TS,
    /// `h = f(x)`.
    middle: M,
    /// `∂L/∂h`.
    d_middle: M,
}

// Safety: every field is `Zeroed`.
unsafe impl<TF: Zeroed, TS: Zeroed, M: Zeroed> Zeroed for ChainTape<TF, TS, M> {}

/// What a chain's inference works in: each layer's scratch, and the middle batch `M`.
#[derive(Debug)]
pub struct ChainScratch<SF, SS, M> {
    first: SF,
    second: SS,
    /// `h = f(x)`.
    middle: M,
}

// Safety: every field is `Zeroed`.
unsafe impl<SF: Zeroed, SS: Zeroed, M: Zeroed> Zeroed for ChainScratch<SF, SS, M> {}

impl<F, S> Forward for Chain<F, S>
where
    F: Forward,
    S: Forward<Element = F::Element> + Accepts<F::Output>,
{
    type Element = F::Element;
    type Input = F::Input;
    type Output = S::Output;
    type Scratch<const B: usize> =
        ChainScratch<F::Scratch<B>, S::Scratch<B>, Batch<F::Element, F::Output, B>>;

    fn forward<const B: usize>(
        &self,
        x: &Batch<F::Element, F::Input, B>,
        y: &mut Batch<F::Element, S::Output, B>,
        scratch: &mut Self::Scratch<B>,
    ) {
        let ChainScratch {
            first,
            second,
            middle,
        } = scratch;
        self.first.forward(x, middle, first);
        self.second.forward(middle, y, second);
    }
}

impl<F, S> Accepts<F::Input> for Chain<F, S>
where
    F: Forward,
    S: Forward<Element = F::Element> + Accepts<F::Output>,
{
}

impl<F, S> Train for Chain<F, S>
where
    F: Train,
    S: Train<Element = F::Element> + Accepts<F::Output>,
{
    type Tape<const B: usize> = ChainTape<F::Tape<B>, S::Tape<B>, Batch<F::Element, F::Output, B>>;
    type Grad = (F::Grad, S::Grad);
    const HEAD: Head = S::HEAD;

    fn forward_in<const B: usize>(
        &self,
        x: &Batch<F::Element, F::Input, B>,
        y: &mut Batch<F::Element, S::Output, B>,
        tape: &mut Self::Tape<B>,
    ) {
        self.first.forward_in(x, &mut tape.middle, &mut tape.first);
        self.second.forward_in(&tape.middle, y, &mut tape.second);
    }

    fn forward_train<const B: usize>(
        &self,
        x: &Batch<F::Element, F::Input, B>,
        y: &mut Batch<F::Element, S::Output, B>,
        tape: &mut Self::Tape<B>,
        mut rng: Option<&mut dyn RngCore>,
    ) {
        let middle = &mut tape.middle;
        self.first
            .forward_train(x, middle, &mut tape.first, reborrow(&mut rng));
        self.second
            .forward_train(&tape.middle, y, &mut tape.second, rng);
    }

    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        let ChainTape {
            first,
            second,
            middle,
            d_middle,
        } = ctx.tape;
        self.second.backward(Backward {
            x: middle,
            y: ctx.y,
            tape: second,
            dy: ctx.dy,
            seed: ctx.seed,
            grad: &mut ctx.grad.1,
            mode: ctx.mode,
            dx: Some(d_middle),
        });
        self.first.backward(Backward {
            x: ctx.x,
            y: middle,
            tape: first,
            dy: d_middle,
            seed: Seed::Output,
            grad: &mut ctx.grad.0,
            mode: ctx.mode,
            dx: ctx.dx,
        });
    }

    fn init<R: RngCore + ?Sized>(&mut self, rng: &mut R) {
        self.first.init(rng);
        self.second.init(rng);
    }
}

impl<T, F: Params<T>, S: Params<T>> Params<T> for Chain<F, S> {
    const TENSORS: usize = F::TENSORS + S::TENSORS;
    const PARAMS: usize = F::PARAMS + S::PARAMS;
    fn tensor(&self, i: usize) -> &[T] {
        if i < F::TENSORS {
            self.first.tensor(i)
        } else {
            self.second.tensor(i - F::TENSORS)
        }
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        if i < F::TENSORS {
            self.first.tensor_mut(i)
        } else {
            self.second.tensor_mut(i - F::TENSORS)
        }
    }
    fn tensor_info(i: usize) -> Option<TensorInfo> {
        if i < F::TENSORS {
            F::tensor_info(i)
        } else {
            S::tensor_info(i - F::TENSORS)
        }
    }
}

impl<F: Buffers, S: Buffers> Buffers for Chain<F, S> {
    const BUFFERS: usize = F::BUFFERS + S::BUFFERS;
    const BUFFER_VALUES: usize = F::BUFFER_VALUES + S::BUFFER_VALUES;
    const BUFFER_BYTES: usize = F::BUFFER_BYTES + S::BUFFER_BYTES;
    fn buffer(&self, i: usize) -> Option<BufferRef<'_>> {
        if i < F::BUFFERS {
            self.first.buffer(i)
        } else {
            self.second.buffer(i - F::BUFFERS)
        }
    }
    fn buffer_mut(&mut self, i: usize) -> Option<BufferMut<'_>> {
        if i < F::BUFFERS {
            self.first.buffer_mut(i)
        } else {
            self.second.buffer_mut(i - F::BUFFERS)
        }
    }
    fn buffer_info(i: usize) -> Option<TensorInfo> {
        if i < F::BUFFERS {
            F::buffer_info(i)
        } else {
            S::buffer_info(i - F::BUFFERS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Sigmoid, Tanh};
    use crate::gradcheck::check_layer;
    use crate::layers::{Dense, Dropout};
    use crate::shape::Flat;

    type Net = Chain<
        Dense<f64, 4, 5, Tanh>,
        Chain<Dropout<f64, Flat<5>, 500_000>, Dense<f64, 5, 3, Sigmoid>>,
    >;

    #[test]
    fn chain_rule_matches_finite_differences() {
        check_layer::<Net>();
    }

    #[test]
    fn params_are_listed_in_order() {
        assert_eq!(<Net as Params<f64>>::TENSORS, 4);
        assert_eq!(<Net as Params<f64>>::PARAMS, 4 * 5 + 5 + 5 * 3 + 3);
        let net = Net::zeroed();
        assert_eq!(net.tensor(2).len(), 15);
        assert_eq!(net.tensor(3).len(), 3);
    }
}
