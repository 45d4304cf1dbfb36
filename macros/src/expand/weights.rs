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
    /// Each layer's file says how it is built from its tensors. A tensor without an offset or
    /// of an element type no decoder reads gives only a `compile_error!` on the layer's name.
    pub(super) fn weights(&self, weights: &Weights) -> TokenStream {
        match self.weight_fields(weights) {
            Ok(fields) => self.weights_const(weights, &fields),
            Err(error) => error.to_compile_error(),
        }
    }

    /// `dense_1: Dense::from_parts(f32_matrix(BYTES, 136), ..)` for each layer.
    fn weight_fields(&self, weights: &Weights) -> syn::Result<Vec<TokenStream>> {
        let k = self.k;
        let decode = match weights.scalar {
            Scalar::F32 => quote!(#k::embed::f32_matrix),
            Scalar::F64 => quote!(#k::embed::f64_matrix),
        };
        let mut fields = Vec::new();
        for layer in &self.net.layers {
            let field = &layer.field;
            let tensors = layer.resolved.params().into_iter();
            let tensors = tensors.chain(layer.resolved.buffers());
            let values = tensors.map(|tensor| {
                let name = format!("{field}.{}", tensor.name);
                let at = offset(weights, &name).ok_or_else(|| {
                    let msg = format!("`{}` has no offset for tensor `{name}`", weights.path);
                    syn::Error::new(field.span(), msg)
                })?;
                match tensor.dtype {
                    None => Ok(quote!(#decode(BYTES, #at))),
                    Some("I64") => Ok(quote!(#k::embed::i64_value(BYTES, #at))),
                    Some(other) => {
                        let msg = format!(
                            "tensor `{name}` is {other}; compiled-in weights decode F32, F64 \
                             and I64 tensors"
                        );
                        Err(syn::Error::new(field.span(), msg))
                    }
                }
            });
            let values = values.collect::<syn::Result<Vec<TokenStream>>>()?;
            let value = layer.resolved.construct(k, &values);
            fields.push(quote!(#field: #value));
        }
        Ok(fields)
    }

    /// The `impl` holding `WEIGHTS`, built of `fields`.
    fn weights_const(&self, weights: &Weights, fields: &[TokenStream]) -> TokenStream {
        let name = &self.net.name;
        let scalar = match weights.scalar {
            Scalar::F32 => quote!(f32),
            Scalar::F64 => quote!(f64),
        };
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

/// The byte offset of tensor `name` in the file, if the check recorded one.
fn offset(weights: &Weights, name: &str) -> Option<usize> {
    let found = weights.offsets.iter().find(|(n, _)| n == name);
    found.map(|(_, at)| *at)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::expand::Gen;
    use crate::ir::{Scalar, Weights};
    use crate::{ast, check};

    /// The `WEIGHTS` expansion of a normalized network, for weights with these offsets.
    fn expanded(offsets: Vec<(String, usize)>) -> String {
        let decl: ast::Network =
            syn::parse2(quote!(struct N { input: [2], Normalization, Dense<1> })).expect("parses");
        let net = check::check(&decl).expect("valid");
        let weights = Weights {
            path: "/w.safetensors".into(),
            scalar: Scalar::F32,
            int8: false,
            offsets,
        };
        let k = quote!(::liandan);
        Gen { k: &k, net: &net }.weights(&weights).to_string()
    }

    /// A layer keeping one `I32` buffer, which no const decoder reads.
    struct Counter;

    impl crate::layers::Resolved for Counter {
        fn field(&self) -> &'static str {
            "counter"
        }
        fn description(&self) -> String {
            "Counter".into()
        }
        fn output(&self) -> Vec<usize> {
            vec![1]
        }
        fn ty(&self, _: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
            quote!(Counter)
        }
        fn buffers(&self) -> Vec<crate::layers::Tensor> {
            let tensor = crate::layers::Tensor::scalar("ticks", vec![]);
            vec![crate::layers::Tensor {
                dtype: Some("I32"),
                ..tensor
            }]
        }
        fn construct(
            &self,
            _: &proc_macro2::TokenStream,
            _: &[proc_macro2::TokenStream],
        ) -> proc_macro2::TokenStream {
            quote!(Counter)
        }
        fn tape_width(&self) -> usize {
            0
        }
    }

    #[test]
    fn a_tensor_no_decoder_reads_is_a_sentence_on_its_layer() {
        let span = proc_macro2::Span::call_site();
        let net = crate::ir::Network {
            attrs: Vec::new(),
            vis: syn::Visibility::Inherited,
            name: crate::ir::ident("N", span),
            input_shape: vec![1],
            layers: vec![crate::ir::Layer {
                field: crate::ir::ident("counter_1", span),
                position: 1,
                input: vec![1],
                resolved: Box::new(Counter),
            }],
            weights: None,
        };
        let weights = Weights {
            path: "/w.safetensors".into(),
            scalar: Scalar::F32,
            int8: false,
            offsets: vec![("counter_1.ticks".into(), 8)],
        };
        let k = quote!(::liandan);
        let text = Gen { k: &k, net: &net }.weights(&weights).to_string();
        assert_eq!(
            text,
            ":: core :: compile_error ! { \"tensor `counter_1.ticks` is I32; compiled-in weights decode \
             F32, F64 and I64 tensors\" }"
        );
    }

    #[test]
    fn a_missing_offset_is_a_sentence_not_a_zero() {
        let all = ["dense_1.kernel", "dense_1.bias", "normalization_1.mean"];
        let offsets: Vec<(String, usize)> = all.iter().map(|n| (n.to_string(), 8)).collect();
        let text = expanded(offsets.clone());
        assert!(
            text.contains("compile_error ! { \"`/w.safetensors` has no offset for tensor `normalization_1.variance`\" }"),
            "{text}"
        );
        assert!(!text.contains("WEIGHTS"), "{text}");
        let mut offsets = offsets;
        for name in ["normalization_1.variance", "normalization_1.count"] {
            offsets.push((name.to_string(), 16));
        }
        let text = expanded(offsets);
        assert!(text.contains("pub const WEIGHTS"), "{text}");
        assert!(text.contains("i64_value (BYTES , 16usize)"), "{text}");
    }
}
