//! `AveragePooling2D<pool>`: `AveragePooling2D<2>` (2×2), `AveragePooling2D<3x2>`, with the
//! keywords `strides` (the pool size unless given, as in Keras) and `padding` (`Valid` unless
//! given).

use proc_macro2::TokenStream;
use quote::quote;

use super::window::Pooling;
use super::{Context, Kind, Resolved};

pub struct AveragePooling2D;

impl Kind for AveragePooling2D {
    fn name(&self) -> &'static str {
        "AveragePooling2D"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        let pooling = Pooling::resolve(ctx)?;
        Ok(pooling.map(|pooling| Box::new(Resolution(pooling)) as Box<dyn Resolved>))
    }
}

struct Resolution(Pooling);

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "average_pooling2d"
    }

    fn description(&self) -> String {
        self.0.description("AveragePooling2D")
    }

    fn output(&self) -> Vec<usize> {
        self.0.output()
    }

    /// `AveragePooling2D<T, 26, 26, 32, 2, 2, 13, 13, Valid, 2, 2>`.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let generics = self.0.generics(k);
        quote!(#k::layers::AveragePooling2D<T, #generics>)
    }

    fn construct(&self, k: &TokenStream, _: &[TokenStream]) -> TokenStream {
        quote!(#k::layers::AveragePooling2D::new())
    }

    fn tape_width(&self) -> usize {
        0
    }
}
