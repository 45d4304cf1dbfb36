//! The int8 form of a network (`liandan::quant`): for `Mnist`, `MnistInt8` and
//! `MnistInt8Scratch<B>`, its integer-only `Forward`, `Int8Network` and the `const fn` that
//! fills it from an int8 file's bytes; the declaration itself when its `weights:` file is
//! int8, with `WEIGHTS` decoded at compile time.
//!
//! A convolution followed by a valid max pooling is one int8 layer
//! (`quant::Conv2DMaxPool`), which writes the pooling's output; the pooling is then a layer
//! that computes nothing, as Flatten is.
//!
//! ```text
//! pub struct MnistInt8 { pub input: Quantization, pub dense_1: quant::Dense<784, 128, 196, Relu>, .. }
//! pub struct MnistInt8Scratch<const B: usize> { dense_1: .., dense_1_output: Batch<i8, Flat<128>, B>, .. }
//! ```

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::buffers;
use crate::ir::{Layer, Network, Weights};
use crate::layers::Int8;
use crate::shape::{self, n};

/// The int8 network named `name` for `net`, with `weights` compiled in; `Err` saying which
/// layer has no int8 form and why.
pub fn int8(
    k: &TokenStream,
    net: &Network,
    name: &Ident,
    weights: Option<&Weights>,
) -> Result<TokenStream, String> {
    let gen = Int8Gen {
        k,
        net,
        name,
        forms: forms(k, net)?,
    };
    let structs = [gen.network_struct(), gen.scratch_struct()];
    let impls = [gen.zeroed(), gen.forward(), gen.int8_network()];
    let inherent = gen.inherent(weights);
    Ok(quote! {
        #(#structs)*
        #[allow(clippy::all, unused_variables, unused_mut, non_snake_case)]
        const _: () = { #(#impls)* };
        #inherent
    })
}

/// The tensor names of `net`'s int8 file, in load order: the input's quantisation, then each
/// layer's tensors.
pub fn tensors(k: &TokenStream, net: &Network) -> Result<Vec<(String, Tensor)>, String> {
    let mut all = vec![
        ("input.scale".to_string(), Tensor::new("F32", vec![1])),
        ("input.zero_point".to_string(), Tensor::new("I32", vec![1])),
    ];
    for (layer, form) in forms(k, net)? {
        for t in form.tensors {
            let dtype = t.dtype.unwrap_or("F32");
            all.push((
                format!("{}.{}", layer.field, t.name),
                Tensor::new(dtype, t.shape),
            ));
        }
    }
    Ok(all)
}

/// The int8 form of each layer of `net`: a convolution followed by a valid max pooling fused
/// into one, and the pooling then computing nothing.
fn forms<'a>(k: &TokenStream, net: &'a Network) -> Result<Vec<(&'a Layer, Int8)>, String> {
    let mut forms = Vec::new();
    let mut layers = net.layers.iter().peekable();
    while let Some(layer) = layers.next() {
        let pooled = layers.peek().and_then(|next| {
            let pool = next.resolved.int8_max_pool()?;
            layer.resolved.int8_pooled(k, &pool)
        });
        match (pooled, layers.peek()) {
            (Some(fused), Some(&pool)) => {
                forms.push((layer, fused));
                forms.push((pool, Int8::nothing()));
                layers.next();
            }
            _ => forms.push((layer, form(k, layer)?)),
        }
    }
    Ok(forms)
}

/// The int8 form of `layer` alone, or "layer 2 `Dense<..>` has no int8 form".
fn form(k: &TokenStream, layer: &Layer) -> Result<Int8, String> {
    let why = |why| format!("layer {} {why}", layer.position);
    layer.resolved.int8(k).map_err(why)
}

/// A tensor of an int8 file: its element type and shape.
pub struct Tensor {
    pub dtype: &'static str,
    pub shape: Vec<usize>,
}

impl Tensor {
    fn new(dtype: &'static str, shape: Vec<usize>) -> Self {
        Tensor { dtype, shape }
    }
}

struct Int8Gen<'a> {
    k: &'a TokenStream,
    net: &'a Network,
    name: &'a Ident,
    forms: Vec<(&'a Layer, Int8)>,
}

impl Int8Gen<'_> {
    fn scratch_name(&self) -> Ident {
        format_ident!("{}Scratch", self.name)
    }

    /// The layers that compute at inference, with their types and the shape of the sample
    /// each writes.
    fn computing(&self) -> Vec<(&Layer, &TokenStream, Vec<usize>)> {
        let forms = self.forms.iter();
        forms
            .filter_map(|(l, f)| {
                let output = f.output.clone().unwrap_or_else(|| l.output());
                f.ty.as_ref().map(|t| (*l, t, output))
            })
            .collect()
    }

    /// The samples each layer sees at once: one for a network that runs one sample at a time.
    fn samples(&self) -> TokenStream {
        if self.net.depth_first() {
            quote!(1)
        } else {
            quote!(B)
        }
    }

    fn batch(&self, dims: &[usize], samples: &TokenStream) -> TokenStream {
        let (k, s) = (self.k, shape::ty(self.k, dims));
        quote!(#k::shape::Batch<i8, #s, #samples>)
    }

    fn network_struct(&self) -> TokenStream {
        let (k, net, name) = (self.k, self.net, self.name);
        let vis = &net.vis;
        let attrs = if *name == net.name {
            net.attrs.clone()
        } else {
            Vec::new()
        };
        let doc = format!(
            "`{}` in int8: integer weights and activations, as TFLite's integer kernels \
             compute them.",
            net.name
        );
        let fields = self.computing().into_iter().map(|(layer, ty, _)| {
            let doc = format!(
                "Layer {}: `{}` in int8.",
                layer.position,
                layer.description()
            );
            let field = &layer.field;
            quote!(#[doc = #doc] pub #field: #ty)
        });
        let doc = (*name != net.name).then(|| quote!(#[doc = #doc]));
        quote! {
            #(#attrs)*
            #doc
            #vis struct #name {
                /// How a real input is quantised.
                pub input: #k::quant::Quantization,
                #(#fields,)*
            }
        }
    }

    fn scratch_struct(&self) -> TokenStream {
        let (k, vis, scratch) = (self.k, &self.net.vis, self.scratch_name());
        let doc = format!(
            "What inference of [`{}`] works in besides its input and output: the \
             intermediate int8 activations, and each layer's own scratch.",
            self.name
        );
        let n = self.samples();
        let layers = self.computing();
        let fields = layers.iter().enumerate().map(|(j, (layer, ty, output))| {
            let field = &layer.field;
            let own = quote!(#field: <#ty as #k::Forward>::Scratch<#n>);
            if j + 1 == layers.len() {
                return own;
            }
            let (out, _) = buffers(layer);
            let batch = self.batch(output, &n);
            quote!(#own, #out: #batch)
        });
        quote! {
            #[doc = #doc]
            #vis struct #scratch<const B: usize> {
                #(#fields,)*
                _batch: ::core::marker::PhantomData<[i8; B]>,
            }
        }
    }

    fn zeroed(&self) -> TokenStream {
        let (k, name, scratch) = (self.k, self.name, self.scratch_name());
        let types = self.computing().into_iter().map(|(_, ty, _)| ty);
        quote! {
            fn assert_int8_fields_zeroed() {
                fn zeroed<Z: #k::Zeroed>() {}
                #(zeroed::<#types>();)*
            }
            // Safety: every field is a quantisation (two numbers), an int8 layer (asserted
            // `Zeroed` above), its `Scratch<B>` (`Zeroed` by `Forward`'s bound), a batch of
            // `i8` or a `PhantomData`.
            unsafe impl #k::Zeroed for #name {}
            // Safety: as above.
            unsafe impl<const B: usize> #k::Zeroed for #scratch<B> {}
        }
    }

    fn forward(&self) -> TokenStream {
        let (k, net, name, scratch) = (self.k, self.net, self.name, self.scratch_name());
        let input = shape::ty(k, &net.input_shape);
        let output = shape::ty(k, &net.output_shape());
        let mut body = self.layer_calls();
        if net.depth_first() {
            body = quote! {
                for j in 0..B {
                    let x: &#k::shape::Batch<i8, #input, 1> = #k::shape::part(x, j);
                    let y: &mut #k::shape::Batch<i8, #output, 1> = #k::shape::part_mut(y, j);
                    #body
                }
            };
        }
        quote! {
            impl #k::Forward for #name {
                type Element = i8;
                type Input = #input;
                type Output = #output;
                type Scratch<const B: usize> = #scratch<B>;

                fn forward<const B: usize>(
                    &self,
                    x: &#k::shape::Batch<i8, #input, B>,
                    y: &mut #k::shape::Batch<i8, #output, B>,
                    scratch: &mut #scratch<B>,
                ) {
                    #body
                }
            }

            impl #k::Accepts<#input> for #name {}
        }
    }

    /// Each computing layer from its predecessor's output (viewed in place as the shape it
    /// takes) into its own, the last into `y`.
    fn layer_calls(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let layers = self.computing();
        if layers.is_empty() {
            return quote!(#k::shape::Buffer::as_mut_slice(y)
                .copy_from_slice(#k::shape::Buffer::as_slice(x)););
        }
        let scratch = self.scratch_name();
        let names = layers.iter().enumerate().flat_map(|(j, (layer, _, _))| {
            let (out, _) = buffers(layer);
            match j + 1 == layers.len() {
                true => vec![layer.field.clone()],
                false => vec![layer.field.clone(), out],
            }
        });
        let mut body = quote!(let #scratch { #(#names,)* .. } = scratch;);
        let (mut x, mut shape) = (quote!(x), net.input_shape.clone());
        for (j, (layer, ty, output)) in layers.iter().enumerate() {
            let (field, (out, _)) = (&layer.field, buffers(layer));
            let input = view(k, x, &shape, &layer.input, false);
            let y = match j + 1 == layers.len() {
                true => view(k, quote!(y), &net.output_shape(), output, true),
                false => quote!(&mut *#out),
            };
            body.extend(quote!(<#ty as #k::Forward>::forward(&self.#field, #input, #y, #field);));
            (x, shape) = (quote!(&*#out), output.clone());
        }
        body
    }

    /// The output's quantisation: a softmax's, or that of the last layer that requantises.
    fn output_quantization(&self) -> TokenStream {
        let k = self.k;
        let last = self.forms.iter().rev().find(|(_, f)| !f.tensors.is_empty());
        match last {
            Some((_, form)) if form.softmax => quote!(#k::quant::Quantization {
                scale: 1.0 / 256.0,
                zero_point: -128,
            }),
            Some((layer, form)) => {
                let field = quantized(layer, form);
                quote!(self.#field.output)
            }
            None => quote!(self.input),
        }
    }

    fn int8_network(&self) -> TokenStream {
        let (k, net, name) = (self.k, self.net, self.name);
        let architecture = net.architecture();
        let specs = tensors(k, net).unwrap_or_default().into_iter();
        let specs = specs.map(|(name, t)| {
            let (dtype, shape) = (t.dtype, t.shape);
            quote!(#k::quant::TensorSpec { name: #name, dtype: #dtype, shape: &[#(#shape),*] })
        });
        let output = self.output_quantization();
        quote! {
            impl #k::quant::Int8Network for #name {
                const ARCHITECTURE: &'static str = #architecture;
                const TENSORS: &'static [#k::quant::TensorSpec] = &[#(#specs),*];

                fn input_quantization(&self) -> #k::quant::Quantization {
                    self.input
                }

                fn output_quantization(&self) -> #k::quant::Quantization {
                    #output
                }

                fn load(&mut self, bytes: &[u8], at: &[usize]) {
                    self.load_const(bytes, at)
                }
            }
        }
    }

    /// The `const fn` filling the network from an int8 file: each layer that requantises
    /// from the quantisation its input arrives with, which max pooling and flattening keep.
    fn load_const(&self) -> TokenStream {
        let k = self.k;
        let mut body = quote! {
            self.input = #k::quant::bytes::quantization_at(bytes, at[0], at[1]);
            let q = self.input;
        };
        let mut next = 2;
        for (layer, form) in &self.forms {
            if form.tensors.is_empty() {
                continue;
            }
            let (field, quantized) = (&layer.field, quantized(layer, form));
            let at = (next..next + form.tensors.len()).map(|i| quote!(at[#i]));
            body.extend(quote! {
                self.#field.load(bytes, &[#(#at),*], q);
                let q = self.#quantized.output;
            });
            next += form.tensors.len();
        }
        body
    }

    fn inherent(&self, weights: Option<&Weights>) -> TokenStream {
        let (k, name, net) = (self.k, self.name, self.net);
        let params: usize = 8 + self.forms.iter().map(|(_, f)| f.bytes).sum::<usize>();
        let layers = self.computing();
        let inner = layers.iter().take(layers.len().saturating_sub(1));
        let activations: usize = inner.map(|(_, _, output)| shape::len(output)).sum();
        let own: usize = self.forms.iter().map(|(_, f)| f.scratch).sum();
        let per_sample = n(activations + own);
        let inference = n(net.input_width() + net.output_width() + activations + own);
        let (params, load) = (n(params), self.load_const());
        let weights = weights.map(|w| {
            let path = &w.path;
            let at = w.offsets.iter().map(|(_, at)| *at);
            let doc = format!(
                "The int8 network of `{path}`, checked against this declaration and decoded \
                 when the crate compiled: `static NET: {name} = {name}::WEIGHTS;` keeps it in \
                 read-only memory."
            );
            quote! {
                #[doc = #doc]
                pub const WEIGHTS: Self = {
                    const BYTES: &[u8] = include_bytes!(#path);
                    let mut net: Self = #k::zeroed();
                    net.load_const(BYTES, &[#(#at),*]);
                    net
                };
            }
        });
        let scratch_doc = if net.depth_first() {
            "of the one sample inference works on at a time, whatever `batch`"
        } else {
            "per sample"
        };
        let scratch_doc = format!(
            "The bytes of [`{name}Scratch<B>`]({name}Scratch) for `batch` samples: \
             {} {scratch_doc}.",
            activations + own
        );
        let per = if net.depth_first() {
            quote!(1)
        } else {
            quote!(batch)
        };
        quote! {
            impl #name {
                /// The bytes of the int8 network: kernels, biases, multipliers and shifts,
                /// and the quantisations; what compiled-in weights take in flash.
                pub const PARAM_BYTES: usize = #params;
                /// The bytes one sample's inference holds at once: the int8 input and output
                /// and the scratch of one sample.
                pub const INFERENCE_BYTES: usize = #inference;

                #[doc = #scratch_doc]
                pub const fn scratch_bytes(batch: usize) -> usize {
                    #per_sample * #per
                }

                /// Fills the network from an int8 file's bytes, tensor `i` of its
                /// `TENSORS` at `at[i]`; `const`, for compiled-in weights.
                pub const fn load_const(&mut self, bytes: &[u8], at: &[usize]) {
                    #load
                }

                #weights
            }
        }
    }
}

/// The path from the network to the layer holding `layer`'s output quantisation:
/// `conv2d_1`, or `conv2d_1.conv` for a fused convolution.
fn quantized(layer: &Layer, form: &Int8) -> TokenStream {
    let field = &layer.field;
    match form.inner {
        Some(inner) => {
            let inner = Ident::new(inner, proc_macro2::Span::call_site());
            quote!(#field.#inner)
        }
        None => quote!(#field),
    }
}

/// `expr`, a batch of `from`, as a batch of `to`: itself, or viewed in place.
fn view(
    k: &TokenStream,
    expr: TokenStream,
    from: &[usize],
    to: &[usize],
    mutable: bool,
) -> TokenStream {
    match (from == to, mutable) {
        (true, _) => expr,
        (false, false) => quote!(#k::shape::view(#expr)),
        (false, true) => quote!(#k::shape::view_mut(#expr)),
    }
}

/// `impl Quantize for Mnist<f32>`: what calibration reads of a training pass (the input, and
/// the output of each layer that requantises, or its logits before a softmax), and each such
/// layer's float tensors for quantising.
pub fn quantize(k: &TokenStream, net: &Network, int8_name: &Ident) -> TokenStream {
    let (name, tape) = (&net.name, format_ident!("{}Tape", net.name));
    let input = shape::ty(k, &net.input_shape);
    let output = shape::ty(k, &net.output_shape());
    let training: Vec<&Layer> = net.layers.iter().filter(|l| l.trains()).collect();
    let requantizing = net.layers.iter().filter(|l| {
        let form = l.resolved.int8(k);
        form.is_ok_and(|f| !f.tensors.is_empty())
    });
    let (mut observe, mut visit) = (Vec::new(), Vec::new());
    for (j, layer) in requantizing.enumerate() {
        let (field, ty, (out, _)) = (&layer.field, layer.resolved.ty(k), buffers(layer));
        let last = training.last().is_some_and(|l| l.field == layer.field);
        let y = if last { quote!(y) } else { quote!(&tape.#out) };
        let range = j + 1;
        observe.push(quote! {
            ranges[#range].observe(<#ty as #k::quant::Observe>::observed::<B>(#y, &tape.#field));
        });
        let field_name = field.to_string();
        visit.push(quote!(visit(#field_name, &self.#field);));
    }
    let observed = n(observe.len() + 1);
    quote! {
        #[allow(clippy::all, non_snake_case)]
        const _: () = {
            // The layers' types name their element `T`.
            type T = f32;
            impl #k::quant::Quantize for #name<f32> {
                type Int8 = #int8_name;
                const OBSERVED: usize = #observed;

                fn observe<const B: usize>(
                    &self,
                    x: &#k::shape::Batch<f32, #input, B>,
                    y: &#k::shape::Batch<f32, #output, B>,
                    tape: &#tape<f32, B>,
                    ranges: &mut [#k::quant::Range],
                ) {
                    ranges[0].observe(#k::shape::Buffer::as_slice(x));
                    #(#observe)*
                }

                fn int8_layers(
                    &self,
                    visit: &mut dyn FnMut(&'static str, &dyn #k::quant::QuantizeTensors),
                ) {
                    #(#visit)*
                }
            }
        };
    }
}
