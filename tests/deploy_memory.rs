//! Deployment memory: the memory figures every network carries match the real types' sizes,
//! and inference and a training step allocate nothing once set up.

use core::mem::size_of;

mod counting;

use counting::allocations_in;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

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
    /// Every layer kind, with activations as layers of their own.
    struct Small {
        input: [2, 3],
        Activation<Tanh>,
        Flatten,
        Dense<5, Swish>,
        Dropout<0.3>,
        Dense<4>,
        Activation<Softmax>,
    }
}

type MnistTrainer<Opt, const B: usize> = Trainer<Mnist<f32>, Opt, B>;

#[test]
fn parameter_bytes_are_the_network_and_the_gradient() {
    assert_eq!(Mnist::<f32>::PARAM_BYTES, 101_770 * 4);
    assert_eq!(size_of::<MnistGrad<f32>>(), Mnist::<f32>::PARAM_BYTES);
    assert_eq!(size_of::<MnistGrad<f64>>(), Mnist::<f64>::PARAM_BYTES);
    // The network is its parameters: the dropout rate is part of its type.
    assert_eq!(size_of::<Mnist<f32>>(), Mnist::<f32>::PARAM_BYTES);
    assert_eq!(size_of::<SmallGrad<f64>>(), Small::<f64>::PARAM_BYTES);
}

#[test]
fn activation_figures_follow_the_widths() {
    assert_eq!(Mnist::<f32>::ACTIVATION_BYTES, 784 * 4);
    // Input, the hidden dense output, the output: Flatten and Dropout copy nothing.
    assert_eq!(Mnist::<f32>::INFERENCE_BYTES, (784 + 128 + 10) * 4);
    // Small: tanh's output (6), swish dense (5), dense (4) before softmax, input and output.
    assert_eq!(Small::<f64>::INFERENCE_BYTES, (6 + 6 + 5 + 4 + 4) * 8);
}

#[test]
fn tape_bytes_are_the_tape_type() {
    type Tape<const B: usize> = <Mnist<f32> as Train>::Tape<B>;
    assert_eq!(size_of::<Tape<32>>(), Mnist::<f32>::tape_bytes(32));
    assert_eq!(size_of::<Tape<1>>(), Mnist::<f32>::tape_bytes(1));
    assert_eq!(size_of::<MnistTape<f64, 7>>(), Mnist::<f64>::tape_bytes(7));
    assert_eq!(size_of::<SmallTape<f64, 3>>(), Small::<f64>::tape_bytes(3));
    // 6·128 + 10 scalars per sample: dense_1's z, output and its gradient; dropout_1's mask,
    // output and its gradient; dense_2's z.
    assert_eq!(Mnist::<f32>::tape_bytes(32), 778 * 32 * 4);
}

#[test]
fn scratch_bytes_are_the_scratch_type() {
    assert_eq!(
        size_of::<Scratch<Mnist<f32>, 32>>(),
        Mnist::<f32>::scratch_bytes(32)
    );
    assert_eq!(
        size_of::<MnistScratch<f32, 1>>(),
        Mnist::<f32>::scratch_bytes(1)
    );
    assert_eq!(
        size_of::<MnistScratch<f64, 7>>(),
        Mnist::<f64>::scratch_bytes(7)
    );
    assert_eq!(
        size_of::<SmallScratch<f64, 3>>(),
        Small::<f64>::scratch_bytes(3)
    );
    // The hidden dense output alone: Flatten and Dropout copy nothing at inference.
    assert_eq!(Mnist::<f32>::scratch_bytes(32), 128 * 32 * 4);
    // Small: tanh's output (6), the swish dense's (5), the dense's before softmax (4).
    assert_eq!(Small::<f64>::scratch_bytes(3), (6 + 5 + 4) * 3 * 8);
    // Inference of one sample is its input, its output and that scratch.
    let one = |input: usize, output: usize| (input + output) * 4 + Mnist::<f32>::scratch_bytes(1);
    assert_eq!(Mnist::<f32>::INFERENCE_BYTES, one(784, 10));
}

/// The size of a value of `bytes` bytes with the alignment of `T`, as the compiler pads it.
fn padded<T>(bytes: usize) -> usize {
    bytes.next_multiple_of(std::mem::align_of::<T>())
}

#[test]
fn training_bytes_are_the_trainer_without_its_hyperparameters() {
    // Besides `training_bytes`: the optimizer's hyperparameters and the dropout switch (a
    // `bool`), padded to the trainer's alignment.
    type Adam32 = MnistTrainer<Adam, 32>;
    let adam = Mnist::<f32>::training_bytes::<Adam>(32) + size_of::<Adam>() + 1;
    assert_eq!(size_of::<Adam32>(), padded::<Adam32>(adam));
    type Sgd1 = MnistTrainer<Sgd, 1>;
    let sgd = Mnist::<f32>::training_bytes::<Sgd>(1) + size_of::<Sgd>() + 1;
    assert_eq!(size_of::<Sgd1>(), padded::<Sgd1>(sgd));
    type SmallAdam = Trainer<Small<f64>, Adam, 5>;
    let small = Small::<f64>::training_bytes::<Adam>(5) + size_of::<Adam>() + 1;
    assert_eq!(size_of::<SmallAdam>(), padded::<SmallAdam>(small));
}

#[test]
fn predict_and_a_training_step_allocate_nothing_after_set_up() {
    let mut rng = SplitMix64::new(5);
    let mut net = Mnist::<f32>::new_boxed(&mut rng);
    let mut trainer = Mnist::<f32>::trainer::<Sgd, 1>(Sgd::new(0.01));
    let pixels: Vec<f32> = (0..784).map(|i| (i % 13) as f32 / 13.0).collect();
    let x = Box::new(Sample::<f32, Hw<28, 28>>::from_slice(&pixels));
    let loss = SparseCategoricalCrossentropy::default();
    // Set-up: with the `parallel` feature the first split pass starts the helper thread.
    let _ = trainer.step(&mut net, &x, &[3], 1, &loss, &mut rng);
    let (n, ()) = allocations_in(|| {
        let p = net.predict(&x);
        assert!(p.iter().all(|v| v.is_finite()));
        let value = trainer.step(&mut net, &x, &[3], 1, &loss, &mut rng);
        assert!(value.is_ok_and(f32::is_finite));
    });
    assert_eq!(n, 0);
}

network! {
    /// keras.io's convnet, and a convolution of each kind besides.
    struct Convnet {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<8, 3x3, Tanh, padding = Same>,
        AveragePooling2D<2, padding = Same>,
        GlobalAveragePooling2D,
        Dropout<0.5>,
        Dense<10, Softmax>,
    }
}

#[test]
fn the_memory_figures_cover_convolutions_and_pooling() {
    assert_eq!(size_of::<ConvnetGrad<f32>>(), Convnet::<f32>::PARAM_BYTES);
    assert_eq!(
        size_of::<ConvnetTape<f32, 32>>(),
        Convnet::<f32>::tape_bytes(32)
    );
    assert_eq!(
        size_of::<ConvnetTape<f64, 3>>(),
        Convnet::<f64>::tape_bytes(3)
    );
    assert_eq!(
        size_of::<ConvnetScratch<f32, 32>>(),
        Convnet::<f32>::scratch_bytes(32)
    );
    assert_eq!(
        size_of::<ConvnetScratch<f64, 1>>(),
        Convnet::<f64>::scratch_bytes(1)
    );
    // Inference runs one sample at a time through the convnet: the scratch holds one sample.
    assert_eq!(
        Convnet::<f32>::scratch_bytes(32),
        Convnet::<f32>::scratch_bytes(1)
    );
    let io = (28 * 28 + 10) * 4;
    assert_eq!(
        Convnet::<f32>::INFERENCE_BYTES,
        io + Convnet::<f32>::scratch_bytes(1)
    );
    // The convolution's tape: its pre-activation and its patches, per sample.
    let conv1 = 26 * 26 * 32 + 26 * 26 * 9;
    let tape = Convnet::<f32>::tape_bytes(1) / 4;
    assert!(tape > conv1, "{tape}");
    // Besides `training_bytes`: Adam's hyperparameters, the dropout switch, and the padding
    // to the trainer's alignment.
    type Training = Trainer<Convnet<f32>, Adam, 32>;
    let adam = Convnet::<f32>::training_bytes::<Adam>(32) + size_of::<Adam>() + 1;
    let aligned = adam.next_multiple_of(core::mem::align_of::<Training>());
    assert_eq!(size_of::<Training>(), aligned);
}
