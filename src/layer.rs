//! The layer contract and the tensor visitors; nothing else.
//!
//! A layer maps a batch of its input shape to a batch of its output shape ([`shape`](crate::shape)):
//! [`Forward`] is inference, generic over the element, so an integer layer can implement it
//! without a backward pass; [`Train`] adds what training needs, for floats. Every size is a
//! const generic and so is the batch size, so one training step is monomorphized for the
//! network and the batch, and a shape mismatch is a type error ([`Accepts`]).
//!
//! The training contract follows grenade: `forward_train` fills the output and a *tape* with
//! what `backward` needs; `backward` takes one [`Backward`] context (input, output, tape, the
//! gradient seed, the parameter gradient and whether to add to it or overwrite it, and the
//! input gradient to write, if wanted). Everything is written into caller-provided buffers, so
//! nothing allocates.
//!
//! Tensors are visited by index: [`Params`] lists the trainable parameters (what optimizers,
//! gradients and gradient checks see), [`Buffers`] the non-trainable state a layer keeps (what
//! weight files and compiled-in weights carry besides). Both describe each tensor with a
//! [`TensorInfo`] of any rank.

use rand::RngCore;

use crate::shape::{Batch, Shape};
use crate::{Element, Float, Zeroed};

/// A batch of `L`'s input at batch size `B`.
pub type In<L, const B: usize> = Batch<<L as Forward>::Element, <L as Forward>::Input, B>;

/// A batch of `L`'s output at batch size `B`.
pub type Out<L, const B: usize> = Batch<<L as Forward>::Element, <L as Forward>::Output, B>;

/// What `L`'s inference at batch size `B` works in besides its input and output
/// ([`Forward::Scratch`]).
pub type Scratch<L, const B: usize> = <L as Forward>::Scratch<B>;

/// Inference: `y = f(x)` from a batch of one shape to a batch of another, dropout off.
///
/// Implemented by every layer in [`layers`](crate::layers), by
/// [`Chain`](crate::layers::Chain), and by every network `network!` declares, so networks nest.
pub trait Forward {
    /// What the batches hold: `f32` or `f64`, or an integer for a quantised layer.
    type Element: Element;
    /// The shape of one input sample.
    type Input: Shape;
    /// The shape of one output sample.
    type Output: Shape;
    /// What inference at batch size `B` needs besides its input and output: the intermediate
    /// activations of a network, a layer's working space. `()` for a layer that needs none
    /// (every layer in [`layers`](crate::layers) but `Conv2D`, whose Winograd path keeps its
    /// transformed kernel there); the caller owns it, so nothing large is on
    /// the stack and nothing allocates: `Zeroed::boxed()` with `alloc`, a `static`
    /// ([`zeroed`](crate::zeroed())), or `Zeroed::zeroed()` where it is small.
    type Scratch<const B: usize>: Zeroed;

    /// `y = f(x)`, sample by sample, working in `scratch`. What `scratch` holds before the call
    /// does not matter, and after it is unspecified.
    fn forward<const B: usize>(
        &self,
        x: &In<Self, B>,
        y: &mut Out<Self, B>,
        scratch: &mut Self::Scratch<B>,
    );
}

/// That a layer takes inputs of shape `S`: what [`Chain`](crate::layers::Chain) asks of its
/// second layer, so a mismatch reads as a sentence about shapes.
///
/// Every layer implements it for its [`Forward::Input`] and nothing else.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not take inputs of shape `{S}`",
    label = "this layer's input shape is not `{S}`",
    note = "each layer's input shape must be the output shape of the layer before it"
)]
pub trait Accepts<S: Shape>: Forward<Input = S> {}

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

/// What the output gradient of a [`Backward`] pass holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// `∂L/∂y`, the gradient with respect to the layer's output.
    Output,
    /// `∂L/∂z`, the gradient with respect to the input of the layer's final activation: a
    /// fused loss gradient (see [`Head`]), so that activation's derivative is skipped.
    Logits,
}

/// How a [`Backward`] pass writes the parameter gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradMode {
    /// `grad += ∂L/∂θ`: gradients accumulate over several passes.
    Add,
    /// `grad = ∂L/∂θ`, without reading the old value, so the caller need not zero it first:
    /// what a training step wants.
    Overwrite,
}

impl GradMode {
    /// The factor of the old gradient: 1 to add to it, 0 to overwrite it.
    pub fn beta<T: Float>(self) -> T {
        match self {
            GradMode::Add => T::one(),
            GradMode::Overwrite => T::zero(),
        }
    }
}

/// Everything one backward pass of `L` at batch size `B` reads and writes.
///
/// `x`, `y` and `tape` are what the matching [`Train::forward_train`] saw and produced. `dy`
/// holds the gradient [`seed`](Backward::seed) says and is scratch (the pass may overwrite it).
/// The pass writes `∂L/∂θ` into `grad` as [`mode`](Backward::mode) says, and `∂L/∂x` into `dx`
/// if there is one.
pub struct Backward<'a, L: Train + ?Sized, const B: usize> {
    /// The input of the forward pass.
    pub x: &'a In<L, B>,
    /// The output of the forward pass.
    pub y: &'a Out<L, B>,
    /// What the forward pass kept.
    pub tape: &'a mut L::Tape<B>,
    /// The output gradient, overwritten as scratch.
    pub dy: &'a mut Out<L, B>,
    /// What `dy` is the gradient of.
    pub seed: Seed,
    /// The parameter gradient.
    pub grad: &'a mut L::Grad,
    /// Whether to add to `grad` or overwrite it.
    pub mode: GradMode,
    /// Where to write the input gradient, if the caller wants it.
    pub dx: Option<&'a mut In<L, B>>,
}

impl<'a, L: Train + ?Sized, const B: usize> Backward<'a, L, B> {
    /// The pass for the output gradient `dy` (not fused), adding to `grad`, without an input
    /// gradient; the methods below change each of those.
    pub fn new(
        x: &'a In<L, B>,
        y: &'a Out<L, B>,
        tape: &'a mut L::Tape<B>,
        dy: &'a mut Out<L, B>,
        grad: &'a mut L::Grad,
    ) -> Self {
        Backward {
            x,
            y,
            tape,
            dy,
            seed: Seed::Output,
            grad,
            mode: GradMode::Add,
            dx: None,
        }
    }

    /// The same pass, writing `∂L/∂x` into `dx`.
    pub fn input_gradient(self, dx: &'a mut In<L, B>) -> Self {
        Backward {
            dx: Some(dx),
            ..self
        }
    }

    /// The same pass with `dy` holding `seed`'s gradient.
    pub fn seed(self, seed: Seed) -> Self {
        Backward { seed, ..self }
    }

    /// The same pass, overwriting the parameter gradient rather than adding to it.
    pub fn overwrite(self) -> Self {
        Backward {
            mode: GradMode::Overwrite,
            ..self
        }
    }
}

/// Training: the float part of a layer on top of [`Forward`].
pub trait Train: Forward<Element: Float> + Params<<Self as Forward>::Element> {
    /// What [`forward_train`](Train::forward_train) keeps for [`backward`](Train::backward) at
    /// batch size `B`.
    type Tape<const B: usize>: Zeroed;
    /// The parameter gradient: the same tensors, in the same order, as the layer's parameters.
    type Grad: Params<Self::Element> + Zeroed;
    /// The last operation of the layer, for fused loss gradients.
    const HEAD: Head;

    /// Inference like [`forward`](Forward::forward), working in `tape` instead of a
    /// [`Scratch`]: what [`Trainer::predict`](crate::Trainer::predict) runs, so inference next
    /// to training needs no memory besides the trainer's. A network keeps its intermediate
    /// activations in its tape's output buffers and passes each layer its own tape.
    ///
    /// The default calls `forward` with a `Scratch<B>` made on the stack, which is right only
    /// for a layer whose scratch is empty (`()`); for any other it fails to build (a `const`
    /// assertion, evaluated when the method is instantiated, so `cargo build` reports it and
    /// `cargo check` does not). A layer with working space overrides this method, keeping that
    /// space in its `Tape<B>`.
    fn forward_in<const B: usize>(
        &self,
        x: &In<Self, B>,
        y: &mut Out<Self, B>,
        tape: &mut Self::Tape<B>,
    ) {
        const {
            assert!(
                core::mem::size_of::<Self::Scratch<B>>() == 0,
                "a layer whose `Forward::Scratch` is not empty must override `Train::forward_in`"
            )
        };
        let _ = tape;
        self.forward(x, y, &mut Zeroed::zeroed());
    }

    /// Training forward pass: `y = f(x)`, keeping in `tape` what backward needs.
    ///
    /// Dropout draws its masks from `rng`; with `None` it is off (every feature kept,
    /// unscaled), an explicit choice for a step that should not drop anything.
    fn forward_train<const B: usize>(
        &self,
        x: &In<Self, B>,
        y: &mut Out<Self, B>,
        tape: &mut Self::Tape<B>,
        rng: Option<&mut dyn RngCore>,
    );

    /// Backward pass: `∂L/∂θ` into the context's gradient and, if asked, `∂L/∂x` into its
    /// `dx`; see [`Backward`].
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>);

    /// Draws fresh initial parameters with the layer's default initialiser (glorot-uniform
    /// kernels and zero biases for `Dense`, as Keras). Layers without parameters do nothing.
    fn init<R: RngCore + ?Sized>(&mut self, rng: &mut R) {
        let _ = rng;
    }
}

/// The generator of a training forward pass, reborrowed for one layer's pass, so the next layer
/// can have it too: what a network or [`Chain`](crate::layers::Chain) passes each layer's
/// [`forward_train`](Train::forward_train).
pub fn reborrow<'a>(rng: &'a mut Option<&mut dyn RngCore>) -> Option<&'a mut dyn RngCore> {
    match rng {
        Some(rng) => Some(&mut **rng),
        None => None,
    }
}

/// The name and shape of a tensor, for summaries and weight files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// The layer's name in its network (`"dense_1"`), or `""` for a bare layer.
    pub layer: &'static str,
    /// The tensor's name within its layer (`"kernel"`, `"bias"`).
    pub name: &'static str,
    /// The shape in Keras' convention, in whose row-major order the values are stored: a dense
    /// kernel is `[inputs, outputs]` (liandan's column-major `outputs × inputs` matrix), a bias
    /// `[outputs]`, a convolution kernel `[height, width, channels, filters]`.
    pub shape: &'static [usize],
    /// PyTorch's order of the same axes: PyTorch's axis `k` is Keras' axis `torch[k]`. A dense
    /// kernel is `[1, 0]` (PyTorch's `nn.Linear.weight` is `[outputs, inputs]`), a bias `[0]`.
    pub torch: &'static [usize],
    /// Whether every value is at least zero by its meaning (a variance, a mean of squares):
    /// loading refuses a negative one.
    pub non_negative: bool,
    /// Keras' name for the kind of layer holding it (`"dense"`, `"normalization"`), or `""`.
    /// Weight files name a tensor of an unnamed layer after it, numbering the layers of each
    /// kind from 1 as Keras and `network!` do: a bare `Chain` of a `Normalization` and two
    /// `Dense` layers has `normalization_1.mean`, `dense_1.kernel` and `dense_2.kernel`, its
    /// parameters and buffers numbered alike. A layer of no kind is `layer_{k}`.
    pub kind: &'static str,
}

impl TensorInfo {
    /// The most axes a described tensor has.
    pub const MAX_RANK: usize = 8;

    /// A tensor of a bare layer whose PyTorch layout is Keras' own. A shape of more than
    /// [`MAX_RANK`](TensorInfo::MAX_RANK) axes is described, but fails [`check`](TensorInfo::check).
    pub const fn new(name: &'static str, shape: &'static [usize]) -> Self {
        const AXES: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7];
        let rank = if shape.len() < AXES.len() {
            shape.len()
        } else {
            AXES.len()
        };
        TensorInfo {
            layer: "",
            name,
            shape,
            torch: AXES.split_at(rank).0,
            non_negative: false,
            kind: "",
        }
    }

    /// The same tensor, of a layer of Keras' kind `kind` (see [`TensorInfo::kind`]).
    pub const fn kind(self, kind: &'static str) -> Self {
        TensorInfo { kind, ..self }
    }

    /// The same tensor, declared never negative (see [`TensorInfo::non_negative`]).
    pub const fn non_negative(self) -> Self {
        TensorInfo {
            non_negative: true,
            ..self
        }
    }

    /// The same tensor with PyTorch's axes in the order `torch` (see [`TensorInfo::torch`]).
    pub const fn torch(self, torch: &'static [usize]) -> Self {
        TensorInfo { torch, ..self }
    }

    /// The same tensor, placed in the layer `layer` (used by networks and chains).
    pub const fn in_layer(self, layer: &'static str) -> Self {
        TensorInfo { layer, ..self }
    }

    /// The number of values, the product of the shape.
    pub const fn len(&self) -> usize {
        let (mut n, mut i) = (1, 0);
        while i < self.shape.len() {
            n *= self.shape[i];
            i += 1;
        }
        n
    }

    /// Whether the tensor has no values.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the description is one weight files can use: at most
    /// [`MAX_RANK`](TensorInfo::MAX_RANK) axes, and a PyTorch order naming each exactly once.
    ///
    /// ```
    /// use liandan::{TensorInfo, TensorInfoError};
    ///
    /// assert_eq!(TensorInfo::new("kernel", &[4, 5]).torch(&[1, 0]).check(), Ok(()));
    /// let twice = TensorInfo::new("kernel", &[4, 5]).torch(&[1, 1]).check();
    /// assert_eq!(twice, Err(TensorInfoError::Torch { rank: 2 }));
    /// let deep = TensorInfo::new("t", &[1; 9]).check();
    /// assert_eq!(deep, Err(TensorInfoError::Rank { rank: 9, max: 8 }));
    /// ```
    pub fn check(&self) -> Result<(), crate::TensorInfoError> {
        use crate::TensorInfoError;
        let rank = self.shape.len();
        if rank > Self::MAX_RANK {
            let max = Self::MAX_RANK;
            return Err(TensorInfoError::Rank { rank, max });
        }
        let mut seen = [false; Self::MAX_RANK];
        let each_once = self.torch.len() == rank
            && self
                .torch
                .iter()
                .all(|&axis| axis < rank && !core::mem::replace(&mut seen[axis], true));
        match each_once {
            true => Ok(()),
            false => Err(TensorInfoError::Torch { rank }),
        }
    }
}

/// The trainable parameters: a fixed, ordered list of tensors of `T`, each a flat slice.
///
/// Written once per layer, it serves everything that treats parameters generically: optimizer
/// updates, `param_count`, gradient checking, saving and loading. A layer, its gradient and an
/// optimizer's state for it list the same tensors in the same order.
pub trait Params<T> {
    /// How many tensors there are.
    const TENSORS: usize;
    /// How many scalars there are in all tensors together.
    const PARAMS: usize;

    /// Tensor `i`, its values in the row-major order of its Keras shape, or an empty slice if
    /// `i >= TENSORS`.
    fn tensor(&self, i: usize) -> &[T];

    /// Tensor `i` mutably, or an empty slice if `i >= TENSORS`.
    fn tensor_mut(&mut self, i: usize) -> &mut [T];

    /// The name and shape of tensor `i`, or `None` if `i >= TENSORS`.
    fn tensor_info(i: usize) -> Option<TensorInfo>;
}

/// A non-trainable tensor's values, of whichever element type it has.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum BufferRef<'a> {
    /// `f32` values.
    F32(&'a [f32]),
    /// `f64` values.
    F64(&'a [f64]),
    /// `i8` values.
    I8(&'a [i8]),
    /// `u8` values.
    U8(&'a [u8]),
    /// `i32` values.
    I32(&'a [i32]),
    /// `i64` values.
    I64(&'a [i64]),
}

/// A non-trainable tensor's values, mutably.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum BufferMut<'a> {
    /// `f32` values.
    F32(&'a mut [f32]),
    /// `f64` values.
    F64(&'a mut [f64]),
    /// `i8` values.
    I8(&'a mut [i8]),
    /// `u8` values.
    U8(&'a mut [u8]),
    /// `i32` values.
    I32(&'a mut [i32]),
    /// `i64` values.
    I64(&'a mut [i64]),
}

/// The non-trainable state a layer keeps: tensors no optimizer touches, of any element type
/// (moving statistics, normalisation constants, quantised weights and their scales).
///
/// Weight files and compiled-in weights carry them after the parameters; every method has a
/// default for the layers that keep none.
pub trait Buffers {
    /// How many tensors there are.
    const BUFFERS: usize = 0;
    /// How many values there are in all of them together.
    const BUFFER_VALUES: usize = 0;
    /// How many bytes they take together.
    const BUFFER_BYTES: usize = 0;

    /// Buffer `i`, or `None` if `i >= BUFFERS`.
    fn buffer(&self, i: usize) -> Option<BufferRef<'_>> {
        let _ = i;
        None
    }

    /// Buffer `i` mutably, or `None` if `i >= BUFFERS`.
    fn buffer_mut(&mut self, i: usize) -> Option<BufferMut<'_>> {
        let _ = i;
        None
    }

    /// The name and shape of buffer `i`, or `None` if `i >= BUFFERS`.
    fn buffer_info(i: usize) -> Option<TensorInfo> {
        let _ = i;
        None
    }
}

/// Implements [`Params`] with no tensors, and [`Buffers`] with none, for a layer without
/// state (`params` alone: [`Params`] only).
macro_rules! no_params {
    (params [$($generics:tt)*] $ty:ty) => {
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
    ([$($generics:tt)*] $ty:ty) => {
        $crate::layer::no_params!(params [$($generics)*] $ty);

        impl<$($generics)*> $crate::layer::Buffers for $ty {}
    };
}
pub(crate) use no_params;

/// The gradient of a layer with no parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoParams;

// Safety: a unit struct has no bytes.
unsafe impl Zeroed for NoParams {}

no_params!(params [T] NoParams);

impl Buffers for NoParams {}

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
