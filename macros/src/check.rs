//! Validation: walks the declaration once, computing each layer's input and output sizes, and
//! collects every independent error (spanned on the smallest wrong token) before reporting them
//! together. After a shape error the current shape becomes unknown, so one mistake gives one
//! error rather than one per following layer.

use proc_macro2::Span;
use syn::{Error, Ident, LitInt};

use crate::ast::{self, Arg, Item, LayerDecl, ShapeDecl, WeightsDecl};
use crate::ir::{self, Kind};
use crate::weights;

/// The layers `network!` knows, as listed in messages.
const LAYERS: &str = "`Flatten`, `Dense`, `Activation`, `Dropout`";
/// The activations `network!` knows, as listed in messages.
const ACTIVATIONS: [&str; 8] = [
    "Identity",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Swish",
    "LeakyRelu",
    "Gelu",
];

/// Checks `decl` and resolves it, or returns every error found.
pub fn check(decl: &ast::Network) -> syn::Result<ir::Network> {
    let mut errors = Errors::default();
    let (input, output) = shapes(decl, &mut errors);
    let input_shape = input.and_then(|decl| input_shape(decl, &mut errors));
    let mut walk = Walk::new(input_shape.clone());
    let mut counters = Counters::default();
    let mut layers = Vec::new();
    for (position, layer) in layer_decls(decl).enumerate() {
        match walk.layer(position + 1, layer, &mut counters) {
            Ok(Some(resolved)) => layers.push(resolved),
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }
    if layer_decls(decl).next().is_none() {
        let msg = format!(
            "`{}` has no layers; add at least one, e.g. `Dense<10, Softmax>`",
            decl.name
        );
        errors.push(Error::new(decl.name.span(), msg));
    }
    if let (Some(output), Some(shape)) = (output, &walk.shape) {
        check_output(
            output,
            &walk.gives(format_args!("`{}`", Dims(shape))),
            shape,
            &mut errors,
        );
    }
    let file = weights_decl(decl, &mut errors);
    errors.finish()?;
    let mut net = ir::Network {
        attrs: decl.attrs.clone(),
        vis: decl.vis.clone(),
        name: decl.name.clone(),
        input_shape: input_shape.unwrap_or_default(),
        layers,
        weights: None,
    };
    // The file is read only for a network that checked: its tensors are compared with the
    // resolved layers.
    if let Some(file) = file {
        net.weights = Some(weights::check(&file.path, &net)?);
    }
    Ok(net)
}

/// Finds `weights: "path"`. Rule: a path goes with the key `weights`, at most once.
fn weights_decl<'a>(decl: &'a ast::Network, errors: &mut Errors) -> Option<&'a WeightsDecl> {
    let mut found: Option<&WeightsDecl> = None;
    for item in &decl.items {
        let Item::Weights(file) = item else { continue };
        let msg = match file.key.to_string().as_str() {
            "weights" if found.is_some() => "`weights` is declared twice".to_string(),
            "weights" => {
                found = Some(file);
                continue;
            }
            key @ ("input" | "output") => {
                format!("`{key}` takes a shape, e.g. `{key}: [10]`, not a file path")
            }
            other => format!("unknown key `{other}`; a file path goes with `weights`"),
        };
        errors.push(Error::new(file.key.span(), msg));
    }
    found
}

/// Every independent error, reported together.
#[derive(Default)]
struct Errors(Option<Error>);

impl Errors {
    fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

fn layer_decls(decl: &ast::Network) -> impl Iterator<Item = &LayerDecl> {
    decl.items.iter().filter_map(|item| match item {
        Item::Layer(layer) => Some(layer),
        Item::Shape(_) | Item::Weights(_) => None,
    })
}

/// Finds `input:` and `output:`. Rule: exactly one `input`, at most one `output`, no other key.
fn shapes<'a>(
    decl: &'a ast::Network,
    errors: &mut Errors,
) -> (Option<&'a ShapeDecl>, Option<&'a ShapeDecl>) {
    let (mut input, mut output) = (None, None);
    for item in &decl.items {
        let Item::Shape(shape) = item else { continue };
        let slot = match shape.key.to_string().as_str() {
            "input" => &mut input,
            "output" => &mut output,
            other => {
                let msg = format!("unknown key `{other}`; expected `input` or `output`");
                errors.push(Error::new(shape.key.span(), msg));
                continue;
            }
        };
        if slot.is_some() {
            errors.push(Error::new(
                shape.key.span(),
                format!("`{}` is declared twice", shape.key),
            ));
        } else {
            *slot = Some(shape);
        }
    }
    if input.is_none() {
        let msg = format!(
            "`{}` has no `input`; declare the shape of one sample first, e.g. `input: [28, 28]`",
            decl.name
        );
        errors.push(Error::new(decl.name.span(), msg));
    }
    (input, output)
}

/// The input's dimensions. Rule: at least one, none zero.
fn input_shape(decl: &ShapeDecl, errors: &mut Errors) -> Option<Vec<usize>> {
    if decl.dims.is_empty() {
        let msg = "`input` is empty; give the shape of one sample, e.g. `input: [784]`";
        errors.push(Error::new(decl.span, msg));
        return None;
    }
    let dims: Option<Vec<usize>> = decl
        .dims
        .iter()
        .map(|d| width(d, "input dimension", errors))
        .collect();
    dims
}

/// A positive width literal. Rule: it parses as a number and is not zero.
fn width(lit: &LitInt, what: &str, errors: &mut Errors) -> Option<usize> {
    match lit.base10_parse::<usize>() {
        Ok(0) => {
            errors.push(Error::new(
                lit.span(),
                format!("{what} is zero; sizes must be at least 1"),
            ));
            None
        }
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// `output: [..]` must equal the last layer's output shape, e.g. `[10]` after `Dense<10>`.
fn check_output(decl: &ShapeDecl, gives: &str, shape: &[usize], errors: &mut Errors) {
    let stated: Vec<String> = decl.dims.iter().map(LitInt::to_string).collect();
    let stated = format!("[{}]", stated.join(", "));
    if stated != format!("{}", Dims(shape)) {
        let msg = format!("`output: {stated}` does not match the network: {gives}");
        errors.push(Error::new(decl.span, msg));
    }
}

/// A shape written as in the declaration: `[28, 28]`.
struct Dims<'a>(&'a [usize]);

impl std::fmt::Display for Dims<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dims: Vec<String> = self.0.iter().map(usize::to_string).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}

/// Per-kind counters for Keras-style field names: `dense_1`, `dense_2`, `dropout_1`.
#[derive(Default)]
struct Counters(Vec<(&'static str, usize)>);

impl Counters {
    fn next(&mut self, kind: &'static str, span: Span) -> Ident {
        let count = match self.0.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.0.push((kind, 1));
                1
            }
        };
        ir::ident(&format!("{kind}_{count}"), span)
    }
}

/// The walk through the layers: the current shape (`None` once unknown) and who produced it.
struct Walk {
    shape: Option<Vec<usize>>,
    /// Who produced the current shape: `None` for the input, else "layer 3 `Dense<128>`".
    source: Option<String>,
}

impl Walk {
    fn new(input: Option<Vec<usize>>) -> Self {
        Walk {
            shape: input,
            source: None,
        }
    }

    /// "layer 3 `Dropout<0.2>` outputs 128", or "the input has 128" for the network's input.
    fn gives(&self, what: impl std::fmt::Display) -> String {
        match &self.source {
            Some(layer) => format!("{layer} outputs {what}"),
            None => format!("the input has {what}"),
        }
    }

    /// Resolves layer `position`; `Ok(None)` when its input is unknown after an earlier error.
    fn layer(
        &mut self,
        position: usize,
        decl: &LayerDecl,
        counters: &mut Counters,
    ) -> syn::Result<Option<ir::Layer>> {
        let resolved = match decl.name.to_string().as_str() {
            "Flatten" => self.flatten(decl),
            "Dense" => self.dense(position, decl),
            "Activation" => self.activation(position, decl),
            "Dropout" => self.dropout(decl),
            other => {
                let msg = format!("unknown layer `{other}`; expected one of {LAYERS}");
                Err(Error::new(decl.name.span(), msg))
            }
        };
        let Some((kind, input, output_shape, description)) = resolved.inspect_err(|_| {
            // What follows an error has an unknown input: one mistake, one message.
            self.shape = None;
        })?
        else {
            return Ok(None);
        };
        let field = counters.next(kind_name(&kind), decl.name.span());
        self.source = Some(format!("layer {position} `{}`", decl.text()));
        self.shape = Some(output_shape.clone());
        Ok(Some(ir::Layer {
            field,
            kind,
            input,
            output_shape,
            description,
        }))
    }

    fn flatten(&mut self, decl: &LayerDecl) -> syn::Result<Option<Resolved>> {
        no_args(decl)?;
        let Some(shape) = &self.shape else {
            return Ok(None);
        };
        let n: usize = shape.iter().product();
        Ok(Some((
            Kind::Flatten,
            n,
            vec![n],
            format!("Flatten<{}>", Dims(shape)),
        )))
    }

    /// `Dense<units>`, `Dense<units, Act>`, `Dense<in -> units>`, `Dense<in -> units, Act>`.
    fn dense(&mut self, position: usize, decl: &LayerDecl) -> syn::Result<Option<Resolved>> {
        let (units, stated_in, activation) = dense_args(decl)?;
        let units_n = positive(units, position, decl);
        let activation = match activation {
            Some(name) => known_activation(name),
            None => Ok(ir::ident("Identity", decl.name.span())),
        };
        let activation = activation.and_then(|name| match units_n {
            Ok(1) if name == "Softmax" => {
                Err(dense_softmax_of_one(position, decl, stated_in, &name))
            }
            _ => Ok(name),
        });
        let input = self.dense_input(position, decl, stated_in);
        // Independent mistakes in one layer are reported together.
        let (units_n, activation, input) =
            both(both(units_n, activation), input).map(|((u, a), i)| (u, a, i))?;
        let Some(input) = input else { return Ok(None) };
        let description = format!("Dense<{input} -> {units_n}, {activation}>");
        Ok(Some((
            Kind::Dense { activation },
            input,
            vec![units_n],
            description,
        )))
    }

    /// The width arriving at a dense layer: flat, and equal to the stated width if any.
    fn dense_input(
        &mut self,
        position: usize,
        decl: &LayerDecl,
        stated_in: Option<&LitInt>,
    ) -> syn::Result<Option<usize>> {
        Ok(Some(match (&self.shape, stated_in) {
            (None, _) => return Ok(None),
            (Some(shape), _) if shape.len() != 1 => {
                let msg = format!(
                    "layer {position} `{}` expects a flat input, but {}; add `Flatten` before it",
                    decl.text(),
                    self.gives(format_args!("shape `{}`", Dims(shape))),
                );
                return Err(Error::new(decl.name.span(), msg));
            }
            (Some(shape), Some(stated)) => self.stated_input(position, decl, stated, shape[0])?,
            (Some(shape), None) => shape[0],
        }))
    }

    /// A stated input width must equal the width arriving, e.g. `Dense<784 -> 10>` after 784.
    fn stated_input(
        &mut self,
        position: usize,
        decl: &LayerDecl,
        stated: &LitInt,
        arriving: usize,
    ) -> syn::Result<usize> {
        let n = stated.base10_parse::<usize>()?;
        if n != arriving {
            let msg = format!(
                "layer {position} `{}` expects {n} inputs, but {}",
                decl.text(),
                self.gives(arriving)
            );
            return Err(Error::new(stated.span(), msg));
        }
        Ok(n)
    }

    fn activation(&mut self, position: usize, decl: &LayerDecl) -> syn::Result<Option<Resolved>> {
        let name = match decl.args.as_slice() {
            [Arg::Name(name)] => known_activation(name)?,
            _ => {
                let msg = "`Activation` takes one activation, e.g. `Activation<Tanh>`";
                return Err(Error::new(decl.name.span(), msg));
            }
        };
        let Some(shape) = self.shape.clone() else {
            return Ok(None);
        };
        if name == "Softmax" {
            self.softmax_input(position, decl, &name, &shape)?;
        }
        let n = shape.iter().product();
        let description = format!("Activation<{name}>");
        Ok(Some((
            Kind::Activation { activation: name },
            n,
            shape,
            description,
        )))
    }

    /// What arrives at `Activation<Softmax>`. Rule: a flat vector (a softmax normalises one),
    /// wider than one unit, since a softmax over one unit outputs 1 whatever it is given.
    fn softmax_input(
        &self,
        position: usize,
        decl: &LayerDecl,
        softmax: &Ident,
        shape: &[usize],
    ) -> syn::Result<()> {
        if shape.len() != 1 {
            let msg = format!(
                "layer {position} `{}` needs a flat input for softmax, but {}; add `Flatten` before it",
                decl.text(),
                self.gives(format_args!("shape `{}`", Dims(shape))),
            );
            return Err(Error::new(decl.name.span(), msg));
        }
        if shape == [1] {
            let msg = format!(
                "layer {position} `{}`: a softmax over one unit always outputs 1, and {}; use \
                 `Activation<Sigmoid>` for one yes/no output or `Dense<2>` before it for two classes",
                decl.text(),
                self.gives(1),
            );
            return Err(Error::new(softmax.span(), msg));
        }
        Ok(())
    }

    fn dropout(&mut self, decl: &LayerDecl) -> syn::Result<Option<Resolved>> {
        let rate = match decl.args.as_slice() {
            [Arg::Float { minus, lit }] => signed(*minus, lit.base10_parse::<f64>()?),
            [Arg::Int(lit)] => lit.base10_parse::<f64>()?,
            _ => {
                let msg = "`Dropout` takes one rate in [0, 1), e.g. `Dropout<0.2>`";
                return Err(Error::new(decl.name.span(), msg));
            }
        };
        let ppm = rate_ppm(rate, &decl.args[0])?;
        let Some(shape) = self.shape.clone() else {
            return Ok(None);
        };
        let n = shape.iter().product();
        Ok(Some((
            Kind::Dropout { ppm },
            n,
            shape,
            format!("Dropout<{rate}>"),
        )))
    }
}

/// A dropout rate in millionths, the unit of `Dropout`'s type parameter. Rule: the rate lies
/// in `[0, 1)` and has at most six decimals, so the type holds it exactly (`0.2` is 200000).
fn rate_ppm(rate: f64, arg: &Arg) -> syn::Result<u32> {
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

/// Both results, or every error of the two.
fn both<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut e), Err(f)) => {
            e.combine(f);
            Err(e)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// A resolved layer before it is named: kind, input width, output shape, description.
type Resolved = (Kind, usize, Vec<usize>, String);

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Flatten => "flatten",
        Kind::Dense { .. } => "dense",
        Kind::Activation { .. } => "activation",
        Kind::Dropout { .. } => "dropout",
    }
}

fn signed(minus: bool, x: f64) -> f64 {
    if minus {
        -x
    } else {
        x
    }
}

fn no_args(decl: &LayerDecl) -> syn::Result<()> {
    match decl.args.first() {
        Some(arg) => Err(Error::new(
            arg.span(),
            format!("`{}` takes no arguments", decl.name),
        )),
        None => Ok(()),
    }
}

/// Splits Dense's arguments into units, a stated input, and an activation.
fn dense_args(decl: &LayerDecl) -> syn::Result<(&LitInt, Option<&LitInt>, Option<&Ident>)> {
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

/// The units of layer `position`. Rule: a dense layer has at least one unit.
fn positive(lit: &LitInt, position: usize, decl: &LayerDecl) -> syn::Result<usize> {
    match lit.base10_parse::<usize>()? {
        0 => {
            let msg = format!(
                "layer {position} `{}` has zero units; a layer needs at least one",
                decl.text()
            );
            Err(Error::new(lit.span(), msg))
        }
        n => Ok(n),
    }
}

/// A softmax shares 1 out among its units. Rule: a dense layer of one unit has no softmax, since
/// `Dense<1, Softmax>` outputs 1 for every input; the fixes are one sigmoid unit or two classes.
fn dense_softmax_of_one(
    position: usize,
    decl: &LayerDecl,
    stated_in: Option<&LitInt>,
    softmax: &Ident,
) -> Error {
    let inputs = stated_in.map_or(String::new(), |n| format!("{n} -> "));
    let msg = format!(
        "layer {position} `{}`: a softmax over one unit always outputs 1; use \
         `Dense<{inputs}1, Sigmoid>` for one yes/no output or `Dense<{inputs}2, Softmax>` for two \
         classes",
        decl.text()
    );
    Error::new(softmax.span(), msg)
}

/// An activation name. Rule: one of [`ACTIVATIONS`], spelled as the type is.
fn known_activation(name: &Ident) -> syn::Result<Ident> {
    if ACTIVATIONS.iter().any(|known| name == known) {
        return Ok(name.clone());
    }
    let list: Vec<String> = ACTIVATIONS.iter().map(|a| format!("`{a}`")).collect();
    let msg = format!(
        "unknown activation `{name}`; expected one of {}",
        list.join(", ")
    );
    Err(Error::new(name.span(), msg))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::check;
    use crate::ast::Network;
    use crate::ir::Kind;

    fn parse(tokens: proc_macro2::TokenStream) -> Network {
        syn::parse2(tokens).expect("the test declarations parse")
    }

    fn errors(tokens: proc_macro2::TokenStream) -> Vec<String> {
        match check(&parse(tokens)) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn resolves_the_seed_network() {
        let net = check(&parse(quote! {
            pub struct Mnist { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>, Dense<10, Softmax> }
        }))
        .expect("the seed network is valid");
        let fields: Vec<String> = net.layers.iter().map(|l| l.field.to_string()).collect();
        assert_eq!(fields, ["flatten_1", "dense_1", "dropout_1", "dense_2"]);
        let sizes: Vec<(usize, usize)> = net.layers.iter().map(|l| (l.input, l.output())).collect();
        assert_eq!(sizes, [(784, 784), (784, 128), (128, 128), (128, 10)]);
        assert_eq!(net.layers[1].description, "Dense<784 -> 128, Relu>");
        assert_eq!(
            net.layers.iter().map(|l| l.params()).sum::<usize>(),
            101_770
        );
        assert!(matches!(net.layers[2].kind, Kind::Dropout { ppm: 200_000 }));
        assert_eq!((net.input_width(), net.output_width()), (784, 10));
    }

    #[test]
    fn dense_defaults_to_identity_like_keras() {
        let net = check(&parse(quote!(struct N { input: [3], Dense<2> }))).expect("valid");
        assert!(
            matches!(&net.layers[0].kind, Kind::Dense { activation } if activation == "Identity")
        );
    }

    #[test]
    fn a_shape_error_is_reported_once() {
        // Layer 2 disagrees; layer 3 states 64 inputs, which layer 2 would give, but after an
        // error the shape is unknown, so it is not blamed.
        let found = errors(quote! {
            struct N { input: [784], Dense<128>, Dense<100 -> 64>, Dense<65 -> 10>, output: [7] }
        });
        assert_eq!(found, ["layer 2 `Dense<100 -> 64>` expects 100 inputs, but layer 1 `Dense<128>` outputs 128"]);
    }

    #[test]
    fn independent_errors_are_all_reported() {
        let found = errors(quote! {
            struct N { input: [4, 0], Conv<3>, Dense<0, Rellu>, Dropout<1.0> }
        });
        assert_eq!(found.len(), 5, "{found:?}");
        assert!(found[0].starts_with("input dimension is zero"));
        assert!(found[1].starts_with("unknown layer `Conv`"));
        assert!(found[2].starts_with("layer 2 `Dense<0, Rellu>` has zero units"));
        assert!(found[3].starts_with("unknown activation `Rellu`"));
        assert_eq!(found[4], "dropout rate 1.0 is outside [0, 1)");
    }

    #[test]
    fn dropout_rates_are_kept_in_millionths() {
        let net = check(&parse(
            quote!(struct N { input: [3], Dropout<0.000001>, Dropout<0> }),
        ))
        .expect("valid");
        assert!(matches!(net.layers[0].kind, Kind::Dropout { ppm: 1 }));
        assert!(matches!(net.layers[1].kind, Kind::Dropout { ppm: 0 }));
        let found = errors(quote!(struct N { input: [3], Dropout<0.1234567> }));
        assert_eq!(
            found,
            ["dropout rate 0.1234567 has more than six decimals; rates are kept in millionths, e.g. `Dropout<0.123457>`"]
        );
    }

    #[test]
    fn a_softmax_over_one_unit_is_refused() {
        let found = errors(quote!(struct N { input: [3], Dense<1, Softmax> }));
        assert_eq!(
            found,
            [
                "layer 1 `Dense<1, Softmax>`: a softmax over one unit always outputs 1; use \
                 `Dense<1, Sigmoid>` for one yes/no output or `Dense<2, Softmax>` for two classes"
            ]
        );
        let found = errors(quote!(struct N { input: [3], Dense<4 -> 1, Softmax> }));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("use `Dense<4 -> 1, Sigmoid>`"),
            "{found:?}"
        );
        assert!(
            found[0].contains("or `Dense<4 -> 2, Softmax>`"),
            "{found:?}"
        );
        assert!(found[1].contains("expects 4 inputs, but the input has 3"));
    }

    #[test]
    fn a_softmax_activation_after_one_output_is_refused() {
        let found =
            errors(quote!(struct N { input: [3], Dense<1>, Dropout<0.5>, Activation<Softmax> }));
        assert_eq!(
            found,
            ["layer 3 `Activation<Softmax>`: a softmax over one unit always outputs 1, and layer \
              2 `Dropout<0.5>` outputs 1; use `Activation<Sigmoid>` for one yes/no output or \
              `Dense<2>` before it for two classes"]
        );
        let found = errors(quote!(struct N { input: [1], Activation<Softmax> }));
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("and the input has 1;"), "{found:?}");
    }

    #[test]
    fn a_softmax_over_two_units_and_a_sigmoid_over_one_are_fine() {
        for tokens in [
            quote!(struct N { input: [3], Dense<2, Softmax> }),
            quote!(struct N { input: [3], Dense<1, Sigmoid> }),
            quote!(struct N { input: [3], Dense<2>, Activation<Softmax> }),
            quote!(struct N { input: [3], Dense<1>, Activation<Sigmoid> }),
        ] {
            assert_eq!(errors(tokens), Vec::<String>::new());
        }
    }

    #[test]
    fn output_must_match() {
        let found = errors(quote!(struct N { input: [2], Dense<3>, output: [2] }));
        assert_eq!(
            found,
            ["`output: [2]` does not match the network: layer 1 `Dense<3>` outputs `[3]`"]
        );
        assert!(errors(quote!(struct N { input: [2], Dense<3>, output: [3] })).is_empty());
    }
}
