//! The `weights:` constant: a network whose tensors the compiler decodes from an included
//! safetensors file.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::ir::{Kind, Scalar, Weights};

impl Gen<'_> {
    /// `impl Mnist<f32> { pub const WEIGHTS: Self = { const BYTES: &[u8] = include_bytes!(..);
    /// Mnist { flatten_1: Flatten::new(), dense_1: Dense::from_parts(f32_matrix(BYTES, 136),
    /// f32_matrix(BYTES, 401_544)), .. } }; }`: decoded by the compiler, nothing at run time.
    pub(super) fn weights(&self, weights: &Weights) -> TokenStream {
        let (k, name) = (self.k, &self.net.name);
        let (scalar, decode) = match weights.scalar {
            Scalar::F32 => (quote!(f32), quote!(#k::embed::f32_matrix)),
            Scalar::F64 => (quote!(f64), quote!(#k::embed::f64_matrix)),
        };
        let mut offsets = weights.offsets.iter();
        let fields = self.net.layers.iter().map(|layer| {
            let field = &layer.field;
            let value = match &layer.kind {
                Kind::Flatten => quote!(#k::layers::Flatten::new()),
                Kind::Activation { .. } => quote!(#k::layers::Activation::new()),
                Kind::Dropout { .. } => quote!(#k::layers::Dropout::new()),
                Kind::Dense { .. } => {
                    let (kernel, bias) = offsets.next().copied().unwrap_or_default();
                    quote! {
                        #k::layers::Dense::from_parts(#decode(BYTES, #kernel), #decode(BYTES, #bias))
                    }
                }
            };
            quote!(#field: #value)
        });
        let path = &weights.path;
        let doc = format!(
            "The weights of `{path}`, checked against this network and decoded when the crate \
             compiled: `static NET: {name}<{scalar}> = {name}::WEIGHTS;` keeps them in \
             read-only memory."
        );
        quote! {
            impl #name<#scalar> {
                #[doc = #doc]
                pub const WEIGHTS: Self = {
                    const BYTES: &[u8] = include_bytes!(#path);
                    #name { #(#fields,)* }
                };
            }
        }
    }
}
