//! # 4. Batch size
//!
//! **Claim.** A step's gradient is the mean over its batch, an estimate of the gradient over all
//! the data. Small batches give noisy estimates but many updates per epoch; large batches give
//! smooth estimates but few updates. At a fixed learning rate, small batches need fewer epochs;
//! large batches use the hardware better per sample, so an epoch takes less time.
//!
//! **Experiment.** The same network, the same initial weights and the same learning rate, trained
//! with plain SGD at batch sizes 1, 8, 32 and 256 until it classifies 85% of held-out digits
//! right (or 200 epochs pass). The batch size is a const generic: each run is a separately
//! compiled training step, `Trainer<.., B>`.
//!
//! **Look for** the noise (the standard deviation of the change in loss from one step to the
//! next, which falls as the batch grows), the epochs to 85%, which grow with the batch, and the
//! wall time to 85%, the product of the two trends: a middle batch size wins. Wall times depend
//! on the machine and the run: they illustrate, they prove nothing. The plot is `target/experiments/04-batch-size.svg`.
//!
//! ```text
//! cargo run --release --example 04-batch-size
//! ```

mod common;

use std::time::Instant;

use common::plot::{plot, Axes, Series};
use common::*;
use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// One hidden layer, as in the learning-rate experiment.
    struct Digits {
        input: [196],
        Dense<32, Relu>,
        Dense<10, Softmax>,
    }
}

const MAX_EPOCHS: usize = 200;
const TARGET: f64 = 0.85;

/// What one batch size did.
struct Run {
    batch: usize,
    /// The step-to-step noise of the loss after the first epoch, where the steep initial
    /// descent would count as noise.
    noise: f64,
    /// The held-out accuracy after each epoch.
    accuracy: Vec<f64>,
    /// The epochs to reach `TARGET`, if they did.
    epochs: Option<usize>,
    /// The time spent in training steps (not in measuring the accuracy).
    seconds: f64,
}

/// Trains a fresh network with batches of `B` until `TARGET` accuracy on `eval`.
fn run<const B: usize>(
    train: &Dataset<f32, Flat<196>>,
    eval: &Dataset<f32, Flat<196>>,
) -> Result<Run> {
    let mut rng = SplitMix64::new(5);
    let mut net = Digits::<f32>::new(&mut rng);
    let mut trainer = Digits::<f32>::trainer::<Sgd, B>(Sgd::new(0.1));
    let loss = SparseCategoricalCrossentropy::default();
    let (mut accuracy, mut losses, mut seconds) = (Vec::new(), Vec::new(), 0.0);
    for epoch in 0..MAX_EPOCHS {
        let order = epoch_order(train.len(), epoch);
        let start = Instant::now();
        let epoch_losses = train_epoch(&mut net, &mut trainer, train, &order, &loss, &mut rng)?;
        seconds += start.elapsed().as_secs_f64();
        if epoch > 0 {
            losses.extend(epoch_losses);
        }
        accuracy.push(common::accuracy(&net, eval));
        if accuracy[epoch] >= TARGET {
            break;
        }
    }
    let epochs = (accuracy.last() >= Some(&TARGET)).then_some(accuracy.len());
    Ok(Run {
        batch: B,
        noise: step_noise(&losses),
        accuracy,
        epochs,
        seconds,
    })
}

fn main() -> Result<()> {
    let (train, eval) = train_eval::<196>(2000)?;
    let runs = [
        run::<1>(&train, &eval)?,
        run::<8>(&train, &eval)?,
        run::<32>(&train, &eval)?,
        run::<256>(&train, &eval)?,
    ];

    println!("batch  steps/epoch  noise   epochs to 85%  wall time  per epoch");
    for r in &runs {
        let epochs = r
            .epochs
            .map_or(format!("> {MAX_EPOCHS}"), |e| e.to_string());
        let per_epoch = r.seconds / r.accuracy.len() as f64;
        println!(
            "{:>5}  {:>11}  {:.3}  {epochs:>13}  {:>7.3} s  {:>7.2} ms",
            r.batch,
            train.len().div_ceil(r.batch),
            r.noise,
            r.seconds,
            1e3 * per_epoch,
        );
    }
    let (small, large) = (&runs[0], &runs[runs.len() - 1]);
    let epochs = |r: &Run| {
        r.epochs
            .map_or(format!("more than {MAX_EPOCHS}"), |e| e.to_string())
    };
    let fastest = runs
        .iter()
        .filter(|r| r.epochs.is_some())
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .map_or("none reached 85%".to_string(), |r| {
            format!("batch {} was quickest in wall time", r.batch)
        });
    println!(
        "\nconclusion: the loss of batch {} moves {:.0} times as much from step to step as that of \
         batch {}; batch {} reached 85% in {} epochs, batch {} in {}; {fastest}",
        small.batch,
        small.noise / large.noise,
        large.batch,
        small.batch,
        epochs(small),
        large.batch,
        epochs(large),
    );

    let series: Vec<Series> = runs
        .iter()
        .map(|r| Series::numbered(format!("batch {}", r.batch), &r.accuracy))
        .collect();
    let axes = Axes {
        x: "epoch",
        y: "held-out accuracy",
        log_y: false,
    };
    let path = plot(
        "04-batch-size",
        "Accuracy per epoch, by batch size",
        axes,
        &series,
    )?;
    println!("plot: {}", path.display());
    Ok(())
}
