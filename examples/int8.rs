//! What int8 costs in accuracy: the seed network and keras.io's convnet trained with five
//! seeds each on the bundled digits, calibrated on 1,000 training digits, quantised, and both
//! precisions evaluated on the test digits.
//!
//! ```text
//! cargo run --release --example int8 [-- --seeds 5]
//! ```
//!
//! The digits are split 80/10/10 (seed 42, stratified) as `mnist` splits them; seed `s` draws
//! the initial weights, the batches and dropout. The seed network trains as `mnist` does
//! (Adam, batch 32, 10 epochs), the convnet as `mnist_cnn` (Adam, batch 128, 15 epochs). Per
//! run it prints the float and int8 test accuracies and how often the two predict the same
//! class; then the means.

use liandan::data::Dataset;
use liandan::layer::{In, Out, Scratch};
use liandan::prelude::*;
use liandan::quant::{calibrate, Int8Network, Quantize};
use liandan::rng::SplitMix64;
use liandan::shape::Shape;

network! {
    /// The seed's MNIST classifier.
    pub struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

network! {
    /// keras.io's "Simple MNIST convnet".
    pub struct Convnet {
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

/// Training digits calibration sees.
const CALIBRATION: usize = 1000;

/// One run's figures: float accuracy, int8 accuracy, and the fraction predicted alike.
struct Run {
    float: f64,
    int8: f64,
    same: f64,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds = match args.as_slice() {
        [] => 5,
        [flag, n] if flag == "--seeds" => n.parse()?,
        _ => anyhow::bail!("usage: int8 [--seeds N]"),
    };
    println!("model    seed  float acc  int8 acc  same class");
    let mlp: Vec<Run> = (1..=seeds)
        .map(|seed| run::<Mnist<f32>, 32>("mlp", seed, 10))
        .collect::<anyhow::Result<_>>()?;
    let cnn: Vec<Run> = (1..=seeds)
        .map(|seed| run::<Convnet<f32>, 128>("convnet", seed, 15))
        .collect::<anyhow::Result<_>>()?;
    for (name, runs) in [("mlp", &mlp), ("convnet", &cnn)] {
        let mean = |f: fn(&Run) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        let (float, int8, same) = (mean(|r| r.float), mean(|r| r.int8), mean(|r| r.same));
        println!(
            "{name:<8} mean  {:>8.2}%  {:>7.2}%  {:>9.2}%   int8 - float: {:+.2} points",
            100.0 * float,
            100.0 * int8,
            100.0 * same,
            100.0 * (int8 - float)
        );
    }
    Ok(())
}

/// The bundled digits, split 80/10/10 with seed 42.
fn digits<S: Shape>() -> anyhow::Result<(Dataset<f32, S>, Dataset<f32, S>)> {
    let all = Dataset::from_idx(
        "data/mnist/mnist-10k-images-idx3-ubyte.gz",
        "data/mnist/mnist-10k-labels-idx1-ubyte.gz",
        10,
    )?;
    let (train, _, test) = all.split((0.8, 0.1, 0.1), 42, true)?;
    Ok((train, test))
}

/// Trains `N` with `seed`, quantises it, and evaluates both precisions on the test digits.
fn run<N, const B: usize>(name: &str, seed: u64, epochs: usize) -> anyhow::Result<Run>
where
    N: Quantize + Network + Forward<Output = Flat<10>>,
{
    let (train, test) = digits::<N::Input>()?;
    let net = N::new_boxed(&mut SplitMix64::new(seed));
    let loss = SparseCategoricalCrossentropy::default();
    let mut model: Model<N, _, _, B> =
        Model::compile(net, Adam::default(), loss, &[Metric::Accuracy]);
    model.fit(
        &train,
        FitOptions::new(epochs)
            .seed(seed)
            .verbosity(Verbosity::Silent),
    )?;
    let net = model.network();
    let calibration_set = train.subset(&(0..CALIBRATION).collect::<Vec<_>>())?;
    let int8 = calibrate(net, &calibration_set)?.quantize(net)?;
    let run = compare(net, &int8, &test);
    println!(
        "{name:<8} {seed:>4}  {:>8.2}%  {:>7.2}%  {:>9.2}%",
        100.0 * run.float,
        100.0 * run.int8,
        100.0 * run.same
    );
    Ok(run)
}

/// Both precisions on every test digit, one at a time.
fn compare<N: Quantize>(net: &N, int8: &N::Int8, test: &Dataset<f32, N::Input>) -> Run {
    let (mut x, mut y) = (In::<N, 1>::boxed(), Out::<N, 1>::boxed());
    let (mut xq, mut yq) = (In::<N::Int8, 1>::boxed(), Out::<N::Int8, 1>::boxed());
    let (mut scratch, mut scratch_q) = (Scratch::<N, 1>::boxed(), Scratch::<N::Int8, 1>::boxed());
    let input = int8.input_quantization();
    let (mut float, mut quantised, mut same) = (0, 0, 0);
    for i in 0..test.len() {
        let pixels = test.sample(i);
        x.as_mut_slice().copy_from_slice(pixels);
        let pairs = xq.as_mut_slice().iter_mut().zip(pixels);
        pairs.for_each(|(q, &p)| *q = input.quantize(p));
        net.forward(&x, &mut y, &mut scratch);
        int8.forward(&xq, &mut yq, &mut scratch_q);
        let (a, b) = (argmax(y.as_slice()), argmax(yq.as_slice()));
        float += usize::from(Some(a) == test.label(i));
        quantised += usize::from(Some(b) == test.label(i));
        same += usize::from(a == b);
    }
    let n = test.len() as f64;
    Run {
        float: float as f64 / n,
        int8: quantised as f64 / n,
        same: same as f64 / n,
    }
}

/// The index of the largest value, the first of equals.
fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}
