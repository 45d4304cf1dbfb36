//! `Activation<Act>`: an activation of its own over any shape; softmax only over a flat one.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

use super::{Context, Kind, Resolved};
use crate::activations;
use crate::ast::Arg;
use crate::shape;

pub struct Activation;

impl Kind for Activation {
    fn name(&self) -> &'static str {
        "Activation"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        let activation = match ctx.decl.args.as_slice() {
            [Arg::Name(name)] => activations::known(name)?,
            _ => {
                let msg = "`Activation` takes one activation, e.g. `Activation<Tanh>`";
                return Err(ctx.error(msg));
            }
        };
        let Some(shape) = ctx.input else {
            return Ok(None);
        };
        if activation == "Softmax" {
            ctx.flat_input(shape, "needs a flat input for softmax")?;
        }
        Ok(Some(Box::new(Resolution {
            shape: shape.to_vec(),
            activation,
        })))
    }
}

struct Resolution {
    shape: Vec<usize>,
    activation: Ident,
}

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "activation"
    }

    fn description(&self) -> String {
        format!("Activation<{}>", self.activation)
    }

    fn output(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// `Activation<T, Flat<128>, Tanh>`.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let (s, a) = (shape::ty(k, &self.shape), &self.activation);
        quote_spanned!(a.span()=> #k::layers::Activation<T, #s, #k::activation::#a>)
    }

    fn construct(&self, k: &TokenStream, _: &[TokenStream]) -> TokenStream {
        quote!(#k::layers::Activation::new())
    }

    fn tape_width(&self) -> usize {
        0
    }
}
