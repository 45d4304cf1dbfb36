//! Training like Keras (with the `std` feature): [`Model::compile`] a network with an
//! optimizer, a loss and metrics; [`fit`](Model::fit) it on a [`Dataset`] for some epochs with
//! validation, callbacks and progress, getting a [`History`]; [`evaluate`](Model::evaluate) and
//! [`predict`](Model::predict) on other data.
//!
//! The batch size `B` is a const generic (32 by default, as in Keras), so a whole step is
//! monomorphized; the last batch of an epoch holds the remaining samples and the loss, its
//! gradient and the metrics count those only. A `Model` allocates its batch buffers once, and
//! a training step allocates nothing.
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::data::Dataset;
//! use liandan::metrics::Metric;
//! use liandan::train::{FitOptions, Model, Verbosity};
//!
//! network! {
//!     struct Xor { input: [2], Dense<8, Tanh>, Dense<2, Softmax> }
//! }
//!
//! let xor = Dataset::<f32, Flat<2>>::classification(
//!     &[[0., 0.], [0., 1.], [1., 0.], [1., 1.]],
//!     &[0, 1, 1, 0],
//!     2,
//! )?;
//! let net = Xor::new_boxed(&mut liandan::rng::SplitMix64::new(1));
//! // The network, the loss and optimizer (inferred), and the batch size.
//! let mut model: Model<Xor, _, _, 4> = Model::compile(
//!     net,
//!     Adam::new(0.05),
//!     SparseCategoricalCrossentropy::default(),
//!     &[Metric::Accuracy],
//! );
//! let options = FitOptions::new(200).verbosity(Verbosity::Silent);
//! let history = model.fit(&xor, options)?;
//! assert_eq!(history.get("accuracy").unwrap().len(), 200);
//! assert_eq!(model.evaluate(&xor)?.get("accuracy"), Some(1.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod callbacks;
mod error;
mod evaluate;
mod fit;
mod fits;
mod history;
mod progress;

pub use callbacks::{
    Callback, Context, EarlyStopping, LearningRateScheduler, OnEpochEnd, Schedule, Weights,
};
pub use error::TrainError;
pub use fit::{FitOptions, Validation};
pub use fits::FitsNetwork;
pub use history::{History, Logs};
pub use progress::Verbosity;

use std::boxed::Box;
use std::vec::Vec;

use crate::data::{BatchTargets, Dataset};
use crate::layer::{In, Out};
use crate::loss::Loss;
use crate::metrics::{classes_of, BatchTarget, Metric, MetricState, ResolveAccuracy};
use crate::optim::Optimizer;
use crate::shape::{Buffer, Shape};
use crate::{Float, LabelOutOfRange, Network, Summary, Train, Trainer, Zeroed};

/// What a loss's batch targets must be for a [`Model`]: filled from a dataset, read by the
/// metrics, and allocated zeroed (`[usize; B]` and `SMatrix<T, O, B>` are).
pub trait TargetBuffer<T, const B: usize>: BatchTargets<T, B> + BatchTarget<T> + Zeroed
where
    T: Float,
{
}

impl<T: Float, const B: usize, X> TargetBuffer<T, B> for X where
    X: BatchTargets<T, B> + BatchTarget<T> + Zeroed
{
}

/// A network compiled with an optimizer, a loss and metrics, training on batches of `B`.
///
/// It owns the network and everything a step needs (a boxed [`Trainer`], the batch buffers),
/// all allocated once in [`compile`](Model::compile).
pub struct Model<N, L, Opt, const B: usize = 32>
where
    N: Network + Train,
    L: Loss<N::Element, Out<N, B>>,
    Opt: Optimizer<N::Element>,
{
    net: Box<N>,
    trainer: Box<Trainer<N, Opt, B>>,
    loss: L,
    metrics: Vec<MetricState>,
    x: Box<In<N, B>>,
    targets: Box<L::Targets>,
    output: Box<Out<N, B>>,
}

impl<N, L, Opt, const B: usize> Model<N, L, Opt, B>
where
    N: Network + Train,
    L: Loss<N::Element, Out<N, B>> + ResolveAccuracy,
    Opt: Optimizer<N::Element>,
    L::Targets: TargetBuffer<N::Element, B>,
{
    /// Keras' `model.compile(optimizer, loss, metrics)`: the network with what trains and
    /// measures it. [`Metric::Accuracy`] is resolved from the loss (see [`ResolveAccuracy`]).
    pub fn compile(net: Box<N>, optimizer: Opt, loss: L, metrics: &[Metric]) -> Self {
        const { assert!(B > 0, "the batch size B must be at least 1") };
        let metrics = metrics
            .iter()
            .map(|&m| MetricState::new(m.name(), m.resolve::<L>(Out::<N, B>::SAMPLE)))
            .collect();
        Model {
            net,
            trainer: Trainer::boxed(optimizer),
            loss,
            metrics,
            x: Zeroed::boxed(),
            targets: Zeroed::boxed(),
            output: Zeroed::boxed(),
        }
    }

    /// The network.
    pub fn network(&self) -> &N {
        &self.net
    }

    /// The network, mutably: to load weights into it, say.
    pub fn network_mut(&mut self) -> &mut N {
        &mut self.net
    }

    /// The network, leaving the model.
    pub fn into_network(self) -> Box<N> {
        self.net
    }

    /// The trainer: the optimizer and its state.
    pub fn trainer(&self) -> &Trainer<N, Opt, B> {
        &self.trainer
    }

    /// The trainer, mutably: to change the learning rate or restore optimizer state.
    pub fn trainer_mut(&mut self) -> &mut Trainer<N, Opt, B> {
        &mut self.trainer
    }

    /// The loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// The names the metrics are logged under, in order.
    pub fn metric_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.metrics.iter().map(MetricState::name)
    }

    /// The network's Keras-style summary.
    pub fn summary(&self) -> Summary {
        N::summary()
    }

    /// `loss` as the mean of `total` over `count` samples, then the metrics, named with
    /// `prefix` (`""` or `"val_"`).
    fn logs(&self, prefix: &str, total: f64, count: usize) -> Logs {
        let mut logs = Logs::default();
        logs.insert(std::format!("{prefix}loss"), total / count.max(1) as f64);
        for m in &self.metrics {
            logs.insert(std::format!("{prefix}{}", m.name()), m.result());
        }
        logs
    }

    fn reset_metrics(&mut self) {
        self.metrics.iter_mut().for_each(MetricState::reset);
    }

    /// Rejects, before any step, data the model cannot use: no samples, NaN or infinite
    /// values, class labels beyond the outputs, targets of the wrong kind or width.
    fn check(
        &mut self,
        data: &Dataset<N::Element, N::Input>,
        part: &'static str,
    ) -> Result<(), TrainError> {
        if data.is_empty() {
            return Err(TrainError::Empty { part });
        }
        check_finite(data.features(), <N::Input as Shape>::LEN, part, "feature")?;
        match data.targets() {
            crate::data::Targets::Classes { labels, .. } => {
                check_labels(labels, classes_of(Out::<N, B>::SAMPLE), part)?
            }
            crate::data::Targets::Values { values, width } => {
                check_finite(values, *width, part, "target")?
            }
        }
        // Filling no samples checks only that the targets fit the loss's buffer.
        BatchTargets::fill(&mut *self.targets, data.targets(), &[])
            .map_err(|source| TrainError::Data { part, source })
    }
}

/// The first value that is not finite, named by its sample and its index in the sample.
fn check_finite<T: Float>(
    values: &[T],
    width: usize,
    part: &'static str,
    what: &'static str,
) -> Result<(), TrainError> {
    match values.iter().position(|v| !v.finite()) {
        Some(at) => Err(TrainError::NotFinite {
            part,
            sample: at / width.max(1),
            what,
            index: at % width.max(1),
        }),
        None => Ok(()),
    }
}

/// The first label that is not one of the `classes` the network's outputs stand for
/// ([`classes_of`]).
fn check_labels(labels: &[usize], classes: usize, part: &'static str) -> Result<(), TrainError> {
    match LabelOutOfRange::first(labels, classes) {
        Some((sample, source)) => Err(TrainError::Label {
            part,
            sample,
            source,
        }),
        None => Ok(()),
    }
}

/// The names `fit` and `evaluate` give their data in errors.
pub(crate) mod part {
    pub const TRAINING: &str = "training data";
    pub const VALIDATION: &str = "validation data";
    pub const EVALUATION: &str = "evaluation data";
    pub const PREDICTION: &str = "prediction data";
}
