//! The `network!` macro of liandan. Use it through `liandan::network!`, which passes the path of
//! the `liandan` crate in, so expansions work under any crate name and in `no_std` crates.
//!
//! Three stages, one module each: [`ast`] parses the declaration keeping every token for
//! spans, [`check`] validates it and resolves every shape into an [`ir`] network, and
//! [`expand`] generates code from the IR only. What the macro knows of each layer is one file
//! of [`layers`], named as the layer's file in liandan's `src/layers/`. Every error is a `compile_error!` spanned on the
//! smallest wrong token; on error nothing else is emitted, so no follow-on errors appear.

mod activations;
mod ast;
mod check;
mod errors;
mod expand;
mod ir;
mod layers;
mod shape;
mod weights;

use proc_macro::TokenStream;

/// Declares a network type. See the `liandan` crate's documentation.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let decl = syn::parse_macro_input!(input as ast::Invocation);
    match check::check(&decl.network) {
        Ok(ir) => expand::expand(&decl.krate, &ir),
        Err(error) => error.to_compile_error(),
    }
    .into()
}
