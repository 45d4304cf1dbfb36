//! The tensor visitors of a network: `Params` for the network and its gradient (the layers'
//! parameters, layer after layer) and `Buffers` (the layers' non-trainable tensors).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::Gen;

impl Gen<'_> {
    /// `Params` for the network and for its gradient, and `Buffers` for the network.
    pub(super) fn params(&self) -> TokenStream {
        let (name, grad) = (&self.net.name, self.grad_name());
        let fields: Vec<(Ident, TokenStream)> = self
            .param_layers()
            .map(|l| (l.field.clone(), self.ty(l)))
            .collect();
        let grads: Vec<(Ident, TokenStream)> = self
            .param_layers()
            .map(|l| {
                let as_train = self.as_train(l);
                (l.field.clone(), quote!(#as_train::Grad))
            })
            .collect();
        let a = self.params_impl(&quote!(#name<T>), &fields);
        let b = self.params_impl(&quote!(#grad<T>), &grads);
        quote!(#a #b)
    }

    /// `if i < A::TENSORS { return self.a.tensor(i) } let i = i - A::TENSORS; ..`
    fn params_impl(&self, self_ty: &TokenStream, fields: &[(Ident, TokenStream)]) -> TokenStream {
        let k = self.k;
        let p = |ty: &TokenStream| quote!(<#ty as #k::Params<T>>);
        let tensors = fields.iter().map(|(_, ty)| {
            let p = p(ty);
            quote!(#p::TENSORS)
        });
        let params = fields.iter().map(|(_, ty)| {
            let p = p(ty);
            quote!(#p::PARAMS)
        });
        let visit = |step: &dyn Fn(&Ident, &TokenStream) -> TokenStream, otherwise| {
            visit(fields, &p, &quote!(TENSORS), step, otherwise)
        };
        let tensor = visit(&|f, p| quote!(#p::tensor(&self.#f, i)), quote!(&[]));
        let tensor_mut = visit(
            &|f, p| quote!(#p::tensor_mut(&mut self.#f, i)),
            quote!(&mut []),
        );
        let info = visit(
            &|f, p| in_layer(f, quote!(#p::tensor_info(i))),
            quote!(None),
        );
        quote! {
            impl<T: #k::Float> #k::Params<T> for #self_ty {
                const TENSORS: usize = 0 #(+ #tensors)*;
                const PARAMS: usize = 0 #(+ #params)*;
                fn tensor(&self, i: usize) -> &[T] { #tensor }
                fn tensor_mut(&mut self, i: usize) -> &mut [T] { #tensor_mut }
                fn tensor_info(i: usize) -> Option<#k::TensorInfo> { #info }
            }
        }
    }

    /// `Buffers` for the network: every layer's buffers, layer after layer.
    pub(super) fn buffers(&self) -> TokenStream {
        let (k, name) = (self.k, &self.net.name);
        let fields: Vec<(Ident, TokenStream)> = self
            .net
            .layers
            .iter()
            .map(|l| (l.field.clone(), self.ty(l)))
            .collect();
        let b = |ty: &TokenStream| quote!(<#ty as #k::Buffers>);
        let sum = |of: TokenStream| {
            let terms = fields.iter().map(|(_, ty)| {
                let b = b(ty);
                quote!(#b::#of)
            });
            quote!(0 #(+ #terms)*)
        };
        let (count, values, bytes) = (
            sum(quote!(BUFFERS)),
            sum(quote!(BUFFER_VALUES)),
            sum(quote!(BUFFER_BYTES)),
        );
        let visit = |step: &dyn Fn(&Ident, &TokenStream) -> TokenStream| {
            visit(&fields, &b, &quote!(BUFFERS), step, quote!(None))
        };
        let buffer = visit(&|f, b| quote!(#b::buffer(&self.#f, i)));
        let buffer_mut = visit(&|f, b| quote!(#b::buffer_mut(&mut self.#f, i)));
        let info = visit(&|f, b| in_layer(f, quote!(#b::buffer_info(i))));
        quote! {
            impl<T: #k::Float> #k::Buffers for #name<T> {
                const BUFFERS: usize = #count;
                const BUFFER_VALUES: usize = #values;
                const BUFFER_BYTES: usize = #bytes;
                fn buffer(&self, i: usize) -> Option<#k::layer::BufferRef<'_>> { #buffer }
                fn buffer_mut(&mut self, i: usize) -> Option<#k::layer::BufferMut<'_>> {
                    #buffer_mut
                }
                fn buffer_info(i: usize) -> Option<#k::TensorInfo> { #info }
            }
        }
    }
}

/// `info.map(|t| t.in_layer("dense_1"))`: a layer's tensor named in the network.
fn in_layer(field: &Ident, info: TokenStream) -> TokenStream {
    let layer = field.to_string();
    quote!(#info.map(|t| t.in_layer(#layer)))
}

/// Dispatch on a tensor index over `fields`, counting each field's `#count` tensors of the
/// visitor `as_trait(ty)`, each step produced by `step(field, <Ty as Trait>)`.
fn visit(
    fields: &[(Ident, TokenStream)],
    as_trait: &dyn Fn(&TokenStream) -> TokenStream,
    count: &TokenStream,
    step: &dyn Fn(&Ident, &TokenStream) -> TokenStream,
    otherwise: TokenStream,
) -> TokenStream {
    let steps = fields.iter().map(|(field, ty)| {
        let p = as_trait(ty);
        let call = step(field, &p);
        quote! {
            if i < #p::#count { return #call; }
            let i = i - #p::#count;
        }
    });
    quote!(#(#steps)* let _ = i; #otherwise)
}
