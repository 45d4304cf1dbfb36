//! # 5. Dead ReLUs
//!
//! **Claim.** A ReLU unit whose pre-activation `z = w·x + b` is negative for every sample outputs
//! 0 and has slope 0 everywhere on the data: no gradient reaches its weights, so it never comes
//! back. One too-large step (a big learning rate) can push many units there for good. LeakyRelu
//! (slope 0.2 below zero) cannot die this way; Swish (`z·σ(z)`) has a small slope below zero
//! and rarely does.
//!
//! **Experiment.** One hidden layer of 64 units, trained with plain SGD for 5 epochs on the
//! digits: with ReLU at a good learning rate (0.1) and at a too-large one (1), then with LeakyRelu and
//! with Swish at the too-large rate. Afterwards each hidden unit's `z` is computed on every
//! training sample: a unit is *never positive* if `z ≤ 0` on all of them, and *dead* if the
//! activation's slope stays below 1e-4 on all of them.
//!
//! **Look for** the ReLU row at the large rate: about a third of the units dead, a third of the
//! layer wasted. LeakyRelu and Swish at the same rate may have units that are never positive,
//! but none dead: their slope below zero keeps them learning, and they end more accurate. The plot is `target/experiments/05-dead-relu.svg`: dead units after each epoch.
//!
//! ```text
//! cargo run --release --example 05-dead-relu
//! ```

mod common;

use common::plot::{plot, Axes, Series};
use common::*;
use liandan::activation::Elementwise;
use liandan::data::Dataset;
use liandan::layers::Dense;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// The rectifier, `max(0, z)`.
    struct ReluNet { input: [196], Dense<64, Relu>, Dense<10, Softmax> }
}

network! {
    /// The leaky rectifier, `z` or `0.2·z`.
    struct LeakyNet { input: [196], Dense<64, LeakyRelu>, Dense<10, Softmax> }
}

network! {
    /// Swish, `z·σ(z)`.
    struct SwishNet { input: [196], Dense<64, Swish>, Dense<10, Softmax> }
}

const GOOD: f64 = 0.1;
const LARGE: f64 = 1.0;
const EPOCHS: usize = 5;

/// What one run left behind.
struct Run {
    name: &'static str,
    lr: f64,
    /// The census of the hidden layer after each epoch.
    census: Vec<Census>,
    accuracy: f64,
}

/// Trains a fresh `Net`, whose hidden layer `hidden` picks out, at learning rate `lr`.
fn run<Net, A>(
    name: &'static str,
    lr: f64,
    hidden: impl Fn(&Net) -> &Dense<f32, 196, 64, A>,
    (train, eval): (&Dataset<f32, Flat<196>>, &Dataset<f32, Flat<196>>),
) -> Result<Run>
where
    Net: Network<Element = f32, Input = Flat<196>, Output = Flat<10>> + Train,
    A: Elementwise,
{
    // The same seed for every run: the same initial weights and batches.
    let mut rng = SplitMix64::new(21);
    let mut net = Net::new_boxed(&mut rng);
    let mut trainer = Net::trainer::<Sgd, 32>(Sgd::new(lr));
    let loss = SparseCategoricalCrossentropy::default();
    let mut census = Vec::new();
    for epoch in 0..EPOCHS {
        let order = epoch_order(train.len(), epoch);
        train_epoch(&mut *net, &mut trainer, train, &order, &loss, &mut rng)?;
        census.push(unit_census(hidden(&net), train));
    }
    Ok(Run {
        name,
        lr,
        census,
        accuracy: accuracy(&*net, eval),
    })
}

fn main() -> Result<()> {
    let (train, eval) = train_eval::<196>(2000)?;
    let data = (&train, &eval);
    let runs = [
        run("ReLU", GOOD, |n: &ReluNet| &n.dense_1, data)?,
        run("ReLU", LARGE, |n: &ReluNet| &n.dense_1, data)?,
        run("LeakyRelu", LARGE, |n: &LeakyNet| &n.dense_1, data)?,
        run("Swish", LARGE, |n: &SwishNet| &n.dense_1, data)?,
    ];

    println!("activation   lr  never positive   dead  accuracy");
    for r in &runs {
        let c = r.census[EPOCHS - 1];
        println!(
            "{:<10}  {:>3}  {:>13.1}%  {:>4.1}%  {:>7.1}%",
            r.name,
            r.lr,
            100.0 * c.never_positive,
            100.0 * c.dead,
            100.0 * r.accuracy,
        );
    }
    let dead = |r: &Run| 100.0 * r.census[EPOCHS - 1].dead;
    println!(
        "\nconclusion: at lr {LARGE}, {:.0}% of the ReLU units are dead ({:.0}% at lr {GOOD}) and \
         the accuracy is {:.0}%; LeakyRelu has {:.0}% dead ({:.0}% accuracy), Swish {:.0}% \
         ({:.0}% accuracy)",
        dead(&runs[1]),
        dead(&runs[0]),
        100.0 * runs[1].accuracy,
        dead(&runs[2]),
        100.0 * runs[2].accuracy,
        dead(&runs[3]),
        100.0 * runs[3].accuracy,
    );

    let series: Vec<Series> = runs
        .iter()
        .map(|r| {
            let dead: Vec<f64> = r.census.iter().map(|c| 100.0 * c.dead).collect();
            Series::numbered(format!("{} lr {}", r.name, r.lr), &dead)
        })
        .collect();
    let axes = Axes {
        x: "epoch",
        y: "dead hidden units (%)",
        log_y: false,
    };
    let path = plot(
        "05-dead-relu",
        "Dead hidden units after each epoch",
        axes,
        &series,
    )?;
    println!("plot: {}", path.display());
    Ok(())
}
