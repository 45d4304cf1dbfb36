//! Iris: three species of flower from four measurements, a classic first classifier.
//!
//! Run with `cargo run --release --example iris`. Teaches: reading a CSV, a stratified split,
//! standardising with statistics of the training part only, and `fit` with validation.

use liandan::data::{CsvOptions, Dataset, Standardizer};
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// Four measurements in, a probability for each of the three species out.
    pub struct Iris {
        input: [4],
        Dense<16, Tanh>,
        Dense<3, Softmax>,
    }
}

fn main() -> anyhow::Result<()> {
    // Column 4 holds the species, 0, 1 or 2; the header line is detected.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/iris.csv");
    let all = Dataset::<f32, Flat<4>>::from_csv(path, &CsvOptions::classes(4, 3))?;
    // Stratified: each part keeps the 50/50/50 balance of the species.
    let (mut train, mut eval, mut test) = all.split((0.7, 0.15, 0.15), 7, true)?;

    // The measurements span different ranges (petal widths 0.1-2.5 cm, sepal lengths
    // 4.3-7.9 cm): scaling each to mean 0 and deviation 1 keeps tanh units out of saturation. The statistics come from the training part
    // only; computing them on the test part would leak it into training.
    let scaler = Standardizer::fit(&train)?;
    for part in [&mut train, &mut eval, &mut test] {
        scaler.apply(part);
    }

    let net = Iris::new_boxed(&mut SplitMix64::new(7));
    // Batch size 16: the last batch of each epoch holds the 105 % 16 = 9 samples left over.
    let mut model: Model<Iris, _, _, 16> = Model::compile(
        net,
        Adam::new(0.01),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy],
    );
    let options = FitOptions::new(50)
        .seed(7)
        .validation_data(&eval)
        .verbosity(Verbosity::Silent);
    let history = model.fit(&train, options)?;
    for epoch in [0, 9, 49] {
        let get = |k| history.get(k).map_or(f64::NAN, |v| v[epoch]);
        println!(
            "epoch {:>2}: loss {:.4}, accuracy {:.4}, eval accuracy {:.4}",
            epoch + 1,
            get("loss"),
            get("accuracy"),
            get("val_accuracy")
        );
    }
    println!("test: {}", model.evaluate(&test)?);
    print!("{}", model.confusion_matrix(&test)?);
    Ok(())
}
