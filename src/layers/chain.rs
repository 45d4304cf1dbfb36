//! Two layers one after the other, `y = g(f(x))`: composing layers by hand, without the macro.
//!
//! With `h = f(x)`, backward is the chain rule: `∂L/∂h = g.backward(∂L/∂y)`, then
//! `∂L/∂x = f.backward(∂L/∂h)`. The middle width `M` is read off the first layer's type, so a
//! second layer of another input width does not compile:
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
//! net.forward(&SMatrix::<f64, 4, 1>::zeros(), &mut y);
//! assert_eq!(y, SMatrix::<f64, 2, 1>::new(0.5, 0.5));
//! ```

use nalgebra::SMatrix;
use rand::RngCore;

use crate::layer::{Head, Layer, Params, Shape, Size, TensorInfo};
use crate::{Float, Zeroed};

/// `first` then `second`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chain<F, S> {
    /// The layer applied first.
    pub first: F,
    /// The layer applied to the first one's output.
    pub second: S,
}

impl<F, S> Chain<F, S> {
    /// Chains two layers; the second's input width must be the first's output width.
    pub fn new<T: Float, const I: usize, const M: usize, const O: usize>(
        first: F,
        second: S,
    ) -> Self
    where
        F: Layer<T, I, M> + Shape<Output = Size<M>>,
        S: Layer<T, M, O> + Shape<Output = Size<O>>,
    {
        Chain { first, second }
    }
}

// Safety: both fields are `Zeroed`.
unsafe impl<F: Zeroed, S: Zeroed> Zeroed for Chain<F, S> {}

impl<F: Shape, S: Shape> Shape for Chain<F, S> {
    type Input = F::Input;
    type Output = S::Output;
}

/// What a chain keeps between its forward and backward passes at batch size `B`.
#[derive(Debug)]
pub struct ChainTape<TF, TS, T, const M: usize, const B: usize> {
    first: TF,
    second: TS,
    /// `h = f(x)`.
    middle: SMatrix<T, M, B>,
    /// `∂L/∂h`.
    d_middle: SMatrix<T, M, B>,
}

// Safety: every field is `Zeroed`.
unsafe impl<TF: Zeroed, TS: Zeroed, T: Zeroed, const M: usize, const B: usize> Zeroed
    for ChainTape<TF, TS, T, M, B>
{
}

impl<T, F, S, const I: usize, const M: usize, const O: usize> Layer<T, I, O> for Chain<F, S>
where
    T: Float,
    F: Layer<T, I, M> + Shape<Output = Size<M>>,
    S: Layer<T, M, O>,
{
    type Tape<const B: usize> = ChainTape<F::Tape<B>, S::Tape<B>, T, M, B>;
    type Grad = (F::Grad, S::Grad);
    const HEAD: Head = S::HEAD;

    fn forward<const B: usize>(&self, x: &SMatrix<T, I, B>, y: &mut SMatrix<T, O, B>) {
        let mut h = SMatrix::<T, M, B>::zeros();
        self.first.forward(x, &mut h);
        self.second.forward(&h, y);
    }

    fn forward_in<const B: usize>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &mut SMatrix<T, O, B>,
        tape: &mut Self::Tape<B>,
    ) {
        self.first.forward_in(x, &mut tape.middle, &mut tape.first);
        self.second.forward_in(&tape.middle, y, &mut tape.second);
    }

    fn forward_train<const B: usize, R: RngCore + ?Sized>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &mut SMatrix<T, O, B>,
        tape: &mut Self::Tape<B>,
        mut rng: Option<&mut R>,
    ) {
        let middle = &mut tape.middle;
        self.first
            .forward_train(x, middle, &mut tape.first, rng.as_deref_mut());
        self.second
            .forward_train(&tape.middle, y, &mut tape.second, rng);
    }

    fn backward<const B: usize>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &SMatrix<T, O, B>,
        tape: &mut Self::Tape<B>,
        dy: &mut SMatrix<T, O, B>,
        logits: bool,
        grad: &mut Self::Grad,
        dx: Option<&mut SMatrix<T, I, B>>,
    ) {
        let ChainTape {
            first,
            second,
            middle,
            d_middle,
        } = tape;
        self.second
            .backward(middle, y, second, dy, logits, &mut grad.1, Some(d_middle));
        self.first
            .backward(x, middle, first, d_middle, false, &mut grad.0, dx);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Sigmoid, Tanh};
    use crate::gradcheck::check_layer;
    use crate::layers::{Dense, Dropout};

    type Net =
        Chain<Dense<f64, 4, 5, Tanh>, Chain<Dropout<f64, 5, 500_000>, Dense<f64, 5, 3, Sigmoid>>>;

    #[test]
    fn chain_rule_matches_finite_differences() {
        check_layer::<Net, 4, 3>();
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
