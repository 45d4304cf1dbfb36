//! Batches: samples copied into a caller's [`shape::Batch<T, S, B>`](crate::shape::Batch) (for
//! [`Flat<N>`](crate::shape::Flat) samples the columns of an `SMatrix<T, N, B>`), without
//! allocating.
//!
//! A batch holds at most `B` samples; when fewer are left (the last batch of an epoch whose
//! length `B` does not divide), the remaining samples are zeros and the fill returns how many
//! are real, which is the `n` the trainer's step and the losses take.
//!
//! ```
//! use liandan::data::{shuffled_indices, Dataset};
//! use liandan::shape::Flat;
//! use nalgebra::SMatrix;
//!
//! let data = Dataset::<f32, Flat<2>>::classification(&[[0.0, 1.0]; 5], &[1; 5], 2)?;
//! let order = shuffled_indices(data.len(), 0);
//! let (mut x, mut y) = (SMatrix::<f32, 2, 2>::zeros(), [0usize; 2]);
//! let counts: Vec<usize> = data
//!     .batches::<2>(&order)
//!     .map(|batch| batch.fill(&mut x, &mut y))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(counts, [2, 2, 1]);
//! assert_eq!((x.column(1).sum(), y), (0.0, [1, 0])); // the last batch: one sample, one padding
//! # Ok::<(), liandan::data::DataError>(())
//! ```

use nalgebra::SMatrix;

use super::dataset::check_indices;
use super::{DataError, DataErrorKind, Dataset, Targets};
use crate::shape::{Batch as Samples, Buffer, Shape};
use crate::Float;

/// A batch's targets: class labels (`[usize; B]`, for a sparse cross-entropy) or a matrix of
/// `O` values per sample (`SMatrix<T, O, B>`: one-hot rows from class labels, or real values).
pub trait BatchTargets<T: Float, const B: usize> {
    /// Writes the targets of the samples at `indices` (checked, at most `B`) into the first
    /// columns and zeros into the rest; fails, having written nothing, if the targets do not fit.
    fn fill(&mut self, targets: &Targets<T>, indices: &[usize]) -> Result<(), DataError>;
}

impl<T: Float, const B: usize> BatchTargets<T, B> for [usize; B] {
    fn fill(&mut self, targets: &Targets<T>, indices: &[usize]) -> Result<(), DataError> {
        let Targets::Classes { labels, .. } = targets else {
            return Err(DataErrorKind::NotClasses {
                operation: "a batch of class labels",
            }
            .into());
        };
        let (real, padding) = self.split_at_mut(indices.len());
        real.iter_mut()
            .zip(indices)
            .for_each(|(y, &i)| *y = labels[i]);
        padding.fill(0);
        Ok(())
    }
}

/// Class labels into a matrix are one-hot rows, except that labels of two classes into one
/// output are that output's target value, 0 or 1: a one-unit sigmoid's yes/no, as Keras reads
/// integer labels for binary cross-entropy.
impl<T: Float, const O: usize, const B: usize> BatchTargets<T, B> for SMatrix<T, O, B> {
    fn fill(&mut self, targets: &Targets<T>, indices: &[usize]) -> Result<(), DataError> {
        let binary = matches!(targets, Targets::Classes { classes: 2, .. }) && O == 1;
        if targets.width() != O && !binary {
            return Err(DataErrorKind::TargetWidth {
                width: targets.width(),
                outputs: O,
            }
            .into());
        }
        self.fill(T::zero());
        for (j, &i) in indices.iter().enumerate() {
            match targets {
                Targets::Classes { labels, .. } if binary => self[(0, j)] = T::of(labels[i] as f64),
                Targets::Classes { labels, .. } => self[(labels[i], j)] = T::one(),
                Targets::Values { values, .. } => {
                    self.column_mut(j)
                        .copy_from_slice(&values[i * O..(i + 1) * O]);
                }
            }
        }
        Ok(())
    }
}

impl<T: Float, S: Shape> Dataset<T, S> {
    /// Copies the samples at `indices` (at most `B`) into the first samples of `x` and their
    /// targets into `y`, zeroing the rest; returns how many samples are real.
    pub fn fill_batch<const B: usize, Y: BatchTargets<T, B>>(
        &self,
        indices: &[usize],
        x: &mut Samples<T, S, B>,
        y: &mut Y,
    ) -> Result<usize, DataError> {
        self.check_batch::<B>(indices)?;
        y.fill(self.targets(), indices)?;
        self.copy_features(indices, x);
        Ok(indices.len())
    }

    /// Copies the samples at `indices` into `x` without targets: a batch to predict on.
    pub fn fill_features<const B: usize>(
        &self,
        indices: &[usize],
        x: &mut Samples<T, S, B>,
    ) -> Result<usize, DataError> {
        self.check_batch::<B>(indices)?;
        self.copy_features(indices, x);
        Ok(indices.len())
    }

    /// The batches of one epoch visiting the samples in `order`, `B` at a time, the last one
    /// partial if `B` does not divide the length.
    pub fn batches<'a, const B: usize>(&'a self, order: &'a [usize]) -> Batches<'a, T, S, B> {
        const { assert!(B > 0, "the batch size B must be at least 1") };
        Batches {
            dataset: self,
            rest: order,
        }
    }

    fn check_batch<const B: usize>(&self, indices: &[usize]) -> Result<(), DataError> {
        if indices.len() > B {
            return Err(DataErrorKind::BatchSize {
                samples: indices.len(),
                batch: B,
            }
            .into());
        }
        check_indices(indices, self.len())
    }

    /// Each sample is `S::LEN` contiguous values, in the dataset and in `x`.
    fn copy_features<const B: usize>(&self, indices: &[usize], x: &mut Samples<T, S, B>) {
        let columns = x.as_mut_slice();
        let (real, padding) = columns.split_at_mut(indices.len() * S::LEN);
        for (column, &i) in real.chunks_exact_mut(S::LEN.max(1)).zip(indices) {
            column.copy_from_slice(self.sample(i));
        }
        padding.fill(T::zero());
    }
}

/// The batches of an epoch, in a given order of samples: see [`Dataset::batches`].
#[derive(Clone, Debug)]
pub struct Batches<'a, T: Float, S: Shape, const B: usize> {
    dataset: &'a Dataset<T, S>,
    rest: &'a [usize],
}

impl<'a, T: Float, S: Shape, const B: usize> Iterator for Batches<'a, T, S, B> {
    type Item = Batch<'a, T, S, B>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (indices, rest) = self.rest.split_at(self.rest.len().min(B));
        self.rest = rest;
        Some(Batch {
            dataset: self.dataset,
            indices,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len().div_ceil(B);
        (n, Some(n))
    }
}

impl<T: Float, S: Shape, const B: usize> ExactSizeIterator for Batches<'_, T, S, B> {}

/// Up to `B` samples of a dataset, named by their indices, ready to be copied into a batch.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a, T: Float, S: Shape, const B: usize> {
    dataset: &'a Dataset<T, S>,
    indices: &'a [usize],
}

impl<T: Float, S: Shape, const B: usize> Batch<'_, T, S, B> {
    /// Copies this batch's samples into `x` and targets into `y`; returns how many are real.
    pub fn fill<Y: BatchTargets<T, B>>(
        &self,
        x: &mut Samples<T, S, B>,
        y: &mut Y,
    ) -> Result<usize, DataError> {
        self.dataset.fill_batch(self.indices, x, y)
    }

    /// The indices of this batch's samples.
    pub fn indices(&self) -> &[usize] {
        self.indices
    }

    /// How many real samples (at most `B`).
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch has no samples (never, for a batch from [`Batches`]).
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Flat;
    use std::string::ToString;
    use std::vec::Vec;

    /// Seven samples `[i, 10 i]`, labels `i % 3`.
    fn seven() -> Dataset<f32, Flat<2>> {
        let samples: Vec<[f32; 2]> = (0..7).map(|i| [i as f32, 10.0 * i as f32]).collect();
        let labels: Vec<usize> = (0..7).map(|i| i % 3).collect();
        Dataset::classification(&samples, &labels, 3).unwrap()
    }

    #[test]
    fn epoch_with_a_partial_last_batch() {
        let d = seven();
        let order: Vec<usize> = (0..7).rev().collect();
        let batches = d.batches::<3>(&order);
        assert_eq!(batches.len(), 3);
        let (mut x, mut y) = (SMatrix::<f32, 2, 3>::repeat(9.0), [9usize; 3]);
        let mut counts = Vec::new();
        for batch in batches {
            counts.push(batch.fill(&mut x, &mut y).unwrap());
        }
        assert_eq!(counts, [3, 3, 1]);
        // Last batch: sample 0 then two zero-padded columns.
        assert_eq!(x, SMatrix::<f32, 2, 3>::zeros());
        assert_eq!(y, [0, 0, 0]);
        let (mut x, mut y) = (SMatrix::<f32, 2, 3>::zeros(), [0usize; 3]);
        assert_eq!(d.fill_batch(&[6, 1], &mut x, &mut y).unwrap(), 2);
        assert_eq!(x, SMatrix::<f32, 2, 3>::new(6.0, 1.0, 0.0, 60.0, 10.0, 0.0));
        assert_eq!(y, [0, 1, 0]);
    }

    #[test]
    fn one_hot_and_value_targets() {
        let d = seven();
        let (mut x, mut y) = (
            SMatrix::<f32, 2, 4>::zeros(),
            SMatrix::<f32, 3, 4>::repeat(5.0),
        );
        d.fill_batch(&[2, 4], &mut x, &mut y).unwrap();
        let want = SMatrix::<f32, 3, 4>::from_column_slice(&[
            0., 0., 1., 0., 1., 0., 0., 0., 0., 0., 0., 0.,
        ]);
        assert_eq!(y, want);
        let r = Dataset::<f64, Flat<1>>::regression(&[[1.0], [2.0]], &[[0.5, -0.5], [1.5, -1.5]])
            .unwrap();
        let (mut x, mut y) = (SMatrix::<f64, 1, 2>::zeros(), SMatrix::<f64, 2, 2>::zeros());
        assert_eq!(r.fill_batch(&[1], &mut x, &mut y).unwrap(), 1);
        assert_eq!(y, SMatrix::<f64, 2, 2>::new(1.5, 0.0, -1.5, 0.0));
    }

    #[test]
    fn errors_leave_the_batch_untouched() {
        let d = seven();
        let (mut x, mut y) = (SMatrix::<f32, 2, 2>::repeat(7.0), [7usize; 2]);
        let err = d.fill_batch(&[0, 1, 2], &mut x, &mut y).unwrap_err();
        assert_eq!(
            err.to_string(),
            "3 sample indices do not fit in a batch of 2"
        );
        let err = d.fill_batch(&[0, 7], &mut x, &mut y).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample index 7 is out of range for 7 samples"
        );
        let mut wide = SMatrix::<f32, 4, 2>::zeros();
        let err = d.fill_batch(&[0], &mut x, &mut wide).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the targets are 3 wide but the target matrix has 4 rows"
        );
        assert_eq!((x, y), (SMatrix::repeat(7.0), [7; 2]));
        let r = Dataset::<f32, Flat<2>>::regression(&[[1.0, 2.0]], &[[1.0]]).unwrap();
        let err = r.fill_batch(&[0], &mut x, &mut y).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a batch of class labels needs class labels, but the targets are real values"
        );
    }

    #[test]
    fn features_only_and_empty_order() {
        let d = seven();
        let mut x = SMatrix::<f32, 2, 4>::repeat(1.0);
        assert_eq!(d.fill_features(&[3], &mut x).unwrap(), 1);
        assert_eq!(x.column(0).as_slice(), [3.0, 30.0]);
        assert_eq!(x.columns(1, 3).sum(), 0.0);
        assert_eq!(d.batches::<4>(&[]).count(), 0);
    }
}
