//! `Activation<Act>`: an activation of its own over any shape; a softmax normalises each run
//! along the last axis (a flat sample; each pixel's channels of an image), as the layer does.

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
            softmax_input(ctx, shape, &activation)?;
        }
        Ok(Some(Box::new(Resolution {
            shape: shape.to_vec(),
            activation,
        })))
    }
}

/// What arrives at `Activation<Softmax>`. Rule: the last axis, which the softmax normalises
/// (the layer's runs), is wider than one value, since a softmax over one value outputs 1
/// whatever it is given: not `[1]`, nor `[28, 28, 1]`.
fn softmax_input(ctx: &Context<'_>, shape: &[usize], softmax: &Ident) -> syn::Result<()> {
    let msg = match shape {
        [1] => format!(
            "{}: a softmax over one unit always outputs 1, and {}; use `Activation<Sigmoid>` for \
             one yes/no output or `Dense<2>` before it for two classes",
            ctx.this(),
            ctx.gives(1),
        ),
        [.., 1] => format!(
            "{}: a softmax normalises the last axis, of one value here, so it always outputs 1, \
             and {}; use `Activation<Sigmoid>` for yes/no values",
            ctx.this(),
            ctx.gives_shape(shape),
        ),
        _ => return Ok(()),
    };
    Err(syn::Error::new(softmax.span(), msg))
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
