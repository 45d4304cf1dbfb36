//! Code generation from the IR only.
//!
//! For `pub struct Mnist { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>,
//! Dense<10, Softmax> }` it emits
//!
//! ```text
//! pub struct Mnist<T: Float = f32> { pub flatten_1: Flatten<T, Hw<28, 28>, 784>, pub dense_1: Dense<..>, .. }
//! pub struct MnistGrad<T: Float = f32> { pub dense_1: <Dense<..> as Train>::Grad, .. }
//! pub struct MnistTape<T: Float, const B: usize> { dense_1: <..>::Tape<B>, dense_1_output, .. }
//! pub struct MnistScratch<T: Float, const B: usize> { dense_1: <..>::Scratch<B>, dense_1_output, .. }
//! const _: () = { impl Zeroed, Forward, Accepts, Train, Params, Buffers, Network for them };
//! impl<T: Float> Mnist<T> { pub const INPUT, OUTPUT, PARAMS, .. }
//! ```
//!
//! The passes, in `passes`, skip what moves no data: `Flatten` (a batch is its input's bytes,
//! read in place as the next shape), and `Dropout` at inference.

mod int8;
mod memory;
mod params;
mod passes;
mod weights;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{Layer, Network};
use crate::shape;

/// Everything `network!` emits for a checked network.
pub fn expand(krate: &TokenStream, net: &Network) -> TokenStream {
    if let Some(weights) = net.weights.as_ref().filter(|w| w.int8) {
        // The file's check found every layer's int8 form.
        return int8::int8(krate, net, &net.name, Some(weights)).unwrap_or_default();
    }
    let gen = Gen { k: krate, net };
    let structs = [
        gen.network_struct(),
        gen.grad_struct(),
        gen.tape_struct(),
        gen.scratch_struct(),
    ];
    let impls = [
        gen.zeroed(),
        gen.forward(),
        gen.train(),
        gen.params(),
        gen.buffers(),
        gen.network(),
    ];
    let inherent = gen.inherent();
    let weights = net.weights.as_ref().map(|w| gen.weights(w));
    // A network whose layers all have int8 forms gets its int8 sibling, `MnistInt8`.
    let int8_name = format_ident!("{}Int8", net.name);
    let int8 = int8::int8(krate, net, &int8_name, None)
        .ok()
        .map(|sibling| {
            let quantize = int8::quantize(krate, net, &int8_name);
            quote!(#sibling #quantize)
        });
    // const _ keeps helper items out of the user's namespace (serde's idiom).
    quote! {
        #(#structs)*
        #[allow(clippy::all, unused_variables, unused_mut, non_snake_case)]
        const _: () = { #(#impls)* };
        #inherent
        #weights
        #int8
    }
}

/// The tensors of `net`'s int8 file, or why a layer has no int8 form.
pub fn int8_tensors(net: &Network) -> Result<Vec<(String, int8::Tensor)>, String> {
    int8::tensors(&TokenStream::new(), net)
}

struct Gen<'a> {
    k: &'a TokenStream,
    net: &'a Network,
}

impl Gen<'_> {
    fn grad_name(&self) -> Ident {
        format_ident!("{}Grad", self.net.name)
    }

    fn tape_name(&self) -> Ident {
        format_ident!("{}Tape", self.net.name)
    }

    fn scratch_name(&self) -> Ident {
        format_ident!("{}Scratch", self.net.name)
    }

    /// The network's input and output shape types: `Hw<28, 28>`, `Flat<10>`.
    fn io(&self) -> (TokenStream, TokenStream) {
        let k = self.k;
        (
            shape::ty(k, &self.net.input_shape),
            shape::ty(k, &self.net.output_shape()),
        )
    }

    /// `Dense<T, 784, 128, Relu>`.
    fn ty(&self, layer: &Layer) -> TokenStream {
        layer.resolved.ty(self.k)
    }

    /// `<Dense<T, 784, 128, Relu> as Train>`.
    fn as_train(&self, layer: &Layer) -> TokenStream {
        let (k, ty) = (self.k, self.ty(layer));
        quote!(<#ty as #k::Train>)
    }

    /// `Batch<T, Flat<128>, B>`: a batch of `dims` at the pass's batch size.
    fn batch(&self, dims: &[usize]) -> TokenStream {
        self.batch_of(dims, quote!(B))
    }

    /// `Batch<T, Hw<28, 28>, #samples>`.
    fn batch_of(&self, dims: &[usize], samples: TokenStream) -> TokenStream {
        let (k, s) = (self.k, shape::ty(self.k, dims));
        quote!(#k::shape::Batch<T, #s, #samples>)
    }

    /// The samples each layer's inference sees at once: `1` for a network that runs one sample
    /// at a time ([`Network::depth_first`]), else the whole batch, `B`.
    fn inference_samples(&self) -> TokenStream {
        if self.net.depth_first() {
            quote!(1)
        } else {
            quote!(B)
        }
    }

    fn param_layers(&self) -> impl Iterator<Item = &Layer> {
        self.net.layers.iter().filter(|l| l.has_params())
    }

    fn training_layers(&self) -> Vec<&Layer> {
        self.net.layers.iter().filter(|l| l.trains()).collect()
    }

    /// `pub struct Mnist<T: Float = f32> { /// Layer 2: .. pub dense_1: Dense<..>, .. }`
    fn network_struct(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let (attrs, vis, name) = (&net.attrs, &net.vis, &net.name);
        let fields = net.layers.iter().map(|layer| {
            let doc = format!(
                "Layer {}: `{}`, output `{:?}`, {} parameters.",
                layer.position,
                layer.description(),
                layer.output(),
                layer.param_count()
            );
            let (field, ty) = (&layer.field, self.ty(layer));
            quote!(#[doc = #doc] pub #field: #ty)
        });
        quote! {
            #(#attrs)*
            #vis struct #name<T: #k::Float = f32> { #(#fields,)* }
        }
    }

    /// `pub struct MnistGrad<T: Float = f32> { pub dense_1: <Dense<..> as Train>::Grad, .. }`
    fn grad_struct(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let (vis, grad) = (&net.vis, self.grad_name());
        let doc = format!(
            "The parameter gradient of [`{}`]: its tensors, in the same order.",
            net.name
        );
        let fields = self.param_layers().map(|layer| {
            let (field, as_train) = (&layer.field, self.as_train(layer));
            let doc = format!("`∂L/∂θ` of `{}`.", layer.field);
            quote!(#[doc = #doc] pub #field: #as_train::Grad)
        });
        // The marker keeps `T` used when no layer has parameters.
        quote! {
            #[doc = #doc]
            #vis struct #grad<T: #k::Float = f32> {
                #(#fields,)*
                _scalar: ::core::marker::PhantomData<T>,
            }
        }
    }

    /// `pub struct MnistTape<T, const B: usize> { dense_1: <..>::Tape<B>, dense_1_output: .. }`
    fn tape_struct(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let (vis, tape) = (&net.vis, self.tape_name());
        let doc = format!(
            "What a training forward pass of [`{}`] keeps for its backward pass, for batches of `B` samples.",
            net.name
        );
        let layers = self.training_layers();
        let fields = layers.iter().enumerate().map(|(j, layer)| {
            let (field, as_train) = (&layer.field, self.as_train(layer));
            let (out, d) = buffers(layer);
            let tape = quote!(#field: #as_train::Tape<B>);
            if j + 1 == layers.len() {
                return tape;
            }
            let batch = self.batch(&layer.output());
            quote!(#tape, #out: #batch, #d: #batch)
        });
        // A network that runs one sample at a time infers in the tape through its own scratch.
        let inference = net.depth_first().then(|| {
            let scratch = self.scratch_name();
            quote!(inference: #scratch<T, 1>,)
        });
        // The marker keeps `T` and `B` used when no layer keeps anything.
        quote! {
            #[doc = #doc]
            #vis struct #tape<T: #k::Float, const B: usize> {
                #(#fields,)*
                #inference
                _batch: ::core::marker::PhantomData<[T; B]>,
            }
        }
    }

    /// `pub struct MnistScratch<T, const B: usize> { dense_1: <..>::Scratch<B>, dense_1_output:
    /// .., dense_2: <..>::Scratch<B> }`: for each layer that computes at inference its scratch,
    /// and for each but the last its output; of one sample (`Scratch<1>`) for a network that
    /// runs one sample at a time.
    fn scratch_struct(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let (vis, scratch) = (&net.vis, self.scratch_name());
        let samples = if net.depth_first() {
            "of one sample, which inference of each sample of a batch reuses"
        } else {
            "for batches of `B` samples"
        };
        let doc = format!(
            "What inference of [`{}`] works in besides its input and output, {samples}: the \
             intermediate activations, and each layer's own scratch.",
            net.name
        );
        let n = self.inference_samples();
        let layers = net.inference_layers();
        let fields = layers.iter().enumerate().map(|(j, layer)| {
            let (field, ty) = (&layer.field, self.ty(layer));
            let (out, _) = buffers(layer);
            let own = quote!(#field: <#ty as #k::Forward>::Scratch<#n>);
            if j + 1 == layers.len() {
                return own;
            }
            let batch = self.batch_of(&layer.output(), n.clone());
            quote!(#own, #out: #batch)
        });
        // The marker keeps `T` and `B` used when no layer needs anything.
        quote! {
            #[doc = #doc]
            #vis struct #scratch<T: #k::Float, const B: usize> {
                #(#fields,)*
                _batch: ::core::marker::PhantomData<[T; B]>,
            }
        }
    }

    /// `unsafe impl Zeroed` for the four structs, after asserting every field type is `Zeroed`.
    fn zeroed(&self) -> TokenStream {
        let (k, name, grad, tape) = (self.k, &self.net.name, self.grad_name(), self.tape_name());
        let scratch = self.scratch_name();
        let types = self.net.layers.iter().map(|l| self.ty(l));
        quote! {
            fn assert_fields_zeroed<T: #k::Float>() {
                fn zeroed<Z: #k::Zeroed>() {}
                #(zeroed::<#types>();)*
            }
            // Safety: every field is a layer (asserted `Zeroed` above), a layer's `Grad`,
            // `Tape<B>` or `Scratch<B>` (`Zeroed` by the `Train` and `Forward` traits' bounds),
            // a batch (`Zeroed`, as `Buffer` requires) or a `PhantomData`.
            unsafe impl<T: #k::Float> #k::Zeroed for #name<T> {}
            // Safety: as above.
            unsafe impl<T: #k::Float> #k::Zeroed for #grad<T> {}
            // Safety: as above.
            unsafe impl<T: #k::Float, const B: usize> #k::Zeroed for #tape<T, B> {}
            // Safety: as above.
            unsafe impl<T: #k::Float, const B: usize> #k::Zeroed for #scratch<T, B> {}
        }
    }

    fn network(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let name = &net.name;
        let name_str = name.to_string();
        let infos = net.layers.iter().map(|l| {
            let (field, kind) = (l.field.to_string(), l.description());
            let (output, params, buffers) = (l.output(), l.param_count(), l.buffer_count());
            quote!(#k::LayerInfo { name: #field, kind: #kind, output: &[#(#output),*], params: #params, buffers: #buffers })
        });
        quote! {
            impl<T: #k::Float> #k::Network for #name<T> {
                const NAME: &'static str = #name_str;
                const LAYERS: &'static [#k::LayerInfo] = &[#(#infos),*];
            }
        }
    }
}

/// The names of a layer's output buffer and output-gradient buffer in the tape.
fn buffers(layer: &Layer) -> (Ident, Ident) {
    (
        format_ident!("{}_output", layer.field),
        format_ident!("{}_d_output", layer.field),
    )
}

#[cfg(test)]
mod tests;
