//! Weights compiled in with `network!`'s `weights:` entry: the same network as loading the file
//! at run time, bit for bit, built by the compiler.

use liandan::io::load_weights;
use liandan::prelude::*;

network! {
    /// The numpy/Keras interop fixture's network, its weights compiled in.
    #[derive(Debug, PartialEq)]
    struct Keras {
        input: [4],
        Dense<5, Relu>,
        Dense<3, Softmax>,
        weights: "tests/fixtures/keras_tiny.safetensors",
    }
}

network! {
    /// The seed network with the weights `examples/deploy.rs` trained for `ffi/`.
    #[derive(Debug, PartialEq)]
    struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
        weights: "ffi/weights/mnist.safetensors",
    }
}

network! {
    /// Iris' statistics in a `Normalization` layer (its buffers), then a classifier: the
    /// fixture was written by `save_weights` after `adapt` on `data/iris.csv`.
    #[derive(Debug, PartialEq)]
    struct Scaled {
        input: [4],
        Normalization,
        Dense<3, Softmax>,
        weights: "tests/fixtures/normalized_iris.safetensors",
    }
}

/// In read-only memory: nothing runs to build it.
static KERAS: Keras = Keras::WEIGHTS;
static MNIST: Mnist = Mnist::WEIGHTS;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn compiled_in_weights_equal_the_file_loaded_at_run_time() {
    let mut loaded = Keras::<f32>::zeroed();
    load_weights(
        &mut loaded,
        format!("{ROOT}/tests/fixtures/keras_tiny.safetensors"),
    )
    .unwrap();
    assert_eq!(KERAS, loaded);
    let mut loaded = Mnist::<f32>::boxed();
    load_weights(
        &mut *loaded,
        format!("{ROOT}/ffi/weights/mnist.safetensors"),
    )
    .unwrap();
    for i in 0..<Mnist as Params<f32>>::TENSORS {
        let bits = |t: &[f32]| t.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(MNIST.tensor(i)), bits(loaded.tensor(i)), "tensor {i}");
    }
    assert_eq!(MNIST.dropout_1.rate(), 0.2);
}

#[test]
fn compiled_in_weights_carry_the_buffers() {
    const SCALED: Scaled = Scaled::WEIGHTS;
    let mut loaded = Scaled::<f32>::zeroed();
    load_weights(
        &mut loaded,
        format!("{ROOT}/tests/fixtures/normalized_iris.safetensors"),
    )
    .unwrap();
    assert_eq!(SCALED, loaded);
    // The statistics are iris' own, as `adapt` computes them from the data file now.
    let iris = liandan::data::Dataset::<f32, Flat<4>>::from_csv(
        format!("{ROOT}/data/iris.csv"),
        &liandan::data::CsvOptions::classes(4, 3),
    )
    .unwrap();
    let mut fresh = liandan::layers::Normalization::<f32, Flat<4>, 4>::new();
    fresh.adapt(iris.features()).unwrap();
    assert_eq!(SCALED.normalization_1, fresh);
    assert_eq!(SCALED.normalization_1.count, 150);
}

#[test]
fn compiled_in_fixture_reproduces_numpy() {
    let text = std::fs::read_to_string(format!("{ROOT}/tests/fixtures/tiny_io.txt")).unwrap();
    let rows = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let numbers =
        |s: &str| -> Vec<f32> { s.split_whitespace().map(|v| v.parse().unwrap()).collect() };
    for row in rows {
        let (x, want) = row.split_once('|').unwrap();
        let y = KERAS.predict(&SVector::<f32, 4>::from_column_slice(&numbers(x)));
        for (got, want) in y.iter().zip(numbers(want)) {
            assert!((got - want).abs() <= 1e-6, "{got} vs numpy {want}");
        }
    }
}

#[test]
fn the_compiled_in_network_is_a_const_value() {
    // Usable wherever a constant is: here to size nothing at run time.
    const BIAS: f32 = Keras::WEIGHTS.dense_2.bias.data.0[0][1];
    assert_eq!(BIAS, KERAS.dense_2.bias[1]);
    // The parameters and nothing else: the dropout rate is part of the type.
    assert_eq!(core::mem::size_of_val(&MNIST), Mnist::<f32>::PARAM_BYTES);
}

network! {
    /// keras.io's convnet with the Keras fixture's weights (tools/conv_reference), compiled in:
    /// the kernels are decoded in Keras' `(KH, KW, C, F)` layout.
    #[derive(Debug, PartialEq)]
    struct Convnet {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>,
        MaxPooling2D<2>,
        Flatten,
        Dropout<0.5>,
        Dense<10, Softmax>,
        weights: "tests/fixtures/convnet_keras.safetensors",
    }
}

#[test]
fn compiled_conv_weights_are_the_loaded_ones() {
    static COMPILED: Convnet<f32> = Convnet::WEIGHTS;
    let mut loaded = Convnet::<f32>::boxed();
    load_weights(&mut *loaded, "tests/fixtures/convnet_keras.safetensors").unwrap();
    assert_eq!(&COMPILED, &*loaded);
    assert_ne!(COMPILED.conv2d_2.kernel[2][1][31][63], 0.0);
}
