//! `GlobalAveragePooling2D`: no arguments; an `[H, W, C]` image to its `C` channel means.

use proc_macro2::TokenStream;
use quote::quote;

use super::window;
use super::{Context, Kind, Resolved};
use crate::shape::n;

pub struct GlobalAveragePooling2D;

impl Kind for GlobalAveragePooling2D {
    fn name(&self) -> &'static str {
        "GlobalAveragePooling2D"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        ctx.no_args()?;
        let image = window::image(ctx)?;
        Ok(image.map(|image| Box::new(Resolution { image }) as Box<dyn Resolved>))
    }
}

struct Resolution {
    image: [usize; 3],
}

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "global_average_pooling2d"
    }

    fn description(&self) -> String {
        let [h, w, c] = self.image;
        format!("GlobalAveragePooling2D<[{h}, {w}, {c}]>")
    }

    fn output(&self) -> Vec<usize> {
        vec![self.image[2]]
    }

    /// `GlobalAveragePooling2D<T, 5, 5, 64>`.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let [h, w, c] = self.image.map(n);
        quote!(#k::layers::GlobalAveragePooling2D<T, #h, #w, #c>)
    }

    fn construct(&self, k: &TokenStream, _: &[TokenStream]) -> TokenStream {
        quote!(#k::layers::GlobalAveragePooling2D::new())
    }

    fn tape_width(&self) -> usize {
        0
    }
}
