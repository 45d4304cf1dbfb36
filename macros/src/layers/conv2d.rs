//! `Conv2D<filters, KHxKW>`, with an optional activation and the keywords `strides`,
//! `padding` and `use_bias`: `Conv2D<32, 3x3, Relu>`, `Conv2D<1 -> 32, 3x3>` (the input's
//! channels stated), `Conv2D<64, 3x3, Relu, strides = 2, padding = Same, use_bias = false>`.
//! Keras' defaults: no activation, strides 1, `Valid` padding, a bias.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Error, LitInt};

use super::window::{self, Padding, Pair};
use super::{dense, Context, Int8, Kind, MaxPool, Resolved, Tensor};
use crate::activations;
use crate::ast::{Arg, LayerDecl};
use crate::errors::both;
use crate::shape::n;

pub struct Conv2D;

impl Kind for Conv2D {
    fn name(&self) -> &'static str {
        "Conv2D"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        let decl = arguments(ctx)?;
        let filters = positive(decl.filters, ctx);
        let size = window::pair(decl.size, "kernel", ctx);
        let image = window::image(ctx).and_then(|image| channels(ctx, image, decl.channels));
        let ((filters, size), image) = both(both(filters, size), image)?;
        let Some(image) = image else { return Ok(None) };
        let strides = decl.keywords.strides.unwrap_or([1, 1]);
        let padding = decl.keywords.padding;
        let span = decl.size.span();
        let output = window::outputs(ctx, image, size, strides, padding, span)?;
        Ok(Some(Box::new(Resolution {
            image,
            filters,
            size,
            strides,
            padding,
            output,
            activation: decl.activation,
            bias: decl.bias,
        })))
    }
}

/// The arguments as written.
struct Declared<'a> {
    channels: Option<&'a LitInt>,
    filters: &'a LitInt,
    size: &'a LitInt,
    activation: Ident,
    bias: bool,
    keywords: window::Keywords,
}

/// Splits the arguments: filters (with stated channels), kernel, activation, keywords.
fn arguments<'a>(ctx: &Context<'a>) -> syn::Result<Declared<'a>> {
    let decl: &LayerDecl = ctx.decl;
    let usage = "`Conv2D` takes its filters and kernel, then an optional activation and \
                 keywords, e.g. `Conv2D<32, 3x3, Relu>` or `Conv2D<64, 3x3, strides = 2, padding = Same>`";
    let ((channels, filters), size, rest) = match decl.args.as_slice() {
        [Arg::Int(f), Arg::Int(k), rest @ ..] => ((None, f), k, rest),
        [Arg::Arrow(c, f), Arg::Int(k), rest @ ..] => ((Some(c), f), k, rest),
        [_, Arg::Int(_), ..] | [] | [_] => return Err(ctx.error(usage)),
        [_, other, ..] => return Err(Error::new(other.span(), usage)),
    };
    let (mut activation, rest) = match rest {
        [Arg::Name(name), rest @ ..] => (Some(activations::known(name)?), rest),
        _ => (None, rest),
    };
    let mut bias = true;
    let keywords = window::keywords(ctx, rest, |key, value| {
        match (key.to_string().as_str(), value) {
            ("use_bias", Arg::Bool(b)) => {
                bias = b.value;
                Ok(true)
            }
            ("activation", Arg::Name(name)) if activation.is_none() => {
                activation = Some(activations::known(name)?);
                Ok(true)
            }
            ("use_bias", other) => Err(Error::new(other.span(), "`use_bias` is `true` or `false`")),
            _ => Ok(false),
        }
    })?;
    let activation = activation.unwrap_or_else(|| Ident::new("Identity", decl.name.span()));
    Ok(Declared {
        channels,
        filters,
        size,
        activation,
        bias,
        keywords,
    })
}

/// The filters. Rule: a convolution has at least one filter.
fn positive(lit: &LitInt, ctx: &Context<'_>) -> syn::Result<usize> {
    match lit.base10_parse::<usize>()? {
        0 => {
            let msg = format!(
                "{} has zero filters; a convolution needs at least one",
                ctx.this()
            );
            Err(Error::new(lit.span(), msg))
        }
        filters => Ok(filters),
    }
}

/// The image arriving. Rule: its channels are the stated ones, if stated.
fn channels(
    ctx: &Context<'_>,
    image: Option<[usize; 3]>,
    stated: Option<&LitInt>,
) -> syn::Result<Option<[usize; 3]>> {
    let (Some(image), Some(stated)) = (image, stated) else {
        return Ok(image);
    };
    let c = stated.base10_parse::<usize>()?;
    if c != image[2] {
        let [h, w, arriving] = image;
        let msg = format!(
            "{} expects {c} channels, but {}",
            ctx.this(),
            ctx.gives(format_args!("{h}×{w}×{arriving}"))
        );
        return Err(Error::new(stated.span(), msg));
    }
    Ok(Some(image))
}

struct Resolution {
    image: [usize; 3],
    filters: usize,
    size: Pair,
    strides: Pair,
    padding: Padding,
    output: Pair,
    activation: Ident,
    bias: bool,
}

impl Resolution {
    /// The int8 kernel's groups of four: `KH·⌈KW·C/4⌉`, whole groups per kernel row.
    fn int8_groups(&self) -> usize {
        self.size[0] * (self.size[1] * self.image[2]).div_ceil(4)
    }

    /// Values per patch: `KH·KW·C`.
    fn taps(&self) -> usize {
        self.size[0] * self.size[1] * self.image[2]
    }
}

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "conv2d"
    }

    /// `Conv2D<1 -> 32, 3x3, Relu, strides = 1x1, padding = Valid, use_bias = true>`.
    fn description(&self) -> String {
        let (s, k) = (self.strides, self.size);
        format!(
            "Conv2D<{} -> {}, {}x{}, {}, strides = {}x{}, padding = {}, use_bias = {}>",
            self.image[2],
            self.filters,
            k[0],
            k[1],
            self.activation,
            s[0],
            s[1],
            self.padding.name(),
            self.bias
        )
    }

    fn output(&self) -> Vec<usize> {
        vec![self.output[0], self.output[1], self.filters]
    }

    /// `Conv2D<T, 28, 28, 1, 32, 3, 3, 26, 26, Relu, Valid, 1, 1, true>`, the activation
    /// spanned where it was written.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let [h, w, c] = self.image.map(n);
        let (f, [kh, kw], [oh, ow]) = (n(self.filters), self.size.map(n), self.output.map(n));
        let ([sh, sw], a) = (self.strides.map(n), &self.activation);
        let p = Ident::new(self.padding.name(), a.span());
        let bias = self.bias;
        quote_spanned! {a.span()=>
            #k::layers::Conv2D<T, #h, #w, #c, #f, #kh, #kw, #oh, #ow, #k::activation::#a,
                #k::layers::#p, #sh, #sw, #bias>
        }
    }

    fn params(&self) -> Vec<Tensor> {
        let [kh, kw] = self.size;
        let mut params = vec![Tensor::scalar(
            "kernel",
            vec![kh, kw, self.image[2], self.filters],
        )];
        if self.bias {
            params.push(Tensor::scalar("bias", vec![self.filters]));
        }
        params
    }

    /// The kernel decoded as Keras stores it, row-major `(KH, KW, C, F)`: the column-major
    /// `F × KH·KW·C` matrix the layer's kernel is.
    fn construct(&self, k: &TokenStream, values: &[TokenStream]) -> TokenStream {
        let (f, taps, kernel) = (n(self.filters), n(self.taps()), &values[0]);
        let bias = match values.get(1) {
            Some(bias) => bias.clone(),
            None => quote!(#k::embed::zeros()),
        };
        quote!({
            let kernel: #k::prelude::SMatrix<_, #f, #taps> = #kernel;
            #k::layers::Conv2D::from_parts(#k::embed::kernel(kernel), #bias)
        })
    }

    /// `Conv2DScratch`: the kernel, four kernels (the transformed one) and two blocks of 48
    /// pixels per tap, of channels and of filters.
    fn reuses_within_sample(&self) -> bool {
        true
    }

    fn fixed_scratch(&self) -> usize {
        let taps = self.size[0] * self.size[1];
        5 * self.taps() * self.filters + 48 * taps * (self.image[2] + self.filters)
    }

    /// The pre-activation and the patches.
    fn tape_width(&self) -> usize {
        let pixels = self.output[0] * self.output[1];
        pixels * self.filters + pixels * self.taps()
    }

    /// A kernel and a bias gradient, the bias there even without one (as in the layer).
    fn tape_spare(&self) -> usize {
        self.taps() * self.filters + self.filters
    }

    /// `quant::Conv2D<28, 28, 1, 32, 3, 3, 26, 26, 3, Relu, Valid, 1, 1>`: the kernel in groups
    /// of four patch values. A convolution without a bias has an int8 bias of zeros.
    fn int8(&self, k: &TokenStream) -> Result<Int8, String> {
        let a = &self.activation;
        if !["Identity", "Relu"].contains(&a.to_string().as_str()) {
            return Err(format!(
                "`{}` has no int8 form: int8 convolutions end with Identity or Relu",
                self.description()
            ));
        }
        let ([kh, kw], c, f) = (self.size, self.image[2], self.filters);
        let groups = self.int8_groups();
        let ty = {
            let [h, w, c] = self.image.map(n);
            let ([kh, kw], [oh, ow], f, g) =
                (self.size.map(n), self.output.map(n), n(f), n(groups));
            let ([sh, sw], p) = (
                self.strides.map(n),
                Ident::new(self.padding.name(), a.span()),
            );
            quote_spanned! {a.span()=>
                #k::quant::Conv2D<#h, #w, #c, #f, #kh, #kw, #oh, #ow, #g, #k::activation::#a,
                    #k::layers::#p, #sh, #sw>
            }
        };
        Ok(Int8 {
            ty: Some(ty),
            tensors: dense::int8_tensors(vec![kh, kw, c, f], f),
            softmax: false,
            // The kernel, bias, multiplier and shift, the output's scale and zero point, and
            // the input's zero point, in a struct of four-byte alignment.
            bytes: (4 * groups * f + 9 * f + 8 + 1).next_multiple_of(4),
            // One sample's patches, `4G` values per output pixel.
            scratch: self.output[0] * self.output[1] * 4 * groups,
            ..Int8::nothing()
        })
    }

    /// `quant::Conv2DMaxPool<quant::Conv2D<..>, 2, 2, 2, 2, 13, 13>`: the convolution's
    /// tensors and bytes, the pooling's output, and in the scratch the patches of the pixels
    /// each window covers.
    fn int8_pooled(&self, k: &TokenStream, pool: &MaxPool) -> Option<Int8> {
        let conv = self.int8(k).ok()?;
        let ty = conv.ty?;
        let ([ph, pw], [sh, sw]) = (pool.size.map(n), pool.strides.map(n));
        let [qh, qw] = [pool.output[0], pool.output[1]].map(n);
        let covered = pool.size[0] * pool.size[1] * pool.output[0] * pool.output[1];
        let groups = self.int8_groups();
        Some(Int8 {
            ty: Some(quote!(#k::quant::Conv2DMaxPool<#ty, #ph, #pw, #sh, #sw, #qh, #qw>)),
            // Room for the patches of the pixels each window covers (or the image read in
            // place), and where each of those pixels' windows starts.
            scratch: covered * 4 * groups + 4 * covered,
            output: Some(pool.output.clone()),
            inner: Some("conv"),
            ..conv
        })
    }
}
