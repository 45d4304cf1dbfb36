//! The layer contract and the parameter visitor; nothing else.
//!
//! A batch is an [`SMatrix<T, N, B>`](nalgebra::SMatrix): one column per sample, `N` features
//! per column, `B` samples. Every size is a const generic, so one training step is
//! monomorphized for the network and the batch size, and a size mismatch is a type error.
//!
//! The contract follows grenade: `forward_train` returns the output and fills a *tape* with what
//! `backward` needs; `backward` takes the tape and the output gradient and gives the input
//! gradient and the parameter gradient. Everything is written into caller-provided buffers, so
//! nothing allocates.

use nalgebra::SMatrix;
use rand::RngCore;

use crate::{Float, Zeroed};

/// A type-level size: `Size<784>` names the width of a layer's input or output.
///
/// Used by [`Shape`] so that generic code (a [`Chain`](crate::layers::Chain)) can read a layer's
/// output width off its type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size<const N: usize>;

/// The input and output widths of a layer, as types.
///
/// Every layer implements it with `Input = Size<I>, Output = Size<O>`, matching its
/// [`Layer<T, I, O>`] implementation.
pub trait Shape {
    /// `Size<I>`: the width of one input sample.
    type Input;
    /// `Size<O>`: the width of one output sample.
    type Output;
}

/// What the last operation of a layer is, so a loss can fuse its gradient with it.
///
/// Softmax followed by cross-entropy has the gradient `p - y` with respect to the logits, and
/// sigmoid followed by binary cross-entropy the same; computing it directly is exact and stable
/// where the chain rule through the clipped probabilities is neither (Keras does the same
/// through its cached logits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// The output is `z` itself.
    Identity,
    /// The output is `softmax(z)` per sample.
    Softmax,
    /// The output is `sigmoid(z)` element by element.
    Sigmoid,
    /// Anything else: no fused gradient is possible.
    Other,
}

/// A differentiable map from `I` features to `O` features per sample.
///
/// `T` is the scalar (`f32` or `f64`). Implemented by every layer in [`layers`](crate::layers),
/// by [`Chain`](crate::layers::Chain), and by every network `network!` declares, so networks
/// nest.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not map {I} inputs to {O} outputs",
    label = "the layer sizes do not fit together here",
    note = "each layer's input width must equal the output width of the layer before it"
)]
pub trait Layer<T: Float, const I: usize, const O: usize>: Shape + Params<T> {
    /// What [`forward_train`](Layer::forward_train) keeps for [`backward`](Layer::backward) at
    /// batch size `B`.
    type Tape<const B: usize>: Zeroed;
    /// The parameter gradient: the same tensors, in the same order, as the layer's parameters.
    type Grad: Params<T> + Zeroed;
    /// The last operation of the layer, for fused loss gradients.
    const HEAD: Head;

    /// Inference: `y = f(x)` with dropout off.
    fn forward<const B: usize>(&self, x: &SMatrix<T, I, B>, y: &mut SMatrix<T, O, B>);

    /// Inference like [`forward`](Layer::forward), but with intermediate activations kept in
    /// `tape` instead of on the stack: for large networks or batches, where the stack may not
    /// hold them. Layers without intermediates just call `forward`.
    fn forward_in<const B: usize>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &mut SMatrix<T, O, B>,
        tape: &mut Self::Tape<B>,
    ) {
        let _ = tape;
        self.forward(x, y);
    }

    /// Training forward pass: `y = f(x)`, keeping in `tape` what backward needs.
    ///
    /// Dropout draws its masks from `rng`; with `None` it is off (every feature kept,
    /// unscaled), an explicit choice for a step that should not drop anything.
    fn forward_train<const B: usize, R: RngCore + ?Sized>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &mut SMatrix<T, O, B>,
        tape: &mut Self::Tape<B>,
        rng: Option<&mut R>,
    );

    /// Backward pass: adds `∂L/∂θ` to `grad` and, if asked, writes `∂L/∂x` into `dx`.
    ///
    /// `x`, `y` and `tape` are what the matching `forward_train` saw and produced. `dy` holds
    /// `∂L/∂y` and is used as scratch (it is overwritten). With `logits` set, `dy` is instead
    /// the gradient with respect to the input of the layer's final activation (a fused loss
    /// gradient, see [`Head`]), and that activation's derivative is skipped.
    #[allow(clippy::too_many_arguments)]
    fn backward<const B: usize>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &SMatrix<T, O, B>,
        tape: &mut Self::Tape<B>,
        dy: &mut SMatrix<T, O, B>,
        logits: bool,
        grad: &mut Self::Grad,
        dx: Option<&mut SMatrix<T, I, B>>,
    );

    /// [`backward`](Layer::backward), but `grad` is overwritten with `∂L/∂θ` rather than added
    /// to: what a training step wants, without a pass zeroing the gradient first. The default
    /// zeroes `grad` and calls `backward`; `Dense` and declared networks write it directly.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    fn backward_overwrite<const B: usize>(
        &self,
        x: &SMatrix<T, I, B>,
        y: &SMatrix<T, O, B>,
        tape: &mut Self::Tape<B>,
        dy: &mut SMatrix<T, O, B>,
        logits: bool,
        grad: &mut Self::Grad,
        dx: Option<&mut SMatrix<T, I, B>>,
    ) {
        grad.set_zero();
        self.backward(x, y, tape, dy, logits, grad, dx);
    }

    /// Draws fresh initial parameters with the layer's default initialiser (glorot-uniform
    /// kernels and zero biases for `Dense`, as Keras). Layers without parameters do nothing.
    fn init<R: RngCore + ?Sized>(&mut self, rng: &mut R) {
        let _ = rng;
    }
}

/// The parameter visitor: a fixed, ordered list of tensors, each a flat slice.
///
/// Written once per layer, it serves everything that treats parameters generically: optimizer
/// updates, `param_count`, gradient checking, saving and loading. A layer, its gradient and an
/// optimizer's state for it list the same tensors in the same order.
pub trait Params<T> {
    /// How many tensors there are.
    const TENSORS: usize;
    /// How many scalars there are in all tensors together.
    const PARAMS: usize;

    /// Tensor `i` in column-major order, or an empty slice if `i >= TENSORS`.
    fn tensor(&self, i: usize) -> &[T];

    /// Tensor `i` in column-major order, mutably, or an empty slice if `i >= TENSORS`.
    fn tensor_mut(&mut self, i: usize) -> &mut [T];

    /// The name and shape of tensor `i`, or `None` if `i >= TENSORS`.
    fn tensor_info(i: usize) -> Option<TensorInfo>;
}

/// The name and shape of a parameter tensor, for summaries and weight files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// The layer's name in its network (`"dense_1"`), or `""` for a bare layer.
    pub layer: &'static str,
    /// The tensor's name within its layer (`"kernel"`, `"bias"`).
    pub name: &'static str,
    /// The shape in Keras' convention: a kernel is `[inputs, outputs]`, a bias `[outputs]`
    /// (`[outputs, 1]` here, the second entry being 1 for vectors).
    ///
    /// The data is stored so that this shape read row-major gives the same bytes: liandan's
    /// column-major `O×I` kernel is Keras' row-major `(I, O)` kernel.
    pub shape: [usize; 2],
    /// Whether the tensor is a vector (one dimension) rather than a matrix.
    pub vector: bool,
}

impl TensorInfo {
    /// The same tensor, placed in the layer `layer` (used by networks and chains).
    pub const fn in_layer(self, layer: &'static str) -> Self {
        TensorInfo { layer, ..self }
    }
}

/// Implements [`Params`] with no tensors for a layer without parameters.
macro_rules! no_params {
    ([$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> $crate::layer::Params<T> for $ty {
            const TENSORS: usize = 0;
            const PARAMS: usize = 0;
            fn tensor(&self, _: usize) -> &[T] {
                &[]
            }
            fn tensor_mut(&mut self, _: usize) -> &mut [T] {
                &mut []
            }
            fn tensor_info(_: usize) -> Option<$crate::layer::TensorInfo> {
                None
            }
        }
    };
}
pub(crate) use no_params;

/// The gradient of a layer with no parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoParams;

// Safety: a unit struct has no bytes.
unsafe impl Zeroed for NoParams {}

no_params!([T] NoParams);

/// Two parameter lists one after the other: the gradient of a [`Chain`](crate::layers::Chain).
impl<T, P: Params<T>, Q: Params<T>> Params<T> for (P, Q) {
    const TENSORS: usize = P::TENSORS + Q::TENSORS;
    const PARAMS: usize = P::PARAMS + Q::PARAMS;
    fn tensor(&self, i: usize) -> &[T] {
        if i < P::TENSORS {
            self.0.tensor(i)
        } else {
            self.1.tensor(i - P::TENSORS)
        }
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        if i < P::TENSORS {
            self.0.tensor_mut(i)
        } else {
            self.1.tensor_mut(i - P::TENSORS)
        }
    }
    fn tensor_info(i: usize) -> Option<TensorInfo> {
        if i < P::TENSORS {
            P::tensor_info(i)
        } else {
            Q::tensor_info(i - P::TENSORS)
        }
    }
}

// Safety: a pair of zeroed values is zeroed, whatever the pair's layout.
unsafe impl<A: Zeroed, B: Zeroed> Zeroed for (A, B) {}

/// Calls `f` on every parameter tensor of `p` together with the same tensor of `q`.
pub fn zip_tensors<T, P: Params<T>, Q: Params<T>>(
    p: &mut P,
    q: &Q,
    mut f: impl FnMut(&mut [T], &[T]),
) {
    for i in 0..P::TENSORS {
        f(p.tensor_mut(i), q.tensor(i));
    }
}
