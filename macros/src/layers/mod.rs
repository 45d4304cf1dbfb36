//! What `network!` knows of each layer, one file per layer named as in liandan's
//! `src/layers/`: how it parses its arguments, resolves its output shape (with its spanned
//! errors), names its type, lists its tensors and is built from compiled-in ones.
//!
//! Adding a layer is a file here with a [`Kind`], its entry in [`KINDS`], and its file in
//! `src/layers/`; nothing else in the macro matches on layer names.

mod activation;
mod average_pooling;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod global_average_pooling;
mod max_pooling;
mod normalization;
mod window;

use proc_macro2::TokenStream;
use syn::Error;

use crate::ast::LayerDecl;
use crate::shape::Dims;

/// Every layer `network!` knows, in the order messages list them.
pub const KINDS: &[&dyn Kind] = &[
    &flatten::Flatten,
    &dense::Dense,
    &activation::Activation,
    &dropout::Dropout,
    &normalization::Normalization,
    &conv2d::Conv2D,
    &max_pooling::MaxPooling2D,
    &average_pooling::AveragePooling2D,
    &global_average_pooling::GlobalAveragePooling2D,
];

/// The kind named `name`, or the error listing the known ones.
pub fn kind(decl: &LayerDecl) -> syn::Result<&'static dyn Kind> {
    if let Some(kind) = KINDS.iter().find(|k| decl.name == k.name()) {
        return Ok(*kind);
    }
    let name = decl.name.to_string();
    if let Some(kind) = KINDS.iter().find(|k| k.name().eq_ignore_ascii_case(&name)) {
        let msg = format!("unknown layer `{name}`; did you mean `{}`?", kind.name());
        return Err(Error::new(decl.name.span(), msg));
    }
    let known: Vec<String> = KINDS.iter().map(|k| format!("`{}`", k.name())).collect();
    let msg = format!(
        "unknown layer `{}`; expected one of {}",
        decl.name,
        known.join(", ")
    );
    Err(Error::new(decl.name.span(), msg))
}

/// A kind of layer: its name and how it resolves a declaration.
pub trait Kind: Sync {
    /// The name as written in a declaration and in the summary: `Dense`.
    fn name(&self) -> &'static str;

    /// Resolves `ctx.decl` at the shape arriving there; `Ok(None)` when that shape is unknown
    /// after an earlier error (the layer's own arguments are still checked).
    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>>;
}

/// Where a layer is resolved: its declaration, its position, and the shape arriving at it.
pub struct Context<'a> {
    /// The declaration.
    pub decl: &'a LayerDecl,
    /// Its position in the network, from 1.
    pub position: usize,
    /// The shape arriving at it; `None` once unknown.
    pub input: Option<&'a [usize]>,
    /// Who produced that shape: `None` for the network's input, else "layer 3 `Dense<128>`".
    pub source: Option<&'a str>,
}

impl Context<'_> {
    /// "layer 4 `Dense<784 -> 10>`": the layer, for messages.
    pub fn this(&self) -> String {
        format!("layer {} `{}`", self.position, self.decl.text())
    }

    /// "layer 3 `Dropout<0.2>` outputs 128", or "the input has 128" for the network's input.
    pub fn gives(&self, what: impl std::fmt::Display) -> String {
        gives(self.source, what)
    }

    /// The arriving shape as written: "shape `[28, 28]`".
    pub fn gives_shape(&self, shape: &[usize]) -> String {
        self.gives(format_args!("shape `{}`", Dims(shape)))
    }

    /// An error on the layer's name.
    pub fn error(&self, msg: impl std::fmt::Display) -> Error {
        Error::new(self.decl.name.span(), msg)
    }

    /// Rule: the layer takes no arguments.
    pub fn no_args(&self) -> syn::Result<()> {
        match self.decl.args.first() {
            Some(arg) => Err(Error::new(
                arg.span(),
                format!("`{}` takes no arguments", self.decl.name),
            )),
            None => Ok(()),
        }
    }

    /// Rule: the arriving shape is flat, e.g. before `Dense`; `what` says why.
    pub fn flat_input(&self, shape: &[usize], what: &str) -> syn::Result<usize> {
        match shape {
            [n] => Ok(*n),
            _ => Err(self.error(format!(
                "{} {what}, but {}; add `Flatten` before it",
                self.this(),
                self.gives_shape(shape)
            ))),
        }
    }
}

/// What `source` gives: "layer 3 `Dropout<0.2>` outputs 128", or "the input has 128" when
/// `source` is `None`, the network's input.
pub fn gives(source: Option<&str>, what: impl std::fmt::Display) -> String {
    match source {
        Some(layer) => format!("{layer} outputs {what}"),
        None => format!("the input has {what}"),
    }
}

/// A tensor of a resolved layer, as files and compiled-in weights hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    /// Its name within the layer: `kernel`.
    pub name: &'static str,
    /// Its shape in Keras' convention: `[784, 128]`.
    pub shape: Vec<usize>,
    /// Its element type: `None` for the network's scalar (`F32` or `F64`), else fixed (`I64`).
    pub dtype: Option<&'static str>,
}

/// A layer's form in an int8 network (`liandan::quant`).
pub struct Int8 {
    /// Its int8 type (`#k::quant::Dense<784, 128, 196, #k::activation::Relu>`), or `None` for
    /// a layer that moves no data at inference (Flatten, Dropout).
    pub ty: Option<TokenStream>,
    /// Its tensors in an int8 file, in the order its `load` takes their offsets; none for a
    /// layer that keeps its input's quantisation (max pooling).
    pub tensors: Vec<Tensor>,
    /// Whether its output is a softmax's, whose quantisation is fixed: `(1/256, -128)`.
    pub softmax: bool,
    /// `size_of` its int8 type.
    pub bytes: usize,
    /// Bytes of its own inference scratch per sample.
    pub scratch: usize,
    /// The shape of one sample it writes, when not the resolved layer's own: a convolution
    /// fused with the max pooling after it writes the pooling's.
    pub output: Option<Vec<usize>>,
    /// The field of its type that holds the layer with the output quantisation (`conv` of a
    /// fused convolution), or `None` for a type that holds it itself.
    pub inner: Option<&'static str>,
}

/// A valid max pooling, which the int8 convolution before it can take in
/// (`liandan::quant::Conv2DMaxPool`).
pub struct MaxPool {
    /// The pool size, `[PH, PW]`.
    pub size: [usize; 2],
    /// The strides, `[SH, SW]`.
    pub strides: [usize; 2],
    /// The pooling's output shape, `[QH, QW, C]`.
    pub output: Vec<usize>,
}

impl Int8 {
    /// The int8 form of a layer that moves no data at inference.
    pub fn nothing() -> Self {
        Int8 {
            ty: None,
            tensors: Vec::new(),
            softmax: false,
            bytes: 0,
            scratch: 0,
            output: None,
            inner: None,
        }
    }
}

impl Tensor {
    /// A tensor of a fixed element type.
    pub fn typed(name: &'static str, dtype: &'static str, shape: Vec<usize>) -> Self {
        Tensor {
            name,
            shape,
            dtype: Some(dtype),
        }
    }

    /// A tensor of the network's scalar type.
    pub fn scalar(name: &'static str, shape: Vec<usize>) -> Self {
        Tensor {
            name,
            shape,
            dtype: None,
        }
    }
}

/// A layer resolved at a known input shape: everything expansion and the weight check need.
pub trait Resolved {
    /// The layer's field prefix, Keras' name for it: `dense` for `dense_1`.
    fn field(&self) -> &'static str;

    /// The declaration with every size resolved, for the summary and the architecture text:
    /// `Dense<784 -> 128, Relu>`.
    fn description(&self) -> String;

    /// The shape of one output sample.
    fn output(&self) -> Vec<usize>;

    /// The layer's type for element type `T`: `#k::layers::Dense<T, 784, 128, #k::activation::Relu>`.
    fn ty(&self, k: &TokenStream) -> TokenStream;

    /// The trainable tensors, in the order the layer's `Params` lists them.
    fn params(&self) -> Vec<Tensor> {
        Vec::new()
    }

    /// The non-trainable tensors, in the order the layer's `Buffers` lists them.
    fn buffers(&self) -> Vec<Tensor> {
        Vec::new()
    }

    /// The layer's value from its tensors decoded at compile time (`values[i]` an expression
    /// for tensor `i`: the parameters, then the buffers), for compiled-in weights.
    fn construct(&self, k: &TokenStream, values: &[TokenStream]) -> TokenStream;

    /// Scalars per sample of the layer's own training tape.
    fn tape_width(&self) -> usize;

    /// Scalars of the layer's training tape per copy of `liandan::__private::SPARES` (one with
    /// the `parallel` feature, none without), whatever the batch: a spare parameter gradient,
    /// where the second thread of a backward pass split by samples sums its share.
    fn tape_spare(&self) -> usize {
        0
    }

    /// Scalars per sample of the layer's own inference scratch (its `Forward::Scratch`):
    /// none for a layer that works in its input and output alone.
    fn scratch_width(&self) -> usize {
        0
    }

    /// Scalars of the layer's inference scratch that do not grow with the batch (`Conv2D`'s
    /// transformed kernel and tile blocks); its training tape holds them too, for inference in
    /// the tape.
    fn fixed_scratch(&self) -> usize {
        0
    }

    /// Whether the layer reuses its weights within one sample (a convolution slides its kernel
    /// over every pixel), so that a network holding it runs inference one sample at a time:
    /// the batch adds no reuse there, while a batch of its activations leaves the cache.
    fn reuses_within_sample(&self) -> bool {
        false
    }

    /// Whether the layer computes anything in training (`Flatten` moves nothing: each batch
    /// is its input's bytes already).
    fn trains(&self) -> bool {
        true
    }

    /// Whether the layer computes anything at inference (`Dropout` is the identity then).
    fn infers(&self) -> bool {
        true
    }

    /// The layer's int8 form, or why it has none.
    fn int8(&self, k: &TokenStream) -> Result<Int8, String> {
        let _ = k;
        Err(format!("`{}` has no int8 form", self.description()))
    }

    /// The layer as a valid max pooling in int8, which the layer before it may take in.
    fn int8_max_pool(&self) -> Option<MaxPool> {
        None
    }

    /// The int8 form of the layer and the max pooling `pool` after it in one, if the layer
    /// has one (an int8 convolution: it requantises only the outputs the pooling keeps).
    fn int8_pooled(&self, k: &TokenStream, pool: &MaxPool) -> Option<Int8> {
        let _ = (k, pool);
        None
    }
}
