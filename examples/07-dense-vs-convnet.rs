//! # 7. A dense network against a convnet
//!
//! **Claim.** On images, a convolution's weight sharing buys accuracy with fewer weights: each
//! filter looks for one local pattern everywhere in the image, where a dense layer must learn
//! every position apart. The price is arithmetic: every filter is applied at every position.
//!
//! **Experiment.** The seed's dense network (`Flatten`, `Dense<128, Relu>`, `Dropout<0.2>`,
//! `Dense<10, Softmax>`) and keras.io's convnet (tour chapter 20), trained on the same 8,000
//! bundled digits, split as `examples/mnist.rs` splits them (seed 42), with Adam at batch 128
//! for 15 epochs each, and tested on the same 999 digits.
//!
//! **Look for** the parameters (the convnet has about a third), the test accuracy (the convnet
//! makes about half the errors) and the training time (the convnet does about 35 times the
//! arithmetic per sample, 14.3 against 0.41 MFLOP in a training step, and takes tens of times as
//! long). Times
//! depend on the machine and the run: they illustrate, they prove nothing.
//!
//! ```text
//! cargo run --release --example 07-dense-vs-convnet
//! ```

use std::time::Instant;

use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use liandan::shape::Shape;

network! {
    /// The seed's MNIST classifier.
    struct Dense { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>, Dense<10, Softmax> }
}

network! {
    /// keras.io's "simple MNIST convnet".
    struct Convnet {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>,
        MaxPooling2D<2>,
        Flatten,
        Dropout<0.5>,
        Dense<10, Softmax>,
    }
}

const SEED: u64 = 42;
const EPOCHS: usize = 15;

/// The bundled digits as samples of shape `S`, split 80/10/10 as `examples/mnist.rs` does.
fn digits<S: Shape>() -> anyhow::Result<(Dataset<f32, S>, Dataset<f32, S>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
    let all = Dataset::<f32, S>::from_idx(
        format!("{dir}/mnist-10k-images-idx3-ubyte.gz"),
        format!("{dir}/mnist-10k-labels-idx1-ubyte.gz"),
        10,
    )?;
    let (train, _, test) = all.split((0.8, 0.1, 0.1), SEED, true)?;
    Ok((train, test))
}

/// Trains a fresh network of type `$net` from seed 42 on `$train` and gives its accuracy on
/// `$test` and the seconds `fit` took (a macro: each network is its own type).
macro_rules! run {
    ($net:ty, $train:expr, $test:expr) => {{
        let net = <$net>::new_boxed(&mut SplitMix64::new(SEED));
        let loss = SparseCategoricalCrossentropy::default();
        let mut model: Model<$net, _, _, 128> =
            Model::compile(net, Adam::default(), loss, &[Metric::Accuracy]);
        let options = FitOptions::new(EPOCHS)
            .seed(SEED)
            .verbosity(Verbosity::Silent);
        let start = Instant::now();
        model.fit($train, options)?;
        let seconds = start.elapsed().as_secs_f64();
        let logs = model.evaluate($test)?;
        (logs.get("accuracy").unwrap_or(f64::NAN), seconds)
    }};
}

fn main() -> anyhow::Result<()> {
    let (train, test) = digits::<Hw<28, 28>>()?;
    let dense = run!(Dense<f32>, &train, &test);
    let (train, test) = digits::<Hwc<28, 28, 1>>()?;
    let convnet = run!(Convnet<f32>, &train, &test);
    println!(
        "{} training and {} test digits; Adam, batch 128, {EPOCHS} epochs\n",
        train.len(),
        test.len()
    );
    println!("network   parameters   test accuracy   training time");
    for (name, params, (accuracy, seconds)) in [
        ("dense", Dense::<f32>::param_count(), dense),
        ("convnet", Convnet::<f32>::param_count(), convnet),
    ] {
        println!(
            "{name:<9} {params:>10}   {:>12.2}%   {seconds:>11.1} s",
            100.0 * accuracy
        );
    }
    Ok(())
}
