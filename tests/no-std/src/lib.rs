//! liandan with no heap and no std: declare, predict and train a network in fixed memory, and
//! classify with an int8 network compiled in.

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

/// The seed network's int8 form (`ffi/weights/mnist-int8.safetensors`), under the name the
/// file records.
mod int8 {
    use liandan::prelude::*;

    network! {
        pub struct Mnist {
            input: [28, 28],
            Flatten,
            Dense<128, Relu>,
            Dropout<0.2>,
            Dense<10, Softmax>,
            weights: "../../ffi/weights/mnist-int8.safetensors",
        }
    }
}

/// The int8 network in read-only memory.
static INT8: int8::Mnist = int8::Mnist::WEIGHTS;

/// The digit an int8 image shows, with integer arithmetic only.
#[no_mangle]
pub extern "C" fn int8_classify(x: &[i8; 784]) -> u8 {
    let mut y = SMatrix::<i8, 10, 1>::zeroed();
    let x = Sample::<i8, Hw<28, 28>>::from_slice(x);
    INT8.forward(&x, &mut y, &mut int8::MnistScratch::<1>::zeroed());
    let y = y.as_slice();
    (0..10).fold(0, |best, i| if y[i] > y[best] { i } else { best }) as u8
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
