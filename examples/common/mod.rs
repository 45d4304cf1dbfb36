//! What the numbered experiments share: the digits, one epoch of training steps, and the
//! measurements (accuracy, gradient norms, dead units, loss-curve noise).
//!
//! `tests/experiments.rs` includes this module too (`#[path = "../examples/common/mod.rs"]`),
//! so the numbers the examples print and the claims the test asserts come from the same code.
#![allow(dead_code)]

pub mod plot;

use liandan::activation::Elementwise;
use liandan::data::{BatchTargets, Dataset, Targets};
use liandan::layer::In;
use liandan::layers::Dense;
use liandan::optim::Optimizer;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

/// Any error an experiment can meet: a data file, a training step, a plot.
pub type Result<T> = anyhow::Result<T>;

/// The bundled 10,000 MNIST digits.
const IMAGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/mnist/mnist-10k-images-idx3-ubyte.gz"
);
const LABELS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/mnist/mnist-10k-labels-idx1-ubyte.gz"
);

/// The first `count` bundled digits, shrunk from 28×28 to `N` = side² pixels by averaging
/// squares of pixels (`N` = 196 is 14×14, 49 is 7×7), with labels 0 to 9.
///
/// Smaller images keep every experiment to about a second: the effects shown here are about
/// training, not about resolution, and a 14×14 digit is still easy to read.
pub fn digits<const N: usize>(count: usize) -> Result<Dataset<f32, Flat<N>>> {
    let full = Dataset::<f32, Hw<28, 28>>::from_idx(IMAGES, LABELS, 10)?;
    let side = (N as f64).sqrt() as usize;
    assert!(
        side * side == N && 28 % side == 0,
        "{N} is not a square dividing 28×28"
    );
    let (factor, count) = (28 / side, count.min(full.len()));
    let mut features = Vec::with_capacity(count * N);
    for i in 0..count {
        let image = full.sample(i);
        for (row, col) in (0..side).flat_map(|r| (0..side).map(move |c| (r, c))) {
            let block = (0..factor * factor)
                .map(|k| image[(row * factor + k / factor) * 28 + col * factor + k % factor]);
            features.push(block.sum::<f32>() / (factor * factor) as f32);
        }
    }
    let labels = (0..count).filter_map(|i| full.label(i)).collect();
    Ok(Dataset::new(features, Targets::classes(labels, 10)?)?)
}

/// `(train, eval)`: the first `count` digits split 80 / 20, stratified, with a fixed seed.
pub fn train_eval<const N: usize>(
    count: usize,
) -> Result<(Dataset<f32, Flat<N>>, Dataset<f32, Flat<N>>)> {
    let (train, eval, _) = digits::<N>(count)?.split((0.8, 0.2, 0.0), 42, true)?;
    Ok((train, eval))
}

/// One epoch: the samples of `data` in `order`, `B` at a time, one [`Trainer::step`] per
/// batch. Returns each step's loss (the mean over the batch, before its update).
///
/// Each step is the whole of training in four moves: the forward pass through `net`, the
/// loss against the targets, the backward pass (the gradient of the loss with respect to
/// every weight) and the optimizer's update of the weights.
pub fn train_epoch<Net, Opt, L, const B: usize>(
    net: &mut Net,
    trainer: &mut Trainer<Net, Opt, B>,
    data: &Dataset<f32, Net::Input>,
    order: &[usize],
    loss: &L,
    rng: &mut SplitMix64,
) -> Result<Vec<f32>>
where
    Net: Train<Element = f32> + Params<f32>,
    Opt: Optimizer<f32>,
    L: Loss<f32, Batch<f32, Net::Output, B>>,
    L::Targets: BatchTargets<f32, B> + Zeroed,
{
    // A batch of 256 digits is 200 KB: on the heap, once per epoch.
    let (mut x, mut y) = (In::<Net, B>::boxed(), L::Targets::boxed());
    let mut losses = Vec::with_capacity(order.len().div_ceil(B));
    for batch in data.batches::<B>(order) {
        let n = batch.fill(&mut x, &mut *y)?;
        losses.push(trainer.step(net, &x, &*y, n, loss, rng)?);
    }
    Ok(losses)
}

/// The order of the samples in epoch `epoch`: a new shuffle each epoch, fixed by the seed.
pub fn epoch_order(len: usize, epoch: usize) -> Vec<usize> {
    liandan::data::shuffled_indices(len, 1000 + epoch as u64)
}

/// The mean of `values` (NaN for none).
pub fn mean(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64
}

/// The fraction of `data` whose largest output is its label (dropout off).
pub fn accuracy<Net, const O: usize>(net: &Net, data: &Dataset<f32, Net::Input>) -> f64
where
    Net: Forward<Element = f32, Output = Flat<O>>,
{
    const B: usize = 50;
    let (mut x, mut y) = (In::<Net, B>::boxed(), SMatrix::<f32, O, B>::zeros());
    let mut scratch = Scratch::<Net, B>::boxed();
    let order: Vec<usize> = (0..data.len()).collect();
    let mut right = 0;
    for batch in data.batches::<B>(&order) {
        // The indices come from `0..len`, so the fill cannot fail.
        let n = data.fill_features(batch.indices(), &mut x).unwrap_or(0);
        net.forward(&x, &mut y, &mut scratch);
        let labels = batch.indices().iter().map(|&i| data.label(i));
        let predicted = y.column_iter().take(n).map(|p| Some(p.argmax().0));
        right += predicted.zip(labels).filter(|(p, l)| p == l).count();
    }
    right as f64 / data.len() as f64
}

/// The Euclidean norm of each kernel gradient, in the order of the layers, with the layer's
/// name: how strongly the loss pulls on that layer's weights.
pub fn kernel_gradient_norms<G: Params<f32>>(grad: &G) -> Vec<(&'static str, f64)> {
    (0..G::TENSORS)
        .filter_map(|i| {
            let info = G::tensor_info(i)?;
            let norm = grad
                .tensor(i)
                .iter()
                .map(|&g| f64::from(g).powi(2))
                .sum::<f64>();
            (info.name == "kernel").then_some((info.layer, norm.sqrt()))
        })
        .collect()
}

/// How a hidden layer's units behave on `data`: the fraction that is never positive, and the
/// fraction that is *dead*, whose activation has (almost) no slope on any sample.
///
/// A unit with `z = w·x + b ≤ 0` for every sample outputs nothing; under ReLU its slope is 0
/// there too, so no gradient reaches `w` or `b` and it never comes back. LeakyRelu keeps a slope
/// of 0.2 everywhere; Swish's slope vanishes only for very negative `z`, hence the threshold.
pub fn unit_census<A: Elementwise, const I: usize, const H: usize>(
    layer: &Dense<f32, I, H, A>,
    data: &Dataset<f32, Flat<I>>,
) -> Census {
    let (mut ever_positive, mut max_slope) = ([false; H], [0f32; H]);
    for i in 0..data.len() {
        let x = SVector::<f32, I>::from_column_slice(data.sample(i));
        let z = layer.kernel * x + layer.bias;
        for (unit, &z) in z.iter().enumerate() {
            ever_positive[unit] |= z > 0.0;
            max_slope[unit] = max_slope[unit].max(A::df(z, A::f(z)).abs());
        }
    }
    let fraction = |count: usize| count as f64 / H as f64;
    Census {
        never_positive: fraction(ever_positive.iter().filter(|&&p| !p).count()),
        dead: fraction(max_slope.iter().filter(|&&s| s < DEAD_SLOPE).count()),
    }
}

/// Below this largest slope over the data, a unit's weights effectively stop moving.
pub const DEAD_SLOPE: f32 = 1e-4;

/// See [`unit_census`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Census {
    /// The fraction of units with `z ≤ 0` on every sample.
    pub never_positive: f64,
    /// The fraction of units whose activation's slope is below [`DEAD_SLOPE`] on every sample.
    pub dead: f64,
}

/// How noisy a loss curve is: the standard deviation of the change from one step to the next.
pub fn step_noise(losses: &[f32]) -> f64 {
    let changes: Vec<f32> = losses.windows(2).map(|w| w[1] - w[0]).collect();
    let m = mean(&changes);
    let var = changes
        .iter()
        .map(|&c| (f64::from(c) - m).powi(2))
        .sum::<f64>();
    (var / changes.len().max(1) as f64).sqrt()
}

/// The first step (counting from 1) after which the mean of the last `window` losses is below
/// `target`, if any: a smoothed "steps to reach a loss".
pub fn steps_to(losses: &[f32], window: usize, target: f64) -> Option<usize> {
    losses
        .windows(window)
        .position(|w| mean(w) < target)
        .map(|i| i + window)
}
