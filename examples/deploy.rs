//! Deployment, the training side: train the seed MNIST network, save its weights for the
//! firmware in `ffi/`, and write the predictions the firmware must reproduce.
//!
//! ```text
//! cargo run --release --example deploy -- train [ffi/weights/mnist.safetensors]
//! cargo run --example deploy -- expected target/ffi/expected.bin [ffi/weights/mnist.safetensors]
//! ```
//!
//! `train` reads the bundled digits, splits them 80/10/10 (seed 42, stratified), trains with
//! Adam at batch 32 for 8 epochs and saves the weights with `liandan::io::save_weights`.
//!
//! `expected` loads the weights at run time with `liandan::io::load_weights` (the `std` path)
//! and writes, for the first 100 digits of the test split, little-endian: a `u32` count, then
//! per digit its 784 `f32` pixels, its `u32` true label, the `u32` predicted class and the 10
//! `f32` probabilities. `ffi/tests/check.c` reads that file and compares bit for bit.

use anyhow::Context;
use std::io::Write;

use liandan::data::{shuffle, shuffled_indices, Dataset};
use liandan::io::{load_weights, save_weights};
use liandan::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

network! {
    /// The seed's MNIST classifier, as `ffi/` declares it.
    pub struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

const WEIGHTS: &str = "ffi/weights/mnist.safetensors";
const SEED: u64 = 42;
const EPOCHS: u64 = 8;
const BATCH: usize = 32;
/// How many test digits `expected` writes.
const CHECKED: usize = 100;

type Digits = Dataset<f32, Hw<28, 28>>;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["train"] => train(WEIGHTS),
        ["train", path] => train(path),
        ["expected", out] => expected(out, WEIGHTS),
        ["expected", out, path] => expected(out, path),
        _ => anyhow::bail!("usage: deploy train [weights] | deploy expected <out> [weights]"),
    }
}

/// The bundled digits, split into training, evaluation and test parts.
fn digits() -> anyhow::Result<(Digits, Digits, Digits)> {
    let all = Dataset::from_idx(
        "data/mnist/mnist-10k-images-idx3-ubyte.gz",
        "data/mnist/mnist-10k-labels-idx1-ubyte.gz",
        10,
    )?;
    Ok(all.split((0.8, 0.1, 0.1), SEED, true)?)
}

fn train(path: &str) -> anyhow::Result<()> {
    let (train, eval, test) = digits()?;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut net = Mnist::<f32>::new_boxed(&mut rng);
    let mut trainer = Mnist::<f32>::trainer::<Adam, BATCH>(Adam::default());
    let loss = SparseCategoricalCrossentropy::default();
    let (mut x, mut y) = (Batch::<f32, Hw<28, 28>, BATCH>::boxed(), [0; BATCH]);
    let mut order = shuffled_indices(train.len(), SEED);
    for epoch in 1..=EPOCHS {
        shuffle(&mut order, SEED + epoch);
        let mut total = 0.0;
        for batch in train.batches::<BATCH>(&order) {
            let n = batch.fill(&mut x, &mut y)?;
            total += trainer.step(&mut net, &x, &y, n, &loss, &mut rng)? * n as f32;
        }
        let mean = total / train.len() as f32;
        let acc = accuracy(&net, &eval);
        println!("epoch {epoch}  loss {mean:.4}  eval accuracy {acc:.3}");
    }
    println!("test accuracy {:.3}", accuracy(&net, &test));
    save_weights(&*net, path)?;
    println!("saved {path}");
    Ok(())
}

/// The fraction of `data` that `net` classifies correctly.
fn accuracy(net: &Mnist<f32>, data: &Digits) -> f32 {
    let right = (0..data.len())
        .filter(|&i| classify(net, data.sample(i)).map(|(class, _)| class).ok() == data.label(i))
        .count();
    right as f32 / data.len() as f32
}

/// The predicted class and the probabilities of one digit, or an error unless `pixels` is one
/// 28×28 image.
fn classify(net: &Mnist<f32>, pixels: &[f32]) -> Result<(usize, SVector<f32, 10>), liandan::Error> {
    let p = net.predict(&Sample::<f32, Hw<28, 28>>::try_from_slice(pixels)?);
    Ok((p.argmax().0, p))
}

fn expected(out: &str, path: &str) -> anyhow::Result<()> {
    let (_, _, test) = digits()?;
    let mut net = Mnist::<f32>::boxed();
    load_weights(&mut *net, path)?;
    let count = CHECKED.min(test.len());
    let mut bytes = Vec::new();
    bytes.extend((count as u32).to_le_bytes());
    for i in 0..count {
        let pixels = test.sample(i);
        let (class, p) = classify(&net, pixels)?;
        pixels.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
        let label = test.label(i).context("the test digits have labels")?;
        bytes.extend((label as u32).to_le_bytes());
        bytes.extend((class as u32).to_le_bytes());
        p.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
    }
    if let Some(dir) = std::path::Path::new(out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(out)?.write_all(&bytes)?;
    println!("wrote {count} test digits with their predictions to {out}");
    Ok(())
}
