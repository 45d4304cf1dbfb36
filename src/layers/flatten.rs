//! Flatten: a sample of any shape read as one row-major vector, `y = x`.
//!
//! A `[28, 28]` image becomes 784 features with index `row·28 + col`, and a `[26, 26, 32]` one
//! `(row·26 + col)·32 + channel`, as in Keras and in the IDX files MNIST ships in, so Keras
//! weights fit unchanged. liandan stores every sample in that order already, so the layer only
//! copies; its backward pass is `∂L/∂x = ∂L/∂y`.
//!
//! The output width `N` is the product of the input's dimensions, a const parameter because
//! stable Rust cannot compute it in a type: `network!` fills it in, and a wrong one fails to
//! compile with the rule, e.g. `` `Flatten` of `[26, 26, 32]` gives 26 · 26 · 32 = 21632
//! features, not 21631 ``.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::Flatten;
//! use liandan::shape::{Batch, Buffer, Hwc};
//!
//! let flatten = Flatten::<f32, Hwc<2, 2, 3>, 12>::new();
//! let mut x = Batch::<f32, Hwc<2, 2, 3>, 1>::zeroed();
//! x.sample_mut(0)[1][0][2] = 5.0; // row 1, column 0, channel 2
//! let mut y = SMatrix::<f32, 12, 1>::zeros();
//! flatten.forward(&x, &mut y, &mut ());
//! assert_eq!(y[(1 * 2 + 0) * 3 + 2], 5.0);
//! ```

use core::marker::PhantomData;

use rand::RngCore;

use crate::layer::{Accepts, Backward, Forward, Head, NoParams, Train};
use crate::shape::{Batch, Buffer, Flat, Shape, Text};
use crate::{Element, Float, Zeroed};

/// Flattens samples of shape `S` into `N = S::LEN` features, in row-major order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten<T, S, const N: usize>(PhantomData<(T, S)>);

// Safety: a PhantomData has no bytes.
unsafe impl<T, S, const N: usize> Zeroed for Flatten<T, S, N> {}

impl<T, S: Shape, const N: usize> Flatten<T, S, N> {
    /// The rule, checked where the layer is used: `N` is the product of `S`'s dimensions.
    const RULE: () = if S::LEN != N {
        let text = Text::new()
            .str("`Flatten` of `")
            .dims(S::DIMS)
            .str("` gives ");
        let text = text.joined(S::DIMS, " · ").str(" = ").num(S::LEN);
        let text = text.str(" features, not ").num(N);
        panic!("{}", text.as_str());
    };

    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        let () = Self::RULE;
        Flatten(PhantomData)
    }
}

impl<T: Element, S: Shape, const N: usize> Forward for Flatten<T, S, N> {
    type Element = T;
    type Input = S;
    type Output = Flat<N>;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(
        &self,
        x: &Batch<T, S, B>,
        y: &mut Batch<T, Flat<N>, B>,
        _: &mut (),
    ) {
        let () = Self::RULE;
        y.as_mut_slice().copy_from_slice(x.as_slice());
    }
}

impl<T: Element, S: Shape, const N: usize> Accepts<S> for Flatten<T, S, N> {}

impl<T: Float, S: Shape, const N: usize> Train for Flatten<T, S, N> {
    type Tape<const B: usize> = ();
    type Grad = NoParams;
    const HEAD: Head = Head::Other;

    fn forward_train<const B: usize>(
        &self,
        x: &Batch<T, S, B>,
        y: &mut Batch<T, Flat<N>, B>,
        _: &mut (),
        _: Option<&mut dyn RngCore>,
    ) {
        self.forward(x, y, &mut ());
    }

    /// `∂L/∂x = ∂L/∂y`, the same values in the same order.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        if let Some(dx) = ctx.dx {
            dx.as_mut_slice().copy_from_slice(ctx.dy.as_slice());
        }
    }
}

crate::layer::no_params!([T, S, const N: usize] Flatten<T, S, N>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Hw, Hwc};

    #[test]
    fn gradient_is_identity() {
        crate::gradcheck::check_layer::<Flatten<f64, Flat<6>, 6>>();
        crate::gradcheck::check_layer::<Flatten<f64, Hw<2, 3>, 6>>();
        crate::gradcheck::check_layer::<Flatten<f64, Hwc<2, 1, 3>, 6>>();
    }
}
