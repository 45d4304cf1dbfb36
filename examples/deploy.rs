//! Deployment, the training side: train the seed MNIST network, save its weights for the
//! firmware in `ffi/`, and write the predictions the firmware must reproduce.
//!
//! ```text
//! cargo run --release --example deploy -- train [ffi/weights/mnist.safetensors]
//! cargo run --example deploy -- expected target/ffi/expected.bin [ffi/weights/mnist.safetensors]
//! cargo run --example deploy -- expected-convnet target/ffi/expected_convnet.bin [ffi/weights/convnet.safetensors]
//! cargo run --release --example deploy -- quantize
//! cargo run --example deploy -- expected-int8 target/ffi/expected_int8.bin [ffi/weights/mnist-int8.safetensors]
//! cargo run --example deploy -- expected-int8-convnet target/ffi/expected_int8_convnet.bin [ffi/weights/convnet-int8.safetensors]
//! ```
//!
//! `train` reads the bundled digits, splits them 80/10/10 (seed 42, stratified), trains with
//! Adam at batch 32 for 8 epochs and saves the weights with `liandan::io::save_weights`.
//!
//! `expected` loads the weights at run time with `liandan::io::load_weights` (the `std` path)
//! and writes, for the first 100 digits of the test split, little-endian: a `u32` count, then
//! per digit its 784 `f32` pixels, its `u32` true label, the `u32` predicted class and the 10
//! `f32` probabilities. `ffi/tests/check.c` reads that file and compares bit for bit.
//! `expected-convnet` does the same with keras.io's convnet and the weights
//! `cargo run --release --example mnist_cnn` saved (copied to `ffi/weights/convnet.safetensors`).
//!
//! `quantize` calibrates both trained networks on the first 1,000 digits of the training
//! split and writes their int8 forms to `ffi/weights/mnist-int8.safetensors` and
//! `ffi/weights/convnet-int8.safetensors` (`liandan::quant::calibrate`). `expected-int8` loads
//! the seed network's file at run time (`liandan::quant::file::load`) and writes per test digit
//! its pixels, label and class as `expected` does (the probabilities dequantised), then the 10
//! int8 outputs of every digit, for `check.c` to compare bit for bit; `expected-int8-convnet`
//! does the same with the convnet's.

use anyhow::Context;
use std::io::Write;

use liandan::data::{shuffle, shuffled_indices, Dataset};
use liandan::io::{load_weights, save_weights};
use liandan::layer::{In, Out};
use liandan::prelude::*;
use liandan::quant::{Int8Network, Quantize};
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

network! {
    /// keras.io's convnet, as `ffi/` declares it.
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

const WEIGHTS: &str = "ffi/weights/mnist.safetensors";
/// The convnet's weights, as `examples/mnist_cnn.rs` saves them (seed 42).
const CONVNET_WEIGHTS: &str = "ffi/weights/convnet.safetensors";
/// The seed network's int8 form, as `quantize` writes it.
const INT8_WEIGHTS: &str = "ffi/weights/mnist-int8.safetensors";
/// The convnet's int8 form, as `quantize` writes it.
const CONVNET_INT8_WEIGHTS: &str = "ffi/weights/convnet-int8.safetensors";
/// How many training digits calibrate the int8 networks.
const CALIBRATION: usize = 1000;
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
        ["expected-convnet", out] => expected_convnet(out, CONVNET_WEIGHTS),
        ["expected-convnet", out, path] => expected_convnet(out, path),
        ["quantize"] => quantize(),
        ["expected-int8", out] => expected_int8::<MnistInt8>(out, INT8_WEIGHTS),
        ["expected-int8", out, path] => expected_int8::<MnistInt8>(out, path),
        ["expected-int8-convnet", out] => {
            expected_int8::<ConvnetInt8>(out, CONVNET_INT8_WEIGHTS)
        }
        ["expected-int8-convnet", out, path] => expected_int8::<ConvnetInt8>(out, path),
        _ => anyhow::bail!(
            "usage: deploy train [weights] | expected <out> [weights] | expected-convnet <out> [weights] \
             | quantize | expected-int8 <out> [weights] | expected-int8-convnet <out> [weights]"
        ),
    }
}

/// Training, evaluation and test parts of one dataset.
type Splits<S> = (Dataset<f32, S>, Dataset<f32, S>, Dataset<f32, S>);

/// The bundled digits as samples of shape `S`, split into training, evaluation and test parts.
fn digits<S: liandan::shape::Shape>() -> anyhow::Result<Splits<S>> {
    let all = Dataset::from_idx(
        "data/mnist/mnist-10k-images-idx3-ubyte.gz",
        "data/mnist/mnist-10k-labels-idx1-ubyte.gz",
        10,
    )?;
    Ok(all.split((0.8, 0.1, 0.1), SEED, true)?)
}

fn train(path: &str) -> anyhow::Result<()> {
    let (train, eval, test) = digits::<Hw<28, 28>>()?;
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
    let mut net = Mnist::<f32>::boxed();
    load_weights(&mut *net, path)?;
    write_expected::<Hw<28, 28>>(out, |pixels| classify(&net, pixels))
}

/// The convnet's predictions, as `expected` writes the seed network's.
fn expected_convnet(out: &str, path: &str) -> anyhow::Result<()> {
    let mut net = Convnet::<f32>::boxed();
    load_weights(&mut *net, path)?;
    let mut y = SVector::<f32, 10>::zeros();
    let mut scratch = ConvnetScratch::<f32, 1>::boxed();
    write_expected::<Hwc<28, 28, 1>>(out, |pixels| {
        let x = Sample::<f32, Hwc<28, 28, 1>>::try_from_slice(pixels)?;
        net.forward(&x, &mut y, &mut scratch);
        Ok((y.argmax().0, y))
    })
}

/// Calibrates the trained networks on training digits and writes their int8 files.
fn quantize() -> anyhow::Result<()> {
    let mut mlp = Mnist::<f32>::boxed();
    load_weights(&mut *mlp, WEIGHTS)?;
    quantize_one("seed network", &*mlp, INT8_WEIGHTS)?;
    let mut convnet = Convnet::<f32>::boxed();
    load_weights(&mut *convnet, CONVNET_WEIGHTS)?;
    quantize_one("convnet", &*convnet, CONVNET_INT8_WEIGHTS)
}

/// Calibrates `net` on the first training digits, writes its int8 file to `path`, and prints
/// both precisions' test accuracy.
fn quantize_one<N: Quantize>(name: &str, net: &N, path: &str) -> anyhow::Result<()> {
    let (train, _, test) = digits::<N::Input>()?;
    let calibration = train.subset(&(0..CALIBRATION.min(train.len())).collect::<Vec<_>>())?;
    let ranges = liandan::quant::calibrate(net, &calibration)?;
    ranges.save(net, path)?;
    let int8 = ranges.quantize(net)?;
    let (mut x, mut y) = (In::<N, 1>::boxed(), Out::<N, 1>::boxed());
    let mut scratch = N::Scratch::<1>::boxed();
    let float_right = (0..test.len())
        .filter(|&i| {
            x.as_mut_slice().copy_from_slice(test.sample(i));
            net.forward(&x, &mut y, &mut scratch);
            Some(argmax(y.as_slice())) == test.label(i)
        })
        .count();
    let int8_right = (0..test.len())
        .filter(|&i| Some(classify_int8(&*int8, test.sample(i)).0) == test.label(i))
        .count();
    let share = |right: usize| right as f32 / test.len() as f32;
    println!("{name}: float test accuracy {:.4}", share(float_right));
    println!("{name}: int8 test accuracy {:.4}", share(int8_right));
    println!("saved {path}");
    Ok(())
}

/// The index of the largest value, the first of equals.
fn argmax<T: PartialOrd>(v: &[T]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

/// The class and the int8 outputs of one sample.
fn classify_int8<N: Int8Network>(net: &N, pixels: &[f32]) -> (usize, Vec<i8>) {
    let input = net.input_quantization();
    let mut x = In::<N, 1>::boxed();
    x.as_mut_slice()
        .iter_mut()
        .zip(pixels)
        .for_each(|(q, &p)| *q = input.quantize(p));
    let mut y = Out::<N, 1>::boxed();
    net.forward(&x, &mut y, &mut N::Scratch::<1>::boxed());
    (argmax(y.as_slice()), y.as_slice().to_vec())
}

/// An int8 network's classes and outputs: per digit as `expected` writes (the probabilities
/// dequantised), then every digit's 10 int8 outputs.
fn expected_int8<N: Int8Network>(out: &str, path: &str) -> anyhow::Result<()>
where
    N::Input: liandan::shape::Shape,
{
    let net = liandan::quant::file::load::<N>(path)?;
    let mut outputs = Vec::new();
    let dequantize = net.output_quantization();
    write_expected::<N::Input>(out, |pixels| {
        let (class, y) = classify_int8(&*net, pixels);
        let p = SVector::from_fn(|i, _| dequantize.dequantize(y[i]));
        outputs.extend(y.iter().map(|&v| v as u8));
        Ok((class, p))
    })?;
    let mut bytes = std::fs::read(out)?;
    bytes.extend(outputs);
    std::fs::write(out, bytes)?;
    Ok(())
}

/// Writes the first test digits and what `classify` says of each, in the format above.
fn write_expected<S: liandan::shape::Shape>(
    out: &str,
    mut classify: impl FnMut(&[f32]) -> Result<(usize, SVector<f32, 10>), liandan::Error>,
) -> anyhow::Result<()> {
    let (_, _, test) = digits::<S>()?;
    let count = CHECKED.min(test.len());
    let mut bytes = Vec::new();
    bytes.extend((count as u32).to_le_bytes());
    for i in 0..count {
        let pixels = test.sample(i);
        let (class, p) = classify(pixels)?;
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
