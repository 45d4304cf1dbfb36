//! An activation as a layer of its own, `y = f(x)`, like Keras' `Activation("tanh")`.
//!
//! Backward: `∂L/∂x = (∂y/∂x)ᵀ·∂L/∂y`, the activation's own backward pass (element-wise
//! `f'(x) ⊙ ∂L/∂y`, or softmax's Jacobian-vector product).

use core::marker::PhantomData;

use nalgebra::SMatrix;
use rand::RngCore;

use crate::activation::Activation as Function;
use crate::layer::{Head, Layer, NoParams, Shape, Size};
use crate::{Float, Zeroed};

/// Applies the activation `A` to `N` features.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activation<T, const N: usize, A>(PhantomData<(T, A)>);

// Safety: a PhantomData has no bytes.
unsafe impl<T, const N: usize, A> Zeroed for Activation<T, N, A> {}

impl<T, const N: usize, A> Activation<T, N, A> {
    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        Activation(PhantomData)
    }
}

impl<T, const N: usize, A> Shape for Activation<T, N, A> {
    type Input = Size<N>;
    type Output = Size<N>;
}

impl<T: Float, const N: usize, A: Function> Layer<T, N, N> for Activation<T, N, A> {
    type Tape<const B: usize> = ();
    type Grad = NoParams;
    const HEAD: Head = A::HEAD;

    fn forward<const B: usize>(&self, x: &SMatrix<T, N, B>, y: &mut SMatrix<T, N, B>) {
        y.copy_from(x);
        A::apply(y.as_mut_slice(), N);
    }

    fn forward_train<const B: usize, R: RngCore + ?Sized>(
        &self,
        x: &SMatrix<T, N, B>,
        y: &mut SMatrix<T, N, B>,
        _: &mut (),
        _: Option<&mut R>,
    ) {
        self.forward(x, y);
    }

    fn backward<const B: usize>(
        &self,
        x: &SMatrix<T, N, B>,
        y: &SMatrix<T, N, B>,
        _: &mut (),
        dy: &mut SMatrix<T, N, B>,
        logits: bool,
        _: &mut NoParams,
        dx: Option<&mut SMatrix<T, N, B>>,
    ) {
        if !logits {
            A::backward(x.as_slice(), y.as_slice(), dy.as_mut_slice(), N);
        }
        if let Some(dx) = dx {
            dx.copy_from(dy);
        }
    }
}

crate::layer::no_params!([T, const N: usize, A] Activation<T, N, A>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Gelu, LeakyRelu, Softmax, Swish, Tanh};
    use crate::gradcheck::check_layer;

    #[test]
    fn gradients_match_finite_differences() {
        check_layer::<Activation<f64, 5, Tanh>, 5, 5>();
        check_layer::<Activation<f64, 5, Softmax>, 5, 5>();
        check_layer::<Activation<f64, 5, Swish>, 5, 5>();
        check_layer::<Activation<f64, 5, Gelu>, 5, 5>();
        check_layer::<Activation<f64, 5, LeakyRelu>, 5, 5>();
    }
}
