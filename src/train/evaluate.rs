//! `Model::evaluate`, `Model::predict` and the confusion matrix: inference (dropout off) over a
//! dataset, `B` samples at a time, the last batch partial.

use std::borrow::Borrow;
use std::vec::Vec;

use super::fit::data_error;
use super::{part, FitsNetwork, Logs, Model, TargetBuffer, TrainError};
use crate::data::{Dataset, Targets};
use crate::layer::Out;
use crate::loss::Loss;
use crate::metrics::{classes_of, predicted_class, ConfusionMatrix, ResolveAccuracy};
use crate::optim::Optimizer;
use crate::shape::{Buffer, Shape};
use crate::{Error, Float, Network, Train};

impl<N, L, Opt, const B: usize> Model<N, L, Opt, B>
where
    N: Network + Train,
    L: Loss<N::Element, Out<N, B>> + ResolveAccuracy,
    Opt: Optimizer<N::Element>,
    L::Targets: TargetBuffer<N::Element, B>,
{
    /// Keras' `model.evaluate`: the loss and every metric over `data`, dropout off.
    ///
    /// The loss is the mean over all samples; a loss that is not finite is reported as it is.
    ///
    /// `data` is a `Dataset` of the network's input shape, as for [`fit`](Model::fit) (see
    /// [`FitsNetwork`]).
    pub fn evaluate<D, S: Shape>(&mut self, data: &D) -> Result<Logs, TrainError>
    where
        D: Borrow<Dataset<N::Element, S>> + FitsNetwork<N::Element, N, S, N::Input>,
    {
        self.evaluate_part(data.as_input(), part::EVALUATION)
    }

    pub(crate) fn evaluate_part(
        &mut self,
        data: &Dataset<N::Element, N::Input>,
        part: &'static str,
    ) -> Result<Logs, TrainError> {
        self.check(data, part)?;
        self.reset_metrics();
        let order: Vec<usize> = (0..data.len()).collect();
        let mut total = 0.0;
        for batch in data.batches::<B>(&order) {
            let n = batch
                .fill(&mut self.x, &mut *self.targets)
                .map_err(|source| data_error(part, source))?;
            self.loss
                .validate(&*self.targets, n)
                .map_err(|e| in_data(e, part, batch.indices()))?;
            self.infer();
            total += self.loss.loss(&self.output, &*self.targets, n).to_f64() * n as f64;
            for m in &mut self.metrics {
                m.update(&*self.output, &*self.targets, n);
            }
        }
        Ok(self.logs("", total, data.len()))
    }

    /// Keras' `model.predict`: the network's output for every sample of `data` (a `Dataset` of
    /// the network's input shape, see [`FitsNetwork`]), dropout off.
    pub fn predict<D, S: Shape>(&mut self, data: &D) -> Result<Vec<Out<N, 1>>, TrainError>
    where
        D: Borrow<Dataset<N::Element, S>> + FitsNetwork<N::Element, N, S, N::Input>,
    {
        let data = data.as_input();
        let order: Vec<usize> = (0..data.len()).collect();
        let mut outputs = Vec::with_capacity(data.len());
        for chunk in order.chunks(B) {
            let n = data
                .fill_features(chunk, &mut self.x)
                .map_err(|source| data_error(part::PREDICTION, source))?;
            self.infer();
            let columns = (0..n).map(|j| Buffer::from_slice(self.output.sample_values(j)));
            outputs.extend(columns);
        }
        Ok(outputs)
    }

    /// Inference on the batch in `x` into `output`, dropout off, in the trainer's tape: no
    /// memory besides the model's, whatever the network's size.
    fn infer(&mut self) {
        let tape = self.trainer.tape_mut();
        self.net.forward_in(&self.x, &mut self.output, tape);
    }

    /// The confusion matrix of the predicted classes ([`predicted_class`]: the arg-max of the
    /// outputs, or for one output whether it exceeds 0.5) against the true ones (the labels, or
    /// the class of the target values likewise), over as many classes as [`classes_of`] gives for
    /// the values of one output sample.
    pub fn confusion_matrix<D, S: Shape>(&mut self, data: &D) -> Result<ConfusionMatrix, TrainError>
    where
        D: Borrow<Dataset<N::Element, S>> + FitsNetwork<N::Element, N, S, N::Input>,
    {
        let data = data.as_input();
        self.check(data, part::EVALUATION)?;
        let predictions = self.predict(data)?;
        let outputs = Out::<N, B>::SAMPLE;
        let classes = classes_of(outputs);
        let mut matrix = ConfusionMatrix::new(classes);
        for (i, y) in predictions.iter().enumerate() {
            let predicted = predicted_class(y.as_slice()).ok_or(TrainError::NotFinite {
                part: part::EVALUATION,
                sample: i,
                what: "output",
                index: 0,
            })?;
            let truth = true_class(data.targets(), i, outputs).unwrap_or(outputs);
            matrix
                .add(truth, predicted)
                .map_err(|source| TrainError::Label {
                    part: part::EVALUATION,
                    sample: i,
                    source,
                })?;
        }
        Ok(matrix)
    }
}

/// Sample `i`'s class: its label, or the class its `width` target values stand for.
fn true_class<T: Float>(targets: &Targets<T>, i: usize, width: usize) -> Option<usize> {
    match targets {
        Targets::Classes { labels, .. } => labels.get(i).copied(),
        Targets::Values { values, .. } => predicted_class(values.get(i * width..(i + 1) * width)?),
    }
}

/// A core error of an evaluation batch, with the sample named by its index in the data.
fn in_data(e: Error, part: &'static str, indices: &[usize]) -> TrainError {
    match e {
        Error::Label { sample, source } => TrainError::Label {
            part,
            sample: indices.get(sample).copied().unwrap_or(sample),
            source,
        },
        other => TrainError::Core(other),
    }
}
