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
    Dense { activation: Ident },
    Activation { activation: Ident },
    Dropout { rate: f64 },
}

impl Network {
    /// Features per input sample.
    pub fn input_width(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Features per output sample.
    pub fn output_width(&self) -> usize {
        self.layers.last().map_or(self.input_width(), Layer::output)
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
