//! The `weights:` constant: a network whose tensors the compiler decodes from an included
//! safetensors file.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::ir::{Scalar, Weights};

impl Gen<'_> {
    /// `impl Mnist<f32> { pub const WEIGHTS: Self = { const BYTES: &[u8] = include_bytes!(..);
    /// Mnist { flatten_1: Flatten::new(), dense_1: Dense::from_parts(f32_matrix(BYTES, 136),
    /// f32_matrix(BYTES, 401_544)), .. } }; }`: decoded by the compiler, nothing at run time.
    /// Each layer's file says how it is built from its tensors.
    pub(super) fn weights(&self, weights: &Weights) -> TokenStream {
        let (k, name) = (self.k, &self.net.name);
        let (scalar, decode) = match weights.scalar {
            Scalar::F32 => (quote!(f32), quote!(#k::embed::f32_matrix)),
            Scalar::F64 => (quote!(f64), quote!(#k::embed::f64_matrix)),
        };
        let offset = |name: &str| {
            let found = weights.offsets.iter().find(|(n, _)| n == name);
            found.map_or(0, |(_, at)| *at)
        };
        let fields = self.net.layers.iter().map(|layer| {
            let field = &layer.field;
            let tensors = layer.resolved.params().into_iter();
            let tensors = tensors.chain(layer.resolved.buffers());
            let values: Vec<TokenStream> = tensors
                .map(|tensor| {
                    let at = offset(&format!("{field}.{}", tensor.name));
                    match tensor.dtype {
                        Some(_) => quote!(#k::embed::i64_value(BYTES, #at)),
                        None => quote!(#decode(BYTES, #at)),
                    }
                })
                .collect();
            let value = layer.resolved.construct(k, &values);
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
