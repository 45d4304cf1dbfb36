//! The resolved network: every shape known, every name chosen; no syn types but spans.

use proc_macro2::{Ident, Span};
use syn::{Attribute, Visibility};

use crate::layers::{self, Resolved};
use crate::shape::{self, Dims};

/// A network that passed every check.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub input_shape: Vec<usize>,
    pub layers: Vec<Layer>,
    /// The compiled-in weights, if declared and checked.
    pub weights: Option<Weights>,
}

/// A weight file checked against the network: where each tensor's bytes start.
pub struct Weights {
    /// The file's absolute path, for `include_bytes!`.
    pub path: String,
    /// The element type of every parameter.
    pub scalar: Scalar,
    /// The byte offset in the file of each tensor of [`Network::tensors`], by its name (of
    /// the int8 network's tensors for an int8 file).
    pub offsets: Vec<(String, usize)>,
    /// Whether the file is an int8 network's (`liandan.format` is `int8`).
    pub int8: bool,
}

/// The element type of compiled-in weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    F32,
    F64,
}

/// One layer with its shapes resolved.
pub struct Layer {
    /// The field name: `dense_1`.
    pub field: Ident,
    /// The position in the declaration, from 1.
    pub position: usize,
    /// The shape of one input sample.
    pub input: Vec<usize>,
    /// What its kind resolved.
    pub resolved: Box<dyn Resolved>,
}

/// One tensor of the network: a parameter or a buffer.
pub struct Tensor<'a> {
    /// The layer holding it.
    pub layer: &'a Layer,
    /// The tensor as its layer lists it.
    pub tensor: layers::Tensor,
}

impl Tensor<'_> {
    /// `dense_1.kernel`: its name in weight files.
    pub fn name(&self) -> String {
        format!("{}.{}", self.layer.field, self.tensor.name)
    }
}

impl Network {
    /// The declaration as weight files record it under `liandan.architecture` (the same text as
    /// `liandan::io::architecture`): `Mnist: input [28, 28]; flatten_1 Flatten<[28, 28]>; ...`.
    pub fn architecture(&self) -> String {
        let mut text = format!("{}: input {}", self.name, Dims(&self.input_shape));
        for layer in &self.layers {
            text.push_str(&format!("; {} {}", layer.field, layer.description()));
        }
        text
    }

    /// Every tensor as a weight file holds them: the parameters layer by layer (the order of
    /// the network's `Params`), then the buffers layer by layer (of its `Buffers`).
    pub fn tensors(&self) -> Vec<Tensor<'_>> {
        let mut all = Vec::new();
        for buffers in [false, true] {
            for layer in &self.layers {
                let tensors = match buffers {
                    false => layer.resolved.params(),
                    true => layer.resolved.buffers(),
                };
                all.extend(tensors.into_iter().map(|tensor| Tensor { layer, tensor }));
            }
        }
        all
    }

    /// The shape of one output sample.
    pub fn output_shape(&self) -> Vec<usize> {
        self.layers
            .last()
            .map_or_else(|| self.input_shape.clone(), Layer::output)
    }

    /// Features per input sample.
    pub fn input_width(&self) -> usize {
        shape::len(&self.input_shape)
    }

    /// Features per output sample.
    pub fn output_width(&self) -> usize {
        shape::len(&self.output_shape())
    }

    /// The widest activation, the input included: `max(784, 784, 128, 128, 10)` for MNIST.
    pub fn largest_width(&self) -> usize {
        let outputs = self.layers.iter().map(Layer::output_width);
        outputs.fold(self.input_width(), usize::max)
    }

    /// The layers that compute at inference, in order: the ones the generated `forward` calls
    /// (not Flatten, not Dropout).
    pub fn inference_layers(&self) -> Vec<&Layer> {
        self.layers.iter().filter(|l| l.infers()).collect()
    }

    /// Whether inference runs the whole network one sample at a time rather than each layer
    /// over the whole batch: when a layer reuses its weights within one sample (a convolution),
    /// so the batch's activations need not leave the cache between layers.
    pub fn depth_first(&self) -> bool {
        let mut layers = self.inference_layers().into_iter();
        layers.any(|l| l.resolved.reuses_within_sample())
    }

    /// The scalars per sample of the inference scratch: each computing layer's own scratch,
    /// and the output of every computing layer but the last (`128` for MNIST).
    pub fn scratch_width(&self) -> usize {
        let computing = self.inference_layers();
        let own: usize = computing.iter().map(|l| l.resolved.scratch_width()).sum();
        let intermediate: usize = match computing.split_last() {
            Some((_, before)) => before.iter().map(|l| l.output_width()).sum(),
            None => 0,
        };
        own + intermediate
    }

    /// The scalars of the inference scratch that do not grow with the batch: each computing
    /// layer's fixed scratch (none for MNIST).
    pub fn scratch_fixed(&self) -> usize {
        let computing = self.inference_layers();
        computing.iter().map(|l| l.resolved.fixed_scratch()).sum()
    }

    /// The scalars of the training tape that do not grow with the batch: each training layer's
    /// fixed scratch, for inference in the tape, and for a network that infers one sample at a
    /// time ([`depth_first`](Network::depth_first)) its scratch of one sample.
    pub fn tape_fixed(&self) -> usize {
        let training = self.layers.iter().filter(|l| l.trains());
        let layers: usize = training.map(|l| l.resolved.fixed_scratch()).sum();
        match self.depth_first() {
            true => layers + self.scratch_width() + self.scratch_fixed(),
            false => layers,
        }
    }

    /// The scalars one sample's inference holds at once: the input, the output and the
    /// scratch (`784 + 10 + 128` for MNIST).
    pub fn inference_width(&self) -> usize {
        self.input_width() + self.output_width() + self.scratch_width() + self.scratch_fixed()
    }

    /// The scalars per sample of the training tape: each training layer's own tape (a dense
    /// layer's pre-activation, a dropout's mask: one output width each; nothing for an
    /// activation) plus, for every training layer but the last, its output and output gradient.
    pub fn tape_width(&self) -> usize {
        let training: Vec<&Layer> = self.layers.iter().filter(|l| l.trains()).collect();
        let own: usize = training.iter().map(|l| l.resolved.tape_width()).sum();
        let buffers: usize = match training.split_last() {
            Some((_, before)) => before.iter().map(|l| 2 * l.output_width()).sum(),
            None => 0,
        };
        own + buffers
    }

    /// The scalars of the training tape per copy of `SPARES`, whatever the batch: each layer's
    /// spare parameter gradient (a convolution's).
    pub fn tape_spare(&self) -> usize {
        self.layers.iter().map(|l| l.resolved.tape_spare()).sum()
    }
}

impl Layer {
    /// The shape of one output sample.
    pub fn output(&self) -> Vec<usize> {
        self.resolved.output()
    }

    /// Features per output sample.
    pub fn output_width(&self) -> usize {
        shape::len(&self.output())
    }

    /// The resolved declaration: `Dense<784 -> 128, Relu>`.
    pub fn description(&self) -> String {
        self.resolved.description()
    }

    /// Trainable parameters: `in·out + out` for a dense layer.
    pub fn param_count(&self) -> usize {
        self.resolved
            .params()
            .iter()
            .map(|t| shape::len(&t.shape))
            .sum()
    }

    /// The values of its non-trainable buffers.
    pub fn buffer_count(&self) -> usize {
        self.resolved
            .buffers()
            .iter()
            .map(|t| shape::len(&t.shape))
            .sum()
    }

    /// Whether the layer has trainable parameters.
    pub fn has_params(&self) -> bool {
        !self.resolved.params().is_empty()
    }

    /// Whether the layer computes anything in training.
    pub fn trains(&self) -> bool {
        self.resolved.trains()
    }

    /// Whether the layer computes anything at inference.
    pub fn infers(&self) -> bool {
        self.resolved.infers()
    }
}

/// A span-carrying identifier made at the call site.
pub fn ident(name: &str, span: Span) -> Ident {
    Ident::new(name, span)
}
