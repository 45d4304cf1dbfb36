//! Callbacks: code `fit` runs at the start and end of each epoch (Keras' `Callback`).
//!
//! A callback sees a [`Context`]: the epoch, its logs, the learning rate it may change, a flag
//! to stop training and the network's weights. Provided: [`EarlyStopping`],
//! [`LearningRateScheduler`] with a [`Schedule`] (step, exponential or cosine decay), and
//! [`OnEpochEnd`] for a closure of your own. Keras' `TerminateOnNaN` is always on: a step whose
//! loss is not finite stops `fit` with [`TrainError::NonFiniteLoss`].

use std::string::String;
use std::vec::Vec;

use super::{Logs, TrainError};
use crate::{Float, Params};

/// The network's parameters as flat tensors, object-safe so that callbacks need not know the
/// network's type (implemented for every [`Params`]).
pub trait Weights<T> {
    /// How many tensors.
    fn tensors(&self) -> usize;
    /// Tensor `i`, flat.
    fn tensor(&self, i: usize) -> &[T];
    /// Tensor `i`, flat and mutable.
    fn tensor_mut(&mut self, i: usize) -> &mut [T];
}

impl<T, P: Params<T>> Weights<T> for P {
    fn tensors(&self) -> usize {
        P::TENSORS
    }
    fn tensor(&self, i: usize) -> &[T] {
        Params::tensor(self, i)
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        Params::tensor_mut(self, i)
    }
}

/// What a callback sees and may change.
pub struct Context<'a, T> {
    /// The epoch, from 0 (as Keras passes it to callbacks).
    pub epoch: usize,
    /// How many epochs `fit` was asked for.
    pub epochs: usize,
    /// This epoch's logs at its end; empty at its start.
    pub logs: &'a Logs,
    /// The learning rate of the coming steps; a change applies to them.
    pub learning_rate: f64,
    /// Set to stop training after this epoch.
    pub stop: bool,
    /// The network's weights.
    pub weights: &'a mut dyn Weights<T>,
}

/// Something `fit` calls around training and each epoch (Keras' `Callback`); every method does
/// nothing by default.
pub trait Callback<T> {
    /// Before the first epoch ([`Context::epoch`] is 0, the logs empty).
    fn on_train_begin(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        let _ = ctx;
        Ok(())
    }

    /// After the last epoch, whether training ran all its epochs or was stopped
    /// ([`Context::epoch`] and the logs are the last epoch's). Not called when `fit` fails.
    fn on_train_end(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        let _ = ctx;
        Ok(())
    }

    /// Before the epoch's first step.
    fn on_epoch_begin(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        let _ = ctx;
        Ok(())
    }

    /// After the epoch's last step and its validation.
    fn on_epoch_end(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        let _ = ctx;
        Ok(())
    }
}

/// A user's closure run at the end of every epoch: `OnEpochEnd(|ctx| println!(...))`.
pub struct OnEpochEnd<F>(pub F);

impl<T, F: FnMut(&mut Context<'_, T>)> Callback<T> for OnEpochEnd<F> {
    fn on_epoch_end(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        (self.0)(ctx);
        Ok(())
    }
}

/// Whether a monitored value should go down or up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Down for losses and errors, up for anything named like an accuracy (Keras' `"auto"`).
    Auto,
    /// Smaller is better.
    Min,
    /// Larger is better.
    Max,
}

/// Stops training when a monitored value has stopped improving (Keras' `EarlyStopping`).
///
/// After each epoch, the value improves if it beats the best so far by more than `min_delta`.
/// Training stops once `patience` epochs in a row have not improved (and not in the first
/// epoch). With `restore_best_weights`, the weights of the best epoch are put back when
/// training ends, whether it stopped early or ran all its epochs: Keras 3 restores them in
/// `on_train_end` either way.
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    /// The log entry to watch, e.g. `"val_loss"` (Keras' default).
    pub monitor: String,
    /// The least change that counts as an improvement.
    pub min_delta: f64,
    /// Epochs without improvement to wait before stopping.
    pub patience: usize,
    /// Whether to go back to the best epoch's weights on stopping.
    pub restore_best_weights: bool,
    /// Whether the value should decrease or increase.
    pub mode: Mode,
    best: Option<f64>,
    best_epoch: Option<usize>,
    best_weights: Option<Vec<Vec<f64>>>,
    wait: usize,
    stopped_epoch: Option<usize>,
}

impl EarlyStopping {
    /// Watching `monitor`, with Keras' defaults: `min_delta` 0, `patience` 0, no restoring.
    pub fn new(monitor: impl Into<String>) -> Self {
        EarlyStopping {
            monitor: monitor.into(),
            min_delta: 0.0,
            patience: 0,
            restore_best_weights: false,
            mode: Mode::Auto,
            best: None,
            best_epoch: None,
            best_weights: None,
            wait: 0,
            stopped_epoch: None,
        }
    }

    /// The same with `patience`.
    pub fn patience(self, patience: usize) -> Self {
        EarlyStopping { patience, ..self }
    }

    /// The same with `min_delta` (its sign is ignored, as in Keras).
    pub fn min_delta(self, min_delta: f64) -> Self {
        let min_delta = min_delta.abs();
        EarlyStopping { min_delta, ..self }
    }

    /// The same, restoring the best weights when it stops.
    pub fn restore_best_weights(self, restore_best_weights: bool) -> Self {
        EarlyStopping {
            restore_best_weights,
            ..self
        }
    }

    /// The same with an explicit [`Mode`].
    pub fn mode(self, mode: Mode) -> Self {
        EarlyStopping { mode, ..self }
    }

    /// The epoch (from 0) at which it stopped training, if it did.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The best value seen and its epoch (from 0).
    pub fn best(&self) -> Option<(f64, usize)> {
        Some((self.best?, self.best_epoch?))
    }

    fn reset(&mut self) {
        self.best = None;
        self.best_epoch = None;
        self.best_weights = None;
        self.wait = 0;
        self.stopped_epoch = None;
    }

    /// Keras' `"auto"`: maximise what is named like an accuracy, minimise the rest.
    fn maximise(&self) -> bool {
        match self.mode {
            Mode::Max => true,
            Mode::Min => false,
            Mode::Auto => self.monitor.contains("acc"),
        }
    }

    fn improves(&self, value: f64) -> bool {
        match (self.best, self.maximise()) {
            (None, _) => true,
            (Some(best), true) => value - self.min_delta > best,
            (Some(best), false) => value + self.min_delta < best,
        }
    }

    fn monitored<T>(&self, ctx: &Context<'_, T>) -> Result<f64, TrainError> {
        ctx.logs
            .get(&self.monitor)
            .ok_or_else(|| TrainError::UnknownMonitor {
                monitor: self.monitor.clone(),
                available: ctx.logs.keys().map(String::from).collect(),
            })
    }
}

impl<T: Float> Callback<T> for EarlyStopping {
    /// A new `fit` starts afresh, as in Keras.
    fn on_train_begin(&mut self, _: &mut Context<'_, T>) -> Result<(), TrainError> {
        self.reset();
        Ok(())
    }

    /// Puts the best epoch's weights back, if asked to and if an epoch was seen.
    fn on_train_end(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        if let Some(best) = self
            .best_weights
            .as_ref()
            .filter(|_| self.restore_best_weights)
        {
            restore(ctx.weights, best);
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        let value = self.monitored(ctx)?;
        self.wait += 1;
        if self.improves(value) {
            self.best = Some(value);
            self.best_epoch = Some(ctx.epoch);
            self.wait = 0;
            if self.restore_best_weights {
                self.best_weights = Some(snapshot(&*ctx.weights));
            }
            return Ok(());
        }
        if self.wait >= self.patience && ctx.epoch > 0 {
            self.stopped_epoch = Some(ctx.epoch);
            ctx.stop = true;
        }
        Ok(())
    }
}

/// A copy of every weight, widened to `f64` (exact for `f32` and `f64`).
pub fn snapshot<T: Float>(weights: &dyn Weights<T>) -> Vec<Vec<f64>> {
    (0..weights.tensors())
        .map(|i| weights.tensor(i).iter().map(|w| w.to_f64()).collect())
        .collect()
}

/// Puts back weights taken by [`snapshot`].
pub fn restore<T: Float>(weights: &mut dyn Weights<T>, saved: &[Vec<f64>]) {
    for (i, saved) in saved.iter().enumerate() {
        for (w, &s) in weights.tensor_mut(i).iter_mut().zip(saved) {
            *w = T::of(s);
        }
    }
}

/// A learning rate for each epoch (from 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// `initial · factor^⌊epoch / every⌋`: drop by `factor` every `every` epochs.
    StepDecay {
        /// The rate of the first epoch.
        initial: f64,
        /// The factor applied at each drop, e.g. 0.5.
        factor: f64,
        /// Epochs between drops (at least 1).
        every: usize,
    },
    /// `initial · rate^(epoch / decay_epochs)`: Keras' `ExponentialDecay`, counted in epochs.
    ExponentialDecay {
        /// The rate of the first epoch.
        initial: f64,
        /// The factor after each `decay_epochs` epochs.
        rate: f64,
        /// Epochs over which the rate is multiplied by `rate`.
        decay_epochs: f64,
    },
    /// `initial · (α + (1 - α)·(1 + cos(π·min(epoch, epochs)/epochs))/2)`: Keras'
    /// `CosineDecay`, from `initial` down to `α·initial` over `epochs` epochs.
    Cosine {
        /// The rate of the first epoch.
        initial: f64,
        /// The epochs of the decay.
        epochs: usize,
        /// The final rate as a fraction of `initial`.
        alpha: f64,
    },
}

impl Schedule {
    /// The learning rate of `epoch` (from 0).
    pub fn rate(&self, epoch: usize) -> f64 {
        match *self {
            Schedule::StepDecay {
                initial,
                factor,
                every,
            } => initial * factor.powi((epoch / every.max(1)) as i32),
            Schedule::ExponentialDecay {
                initial,
                rate,
                decay_epochs,
            } => initial * rate.powf(epoch as f64 / decay_epochs),
            Schedule::Cosine {
                initial,
                epochs,
                alpha,
            } => {
                let progress = epoch.min(epochs) as f64 / epochs.max(1) as f64;
                let cosine = 0.5 * (1.0 + (core::f64::consts::PI * progress).cos());
                initial * (alpha + (1.0 - alpha) * cosine)
            }
        }
    }
}

/// Sets the learning rate at the start of each epoch from a [`Schedule`] (Keras'
/// `LearningRateScheduler`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LearningRateScheduler(pub Schedule);

impl<T> Callback<T> for LearningRateScheduler {
    fn on_epoch_begin(&mut self, ctx: &mut Context<'_, T>) -> Result<(), TrainError> {
        ctx.learning_rate = self.0.rate(ctx.epoch);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;
    use crate::{activation::Identity, Zeroed};

    #[test]
    fn schedules() {
        let step = Schedule::StepDecay {
            initial: 0.1,
            factor: 0.5,
            every: 2,
        };
        let rates: Vec<f64> = (0..5).map(|e| step.rate(e)).collect();
        assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
        let exp = Schedule::ExponentialDecay {
            initial: 1.0,
            rate: 0.25,
            decay_epochs: 2.0,
        };
        assert_eq!((exp.rate(0), exp.rate(1), exp.rate(4)), (1.0, 0.5, 0.0625));
        let cos = Schedule::Cosine {
            initial: 1.0,
            epochs: 4,
            alpha: 0.1,
        };
        assert_eq!(cos.rate(0), 1.0);
        assert!((cos.rate(2) - 0.55).abs() < 1e-12);
        assert!((cos.rate(4) - 0.1).abs() < 1e-12 && cos.rate(9) == cos.rate(4));
    }

    /// Runs `stopper` over a sequence of monitored values; returns where it stopped and the
    /// weight it left (each epoch's weight is its index).
    /// As `fit` calls them: `on_train_begin`, both epoch methods per epoch, `on_train_end`.
    fn run(stopper: &mut EarlyStopping, values: &[f64]) -> (Option<usize>, f32) {
        fn context<'a>(epoch: usize, logs: &'a Logs, layer: &'a mut Layer) -> Context<'a, f32> {
            Context {
                epoch,
                epochs: 10,
                logs,
                learning_rate: 0.1,
                stop: false,
                weights: layer,
            }
        }
        type Layer = Dense<f32, 1, 1, Identity>;
        let mut layer = Layer::zeroed();
        let empty = Logs::default();
        Callback::<f32>::on_train_begin(stopper, &mut context(0, &empty, &mut layer)).unwrap();
        let mut last = (0, Logs::default());
        for (epoch, &value) in values.iter().enumerate() {
            layer.kernel[0] = epoch as f32;
            let mut logs = Logs::default();
            logs.insert("val_loss", value);
            let mut ctx = context(epoch, &logs, &mut layer);
            stopper.on_epoch_begin(&mut ctx).unwrap();
            stopper.on_epoch_end(&mut ctx).unwrap();
            let stop = ctx.stop;
            last = (epoch, logs);
            if stop {
                break;
            }
        }
        let mut ctx = context(last.0, &last.1, &mut layer);
        Callback::<f32>::on_train_end(stopper, &mut ctx).unwrap();
        (stopper.stopped_epoch(), layer.kernel[0])
    }

    #[test]
    fn early_stopping_waits_patience_epochs_and_restores_the_best() {
        let values = [1.0, 0.5, 0.6, 0.55, 0.7, 0.1];
        let mut plain = EarlyStopping::new("val_loss").patience(2);
        assert_eq!(run(&mut plain, &values), (Some(3), 3.0));
        assert_eq!(plain.best(), Some((0.5, 1)));
        let mut best = EarlyStopping::new("val_loss")
            .patience(2)
            .restore_best_weights(true);
        assert_eq!(run(&mut best, &values), (Some(3), 1.0));
        // Keras 3 restores the best weights at the end of training even without stopping:
        // epoch 1's, after four epochs that never wait three in a row
        // (`bash tools/keras_reference/run.sh early_stopping.py`).
        let mut never_stops = EarlyStopping::new("val_loss")
            .patience(3)
            .restore_best_weights(true);
        assert_eq!(run(&mut never_stops, &[1.0, 0.5, 0.6, 0.55]), (None, 1.0));
        // A second run starts afresh.
        assert_eq!(run(&mut never_stops, &[0.9, 0.8]), (None, 1.0));
        assert_eq!(never_stops.best(), Some((0.8, 1)));
        // 0.5 → 0.45 is not an improvement of more than 0.1.
        let mut coarse = EarlyStopping::new("val_loss").min_delta(0.1).patience(1);
        assert_eq!(run(&mut coarse, &[1.0, 0.45, 0.44]).0, Some(2));
        // `Mode::Max`: larger is better; an equal value is no improvement.
        let mut acc = EarlyStopping::new("val_loss").mode(Mode::Max).patience(1);
        assert_eq!(run(&mut acc, &[0.1, 0.2, 0.3, 0.3]).0, Some(3));
        assert!(EarlyStopping::new("val_accuracy").maximise());
        assert!(!EarlyStopping::new("val_loss").maximise());
    }

    #[test]
    fn early_stopping_names_a_missing_monitor() {
        let mut layer = Dense::<f32, 1, 1, Identity>::zeroed();
        let mut logs = Logs::default();
        logs.insert("loss", 1.0);
        let mut ctx = Context {
            epoch: 0,
            epochs: 1,
            logs: &logs,
            learning_rate: 0.1,
            stop: false,
            weights: &mut layer,
        };
        let err = Callback::<f32>::on_epoch_end(&mut EarlyStopping::new("val_acc"), &mut ctx);
        let text = std::string::ToString::to_string(&err.unwrap_err());
        assert_eq!(text, "cannot monitor `val_acc`: the logs have loss");
    }
}
