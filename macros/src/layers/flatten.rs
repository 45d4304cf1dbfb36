//! `Flatten`: no arguments; any shape to the flat vector of its values.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Context, Int8, Kind, Resolved};
use crate::shape::{self, n, Dims};

pub struct Flatten;

impl Kind for Flatten {
    fn name(&self) -> &'static str {
        "Flatten"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        ctx.no_args()?;
        Ok(ctx.input.map(|input| {
            Box::new(Resolution {
                input: input.to_vec(),
            }) as Box<dyn Resolved>
        }))
    }
}

struct Resolution {
    input: Vec<usize>,
}

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "flatten"
    }

    fn description(&self) -> String {
        format!("Flatten<{}>", Dims(&self.input))
    }

    fn output(&self) -> Vec<usize> {
        vec![shape::len(&self.input)]
    }

    /// `Flatten<T, Hw<28, 28>, 784>`: the output width the layer checks.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let (input, width) = (shape::ty(k, &self.input), n(shape::len(&self.input)));
        quote!(#k::layers::Flatten<T, #input, #width>)
    }

    fn construct(&self, k: &TokenStream, _: &[TokenStream]) -> TokenStream {
        quote!(#k::layers::Flatten::new())
    }

    fn tape_width(&self) -> usize {
        0
    }

    /// A flattened batch is its input's bytes: the passes read the input in place instead.
    fn trains(&self) -> bool {
        false
    }

    fn infers(&self) -> bool {
        false
    }

    /// Nothing moves at inference, in int8 as in floats.
    fn int8(&self, _: &TokenStream) -> Result<Int8, String> {
        Ok(Int8::nothing())
    }
}
