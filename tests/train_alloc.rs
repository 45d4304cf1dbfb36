//! A training step allocates nothing: `fit` allocates per epoch (logs, the shuffle order) but
//! never per step. Counted with a global allocator, in a test binary of its own so that no
//! other test's allocations are counted.

mod counting;

use counting::allocations_in;
use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    struct Net { input: [3], Dense<8, Relu>, Dropout<0.1>, Dense<2, Softmax> }
}

/// The allocations of one silent 2-epoch `fit` on `n` samples, batch 4.
fn allocations_of_fit(n: usize) -> usize {
    let x: Vec<[f32; 3]> = (0..n).map(|i| [i as f32 / n as f32, 0.5, -0.5]).collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let data = Dataset::<f32, Flat<3>>::classification(&x, &labels, 2).unwrap();
    let net = Net::new_boxed(&mut SplitMix64::new(1));
    let mut model: Model<Net, _, _, 4> = Model::compile(
        net,
        Adam::default(),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy, Metric::MeanSquaredError],
    );
    let options = FitOptions::new(2)
        .validation_data(&data)
        .verbosity(Verbosity::Silent);
    let (count, result) = allocations_in(|| model.fit(&data, options));
    result.unwrap();
    count
}

#[test]
fn fit_allocates_per_epoch_not_per_step() {
    // 10 steps an epoch or 100: the same number of allocations.
    let few = allocations_of_fit(40);
    let many = allocations_of_fit(400);
    assert_eq!(few, many);
    assert!(few > 0, "the counter counts");
}
