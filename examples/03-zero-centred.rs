//! # 3. Zero-centred activations
//!
//! **Claim.** Hidden units whose outputs are zero-centred (tanh, from -1 to 1) train faster
//! than units whose outputs are all positive (sigmoid, from 0 to 1). The gradient of a weight is
//! `δ·x` with `x` the previous layer's output: when every `x` is positive, all weights into a
//! unit move in the same direction at each step, so reaching a mix of signs takes a zig-zag.
//! (The other half of the story: `tanh(z) = 2σ(2z) - 1`, so tanh's slope peaks at 1 where the
//! sigmoid's peaks at 0.25; both effects point the same way.)
//!
//! **Experiment.** Two networks with two hidden layers of 32 units, sigmoid in one and tanh in
//! the other, from the same seed, trained with plain SGD (no momentum, which would smooth the
//! zig-zag) at the same learning rate on the same batches of 32 digits.
//!
//! **Look for** the loss, averaged over the last 50 steps, at every 200 steps, and the number of
//! steps each network needs to bring that average below 1.0: tanh gets there about ten times
//! sooner. The plot is `target/experiments/03-zero-centred.svg`.
//!
//! ```text
//! cargo run --release --example 03-zero-centred
//! ```

mod common;

use common::plot::{plot, Axes, Series};
use common::*;
use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// Hidden outputs in (0, 1), never centred on zero.
    struct SigmoidNet {
        input: [196],
        Dense<32, Sigmoid>,
        Dense<32, Sigmoid>,
        Dense<10, Softmax>,
    }
}

network! {
    /// Hidden outputs in (-1, 1), centred on zero.
    struct TanhNet {
        input: [196],
        Dense<32, Tanh>,
        Dense<32, Tanh>,
        Dense<10, Softmax>,
    }
}

const EPOCHS: usize = 40;
const WINDOW: usize = 50;
const TARGET: f64 = 1.0;

/// Every step's loss over `EPOCHS` epochs of a fresh `Net`.
fn step_losses<Net>(train: &Dataset<f32, Flat<196>>) -> Result<Vec<f32>>
where
    Net: Network<Element = f32, Input = Flat<196>, Output = Flat<10>> + Train,
{
    let mut rng = SplitMix64::new(11);
    let mut net = Net::new_boxed(&mut rng);
    let mut trainer = Net::trainer::<Sgd, 32>(Sgd::new(0.1));
    let loss = SparseCategoricalCrossentropy::default();
    let mut losses = Vec::new();
    for epoch in 0..EPOCHS {
        let order = epoch_order(train.len(), epoch);
        losses.extend(train_epoch(
            &mut *net,
            &mut trainer,
            train,
            &order,
            &loss,
            &mut rng,
        )?);
    }
    Ok(losses)
}

/// The mean of the `WINDOW` losses up to step `step` (counting from 1).
fn smoothed(losses: &[f32], step: usize) -> f64 {
    mean(&losses[step.saturating_sub(WINDOW)..step])
}

fn main() -> Result<()> {
    let (train, _) = train_eval::<196>(2000)?;
    let sigmoid = step_losses::<SigmoidNet<f32>>(&train)?;
    let tanh = step_losses::<TanhNet<f32>>(&train)?;

    println!(" step  sigmoid loss  tanh loss   (means of the last {WINDOW} steps)");
    for step in (200..=sigmoid.len()).step_by(200) {
        let (s, t) = (smoothed(&sigmoid, step), smoothed(&tanh, step));
        println!("{step:>5}  {s:>12.4}  {t:>9.4}");
    }
    let reached = |l: &[f32]| steps_to(l, WINDOW, TARGET);
    let show = |s: Option<usize>| s.map_or(format!("> {}", sigmoid.len()), |s| s.to_string());
    let (s, t) = (reached(&sigmoid), reached(&tanh));
    println!(
        "steps to a loss below {TARGET:.1}: sigmoid {}, tanh {}",
        show(s),
        show(t)
    );
    let speedup = match (s, t) {
        (Some(s), Some(t)) => format!("{:.1} times sooner", s as f64 / t as f64),
        (None, Some(_)) => "while sigmoid never did".to_string(),
        _ => "(tanh did not get there either)".to_string(),
    };
    println!(
        "\nconclusion: tanh reached a loss of {TARGET:.1} after {} steps, {speedup}; after {} steps \
         the losses are {:.3} (sigmoid) and {:.3} (tanh)",
        show(t),
        sigmoid.len(),
        smoothed(&sigmoid, sigmoid.len()),
        smoothed(&tanh, tanh.len()),
    );

    let curve = |l: &[f32]| -> Vec<f64> { (1..=l.len()).map(|s| smoothed(l, s)).collect() };
    let series = [
        Series::numbered("sigmoid", &curve(&sigmoid)),
        Series::numbered("tanh", &curve(&tanh)),
    ];
    let axes = Axes {
        x: "step",
        y: "training loss (mean of the last 50 steps)",
        log_y: false,
    };
    let path = plot(
        "03-zero-centred",
        "Sigmoid versus tanh hidden layers",
        axes,
        &series,
    )?;
    println!("plot: {}", path.display());
    Ok(())
}
