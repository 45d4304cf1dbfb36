//! XOR: the smallest problem a network without a hidden layer cannot solve.
//!
//! Run with `cargo run --release --example xor`.

use liandan::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

network! {
    /// Two inputs, a tanh hidden layer, one sigmoid output: the probability that x₁ ≠ x₂.
    pub struct Xor {
        input: [2],
        Dense<8, Tanh>,
        Dense<1, Sigmoid>,
    }
}

fn main() -> Result<(), Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut net = Xor::<f32>::new(&mut rng);
    print!("{}", Xor::<f32>::summary());

    // The whole truth table is one batch of 4: one column per sample.
    let x = SMatrix::<f32, 2, 4>::from_column_slice(&[0., 0., 0., 1., 1., 0., 1., 1.]);
    let y = SMatrix::<f32, 1, 4>::from_column_slice(&[0., 1., 1., 0.]);
    let loss = BinaryCrossentropy::default();
    let mut trainer = Trainer::<Xor<f32>, Adam, 4>::new(Adam::new(0.05));
    for epoch in 1..=300 {
        let value = trainer.step(&mut net, &x, &y, 4, &loss, &mut rng)?;
        if epoch % 50 == 0 {
            println!("epoch {epoch:>3}  loss {value:.4}");
        }
    }
    for (sample, target) in x.column_iter().zip(y.iter()) {
        let p = net.predict(&sample.into_owned())[0];
        println!("{:?} -> {p:.3} (target {target})", [sample[0], sample[1]]);
    }
    Ok(())
}
