//! An activation as a layer of its own, `y = f(x)`, like Keras' `Activation("tanh")`.
//!
//! Any shape: an element-wise activation applies to every value, and a softmax to each run
//! along the last axis (each sample of a [`Flat`](crate::shape::Flat) shape; each pixel's
//! channels of an image), as Keras' `axis=-1`.
//!
//! Backward: `∂L/∂x = (∂y/∂x)ᵀ·∂L/∂y`, the activation's own backward pass (element-wise
//! `f'(x) ⊙ ∂L/∂y`, or softmax's Jacobian-vector product per run).

use core::marker::PhantomData;

use rand::RngCore;

use crate::activation::Activation as Function;
use crate::layer::{Accepts, Backward, Forward, Head, NoParams, Seed, Train};
use crate::shape::{Batch, Buffer, Shape};
use crate::{Float, Zeroed};

/// Applies the activation `A` to samples of shape `S`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activation<T, S, A>(PhantomData<(T, S, A)>);

// Safety: a PhantomData has no bytes.
unsafe impl<T, S, A> Zeroed for Activation<T, S, A> {}

impl<T, S, A> Activation<T, S, A> {
    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        Activation(PhantomData)
    }
}

impl<T: Float, S: Shape, A: Function> Activation<T, S, A> {
    /// The length of the runs a per-sample activation works on: the last axis.
    const RUN: usize = match S::DIMS.last() {
        Some(&n) => n,
        None => 1,
    };
}

impl<T: Float, S: Shape, A: Function> Forward for Activation<T, S, A> {
    type Element = T;
    type Input = S;
    type Output = S;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(&self, x: &Batch<T, S, B>, y: &mut Batch<T, S, B>, _: &mut ()) {
        y.as_mut_slice().copy_from_slice(x.as_slice());
        A::apply(y.as_mut_slice(), Self::RUN);
    }
}

impl<T: Float, S: Shape, A: Function> Accepts<S> for Activation<T, S, A> {}

impl<T: Float, S: Shape, A: Function> Train for Activation<T, S, A> {
    type Tape<const B: usize> = ();
    type Grad = NoParams;
    /// A softmax fuses with a loss only over whole samples: a flat shape.
    const HEAD: Head = if S::DIMS.len() == 1 {
        A::HEAD
    } else {
        Head::Other
    };

    fn forward_train<const B: usize>(
        &self,
        x: &Batch<T, S, B>,
        y: &mut Batch<T, S, B>,
        _: &mut (),
        _: Option<&mut dyn RngCore>,
    ) {
        self.forward(x, y, &mut ());
    }

    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        if ctx.seed == Seed::Output {
            let (x, y) = (ctx.x.as_slice(), ctx.y.as_slice());
            A::backward(x, y, ctx.dy.as_mut_slice(), Self::RUN);
        }
        if let Some(dx) = ctx.dx {
            dx.as_mut_slice().copy_from_slice(ctx.dy.as_slice());
        }
    }
}

crate::layer::no_params!([T, S, A] Activation<T, S, A>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Gelu, LeakyRelu, Softmax, Swish, Tanh};
    use crate::gradcheck::check_layer;
    use crate::shape::{Flat, Hwc};

    #[test]
    fn gradients_match_finite_differences() {
        check_layer::<Activation<f64, Flat<5>, Tanh>>();
        check_layer::<Activation<f64, Flat<5>, Softmax>>();
        check_layer::<Activation<f64, Flat<5>, Swish>>();
        check_layer::<Activation<f64, Flat<5>, Gelu>>();
        check_layer::<Activation<f64, Flat<5>, LeakyRelu>>();
        check_layer::<Activation<f64, Hwc<2, 2, 3>, Softmax>>();
    }

    #[test]
    fn softmax_of_an_image_is_per_pixel_over_its_channels() {
        let layer = Activation::<f64, Hwc<1, 2, 2>, Softmax>::new();
        let x = Batch::<f64, Hwc<1, 2, 2>, 1>::from_slice(&[0.0, 0.0, 1.0, 1.0]);
        let mut y = Zeroed::zeroed();
        layer.forward(&x, &mut y, &mut ());
        assert_eq!(y.as_slice(), [0.5; 4]);
        assert_eq!(
            <Activation<f64, Hwc<1, 2, 2>, Softmax> as Train>::HEAD,
            Head::Other
        );
    }

    crate::network! {
        struct PixelClasses { input: [1, 2, 2], Activation<Softmax> }
    }

    #[test]
    fn network_accepts_a_softmax_of_an_image_and_gives_the_layers_answer() {
        let net = PixelClasses::<f64>::boxed();
        let x = Batch::<f64, Hwc<1, 2, 2>, 1>::from_slice(&[0.0, 0.0, 1.0, 1.0]);
        let y = crate::Network::predict(&*net, &x);
        assert_eq!(y.as_slice(), [0.5; 4]);
    }
}
