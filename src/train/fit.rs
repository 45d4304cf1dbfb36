//! `Model::fit`: epochs of shuffled batches, each a trainer step, with validation, callbacks
//! and progress.

use std::borrow::Borrow;
use std::vec::Vec;

use super::callbacks::{Callback, Context};
use super::progress::{Progress, Verbosity};
use super::{part, FitsNetwork, History, Logs, Model, TargetBuffer, TrainError};
use crate::data::{shuffle, Dataset};
use crate::layer::Out;
use crate::loss::Loss;
use crate::metrics::ResolveAccuracy;
use crate::optim::Optimizer;
use crate::rng::SplitMix64;
use crate::shape::Shape;
use crate::{Error, Float, Network, Train};

/// Where `fit` gets its validation data.
pub enum Validation<'a, T: Float, S: Shape> {
    /// None: no `val_` entries.
    None,
    /// A separate dataset (Keras' `validation_data`).
    Data(&'a Dataset<T, S>),
    /// The last fraction of the training data, before shuffling (Keras' `validation_split`).
    Split(f64),
}

/// The options of [`Model::fit`]; start from [`FitOptions::new`].
pub struct FitOptions<'a, T: Float, S: Shape> {
    /// How many passes over the training data.
    pub epochs: usize,
    /// The seed of the per-epoch shuffles and of dropout: the same seed, the same history.
    pub seed: u64,
    /// Whether to visit the samples in a new random order each epoch (Keras' default: yes).
    pub shuffle: bool,
    /// The validation data, if any.
    pub validation: Validation<'a, T, S>,
    /// Called around each epoch, in order.
    pub callbacks: Vec<&'a mut dyn Callback<T>>,
    /// How much to print.
    pub verbosity: Verbosity,
}

impl<'a, T: Float, S: Shape> FitOptions<'a, T, S> {
    /// `epochs` epochs, seed 0, shuffled, no validation, no callbacks, automatic progress.
    pub fn new(epochs: usize) -> Self {
        FitOptions {
            epochs,
            seed: 0,
            shuffle: true,
            validation: Validation::None,
            callbacks: Vec::new(),
            verbosity: Verbosity::Auto,
        }
    }

    /// The same with `seed`.
    pub fn seed(self, seed: u64) -> Self {
        FitOptions { seed, ..self }
    }

    /// The same with shuffling on or off.
    pub fn shuffle(self, shuffle: bool) -> Self {
        FitOptions { shuffle, ..self }
    }

    /// The same, validating on `data` after each epoch.
    pub fn validation_data(self, data: &'a Dataset<T, S>) -> Self {
        let validation = Validation::Data(data);
        FitOptions { validation, ..self }
    }

    /// The same, validating on the last `fraction` of the training data.
    pub fn validation_split(self, fraction: f64) -> Self {
        let validation = Validation::Split(fraction);
        FitOptions { validation, ..self }
    }

    /// The same with one more callback.
    pub fn callback(mut self, callback: &'a mut dyn Callback<T>) -> Self {
        self.callbacks.push(callback);
        self
    }

    /// The same with `verbosity`.
    pub fn verbosity(self, verbosity: Verbosity) -> Self {
        FitOptions { verbosity, ..self }
    }
}

/// The start or the end of a `fit`, for the callbacks.
#[derive(Clone, Copy)]
enum Phase {
    Begin,
    End,
}

/// Dropout draws from its own stream, apart from the shuffles that use the seed itself.
const DROPOUT_STREAM: u64 = 0xd20f_0c7a_5eed_0001;

impl<N, L, Opt, const B: usize> Model<N, L, Opt, B>
where
    N: Network + Train,
    L: Loss<N::Element, Out<N, B>> + ResolveAccuracy,
    Opt: Optimizer<N::Element>,
    L::Targets: TargetBuffer<N::Element, B>,
{
    /// Keras' `model.fit`: trains on `data` for `options.epochs` epochs; returns the history of
    /// `loss`, the metrics, and their `val_` forms when there is validation data.
    ///
    /// All data is checked before the first step (see [`TrainError`]); a step whose loss is
    /// not finite stops training with [`TrainError::NonFiniteLoss`], the network as it was
    /// before that step.
    ///
    /// ```
    /// use liandan::prelude::*;
    /// use liandan::data::Dataset;
    ///
    /// network! {
    ///     struct Line { input: [1], Dense<1> }
    /// }
    ///
    /// // y = 3x - 1 at eight points; the last 25% held out for validation.
    /// let x: Vec<[f64; 1]> = (0..8).map(|i| [i as f64 / 8.0]).collect();
    /// let y: Vec<[f64; 1]> = x.iter().map(|[x]| [3.0 * x - 1.0]).collect();
    /// let data = Dataset::<f64, Flat<1>>::regression(&x, &y)?;
    /// let net = Line::new_boxed(&mut liandan::rng::SplitMix64::new(1));
    /// let mut model: Model<Line<f64>, _, _, 2> =
    ///     Model::compile(net, Adam::new(0.1), MeanSquaredError, &[Metric::MeanAbsoluteError]);
    /// let options = FitOptions::new(100).validation_split(0.25).verbosity(Verbosity::Silent);
    /// let history = model.fit(&data, options)?;
    /// assert_eq!(history.epochs(), 100);
    /// let keys: Vec<&str> = history.keys().collect();
    /// assert_eq!(keys, ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]);
    /// let loss = history.get("loss").unwrap();
    /// assert!(loss[99] < loss[0] / 100.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit<D, S: Shape>(
        &mut self,
        data: &D,
        mut options: FitOptions<'_, N::Element, N::Input>,
    ) -> Result<History, TrainError>
    where
        D: Borrow<Dataset<N::Element, S>> + FitsNetwork<N::Element, N, S, N::Input>,
    {
        let data = data.as_input();
        let split;
        let (train, validation) = match options.validation {
            Validation::None => (data, None),
            Validation::Data(v) => (data, Some(v)),
            Validation::Split(fraction) => {
                split = data
                    .validation_split(fraction)
                    .map_err(|source| data_error(part::TRAINING, source))?;
                (&split.0, Some(&split.1))
            }
        };
        self.check(train, part::TRAINING)?;
        if let Some(v) = validation {
            self.check(v, part::VALIDATION)?;
        }
        let steps = train.len().div_ceil(B);
        let mut progress = Progress::new(options.verbosity, options.epochs, steps);
        let mut rng = SplitMix64::new(options.seed ^ DROPOUT_STREAM);
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut history = History::default();
        let callbacks = &mut options.callbacks;
        self.callbacks_train(callbacks, Phase::Begin, 0, options.epochs, &Logs::default())?;
        let mut last = (0, Logs::default());
        for epoch in 0..options.epochs {
            self.callbacks_begin(callbacks, epoch, options.epochs)?;
            if options.shuffle {
                order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
                shuffle(&mut order, options.seed.wrapping_add(epoch as u64));
            }
            progress.begin(epoch);
            let mut logs = self.train_epoch(train, &order, epoch, &mut rng, &mut progress)?;
            if let Some(v) = validation {
                let val = self.evaluate_part(v, part::VALIDATION)?;
                val.iter()
                    .for_each(|(k, x)| logs.insert(std::format!("val_{k}"), x));
            }
            progress.end(&logs);
            history.push(&logs);
            let stop = self.callbacks_end(callbacks, epoch, options.epochs, &logs)?;
            last = (epoch, logs);
            if stop {
                break;
            }
        }
        let (epoch, logs) = last;
        self.callbacks_train(callbacks, Phase::End, epoch, options.epochs, &logs)?;
        Ok(history)
    }

    /// One pass over `train` in `order`; the logs of its loss and metrics.
    fn train_epoch(
        &mut self,
        train: &Dataset<N::Element, N::Input>,
        order: &[usize],
        epoch: usize,
        rng: &mut SplitMix64,
        progress: &mut Progress,
    ) -> Result<Logs, TrainError> {
        self.reset_metrics();
        let steps = order.len().div_ceil(B);
        let (mut total, mut seen) = (0.0, 0);
        for (step, batch) in train.batches::<B>(order).enumerate() {
            let n = batch
                .fill(&mut self.x, &mut *self.targets)
                .map_err(|source| data_error(part::TRAINING, source))?;
            let loss = self
                .trainer
                .step(&mut self.net, &self.x, &*self.targets, n, &self.loss, rng)
                .map_err(|e| step_error(e, batch.indices(), epoch, (step, steps)))?;
            // Keras weights each batch's mean loss by its sample count: the epoch's loss is
            // the mean over samples, a partial last batch counting for its samples only.
            total += loss.to_f64() * n as f64;
            seen += n;
            let output = self.trainer.output();
            for m in &mut self.metrics {
                m.update(output, &*self.targets, n);
            }
            progress.step(step + 1, total / seen as f64, &self.metrics);
        }
        Ok(self.logs("", total, seen))
    }

    fn callbacks_begin(
        &mut self,
        callbacks: &mut [&mut dyn Callback<N::Element>],
        epoch: usize,
        epochs: usize,
    ) -> Result<(), TrainError> {
        let logs = Logs::default();
        let mut ctx = self.context(epoch, epochs, &logs);
        for callback in callbacks.iter_mut() {
            callback.on_epoch_begin(&mut ctx)?;
        }
        let rate = ctx.learning_rate;
        self.trainer.optimizer.set_learning_rate(rate);
        Ok(())
    }

    /// Runs the callbacks' `on_train_begin` or `on_train_end`; `epoch` and `logs` are the
    /// last epoch's at the end.
    fn callbacks_train(
        &mut self,
        callbacks: &mut [&mut dyn Callback<N::Element>],
        phase: Phase,
        epoch: usize,
        epochs: usize,
        logs: &Logs,
    ) -> Result<(), TrainError> {
        let mut ctx = self.context(epoch, epochs, logs);
        for callback in callbacks.iter_mut() {
            match phase {
                Phase::Begin => callback.on_train_begin(&mut ctx)?,
                Phase::End => callback.on_train_end(&mut ctx)?,
            }
        }
        let rate = ctx.learning_rate;
        self.trainer.optimizer.set_learning_rate(rate);
        Ok(())
    }

    /// Runs the callbacks' `on_epoch_end`; whether one asked to stop.
    fn callbacks_end(
        &mut self,
        callbacks: &mut [&mut dyn Callback<N::Element>],
        epoch: usize,
        epochs: usize,
        logs: &Logs,
    ) -> Result<bool, TrainError> {
        let mut ctx = self.context(epoch, epochs, logs);
        for callback in callbacks.iter_mut() {
            callback.on_epoch_end(&mut ctx)?;
        }
        let (rate, stop) = (ctx.learning_rate, ctx.stop);
        self.trainer.optimizer.set_learning_rate(rate);
        Ok(stop)
    }

    fn context<'a>(
        &'a mut self,
        epoch: usize,
        epochs: usize,
        logs: &'a Logs,
    ) -> Context<'a, N::Element> {
        Context {
            epoch,
            epochs,
            logs,
            learning_rate: self.trainer.optimizer.learning_rate(),
            stop: false,
            weights: &mut *self.net,
        }
    }
}

pub(crate) fn data_error(part: &'static str, source: crate::data::DataError) -> TrainError {
    TrainError::Data { part, source }
}

/// A core error of the step at `(step, steps)` (from 0) of `epoch` (from 0), named in the
/// user's terms: epochs and steps from 1, samples by their index in the data.
fn step_error(
    e: Error,
    indices: &[usize],
    epoch: usize,
    (step, steps): (usize, usize),
) -> TrainError {
    match e {
        Error::NonFiniteLoss => TrainError::NonFiniteLoss {
            epoch: epoch + 1,
            step: step + 1,
            steps,
        },
        Error::Label { sample, source } => TrainError::Label {
            part: part::TRAINING,
            sample: indices.get(sample).copied().unwrap_or(sample),
            source,
        },
        other => TrainError::Core(other),
    }
}
