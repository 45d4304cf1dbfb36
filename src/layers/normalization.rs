//! Normalization: `y = (x - mean) / max(√variance, ε)`, with one mean and one variance per
//! index of the last axis (Keras' `Normalization(axis=-1)`): per feature of a flat vector, per
//! channel of an image. `ε = 1e-7`, Keras' `epsilon()`.
//!
//! The statistics are not trained: they are [`Buffers`], set by [`adapt`](Normalization::adapt)
//! from training data (or loaded with the weights), carried by weight files and compiled-in
//! weights, and never touched by an optimizer. Keras keeps a `count` beside them (how many
//! values each statistic was computed from), and so does this layer, so the two summaries and
//! weight files agree: the layer has `2·C + 1` non-trainable values.
//!
//! Backward, with `s = max(√variance, ε)` per index of the last axis: `∂L/∂x = ∂L/∂y / s`.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::Normalization;
//!
//! let mut layer = Normalization::<f64, Flat<2>, 2>::new();
//! // Two samples, [1, 10] and [3, 30]: means 2 and 20, variances 1 and 100.
//! layer.adapt(&[1.0, 10.0, 3.0, 30.0])?;
//! assert_eq!((layer.mean[0], layer.variance[1]), (2.0, 100.0));
//! let mut y = SMatrix::<f64, 2, 1>::zeros();
//! layer.forward(&SMatrix::<f64, 2, 1>::new(3.0, 0.0), &mut y, &mut ());
//! assert_eq!(y, SMatrix::<f64, 2, 1>::new(1.0, -2.0));
//! # Ok::<(), liandan::Error>(())
//! ```

use core::marker::PhantomData;

use nalgebra::SVector;
use rand::RngCore;

use crate::layer::{Accepts, Backward, BufferMut, BufferRef, Buffers, Forward, Head, NoParams};
use crate::layer::{TensorInfo, Train};
use crate::loss::EPSILON;
use crate::shape::{Batch, Buffer, Shape, Text};
use crate::{Element, Error, Float, Zeroed};

/// Normalizes samples of shape `S` with the statistics of each of the `C` indices of its last
/// axis (`C` is that axis' size, checked where the layer is used).
#[derive(Clone, Debug, PartialEq)]
pub struct Normalization<T, S, const C: usize> {
    /// The mean of each index of the last axis.
    pub mean: SVector<T, C>,
    /// The (population) variance of each index of the last axis.
    pub variance: SVector<T, C>,
    /// How many values each statistic was computed from (Keras' `count`).
    pub count: i64,
    shape: PhantomData<S>,
}

// Safety: two matrices of zeroed floats, an integer and a PhantomData.
unsafe impl<T: Zeroed, S, const C: usize> Zeroed for Normalization<T, S, C> {}

impl<T, S: Shape, const C: usize> Normalization<T, S, C> {
    /// The rule, checked where the layer is used: `C` is the size of `S`'s last axis.
    const RULE: () = {
        let last = match S::DIMS.last() {
            Some(&n) => n,
            None => 1,
        };
        if last != C {
            let text = Text::new().str("`Normalization` of `").dims(S::DIMS);
            let text = text
                .str("` keeps one mean per index of the last axis, ")
                .num(last);
            let text = text.str(", not ").num(C);
            panic!("{}", text.as_str());
        }
    };

    /// The layer with the given statistics; `const`, so compiled-in weights (`network!`'s
    /// `weights:`) build it at compile time.
    pub const fn from_parts(mean: SVector<T, C>, variance: SVector<T, C>, count: i64) -> Self {
        let () = Self::RULE;
        Normalization {
            mean,
            variance,
            count,
            shape: PhantomData,
        }
    }
}

impl<T: Float, S: Shape, const C: usize> Normalization<T, S, C> {
    /// Keras' initial statistics, which change nothing: mean 0, variance 1, count 0.
    pub fn new() -> Self {
        Self::from_parts(SVector::zeros(), SVector::repeat(T::one()), 0)
    }

    /// Sets the statistics from `features`, samples of shape `S` one after another (a
    /// dataset's [`features`](crate::data::Dataset::features)): each index's mean and
    /// population variance, computed in `f64`, as Keras' `adapt`. Fails, changing nothing,
    /// with [`Error::NoSamples`] if `features` is empty and [`Error::PartialSample`] if it is
    /// not whole samples. The layer's rule (`C` is the last axis of `S`) is checked where
    /// `adapt` is used, so a layer made with `zeroed()` is held to it too:
    ///
    /// ```compile_fail,E0080
    /// use liandan::layers::Normalization;
    /// use liandan::prelude::*;
    ///
    /// // Three channels, two statistics: the rule fails when the crate is built.
    /// let mut layer = Normalization::<f32, Hwc<2, 2, 3>, 2>::zeroed();
    /// let _ = layer.adapt(&[0.0; 24]);
    /// ```
    ///
    /// ```
    /// use liandan::layers::Normalization;
    /// use liandan::prelude::*;
    ///
    /// let mut layer = Normalization::<f32, Hwc<2, 2, 3>, 3>::zeroed();
    /// layer.adapt(&[0.0; 24])?;
    /// assert_eq!(layer.count, 8);
    /// # Ok::<(), liandan::Error>(())
    /// ```
    pub fn adapt(&mut self, features: &[T]) -> Result<(), Error> {
        let () = Self::RULE;
        if features.is_empty() {
            return Err(Error::NoSamples { sample: S::LEN });
        }
        if !features.len().is_multiple_of(S::LEN) {
            let sample = S::LEN;
            return Err(Error::PartialSample {
                values: features.len(),
                sample,
            });
        }
        let per_index = features.len() / C;
        let mut sum = [0.0f64; C];
        for (j, x) in features.iter().enumerate() {
            sum[j % C] += x.to_f64();
        }
        let mean = sum.map(|s| s / per_index as f64);
        let mut squares = [0.0f64; C];
        for (j, x) in features.iter().enumerate() {
            let d = x.to_f64() - mean[j % C];
            squares[j % C] += d * d;
        }
        self.mean = SVector::from_fn(|c, _| T::of(mean[c]));
        self.variance = SVector::from_fn(|c, _| T::of(squares[c] / per_index as f64));
        self.count = i64::try_from(per_index).unwrap_or(i64::MAX);
        Ok(())
    }

    /// `s = max(√variance, ε)` of index `c`, what `x - mean` is divided by: Keras 3's
    /// `maximum(sqrt(variance), epsilon())`, the square root per index first, then the floor
    /// (not `√(variance + ε)`). A variance is never negative: loading refuses one, `adapt`
    /// computes none; a negative one set by hand gives NaN, as in Keras, not `ε`.
    fn scale(&self, c: usize) -> T {
        let root = self.variance[c].sqrt();
        let epsilon = T::of(EPSILON);
        // `root <= ε` is false for NaN, so NaN stays NaN.
        if root <= epsilon {
            epsilon
        } else {
            root
        }
    }
}

impl<T: Float, S: Shape, const C: usize> Default for Normalization<T, S, C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, S: Shape, const C: usize> Forward for Normalization<T, S, C> {
    type Element = T;
    type Input = S;
    type Output = S;
    type Scratch<const B: usize> = ();

    fn forward<const B: usize>(&self, x: &Batch<T, S, B>, y: &mut Batch<T, S, B>, _: &mut ()) {
        let () = Self::RULE;
        let values = y.as_mut_slice().iter_mut().zip(x.as_slice());
        for (j, (y, &x)) in values.enumerate() {
            let c = j % C;
            *y = (x - self.mean[c]) / self.scale(c);
        }
    }
}

impl<T: Float, S: Shape, const C: usize> Accepts<S> for Normalization<T, S, C> {}

impl<T: Float, S: Shape, const C: usize> Train for Normalization<T, S, C> {
    type Tape<const B: usize> = ();
    type Grad = NoParams;
    const HEAD: Head = Head::Other;

    fn forward_train<const B: usize>(
        &self,
        x: &Batch<T, S, B>,
        y: &mut Batch<T, S, B>,
        _: &mut (),
        _: Option<&mut dyn RngCore>,
    ) {
        self.forward(x, y, &mut ());
    }

    /// `∂L/∂x = ∂L/∂y / s`, index by index of the last axis.
    fn backward<const B: usize>(&self, ctx: Backward<'_, Self, B>) {
        if let Some(dx) = ctx.dx {
            let values = dx.as_mut_slice().iter_mut().zip(ctx.dy.as_slice());
            for (j, (dx, &dy)) in values.enumerate() {
                *dx = dy / self.scale(j % C);
            }
        }
    }

    /// Keras' initial statistics: mean 0, variance 1, count 0.
    fn init<R: RngCore + ?Sized>(&mut self, _: &mut R) {
        *self = Self::new();
    }
}

crate::layer::no_params!(params [T, S, const C: usize] Normalization<T, S, C>);

impl<T: Element, S, const C: usize> Buffers for Normalization<T, S, C> {
    const BUFFERS: usize = 3;
    const BUFFER_VALUES: usize = 2 * C + 1;
    const BUFFER_BYTES: usize = 2 * C * core::mem::size_of::<T>() + 8;

    fn buffer(&self, i: usize) -> Option<BufferRef<'_>> {
        match i {
            0 => Some(T::buffer(self.mean.as_slice())),
            1 => Some(T::buffer(self.variance.as_slice())),
            2 => Some(BufferRef::I64(core::slice::from_ref(&self.count))),
            _ => None,
        }
    }

    fn buffer_mut(&mut self, i: usize) -> Option<BufferMut<'_>> {
        match i {
            0 => Some(T::buffer_mut(self.mean.as_mut_slice())),
            1 => Some(T::buffer_mut(self.variance.as_mut_slice())),
            2 => Some(BufferMut::I64(core::slice::from_mut(&mut self.count))),
            _ => None,
        }
    }

    fn buffer_info(i: usize) -> Option<TensorInfo> {
        let info = match i {
            0 => Some(TensorInfo::new("mean", const { &[C] })),
            1 => Some(TensorInfo::new("variance", const { &[C] }).non_negative()),
            2 => Some(TensorInfo::new("count", &[])),
            _ => None,
        };
        info.map(|t| t.kind("normalization"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::shape::{Flat, Hwc};
    use crate::Network;
    use nalgebra::SMatrix;
    use std::string::ToString;

    #[test]
    fn images_are_normalized_per_channel() {
        let mut layer = Normalization::<f64, Hwc<1, 2, 2>, 2>::new();
        // Two pixels of two channels per sample, two samples: channel 0 holds 0, 2, 4, 6.
        let x = [0.0, 10.0, 2.0, 10.0, 4.0, 30.0, 6.0, 30.0];
        layer.adapt(&x).unwrap();
        assert_eq!((layer.mean[0], layer.mean[1], layer.count), (3.0, 20.0, 4));
        assert_eq!((layer.variance[0], layer.variance[1]), (5.0, 100.0));
        let x = Batch::<f64, Hwc<1, 2, 2>, 2>::from_slice(&x);
        let mut y = Zeroed::zeroed();
        layer.forward(&x, &mut y, &mut ());
        let want = [-3.0 / 5f64.sqrt(), -1.0, -1.0 / 5f64.sqrt(), -1.0];
        assert_eq!(&y.as_slice()[..4], want);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let mut layer = Normalization::<f64, Flat<3>, 3>::new();
        layer.adapt(&[1.0, 2.0, -1.0, 3.0, 0.5, 4.0]).unwrap();
        let x = SMatrix::<f64, 3, 2>::from_fn(|i, j| i as f64 - j as f64);
        let w = SMatrix::<f64, 3, 2>::from_fn(|i, j| 1.0 + i as f64 * 0.5 - j as f64);
        let report = check(&mut layer, &x, &w, 10, 1);
        assert_eq!(report.checked, 6);
        assert!(report.max_error < 1e-8, "{report:?}");
    }

    #[test]
    fn a_constant_feature_is_divided_by_epsilon_not_zero() {
        let mut layer = Normalization::<f32, Flat<1>, 1>::new();
        layer.adapt(&[2.0, 2.0]).unwrap();
        let mut y = SMatrix::<f32, 1, 1>::zeros();
        layer.forward(&SMatrix::<f32, 1, 1>::new(2.0), &mut y, &mut ());
        assert_eq!(y[0], 0.0);
    }

    #[test]
    fn the_scale_is_the_root_floored_at_epsilon_per_index() {
        let mut layer = Normalization::<f64, Flat<4>, 4>::new();
        layer.variance = SVector::<f64, 4>::new(4.0, 1e-16, 0.0, -1.0);
        let scales: std::vec::Vec<f64> = (0..4).map(|c| layer.scale(c)).collect();
        assert_eq!(&scales[..3], [2.0, EPSILON, EPSILON]);
        // Not √(1e-16 + ε) = 3.2e-4: the root of 1e-16 is 1e-8, floored at ε = 1e-7.
        assert!(scales[3].is_nan(), "{scales:?}");
    }

    #[test]
    fn adapt_refuses_partial_or_no_samples_and_changes_nothing() {
        let mut layer = Normalization::<f64, Flat<2>, 2>::new();
        let err = layer.adapt(&[1.0, 2.0, 3.0]).unwrap_err();
        assert_eq!(
            err,
            Error::PartialSample {
                values: 3,
                sample: 2
            }
        );
        assert_eq!(layer.adapt(&[]), Err(Error::NoSamples { sample: 2 }));
        assert_eq!(
            layer.adapt(&[]).unwrap_err().to_string(),
            "no samples: statistics need at least one sample of 2 values"
        );
        assert_eq!(layer, Normalization::new());
    }

    crate::network! {
        struct Scaled { input: [4], Normalization, Dense<3, Softmax> }
    }

    #[test]
    fn a_network_carries_the_statistics_in_its_weights_and_summary() {
        let mut net = Scaled::<f64>::new_boxed(&mut crate::rng::SplitMix64::new(1));
        assert_eq!(net.normalization_1, Normalization::new());
        net.normalization_1
            .adapt(&[1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 0.0])
            .unwrap();
        let bytes = crate::io::params_to_bytes(&*net).unwrap();
        let mut copy = Scaled::<f64>::boxed();
        crate::io::params_from_bytes(&mut *copy, &bytes, &Default::default()).unwrap();
        assert_eq!(copy.normalization_1, net.normalization_1);
        let summary = std::string::ToString::to_string(&Scaled::<f64>::summary());
        assert!(
            summary.contains("normalization_1 (Normalization)     (None, 4)                    9"),
            "{summary}"
        );
        assert!(
            summary.contains(" Non-trainable params: 9 (72.00 B)"),
            "{summary}"
        );
        // The optimizer sees the dense layer's parameters only.
        assert_eq!(<Scaled<f64> as crate::Params<f64>>::TENSORS, 2);
    }

    #[test]
    fn the_statistics_are_buffers_keras_names_them() {
        type Layer = Normalization<f32, Flat<4>, 4>;
        assert_eq!(<Layer as Buffers>::BUFFER_VALUES, 9);
        assert_eq!(<Layer as crate::Params<f32>>::PARAMS, 0);
        let names: std::vec::Vec<&str> = (0..3)
            .filter_map(Layer::buffer_info)
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["mean", "variance", "count"]);
        assert_eq!(Layer::buffer_info(2).map(|t| t.shape.len()), Some(0));
    }
}
