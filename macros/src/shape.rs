//! Shapes as `network!` sees them: the dimensions of one sample, and liandan's shape type for
//! them (`[784]` is `Flat<784>`, `[28, 28]` is `Hw<28, 28>`, `[28, 28, 1]` is `Hwc<28, 28, 1>`).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The most dimensions a sample has: height, width and channels.
pub const MAX_RANK: usize = 3;

/// A shape written as in the declaration: `[28, 28]`.
pub struct Dims<'a>(pub &'a [usize]);

impl std::fmt::Display for Dims<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dims: Vec<String> = self.0.iter().map(usize::to_string).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}

/// liandan's type for a shape of one to [`MAX_RANK`] dimensions (checked when declared).
pub fn ty(k: &TokenStream, dims: &[usize]) -> TokenStream {
    let d: Vec<Literal> = dims.iter().map(|&d| n(d)).collect();
    match d.as_slice() {
        [n] => quote!(#k::shape::Flat<#n>),
        [h, w] => quote!(#k::shape::Hw<#h, #w>),
        [h, w, c] => quote!(#k::shape::Hwc<#h, #w, #c>),
        _ => quote!(compile_error!(
            "liandan's shapes have one to three dimensions"
        )),
    }
}

/// `784`, not `784usize`: sizes read as declared in rustdoc and in error messages.
pub fn n(value: usize) -> Literal {
    Literal::usize_unsuffixed(value)
}

/// The values of one sample of `dims`, for a network that checked (every count fits in a
/// `usize`, see [`checked_len`]); saturating, so it never panics.
pub fn len(dims: &[usize]) -> usize {
    dims.iter().fold(1, |n, &d| n.saturating_mul(d))
}

/// The values of one sample of `dims`, or `None` if there are more than a `usize` holds.
pub fn checked_len(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}
