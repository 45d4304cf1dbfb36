//! The error type of the core: what went wrong and where, never a panic; and the one error of
//! a class label out of range, wherever labels are checked.

/// A class label at or above the number of classes.
///
/// The one error for this fact: a loss's targets ([`Error::Label`]), a dataset
/// ([`DataErrorKind::Label`](crate::data::DataErrorKind::Label)), training data
/// ([`TrainError::Label`](crate::train::TrainError::Label)) and a
/// [`ConfusionMatrix`](crate::metrics::ConfusionMatrix) each report it, with where it is.
///
/// ```
/// use liandan::LabelOutOfRange;
///
/// assert_eq!(LabelOutOfRange::check(2, 3), Ok(2));
/// let err = LabelOutOfRange::check(3, 3).unwrap_err();
/// assert_eq!(err, LabelOutOfRange { label: 3, classes: 3 });
/// assert_eq!(err.to_string(), "label 3 is out of range for 3 classes");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("label {label} is out of range for {classes} classes")]
pub struct LabelOutOfRange {
    /// The label found.
    pub label: usize,
    /// The number of classes.
    pub classes: usize,
}

impl LabelOutOfRange {
    /// `label`, if it is one of `classes` classes (below `classes`); else the error.
    pub fn check(label: usize, classes: usize) -> Result<usize, LabelOutOfRange> {
        if label < classes {
            Ok(label)
        } else {
            Err(LabelOutOfRange { label, classes })
        }
    }

    /// The first of `labels` out of range for `classes` classes: its index and the error.
    pub(crate) fn first(labels: &[usize], classes: usize) -> Option<(usize, LabelOutOfRange)> {
        labels
            .iter()
            .enumerate()
            .find_map(|(i, &label)| Some((i, Self::check(label, classes).err()?)))
    }
}

/// A [`TensorInfo`](crate::TensorInfo) that cannot describe a tensor in a file
/// ([`TensorInfo::check`](crate::TensorInfo::check)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TensorInfoError {
    /// More axes than a tensor description has (safetensors and PyTorch orders go up to 8).
    #[error("a tensor of {rank} axes; at most {max} are described")]
    Rank {
        /// The number of axes of the shape.
        rank: usize,
        /// The most there may be, [`TensorInfo::MAX_RANK`](crate::TensorInfo::MAX_RANK).
        max: usize,
    },
    /// A PyTorch order that is not each Keras axis exactly once.
    #[error("PyTorch's axis order is not a permutation of the {rank} axes")]
    Torch {
        /// The number of axes of the shape.
        rank: usize,
    },
}

/// An error from the core: a bad target or batch, or a loss that is not finite.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A target's class label at or above the number of classes the network outputs.
    #[error("sample {sample} of the batch: {source}")]
    Label {
        /// The sample's position in its batch.
        sample: usize,
        /// The label and the number of classes.
        source: LabelOutOfRange,
    },
    /// More real samples claimed than the batch holds.
    #[error("{samples} samples do not fit in a batch of {batch}")]
    BatchSize {
        /// The number of samples claimed.
        samples: usize,
        /// The batch size `B`.
        batch: usize,
    },
    /// A loss that is NaN or infinite.
    #[error("the loss is not finite (NaN or infinity)")]
    NonFiniteLoss,
    /// A slice of another length than the batch it fills
    /// ([`Buffer::try_from_slice`](crate::shape::Buffer::try_from_slice)).
    #[error("{given} values given for a batch of {holds}")]
    Length {
        /// The number of values given.
        given: usize,
        /// The values the batch holds.
        holds: usize,
    },
    /// No samples where statistics need at least one
    /// ([`Normalization::adapt`](crate::layers::Normalization::adapt) of an empty slice).
    #[error("no samples: statistics need at least one sample of {sample} values")]
    NoSamples {
        /// The values of one sample.
        sample: usize,
    },
    /// Values that do not split into whole samples.
    #[error("{values} values are not a whole number of samples of {sample} values")]
    PartialSample {
        /// The number of values given.
        values: usize,
        /// The values of one sample.
        sample: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn a_label_out_of_range_in_a_batch_names_its_sample() {
        let source = LabelOutOfRange {
            label: 3,
            classes: 3,
        };
        let err = Error::Label { sample: 1, source };
        let text = "sample 1 of the batch: label 3 is out of range for 3 classes";
        assert_eq!(err.to_string(), text);
        let cause = core::error::Error::source(&err).expect("the label is the cause");
        assert_eq!(cause.downcast_ref::<LabelOutOfRange>(), Some(&source));
    }

    #[test]
    fn first_finds_the_first_label_out_of_range() {
        let bad = LabelOutOfRange {
            label: 7,
            classes: 3,
        };
        assert_eq!(LabelOutOfRange::first(&[0, 2, 7, 9], 3), Some((2, bad)));
        assert_eq!(LabelOutOfRange::first(&[0, 2, 1], 3), None);
        assert_eq!(LabelOutOfRange::first(&[], 0), None);
    }
}
