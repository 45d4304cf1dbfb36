//! liandan with no heap and no std: declare, predict and train a network in fixed memory.

#![no_std]

use liandan::prelude::*;
use liandan::rng::SplitMix64;
use liandan::Trainer;

network! {
    /// A small classifier: four features, three classes.
    pub struct Tiny {
        input: [2, 2],
        Flatten,
        Dense<8, Relu>,
        Dropout<0.1>,
        Dense<3, Softmax>,
    }
}

/// Trains for `steps` steps on one fixed batch and returns the class predicted for `pixels`.
#[no_mangle]
pub extern "C" fn tiny_train_and_classify(pixels: &[f32; 4], steps: u32) -> u8 {
    let mut rng = SplitMix64::new(7);
    let mut net = Tiny::<f32>::new(&mut rng);
    let mut trainer = Trainer::<Tiny<f32>, Sgd, 2>::new(Sgd::new(0.1));
    let x = Batch::<f32, Hw<2, 2>, 2>::from_slice(&[1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
    let labels = [0usize, 2];
    let loss = SparseCategoricalCrossentropy::default();
    for _ in 0..steps {
        if trainer
            .step(&mut net, &x, &labels, 2, &loss, &mut rng)
            .is_err()
        {
            return u8::MAX;
        }
    }
    let p = net.predict(&Sample::<f32, Hw<2, 2>>::from_slice(pixels));
    p.argmax().0 as u8
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
