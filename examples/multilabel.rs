//! A multi-label classifier: each sample may have several labels at once. One sigmoid output
//! per label (not a softmax: the labels do not compete), binary cross-entropy averaged over
//! them, and binary accuracy per label.
//!
//! Run with `cargo run --release --example multilabel`.
//!
//! The task: for a point `(x₁, x₂)` in `[-1, 1]²`, three yes/no questions: is `x₁ > 0`? is
//! `x₂ > 0`? is it inside the circle of radius 0.7?

use liandan::data::Dataset;
use liandan::metrics::Metric;
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use rand::Rng;

network! {
    /// Three independent probabilities.
    pub struct Tags {
        input: [2],
        Dense<24, Relu>,
        Dense<3, Sigmoid>,
    }
}

const NAMES: [&str; 3] = ["right half", "upper half", "inside r=0.7"];

fn tags(p: [f32; 2]) -> [f32; 3] {
    let yes = |b: bool| f32::from(u8::from(b));
    [
        yes(p[0] > 0.0),
        yes(p[1] > 0.0),
        yes(p[0] * p[0] + p[1] * p[1] < 0.49),
    ]
}

fn points(
    n: usize,
    rng: &mut SplitMix64,
) -> Result<Dataset<f32, Flat<2>>, liandan::data::DataError> {
    let x: Vec<[f32; 2]> = (0..n)
        .map(|_| [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)])
        .collect();
    let y: Vec<[f32; 3]> = x.iter().map(|&p| tags(p)).collect();
    Dataset::regression(&x, &y)
}

fn main() -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(5);
    let (train, test) = (points(3000, &mut rng)?, points(500, &mut rng)?);
    let net = Tags::new_boxed(&mut rng);
    // "accuracy" with binary cross-entropy is binary accuracy: each of the 3 outputs is
    // thresholded at 0.5 and compared with its label, then averaged.
    let mut model: Model<Tags, _, _, 32> = Model::compile(
        net,
        Adam::new(0.01),
        BinaryCrossentropy::default(),
        &[Metric::Accuracy, Metric::MeanAbsoluteError],
    );
    model.fit(
        &train,
        FitOptions::new(30).seed(5).verbosity(Verbosity::Silent),
    )?;
    println!("test: {}", model.evaluate(&test)?);
    for p in [[0.5, 0.5], [-0.2, 0.1], [0.9, -0.9]] {
        let y = model.network().predict(&SVector::from(p));
        let on: Vec<&str> = (0..3).filter(|&i| y[i] > 0.5).map(|i| NAMES[i]).collect();
        println!("{p:?}: {on:?}  (true {:?})", tags(p));
    }
    Ok(())
}
