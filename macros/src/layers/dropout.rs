//! `Dropout<rate>`: any shape; the rate in `[0, 1)` with at most six decimals, since the layer's
//! type keeps it in millionths.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::Error;

use super::{Context, Int8, Kind, Resolved};
use crate::ast::Arg;
use crate::shape;

pub struct Dropout;

impl Kind for Dropout {
    fn name(&self) -> &'static str {
        "Dropout"
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        let rate = match ctx.decl.args.as_slice() {
            [Arg::Float { minus, lit }] => signed(*minus, lit.base10_parse::<f64>()?),
            [Arg::Int(lit)] => lit.base10_parse::<f64>()?,
            _ => {
                let msg = "`Dropout` takes one rate in [0, 1), e.g. `Dropout<0.2>`";
                return Err(ctx.error(msg));
            }
        };
        let ppm = rate_ppm(rate, &ctx.decl.args[0])?;
        Ok(ctx.input.map(|shape| {
            Box::new(Resolution {
                shape: shape.to_vec(),
                rate,
                ppm,
            }) as Box<dyn Resolved>
        }))
    }
}

fn signed(minus: bool, x: f64) -> f64 {
    if minus {
        -x
    } else {
        x
    }
}

/// A dropout rate in millionths, the unit of `Dropout`'s type parameter. Rule: the rate lies
/// in `[0, 1)` and has at most six decimals, so the type holds it exactly (`0.2` is 200000).
pub fn rate_ppm(rate: f64, arg: &Arg) -> syn::Result<u32> {
    if !(0.0..1.0).contains(&rate) {
        let msg = format!("dropout rate {} is outside [0, 1)", arg.text());
        return Err(Error::new(arg.span(), msg));
    }
    let ppm = (rate * 1e6).round();
    if ppm / 1e6 != rate {
        let msg = format!(
            "dropout rate {} has more than six decimals; rates are kept in millionths, e.g. `Dropout<{}>`",
            arg.text(),
            ppm / 1e6
        );
        return Err(Error::new(arg.span(), msg));
    }
    Ok(ppm as u32)
}

struct Resolution {
    shape: Vec<usize>,
    rate: f64,
    ppm: u32,
}

impl Resolved for Resolution {
    fn field(&self) -> &'static str {
        "dropout"
    }

    fn description(&self) -> String {
        format!("Dropout<{}>", self.rate)
    }

    fn output(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// `Dropout<T, Flat<128>, 200000>`.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let (s, ppm) = (shape::ty(k, &self.shape), Literal::u32_unsuffixed(self.ppm));
        quote!(#k::layers::Dropout<T, #s, #ppm>)
    }

    fn construct(&self, k: &TokenStream, _: &[TokenStream]) -> TokenStream {
        quote!(#k::layers::Dropout::new())
    }

    /// The mask.
    fn tape_width(&self) -> usize {
        shape::len(&self.shape)
    }

    /// The identity at inference.
    fn infers(&self) -> bool {
        false
    }

    /// Nothing moves at inference, in int8 as in floats.
    fn int8(&self, _: &TokenStream) -> Result<Int8, String> {
        Ok(Int8::nothing())
    }
}
