//! `Normalization`: no arguments; any shape, one mean and variance per index of the last axis,
//! kept as non-trainable tensors (Keras' `Normalization(axis=-1)`).

use proc_macro2::TokenStream;
use quote::quote;

use super::{Context, Kind, Resolved, Tensor};
use crate::shape::{self, n};

pub struct Normalization;

impl Kind for Normalization {
    fn name(&self) -> &'static str {
        "Normalization"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        ctx.no_args()?;
        Ok(ctx.input.map(|shape| {
            Box::new(Resolution {
                shape: shape.to_vec(),
            }) as Box<dyn Resolved>
        }))
    }
}

struct Resolution {
    shape: Vec<usize>,
}

impl Resolution {
    /// The size of the last axis: how many means and variances.
    fn indices(&self) -> usize {
        self.shape.last().copied().unwrap_or(1)
    }
}

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "normalization"
    }

    fn description(&self) -> String {
        "Normalization".to_string()
    }

    fn output(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// `Normalization<T, Flat<4>, 4>`: the size of the last axis the layer checks.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let (s, c) = (shape::ty(k, &self.shape), n(self.indices()));
        quote!(#k::layers::Normalization<T, #s, #c>)
    }

    fn buffers(&self) -> Vec<Tensor> {
        let c = self.indices();
        vec![
            Tensor::scalar("mean", vec![c]),
            Tensor::scalar("variance", vec![c]),
            Tensor {
                name: "count",
                shape: Vec::new(),
                dtype: Some("I64"),
            },
        ]
    }

    fn construct(&self, k: &TokenStream, values: &[TokenStream]) -> TokenStream {
        let (mean, variance, count) = (&values[0], &values[1], &values[2]);
        quote!(#k::layers::Normalization::from_parts(#mean, #variance, #count))
    }

    fn tape_width(&self) -> usize {
        0
    }
}
