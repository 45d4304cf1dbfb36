//! A fully connected layer: `y = f(W·x + b)`.
//!
//! Shapes: the kernel `W` is `O×I` (stored column-major, which is byte for byte Keras' `(in,
//! out)` row-major kernel), the bias `b` has `O` entries, and a batch `x` is `I×B`.
//!
//! Backward, with `z = W·x + b` and `δ = ∂L/∂z = f'(z) ⊙ ∂L/∂y` (the activation's own backward):
//! - `∂L/∂W = δ·xᵀ` (summed over the batch's columns),
//! - `∂L/∂b = Σ_columns δ`,
//! - `∂L/∂x = Wᵀ·δ`.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::Dense;
//! let mut layer = Dense::<f64, 3, 2, Relu>::zeroed();
//! layer.kernel[(0, 0)] = 1.0;
//! layer.bias[1] = -0.5;
//! let x = SMatrix::<f64, 3, 1>::new(2.0, 0.0, 0.0);
//! let mut y = SMatrix::<f64, 2, 1>::zeros();
//! layer.forward(&x, &mut y, &mut ());
//! assert_eq!(y, SMatrix::<f64, 2, 1>::new(2.0, 0.0)); // relu(-0.5) = 0
//! ```

use core::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use rand::RngCore;

use crate::activation::Activation;
use crate::init::Initializer;
use crate::kernel::by_columns;
use crate::layer::{Accepts, Backward, Buffers, Forward, Head, Params, Seed, TensorInfo, Train};
use crate::linalg::{dense_gradients, gemm_nn};
use crate::shape::Flat;
use crate::{Float, Zeroed};

/// A dense layer from `I` to `O` features with activation `A`; it is also its own gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<T, const I: usize, const O: usize, A = crate::activation::Identity> {
    /// The weights `W`, one row per output unit.
    pub kernel: SMatrix<T, O, I>,
    /// The bias `b`, one entry per output unit.
    pub bias: SVector<T, O>,
    activation: PhantomData<A>,
}

// Safety: two matrices of zeroed floats and a PhantomData.
unsafe impl<T: Zeroed, const I: usize, const O: usize, A> Zeroed for Dense<T, I, O, A> {}

impl<T, const I: usize, const O: usize, A> Dense<T, I, O, A> {
    /// A layer with the given kernel (`O×I`, one row per output unit) and bias; `const`, so
    /// compiled-in weights (`network!`'s `weights:`) build it at compile time.
    pub const fn from_parts(kernel: SMatrix<T, O, I>, bias: SVector<T, O>) -> Self {
        Dense {
            kernel,
            bias,
            activation: PhantomData,
        }
    }
}

impl<T: Float, const I: usize, const O: usize, A: Activation> Dense<T, I, O, A> {
    /// Draws the kernel with `init` and sets the bias to zero.
    pub fn init_with<R: RngCore + ?Sized>(&mut self, init: Initializer, rng: &mut R) {
        init.fill(self.kernel.as_mut_slice(), I, O, rng);
        self.bias.fill(T::zero());
    }

    /// `z = W·x + b` into `z`.
    fn affine<const B: usize>(&self, x: &SMatrix<T, I, B>, z: &mut SMatrix<T, O, B>) {
        gemm_nn(z, &self.kernel, x, T::zero());
        for mut col in z.column_iter_mut() {
            col += &self.bias;
        }
    }
}

impl<T: Float, const I: usize, const O: usize, A: Activation> Forward for Dense<T, I, O, A> {
    type Element = T;
    type Input = Flat<I>;
    type Output = Flat<O>;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(&self, x: &SMatrix<T, I, B>, y: &mut SMatrix<T, O, B>, _: &mut ()) {
        self.affine(x, y);
        A::apply(y.as_mut_slice(), O);
    }
}

impl<T: Float, const I: usize, const O: usize, A: Activation> Accepts<Flat<I>>
    for Dense<T, I, O, A>
{
}

impl<T: Float, const I: usize, const O: usize, A: Activation> Train for Dense<T, I, O, A> {
    /// The pre-activation `z`, which the activation's derivative needs.
    type Tape<const B: usize> = SMatrix<T, O, B>;
    type Grad = Self;
    const HEAD: Head = A::HEAD;

    fn forward_train<const B: usize>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &mut SMatrix<T, O, B>,
        z: &mut SMatrix<T, O, B>,
        _rng: Option<&mut dyn RngCore>,
    ) {
        gemm_nn(z, &self.kernel, x, T::zero());
        let bias = self.bias.as_slice();
        // One pass per column: `z += b`, `y = f(z)`.
        let pass = |z: &mut [T], y: &mut [T]| {
            for (z, y) in z.chunks_exact_mut(O).zip(y.chunks_exact_mut(O)) {
                for ((z, y), &b) in z.iter_mut().zip(y.iter_mut()).zip(bias) {
                    *z += b;
                    *y = *z;
                }
                A::apply(y, O);
            }
        };
        let (z, y) = (z.as_mut_slice(), y.as_mut_slice());
        if O == 0 {
            return;
        }
        // Per column, so a split between the threads changes no bit.
        let work = (O * B).saturating_mul(A::COST);
        by_columns((O, B), work, (z, y), |(z, y), _| pass(z, y));
    }

    /// `δ = ∂L/∂z` in `dy` (unless it is the seed already), then the two products.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        let Backward {
            x,
            y,
            tape: z,
            dy,
            seed,
            grad,
            mode,
            dx,
        } = ctx;
        if seed == Seed::Output {
            let work = (O * B).saturating_mul(A::COST);
            let buffers = (z.as_slice(), y.as_slice(), dy.as_mut_slice());
            by_columns((O, B), work, buffers, |(z, y, dy), _| {
                A::backward(z, y, dy, O)
            });
        }
        let grad = (&mut grad.kernel, &mut grad.bias);
        dense_gradients(grad, dx, &self.kernel, (&*dy, x), mode.beta::<T>());
    }

    fn init<R: RngCore + ?Sized>(&mut self, rng: &mut R) {
        self.init_with(Initializer::GlorotUniform, rng);
    }
}

impl<T: Float, const I: usize, const O: usize, A> Params<T> for Dense<T, I, O, A> {
    const TENSORS: usize = 2;
    const PARAMS: usize = I * O + O;

    fn tensor(&self, i: usize) -> &[T] {
        match i {
            0 => self.kernel.as_slice(),
            1 => self.bias.as_slice(),
            _ => &[],
        }
    }

    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        match i {
            0 => self.kernel.as_mut_slice(),
            1 => self.bias.as_mut_slice(),
            _ => &mut [],
        }
    }

    fn tensor_info(i: usize) -> Option<TensorInfo> {
        let info = match i {
            // Keras' `(in, out)`, PyTorch's `nn.Linear.weight` `(out, in)`.
            0 => Some(TensorInfo::new("kernel", const { &[I, O] }).torch(&[1, 0])),
            1 => Some(TensorInfo::new("bias", const { &[O] })),
            _ => None,
        };
        info.map(|t| t.kind("dense"))
    }
}

impl<T, const I: usize, const O: usize, A> Buffers for Dense<T, I, O, A> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Gelu, Identity, Relu, Sigmoid, Softmax, Swish, Tanh};
    use crate::gradcheck::check_layer;

    #[test]
    fn golden_forward() {
        // By hand: W = [[1, 2], [3, 4], [-1, 0]], b = [0.5, -1, 0], x = [1, -1]
        // W·x + b = [-0.5, -2, -1]; tanh of that, from numpy.tanh.
        let mut d = Dense::<f64, 2, 3, Tanh>::zeroed();
        d.kernel = SMatrix::<f64, 3, 2>::new(1.0, 2.0, 3.0, 4.0, -1.0, 0.0);
        d.bias = SVector::<f64, 3>::new(0.5, -1.0, 0.0);
        let mut y = SMatrix::<f64, 3, 1>::zeros();
        d.forward(&SMatrix::<f64, 2, 1>::new(1.0, -1.0), &mut y, &mut ());
        let want = [
            -0.46211715726000974,
            -0.9640275800758169,
            -0.7615941559557649,
        ];
        for (g, w) in y.iter().zip(want) {
            approx::assert_relative_eq!(*g, w, max_relative = 1e-12);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_layer::<Dense<f64, 5, 4, Identity>>();
        check_layer::<Dense<f64, 5, 4, Relu>>();
        check_layer::<Dense<f64, 5, 4, Tanh>>();
        check_layer::<Dense<f64, 5, 4, Sigmoid>>();
        check_layer::<Dense<f64, 5, 4, Softmax>>();
        check_layer::<Dense<f64, 5, 4, Swish>>();
        check_layer::<Dense<f64, 5, 4, Gelu>>();
    }

    #[test]
    fn overwriting_the_gradient_equals_adding_to_zeros() {
        let mut layer = Dense::<f32, 37, 13, Relu>::zeroed();
        layer.init(&mut crate::rng::SplitMix64::new(5));
        let x = SMatrix::<f32, 37, 7>::from_fn(|i, j| ((i * 7 + j) % 11) as f32 * 0.1 - 0.5);
        let (mut y, mut z) = (SMatrix::zeros(), SMatrix::zeros());
        layer.forward_train(
            &x,
            &mut y,
            &mut z,
            Some(&mut crate::rng::SplitMix64::new(1)),
        );
        let dy = SMatrix::<f32, 13, 7>::from_fn(|i, j| (i as f32 - j as f32) * 0.25);
        let mut added = Dense::<f32, 37, 13, Relu>::zeroed();
        let mut written = Dense::<f32, 37, 13, Relu>::zeroed();
        written.kernel.fill(f32::NAN); // never read
        written.bias.fill(f32::NAN);
        let (mut d1, mut d2, mut z1) = (dy, dy, z);
        layer.backward(Backward::new(&x, &y, &mut z1, &mut d1, &mut added));
        layer.backward(Backward::new(&x, &y, &mut z, &mut d2, &mut written).overwrite());
        let bits = |d: &Dense<f32, 37, 13, Relu>| {
            d.kernel
                .iter()
                .chain(d.bias.iter())
                .map(|v| v.to_bits())
                .collect::<std::vec::Vec<_>>()
        };
        assert_eq!(bits(&added), bits(&written));
    }

    #[test]
    fn training_forward_equals_inference_forward_bit_for_bit() {
        // Large enough for `parallel` to split the softmax and ReLU passes between threads
        // (10·64·16 and 128·64 values of work), which must not change a bit.
        fn same<A: Activation, const O: usize>() {
            let mut layer = Dense::<f32, 40, O, A>::zeroed();
            layer.init(&mut crate::rng::SplitMix64::new(5));
            let x = SMatrix::<f32, 40, 64>::from_fn(|i, j| ((i * 7 + j) % 11) as f32 * 0.1 - 0.5);
            let (mut y, mut z, mut inference) =
                (SMatrix::zeros(), SMatrix::zeros(), SMatrix::zeros());
            layer.forward_train(
                &x,
                &mut y,
                &mut z,
                Some(&mut crate::rng::SplitMix64::new(1)),
            );
            layer.forward(&x, &mut inference, &mut ());
            let bits = |m: &SMatrix<f32, O, 64>| {
                m.iter().map(|v| v.to_bits()).collect::<std::vec::Vec<_>>()
            };
            assert_eq!(bits(&y), bits(&inference), "{}", A::NAME);
        }
        same::<Softmax, 10>();
        same::<Relu, 128>();
        same::<Sigmoid, 10>();
    }

    #[test]
    fn backward_products_match_nalgebra() {
        // 128·10·64 multiply-adds per product: with `parallel`, the parameter gradient and
        // the input gradient are computed at the same time on the two threads.
        let mut layer = Dense::<f32, 128, 10, Identity>::zeroed();
        layer.init(&mut crate::rng::SplitMix64::new(5));
        let x = SMatrix::<f32, 128, 64>::from_fn(|i, j| ((i * 7 + j) % 11) as f32 * 0.1 - 0.5);
        let dy = SMatrix::<f32, 10, 64>::from_fn(|i, j| ((i * 3 + j) % 7) as f32 * 0.1 - 0.3);
        let (mut y, mut z) = (SMatrix::zeros(), SMatrix::zeros());
        layer.forward_train(
            &x,
            &mut y,
            &mut z,
            Some(&mut crate::rng::SplitMix64::new(1)),
        );
        let (mut grad, mut dx, mut d) = (Dense::zeroed(), SMatrix::zeros(), dy);
        let ctx = Backward::new(&x, &y, &mut z, &mut d, &mut grad);
        layer.backward(ctx.overwrite().input_gradient(&mut dx));
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-4);
        assert!(close(
            grad.kernel.as_slice(),
            (dy * x.transpose()).as_slice()
        ));
        assert!(close(grad.bias.as_slice(), dy.column_sum().as_slice()));
        assert!(close(
            dx.as_slice(),
            (layer.kernel.transpose() * dy).as_slice()
        ));
        // `backward` adds to the gradient instead.
        let mut d = dy;
        layer.backward(Backward::new(&x, &y, &mut z, &mut d, &mut grad).input_gradient(&mut dx));
        assert!(close(
            grad.kernel.as_slice(),
            (dy * x.transpose() * 2.0).as_slice()
        ));
        assert!(close(
            grad.bias.as_slice(),
            (dy.column_sum() * 2.0).as_slice()
        ));
    }

    #[test]
    fn params_are_kernel_then_bias() {
        assert_eq!(<Dense<f32, 784, 128, Relu> as Params<f32>>::PARAMS, 100_480);
        let d = Dense::<f32, 3, 2, Relu>::zeroed();
        assert_eq!(d.tensor(0).len(), 6);
        assert_eq!(d.tensor(1).len(), 2);
        assert!(d.tensor(2).is_empty());
    }
}
