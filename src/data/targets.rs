//! What a model should output for each sample: a class label, or a vector of real values.

use std::vec::Vec;

use super::{DataError, DataErrorKind, Place};
use crate::Float;
use crate::LabelOutOfRange;

/// The targets of a dataset, one per sample.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets<T> {
    /// A class index per sample, each below `classes` (for a sparse cross-entropy, or accuracy).
    Classes {
        /// The class index of each sample.
        labels: Vec<usize>,
        /// How many classes there are.
        classes: usize,
    },
    /// `width` real values per sample, stored sample after sample (regression, or one-hot).
    Values {
        /// The values, `width` per sample.
        values: Vec<T>,
        /// How many values each sample has.
        width: usize,
    },
}

impl<T: Float> Targets<T> {
    /// Class labels, checked to lie below `classes`.
    pub fn classes(labels: Vec<usize>, classes: usize) -> Result<Self, DataError> {
        check_labels(&labels, classes)?;
        Ok(Targets::Classes { labels, classes })
    }

    /// Real values, `width` per sample, checked to split into whole targets.
    pub fn values(values: Vec<T>, width: usize) -> Result<Self, DataError> {
        check_width(values.len(), width)?;
        Ok(Targets::Values { values, width })
    }

    /// Checks targets however they were built (the variants' fields are public): labels below
    /// `classes`, values in whole targets of a width of at least 1.
    pub fn check(&self) -> Result<(), DataError> {
        match self {
            Targets::Classes { labels, classes } => check_labels(labels, *classes),
            Targets::Values { values, width } => check_width(values.len(), *width),
        }
    }

    /// How many samples these are the targets of.
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values { values, width } => values.len() / width,
        }
    }

    /// Whether there are no targets.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The width of one target as a network output: the number of classes, or of values.
    pub fn width(&self) -> usize {
        match self {
            Targets::Classes { classes, .. } => *classes,
            Targets::Values { width, .. } => *width,
        }
    }

    /// The class labels into one-hot rows: label `k` of `C` classes becomes `C` values, all 0
    /// but a 1 at `k` (for a categorical cross-entropy).
    pub fn one_hot(&self) -> Result<Self, DataError> {
        let Targets::Classes { labels, classes } = self else {
            return Err(DataErrorKind::NotClasses {
                operation: "one-hot encoding",
            }
            .into());
        };
        let mut values = std::vec![T::zero(); labels.len() * classes];
        for (row, &label) in values.chunks_exact_mut(*classes).zip(labels) {
            row[label] = T::one();
        }
        Ok(Targets::Values {
            values,
            width: *classes,
        })
    }

    /// How many samples each class has, or `None` for real-valued targets.
    pub fn class_counts(&self) -> Option<Vec<usize>> {
        let Targets::Classes { labels, classes } = self else {
            return None;
        };
        let mut counts = std::vec![0; *classes];
        labels.iter().for_each(|&label| counts[label] += 1);
        Some(counts)
    }

    /// The targets of the samples at `indices`, in that order (indices already checked).
    pub(crate) fn select(&self, indices: &[usize]) -> Self {
        match self {
            Targets::Classes { labels, classes } => Targets::Classes {
                labels: indices.iter().map(|&i| labels[i]).collect(),
                classes: *classes,
            },
            Targets::Values { values, width } => Targets::Values {
                values: indices
                    .iter()
                    .flat_map(|&i| &values[i * width..(i + 1) * width])
                    .copied()
                    .collect(),
                width: *width,
            },
        }
    }
}

/// Rule: `values` real values split into whole targets of `width`, at least 1.
fn check_width(values: usize, width: usize) -> Result<(), DataError> {
    if width == 0 || !values.is_multiple_of(width) {
        return Err(DataErrorKind::PartialTarget { values, width }.into());
    }
    Ok(())
}

/// Fails on the first label at or above `classes`, naming its sample.
pub(crate) fn check_labels(labels: &[usize], classes: usize) -> Result<(), DataError> {
    match LabelOutOfRange::first(labels, classes) {
        Some((sample, label)) => Err(DataErrorKind::Label(label).at(Place::sample(sample))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec;

    #[test]
    fn one_hot_rows() {
        let t = Targets::<f32>::classes(vec![2, 0], 3).unwrap();
        let want = Targets::Values {
            values: vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
            width: 3,
        };
        assert_eq!(t.one_hot().unwrap(), want);
        assert_eq!((t.len(), t.width()), (2, 3));
    }

    #[test]
    fn one_hot_of_values_is_an_error() {
        let t = Targets::<f32>::values(vec![1.0, 2.0], 1).unwrap();
        let err = t.one_hot().unwrap_err();
        assert_eq!(
            err.to_string(),
            "one-hot encoding needs class labels, but the targets are real values"
        );
    }

    #[test]
    fn label_out_of_range_names_the_sample() {
        let mut labels = vec![0; 50];
        labels[41] = 12;
        let err = Targets::<f32>::classes(labels, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample 41: label 12 is out of range for 10 classes"
        );
    }

    #[test]
    fn partial_targets() {
        let err = Targets::<f32>::values(vec![1.0; 5], 2).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::PartialTarget {
                values: 5,
                width: 2
            }
        ));
        assert!(Targets::<f32>::values(vec![], 0).is_err());
    }

    #[test]
    fn counts_classes() {
        let t = Targets::<f64>::classes(vec![1, 1, 0, 2, 1], 4).unwrap();
        assert_eq!(t.class_counts(), Some(vec![1, 3, 1, 0]));
    }
}
