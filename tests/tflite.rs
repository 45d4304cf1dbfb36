//! Int8 inference bit for bit as TFLite's: the seed network and the convnet converted by
//! TensorFlow's `TFLiteConverter` (full-integer quantisation), their tensors, scales and zero
//! points extracted from the `.tflite` files into int8 files, and the outputs of TFLite's
//! reference kernels on all 10,000 bundled digits (`tools/tflite/`; CI does not run
//! TensorFlow, it reads what the tool committed in `tests/fixtures/int8/`).

use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::quant::Int8Network;
use safetensors::SafeTensors;

/// The networks with TFLite's parameters compiled in, named as the files record them.
mod tflite {
    use liandan::prelude::*;

    network! {
        pub struct Mnist {
            input: [28, 28],
            Flatten,
            Dense<128, Relu>,
            Dropout<0.2>,
            Dense<10, Softmax>,
            weights: "tests/fixtures/int8/mnist.tflite.safetensors",
        }
    }

    network! {
        pub struct Convnet {
            input: [28, 28, 1],
            Conv2D<32, 3x3, Relu>,
            MaxPooling2D<2>,
            Conv2D<64, 3x3, Relu>,
            MaxPooling2D<2>,
            Flatten,
            Dropout<0.5>,
            Dense<10, Softmax>,
            weights: "tests/fixtures/int8/convnet.tflite.safetensors",
        }
    }
}

/// The samples inference runs at once; also one, the batch a deployed classifier runs (its
/// products take other paths).
const BATCH: usize = 100;

fn digits<S: liandan::shape::Shape>() -> Dataset<f32, S> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist/");
    let images = format!("{dir}mnist-10k-images-idx3-ubyte.gz");
    let labels = format!("{dir}mnist-10k-labels-idx1-ubyte.gz");
    Dataset::from_idx(images, labels, 10).unwrap()
}

/// TFLite's outputs (10 per digit) and the sum of each digit's int8 input.
fn expected(name: &str) -> (Vec<i8>, Vec<i64>) {
    let path = format!("{}/tests/fixtures/int8/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(path).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let outputs = file
        .tensor("outputs")
        .unwrap()
        .data()
        .iter()
        .map(|&b| b as i8);
    let sums = file.tensor("input_sums").unwrap();
    let sums = sums
        .data()
        .chunks_exact(8)
        .map(|w| i64::from_le_bytes(w.try_into().unwrap()));
    (outputs.collect(), sums.collect())
}

/// Runs `net` on every digit, `B` at a time, quantising its pixels, and counts the digits
/// whose input sum or outputs differ from TFLite's.
fn mismatches<N: Int8Network, const B: usize>(
    net: &N,
    outputs: &[i8],
    sums: &[i64],
) -> (usize, usize)
where
    N::Output: liandan::shape::Shape,
{
    let data = digits::<N::Input>();
    let mut x = liandan::layer::In::<N, B>::boxed();
    let mut y = liandan::layer::Out::<N, B>::boxed();
    let mut scratch = liandan::layer::Scratch::<N, B>::boxed();
    let (width, classes) = (x.as_slice().len() / B, y.as_slice().len() / B);
    let input = net.input_quantization();
    let (mut inputs_wrong, mut outputs_wrong) = (0, 0);
    for first in (0..data.len()).step_by(B) {
        for (j, q) in x.as_mut_slice().chunks_exact_mut(width).enumerate() {
            let pixels = data.sample(first + j);
            q.iter_mut()
                .zip(pixels)
                .for_each(|(q, &p)| *q = input.quantize(p));
            let sum: i64 = q.iter().map(|&v| i64::from(v)).sum();
            inputs_wrong += usize::from(sum != sums[first + j]);
        }
        net.forward(&x, &mut y, &mut scratch);
        for (j, y) in y.as_slice().chunks_exact(classes).enumerate() {
            let at = (first + j) * classes;
            outputs_wrong += usize::from(y != &outputs[at..at + classes]);
        }
    }
    (inputs_wrong, outputs_wrong)
}

/// Asserts that `net` gives TFLite's outputs (in the file `expected_file`) on every digit,
/// `B` at a time.
fn equals_tflite<N: Int8Network, const B: usize>(net: &N, expected_file: &str)
where
    N::Output: liandan::shape::Shape,
{
    let (outputs, sums) = expected(expected_file);
    assert_eq!(sums.len(), 10_000);
    let (inputs, outputs) = mismatches::<N, B>(net, &outputs, &sums);
    assert_eq!(
        (inputs, outputs),
        (0, 0),
        "digits whose (input, output) differ, {B} at a time"
    );
}

static MNIST: tflite::Mnist = tflite::Mnist::WEIGHTS;
static CONVNET: tflite::Convnet = tflite::Convnet::WEIGHTS;

#[test]
fn the_seed_network_equals_tflite_on_every_digit() {
    equals_tflite::<_, BATCH>(&MNIST, "mnist.expected.safetensors");
}

#[test]
fn the_seed_network_equals_tflite_one_digit_at_a_time() {
    equals_tflite::<_, 1>(&MNIST, "mnist.expected.safetensors");
}

#[test]
fn the_convnet_equals_tflite_on_every_digit() {
    equals_tflite::<_, BATCH>(&CONVNET, "convnet.expected.safetensors");
}

#[test]
fn the_convnet_equals_tflite_one_digit_at_a_time() {
    equals_tflite::<_, 1>(&CONVNET, "convnet.expected.safetensors");
}
