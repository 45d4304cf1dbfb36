//! Optimizer state for resuming training, in a file of its own beside the weights.
//!
//! Each slot (Adam's `m` and `v`, SGD's `velocity`) is shaped like the parameters, so its
//! tensors are named like them under `optimizer.{slot}.`: `optimizer.m.dense_1.kernel`. Adam's
//! step count is the `U64` scalar `optimizer.step` (shape `[]`), and `liandan.optimizer` in the
//! metadata names the optimizer.

use std::format;
use std::path::Path;
use std::string::ToString;
use std::vec::Vec;

use safetensors::Dtype;

use crate::io::file::{self, File, Tensor};
use crate::io::names::{specs, Spec};
use crate::io::params::{checked, file_tensor};
use crate::io::scalar::scalar_name;
use crate::io::{check, LoadOptions, WeightsError, WeightsErrorKind, OPTIMIZER_KEY, SCALAR_KEY};
use crate::optim::{AdamState, SgdState};
use crate::{Float, Params};

/// The name of the step-count tensor.
const STEP: &str = "optimizer.step";

/// An optimizer's per-parameter state, as slots shaped like the parameters and an optional
/// step count: what a weight file needs to save and restore it.
pub trait OptimizerState<T: Float> {
    /// The optimizer's name in the file (`"adam"`).
    const OPTIMIZER: &'static str;
    /// The slots' names (`["m", "v"]`).
    const SLOTS: &'static [&'static str];
    /// The slots whose values are never negative (Adam's `v`, a mean of squared gradients): a
    /// file with a negative value in one is refused.
    const NON_NEGATIVE: &'static [&'static str] = &[];
    /// The type of each slot, listing the parameters' tensors.
    type Slot: Params<T>;

    /// Slot `k`, for `k < SLOTS.len()`.
    fn slot(&self, k: usize) -> &Self::Slot;
    /// Slot `k` mutably, for `k < SLOTS.len()`.
    fn slot_mut(&mut self, k: usize) -> &mut Self::Slot;
    /// The number of updates applied, if the optimizer counts them.
    fn step(&self) -> Option<u64> {
        None
    }
    /// Restores the number of updates applied; called only if [`step`](Self::step) is `Some`.
    fn set_step(&mut self, step: u64) {
        let _ = step;
    }
}

impl<T: Float, G: Params<T>> OptimizerState<T> for AdamState<G> {
    const OPTIMIZER: &'static str = "adam";
    const SLOTS: &'static [&'static str] = &["m", "v"];
    const NON_NEGATIVE: &'static [&'static str] = &["v"];
    type Slot = G;

    fn slot(&self, k: usize) -> &G {
        if k == 0 {
            &self.m
        } else {
            &self.v
        }
    }
    fn slot_mut(&mut self, k: usize) -> &mut G {
        if k == 0 {
            &mut self.m
        } else {
            &mut self.v
        }
    }
    fn step(&self) -> Option<u64> {
        Some(self.step)
    }
    fn set_step(&mut self, step: u64) {
        self.step = step;
    }
}

impl<T: Float, G: Params<T>> OptimizerState<T> for SgdState<G> {
    const OPTIMIZER: &'static str = "sgd";
    const SLOTS: &'static [&'static str] = &["velocity"];
    type Slot = G;

    fn slot(&self, _: usize) -> &G {
        &self.velocity
    }
    fn slot_mut(&mut self, _: usize) -> &mut G {
        &mut self.velocity
    }
}

/// Writes `state` to `path`: every slot's tensors, the step count, and the optimizer's name.
pub fn save_optimizer_state<T: Float, S: OptimizerState<T>>(
    state: &S,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = encode_state(state).map_err(|e| WeightsError::from(e).at(path))?;
    file::write(path, &bytes)
}

/// Reads `state` from `path`, strictly: the same optimizer, element type and shapes, every
/// tensor present and none extra, every value finite, Adam's `v` never negative, and a step
/// count below `u64::MAX` (the next update counts one more). On error `state` is unchanged.
///
/// So an update from a state that loaded never makes a parameter NaN.
pub fn load_optimizer_state<T: Float, S: OptimizerState<T>>(
    state: &mut S,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    load_optimizer_state_with(state, path, &LoadOptions::default())
}

/// [`load_optimizer_state`] with [`LoadOptions`]: an element-type conversion, or NaN and
/// infinite values kept (the state of a run that diverged, to inspect it). On error `state` is
/// unchanged.
pub fn load_optimizer_state_with<T: Float, S: OptimizerState<T>>(
    state: &mut S,
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    // Every slot's values, and the step count's 8 bytes.
    let values = S::SLOTS.len().saturating_mul(S::Slot::PARAMS);
    let contents = file::read(path, file::max_data(values).saturating_add(8))?;
    File::read(&contents)
        .and_then(|file| decode_state(state, &file, options))
        .map_err(|e| WeightsError::from(e).at(path))
}

/// The specs of every slot's tensors, slot after slot, named `optimizer.{slot}.{tensor}`.
fn slot_specs<T: Float, S: OptimizerState<T>>() -> Result<Vec<Spec>, WeightsErrorKind> {
    let params = specs::<T, S::Slot>()?;
    let all = S::SLOTS.iter().flat_map(|slot| {
        let prefix = format!("optimizer.{slot}");
        params.iter().map(move |spec| spec.prefixed(&prefix))
    });
    Ok(all.collect())
}

/// The file bytes of `state`.
fn encode_state<T: Float, S: OptimizerState<T>>(state: &S) -> Result<Vec<u8>, WeightsErrorKind> {
    let specs = slot_specs::<T, S>()?;
    let data = (0..S::SLOTS.len()).flat_map(|k| {
        let slot = state.slot(k);
        (0..S::Slot::TENSORS).map(move |i| slot.tensor(i))
    });
    let mut tensors: Vec<_> = specs
        .iter()
        .zip(data)
        .map(|(s, d)| file_tensor(s, d))
        .collect();
    if let Some(step) = state.step() {
        tensors.push((STEP.to_string(), step_tensor(step)));
    }
    let metadata = [
        (SCALAR_KEY, scalar_name::<T>().to_string()),
        (OPTIMIZER_KEY, S::OPTIMIZER.to_string()),
    ];
    file::encode(tensors, &metadata)
}

/// The step count as a `U64` scalar.
fn step_tensor(step: u64) -> Tensor {
    Tensor {
        dtype: Dtype::U64,
        shape: Vec::new(),
        bytes: step.to_le_bytes().to_vec(),
    }
}

/// Checks the whole file against `S`, then copies every slot and the step.
fn decode_state<T: Float, S: OptimizerState<T>>(
    state: &mut S,
    file: &File<'_>,
    options: &LoadOptions,
) -> Result<(), WeightsErrorKind> {
    check::metadata(file, OPTIMIZER_KEY, S::OPTIMIZER, |file| {
        WeightsErrorKind::Optimizer {
            file,
            expected: S::OPTIMIZER,
        }
    })?;
    let specs = slot_specs::<T, S>()?;
    let step_name: &[&str] = if state.step().is_some() { &[STEP] } else { &[] };
    let sources = checked::<T>(file, &specs, options, step_name)?;
    file.complete()?;
    let step = step_name.first().map(|_| read_step(file)).transpose()?;
    let per_slot = S::Slot::TENSORS;
    for (j, (src, spec)) in sources.iter().zip(&specs).enumerate() {
        let non_negative = S::NON_NEGATIVE.contains(&S::SLOTS[j / per_slot]);
        check::values::<T>(src, spec, options, non_negative)?;
    }
    for (j, (src, spec)) in sources.iter().zip(&specs).enumerate() {
        let out = state.slot_mut(j / per_slot).tensor_mut(j % per_slot);
        check::copy(src, spec, options.layout, out);
    }
    if let Some(step) = step {
        state.set_step(step);
    }
    Ok(())
}

/// The `optimizer.step` scalar, checked for presence, type, shape and range: below `u64::MAX`,
/// so that the next update's count `step + 1` fits.
fn read_step(file: &File<'_>) -> Result<u64, WeightsErrorKind> {
    let found = file
        .tensor(STEP)
        .ok_or_else(|| WeightsErrorKind::Missing(STEP.to_string()))?;
    if found.dtype != Dtype::U64 {
        return Err(WeightsErrorKind::Dtype {
            tensor: STEP.to_string(),
            file: found.dtype.to_string(),
            expected: "U64",
        });
    }
    if !found.shape.is_empty() {
        return Err(WeightsErrorKind::Shape {
            tensor: STEP.to_string(),
            file: found.shape.to_vec(),
            expected: Vec::new(),
        });
    }
    let mut le = [0; 8];
    le.copy_from_slice(found.bytes);
    match u64::from_le_bytes(le) {
        u64::MAX => Err(WeightsErrorKind::StepOutOfRange { step: u64::MAX }),
        step => Ok(step),
    }
}
