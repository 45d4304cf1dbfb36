//! The error type of the core: what went wrong and where, never a panic.

use core::fmt;

/// An error from the core: a bad target or batch, or a loss that is not finite.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A class index at or above the number of classes.
    LabelOutOfRange {
        /// The sample's position in its batch.
        sample: usize,
        /// The label found.
        label: usize,
        /// The number of classes the network outputs.
        classes: usize,
    },
    /// More real samples claimed than the batch holds.
    BatchSize {
        /// The number of samples claimed.
        samples: usize,
        /// The batch size `B`.
        batch: usize,
    },
    /// A loss that is NaN or infinite.
    NonFiniteLoss,
    /// Values that do not split into whole samples.
    PartialSample {
        /// The number of values given.
        values: usize,
        /// The values of one sample.
        sample: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LabelOutOfRange { sample, label, classes } => write!(
                f,
                "label {label} of sample {sample} in the batch is out of range for {classes} classes"
            ),
            Error::BatchSize { samples, batch } => {
                write!(f, "{samples} samples do not fit in a batch of {batch}")
            }
            Error::NonFiniteLoss => write!(f, "the loss is not finite (NaN or infinity)"),
            Error::PartialSample { values, sample } => write!(
                f,
                "{values} values are not a whole number of samples of {sample} values"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
