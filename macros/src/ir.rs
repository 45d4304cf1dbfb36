//! The resolved network: every size known, every name chosen; no syn types but spans.

use proc_macro2::{Ident, Span};
use syn::{Attribute, Visibility};

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
    /// The element type of every tensor.
    pub scalar: Scalar,
    /// For each dense layer in order: the byte offsets of its kernel and its bias in the file.
    pub offsets: Vec<(usize, usize)>,
}

/// The element type of compiled-in weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    F32,
    F64,
}

/// One layer with its sizes resolved.
pub struct Layer {
    /// The field name: `dense_1`.
    pub field: Ident,
    pub kind: Kind,
    /// Features per input sample.
    pub input: usize,
    /// The shape of one output sample.
    pub output_shape: Vec<usize>,
    /// The resolved declaration, for docs and summaries: `Dense<784 -> 128, Relu>`.
    pub description: String,
}

/// What a layer does.
pub enum Kind {
    Flatten,
    Dense {
        activation: Ident,
    },
    Activation {
        activation: Ident,
    },
    /// The rate in millionths, the unit of `Dropout`'s type parameter.
    Dropout {
        ppm: u32,
    },
}

impl Network {
    /// The declaration as weight files record it under `liandan.architecture` (the same text as
    /// `liandan::io::architecture`): `Mnist: input [28, 28]; flatten_1 Flatten<[28, 28]>; ...`.
    pub fn architecture(&self) -> String {
        let mut text = format!("{}: input {:?}", self.name, self.input_shape);
        for layer in &self.layers {
            text.push_str(&format!("; {} {}", layer.field, layer.description));
        }
        text
    }

    /// Features per input sample.
    pub fn input_width(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Features per output sample.
    pub fn output_width(&self) -> usize {
        self.layers.last().map_or(self.input_width(), Layer::output)
    }

    /// The widest activation, the input included: `max(784, 784, 128, 128, 10)` for MNIST.
    pub fn largest_width(&self) -> usize {
        let outputs = self.layers.iter().map(Layer::output);
        outputs.fold(self.input_width(), usize::max)
    }

    /// The scalars one sample's inference holds at once: the input, the output, and the
    /// intermediate outputs of the layers that compute at inference, which the generated
    /// `forward` keeps in locals (`784 + 128 + 10` for MNIST: Flatten and Dropout copy nothing).
    pub fn inference_width(&self) -> usize {
        let computing: Vec<&Layer> = self.layers.iter().filter(|l| l.infers()).collect();
        let intermediate: usize = match computing.split_last() {
            Some((_, before)) => before.iter().map(|l| l.output()).sum(),
            None => 0,
        };
        self.input_width() + intermediate + self.output_width()
    }

    /// The scalars per sample of the training tape: each training layer's own tape (a dense
    /// layer's pre-activation, a dropout's mask: one output width each; nothing for an
    /// activation) plus, for every training layer but the last, its output and output gradient.
    pub fn tape_width(&self) -> usize {
        let training: Vec<&Layer> = self.layers.iter().filter(|l| l.trains()).collect();
        let own: usize = training.iter().map(|l| l.tape_width()).sum();
        let buffers: usize = match training.split_last() {
            Some((_, before)) => before.iter().map(|l| 2 * l.output()).sum(),
            None => 0,
        };
        own + buffers
    }
}

impl Layer {
    /// Features per output sample.
    pub fn output(&self) -> usize {
        self.output_shape.iter().product()
    }

    /// Trainable parameters: `in·out + out` for a dense layer.
    pub fn params(&self) -> usize {
        match self.kind {
            Kind::Dense { .. } => self.input * self.output() + self.output(),
            _ => 0,
        }
    }

    /// Scalars per sample of the layer's own tape: what its `Layer::Tape` holds.
    pub fn tape_width(&self) -> usize {
        match self.kind {
            Kind::Dense { .. } | Kind::Dropout { .. } => self.output(),
            Kind::Flatten | Kind::Activation { .. } => 0,
        }
    }

    /// Whether the layer computes anything in training (Flatten is free on flat columns).
    pub fn trains(&self) -> bool {
        !matches!(self.kind, Kind::Flatten)
    }

    /// Whether the layer computes anything at inference (Dropout is then the identity too).
    pub fn infers(&self) -> bool {
        matches!(self.kind, Kind::Dense { .. } | Kind::Activation { .. })
    }
}

/// A span-carrying identifier made at the call site.
pub fn ident(name: &str, span: Span) -> Ident {
    Ident::new(name, span)
}
