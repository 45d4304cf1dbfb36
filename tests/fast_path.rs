//! The optimised path against a plain one, and its allocations counted.
//!
//! - The same loss curve as a textbook implementation written with nalgebra's own products
//!   (forward, fused softmax/cross-entropy gradient, backward, Adam), up to float rounding.
//! - No heap allocation per training step or per prediction once everything is built, counted
//!   by a global allocator (this test binary's only).

mod counting;

use counting::allocations_in;
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use rand::Rng;

network! {
    /// The seed's shape, scaled down so the debug-build test is quick; 10 outputs keep the
    /// kernel's masked rows in play.
    struct Small {
        input: [8, 8],
        Flatten,
        Dense<32, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

network! {
    /// The seed network.
    struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

const B: usize = 8;

/// Adam's state for one tensor, written out.
struct Moments<const R: usize, const C: usize> {
    m: SMatrix<f32, R, C>,
    v: SMatrix<f32, R, C>,
}

impl<const R: usize, const C: usize> Moments<R, C> {
    fn new() -> Self {
        Moments {
            m: SMatrix::zeros(),
            v: SMatrix::zeros(),
        }
    }

    /// Keras' Adam with its defaults, as in `src/optim/adam.rs`' documentation.
    fn step(&mut self, p: &mut SMatrix<f32, R, C>, g: &SMatrix<f32, R, C>, t: i32) {
        let alpha = (1e-3 * (1.0 - 0.999f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t))) as f32;
        for i in 0..R * C {
            self.m[i] += (g[i] - self.m[i]) * 0.1;
            self.v[i] += (g[i] * g[i] - self.v[i]) * (1.0 - 0.999);
            p[i] -= self.m[i] * alpha / (self.v[i].sqrt() + 1e-7);
        }
    }
}

/// One step of the plain implementation; returns the mean loss before the update.
#[allow(clippy::too_many_arguments)]
fn plain_step(
    net: &mut Small<f32>,
    moments: &mut (
        Moments<32, 64>,
        Moments<32, 1>,
        Moments<10, 32>,
        Moments<10, 1>,
    ),
    t: i32,
    x: &SMatrix<f32, 64, B>,
    labels: &[usize; B],
    rng: &mut SplitMix64,
) -> f32 {
    let (w1, b1) = (net.dense_1.kernel, net.dense_1.bias);
    let (w2, b2) = (net.dense_2.kernel, net.dense_2.bias);
    let z1 = w1 * x + b1 * SMatrix::<f32, 1, B>::repeat(1.0);
    // Dropout draws one seed per pass, then feature `i` (column by column) takes the low
    // (even `i`) or high (odd `i`) 32 bits of output `i / 2` of SplitMix64 from that seed, and
    // is dropped when they are below 0.2·2³².
    let mut stream = SplitMix64::new(rng.next_u64());
    let bits: Vec<u32> = (0..32 * B / 2)
        .flat_map(|_| {
            let pair = stream.next_u64();
            [pair as u32, (pair >> 32) as u32]
        })
        .collect();
    let threshold = (0.2f64 * 4_294_967_296.0).round() as u64;
    let mask = SMatrix::<f32, 32, B>::from_iterator(bits.into_iter().map(|u| {
        if u64::from(u) < threshold {
            0.0
        } else {
            (1.0 / (1.0 - 0.2f64)) as f32
        }
    }));
    let h = z1.map(|z| z.max(0.0)).component_mul(&mask);
    let z2 = w2 * h + b2 * SMatrix::<f32, 1, B>::repeat(1.0);
    let mut p = z2;
    for mut col in p.column_iter_mut() {
        let max = col.max();
        col.apply(|z| *z = (*z - max).exp());
        let sum = col.sum();
        col /= sum;
    }
    let loss = (0..B)
        .map(|j| -p[(labels[j], j)].clamp(1e-7, 1.0 - 1e-7).ln())
        .sum::<f32>()
        / B as f32;
    let mut dz2 = p;
    for (j, &label) in labels.iter().enumerate() {
        dz2[(label, j)] -= 1.0;
    }
    dz2 /= B as f32;
    let (dw2, db2) = (dz2 * h.transpose(), dz2.column_sum());
    let dh = (w2.transpose() * dz2).component_mul(&mask);
    let dz1 = dh.zip_map(&z1, |d, z| if z > 0.0 { d } else { 0.0 });
    let (dw1, db1) = (dz1 * x.transpose(), dz1.column_sum());
    moments.0.step(&mut net.dense_1.kernel, &dw1, t);
    moments.1.step(&mut net.dense_1.bias, &db1, t);
    moments.2.step(&mut net.dense_2.kernel, &dw2, t);
    moments.3.step(&mut net.dense_2.bias, &db2, t);
    loss
}

#[test]
fn the_fast_path_follows_the_plain_loss_curve() {
    let mut fast = Small::<f32>::new(&mut SplitMix64::new(1));
    let mut plain = Small::<f32>::new(&mut SplitMix64::new(1));
    let mut trainer = Trainer::<Small<f32>, Adam, B>::new(Adam::default());
    let mut moments = (
        Moments::new(),
        Moments::new(),
        Moments::new(),
        Moments::new(),
    );
    let loss = SparseCategoricalCrossentropy::default();
    let (mut rng_fast, mut rng_plain) = (SplitMix64::new(7), SplitMix64::new(7));
    let mut data = SplitMix64::new(3);
    for t in 1..=20 {
        let x = SMatrix::<f32, 64, B>::from_fn(|_, _| data.random::<f32>());
        let labels: [usize; B] = core::array::from_fn(|_| data.random_range(0..10));
        // The same values as 8×8 images, sample after sample, each row by row.
        let images = Batch::<f32, Hw<8, 8>, B>::from_slice(x.as_slice());
        let got = trainer
            .step(&mut fast, &images, &labels, B, &loss, &mut rng_fast)
            .unwrap();
        let want = plain_step(&mut plain, &mut moments, t, &x, &labels, &mut rng_plain);
        assert!(
            (got - want).abs() <= 1e-5 * want.abs().max(1.0),
            "step {t}: {got} vs {want}"
        );
    }
    let drift = (fast.dense_1.kernel - plain.dense_1.kernel).amax();
    assert!(drift < 1e-5, "weights drifted apart by {drift}");
}

#[test]
fn training_steps_and_predictions_do_not_allocate() {
    const B: usize = 4;
    let mut net = Mnist::<f32>::new_boxed(&mut SplitMix64::new(1));
    let mut trainer = Mnist::<f32>::trainer::<Adam, B>(Adam::default());
    let x = Batch::<f32, Hw<28, 28>, B>::boxed();
    let mut y = SMatrix::<f32, 10, B>::boxed();
    let mut scratch = Scratch::<Mnist<f32>, B>::boxed();
    let (labels, loss, mut rng) = (
        [1, 2, 3, 4],
        SparseCategoricalCrossentropy::default(),
        SplitMix64::new(2),
    );
    let one = Sample::<f32, Hw<28, 28>>::zeroed();
    // Set-up: the first call may initialise lazily (CPU feature detection).
    trainer
        .step(&mut net, &x, &labels, B, &loss, &mut rng)
        .unwrap();
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            trainer
                .step(&mut net, &x, &labels, B, &loss, &mut rng)
                .unwrap();
            net.forward(&x, &mut y, &mut scratch);
            std::hint::black_box(net.predict(&one));
        }
    });
    assert_eq!(n, 0);
}
