//! Shapes as types: what one sample of a layer's input or output is, and the batch that holds
//! `B` of them.
//!
//! | shape | one sample | a batch of `B` |
//! | --- | --- | --- |
//! | [`Flat<N>`] | `N` features | [`SMatrix<E, N, B>`](nalgebra::SMatrix), one column per sample |
//! | [`Hw<H, W>`] | an `H×W` grid (a grey image) | [`HwBatch<E, H, W, B>`] |
//! | [`Hwc<H, W, C>`] | an `H×W` image of `C` channels, channels last (Keras' default) | [`HwcBatch<E, H, W, C, B>`] |
//!
//! Every batch has the same bytes: sample after sample, each sample's values row-major (for an
//! image: row, column, channel). So a batch of `Hwc<28, 28, 1>` and one of `Flat<784>` are the
//! same memory, [`Flatten`](crate::layers::Flatten) only copies, and dense kernels and Keras
//! weights never change. [`Batch<E, S, B>`] names the batch of any shape; [`Buffer`] reads it as a
//! slice.
//!
//! ```
//! use liandan::shape::{Batch, Buffer, Flat, Hwc, Shape};
//! use liandan::Zeroed;
//!
//! assert_eq!((Hwc::<28, 28, 1>::LEN, Hwc::<28, 28, 1>::DIMS), (784, &[28, 28, 1][..]));
//! let mut images = Batch::<f32, Hwc<2, 2, 3>, 4>::zeroed();
//! images.as_mut_slice()[12] = 1.0; // sample 1, row 0, column 0, channel 0
//! assert_eq!(images.sample(1)[0][0], [1.0, 0.0, 0.0]);
//! let flat: Batch<f32, Flat<12>, 4> = Buffer::try_from_slice(images.as_slice())?;
//! assert_eq!(flat[(0, 1)], 1.0);
//! # Ok::<(), liandan::Error>(())
//! ```

mod rule;

pub use rule::Text;

use core::fmt;
use core::mem::{align_of, size_of};

use nalgebra::SMatrix;

use crate::{Element, Error, Zeroed};

/// The shape of one sample, as a type: [`Flat`], [`Hw`] or [`Hwc`].
///
/// Stable Rust cannot compute a size from other sizes in a type, so each shape names its batch
/// type itself ([`Shape::Batch`]) rather than an `SMatrix` of `LEN` rows.
pub trait Shape: Copy + Default + fmt::Debug + Send + Sync + 'static {
    /// The dimensions, outermost first: `[784]`, `[28, 28]`, `[28, 28, 1]`.
    const DIMS: &'static [usize];
    /// The values per sample, the product of the dimensions.
    const LEN: usize;
    /// A batch of `B` samples of this shape.
    type Batch<E: Element, const B: usize>: Buffer<E>;
}

/// A batch of `B` samples of shape `S` with elements `E`.
pub type Batch<E, S, const B: usize> = <S as Shape>::Batch<E, B>;

/// One sample of shape `S`: a batch of one.
pub type Sample<E, S> = Batch<E, S, 1>;

/// A batch's values as one slice: sample after sample, each sample row-major.
///
/// # Safety
/// A `Buffer` is exactly its values, contiguous, and nothing else, aligned exactly as `E`: an
/// array of arrays of `E`, or nalgebra's `SMatrix`, which is one. That is,
/// `size_of::<Self>() == SAMPLE * SAMPLES * size_of::<E>()` and
/// `align_of::<Self>() == align_of::<E>()` (not a larger alignment either): so one batch can be
/// read in place as another of as many values ([`view`], which checks both when the code is
/// built).
pub unsafe trait Buffer<E: Element>: Zeroed {
    /// The values of one sample.
    const SAMPLE: usize;
    /// The samples, the batch size.
    const SAMPLES: usize;

    /// The values.
    fn as_slice(&self) -> &[E];

    /// The values, mutably.
    fn as_mut_slice(&mut self) -> &mut [E];

    /// A batch holding `values`, or [`Error::Length`] unless there are exactly as many as it
    /// holds (`SAMPLE · SAMPLES`).
    ///
    /// ```
    /// use liandan::shape::{Buffer, Hw, Sample};
    /// use liandan::Error;
    ///
    /// let image: Sample<f32, Hw<2, 2>> = Buffer::try_from_slice(&[0.0, 0.5, 1.0, 0.5])?;
    /// assert_eq!(image.sample(0)[1], [1.0, 0.5]);
    /// let short = Sample::<f32, Hw<2, 2>>::try_from_slice(&[0.0; 3]);
    /// assert_eq!(short.unwrap_err(), Error::Length { given: 3, holds: 4 });
    /// # Ok::<(), Error>(())
    /// ```
    fn try_from_slice(values: &[E]) -> Result<Self, Error> {
        let mut batch = Self::zeroed();
        let slots = batch.as_mut_slice();
        if values.len() != slots.len() {
            let (given, holds) = (values.len(), slots.len());
            return Err(Error::Length { given, holds });
        }
        slots.copy_from_slice(values);
        Ok(batch)
    }

    /// A batch holding `values`, for a length known to be right; panics unless there are
    /// exactly as many as it holds, as `slice::copy_from_slice` does. Values of a length not
    /// known in advance go through [`try_from_slice`](Buffer::try_from_slice).
    fn from_slice(values: &[E]) -> Self {
        let mut batch = Self::zeroed();
        batch.as_mut_slice().copy_from_slice(values);
        batch
    }

    /// The values of sample `j`; panics if `j` is not below [`SAMPLES`](Buffer::SAMPLES).
    fn sample_values(&self, j: usize) -> &[E] {
        &self.as_slice()[j * Self::SAMPLE..(j + 1) * Self::SAMPLE]
    }
}

// Safety: an `SMatrix` is a `repr(C)` struct of its `repr(transparent)` array storage,
// `[[E; R]; C]`, and a zero-sized marker.
unsafe impl<E: Element, const R: usize, const C: usize> Buffer<E> for SMatrix<E, R, C> {
    const SAMPLE: usize = R;
    const SAMPLES: usize = C;

    fn as_slice(&self) -> &[E] {
        SMatrix::as_slice(self)
    }

    fn as_mut_slice(&mut self) -> &mut [E] {
        SMatrix::as_mut_slice(self)
    }
}

/// The batch `x` read in place as a batch of another shape of as many values: a
/// `&Batch<E, Hw<28, 28>, B>` as a `&Batch<E, Flat<784>, B>`, as [`Flatten`] leaves it.
///
/// A compile error (when the code is built: `cargo check` does not evaluate it) if the two
/// sizes differ, or if either type breaks [`Buffer`]'s layout contract, such as a buffer of a
/// larger alignment than its element's, which a reference to a batch of `E` need not have:
///
/// ```compile_fail
/// use liandan::prelude::*;
/// use liandan::shape::view;
///
/// /// Eight values, aligned for a 256-bit load: not a `Buffer` `view` can read into.
/// #[repr(C, align(32))]
/// struct Aligned([f32; 8]);
/// unsafe impl Zeroed for Aligned {}
/// unsafe impl Buffer<f32> for Aligned {
///     const SAMPLE: usize = 8;
///     const SAMPLES: usize = 1;
///     fn as_slice(&self) -> &[f32] { &self.0 }
///     fn as_mut_slice(&mut self) -> &mut [f32] { &mut self.0 }
/// }
/// let x = SMatrix::<f32, 8, 1>::zeros();
/// let y: &Aligned = view(&x);
/// ```
///
/// [`Flatten`]: crate::layers::Flatten
pub fn view<E: Element, X: Buffer<E>, Y: Buffer<E>>(x: &X) -> &Y {
    const { viewable::<E, X, Y>() };
    // Safety: both are their values alone, aligned exactly as `E` (checked above, as `Buffer`'s
    // contract says), and of one size: the same values.
    unsafe { &*(x as *const X).cast::<Y>() }
}

/// [`view`], mutably.
pub fn view_mut<E: Element, X: Buffer<E>, Y: Buffer<E>>(x: &mut X) -> &mut Y {
    const { viewable::<E, X, Y>() };
    // Safety: as in `view`; the borrow is exclusive and passes to the result.
    unsafe { &mut *(x as *mut X).cast::<Y>() }
}

/// Samples `first..first + Y::SAMPLES` of the batch `x`, read in place as the smaller batch
/// `Y` of the same shape: what a network's inference runs one sample at a time through.
/// Panics, as slice indexing does, unless `first + Y::SAMPLES <= X::SAMPLES`; a compile error
/// (when the code is built) unless both types are laid out as [`Buffer`] says with samples of
/// one size.
///
/// ```
/// use liandan::shape::{part, Batch, Buffer, Hw};
///
/// let images = Batch::<f32, Hw<1, 2>, 3>::from_slice(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
/// let last: &Batch<f32, Hw<1, 2>, 2> = part(&images, 1);
/// assert_eq!(last.as_slice(), &[2.0, 3.0, 4.0, 5.0]);
/// ```
pub fn part<E: Element, X: Buffer<E>, Y: Buffer<E>>(x: &X, first: usize) -> &Y {
    const { partable::<E, X, Y>() };
    let values = &x.as_slice()[first * X::SAMPLE..(first + Y::SAMPLES) * X::SAMPLE];
    // Safety: `values` are `Y::SAMPLES` samples of `Y::SAMPLE` values, aligned as `E`, and `Y`
    // is those values alone, aligned exactly as `E` (checked above).
    unsafe { &*values.as_ptr().cast::<Y>() }
}

/// [`part`], mutably.
pub fn part_mut<E: Element, X: Buffer<E>, Y: Buffer<E>>(x: &mut X, first: usize) -> &mut Y {
    const { partable::<E, X, Y>() };
    let values = &mut x.as_mut_slice()[first * X::SAMPLE..(first + Y::SAMPLES) * X::SAMPLE];
    // Safety: as in `part`; the borrow is exclusive and passes to the result.
    unsafe { &mut *values.as_mut_ptr().cast::<Y>() }
}

/// Panics (when [`part`] is built) unless samples of `Y` can be read in place in `X`: both laid
/// out as [`Buffer`] says, with samples of one size.
const fn partable<E: Element, X: Buffer<E>, Y: Buffer<E>>() {
    assert!(
        exact::<E, X>() && exact::<E, Y>(),
        "`part` reads only a `Buffer` that is its values alone, aligned exactly as its element"
    );
    assert!(
        X::SAMPLE == Y::SAMPLE,
        "`part` reads samples of a batch as a batch of the same shape"
    );
}

/// Panics (when [`view`] is built) unless `X` can be read in place as `Y`: both laid out as
/// [`Buffer`] says, and of one size.
const fn viewable<E: Element, X: Buffer<E>, Y: Buffer<E>>() {
    assert!(
        exact::<E, X>() && exact::<E, Y>(),
        "`view` reads only a `Buffer` that is its values alone, aligned exactly as its element"
    );
    assert!(
        size_of::<X>() == size_of::<Y>(),
        "`view` reads a batch as another of as many values"
    );
}

/// Whether `X` is laid out as [`Buffer`]'s contract says: its `SAMPLE · SAMPLES` values of `E`
/// alone, aligned exactly as `E`.
const fn exact<E: Element, X: Buffer<E>>() -> bool {
    let bytes = match X::SAMPLE.checked_mul(X::SAMPLES) {
        Some(values) => values.checked_mul(size_of::<E>()),
        None => None,
    };
    matches!(bytes, Some(n) if n == size_of::<X>()) && align_of::<X>() == align_of::<E>()
}

/// `N` features: a vector, the input and output of [`Dense`](crate::layers::Dense).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flat<const N: usize>;

impl<const N: usize> Shape for Flat<N> {
    const DIMS: &'static [usize] = &[N];
    const LEN: usize = N;
    type Batch<E: Element, const B: usize> = SMatrix<E, N, B>;
}

/// An `H×W` grid of values: a grey image without a channel axis, as Keras' `Input((28, 28))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hw<const H: usize, const W: usize>;

impl<const H: usize, const W: usize> Shape for Hw<H, W> {
    const DIMS: &'static [usize] = &[H, W];
    const LEN: usize = H * W;
    type Batch<E: Element, const B: usize> = HwBatch<E, H, W, B>;
}

/// An `H×W` image of `C` channels, channels last: the input and output of a convolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hwc<const H: usize, const W: usize, const C: usize>;

impl<const H: usize, const W: usize, const C: usize> Shape for Hwc<H, W, C> {
    const DIMS: &'static [usize] = &[H, W, C];
    const LEN: usize = H * W * C;
    type Batch<E: Element, const B: usize> = HwcBatch<E, H, W, C, B>;
}

/// `B` grids of `H×W` values, one after another.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(transparent)]
pub struct HwBatch<E, const H: usize, const W: usize, const B: usize>([[[E; W]; H]; B]);

/// `B` images of `H×W×C` values, one after another, each row by row, each pixel's channels
/// together.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(transparent)]
pub struct HwcBatch<E, const H: usize, const W: usize, const C: usize, const B: usize>(
    [[[[E; C]; W]; H]; B],
);

/// The array batches: zeroed, as slices (the array of arrays flattened), and their samples.
macro_rules! array_batch {
    ($name:ident [$($dim:ident),*] $sample:ty, $($flatten:ident)*, $($flatten_mut:ident)*) => {

        // Safety: an array of arrays of `Zeroed` elements.
        unsafe impl<E: Zeroed, $(const $dim: usize,)* const B: usize> Zeroed
            for $name<E, $($dim,)* B>
        {
        }

        // Safety: a `repr(transparent)` array of arrays of `E`.
        unsafe impl<E: Element, $(const $dim: usize,)* const B: usize> Buffer<E>
            for $name<E, $($dim,)* B>
        {
            const SAMPLE: usize = 1 $(* $dim)*;
            const SAMPLES: usize = B;

            fn as_slice(&self) -> &[E] {
                self.0 $(.$flatten())*
            }

            fn as_mut_slice(&mut self) -> &mut [E] {
                self.0 $(.$flatten_mut())*
            }
        }

        impl<E, $(const $dim: usize,)* const B: usize> $name<E, $($dim,)* B> {
            /// Sample `j` of the batch; panics if `j >= B`.
            pub fn sample(&self, j: usize) -> &$sample {
                &self.0[j]
            }

            /// Sample `j` of the batch, mutably; panics if `j >= B`.
            pub fn sample_mut(&mut self, j: usize) -> &mut $sample {
                &mut self.0[j]
            }

            /// The samples, one array each: what a pass over whole samples cuts in two.
            #[allow(dead_code)] // not every batch type has a pass over whole samples
            pub(crate) fn samples(&self) -> &[$sample] {
                &self.0
            }

            /// The samples, mutably.
            #[allow(dead_code)] // as `samples`
            pub(crate) fn samples_mut(&mut self) -> &mut [$sample] {
                &mut self.0
            }
        }
    };
}

/// Images of `H×W×C` values as one slice of values: what a pass over whole samples works on.
pub(crate) fn image_values<E, const H: usize, const W: usize, const C: usize>(
    images: &[[[[E; C]; W]; H]],
) -> &[E] {
    images.as_flattened().as_flattened().as_flattened()
}

/// [`image_values`], mutably.
pub(crate) fn image_values_mut<E, const H: usize, const W: usize, const C: usize>(
    images: &mut [[[[E; C]; W]; H]],
) -> &mut [E] {
    let images = images.as_flattened_mut().as_flattened_mut();
    images.as_flattened_mut()
}

array_batch!(
    HwBatch [H, W] [[E; W]; H],
    as_flattened as_flattened,
    as_flattened_mut as_flattened_mut
);
array_batch!(
    HwcBatch [H, W, C] [[[E; C]; W]; H],
    as_flattened as_flattened as_flattened,
    as_flattened_mut as_flattened_mut as_flattened_mut
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight values aligned for a 256-bit load: more alignment than `f32`'s.
    #[repr(C, align(32))]
    struct Aligned([f32; 8]);

    /// Eight values that claim to be nine.
    struct Short([f32; 8]);

    // Safety (both): arrays of floats.
    unsafe impl Zeroed for Aligned {}
    unsafe impl Zeroed for Short {}

    // Safety: not a `Buffer` by the contract; only `exact` looks at it, to refuse it.
    unsafe impl Buffer<f32> for Aligned {
        const SAMPLE: usize = 8;
        const SAMPLES: usize = 1;
        fn as_slice(&self) -> &[f32] {
            &self.0
        }
        fn as_mut_slice(&mut self) -> &mut [f32] {
            &mut self.0
        }
    }

    // Safety: as above.
    unsafe impl Buffer<f32> for Short {
        const SAMPLE: usize = 9;
        const SAMPLES: usize = 1;
        fn as_slice(&self) -> &[f32] {
            &self.0
        }
        fn as_mut_slice(&mut self) -> &mut [f32] {
            &mut self.0
        }
    }

    #[test]
    fn try_from_slice_refuses_another_length_and_fills_an_exact_one() {
        type Images = Batch<f32, Hwc<1, 2, 3>, 2>;
        let values: [f32; 12] = core::array::from_fn(|i| i as f32);
        let images = Images::try_from_slice(&values).expect("12 values fill 2 samples of 6");
        assert_eq!(images.as_slice(), &values);
        for given in [0, 11, 13] {
            let values = [0.0; 13];
            let err = Images::try_from_slice(&values[..given]).unwrap_err();
            assert_eq!(err, Error::Length { given, holds: 12 });
        }
    }

    #[test]
    fn view_reads_only_buffers_of_their_values_alone_aligned_as_their_element() {
        assert!(exact::<f32, SMatrix<f32, 8, 1>>());
        assert!(exact::<f64, HwcBatch<f64, 2, 3, 4, 5>>());
        assert!(!exact::<f32, Aligned>());
        assert!(!exact::<f32, Short>());
        // What the network's passes and `Flatten` view, and another batch size over the
        // same bytes.
        let _: &SMatrix<f32, 784, 2> = view(&HwBatch::<f32, 28, 28, 2>::zeroed());
        let x = SMatrix::<f32, 4, 2>::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0);
        let y: &SMatrix<f32, 8, 1> = view(&x);
        assert_eq!(y.as_slice(), x.as_slice());
    }

    #[test]
    fn part_reads_each_range_of_samples_in_place() {
        let mut x = Batch::<f32, Hwc<1, 2, 3>, 4>::zeroed();
        for (i, v) in x.as_mut_slice().iter_mut().enumerate() {
            *v = i as f32;
        }
        for first in 0..4 {
            let one: &Batch<f32, Hwc<1, 2, 3>, 1> = part(&x, first);
            assert_eq!(one.as_slice(), x.sample_values(first));
        }
        let two: &SMatrix<f32, 6, 2> = part(&x, 2);
        assert_eq!(two.as_slice(), &x.as_slice()[12..]);
        let last: &mut Batch<f32, Hwc<1, 2, 3>, 1> = part_mut(&mut x, 3);
        last.as_mut_slice()[0] = -1.0;
        assert_eq!(x.as_slice()[18], -1.0);
    }

    #[test]
    #[should_panic]
    fn part_panics_past_the_last_sample() {
        let x = SMatrix::<f32, 2, 3>::zeros();
        let _: &SMatrix<f32, 2, 2> = part(&x, 2);
    }
}
