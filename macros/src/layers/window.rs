//! What `Conv2D` and the pooling layers share in a declaration: a window size (`3x3`, `3x5`,
//! or `2` for `2x2`), the keywords `strides` and `padding`, an image arriving, and the output
//! size of a window sliding over it (as `src/layers/window.rs` computes it).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Error, Ident, LitInt};

use super::{Context, Int8, MaxPool, Resolved};
use crate::ast::Arg;
use crate::errors::both;
use crate::shape::n;

/// A window's rows and columns, or a stride's.
pub type Pair = [usize; 2];

/// `3x3`, `3x5` or `3` (for `3x3`), as written: Rust reads `3x3` as the integer 3 with the
/// suffix `x3`. Rule: both sizes are at least 1.
pub fn pair(lit: &LitInt, what: &str, ctx: &Context<'_>) -> syn::Result<Pair> {
    let text = lit.to_string();
    let (rows, cols) = text.split_once('x').unwrap_or((&text, &text));
    let parse = |s: &str| s.replace('_', "").parse::<usize>().ok();
    let usage = format!(
        "{} takes its {what} as `3x3`, `3x5` or `3`, not `{text}`",
        ctx.this()
    );
    let (Some(rows), Some(cols)) = (parse(rows), parse(cols)) else {
        return Err(Error::new(lit.span(), usage));
    };
    if rows == 0 || cols == 0 {
        let what = match what {
            "strides" => "strides".to_string(),
            _ => format!("a {what}"),
        };
        let msg = format!(
            "{} has {what} of {rows}×{cols}; each is at least 1",
            ctx.this()
        );
        return Err(Error::new(lit.span(), msg));
    }
    Ok([rows, cols])
}

/// The padding: `Valid` or `Same`, as liandan's types are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    Valid,
    Same,
}

impl Padding {
    /// `Valid` or `Same`: the type's name.
    pub fn name(self) -> &'static str {
        match self {
            Padding::Valid => "Valid",
            Padding::Same => "Same",
        }
    }
}

/// The keyword arguments a window takes: `strides = 2`, `padding = Same`.
#[derive(Clone, Copy, Debug)]
pub struct Keywords {
    pub strides: Option<Pair>,
    pub padding: Padding,
}

/// Reads `strides` and `padding` from `args` (keyword arguments only); `other` reads any
/// other keyword the layer knows and says whether it did. Rule: each at most once, known.
pub fn keywords(
    ctx: &Context<'_>,
    args: &[Arg],
    mut other: impl FnMut(&Ident, &Arg) -> syn::Result<bool>,
) -> syn::Result<Keywords> {
    let mut found = Keywords {
        strides: None,
        padding: Padding::Valid,
    };
    let mut seen: Vec<String> = Vec::new();
    let mut result = Ok(());
    for arg in args {
        let one = keyword(ctx, arg, &mut seen, &mut found, &mut other);
        result = both(result, one).map(|_| ());
    }
    result.map(|()| found)
}

fn keyword(
    ctx: &Context<'_>,
    arg: &Arg,
    seen: &mut Vec<String>,
    found: &mut Keywords,
    other: &mut impl FnMut(&Ident, &Arg) -> syn::Result<bool>,
) -> syn::Result<()> {
    let Arg::Key(key, value) = arg else {
        let msg = format!(
            "{}: after the sizes come keyword arguments, e.g. `strides = 2` or `padding = Same`",
            ctx.this()
        );
        return Err(Error::new(arg.span(), msg));
    };
    let name = key.to_string();
    if seen.contains(&name) {
        return Err(Error::new(key.span(), format!("`{name}` is given twice")));
    }
    seen.push(name.clone());
    match (name.as_str(), value.as_ref()) {
        ("strides", Arg::Int(lit)) => found.strides = Some(pair(lit, "strides", ctx)?),
        ("padding", Arg::Name(p)) if p == "Valid" => found.padding = Padding::Valid,
        ("padding", Arg::Name(p)) if p == "Same" => found.padding = Padding::Same,
        ("padding", value) => {
            let msg = format!("padding is `Valid` or `Same`, not `{}`", value.text());
            return Err(Error::new(value.span(), msg));
        }
        ("strides", value) => {
            let msg = format!("strides are written `2` or `2x1`, not `{}`", value.text());
            return Err(Error::new(value.span(), msg));
        }
        _ if other(key, value)? => {}
        _ => {
            let msg = format!("{} has no argument `{name}`", ctx.this());
            return Err(Error::new(key.span(), msg));
        }
    }
    Ok(())
}

/// The image arriving, `[height, width, channels]`, or `None` after an earlier error. Rule: a
/// window slides over an image: a flat vector or a channel-less `[28, 28]` is refused, with
/// the fix.
pub fn image(ctx: &Context<'_>) -> syn::Result<Option<[usize; 3]>> {
    let Some(shape) = ctx.input else {
        return Ok(None);
    };
    let why = match shape {
        [h, w, c] => return Ok(Some([*h, *w, *c])),
        [h, w] => {
            format!("; give each pixel its channels in the input, e.g. `input: [{h}, {w}, 1]`")
        }
        _ => "; it slides over images, not flat vectors".to_string(),
    };
    Err(ctx.error(format!(
        "{} expects an image `[height, width, channels]`, but {}{why}",
        ctx.this(),
        ctx.gives_shape(shape)
    )))
}

/// One axis: the window's positions over `input` values, as `Axis::new` in
/// `src/layers/window.rs` computes them (0 if a valid window does not fit).
fn positions(input: usize, size: usize, stride: usize, padding: Padding) -> usize {
    match padding {
        Padding::Same => input.div_ceil(stride),
        Padding::Valid if input < size => 0,
        Padding::Valid => (input - size) / stride + 1,
    }
}

/// The output rows and columns of `size` windows moving by `strides` over `image`. Rule: a
/// valid window fits in the image ("layer 5 `Conv2D<64, 5x5>` needs at least 5×5, but layer 4
/// `MaxPooling2D<2>` outputs 4×4×32").
pub fn outputs(
    ctx: &Context<'_>,
    image: [usize; 3],
    size: Pair,
    strides: Pair,
    padding: Padding,
    span: Span,
) -> syn::Result<Pair> {
    let rows = positions(image[0], size[0], strides[0], padding);
    let cols = positions(image[1], size[1], strides[1], padding);
    if rows == 0 || cols == 0 {
        let [h, w, c] = image;
        let msg = format!(
            "{} needs at least {}×{}, but {}",
            ctx.this(),
            size[0],
            size[1],
            ctx.gives(format_args!("{h}×{w}×{c}"))
        );
        return Err(Error::new(span, msg));
    }
    Ok([rows, cols])
}

/// What tells `MaxPooling2D` and `AveragePooling2D` apart in the macro: they read the same
/// arguments and resolve alike.
pub struct Pool {
    /// The layer's name, as written and as its type in `src/layers/`: `MaxPooling2D`.
    pub name: &'static str,
    /// Its field prefix, Keras' name: `max_pooling2d`.
    pub field: &'static str,
    /// Whether its training tape keeps one scalar per output (max-pooling's argmax).
    pub tape_per_output: bool,
    /// Whether it has an int8 form (`liandan::quant::MaxPooling2D`), which keeps its input's
    /// quantisation: the maximum of int8 values stands for the maximum of the reals.
    pub int8: bool,
}

/// A pooling layer resolved.
pub struct Pooling {
    pool: &'static Pool,
    image: [usize; 3],
    size: Pair,
    strides: Pair,
    padding: Padding,
    output: Pair,
}

impl Pooling {
    /// `<2>`, `<3x2>`, then `strides` (the pool size by default) and `padding`.
    pub fn resolve(
        pool: &'static Pool,
        ctx: &Context<'_>,
    ) -> syn::Result<Option<Box<dyn Resolved>>> {
        let usage = format!(
            "`{}` takes its pool size, then optional keywords, e.g. `{0}<2>` or `{0}<3x3, strides = 2>`",
            ctx.decl.name
        );
        let (lit, rest) = match ctx.decl.args.split_first() {
            Some((Arg::Int(lit), rest)) => (lit, rest),
            Some((other, _)) => return Err(Error::new(other.span(), usage)),
            None => return Err(ctx.error(usage)),
        };
        let size = pair(lit, "pool size", ctx);
        let keywords = keywords(ctx, rest, |_, _| Ok(false));
        let image = image(ctx);
        let ((size, keywords), image) = both(both(size, keywords), image)?;
        let Some(image) = image else { return Ok(None) };
        let strides = keywords.strides.unwrap_or(size);
        let output = outputs(ctx, image, size, strides, keywords.padding, lit.span())?;
        Ok(Some(Box::new(Pooling {
            pool,
            image,
            size,
            strides,
            padding: keywords.padding,
            output,
        })))
    }

    /// The layer's type name, as an identifier.
    fn layer(&self) -> Ident {
        Ident::new(self.pool.name, Span::call_site())
    }
}

impl Resolved for Pooling {
    fn field(&self) -> &'static str {
        self.pool.field
    }

    /// `MaxPooling2D<[26, 26, 32], 2x2, strides = 2x2, padding = Valid>`.
    fn description(&self) -> String {
        let ([h, w, c], [ph, pw], [sh, sw]) = (self.image, self.size, self.strides);
        let (name, padding) = (self.pool.name, self.padding.name());
        format!("{name}<[{h}, {w}, {c}], {ph}x{pw}, strides = {sh}x{sw}, padding = {padding}>")
    }

    /// `[OH, OW, C]`.
    fn output(&self) -> Vec<usize> {
        vec![self.output[0], self.output[1], self.image[2]]
    }

    /// `MaxPooling2D<T, 26, 26, 32, 2, 2, 13, 13, Valid, 2, 2>`.
    fn ty(&self, k: &TokenStream) -> TokenStream {
        let [h, w, c] = self.image.map(n);
        let ([ph, pw], [oh, ow], [sh, sw]) =
            (self.size.map(n), self.output.map(n), self.strides.map(n));
        let (layer, p) = (
            self.layer(),
            Ident::new(self.padding.name(), Span::call_site()),
        );
        quote!(#k::layers::#layer<T, #h, #w, #c, #ph, #pw, #oh, #ow, #k::layers::#p, #sh, #sw>)
    }

    fn construct(&self, k: &TokenStream, _: &[TokenStream]) -> TokenStream {
        let layer = self.layer();
        quote!(#k::layers::#layer::new())
    }

    fn tape_width(&self) -> usize {
        match self.pool.tape_per_output {
            true => crate::shape::len(&self.output()),
            false => 0,
        }
    }

    /// `quant::MaxPooling2D<26, 26, 32, 2, 2, 13, 13, Valid, 2, 2>`: no tensors, no bytes.
    fn int8(&self, k: &TokenStream) -> Result<Int8, String> {
        if !self.pool.int8 {
            return Err(format!("`{}` has no int8 form", self.description()));
        }
        let [h, w, c] = self.image.map(n);
        let ([ph, pw], [oh, ow], [sh, sw]) =
            (self.size.map(n), self.output.map(n), self.strides.map(n));
        let (layer, p) = (
            self.layer(),
            Ident::new(self.padding.name(), Span::call_site()),
        );
        let ty =
            quote!(#k::quant::#layer<#h, #w, #c, #ph, #pw, #oh, #ow, #k::layers::#p, #sh, #sw>);
        Ok(Int8 {
            ty: Some(ty),
            ..Int8::nothing()
        })
    }

    /// An int8 max pooling of valid padding.
    fn int8_max_pool(&self) -> Option<MaxPool> {
        let fusable = self.pool.int8 && self.pool.name == "MaxPooling2D";
        (fusable && self.padding == Padding::Valid).then(|| MaxPool {
            size: self.size,
            strides: self.strides,
            output: self.output(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_slide_as_tensorflow_computes() {
        assert_eq!(positions(28, 3, 1, Padding::Valid), 26);
        assert_eq!(positions(26, 2, 2, Padding::Valid), 13);
        assert_eq!(positions(11, 2, 2, Padding::Valid), 5);
        assert_eq!(positions(5, 3, 2, Padding::Same), 3);
        assert_eq!(positions(2, 3, 1, Padding::Valid), 0);
        assert_eq!(positions(2, 5, 1, Padding::Same), 2);
    }
}
