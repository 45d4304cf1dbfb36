//! Networks declared with `network!`: their types, sizes, passes and gradients.

use liandan::gradcheck::check;
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use liandan::shape::Shape;
use liandan::{Head, LayerInfo, TensorInfo};

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
    /// Every layer kind, small enough to check every gradient entry.
    struct Small {
        input: [2, 3],
        Activation<Tanh>,
        Flatten,
        Dense<6 -> 5, Swish>,
        Dropout<0.3>,
        Dense<4, Gelu>,
        Activation<LeakyRelu>,
        Dense<3>,
        Activation<Softmax>,
        output: [3],
    }
}

#[test]
fn the_seed_network_has_keras_sizes() {
    assert_eq!(Mnist::<f32>::INPUT, 784);
    assert_eq!(Mnist::<f32>::OUTPUT, 10);
    assert_eq!(Mnist::<f32>::PARAMS, 101_770);
    assert_eq!(<Mnist as Params<f32>>::PARAMS, 101_770);
    assert_eq!(<Mnist as Params<f32>>::TENSORS, 4);
    assert_eq!(<Mnist as Train>::HEAD, Head::Softmax);
    assert_eq!(<<Mnist as Forward>::Input as Shape>::DIMS, &[28, 28]);
    assert_eq!(
        Mnist::<f32>::LAYERS[1],
        LayerInfo {
            name: "dense_1",
            kind: "Dense<784 -> 128, Relu>",
            output: &[128],
            params: 100_480,
            buffers: 0
        }
    );
    let names: Vec<&str> = Mnist::<f32>::LAYERS.iter().map(|l| l.name).collect();
    assert_eq!(names, ["flatten_1", "dense_1", "dropout_1", "dense_2"]);
    assert_eq!(
        <Mnist as Params<f32>>::tensor_info(2),
        Some(TensorInfo {
            layer: "dense_2",
            name: "kernel",
            shape: &[128, 10],
            torch: &[1, 0],
            non_negative: false,
            kind: "dense",
        })
    );
    assert_eq!(<Mnist as Params<f32>>::tensor_info(4), None);
}

#[test]
fn summary_is_a_keras_table() {
    let text = Mnist::<f32>::summary().to_string();
    assert!(text.contains("Model: \"Mnist\""), "{text}");
    assert!(text.contains("dense_1 (Dense)"), "{text}");
    assert!(text.contains("(None, 128)"), "{text}");
    assert!(text.contains("100,480"), "{text}");
    assert!(text.contains("Total params: 101,770 (397.54 KB)"), "{text}");
}

#[test]
fn init_is_glorot_with_zero_biases_and_declared_rates() {
    let net = Mnist::<f32>::new_boxed(&mut SplitMix64::new(1));
    let limit = (6.0f32 / (784.0 + 128.0)).sqrt();
    assert!(net.dense_1.kernel.iter().all(|w| w.abs() <= limit));
    assert!(net.dense_1.kernel.iter().any(|w| w.abs() > limit * 0.9));
    assert!(net.dense_1.bias.iter().all(|b| *b == 0.0));
    assert_eq!(net.dropout_1.rate(), 0.2);
    let again = Mnist::<f32>::new_boxed(&mut SplitMix64::new(1));
    assert_eq!(net.dense_2.kernel, again.dense_2.kernel);
}

network! {
    /// Dropout alone, so its output shows its mask.
    struct Dropper { input: [1000], Dropout<0.2> }
}

/// The fraction of 1000 features × 8 samples that a training pass of `net` drops.
fn dropped_fraction(net: &Dropper<f32>) -> f32 {
    let x = SMatrix::<f32, 1000, 8>::repeat(1.0);
    let mut y = SMatrix::<f32, 1000, 8>::zeros();
    let mut tape = <Dropper as Train>::Tape::<8>::boxed();
    net.forward_train(&x, &mut y, &mut tape, Some(&mut SplitMix64::new(3)));
    y.iter().filter(|&&v| v == 0.0).count() as f32 / 8000.0
}

#[test]
fn every_construction_keeps_the_declared_dropout_rate() {
    let built = [
        (
            "new",
            Box::new(Dropper::<f32>::new(&mut SplitMix64::new(1))),
        ),
        (
            "new_boxed",
            Dropper::<f32>::new_boxed(&mut SplitMix64::new(1)),
        ),
        ("boxed", Dropper::<f32>::boxed()),
        ("zeroed", Box::new(Dropper::<f32>::zeroed())),
    ];
    for (how, net) in &built {
        assert_eq!(net.dropout_1.rate(), 0.2, "{how}");
        let dropped = dropped_fraction(net);
        assert!((0.18..0.22).contains(&dropped), "{how}: {dropped}");
    }
    // The README's deploy path: `boxed()`, then the weights from a file.
    let mut loaded = Mnist::<f32>::boxed();
    let path = std::env::temp_dir().join(format!("rate-{}.safetensors", std::process::id()));
    let trained = Mnist::<f32>::new_boxed(&mut SplitMix64::new(1));
    liandan::io::save_weights(&*trained, &path).unwrap();
    liandan::io::load_weights(&mut *loaded, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.dropout_1.rate(), 0.2);
}

#[test]
fn a_trainer_switches_dropout_off_only_when_asked() {
    let net = Mnist::<f32>::new_boxed(&mut SplitMix64::new(2));
    let pixels = SMatrix::<f32, 784, 32>::from_fn(|i, j| ((i * 3 + j) % 7) as f32 / 7.0);
    let x = Batch::<f32, Hw<28, 28>, 32>::from_slice(pixels.as_slice());
    let labels = [3; 32];
    let mut inference = SMatrix::<f32, 10, 32>::zeros();
    net.forward(&x, &mut inference, &mut Scratch::<Mnist<f32>, 32>::boxed());
    let mut trainer = Mnist::<f32>::trainer::<Adam, 32>(Adam::default());
    let loss = SparseCategoricalCrossentropy::default();
    let mut rng = SplitMix64::new(5);
    assert!(trainer.dropout());
    trainer
        .gradients(&net, &x, &labels, 32, &loss, &mut rng)
        .unwrap();
    assert_ne!(*trainer.output(), inference);
    trainer.set_dropout(false);
    assert!(!trainer.dropout());
    let before = rng.clone();
    trainer
        .gradients(&net, &x, &labels, 32, &loss, &mut rng)
        .unwrap();
    // The training pass is then the inference pass, and draws no random number.
    assert_eq!(*trainer.output(), inference);
    assert_eq!(rng, before);
}

#[test]
fn predictions_are_probabilities() {
    let net = Mnist::<f32>::new_boxed(&mut SplitMix64::new(2));
    let pixels = SVector::<f32, 784>::from_fn(|i, _| (i % 7) as f32 / 7.0);
    let p = net.predict(&Buffer::from_slice(pixels.as_slice()));
    assert!((p.sum() - 1.0).abs() < 1e-5);
    assert!(p.iter().all(|&v| v > 0.0));
}

#[test]
fn whole_network_gradients_match_finite_differences() {
    let mut rng = SplitMix64::new(3);
    let mut net = Small::<f64>::new(&mut rng);
    let x = SMatrix::<f64, 6, 4>::from_fn(|i, j| ((i * 4 + j) as f64 * 0.37).sin());
    let x = Batch::<f64, Hw<2, 3>, 4>::from_slice(x.as_slice());
    let w = SMatrix::<f64, 3, 4>::from_fn(|i, j| ((i + 2 * j) as f64 * 0.71).cos());
    let report = check(&mut net, &x, &w, 1000, 17);
    assert_eq!(report.checked, <Small<f64> as Params<f64>>::PARAMS + 24);
    assert!(report.max_error < 1e-6, "{report:?}");
}

#[test]
fn the_seed_network_gradients_match_finite_differences_on_a_sample() {
    let mut net = Mnist::<f64>::new_boxed(&mut SplitMix64::new(4));
    // Biases away from zero so the ReLU kinks are not hit by the perturbations.
    net.dense_1
        .bias
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = 0.01 * (i % 5) as f64);
    let x = SMatrix::<f64, 784, 2>::from_fn(|i, j| ((i + j * 3) % 11) as f64 / 11.0);
    let x = Batch::<f64, Hw<28, 28>, 2>::from_slice(x.as_slice());
    let w = SMatrix::<f64, 10, 2>::from_fn(|i, j| (i as f64 - j as f64) * 0.1);
    let report = check(&mut *net, &x, &w, 40, 5);
    assert!(report.checked > 100);
    assert!(report.max_error < 1e-6, "{report:?}");
}

#[test]
fn networks_are_layers_and_nest() {
    use liandan::layers::{Chain, Dense};
    let inner = Small::<f64>::new(&mut SplitMix64::new(6));
    let outer = Chain::new(inner, Dense::<f64, 3, 2, Sigmoid>::zeroed());
    let x = Sample::<f64, Hw<2, 3>>::from_slice(&[0.5; 6]);
    let mut y = SMatrix::<f64, 2, 1>::zeros();
    outer.forward(&x, &mut y, &mut Zeroed::zeroed());
    assert_eq!(y, SMatrix::<f64, 2, 1>::from_element(0.5));
}

#[test]
fn inference_in_the_tape_equals_inference_in_the_scratch() {
    use liandan::layers::{Chain, Dense};
    let net = Chain::new(Small::<f64>::new(&mut SplitMix64::new(8)), {
        let mut d = Dense::<f64, 3, 2, Tanh>::zeroed();
        d.init(&mut SplitMix64::new(9));
        d
    });
    let x = SMatrix::<f64, 6, 5>::from_fn(|i, j| (i as f64 - j as f64) * 0.3);
    let x = Batch::<f64, Hw<2, 3>, 5>::from_slice(x.as_slice());
    let (mut in_scratch, mut in_tape) = (SMatrix::<f64, 2, 5>::zeros(), SMatrix::zeros());
    type Net = Chain<Small<f64>, Dense<f64, 3, 2, Tanh>>;
    net.forward(&x, &mut in_scratch, &mut Scratch::<Net, 5>::boxed());
    let mut tape = <Net as Train>::Tape::<5>::boxed();
    net.forward_in(&x, &mut in_tape, &mut tape);
    assert_eq!(in_scratch, in_tape);
}
