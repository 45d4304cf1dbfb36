//! Regression: learn `y = sin(x₁) + x₂²/2` from noisy samples, measured by MSE and MAE.
//!
//! Run with `cargo run --release --example regression`. Teaches: real-valued targets, an
//! identity output (Keras' `Dense(1)`), mean squared error as the loss and mean absolute error
//! as a metric.

use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use rand::Rng;

network! {
    /// Two inputs, two hidden layers, one real output (no activation).
    pub struct Curve {
        input: [2],
        Dense<32, Tanh>,
        Dense<32, Tanh>,
        Dense<1>,
    }
}

fn target(x: [f64; 2]) -> f64 {
    x[0].sin() + x[1] * x[1] / 2.0
}

/// `n` points drawn uniformly in `[-2, 2]²`, their targets with bell-shaped noise of
/// deviation `noise`: a sum of three uniforms on `[-1, 1]` has variance `3·(1/3) = 1`.
fn samples(
    n: usize,
    noise: f64,
    rng: &mut SplitMix64,
) -> Result<Dataset<f64, Flat<2>>, liandan::data::DataError> {
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let p = [rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0)];
        let jitter: f64 = (0..3).map(|_| rng.random_range(-1.0..1.0)).sum::<f64>();
        x.push(p);
        y.push([target(p) + noise * jitter]);
    }
    Dataset::regression(&x, &y)
}

fn main() -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(1);
    let train = samples(2000, 0.1, &mut rng)?;
    let test = samples(500, 0.0, &mut rng)?; // noise-free: how close to the true function?

    let net = Curve::<f64>::new_boxed(&mut rng);
    let mut model: Model<Curve<f64>, _, _, 32> = Model::compile(
        net,
        Adam::new(0.005),
        MeanSquaredError,
        &[Metric::MeanAbsoluteError],
    );
    // Keras' validation_split: the last 10% of the training samples, never trained on.
    let options = FitOptions::new(40).seed(1).validation_split(0.1);
    let history = model.fit(&train, options.verbosity(Verbosity::Silent))?;
    let last = history.epochs() - 1;
    let at = |k: &str| history.get(k).map_or(f64::NAN, |v| v[last]);
    println!(
        "after {} epochs: loss (mse) {:.4}, mae {:.4}, val mse {:.4}, val mae {:.4}",
        last + 1,
        at("loss"),
        at("mean_absolute_error"),
        at("val_loss"),
        at("val_mean_absolute_error")
    );
    // The training noise has deviation 0.1, so the training MSE cannot go much below 0.01; on
    // noise-free test points the MSE measures the fit itself.
    println!("test (noise-free): {}", model.evaluate(&test)?);
    for p in [[0.0, 0.0], [1.5, -1.0], [-1.0, 2.0]] {
        let y = model.network().predict(&SVector::from(p))[0];
        println!(
            "f({:>4}, {:>4}) = {y:>7.4}  (true {:.4})",
            p[0],
            p[1],
            target(p)
        );
    }
    Ok(())
}
