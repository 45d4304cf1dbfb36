//! `Dense<units>`, `Dense<units, Act>`, `Dense<in -> units>`, `Dense<in -> units, Act>`: a flat
//! input to `units` outputs, Keras' default activation being none (`Identity`).

use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;
use syn::{Error, LitInt};

use super::{Context, Int8, Kind, Resolved, Tensor};
use crate::activations;
use crate::ast::{Arg, LayerDecl};
use crate::errors::both;
use crate::shape::n;

pub struct Dense;

impl Kind for Dense {
    fn name(&self) -> &'static str {
        "Dense"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        let (units, stated_in, activation) = arguments(ctx.decl)?;
        let units_n = positive(units, ctx);
        let activation = match activation {
            Some(name) => activations::known(name),
            None => Ok(Ident::new("Identity", ctx.decl.name.span())),
        };
        let activation = activation.and_then(|name| match units_n {
            Ok(1) if name == "Softmax" => Err(softmax_of_one(ctx, stated_in, &name)),
            _ => Ok(name),
        });
        let input = input(ctx, stated_in);
        // Independent mistakes in one layer are reported together.
        let ((units, activation), input) = both(both(units_n, activation), input)?;
        Ok(input.map(|input| {
            Box::new(Resolution {
                input,
                units,
                activation,
            }) as Box<dyn Resolved>
        }))
    }
}

/// Splits the arguments into units, a stated input, and an activation.
fn arguments(decl: &LayerDecl) -> syn::Result<(&LitInt, Option<&LitInt>, Option<&Ident>)> {
    let usage = "`Dense` takes its units and an optional activation, e.g. `Dense<128, Relu>` or `Dense<784 -> 128, Relu>`";
    let (size, rest) = match decl.args.split_first() {
        Some((Arg::Int(units), rest)) => ((units, None), rest),
        Some((Arg::Arrow(input, units), rest)) => ((units, Some(input)), rest),
        Some((other, _)) => return Err(Error::new(other.span(), usage)),
        None => return Err(Error::new(decl.name.span(), usage)),
    };
    match rest {
        [] => Ok((size.0, size.1, None)),
        [Arg::Name(name)] => Ok((size.0, size.1, Some(name))),
        [other, ..] => Err(Error::new(other.span(), usage)),
    }
}

/// The units. Rule: a dense layer has at least one unit.
fn positive(lit: &LitInt, ctx: &Context<'_>) -> syn::Result<usize> {
    match lit.base10_parse::<usize>()? {
        0 => {
            let msg = format!("{} has zero units; a layer needs at least one", ctx.this());
            Err(Error::new(lit.span(), msg))
        }
        units => Ok(units),
    }
}

/// A softmax shares 1 out among its units. Rule: a dense layer of one unit has no softmax, since
/// `Dense<1, Softmax>` outputs 1 for every input; the fixes are one sigmoid unit or two classes.
fn softmax_of_one(ctx: &Context<'_>, stated_in: Option<&LitInt>, softmax: &Ident) -> Error {
    let inputs = stated_in.map_or(String::new(), |n| format!("{n} -> "));
    let msg = format!(
        "{}: a softmax over one unit always outputs 1; use `Dense<{inputs}1, Sigmoid>` for one \
         yes/no output or `Dense<{inputs}2, Softmax>` for two classes",
        ctx.this()
    );
    Error::new(softmax.span(), msg)
}

/// The width arriving. Rule: it is flat, and equal to the stated width if any (e.g.
/// `Dense<784 -> 10>` after 784 features).
fn input(ctx: &Context<'_>, stated: Option<&LitInt>) -> syn::Result<Option<usize>> {
    let Some(shape) = ctx.input else {
        return Ok(None);
    };
    let arriving = ctx.flat_input(shape, "expects a flat input")?;
    if let Some(stated) = stated {
        let n = stated.base10_parse::<usize>()?;
        if n != arriving {
            let msg = format!(
                "{} expects {n} inputs, but {}",
                ctx.this(),
                ctx.gives(arriving)
            );
            return Err(Error::new(stated.span(), msg));
        }
    }
    Ok(Some(arriving))
}

struct Resolution {
    input: usize,
    units: usize,
    activation: Ident,
}

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "dense"
    }

    fn description(&self) -> String {
        format!(
            "Dense<{} -> {}, {}>",
            self.input, self.units, self.activation
        )
    }

    fn output(&self) -> Vec<usize> {
        vec![self.units]
    }

    /// `Dense<T, 784, 128, Relu>`, the activation spanned where it was written.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let (i, o, a) = (n(self.input), n(self.units), &self.activation);
        quote_spanned!(a.span()=> #k::layers::Dense<T, #i, #o, #k::activation::#a>)
    }

    fn params(&self) -> Vec<Tensor> {
        vec![
            Tensor::scalar("kernel", vec![self.input, self.units]),
            Tensor::scalar("bias", vec![self.units]),
        ]
    }

    fn construct(&self, k: &TokenStream, values: &[TokenStream]) -> TokenStream {
        let (kernel, bias) = (&values[0], &values[1]);
        quote::quote!(#k::layers::Dense::from_parts(#kernel, #bias))
    }

    /// The pre-activation.
    fn tape_width(&self) -> usize {
        self.units
    }

    /// `quant::Dense<784, 128, 196, Relu>`: the kernel in groups of four inputs.
    fn int8(&self, k: &TokenStream) -> Result<Int8, String> {
        let a = &self.activation;
        if !["Identity", "Relu", "Softmax"].contains(&a.to_string().as_str()) {
            return Err(format!(
                "`{}` has no int8 form: int8 dense layers end with Identity, Relu or Softmax",
                self.description()
            ));
        }
        let (i, o, groups) = (self.input, self.units, self.input.div_ceil(4));
        let ty = {
            let (i, o, g) = (n(i), n(o), n(groups));
            quote_spanned!(a.span()=> #k::quant::Dense<#i, #o, #g, #k::activation::#a>)
        };
        Ok(Int8 {
            ty: Some(ty),
            tensors: int8_tensors(vec![i, o], o),
            softmax: a == "Softmax",
            // The kernel, bias, multiplier and shift, the output's scale and zero point, and
            // the softmax's three parameters, padded to the four-byte alignment.
            bytes: (4 * groups * o + 9 * o + 8 + 12).next_multiple_of(4),
            ..Int8::nothing()
        })
    }
}

/// The tensors of an int8 layer whose kernel has `kernel` shape and `channels` outputs.
pub fn int8_tensors(kernel: Vec<usize>, channels: usize) -> Vec<Tensor> {
    vec![
        Tensor::typed("kernel", "I8", kernel),
        Tensor::typed("bias", "I32", vec![channels]),
        Tensor::typed("kernel_scale", "F32", vec![channels]),
        Tensor::typed("output_scale", "F32", vec![1]),
        Tensor::typed("output_zero_point", "I32", vec![1]),
    ]
}
