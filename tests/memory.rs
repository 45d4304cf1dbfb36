//! Where training keeps its memory: the seed network trains in a 2 MiB thread, and after set-up
//! a training step, a prediction and an optimizer update allocate nothing at all.
//!
//! Its own test binary, because it installs a counting global allocator.

mod counting;

use counting::allocations_in;
use liandan::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

network! {
    /// The seed's MNIST classifier.
    struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

/// A batch of 32 random images with random labels, built on the heap.
fn batch(rng: &mut impl Rng) -> (Box<Batch<f32, Hw<28, 28>, 32>>, [usize; 32]) {
    let mut x = Batch::<f32, Hw<28, 28>, 32>::boxed();
    x.as_mut_slice().iter_mut().for_each(|v| *v = rng.random());
    (x, core::array::from_fn(|_| rng.random_range(0..10)))
}

#[test]
fn the_seed_network_trains_in_a_two_mib_thread() {
    let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut net = Mnist::<f32>::new_boxed(&mut rng);
        let mut trainer = Mnist::trainer::<Adam, 32>(Adam::default());
        let (x, labels) = batch(&mut rng);
        let scce = SparseCategoricalCrossentropy::default();
        let losses: Vec<f32> = (0..3)
            .map(|_| {
                trainer
                    .step(&mut net, &x, &labels, 32, &scce, &mut rng)
                    .unwrap()
            })
            .collect();
        let p = net.predict(&Sample::<f32, Hw<28, 28>>::from_slice(&[0.5; 784]));
        (losses, p.sum())
    });
    let (losses, total) = worker
        .unwrap()
        .join()
        .expect("the worker overflowed or panicked");
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(losses[2] < losses[0], "{losses:?}");
    assert!((total - 1.0).abs() < 1e-5, "{total}");
}

#[test]
fn a_training_step_allocates_nothing() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut net = Mnist::<f32>::new_boxed(&mut rng);
    let mut trainer = Mnist::<f32>::trainer::<Adam, 32>(Adam::default());
    let (x, labels) = batch(&mut rng);
    let scce = SparseCategoricalCrossentropy::default();
    // Set-up: with the `parallel` feature the first step starts the helper thread.
    trainer
        .step(&mut net, &x, &labels, 32, &scce, &mut rng)
        .unwrap();
    for _ in 0..3 {
        let (n, loss) = allocations_in(|| trainer.step(&mut net, &x, &labels, 32, &scce, &mut rng));
        assert!(loss.is_ok(), "{loss:?}");
        assert_eq!(n, 0);
    }
}

#[test]
fn inference_at_batch_one_allocates_nothing() {
    let net = Mnist::<f32>::new_boxed(&mut ChaCha8Rng::seed_from_u64(3));
    let x = Sample::<f32, Hw<28, 28>>::from_slice(&[0.5; 784]);
    let mut y = SMatrix::<f32, 10, 1>::zeros();
    let mut scratch = Scratch::<Mnist<f32>, 1>::zeroed();
    let (n, ()) = allocations_in(|| net.forward(&x, &mut y, &mut scratch));
    assert_eq!(n, 0);
    let (n, p) = allocations_in(|| net.predict(&x));
    assert_eq!(n, 0);
    assert_eq!(p, y);
}

#[test]
fn an_optimizer_update_allocates_nothing() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut net = Mnist::<f32>::new_boxed(&mut rng);
    let mut trainer = Mnist::<f32>::trainer::<Adam, 32>(Adam::default());
    let (x, labels) = batch(&mut rng);
    let scce = SparseCategoricalCrossentropy::default();
    trainer
        .gradients(&net, &x, &labels, 32, &scce, &mut rng)
        .unwrap();
    // Set-up: with the `parallel` feature the first split update starts the helper thread.
    trainer.update(&mut net);
    let before = net.dense_1.kernel[(0, 0)];
    let (n, ()) = allocations_in(|| trainer.update(&mut net));
    assert_eq!(n, 0);
    assert_ne!(net.dense_1.kernel[(0, 0)], before, "the update did not run");

    // Straight through the trait too, with momentum SGD's state.
    let mut sgd_state = <Sgd as Optimizer<f32>>::State::<MnistGrad<f32>>::boxed();
    let sgd = Sgd {
        momentum: 0.9,
        ..Sgd::default()
    };
    let (n, ()) = allocations_in(|| sgd.update(&mut *net, trainer.grad(), &mut *sgd_state));
    assert_eq!(n, 0);
}

#[test]
fn the_counter_sees_this_threads_allocations() {
    let (n, v) = allocations_in(|| Vec::<u8>::with_capacity(1));
    assert_eq!((n, v.capacity()), (1, 1));
}

network! {
    /// Wide enough that one batch of intermediate activations (2 × 512 KiB at batch 64) would
    /// crowd a 2 MiB stack, and its kernels (16 MiB) could never be built there.
    struct Wide {
        input: [1024],
        Dense<2048, Relu>,
        Dense<2048, Relu>,
        Dense<10, Softmax>,
    }
}

#[test]
fn a_large_network_predicts_in_a_small_stack_through_its_trainer() {
    let run = || {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let net = Wide::<f32>::new_boxed(&mut rng);
        let mut trainer = Wide::<f32>::trainer::<Sgd, 64>(Sgd::default());
        let mut x: Box<SMatrix<f32, 1024, 64>> = Zeroed::boxed();
        x.iter_mut().for_each(|v| *v = rng.random::<f32>());
        let (n, y) = allocations_in(|| *trainer.predict(&net, &x).column(3).iter().next().unwrap());
        assert_eq!(n, 0);
        assert!(y > 0.0 && y < 1.0);
        let sums: Vec<f32> = trainer.output().column_iter().map(|c| c.sum()).collect();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-4), "{sums:?}");
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

network! {
    /// Its intermediate activations at batch 40 (a dense layer's 8,192 outputs, then tanh's, per
    /// sample) are 2.5 MiB: more than the whole 2 MiB stack of a debug test thread.
    struct Broad {
        input: [4, 4],
        Flatten,
        Dense<8192, Relu>,
        Dropout<0.5>,
        Activation<Tanh>,
        Dense<10, Softmax>,
    }
}

#[test]
fn a_network_whose_activations_outgrow_the_stack_infers_in_a_boxed_scratch() {
    const B: usize = 40;
    assert!(Broad::<f32>::scratch_bytes(B) > 2 << 20);
    let run = || {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let net = Broad::<f32>::new_boxed(&mut rng);
        let mut x = Batch::<f32, Hw<4, 4>, B>::boxed();
        x.as_mut_slice().iter_mut().for_each(|v| *v = rng.random());
        let (mut y, mut scratch) = (
            SMatrix::<f32, 10, B>::boxed(),
            Scratch::<Broad<f32>, B>::boxed(),
        );
        // Set-up: with the `parallel` feature the first split product starts the helper thread.
        net.forward(&x, &mut y, &mut scratch);
        let (n, ()) = allocations_in(|| net.forward(&x, &mut y, &mut scratch));
        assert_eq!(n, 0);
        let sums: Vec<f32> = y.column_iter().map(|c| c.sum()).collect();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-4), "{sums:?}");
        // The same bits as inference in the training tape, the other way to infer.
        let (mut in_tape, mut tape) =
            (SMatrix::<f32, 10, B>::boxed(), BroadTape::<f32, B>::boxed());
        net.forward_in(&x, &mut in_tape, &mut tape);
        assert_eq!(y, in_tape);
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .expect("the worker overflowed or panicked");
}

network! {
    /// keras.io's convnet: a batch-32 tape of 20 MB, 145 KB of activations per image.
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

#[test]
fn the_convnet_trains_and_infers_in_a_two_mib_thread_without_allocating() {
    let run = || {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut net = Convnet::<f32>::new_boxed(&mut rng);
        let mut trainer = Convnet::<f32>::trainer::<Adam, 8>(Adam::default());
        let mut x = Batch::<f32, Hwc<28, 28, 1>, 8>::boxed();
        x.as_mut_slice().iter_mut().for_each(|v| *v = rng.random());
        let labels: [usize; 8] = core::array::from_fn(|i| i % 10);
        let scce = SparseCategoricalCrossentropy::default();
        // Set-up: with the `parallel` feature the first split product starts the helper thread.
        trainer
            .step(&mut net, &x, &labels, 8, &scce, &mut rng)
            .unwrap();
        let (n, loss) = allocations_in(|| trainer.step(&mut net, &x, &labels, 8, &scce, &mut rng));
        assert_eq!(n, 0);
        assert!(loss.unwrap().is_finite());
        let (mut y, mut scratch) = (
            SMatrix::<f32, 10, 8>::boxed(),
            Scratch::<Convnet<f32>, 8>::boxed(),
        );
        let (n, ()) = allocations_in(|| net.forward(&x, &mut y, &mut scratch));
        assert_eq!(n, 0);
        let (n, p) = allocations_in(|| trainer.predict(&net, &x)[(0, 0)]);
        assert_eq!(n, 0);
        assert!((p - y[(0, 0)]).abs() < 1e-5, "{p} {}", y[(0, 0)]);
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .expect("the worker overflowed or panicked");
}
