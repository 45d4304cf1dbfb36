//! liandan with no heap and no std: declare, predict and train a network in fixed memory.

#![no_std]

use liandan::prelude::*;
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

/// A generator that needs no operating system: a fixed-increment counter hashed by SplitMix64.
struct Counter(u64);

impl liandan::__private::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Trains for `steps` steps on one fixed batch and returns the class predicted for `pixels`.
#[no_mangle]
pub extern "C" fn tiny_train_and_classify(pixels: &[f32; 4], steps: u32) -> u8 {
    let mut rng = Counter(7);
    let mut net = Tiny::<f32>::new(&mut rng);
    let mut trainer = Trainer::<f32, Tiny<f32>, Sgd, 4, 3, 2>::new(Sgd::new(0.1));
    let x = SMatrix::<f32, 4, 2>::from_column_slice(&[1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
    let labels = [0usize, 2];
    let loss = SparseCategoricalCrossentropy::default();
    for _ in 0..steps {
        if trainer.step(&mut net, &x, &labels, 2, &loss, &mut rng).is_err() {
            return u8::MAX;
        }
    }
    let p = net.predict(&SVector::<f32, 4>::from_column_slice(pixels));
    p.argmax().0 as u8
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
