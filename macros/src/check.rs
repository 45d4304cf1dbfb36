//! Validation: walks the declaration once, computing each layer's input and output sizes, and
//! collects every independent error (spanned on the smallest wrong token) before reporting them
//! together. After a shape error the current shape becomes unknown, so one mistake gives one
//! error rather than one per following layer.

use proc_macro2::Span;
use syn::{Error, Ident, LitInt};

use crate::ast::{self, Item, LayerDecl, ShapeDecl, WeightsDecl};
use crate::errors::Errors;
use crate::ir;
use crate::layers::{self, Context};
use crate::shape::{checked_len, Dims, MAX_RANK};
use crate::weights;

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
    if let Some(input) = &input_shape {
        if !fits(input, &layers) {
            let msg = format!(
                "`{}` takes more bytes than a `usize` holds for its parameters and one \
                 sample's values; make the layers smaller",
                decl.name
            );
            errors.push(Error::new(decl.name.span(), msg));
        }
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

/// The input's dimensions. Rule: one to three (height, width, channels), none zero.
fn input_shape(decl: &ShapeDecl, errors: &mut Errors) -> Option<Vec<usize>> {
    if decl.dims.is_empty() {
        let msg = "`input` is empty; give the shape of one sample, e.g. `input: [784]`";
        errors.push(Error::new(decl.span, msg));
        return None;
    }
    if decl.dims.len() > MAX_RANK {
        let msg = format!(
            "`input` has {} dimensions; a sample has at most {MAX_RANK} (height, width, channels)",
            decl.dims.len()
        );
        errors.push(Error::new(decl.span, msg));
        return None;
    }
    let dims: Option<Vec<usize>> = decl
        .dims
        .iter()
        .map(|d| width(d, "input dimension", errors))
        .collect();
    let dims = dims?;
    if checked_len(&dims).is_none() {
        let msg = format!(
            "`input: {}` has more values per sample than a `usize` holds ({})",
            Dims(&dims),
            usize::MAX
        );
        errors.push(Error::new(decl.span, msg));
        return None;
    }
    Some(dims)
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

/// `output: [..]` must equal the last layer's output shape, e.g. `[10]` (or `[10usize]`, `[0xa]`)
/// after `Dense<10>`: the values are compared, not their spelling.
fn check_output(decl: &ShapeDecl, gives: &str, shape: &[usize], errors: &mut Errors) {
    let parsed: Result<Vec<usize>, Error> = decl.dims.iter().map(LitInt::base10_parse).collect();
    let stated = match parsed {
        Ok(stated) => stated,
        Err(error) => return errors.push(error),
    };
    if stated != shape {
        let written: Vec<String> = decl.dims.iter().map(LitInt::to_string).collect();
        let msg = format!(
            "`output: [{}]` does not match the network: {gives}",
            written.join(", ")
        );
        errors.push(Error::new(decl.span, msg));
    }
}

/// Rule: every count the expansion makes (parameters, buffers, activation and tape widths,
/// and their bytes at 8 per `f64`) fits in a `usize`. Checked on a bound that adds them all,
/// each layer's output thrice (its output, its output gradient, its tape), so every smaller sum
/// the expansion computes fits too.
fn fits(input: &[usize], layers: &[ir::Layer]) -> bool {
    let layer = |l: &ir::Layer| {
        let width = checked_len(&l.output())?.checked_mul(3)?;
        let tensors = tensor_values(&l.resolved.params())?
            .checked_add(tensor_values(&l.resolved.buffers())?)?;
        width
            .checked_add(tensors)?
            .checked_add(l.resolved.tape_width())
    };
    let values = |input| {
        layers
            .iter()
            .try_fold(input, |total: usize, l| total.checked_add(layer(l)?))
    };
    checked_len(input)
        .and_then(values)
        .and_then(|t| t.checked_mul(8))
        .is_some()
}

/// The values of `tensors`, or `None` if there are more than a `usize` holds.
fn tensor_values(tensors: &[layers::Tensor]) -> Option<usize> {
    tensors
        .iter()
        .try_fold(0usize, |n, t| n.checked_add(checked_len(&t.shape)?))
}

/// Rule: a layer's parameters and buffers fit in a `usize`, e.g. not
/// `Dense<100000000000>` after 100000000000 inputs.
fn check_tensors(ctx: &Context<'_>, resolved: &dyn layers::Resolved) -> syn::Result<()> {
    for (what, tensors) in [
        ("parameters", resolved.params()),
        ("buffer values", resolved.buffers()),
    ] {
        if tensor_values(&tensors).is_none() {
            let msg = format!(
                "{} has more {what} than a `usize` holds ({})",
                ctx.this(),
                usize::MAX
            );
            return Err(ctx.error(msg));
        }
    }
    Ok(())
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
        layers::gives(self.source.as_deref(), what)
    }

    /// Resolves layer `position`; `Ok(None)` when its input is unknown after an earlier error.
    fn layer(
        &mut self,
        position: usize,
        decl: &LayerDecl,
        counters: &mut Counters,
    ) -> syn::Result<Option<ir::Layer>> {
        let ctx = Context {
            decl,
            position,
            input: self.shape.as_deref(),
            source: self.source.as_deref(),
        };
        let resolved = layers::kind(decl)
            .and_then(|kind| kind.resolve(&ctx))
            .and_then(|resolved| match resolved {
                Some(r) => check_tensors(&ctx, r.as_ref()).map(|()| Some(r)),
                None => Ok(None),
            });
        let Some(resolved) = resolved.inspect_err(|_| {
            // What follows an error has an unknown input: one mistake, one message.
            self.shape = None;
        })?
        else {
            return Ok(None);
        };
        let input = self.shape.replace(resolved.output()).unwrap_or_default();
        self.source = Some(format!("layer {position} `{}`", decl.text()));
        Ok(Some(ir::Layer {
            field: counters.next(resolved.field(), decl.name.span()),
            position,
            input,
            resolved,
        }))
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::check;
    use crate::ast::Network;

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
        let shapes: Vec<(Vec<usize>, Vec<usize>)> = net
            .layers
            .iter()
            .map(|l| (l.input.clone(), l.output()))
            .collect();
        let want = [
            (vec![28, 28], vec![784]),
            (vec![784], vec![128]),
            (vec![128], vec![128]),
            (vec![128], vec![10]),
        ];
        assert_eq!(shapes, want);
        assert_eq!(net.layers[1].description(), "Dense<784 -> 128, Relu>");
        assert_eq!(
            net.layers.iter().map(|l| l.param_count()).sum::<usize>(),
            101_770
        );
        assert_eq!(net.layers[2].description(), "Dropout<0.2>");
        assert_eq!((net.input_width(), net.output_width()), (784, 10));
    }

    #[test]
    fn dense_defaults_to_identity_like_keras() {
        let net = check(&parse(quote!(struct N { input: [3], Dense<2> }))).expect("valid");
        assert_eq!(net.layers[0].description(), "Dense<3 -> 2, Identity>");
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
        let k = quote!(liandan);
        let types: Vec<String> = net
            .layers
            .iter()
            .map(|l| l.resolved.ty(&k).to_string())
            .collect();
        assert!(types[0].ends_with("Flat < 3 > , 1 >"), "{types:?}");
        assert!(types[1].ends_with("Flat < 3 > , 0 >"), "{types:?}");
        let found = errors(quote!(struct N { input: [3], Dropout<0.1234567> }));
        assert_eq!(
            found,
            ["dropout rate 0.1234567 has more than six decimals; rates are kept in millionths, e.g. `Dropout<0.123457>`"]
        );
    }

    #[test]
    fn an_input_has_at_most_three_dimensions() {
        let found = errors(quote!(struct N { input: [2, 3, 4, 5], Flatten }));
        assert_eq!(
            found,
            ["`input` has 4 dimensions; a sample has at most 3 (height, width, channels)"]
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
    fn a_softmax_of_an_image_normalises_its_channels_as_the_layer_does() {
        assert!(errors(quote!(struct N { input: [2, 2, 3], Activation<Softmax> })).is_empty());
        assert!(errors(quote!(struct N { input: [4, 5], Activation<Softmax> })).is_empty());
        let found = errors(quote!(struct N { input: [2, 2, 1], Activation<Softmax> }));
        assert_eq!(
            found,
            [
                "layer 1 `Activation<Softmax>`: a softmax normalises the last axis, of one value \
              here, so it always outputs 1, and the input has shape `[2, 2, 1]`; use \
              `Activation<Sigmoid>` for yes/no values"
            ]
        );
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
    fn sizes_past_a_usize_are_refused_with_a_sentence() {
        let found = errors(quote!(struct N { input: [100000000000, 100000000000], Flatten }));
        assert_eq!(
            found,
            [format!(
                "`input: [100000000000, 100000000000]` has more values per sample than a \
                 `usize` holds ({})",
                usize::MAX
            )]
        );
        let found = errors(quote!(struct N { input: [100000000000], Dense<1000000000000> }));
        assert_eq!(
            found,
            [format!(
                "layer 1 `Dense<1000000000000>` has more parameters than a `usize` holds ({})",
                usize::MAX
            )]
        );
        // Each layer fits, but together with their bytes they do not.
        let found = errors(quote!(struct N { input: [4000000000], Dense<1000000000> }));
        assert_eq!(
            found,
            [
                "`N` takes more bytes than a `usize` holds for its parameters and one sample's \
              values; make the layers smaller"
            ]
        );
    }

    #[test]
    fn output_must_match() {
        let found = errors(quote!(struct N { input: [2], Dense<3>, output: [2] }));
        assert_eq!(
            found,
            ["`output: [2]` does not match the network: layer 1 `Dense<3>` outputs `[3]`"]
        );
        assert!(errors(quote!(struct N { input: [2], Dense<3>, output: [3] })).is_empty());
        assert!(errors(quote!(struct N { input: [2], Dense<10>, output: [10usize] })).is_empty());
        assert!(errors(quote!(struct N { input: [2], Dense<10>, output: [0xa] })).is_empty());
        let found = errors(quote!(struct N { input: [2], Dense<3>, output: [2usize] }));
        assert_eq!(
            found,
            ["`output: [2usize]` does not match the network: layer 1 `Dense<3>` outputs `[3]`"]
        );
    }
}
