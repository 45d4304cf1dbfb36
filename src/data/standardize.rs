//! Standardization: each feature shifted and scaled to mean 0 and standard deviation 1.
//!
//! `x' = (x - μ) / σ`, with `μ` and `σ` per feature, computed on the training part only and
//! then applied unchanged to the evaluation and test parts (and to inputs at prediction time):
//! statistics taken over the test set would leak it into training. `σ` is the population
//! standard deviation (divided by the count, as scikit-learn's `StandardScaler`), and a
//! constant feature (`σ = 0`) is only centred, as there.
//!
//! ```
//! use liandan::data::Dataset;
//! use liandan::shape::Flat;
//!
//! let mut train = Dataset::<f64, Flat<1>>::classification(&[[1.0], [3.0]], &[0, 1], 2)?;
//! let mut test = Dataset::<f64, Flat<1>>::classification(&[[5.0]], &[1], 2)?;
//! let scaler = train.standardize()?;
//! scaler.apply(&mut test);
//! assert_eq!((train.sample(0), test.sample(0)), (&[-1.0][..], &[3.0][..]));
//! # Ok::<(), liandan::data::DataError>(())
//! ```

use core::marker::PhantomData;
use std::vec::Vec;

use super::{DataError, DataErrorKind, Dataset};
use crate::shape::Shape;
use crate::Float;

/// Per-feature means and standard deviations of one dataset, to apply to others.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer<T: Float, S: Shape> {
    mean: Vec<T>,
    scale: Vec<T>,
    shape: PhantomData<S>,
}

impl<T: Float, S: Shape> Standardizer<T, S> {
    /// The mean and standard deviation of each feature over `data`'s samples.
    ///
    /// Sums are taken in `f64`, so `f32` datasets of millions of samples keep their precision.
    pub fn fit(data: &Dataset<T, S>) -> Result<Self, DataError> {
        if data.is_empty() {
            return Err(DataErrorKind::Empty {
                operation: "standardize",
            }
            .into());
        }
        let count = data.len() as f64;
        let mut sum = std::vec![0.0f64; S::LEN];
        let mut sum_sq = std::vec![0.0f64; S::LEN];
        // Two passes (mean, then squared deviations) would be more stable still, but one pass
        // over shifted values is as good for features of similar magnitude: shift by sample 0.
        let shift: Vec<f64> = data.sample(0).iter().map(|x| x.to_f64()).collect();
        for sample in data.features().chunks_exact(S::LEN.max(1)).take(data.len()) {
            for (j, x) in sample.iter().enumerate() {
                let d = x.to_f64() - shift[j];
                sum[j] += d;
                sum_sq[j] += d * d;
            }
        }
        let mean = (0..S::LEN)
            .map(|j| T::of(shift[j] + sum[j] / count))
            .collect();
        let scale = (0..S::LEN)
            .map(|j| T::of(std_dev(sum[j], sum_sq[j], count)))
            .collect();
        Ok(Standardizer {
            mean,
            scale,
            shape: PhantomData,
        })
    }

    /// Standardizes every sample of `data` in place.
    pub fn apply(&self, data: &mut Dataset<T, S>) {
        for sample in data.features_mut().chunks_exact_mut(S::LEN.max(1)) {
            self.apply_to(sample);
        }
    }

    /// Standardizes one sample's `S::LEN` values in place: for inputs at prediction time.
    pub fn apply_to(&self, sample: &mut [T]) {
        for ((x, &m), &s) in sample.iter_mut().zip(&self.mean).zip(&self.scale) {
            *x = (*x - m) / s;
        }
    }

    /// The mean of each feature.
    pub fn mean(&self) -> &[T] {
        &self.mean
    }

    /// What each feature is divided by: its standard deviation, or 1 where that is 0.
    pub fn scale(&self) -> &[T] {
        &self.scale
    }
}

/// The population standard deviation from shifted sums, 1 for a constant feature.
fn std_dev(sum: f64, sum_sq: f64, count: f64) -> f64 {
    let variance = (sum_sq / count - (sum / count).powi(2)).max(0.0);
    let sd = variance.sqrt();
    if sd > 0.0 {
        sd
    } else {
        1.0
    }
}

impl<T: Float, S: Shape> Dataset<T, S> {
    /// Standardizes this dataset in place and returns the statistics, to apply to others.
    pub fn standardize(&mut self) -> Result<Standardizer<T, S>, DataError> {
        let scaler = Standardizer::fit(self)?;
        scaler.apply(self);
        Ok(scaler)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Flat;
    use std::string::ToString;

    #[test]
    fn mean_zero_std_one() {
        let samples = [[1.0, 10.0, 7.0], [2.0, 20.0, 7.0], [3.0, 60.0, 7.0]];
        let mut d = Dataset::<f64, Flat<3>>::classification(&samples, &[0, 0, 0], 1).unwrap();
        let s = d.standardize().unwrap();
        assert_eq!(s.mean(), [2.0, 30.0, 7.0]);
        // numpy.std([1, 2, 3]) = 0.816496580927726, numpy.std([10, 20, 60]) = 21.602468994692867
        approx::assert_relative_eq!(s.scale()[0], 0.816496580927726, epsilon = 1e-12);
        approx::assert_relative_eq!(s.scale()[1], 21.602468994692867, epsilon = 1e-12);
        assert_eq!(s.scale()[2], 1.0); // constant: centred only
        for j in 0..3 {
            let column: std::vec::Vec<f64> = (0..3).map(|i| d.sample(i)[j]).collect();
            approx::assert_abs_diff_eq!(column.iter().sum::<f64>(), 0.0, epsilon = 1e-12);
        }
        assert_eq!(d.sample(0)[2], 0.0);
    }

    #[test]
    fn apply_to_another_dataset() {
        let mut train =
            Dataset::<f32, Flat<1>>::classification(&[[0.0], [4.0]], &[0, 0], 1).unwrap();
        let s = train.standardize().unwrap();
        let mut x = [6.0f32];
        s.apply_to(&mut x);
        assert_eq!(x, [2.0]);
    }

    #[test]
    fn empty_dataset() {
        let d = Dataset::<f32, Flat<2>>::classification::<2>(&[], &[], 1).unwrap();
        let err = Standardizer::fit(&d).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot standardize a dataset without samples"
        );
    }
}
