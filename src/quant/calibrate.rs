//! Calibration: the range of every tensor an int8 network requantises, seen on representative
//! samples, and the int8 network those ranges and the float weights make (`std`).

use std::boxed::Box;
use std::path::Path;
use std::string::String;
use std::vec::Vec;

use super::{file, tensors, Int8Tensor, Quantize, Range};
use crate::data::Dataset;
use crate::io::{WeightsError, WeightsErrorKind};
use crate::layer::{In, Out};
use crate::shape::Buffer;
use crate::Zeroed;

/// The samples a calibration pass runs at once.
const BATCH: usize = 32;

/// What calibration saw: the range of the input and of each tensor that is requantised, in
/// the order of [`Quantize::observe`].
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// One range per observed tensor.
    pub ranges: Vec<Range>,
}

/// An error calibrating: no samples, or a non-finite value in a sample or an activation.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// The dataset is empty.
    #[error("calibration needs at least one sample")]
    Empty,
    /// A sample, or a layer's output for it, holds NaN or an infinity.
    #[error("tensor {tensor} of the calibration (0 is the input) is not finite on the samples")]
    NonFinite {
        /// The observed tensor's index: 0 for the input, then each requantising layer.
        tensor: usize,
    },
}

/// Runs `net` on every sample of `data` (dropout off) and records the range of the input and
/// of every tensor its int8 form requantises: TFLite's calibration, min and max per tensor.
pub fn calibrate<N: Quantize>(
    net: &N,
    data: &Dataset<f32, N::Input>,
) -> Result<Calibration, CalibrationError> {
    if data.is_empty() {
        return Err(CalibrationError::Empty);
    }
    let mut ranges = std::vec![Range::default(); N::OBSERVED];
    let mut x = <In<N, BATCH>>::boxed();
    let mut y = <Out<N, BATCH>>::boxed();
    let mut tape = <N::Tape<BATCH>>::boxed();
    let width = x.as_slice().len() / BATCH;
    for first in (0..data.len()).step_by(BATCH) {
        // The last batch is topped up with its own first sample, which widens nothing.
        for (j, sample) in x.as_mut_slice().chunks_exact_mut(width).enumerate() {
            let i = if first + j < data.len() {
                first + j
            } else {
                first
            };
            sample.copy_from_slice(data.sample(i));
        }
        net.forward_train(&x, &mut y, &mut tape, None);
        net.observe(&x, &y, &tape, &mut ranges);
    }
    let bad = ranges
        .iter()
        .position(|r| !(r.min.is_finite() && r.max.is_finite()));
    match bad {
        Some(tensor) => Err(CalibrationError::NonFinite { tensor }),
        None => Ok(Calibration { ranges }),
    }
}

impl Calibration {
    /// The int8 file of `net` quantised with these ranges: the tensors of
    /// [`Int8Network::TENSORS`](super::Int8Network::TENSORS), recording the architecture.
    pub fn to_bytes<N: Quantize>(&self, net: &N) -> Result<Vec<u8>, WeightsError> {
        if self.ranges.len() != N::OBSERVED {
            return Err(WeightsErrorKind::Missing(std::format!(
                "calibration range {} of {}",
                self.ranges.len(),
                N::OBSERVED
            ))
            .into());
        }
        let q: Vec<_> = self.ranges.iter().map(|r| r.quantization()).collect();
        let mut all: Vec<(String, Int8Tensor)> = Vec::new();
        all.extend(tensors::input(q[0]).map(|(n, t)| (n.into(), t)));
        let mut j = 0;
        net.int8_layers(&mut |field, layer| {
            let named = layer.int8_tensors(q[j], q[j + 1]);
            all.extend(
                named
                    .into_iter()
                    .map(|(n, t)| (std::format!("{field}.{n}"), t)),
            );
            j += 1;
        });
        file::encode(all, &crate::io::architecture::<N>())
    }

    /// `net` quantised with these ranges, as the int8 network its file loads into.
    pub fn quantize<N: Quantize>(&self, net: &N) -> Result<Box<N::Int8>, WeightsError> {
        file::from_bytes::<N::Int8>(&self.to_bytes(net)?)
    }

    /// Writes `net` quantised with these ranges to the int8 file `path`, which `network!`'s
    /// `weights:` compiles in.
    pub fn save<N: Quantize>(&self, net: &N, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let path = path.as_ref();
        crate::io::file::write(path, &self.to_bytes(net)?)
    }
}
