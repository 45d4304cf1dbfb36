//! Parsing: the declaration as written, every token kept so errors can point at it.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    braced, bracketed, Attribute, Ident, LitBool, LitFloat, LitInt, LitStr, Token, Visibility,
};

/// `[$crate] <network>`: what `liandan::network!` forwards to the proc macro.
pub struct Invocation {
    /// The path of the `liandan` crate (`$crate`).
    pub krate: TokenStream,
    /// The declaration.
    pub network: Network,
}

impl Parse for Invocation {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        bracketed!(content in input);
        let krate = content.parse()?;
        Ok(Invocation {
            krate,
            network: input.parse()?,
        })
    }
}

/// A network declaration.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub items: Vec<Item>,
}

/// The accepted grammar:
///
/// ```text
/// network! {
///     $(#[$attr])*                         // doc comments, derives
///     $vis struct $Name {
///         input: [$dim, ...],              // the shape of one sample: one to three dimensions
///         $layer, ...                      // a name with optional `<args>`: `Conv2D<32, 3x3, Relu>`
///         output: [$dim, ...],             // optional: the expected output shape
///         weights: "$path.safetensors",    // optional: compile these weights in
///     }
/// }
/// ```
///
/// The entries come in any order; a layer's place among the layers is its place in the
/// network. Layers are parsed as a name with optional `<args>`; which names and arguments are
/// valid is decided by the kinds of `layers/` (`layers::KINDS`, listed in the message for an
/// unknown name) when `check` resolves them.
impl Parse for Network {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        let content;
        braced!(content in input);
        let items = Punctuated::<Item, Token![,]>::parse_terminated(&content)?;
        Ok(Network {
            attrs,
            vis,
            name,
            items: items.into_iter().collect(),
        })
    }
}

/// One comma-separated entry: `key: [dims]`, `key: "path"` or a layer.
pub enum Item {
    Shape(ShapeDecl),
    Weights(WeightsDecl),
    Layer(LayerDecl),
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::])) {
            return input.parse().map(Item::Layer);
        }
        let key = input.parse()?;
        input.parse::<Token![:]>()?;
        if input.peek(LitStr) {
            let path = input.parse()?;
            return Ok(Item::Weights(WeightsDecl { key, path }));
        }
        ShapeDecl::parse_value(key, input).map(Item::Shape)
    }
}

/// `weights: "weights/mnist.safetensors"`, relative to the crate's `Cargo.toml`.
pub struct WeightsDecl {
    pub key: Ident,
    pub path: LitStr,
}

/// `input: [28, 28]` or `output: [10]`.
pub struct ShapeDecl {
    pub key: Ident,
    pub dims: Vec<LitInt>,
    /// The span of the brackets, for errors about the whole shape.
    pub span: Span,
}

impl ShapeDecl {
    /// The `[dims]` after `key:`.
    fn parse_value(key: Ident, input: ParseStream) -> syn::Result<Self> {
        let content;
        let brackets = bracketed!(content in input);
        let dims = Punctuated::<LitInt, Token![,]>::parse_terminated(&content)?;
        Ok(ShapeDecl {
            key,
            dims: dims.into_iter().collect(),
            span: brackets.span.join(),
        })
    }
}

/// `Name` or `Name<arg, ...>`.
pub struct LayerDecl {
    pub name: Ident,
    pub args: Vec<Arg>,
    /// Whether `<...>` was written at all.
    pub angled: bool,
}

impl Parse for LayerDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = input.parse()?;
        if !input.peek(Token![<]) {
            return Ok(LayerDecl {
                name,
                args: Vec::new(),
                angled: false,
            });
        }
        input.parse::<Token![<]>()?;
        let mut args = Vec::new();
        while !input.peek(Token![>]) {
            args.push(input.parse()?);
            if !input.peek(Token![>]) {
                input.parse::<Token![,]>()?;
            }
        }
        input.parse::<Token![>]>()?;
        Ok(LayerDecl {
            name,
            args,
            angled: true,
        })
    }
}

/// One argument of a layer.
pub enum Arg {
    /// `128`: a width.
    Int(LitInt),
    /// `784 -> 128`: a stated input width and the output width.
    Arrow(LitInt, LitInt),
    /// `0.2`, or `-0.2`: a rate.
    Float { minus: bool, lit: LitFloat },
    /// `Relu`: an activation.
    Name(Ident),
    /// `false`: a switch, after a key.
    Bool(LitBool),
    /// `strides = 2`, `padding = Same`, `use_bias = false`: a keyword argument, as Keras names
    /// them.
    Key(Ident, Box<Arg>),
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let key = input.parse()?;
            input.parse::<Token![=]>()?;
            if input.peek(LitBool) {
                return Ok(Arg::Key(key, Box::new(Arg::Bool(input.parse()?))));
            }
            return Ok(Arg::Key(key, Box::new(input.parse()?)));
        }
        let minus = input.parse::<Option<Token![-]>>()?.is_some();
        let lookahead = input.lookahead1();
        if lookahead.peek(LitFloat) {
            Ok(Arg::Float {
                minus,
                lit: input.parse()?,
            })
        } else if lookahead.peek(LitInt) {
            let int: LitInt = input.parse()?;
            if minus {
                // `-1` as a rate: keep it as a float so `check` reports the range.
                let lit = LitFloat::new(&format!("{}.0", int.base10_digits()), int.span());
                return Ok(Arg::Float { minus, lit });
            }
            if input.peek(Token![->]) {
                input.parse::<Token![->]>()?;
                return Ok(Arg::Arrow(int, input.parse()?));
            }
            Ok(Arg::Int(int))
        } else if !minus && lookahead.peek(Ident) {
            Ok(Arg::Name(input.parse()?))
        } else {
            Err(lookahead.error())
        }
    }
}

impl Arg {
    /// The span of the whole argument.
    pub fn span(&self) -> Span {
        match self {
            Arg::Int(lit) => lit.span(),
            Arg::Arrow(i, o) => i.span().join(o.span()).unwrap_or(i.span()),
            Arg::Float { lit, .. } => lit.span(),
            Arg::Name(ident) => ident.span(),
            Arg::Bool(lit) => lit.span(),
            Arg::Key(key, value) => key.span().join(value.span()).unwrap_or(key.span()),
        }
    }

    /// The argument as written, for messages.
    pub fn text(&self) -> String {
        match self {
            Arg::Int(lit) => lit.to_string(),
            Arg::Arrow(i, o) => format!("{i} -> {o}"),
            Arg::Float { minus, lit } => format!("{}{lit}", if *minus { "-" } else { "" }),
            Arg::Name(ident) => ident.to_string(),
            Arg::Bool(lit) => lit.value.to_string(),
            Arg::Key(key, value) => format!("{key} = {}", value.text()),
        }
    }
}

impl LayerDecl {
    /// The layer as written: `Dense<128, Relu>`.
    pub fn text(&self) -> String {
        if !self.angled {
            return self.name.to_string();
        }
        let args: Vec<String> = self.args.iter().map(Arg::text).collect();
        format!("{}<{}>", self.name, args.join(", "))
    }
}
