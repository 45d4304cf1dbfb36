//! The error of `fit`, `evaluate` and `predict`: what went wrong and where (which data, which
//! sample, which epoch and step). Never a panic on bad data.

use std::string::String;
use std::vec::Vec;

use crate::data::DataError;
use crate::{Error, LabelOutOfRange};

/// An error from training, evaluating or predicting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The data could not be batched: targets of the wrong width or kind, a bad split.
    #[error("{part}: {source}")]
    Data {
        /// Which data: `"training data"`, `"validation data"`, ...
        part: &'static str,
        /// What the data layer said.
        source: DataError,
    },
    /// A feature or target value that is NaN or infinite, found before training.
    #[error("{part}: sample {sample}: {what} {index} is not finite (NaN or infinity)")]
    NotFinite {
        /// Which data.
        part: &'static str,
        /// The sample's index in that data.
        sample: usize,
        /// `"feature"` or `"target"`.
        what: &'static str,
        /// The index of the value within the sample's features or target.
        index: usize,
    },
    /// A class label at or above the number of classes the network's outputs stand for (one
    /// per output; two, 0 and 1, for a single yes/no output).
    #[error("{part}: sample {sample}: {source}")]
    Label {
        /// Which data.
        part: &'static str,
        /// The sample's index in that data.
        sample: usize,
        /// The label and the number of classes.
        source: LabelOutOfRange,
    },
    /// Data without a single sample where samples are needed.
    #[error("{part} has no samples")]
    Empty {
        /// Which data.
        part: &'static str,
    },
    /// The training loss became NaN or infinite (Keras' `TerminateOnNaN`); the step that saw it
    /// did not update the network.
    #[error(
        "epoch {epoch}, step {step}/{steps}: the loss is not finite (NaN or infinity); \
         training stopped before this step's update"
    )]
    NonFiniteLoss {
        /// The epoch, from 1.
        epoch: usize,
        /// The step within the epoch, from 1.
        step: usize,
        /// The steps in an epoch.
        steps: usize,
    },
    /// A callback monitors a log entry that the logs do not have.
    #[error("cannot monitor `{monitor}`: the logs have {}", .available.join(", "))]
    UnknownMonitor {
        /// The entry asked for, e.g. `"val_loss"`.
        monitor: String,
        /// The entries the logs have.
        available: Vec<String>,
    },
    /// Any other error of the core.
    #[error("{0}")]
    Core(#[source] Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn a_label_out_of_range_names_the_data_and_the_sample() {
        let source = LabelOutOfRange {
            label: 2,
            classes: 2,
        };
        let err = TrainError::Label {
            part: "training data",
            sample: 3,
            source,
        };
        let text = "training data: sample 3: label 2 is out of range for 2 classes";
        assert_eq!(err.to_string(), text);
        let cause = std::error::Error::source(&err).expect("the label is the cause");
        assert_eq!(cause.downcast_ref::<LabelOutOfRange>(), Some(&source));
    }

    #[test]
    fn a_core_error_is_the_cause_and_the_message() {
        let err = TrainError::Core(Error::NonFiniteLoss);
        assert_eq!(err.to_string(), "the loss is not finite (NaN or infinity)");
        let cause = std::error::Error::source(&err).and_then(|e| e.downcast_ref::<Error>());
        assert_eq!(cause, Some(&Error::NonFiniteLoss));
    }
}
