//! The error of `fit`, `evaluate` and `predict`: what went wrong and where (which data, which
//! sample, which epoch and step). Never a panic on bad data.

use core::fmt;
use std::string::String;
use std::vec::Vec;

use crate::data::DataError;
use crate::Error;

/// An error from training, evaluating or predicting.
#[derive(Debug)]
#[non_exhaustive]
pub enum TrainError {
    /// The data could not be batched: targets of the wrong width or kind, a bad split.
    Data {
        /// Which data: `"training data"`, `"validation data"`, ...
        part: &'static str,
        /// What the data layer said.
        source: DataError,
    },
    /// A feature or target value that is NaN or infinite, found before training.
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
    LabelOutOfRange {
        /// Which data.
        part: &'static str,
        /// The sample's index in that data.
        sample: usize,
        /// The label found.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// Data without a single sample where samples are needed.
    Empty {
        /// Which data.
        part: &'static str,
    },
    /// The training loss became NaN or infinite (Keras' `TerminateOnNaN`); the step that saw it
    /// did not update the network.
    NonFiniteLoss {
        /// The epoch, from 1.
        epoch: usize,
        /// The step within the epoch, from 1.
        step: usize,
        /// The steps in an epoch.
        steps: usize,
    },
    /// A callback monitors a log entry that the logs do not have.
    UnknownMonitor {
        /// The entry asked for, e.g. `"val_loss"`.
        monitor: String,
        /// The entries the logs have.
        available: Vec<String>,
    },
    /// Any other error of the core.
    Core(Error),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TrainError::*;
        match self {
            Data { part, source } => write!(f, "{part}: {source}"),
            NotFinite { part, sample, what, index } => {
                write!(f, "{part}: sample {sample}: {what} {index} is not finite (NaN or infinity)")
            }
            LabelOutOfRange { part, sample, label, classes } => write!(
                f,
                "{part}: sample {sample}: label {label} is out of range for the network's {classes} classes"
            ),
            Empty { part } => write!(f, "{part} has no samples"),
            NonFiniteLoss { epoch, step, steps } => write!(
                f,
                "epoch {epoch}, step {step}/{steps}: the loss is not finite (NaN or infinity); training stopped before this step's update"
            ),
            UnknownMonitor { monitor, available } => write!(
                f,
                "cannot monitor `{monitor}`: the logs have {}",
                available.join(", ")
            ),
            Core(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Data { source, .. } => Some(source),
            TrainError::Core(e) => Some(e),
            _ => None,
        }
    }
}
