//! Flatten: a multi-dimensional sample read as one row-major vector, `y = x`.
//!
//! A `[28, 28]` image becomes 784 features with index `row·28 + col`, as in Keras and in the
//! IDX files MNIST ships in, so Keras weights fit unchanged. liandan stores every sample as a
//! flat column already, so the layer only copies; its backward pass is `∂L/∂x = ∂L/∂y`.

use core::marker::PhantomData;

use nalgebra::SMatrix;
use rand::RngCore;

use crate::layer::{Head, Layer, NoParams, Shape, Size};
use crate::{Float, Zeroed};

/// Flattens a sample of `N` values in row-major order: an identity on liandan's flat columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten<T, const N: usize>(PhantomData<T>);

// Safety: a PhantomData has no bytes.
unsafe impl<T, const N: usize> Zeroed for Flatten<T, N> {}

impl<T, const N: usize> Flatten<T, N> {
    /// The layer; `const`, for networks built at compile time.
    pub const fn new() -> Self {
        Flatten(PhantomData)
    }
}

impl<T, const N: usize> Shape for Flatten<T, N> {
    type Input = Size<N>;
    type Output = Size<N>;
}

impl<T: Float, const N: usize> Layer<T, N, N> for Flatten<T, N> {
    type Tape<const B: usize> = ();
    type Grad = NoParams;
    const HEAD: Head = Head::Other;

    fn forward<const B: usize>(&self, x: &SMatrix<T, N, B>, y: &mut SMatrix<T, N, B>) {
        y.copy_from(x);
    }

    fn forward_train<const B: usize, R: RngCore + ?Sized>(
        &self,
        x: &SMatrix<T, N, B>,
        y: &mut SMatrix<T, N, B>,
        _: &mut (),
        _: Option<&mut R>,
    ) {
        y.copy_from(x);
    }

    fn backward<const B: usize>(
        &self,
        _: &SMatrix<T, N, B>,
        _: &SMatrix<T, N, B>,
        _: &mut (),
        dy: &mut SMatrix<T, N, B>,
        _: bool,
        _: &mut NoParams,
        dx: Option<&mut SMatrix<T, N, B>>,
    ) {
        if let Some(dx) = dx {
            dx.copy_from(dy);
        }
    }
}

crate::layer::no_params!([T, const N: usize] Flatten<T, N>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_is_identity() {
        crate::gradcheck::check_layer::<Flatten<f64, 6>, 6, 6>();
    }
}
