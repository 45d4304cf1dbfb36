//! # 1. The learning rate
//!
//! **Claim.** The update `w ← w - lr·∂L/∂w` only helps if the step `lr` suits the loss surface:
//! too small and the loss falls slowly; too large and each step overshoots the valley, so the
//! loss oscillates or climbs.
//!
//! **Experiment.** The same network (14×14 digits → 32 ReLU units → 10 softmax outputs), the
//! same initial weights and the same batches of 32, trained with plain SGD at four learning
//! rates for 15 epochs.
//!
//! **Look for** the mean loss per epoch: at 0.003 it creeps down; at 0.1 it falls every epoch;
//! at 1 it falls fast but jumps back up now and then; at 4 the first steps throw the weights so
//! far that the network is stuck at chance (`ln 10 ≈ 2.30`, one digit in ten right). The plot is `target/experiments/01-learning-rate.svg`.
//!
//! ```text
//! cargo run --release --example 01-learning-rate
//! ```

mod common;

use common::plot::{plot, Axes, Series};
use common::*;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// One hidden layer: enough to learn the digits, small enough to train in a blink.
    struct Digits {
        input: [196],
        Dense<32, Relu>,
        Dense<10, Softmax>,
    }
}

const RATES: [f64; 4] = [0.003, 0.1, 1.0, 4.0];
const EPOCHS: usize = 15;

/// The mean loss of each epoch at learning rate `lr`, and the final accuracy on `eval`;
/// `None` for the epochs after the loss stopped being finite.
fn run(lr: f64, train: &Data, eval: &Data) -> Result<(Vec<Option<f64>>, f64)> {
    // The same seed for every rate: the same starting weights, so only the rate differs.
    let mut rng = SplitMix64::new(7);
    let mut net = Digits::<f32>::new(&mut rng);
    let mut trainer = Digits::<f32>::trainer::<Sgd, 32>(Sgd::new(lr));
    let loss = SparseCategoricalCrossentropy::default();
    let mut curve = Vec::new();
    for epoch in 0..EPOCHS {
        let order = epoch_order(train.len(), epoch);
        match train_epoch(&mut net, &mut trainer, train, &order, &loss, &mut rng) {
            Ok(losses) => curve.push(Some(mean(&losses))),
            // A step whose loss is infinite or NaN is refused: the run has diverged.
            Err(_) => break,
        }
    }
    curve.resize(EPOCHS, None);
    Ok((curve, accuracy(&net, eval)))
}

type Data = liandan::data::Dataset<f32, Flat<196>>;

fn main() -> Result<()> {
    let (train, eval) = train_eval::<196>(2000)?;
    let runs = RATES
        .iter()
        .map(|&lr| run(lr, &train, &eval))
        .collect::<Result<Vec<_>>>()?;

    print!("epoch");
    RATES
        .iter()
        .for_each(|lr| print!("  {:>9}", format!("lr {lr}")));
    println!();
    for epoch in 0..EPOCHS {
        print!("{:>5}", epoch + 1);
        for (curve, _) in &runs {
            match curve[epoch] {
                Some(l) => print!("  {l:>9.4}"),
                None => print!("  {:>9}", "diverged"),
            }
        }
        println!();
    }
    print!("{:>5}", "acc");
    runs.iter()
        .for_each(|(_, acc)| print!("  {:>8.1}%", 100.0 * acc));
    println!();

    // How often the loss went up from one epoch to the next: never, for a steady descent.
    let rises = |curve: &[Option<f64>]| {
        let c: Vec<f64> = curve.iter().flatten().copied().collect();
        c.windows(2).filter(|w| w[1] > w[0]).count()
    };
    print!("{:>5}", "rises");
    runs.iter().for_each(|(c, _)| print!("  {:>9}", rises(c)));
    println!();

    let last = |i: usize| runs[i].0.iter().rev().find_map(|l| *l).unwrap_or(f64::NAN);
    let best = (0..RATES.len())
        .min_by(|&a, &b| last(a).total_cmp(&last(b)))
        .unwrap_or(0);
    let (small, large) = (0, RATES.len() - 1);
    let first = |i: usize| runs[i].0[0].unwrap_or(f64::NAN);
    println!(
        "\nconclusion: lr {} took the loss from {:.2} to {:.2} (best) and rose in {} of {} \
         epochs; lr {} only from {:.2} to {:.2}; lr {} ends at {:.2}, above the chance level \
         ln 10 = 2.30, having risen in {} epochs ({:.0}% accuracy)",
        RATES[best],
        first(best),
        last(best),
        rises(&runs[best].0),
        EPOCHS - 1,
        RATES[small],
        first(small),
        last(small),
        RATES[large],
        last(large),
        rises(&runs[large].0),
        100.0 * runs[large].1,
    );

    let series: Vec<Series> = RATES
        .iter()
        .zip(&runs)
        .map(|(lr, (curve, _))| {
            let values: Vec<f64> = curve.iter().map(|l| l.unwrap_or(f64::NAN)).collect();
            Series::numbered(format!("lr {lr}"), &values)
        })
        .collect();
    let axes = Axes {
        x: "epoch",
        y: "mean training loss",
        log_y: false,
    };
    let path = plot(
        "01-learning-rate",
        "Loss per epoch, by learning rate",
        axes,
        &series,
    )?;
    println!("plot: {}", path.display());
    Ok(())
}
