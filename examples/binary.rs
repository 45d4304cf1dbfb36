//! A binary classifier: is a point inside the unit circle? One sigmoid output, binary
//! cross-entropy, and Keras' "accuracy", which for this loss is binary accuracy (output
//! thresholded at 0.5).
//!
//! Run with `cargo run --release --example binary`.

use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use rand::Rng;

network! {
    /// The probability that the point lies inside the circle.
    pub struct Circle {
        input: [2],
        Dense<16, Relu>,
        Dense<1, Sigmoid>,
    }
}

/// `n` points in `[-1.5, 1.5]²`, class 1 inside the unit circle and 0 outside: two classes
/// for one sigmoid output, which reads them as the targets 0 and 1, as Keras does.
fn points(
    n: usize,
    rng: &mut SplitMix64,
) -> Result<Dataset<f32, Flat<2>>, liandan::data::DataError> {
    let x: Vec<[f32; 2]> = (0..n)
        .map(|_| [rng.random_range(-1.5..1.5), rng.random_range(-1.5..1.5)])
        .collect();
    let labels: Vec<usize> = x
        .iter()
        .map(|p| usize::from(p[0] * p[0] + p[1] * p[1] < 1.0))
        .collect();
    Dataset::classification(&x, &labels, 2)
}

fn main() -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(3);
    let (train, test) = (points(2000, &mut rng)?, points(500, &mut rng)?);
    let net = Circle::new_boxed(&mut rng);
    let mut model: Model<Circle, _, _, 32> = Model::compile(
        net,
        Adam::new(0.01),
        BinaryCrossentropy::default(),
        &[Metric::Accuracy],
    );
    let history = model.fit(
        &train,
        FitOptions::new(30).seed(3).verbosity(Verbosity::Silent),
    )?;
    let acc = history.get("accuracy").unwrap_or(&[]);
    println!(
        "training accuracy: epoch 1 {:.4}, epoch 30 {:.4}",
        acc[0],
        acc[acc.len() - 1]
    );
    println!("test: {}", model.evaluate(&test)?);
    for p in [[0.0, 0.0], [0.9, 0.0], [1.1, 0.0], [1.0, 1.0]] {
        let y = model.network().predict(&SVector::from(p))[0];
        println!("P(inside | {p:?}) = {y:.3}");
    }
    Ok(())
}
