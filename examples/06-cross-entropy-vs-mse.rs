//! # 6. Cross-entropy versus mean squared error for classification
//!
//! **Claim.** For a softmax output `p`, cross-entropy's gradient with respect to the logits is
//! `p - y`: as large as the mistake. Mean squared error's goes through the softmax's Jacobian,
//! `∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ - pⱼ)`, which is nearly zero when `p` is confidently wrong (`pᵢ ≈ 0` for the
//! right class), exactly when a large step is needed. So cross-entropy learns faster.
//!
//! **Experiment.** The same network and initial weights, with one-hot targets, trained with
//! plain SGD at learning rate 0.1 against `CategoricalCrossentropy` and `MeanSquaredError`. MSE
//! also averages over the 10 outputs, which makes its gradient ten times smaller from the start,
//! so a third run gives MSE ten times the rate: what is left is the Jacobian's effect.
//!
//! **Look for** the held-out accuracy per epoch and the epochs each run needs to reach 85%:
//! cross-entropy first, MSE at the same rate far behind, MSE at ten times the rate in between.
//! (The dips of a few points from epoch to epoch are SGD's noise at this rate, seen on 400
//! held-out digits.)
//! The plot is `target/experiments/06-cross-entropy-vs-mse.svg`.
//!
//! ```text
//! cargo run --release --example 06-cross-entropy-vs-mse
//! ```

mod common;

use common::plot::{plot, Axes, Series};
use common::*;
use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// One hidden layer and a softmax: the probabilities of the ten digits.
    struct Digits {
        input: [196],
        Dense<32, Relu>,
        Dense<10, Softmax>,
    }
}

const EPOCHS: usize = 30;
const TARGET: f64 = 0.85;

/// The held-out accuracy after each epoch of training against `loss` at rate `lr`.
fn accuracies<L>(
    loss: &L,
    lr: f64,
    train: &Dataset<f32, Flat<196>>,
    eval: &Dataset<f32, Flat<196>>,
) -> Result<Vec<f64>>
where
    L: Loss<f32, SMatrix<f32, 10, 32>, Targets = SMatrix<f32, 10, 32>>,
{
    let mut rng = SplitMix64::new(17);
    let mut net = Digits::<f32>::new(&mut rng);
    let mut trainer = Digits::<f32>::trainer::<Sgd, 32>(Sgd::new(lr));
    let mut curve = Vec::new();
    for epoch in 0..EPOCHS {
        let order = epoch_order(train.len(), epoch);
        train_epoch(&mut net, &mut trainer, train, &order, loss, &mut rng)?;
        curve.push(accuracy(&net, eval));
    }
    Ok(curve)
}

fn main() -> Result<()> {
    let (train, eval) = train_eval::<196>(2000)?;
    // Both losses compare the output with a one-hot row: a 1 for the digit, 0 elsewhere.
    let one_hot = train.one_hot()?;
    let cce = CategoricalCrossentropy::default();
    let runs = [
        (
            "cross-entropy lr 0.1",
            accuracies(&cce, 0.1, &one_hot, &eval)?,
        ),
        (
            "MSE lr 0.1",
            accuracies(&MeanSquaredError, 0.1, &one_hot, &eval)?,
        ),
        (
            "MSE lr 1",
            accuracies(&MeanSquaredError, 1.0, &one_hot, &eval)?,
        ),
    ];

    print!("epoch");
    runs.iter().for_each(|(name, _)| print!("  {name:>20}"));
    println!();
    for epoch in (0..EPOCHS).filter(|e| e % 3 == 0 || e + 1 == EPOCHS) {
        print!("{:>5}", epoch + 1);
        runs.iter()
            .for_each(|(_, c)| print!("  {:>19.1}%", 100.0 * c[epoch]));
        println!();
    }
    let reached = |c: &[f64]| c.iter().position(|&a| a >= TARGET).map(|e| e + 1);
    let show = |c: &[f64]| reached(c).map_or(format!("> {EPOCHS}"), |e| e.to_string());
    print!("to 85%");
    runs.iter().for_each(|(_, c)| print!(" {:>20}", show(c)));
    println!();

    println!(
        "\nconclusion: cross-entropy reached 85% in {} epochs; MSE at the same rate in {} (at \
         {:.0}% after {EPOCHS} epochs), and in {} at ten times the rate",
        show(&runs[0].1),
        show(&runs[1].1),
        100.0 * runs[1].1[EPOCHS - 1],
        show(&runs[2].1),
    );

    let series: Vec<Series> = runs
        .iter()
        .map(|(name, c)| Series::numbered(*name, c))
        .collect();
    let axes = Axes {
        x: "epoch",
        y: "held-out accuracy",
        log_y: false,
    };
    let title = "Softmax classifier: cross-entropy versus MSE";
    let path = plot("06-cross-entropy-vs-mse", title, axes, &series)?;
    println!("plot: {}", path.display());
    Ok(())
}
