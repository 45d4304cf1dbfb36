//! The keras.io "simple MNIST convnet" declared with `network!`: its shapes and parameters,
//! Keras' and PyTorch's weight files of it (tools/conv_reference/convnet_fixture.py) loading
//! and reproducing Keras' outputs, and the layers against golden values computed outside
//! liandan (tools/conv_reference/golden.py).

mod golden;

use liandan::io::{load_weights, load_weights_with, Layout, LoadOptions};
use liandan::prelude::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

network! {
    /// keras.io's "Simple MNIST convnet": 34,826 parameters.
    #[derive(Clone, Debug, PartialEq)]
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

#[test]
fn the_convnet_has_keras_shapes_and_parameters() {
    assert_eq!(Convnet::<f32>::param_count(), 34_826);
    let summary = Convnet::<f32>::summary().to_string();
    for line in [
        "conv2d_1 (Conv2D)                   (None, 26, 26, 32)         320",
        "max_pooling2d_1 (MaxPooling2D)      (None, 13, 13, 32)           0",
        "conv2d_2 (Conv2D)                   (None, 11, 11, 64)      18,496",
        "max_pooling2d_2 (MaxPooling2D)      (None, 5, 5, 64)             0",
        "flatten_1 (Flatten)                 (None, 1600)                 0",
        "dense_1 (Dense)                     (None, 10)              16,010",
    ] {
        assert!(summary.contains(line), "{line}\n{summary}");
    }
}

/// The fixture's samples: 784 pixels and Keras' ten probabilities each.
fn samples() -> Vec<(Vec<f32>, Vec<f64>)> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/convnet_io.txt")).unwrap();
    let numbers =
        |s: &str| -> Vec<f64> { s.split_whitespace().map(|v| v.parse().unwrap()).collect() };
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (x, y) = line.split_once('|').unwrap();
            let x = numbers(x).into_iter().map(|v| v as f32).collect();
            (x, numbers(y))
        })
        .collect()
}

fn reproduces_keras(net: &Convnet<f32>) {
    let samples = samples();
    assert_eq!(samples.len(), 3);
    for (x, want) in samples {
        let x = Sample::<f32, Hwc<28, 28, 1>>::from_slice(&x);
        let y = net.predict(&x);
        for (got, want) in y.iter().zip(want) {
            let err = (*got as f64 - want).abs();
            assert!(err <= 1e-6, "output {got} vs Keras {want}: error {err}");
        }
    }
}

#[test]
fn a_keras_weight_file_reproduces_keras() {
    let mut net = Convnet::<f32>::boxed();
    load_weights(&mut *net, format!("{FIXTURES}/convnet_keras.safetensors")).unwrap();
    reproduces_keras(&net);
}

#[test]
fn a_pytorch_weight_file_loads_the_same_network() {
    let mut keras = Convnet::<f32>::boxed();
    load_weights(&mut *keras, format!("{FIXTURES}/convnet_keras.safetensors")).unwrap();
    let mut torch = Convnet::<f32>::boxed();
    let options = LoadOptions::default().layout(Layout::PyTorch);
    let path = format!("{FIXTURES}/convnet_torch.safetensors");
    load_weights_with(&mut *torch, path, &options).unwrap();
    assert_eq!(torch, keras);
    reproduces_keras(&torch);
}

#[test]
fn a_pytorch_layout_save_is_the_pytorch_file() {
    // The Keras file saved in PyTorch's layout holds the PyTorch fixture's tensors: the same
    // names, shapes `(F, C, KH, KW)` and `(10, 1600)`, and bytes.
    let mut net = Convnet::<f32>::boxed();
    load_weights(&mut *net, format!("{FIXTURES}/convnet_keras.safetensors")).unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("convnet");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("torch.safetensors");
    liandan::io::save_weights_with(&*net, &path, Layout::PyTorch).unwrap();
    let (ours, theirs) = (
        std::fs::read(&path).unwrap(),
        std::fs::read(format!("{FIXTURES}/convnet_torch.safetensors")).unwrap(),
    );
    let ours = safetensors::SafeTensors::deserialize(&ours).unwrap();
    let theirs = safetensors::SafeTensors::deserialize(&theirs).unwrap();
    let mut names = theirs.names();
    names.sort();
    assert_eq!(names.len(), 6);
    for name in names {
        let (a, b) = (ours.tensor(name).unwrap(), theirs.tensor(name).unwrap());
        assert_eq!(a.shape(), b.shape(), "{name}");
        assert_eq!(a.data(), b.data(), "{name}");
    }
    assert_eq!(
        ours.tensor("conv2d_2.kernel").unwrap().shape(),
        [64, 32, 3, 3]
    );
    // And it reads back as PyTorch's layout.
    let mut back = Convnet::<f32>::boxed();
    let options = LoadOptions::default().layout(Layout::PyTorch);
    load_weights_with(&mut *back, &path, &options).unwrap();
    assert_eq!(back, net);
}

/// `layer`'s inference over the whole batch `x` at once, in a scratch of its own.
fn over_the_batch<L: Forward<Element = f32>, const N: usize>(
    layer: &L,
    x: &Batch<f32, L::Input, N>,
) -> Box<Batch<f32, L::Output, N>> {
    let (mut y, mut scratch) = (
        Batch::<f32, L::Output, N>::boxed(),
        L::Scratch::<N>::boxed(),
    );
    layer.forward(x, &mut y, &mut scratch);
    y
}

/// The convnet runs its inference one sample at a time; every layer computes each sample
/// on its own, so that gives the bits of each layer run over the whole batch.
#[test]
fn inference_one_sample_at_a_time_is_each_layer_over_the_batch_bit_for_bit() {
    const N: usize = 19;
    let mut rng = liandan::rng::SplitMix64::new(11);
    let net = Convnet::<f32>::new_boxed(&mut rng);
    let mut x = Batch::<f32, Hwc<28, 28, 1>, N>::boxed();
    for v in x.as_mut_slice() {
        *v = (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
    }
    let c1 = over_the_batch(&net.conv2d_1, &x);
    let p1 = over_the_batch(&net.max_pooling2d_1, &c1);
    let c2 = over_the_batch(&net.conv2d_2, &p1);
    let p2 = over_the_batch(&net.max_pooling2d_2, &c2);
    let flat: &Batch<f32, Flat<1600>, N> = liandan::shape::view(&*p2);
    let want = over_the_batch(&net.dense_1, flat);
    let (mut y, mut scratch) = (
        liandan::layer::Out::<Convnet<f32>, N>::boxed(),
        Scratch::<Convnet<f32>, N>::boxed(),
    );
    net.forward(&x, &mut y, &mut scratch);
    assert_eq!(y.as_slice(), want.as_slice());
    let mut trainer = Convnet::<f32>::trainer::<Sgd, N>(Sgd::new(0.1));
    assert_eq!(trainer.predict(&net, &x).as_slice(), want.as_slice());
}
