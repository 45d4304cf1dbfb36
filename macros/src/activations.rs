//! The activations `network!` knows, spelled as liandan's types in `src/activation/` are; the
//! messages listing them are made from this list.

use syn::{Error, Ident};

/// Every activation, in the order messages list them.
pub const ACTIVATIONS: [&str; 8] = [
    "Identity",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Swish",
    "LeakyRelu",
    "Gelu",
];

/// An activation name. Rule: one of [`ACTIVATIONS`], spelled as the type is.
pub fn known(name: &Ident) -> syn::Result<Ident> {
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
