//! Metrics with Keras' names and semantics, as streaming accumulators.
//!
//! A [`Metric`] is what a user asks for; [`MetricState`] accumulates it over the batches of an
//! epoch, each batch contributing its first `n` (real) samples only, so a partial last batch
//! counts exactly its samples. Every metric is a mean over samples of a per-sample value:
//!
//! | metric | per sample (output `y`, target `t`, `N` outputs) |
//! | --- | --- |
//! | `binary_accuracy` | `(1/N)·Σᵢ [(yᵢ > 0.5) = (tᵢ > 0.5)]` |
//! | `categorical_accuracy` | `[argmax y = argmax t]` |
//! | `sparse_categorical_accuracy` | `[argmax y = label]` |
//! | `mean_absolute_error` | `(1/N)·Σᵢ |yᵢ - tᵢ|` |
//! | `mean_squared_error` | `(1/N)·Σᵢ (yᵢ - tᵢ)²` |
//!
//! `argmax` takes the first of equal maxima, as numpy does. [`Metric::Accuracy`] is Keras'
//! `"accuracy"`: resolved from the loss ([`ResolveAccuracy`]) and logged as `accuracy`.
//!
//! ```
//! use liandan::metrics::{Metric, MetricState};
//! use nalgebra::SMatrix;
//!
//! let y = SMatrix::<f32, 3, 4>::from_column_slice(&[
//!     0.7, 0.2, 0.1, // argmax 0
//!     0.1, 0.8, 0.1, // argmax 1
//!     0.3, 0.3, 0.4, // argmax 2
//!     9.0, 9.0, 9.0, // padding: not a sample
//! ]);
//! let mut acc = MetricState::new("accuracy", Metric::SparseCategoricalAccuracy);
//! acc.update(&y, &[0, 2, 2, 0], 3);
//! assert_eq!(acc.result(), 2.0 / 3.0);
//! ```

#[cfg(feature = "alloc")]
mod confusion;

#[cfg(feature = "alloc")]
pub use confusion::ConfusionMatrix;

use nalgebra::SMatrix;

use crate::loss::{
    BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use crate::shape::Buffer;
use crate::Float;

/// A metric to report during training and evaluation, by its Keras name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Metric {
    /// Keras' `"accuracy"`: binary, categorical or sparse categorical, chosen by the loss.
    Accuracy,
    /// Each output thresholded at 0.5 against its target (for sigmoid outputs).
    BinaryAccuracy,
    /// The arg-max of the output against the arg-max of a one-hot target.
    CategoricalAccuracy,
    /// The arg-max of the output against a class index.
    SparseCategoricalAccuracy,
    /// The mean absolute difference between outputs and targets.
    MeanAbsoluteError,
    /// The mean squared difference between outputs and targets.
    MeanSquaredError,
}

impl Metric {
    /// The Keras name, the key in logs and histories: `accuracy`, `mean_absolute_error`, ...
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BinaryAccuracy => "binary_accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::MeanAbsoluteError => "mean_absolute_error",
            Metric::MeanSquaredError => "mean_squared_error",
        }
    }

    /// The metric actually computed: [`Metric::Accuracy`] resolved for the loss `L` with
    /// `outputs` outputs; any other metric is itself.
    pub fn resolve<L: ResolveAccuracy>(self, outputs: usize) -> Metric {
        match self {
            Metric::Accuracy => L::accuracy(outputs),
            other => other,
        }
    }
}

/// Which accuracy Keras' `"accuracy"` means for a loss.
///
/// Keras 2 chose it from the loss, and so does liandan: binary (threshold 0.5) for binary
/// cross-entropy, categorical for categorical cross-entropy, sparse categorical for the sparse
/// one. For the regression losses, Keras 3's rule by shape: binary for one output, else
/// categorical.
pub trait ResolveAccuracy {
    /// The accuracy metric for a network with `outputs` outputs.
    fn accuracy(outputs: usize) -> Metric {
        if outputs == 1 {
            Metric::BinaryAccuracy
        } else {
            Metric::CategoricalAccuracy
        }
    }
}

impl ResolveAccuracy for BinaryCrossentropy {
    fn accuracy(_: usize) -> Metric {
        Metric::BinaryAccuracy
    }
}

impl ResolveAccuracy for CategoricalCrossentropy {
    fn accuracy(_: usize) -> Metric {
        Metric::CategoricalAccuracy
    }
}

impl ResolveAccuracy for SparseCategoricalCrossentropy {
    fn accuracy(_: usize) -> Metric {
        Metric::SparseCategoricalAccuracy
    }
}

impl ResolveAccuracy for MeanSquaredError {}
impl ResolveAccuracy for MeanAbsoluteError {}

/// One sample's target as a metric reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target<'a, T> {
    /// A class index (read as its one-hot vector where values are needed).
    Class(usize),
    /// One value per output: one-hot, soft or real-valued.
    Values(&'a [T]),
}

impl<T: Float> Target<'_, T> {
    /// Target value `i` of `outputs`: a class `k` is one-hot, except that with a single output
    /// it is the value `k` itself (a 0/1 label for a sigmoid).
    fn value(&self, i: usize, outputs: usize) -> f64 {
        match *self {
            Target::Class(k) if outputs == 1 => k as f64,
            Target::Class(k) => f64::from(u8::from(i == k)),
            Target::Values(v) => v.get(i).map_or(0.0, |t| t.to_f64()),
        }
    }

    /// The class: the label, or the arg-max of the values.
    fn class(&self) -> Option<usize> {
        match *self {
            Target::Class(k) => Some(k),
            Target::Values(v) => argmax(v),
        }
    }
}

/// The targets of a batch, sample by sample: class indices or a matrix of values.
pub trait BatchTarget<T> {
    /// The target of sample `j` of the batch.
    fn target(&self, j: usize) -> Target<'_, T>;
}

impl<T, const B: usize> BatchTarget<T> for [usize; B] {
    fn target(&self, j: usize) -> Target<'_, T> {
        Target::Class(self[j])
    }
}

impl<T: Float, const O: usize, const B: usize> BatchTarget<T> for SMatrix<T, O, B> {
    fn target(&self, j: usize) -> Target<'_, T> {
        Target::Values(&self.as_slice()[j * O..(j + 1) * O])
    }
}

/// The index of the first largest value, skipping NaN; `None` if there is no number.
pub fn argmax<T: Float>(values: &[T]) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, &v) in values.iter().enumerate() {
        // `v == v` is false only for NaN, which must never count as a prediction.
        #[allow(clippy::eq_op)]
        let number = v == v;
        if number && best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// The classes `outputs` outputs stand for: one output is a yes/no probability, so two
/// classes, 0 and 1 (Keras takes integer labels 0 and 1 for a one-unit sigmoid); more outputs
/// are one class each.
pub const fn classes_of(outputs: usize) -> usize {
    if outputs == 1 {
        2
    } else {
        outputs
    }
}

/// The class an output predicts: for one output, whether it exceeds 0.5 (binary accuracy's
/// threshold); for more, their [`argmax`]. `None` if the output is no number.
pub fn predicted_class<T: Float>(output: &[T]) -> Option<usize> {
    match output {
        [p] if p.finite() => Some(usize::from(p.to_f64() > 0.5)),
        [_] => None,
        more => argmax(more),
    }
}

/// A metric's running mean over the samples seen since the last [`reset`](Self::reset).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricState {
    name: &'static str,
    metric: Metric,
    total: f64,
    count: usize,
}

impl MetricState {
    /// An empty accumulator computing `metric` (already resolved) and logged as `name`.
    pub fn new(name: &'static str, metric: Metric) -> Self {
        MetricState {
            name,
            metric,
            total: 0.0,
            count: 0,
        }
    }

    /// The key in logs and histories.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Adds the first `n` samples of a batch: outputs `y` and their targets.
    pub fn update<T: Float, Y: Buffer<T>>(
        &mut self,
        y: &Y,
        targets: &impl BatchTarget<T>,
        n: usize,
    ) {
        let n = n.min(Y::SAMPLES);
        let columns = y.as_slice().chunks_exact(Y::SAMPLE.max(1));
        for (j, column) in columns.take(n).enumerate() {
            self.total += per_sample(self.metric, column, targets.target(j));
        }
        self.count += n;
    }

    /// The mean over the samples seen, or 0 before any.
    pub fn result(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total / self.count as f64
        }
    }

    /// How many samples have been added.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Forgets every sample, for a new epoch.
    pub fn reset(&mut self) {
        self.total = 0.0;
        self.count = 0;
    }
}

/// The metric's value for one sample; see the table in the module documentation.
fn per_sample<T: Float>(metric: Metric, y: &[T], t: Target<'_, T>) -> f64 {
    let outputs = y.len();
    let mean_over_outputs = |f: &dyn Fn(f64, f64) -> f64| {
        let sum: f64 = (0..outputs)
            .map(|i| f(y[i].to_f64(), t.value(i, outputs)))
            .sum();
        sum / outputs.max(1) as f64
    };
    match metric {
        Metric::BinaryAccuracy => {
            mean_over_outputs(&|y, t| f64::from(u8::from((y > 0.5) == (t > 0.5))))
        }
        Metric::MeanAbsoluteError => mean_over_outputs(&|y, t| (y - t).abs()),
        Metric::MeanSquaredError => mean_over_outputs(&|y, t| (y - t) * (y - t)),
        // `Accuracy` unresolved reads as categorical, which also serves class indices.
        Metric::Accuracy | Metric::CategoricalAccuracy | Metric::SparseCategoricalAccuracy => {
            let hit = argmax(y).is_some() && argmax(y) == t.class();
            f64::from(u8::from(hit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(metric: Metric) -> MetricState {
        MetricState::new(metric.name(), metric)
    }

    #[test]
    fn keras_resolves_accuracy_from_the_loss() {
        let acc = Metric::Accuracy;
        assert_eq!(acc.resolve::<BinaryCrossentropy>(3), Metric::BinaryAccuracy);
        assert_eq!(
            acc.resolve::<CategoricalCrossentropy>(3),
            Metric::CategoricalAccuracy
        );
        assert_eq!(
            acc.resolve::<SparseCategoricalCrossentropy>(10),
            Metric::SparseCategoricalAccuracy
        );
        assert_eq!(acc.resolve::<MeanSquaredError>(1), Metric::BinaryAccuracy);
        assert_eq!(
            acc.resolve::<MeanAbsoluteError>(4),
            Metric::CategoricalAccuracy
        );
        assert_eq!(
            Metric::MeanSquaredError.resolve::<BinaryCrossentropy>(1),
            Metric::MeanSquaredError
        );
    }

    #[test]
    fn binary_accuracy_thresholds_at_one_half_per_output() {
        // Two samples of two outputs: 2 of 2 right, then 1 of 2 right.
        let y = SMatrix::<f64, 2, 2>::from_column_slice(&[0.9, 0.2, 0.6, 0.51]);
        let t = SMatrix::<f64, 2, 2>::from_column_slice(&[1.0, 0.0, 0.0, 1.0]);
        let mut m = state(Metric::BinaryAccuracy);
        m.update(&y, &t, 2);
        assert_eq!(m.result(), 0.75);
        // Exactly 0.5 is not above the threshold, as in Keras.
        let mut m = state(Metric::BinaryAccuracy);
        m.update(&SMatrix::<f64, 1, 1>::new(0.5), &[1usize], 1);
        assert_eq!(m.result(), 0.0);
    }

    #[test]
    fn categorical_accuracy_compares_argmaxes() {
        let y = SMatrix::<f32, 3, 2>::from_column_slice(&[0.1, 0.5, 0.4, 0.3, 0.3, 0.4]);
        let t = SMatrix::<f32, 3, 2>::from_column_slice(&[0., 1., 0., 1., 0., 0.]);
        let mut m = state(Metric::CategoricalAccuracy);
        m.update(&y, &t, 2);
        assert_eq!((m.result(), m.count()), (0.5, 2));
    }

    #[test]
    fn errors_average_over_outputs_then_samples_and_skip_padding() {
        let y = SMatrix::<f64, 2, 3>::from_column_slice(&[1.0, 2.0, 0.0, 0.0, 7.0, 7.0]);
        let t = SMatrix::<f64, 2, 3>::from_column_slice(&[0.0, 0.0, 1.0, 3.0, 0.0, 0.0]);
        let mut mae = state(Metric::MeanAbsoluteError);
        let mut mse = state(Metric::MeanSquaredError);
        mae.update(&y, &t, 2);
        mse.update(&y, &t, 2);
        assert_eq!(mae.result(), (1.5 + 2.0) / 2.0);
        assert_eq!(mse.result(), (2.5 + 5.0) / 2.0);
        // Streaming: a second batch adds to the same mean; reset forgets.
        mae.update(&y, &t, 1);
        assert_eq!(mae.result(), (1.5 + 2.0 + 1.5) / 3.0);
        mae.reset();
        assert_eq!((mae.result(), mae.count()), (0.0, 0));
    }

    #[test]
    fn one_output_is_two_classes() {
        assert_eq!((classes_of(1), classes_of(2), classes_of(10)), (2, 2, 10));
        assert_eq!(predicted_class(&[0.7f32]), Some(1));
        assert_eq!(predicted_class(&[0.5f32]), Some(0));
        assert_eq!(predicted_class(&[f32::NAN]), None);
        assert_eq!(predicted_class(&[0.2f32, 0.7, 0.1]), Some(1));
    }

    #[test]
    fn argmax_takes_the_first_maximum_and_ignores_nan() {
        assert_eq!(argmax(&[1.0f32, 3.0, 3.0]), Some(1));
        assert_eq!(argmax(&[f32::NAN, 2.0, 1.0]), Some(1));
        assert_eq!(argmax(&[f32::NAN]), None);
        assert_eq!(argmax::<f32>(&[]), None);
    }
}
