//! The passes: `Forward::forward`, and `Train`'s `forward_in`, `forward_train` and the chain
//! rule in `backward`, layer by layer through the buffers of the tape.
//!
//! A layer that moves no data is skipped (`Flatten`, and `Dropout` at inference); the next one
//! reads its predecessor's output in place as the shape it takes ([`view`] when the shapes
//! differ, which costs nothing).
//!
//! A network with a convolution infers one sample at a time through all its layers
//! ([`Network::depth_first`](crate::ir::Network::depth_first)), in `forward` and in
//! `forward_in` alike, so each layer's output is still in cache for the next.
//!
//! [`view`]: https://docs.rs/liandan/latest/liandan/shape/fn.view.html

use proc_macro2::TokenStream;
use quote::quote;

use super::{buffers, Gen};
use crate::ir::Layer;

impl Gen<'_> {
    /// `expr`, a batch of `from`, as a batch of `to`: itself, or viewed in place.
    fn reshaped(&self, expr: TokenStream, from: &[usize], to: &[usize]) -> TokenStream {
        let k = self.k;
        if from == to {
            expr
        } else {
            quote!(#k::shape::view(#expr))
        }
    }

    /// [`reshaped`](Gen::reshaped), mutably.
    fn reshaped_mut(&self, expr: TokenStream, from: &[usize], to: &[usize]) -> TokenStream {
        let k = self.k;
        if from == to {
            expr
        } else {
            quote!(#k::shape::view_mut(#expr))
        }
    }

    /// `impl Forward for Mnist<T> { .. }` and `impl Accepts<Hw<28, 28>> for Mnist<T> {}`.
    pub(super) fn forward(&self) -> TokenStream {
        let (k, name, scratch) = (self.k, &self.net.name, self.scratch_name());
        let (input, output) = self.io();
        let body = self.inference();
        quote! {
            impl<T: #k::Float> #k::Forward for #name<T> {
                type Element = T;
                type Input = #input;
                type Output = #output;
                type Scratch<const B: usize> = #scratch<T, B>;

                fn forward<const B: usize>(
                    &self,
                    x: &#k::shape::Batch<T, #input, B>,
                    y: &mut #k::shape::Batch<T, #output, B>,
                    scratch: &mut #scratch<T, B>,
                ) {
                    #body
                }
            }

            impl<T: #k::Float> #k::Accepts<#input> for #name<T> {}
        }
    }

    /// Inference through the layers that compute then, each working in its own scratch and
    /// writing into its output buffer in the network's scratch, the last one into `y`:
    /// `let MnistScratch { dense_1, dense_1_output, dense_2, .. } = scratch;
    /// dense_1.forward(view(x), &mut *dense_1_output, dense_1); dense_2.forward(&*dense_1_output,
    /// y, dense_2);`.
    ///
    /// A network that runs one sample at a time ([`depth_first`]) wraps that in a loop over the
    /// samples, each read in place as a batch of one: `for j in 0..B { let x: &Batch<T, In, 1>
    /// = part(x, j); let y: &mut Batch<T, Out, 1> = part_mut(y, j); .. }`.
    ///
    /// [`depth_first`]: crate::ir::Network::depth_first
    fn inference(&self) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let layers = net.inference_layers();
        if layers.is_empty() {
            return copy(k);
        }
        let body = self.inference_layers(&layers);
        if !net.depth_first() {
            return body;
        }
        let (input, output) = self.io();
        quote! {
            for j in 0..B {
                let x: &#k::shape::Batch<T, #input, 1> = #k::shape::part(x, j);
                let y: &mut #k::shape::Batch<T, #output, 1> = #k::shape::part_mut(y, j);
                #body
            }
        }
    }

    /// The calls of [`inference`](Gen::inference) for one batch, `x` into `y`.
    fn inference_layers(&self, layers: &[&Layer]) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let mut body = self.destructure_scratch(layers);
        let (mut input, mut shape) = (quote!(x), net.input_shape.clone());
        for (j, layer) in layers.iter().enumerate() {
            let (field, ty) = (&layer.field, self.ty(layer));
            let (out, _) = buffers(layer);
            let x = self.reshaped(input, &shape, &layer.input);
            let y = if j + 1 == layers.len() {
                self.reshaped_mut(quote!(y), &net.output_shape(), &layer.output())
            } else {
                quote!(&mut *#out)
            };
            body.extend(quote!(<#ty as #k::Forward>::forward(&self.#field, #x, #y, #field);));
            (input, shape) = (quote!(&*#out), layer.output());
        }
        body
    }

    /// `let MnistScratch { dense_1, dense_1_output, dense_2, .. } = scratch;`
    fn destructure_scratch(&self, layers: &[&Layer]) -> TokenStream {
        let scratch = self.scratch_name();
        let names = layers.iter().enumerate().flat_map(|(j, layer)| {
            let (out, _) = buffers(layer);
            let field = layer.field.clone();
            if j + 1 == layers.len() {
                vec![field]
            } else {
                vec![field, out]
            }
        });
        quote!(let #scratch { #(#names,)* .. } = scratch;)
    }

    /// `impl Train for Mnist<T> { type Tape, type Grad, HEAD, the passes, init }`.
    pub(super) fn train(&self) -> TokenStream {
        let (k, name, grad, tape) = (self.k, &self.net.name, self.grad_name(), self.tape_name());
        let (input, output) = self.io();
        let head = match self.training_layers().last() {
            Some(last) => {
                let as_train = self.as_train(last);
                quote!(#as_train::HEAD)
            }
            None => quote!(#k::Head::Identity),
        };
        let inference = self.net.inference_layers();
        let forward_in = if self.net.depth_first() {
            // `forward`'s body, one sample at a time in the tape's scratch of one sample.
            let body = self.inference();
            quote!(let scratch = &mut tape.inference; #body)
        } else {
            self.tape_pass(&inference, quote!(forward_in), TokenStream::new())
        };
        let extra = quote!(, #k::layer::reborrow(&mut rng));
        let forward_train = self.tape_pass(&self.training_layers(), quote!(forward_train), extra);
        let (backward, init) = (self.backward(), self.init());
        let batch = |s: &TokenStream| quote!(#k::shape::Batch<T, #s, B>);
        let (x, y) = (batch(&input), batch(&output));
        quote! {
            impl<T: #k::Float> #k::Train for #name<T> {
                type Tape<const B: usize> = #tape<T, B>;
                type Grad = #grad<T>;
                const HEAD: #k::Head = #head;

                fn forward_in<const B: usize>(&self, x: &#x, y: &mut #y, tape: &mut #tape<T, B>) {
                    #forward_in
                }

                fn forward_train<const B: usize>(
                    &self,
                    x: &#x,
                    y: &mut #y,
                    tape: &mut #tape<T, B>,
                    mut rng: Option<&mut dyn #k::__private::RngCore>,
                ) {
                    #forward_train
                }

                fn backward<const B: usize>(&self, ctx: #k::layer::Backward<'_, Self, B>) {
                    #backward
                }

                fn init<R: #k::__private::RngCore + ?Sized>(&mut self, rng: &mut R) {
                    #init
                }
            }
        }
    }

    /// `layers` in order, each one's `method(input, output, its tape #extra)` reading the
    /// previous one's output buffer in the tape, the last one writing `y`:
    /// `let MnistTape { .. } = tape; dense_1.forward_train(view(x), dense_1_output, dense_1,
    /// rng); ..`.
    fn tape_pass(&self, layers: &[&Layer], method: TokenStream, extra: TokenStream) -> TokenStream {
        let (k, net) = (self.k, self.net);
        if layers.is_empty() {
            return copy(k);
        }
        let mut body = self.destructure_tape();
        let (mut input, mut shape) = (quote!(x), net.input_shape.clone());
        for (j, layer) in layers.iter().enumerate() {
            let (field, as_train) = (&layer.field, self.as_train(layer));
            let (out, _) = buffers(layer);
            let x = self.reshaped(input, &shape, &layer.input);
            let y = if j + 1 == layers.len() {
                self.reshaped_mut(quote!(y), &net.output_shape(), &layer.output())
            } else {
                quote!(&mut *#out)
            };
            body.extend(quote!(#as_train::#method(&self.#field, #x, #y, #field #extra);));
            (input, shape) = (quote!(&*#out), layer.output());
        }
        body
    }

    /// The chain rule, last layer first, each layer's `backward` with the context's seed for
    /// the last and the output gradient for the others. Layers before the first one with
    /// parameters only run when the caller asks for `dx`: their gradients would be thrown away.
    fn backward(&self) -> TokenStream {
        let k = self.k;
        let layers = self.training_layers();
        if layers.is_empty() {
            return quote! {
                if let Some(dx) = ctx.dx {
                    #k::shape::Buffer::as_mut_slice(dx)
                        .copy_from_slice(#k::shape::Buffer::as_slice(ctx.dy));
                }
            };
        }
        let first_param = layers.iter().position(|l| l.has_params());
        let first_param = first_param.unwrap_or(layers.len());
        let mut body = quote! {
            let #k::layer::Backward { x, y, tape, dy, seed, grad, mode, dx } = ctx;
        };
        body.extend(self.destructure_tape());
        body.extend(quote! {
            let input_grad_wanted = dx.is_some();
            let mut no_params = #k::layer::NoParams;
        });
        for j in (0..layers.len()).rev() {
            let call = self.backward_call(&layers, j, first_param);
            body.extend(if j < first_param {
                quote!(if input_grad_wanted { #call })
            } else {
                call
            });
        }
        body
    }

    /// `<Dense<..> as Train>::backward(&self.dense_2, Backward { x: &*dense_1_output, y, tape:
    /// dense_2, dy, seed, grad: &mut grad.dense_2, mode, dx: Some(&mut *dense_1_d_output) });`
    fn backward_call(&self, layers: &[&Layer], j: usize, first_param: usize) -> TokenStream {
        let (k, net) = (self.k, self.net);
        let layer = layers[j];
        let last = j + 1 == layers.len();
        let (field, as_train) = (&layer.field, self.as_train(layer));
        let (out, d) = buffers(layer);
        let x = match j {
            0 => self.reshaped(quote!(x), &net.input_shape, &layer.input),
            _ => {
                let (o, _) = buffers(layers[j - 1]);
                self.reshaped(quote!(&*#o), &layers[j - 1].output(), &layer.input)
            }
        };
        let (y, dy, seed) = if last {
            let output = net.output_shape();
            let y = self.reshaped(quote!(y), &output, &layer.output());
            let dy = self.reshaped_mut(quote!(dy), &output, &layer.output());
            (y, dy, quote!(seed))
        } else {
            (
                quote!(&*#out),
                quote!(&mut *#d),
                quote!(#k::layer::Seed::Output),
            )
        };
        let grad = if layer.has_params() {
            quote!(&mut grad.#field)
        } else {
            quote!(&mut no_params)
        };
        let dx = match j {
            0 => {
                let view = self.reshaped_mut(quote!(dx), &net.input_shape, &layer.input);
                quote!(dx.map(|dx| #view))
            }
            _ => {
                let (_, d_prev) = buffers(layers[j - 1]);
                let dx = quote!(&mut *#d_prev);
                let dx = self.reshaped_mut(dx, &layers[j - 1].output(), &layer.input);
                if j == first_param {
                    quote!(if input_grad_wanted { Some(#dx) } else { None })
                } else {
                    quote!(Some(#dx))
                }
            }
        };
        quote! {
            #as_train::backward(&self.#field, #k::layer::Backward {
                x: #x, y: #y, tape: #field, dy: #dy, seed: #seed, grad: #grad, mode, dx: #dx,
            });
        }
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

    /// Each layer's default initialisation: glorot-uniform kernels and zero biases.
    fn init(&self) -> TokenStream {
        let layers = self.net.layers.iter().map(|layer| {
            let (field, as_train) = (&layer.field, self.as_train(layer));
            quote!(#as_train::init(&mut self.#field, rng);)
        });
        layers.collect()
    }
}

/// `y = x` for a network whose layers all move no data.
fn copy(k: &TokenStream) -> TokenStream {
    quote! {
        #k::shape::Buffer::as_mut_slice(y).copy_from_slice(#k::shape::Buffer::as_slice(x));
    }
}
