//! `MaxPooling2D<pool>`: `MaxPooling2D<2>` (2×2), `MaxPooling2D<3x2>`, with the keywords
//! `strides` (the pool size unless given, as in Keras) and `padding` (`Valid` unless given).

use proc_macro2::TokenStream;
use quote::quote;

use super::window::Pooling;
use super::{Context, Kind, Resolved};

pub struct MaxPooling2D;

impl Kind for MaxPooling2D {
    fn name(&self) -> &'static str {
        "MaxPooling2D"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        let pooling = Pooling::resolve(ctx)?;
        Ok(pooling.map(|pooling| Box::new(Resolution(pooling)) as Box<dyn Resolved>))
    }
}

struct Resolution(Pooling);

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "max_pooling2d"
    }

    fn description(&self) -> String {
        self.0.description("MaxPooling2D")
    }

    fn output(&self) -> Vec<usize> {
        self.0.output()
    }

    /// `MaxPooling2D<T, 26, 26, 32, 2, 2, 13, 13, Valid, 2, 2>`.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let generics = self.0.generics(k);
        quote!(#k::layers::MaxPooling2D<T, #generics>)
    }

    fn construct(&self, k: &TokenStream, _: &[TokenStream]) -> TokenStream {
        quote!(#k::layers::MaxPooling2D::new())
    }

    /// Where each output's maximum is, one scalar per output value.
    fn tape_width(&self) -> usize {
        crate::shape::len(&self.0.output())
    }
}
