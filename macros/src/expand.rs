//! Code generation from the IR only.
//!
//! For `pub struct Mnist { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>,
//! Dense<10, Softmax> }` it emits
//!
//! ```text
//! pub struct Mnist<T: Float = f32> { pub flatten_1: Flatten<T, 784>, pub dense_1: Dense<..>, .. }
//! pub struct MnistGrad<T: Float = f32> { pub dense_1: <Dense<..> as Layer<..>>::Grad, .. }
//! pub struct MnistTape<T: Float, const B: usize> { dense_1: <..>::Tape<B>, dense_1_output, .. }
//! const _: () = { impl Zeroed, Shape, Layer, Params, Network for them };
//! impl<T: Float> Mnist<T> { pub const INPUT, OUTPUT, PARAMS }
//! ```
//!
//! Flatten moves no data on liandan's flat columns, so the passes skip it; Dropout is skipped at
//! inference too.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{Kind, Layer, Network};

/// Everything `network!` emits for a checked network.
pub fn expand(krate: &TokenStream, net: &Network) -> TokenStream {
    let gen = Gen { k: krate, net };
    let structs = [gen.network_struct(), gen.grad_struct(), gen.tape_struct()];
    let impls = [
        gen.zeroed(),
        gen.shape(),
        gen.layer(),
        gen.params(),
        gen.network(),
    ];
    let inherent = gen.inherent();
    let weights = net.weights.as_ref().map(|w| gen.weights(w));
    // const _ keeps helper items out of the user's namespace (serde's idiom).
    quote! {
        #(#structs)*
        #[allow(clippy::all, unused_variables, unused_mut, non_snake_case)]
        const _: () = { #(#impls)* };
        #inherent
        #weights
    }
}

mod weights;

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

    fn io(&self) -> (Literal, Literal) {
        (n(self.net.input_width()), n(self.net.output_width()))
    }

    /// `Dense<T, 784, 128, Relu>`.
    fn ty(&self, layer: &Layer) -> TokenStream {
        let k = self.k;
        let (i, o) = (n(layer.input), n(layer.output()));
        match &layer.kind {
            Kind::Flatten => quote!(#k::layers::Flatten<T, #i>),
            Kind::Dense { activation } => {
                quote!(#k::layers::Dense<T, #i, #o, #k::activation::#activation>)
            }
            Kind::Activation { activation } => {
                quote!(#k::layers::Activation<T, #i, #k::activation::#activation>)
            }
            Kind::Dropout { ppm, .. } => {
                let ppm = Literal::u32_unsuffixed(*ppm);
                quote!(#k::layers::Dropout<T, #i, #ppm>)
            }
        }
    }

    /// `<Dense<T, 784, 128, Relu> as Layer<T, 784, 128>>`.
    fn as_layer(&self, layer: &Layer) -> TokenStream {
        let (k, ty) = (self.k, self.ty(layer));
        let (i, o) = (n(layer.input), n(layer.output()));
        quote!(<#ty as #k::Layer<T, #i, #o>>)
    }

    fn dense_layers(&self) -> impl Iterator<Item = &Layer> {
        self.net
            .layers
            .iter()
            .filter(|l| matches!(l.kind, Kind::Dense { .. }))
    }

    fn training_layers(&self) -> Vec<&Layer> {
        self.net.layers.iter().filter(|l| l.trains()).collect()
    }

    /// `pub struct Mnist<T: Float = f32> { /// Layer 2: .. pub dense_1: Dense<..>, .. }`
    fn network_struct(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let (attrs, vis, name) = (&net.attrs, &net.vis, &net.name);
        let fields = net.layers.iter().enumerate().map(|(n, layer)| {
            let doc = format!(
                "Layer {}: `{}`, output `{:?}`, {} parameters.",
                n + 1,
                layer.description,
                layer.output_shape,
                layer.params()
            );
            let (field, ty) = (&layer.field, self.ty(layer));
            quote!(#[doc = #doc] pub #field: #ty)
        });
        quote! {
            #(#attrs)*
            #vis struct #name<T: #k::Float = f32> { #(#fields,)* }
        }
    }

    /// `pub struct MnistGrad<T: Float = f32> { pub dense_1: <Dense<..> as Layer<..>>::Grad, .. }`
    fn grad_struct(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let (vis, grad) = (&net.vis, self.grad_name());
        let doc = format!(
            "The parameter gradient of [`{}`]: its tensors, in the same order.",
            net.name
        );
        let fields = self.dense_layers().map(|layer| {
            let (field, as_layer) = (&layer.field, self.as_layer(layer));
            let doc = format!("`∂L/∂θ` of `{}`.", layer.field);
            quote!(#[doc = #doc] pub #field: #as_layer::Grad)
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
            let (field, as_layer, w) = (&layer.field, self.as_layer(layer), n(layer.output()));
            let (out, d) = buffers(layer);
            let tape = quote!(#field: #as_layer::Tape<B>);
            if j + 1 == layers.len() {
                return tape;
            }
            quote! {
                #tape,
                #out: #k::__private::SMatrix<T, #w, B>,
                #d: #k::__private::SMatrix<T, #w, B>
            }
        });
        // The marker keeps `T` and `B` used when no layer keeps anything.
        quote! {
            #[doc = #doc]
            #vis struct #tape<T: #k::Float, const B: usize> {
                #(#fields,)*
                _batch: ::core::marker::PhantomData<[T; B]>,
            }
        }
    }

    /// `unsafe impl Zeroed` for the three structs, after asserting every field type is `Zeroed`.
    fn zeroed(&self) -> TokenStream {
        let (k, name, grad, tape) = (self.k, &self.net.name, self.grad_name(), self.tape_name());
        let types = self.net.layers.iter().map(|l| self.ty(l));
        quote! {
            fn assert_fields_zeroed<T: #k::Float>() {
                fn zeroed<Z: #k::Zeroed>() {}
                #(zeroed::<#types>();)*
            }
            // Safety: every field is a layer (asserted `Zeroed` above), a layer's `Grad` or
            // `Tape<B>` (both `Zeroed` by the `Layer` trait's bounds), or an `SMatrix` of floats.
            unsafe impl<T: #k::Float> #k::Zeroed for #name<T> {}
            // Safety: as above.
            unsafe impl<T: #k::Float> #k::Zeroed for #grad<T> {}
            // Safety: as above.
            unsafe impl<T: #k::Float, const B: usize> #k::Zeroed for #tape<T, B> {}
        }
    }

    fn shape(&self) -> TokenStream {
        let (k, name) = (self.k, &self.net.name);
        let (i, o) = self.io();
        quote! {
            impl<T: #k::Float> #k::Shape for #name<T> {
                type Input = #k::Size<#i>;
                type Output = #k::Size<#o>;
            }
        }
    }

    fn layer(&self) -> TokenStream {
        let (k, name, grad, tape) = (self.k, &self.net.name, self.grad_name(), self.tape_name());
        let (i, o) = self.io();
        let head = match self.training_layers().last() {
            Some(last) => {
                let as_layer = self.as_layer(last);
                quote!(#as_layer::HEAD)
            }
            None => quote!(#k::Head::Identity),
        };
        let forward_in = self.forward_in();
        let (forward, forward_train, backward, init) = (
            self.forward(),
            self.forward_train(),
            self.backward(quote!(backward)),
            self.init(),
        );
        let backward_overwrite = self.backward(quote!(backward_overwrite));
        let m = quote!(#k::__private::SMatrix);
        quote! {
            impl<T: #k::Float> #k::Layer<T, #i, #o> for #name<T> {
                type Tape<const B: usize> = #tape<T, B>;
                type Grad = #grad<T>;
                const HEAD: #k::Head = #head;

                fn forward<const B: usize>(&self, x: &#m<T, #i, B>, y: &mut #m<T, #o, B>) {
                    #forward
                }

                fn forward_in<const B: usize>(
                    &self,
                    x: &#m<T, #i, B>,
                    y: &mut #m<T, #o, B>,
                    tape: &mut #tape<T, B>,
                ) {
                    #forward_in
                }

                fn forward_train<const B: usize, R: #k::__private::RngCore + ?Sized>(
                    &self,
                    x: &#m<T, #i, B>,
                    y: &mut #m<T, #o, B>,
                    tape: &mut #tape<T, B>,
                    mut rng: Option<&mut R>,
                ) {
                    #forward_train
                }

                fn backward<const B: usize>(
                    &self,
                    x: &#m<T, #i, B>,
                    y: &#m<T, #o, B>,
                    tape: &mut #tape<T, B>,
                    dy: &mut #m<T, #o, B>,
                    logits: bool,
                    grad: &mut #grad<T>,
                    dx: Option<&mut #m<T, #i, B>>,
                ) {
                    #backward
                }

                fn backward_overwrite<const B: usize>(
                    &self,
                    x: &#m<T, #i, B>,
                    y: &#m<T, #o, B>,
                    tape: &mut #tape<T, B>,
                    dy: &mut #m<T, #o, B>,
                    logits: bool,
                    grad: &mut #grad<T>,
                    dx: Option<&mut #m<T, #i, B>>,
                ) {
                    #backward_overwrite
                }

                fn init<R: #k::__private::RngCore + ?Sized>(&mut self, rng: &mut R) {
                    #init
                }
            }
        }
    }

    /// Inference through the layers that compute then: `let mut a = zeros; dense_1.forward(x,
    /// &mut a); dense_2.forward(&a, y);`, each intermediate on the stack.
    fn forward(&self) -> TokenStream {
        let k = self.k;
        let layers: Vec<&Layer> = self.net.layers.iter().filter(|l| l.infers()).collect();
        if layers.is_empty() {
            return quote!(y.copy_from(x););
        }
        let mut input = quote!(x);
        let mut body = TokenStream::new();
        for (j, layer) in layers.iter().enumerate() {
            let (field, as_layer, w) = (&layer.field, self.as_layer(layer), n(layer.output()));
            if j + 1 == layers.len() {
                body.extend(quote!(#as_layer::forward(&self.#field, #input, y);));
            } else {
                let (out, _) = buffers(layer);
                body.extend(quote! {
                    let mut #out = #k::__private::SMatrix::<T, #w, B>::zeros();
                    #as_layer::forward(&self.#field, #input, &mut #out);
                });
                input = quote!(&#out);
            }
        }
        body
    }

    /// Inference with intermediates in the tape: `dense_1.forward_in(x, dense_1_output,
    /// dense_1); dense_2.forward_in(&*dense_1_output, y, dense_2);`. Every layer that computes
    /// at inference also trains, so its buffers exist.
    fn forward_in(&self) -> TokenStream {
        let layers: Vec<&Layer> = self.net.layers.iter().filter(|l| l.infers()).collect();
        self.tape_pass(&layers, quote!(forward_in), TokenStream::new())
    }

    /// `let MnistTape { .. } = tape; dense_1.forward_train(x, dense_1_output, dense_1, rng); ..`
    fn forward_train(&self) -> TokenStream {
        self.tape_pass(
            &self.training_layers(),
            quote!(forward_train),
            quote!(, rng.as_deref_mut()),
        )
    }

    /// `layers` in order, each one's `method(input, output, its tape #extra)` reading the
    /// previous one's output buffer in the tape, the last one writing `y`.
    fn tape_pass(&self, layers: &[&Layer], method: TokenStream, extra: TokenStream) -> TokenStream {
        if layers.is_empty() {
            return quote!(y.copy_from(x););
        }
        let mut body = self.destructure_tape();
        let mut input = quote!(x);
        for (j, layer) in layers.iter().enumerate() {
            let (field, as_layer) = (&layer.field, self.as_layer(layer));
            let (out, _) = buffers(layer);
            let output = if j + 1 == layers.len() {
                quote!(y)
            } else {
                quote!(&mut *#out)
            };
            body.extend(quote!(#as_layer::#method(&self.#field, #input, #output, #field #extra);));
            input = quote!(&*#out);
        }
        body
    }

    /// The chain rule, last layer first, each layer's `method` (`backward`, which adds to the
    /// gradient, or `backward_overwrite`, which writes it). Layers before the first one with
    /// parameters only run when the caller asks for `dx`: their gradients would be thrown away.
    fn backward(&self, method: TokenStream) -> TokenStream {
        let k = self.k;
        let layers = self.training_layers();
        if layers.is_empty() {
            return quote!(if let Some(dx) = dx {
                dx.copy_from(dy);
            });
        }
        let first_param = layers
            .iter()
            .position(|l| matches!(l.kind, Kind::Dense { .. }));
        let first_param = first_param.unwrap_or(layers.len());
        let mut body = self.destructure_tape();
        body.extend(quote! {
            let input_grad_wanted = dx.is_some();
            let mut no_params = #k::layer::NoParams;
        });
        for j in (0..layers.len()).rev() {
            let layer = layers[j];
            let last = j + 1 == layers.len();
            let (field, as_layer) = (&layer.field, self.as_layer(layer));
            let (out, d) = buffers(layer);
            let input = if j == 0 {
                quote!(x)
            } else {
                let (o, _) = buffers(layers[j - 1]);
                quote!(&*#o)
            };
            let output = if last { quote!(y) } else { quote!(&*#out) };
            let d_output = if last { quote!(dy) } else { quote!(&mut *#d) };
            let logits = if last { quote!(logits) } else { quote!(false) };
            let grad = match layer.kind {
                Kind::Dense { .. } => quote!(&mut grad.#field),
                _ => quote!(&mut no_params),
            };
            let d_input = match j {
                0 => quote!(dx),
                _ if j == first_param => {
                    let (_, d_prev) = buffers(layers[j - 1]);
                    quote!(if input_grad_wanted { Some(&mut *#d_prev) } else { None })
                }
                _ => {
                    let (_, d_prev) = buffers(layers[j - 1]);
                    quote!(Some(&mut *#d_prev))
                }
            };
            let call = quote! {
                #as_layer::#method(&self.#field, #input, #output, #field, #d_output, #logits, #grad, #d_input);
            };
            body.extend(if j < first_param {
                quote!(if input_grad_wanted { #call })
            } else {
                call
            });
        }
        body
    }

    /// `let MnistTape { dense_1, dense_1_output, dense_1_d_output, .. } = tape;`
    fn destructure_tape(&self) -> TokenStream {
        let tape = self.tape_name();
        let layers = self.training_layers();
        let names = layers.iter().enumerate().flat_map(|(j, layer)| {
            let (out, d) = buffers(layer);
            let field = layer.field.clone();
            if j + 1 == layers.len() {
                vec![field]
            } else {
                vec![field, out, d]
            }
        });
        quote!(let #tape { #(#names,)* .. } = tape;)
    }

    /// Glorot-uniform kernels and zero biases: each layer's default.
    fn init(&self) -> TokenStream {
        self.net
            .layers
            .iter()
            .map(|layer| {
                let (field, as_layer) = (&layer.field, self.as_layer(layer));
                quote!(#as_layer::init(&mut self.#field, rng);)
            })
            .collect()
    }

    /// `Params` for the network and for its gradient: the dense layers' tensors, in order.
    fn params(&self) -> TokenStream {
        let (name, grad) = (&self.net.name, self.grad_name());
        let fields: Vec<(Ident, TokenStream)> = self
            .dense_layers()
            .map(|l| (l.field.clone(), self.ty(l)))
            .collect();
        let grads: Vec<(Ident, TokenStream)> = self
            .dense_layers()
            .map(|l| {
                let as_layer = self.as_layer(l);
                (l.field.clone(), quote!(#as_layer::Grad))
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
        let tensor = self.visit(
            fields,
            |field, p| quote!(#p::tensor(&self.#field, i)),
            quote!(&[]),
        );
        let tensor_mut = self.visit(
            fields,
            |field, p| quote!(#p::tensor_mut(&mut self.#field, i)),
            quote!(&mut []),
        );
        let info = self.visit(
            fields,
            |field, p| {
                let layer = field.to_string();
                quote!(#p::tensor_info(i).map(|t| t.in_layer(#layer)))
            },
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

    /// Dispatch on a tensor index over `fields`, each step produced by `step(field, <Ty as Params>)`.
    fn visit(
        &self,
        fields: &[(Ident, TokenStream)],
        step: impl Fn(&Ident, &TokenStream) -> TokenStream,
        otherwise: TokenStream,
    ) -> TokenStream {
        let k = self.k;
        let steps = fields.iter().map(|(field, ty)| {
            let p = quote!(<#ty as #k::Params<T>>);
            let call = step(field, &p);
            quote! {
                if i < #p::TENSORS { return #call; }
                let i = i - #p::TENSORS;
            }
        });
        quote!(#(#steps)* let _ = i; #otherwise)
    }

    fn network(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let name = &net.name;
        let (i, o) = self.io();
        let name_str = name.to_string();
        let input_shape = &net.input_shape;
        let infos = net.layers.iter().map(|l| {
            let (field, kind, shape, params) = (l.field.to_string(), &l.description, &l.output_shape, l.params());
            quote!(#k::LayerInfo { name: #field, kind: #kind, output: &[#(#shape),*], params: #params })
        });
        quote! {
            impl<T: #k::Float> #k::Network<T, #i, #o> for #name<T> {
                const NAME: &'static str = #name_str;
                const INPUT_SHAPE: &'static [usize] = &[#(#input_shape),*];
                const LAYERS: &'static [#k::LayerInfo] = &[#(#infos),*];
            }
        }
    }

    /// Sizes as inherent consts, usable in types: `SVector<f32, { Mnist::<f32>::INPUT }>`, and
    /// the memory figures, computed from the widths (the tests compare them with `size_of`).
    fn inherent(&self) -> TokenStream {
        let (k, name, net) = (self.k, &self.net.name, self.net);
        let (i, o) = self.io();
        let params = n(net.layers.iter().map(Layer::params).sum());
        let (largest, inference) = (n(net.largest_width()), n(net.inference_width()));
        let tape = net.tape_width();
        let tape_scalars = n(tape);
        let tape_doc = format!(
            "The bytes of [`{name}Tape<T, B>`]({name}Tape) for `batch` samples: {tape} scalars \
             per sample (each dense layer's pre-activation and each dropout's mask, and for every \
             training layer but the last its output and output gradient)."
        );
        quote! {
            impl<T: #k::Float> #name<T> {
                /// Features per input sample (the input shape, flattened row-major).
                pub const INPUT: usize = #i;
                /// Features per output sample.
                pub const OUTPUT: usize = #o;
                /// Trainable parameters.
                pub const PARAMS: usize = #params;
                /// The bytes of the parameters, `PARAMS · size_of::<T>()`: a weight file's data,
                /// the flash compiled-in weights take, and the size of the gradient.
                pub const PARAM_BYTES: usize = #params * ::core::mem::size_of::<T>();
                /// The bytes of the widest activation of one sample, the input included.
                pub const ACTIVATION_BYTES: usize = #largest * ::core::mem::size_of::<T>();
                /// The activation bytes one sample's inference holds at once: input, output,
                /// and the output of every layer that computes at inference but the last (they
                /// are locals of `forward`; Flatten and Dropout copy nothing then).
                pub const INFERENCE_BYTES: usize = #inference * ::core::mem::size_of::<T>();

                #[doc = #tape_doc]
                pub const fn tape_bytes(batch: usize) -> usize {
                    #tape_scalars * batch * ::core::mem::size_of::<T>()
                }

                /// The bytes a training step at batch size `batch` needs besides the network,
                /// the input batch and the targets: the tape, the output and its gradient
                /// (`2 · OUTPUT · batch` scalars), the parameter gradient (`PARAM_BYTES`) and
                /// the optimizer's state (`STATE_SLOTS · PARAM_BYTES + STATE_EXTRA_BYTES`).
                /// A [`Trainer`](#k::Trainer) is this plus the optimizer's hyperparameters and
                /// its dropout switch, up to padding.
                pub const fn training_bytes<Opt: #k::optim::Optimizer<T>>(batch: usize) -> usize {
                    let scalar = ::core::mem::size_of::<T>();
                    Self::tape_bytes(batch)
                        + 2 * #o * batch * scalar
                        + (1 + Opt::STATE_SLOTS) * Self::PARAM_BYTES
                        + Opt::STATE_EXTRA_BYTES
                }
            }
        }
    }
}

/// `784`, not `784usize`: sizes read as declared in rustdoc and in error messages.
fn n(value: usize) -> Literal {
    Literal::usize_unsuffixed(value)
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
