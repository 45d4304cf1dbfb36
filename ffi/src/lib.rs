//! liandan from C, with no heap and no `std`: the seed MNIST classifier with its trained weights
//! compiled in, classification, probabilities, and on-device learning with SGD.
//!
//! The weights (`weights/mnist.safetensors`, written by `cargo run --release --example deploy --
//! train` at the repository root) are checked against the declaration and decoded when this
//! crate compiles; `WEIGHTS` is a `static` in read-only memory, and classifying with it uses
//! only the stack. Learning on the device needs a writable copy of the network, its gradient
//! and a tape: they live in one zero-initialised `static` (`.bss`, so they cost no flash), and
//! the first training step copies the weights into it. See `include/liandan.h` for the C API.
//!
//! The convnet (`weights/convnet.safetensors`, written by `cargo run --release --example
//! mnist_cnn`, seed 42) is compiled in the same way; its scratch for one image (743 KB: the
//! intermediate activations, 145 KB, and the convolutions' own buffers, most of it the second
//! one's transformed kernel) is a zero-initialised `static` rather than stack.
//!
//! The seed network's int8 form (`weights/mnist-int8.safetensors`) is compiled in too: integer
//! classification with a quarter of the flash (`int8.rs`). So is the convnet's
//! (`weights/convnet-int8.safetensors`, `int8_convnet.rs`), its scratch a zero-initialised
//! `static` as the f32 convnet's is.
//!
//! Every entry point takes the state through [`Exclusive`], so a call made while another is
//! running (from an interrupt handler or another thread) is refused with an error value rather
//! than racing.

#![no_std]

mod int8;
mod int8_convnet;

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use liandan::layer::{zip_tensors, Backward};
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// The seed's MNIST classifier, with the weights trained by `examples/deploy.rs`.
    pub struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
        weights: "weights/mnist.safetensors",
    }
}

network! {
    /// keras.io's "simple MNIST convnet", with the weights trained by `examples/mnist_cnn.rs`.
    pub struct Convnet {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>,
        MaxPooling2D<2>,
        Flatten,
        Dropout<0.5>,
        Dense<10, Softmax>,
        weights: "weights/convnet.safetensors",
    }
}

/// The trained convnet in read-only memory.
static CONVNET: Convnet = Convnet::WEIGHTS;

/// The convnet's intermediate activations for one image.
static CONVNET_SCRATCH: Exclusive<ConvnetScratch<f32, 1>> = Exclusive::new(liandan::zeroed());

/// Pixels per image.
const INPUTS: usize = 784;
/// One image as the network takes it: 28 rows of 28 pixels.
type Image = Sample<f32, Hw<28, 28>>;
/// Classes, the digits 0 to 9.
const CLASSES: usize = 10;

/// The trained network in read-only memory: what classification uses until a training step.
static WEIGHTS: Mnist = Mnist::WEIGHTS;

/// What learning on the device changes: all zeros until the first training step.
static LEARNER: Exclusive<Learner> = Exclusive::new(liandan::zeroed());

/// A network being trained on the device, and the buffers of one SGD step at batch size 1.
struct Learner {
    /// Whether `net` holds the weights (copied from [`WEIGHTS`] by the first step).
    trained: bool,
    net: Mnist,
    grad: MnistGrad,
    tape: MnistTape<f32, 1>,
    output: SMatrix<f32, CLASSES, 1>,
    d_output: SMatrix<f32, CLASSES, 1>,
    /// Dropout's generator; the zero seed is as good as any.
    rng: SplitMix64,
}

// Safety: `false` is the all-zero `bool`, and every other field is `Zeroed` (the network, its
// gradient and tape by `network!`, the matrices and the generator by liandan).
unsafe impl Zeroed for Learner {}

impl Learner {
    /// The network classification uses: the trained copy once there is one.
    fn net(&self) -> &Mnist {
        if self.trained {
            &self.net
        } else {
            &WEIGHTS
        }
    }

    /// One SGD step on one sample, `θ ← θ - η·∂L/∂θ`, with sparse categorical cross-entropy
    /// and dropout on. Returns the loss before the update; on error nothing changed.
    ///
    /// No optimizer state is kept (plain SGD has none), which saves the `PARAM_BYTES` of
    /// velocity a `liandan::Trainer<.., Sgd, ..>` would hold.
    fn step(&mut self, x: &Image, label: u8, rate: f32) -> Result<f32, Error> {
        let loss = SparseCategoricalCrossentropy::default();
        let targets = [usize::from(label)];
        Loss::<f32, SMatrix<f32, CLASSES, 1>>::validate(&loss, &targets, 1)?;
        if !self.trained {
            // The dropout rate is part of the type, so the tensors are all there is to copy.
            zip_tensors(&mut self.net, &WEIGHTS, |to, from| to.copy_from_slice(from));
            self.trained = true;
        }
        let net = &mut self.net;
        net.forward_train(x, &mut self.output, &mut self.tape, Some(&mut self.rng));
        let value = loss.loss(&self.output, &targets, 1);
        if !value.is_finite() {
            return Err(Error::NonFiniteLoss);
        }
        let head = <Mnist as Train>::HEAD;
        let seed = loss.gradient(&self.output, &targets, 1, head, &mut self.d_output);
        // Overwrites the gradient rather than zeroing 407 KB and adding to it, as `Trainer` does.
        let (tape, dy) = (&mut self.tape, &mut self.d_output);
        let pass = Backward::new(x, &self.output, tape, dy, &mut self.grad);
        net.backward(pass.seed(seed).overwrite());
        zip_tensors(net, &self.grad, |p, g| {
            p.iter_mut().zip(g).for_each(|(p, g)| *p -= rate * g);
        });
        Ok(value)
    }
}

/// A value that one caller at a time may use: a flag taken with an atomic swap guards it.
struct Exclusive<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// Safety: the value is reached only through `with`, which hands out one `&mut T` at a time, so
// sharing an `Exclusive` between threads shares no aliased access; `T: Send` because the value
// is then used from whichever thread calls.
unsafe impl<T: Send> Sync for Exclusive<T> {}

impl<T> Exclusive<T> {
    const fn new(value: T) -> Self {
        Exclusive {
            busy: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// `f` of the value, or `None` if another call (on any thread, or re-entrant from an
    /// interrupt) holds it.
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.busy.swap(true, Ordering::Acquire) {
            return None;
        }
        // Safety: the swap returned `false`, so this call alone set the flag, and no other
        // reference to the value exists until the flag is released below. `panic = "abort"`, so
        // `f` cannot unwind past the release with the flag held.
        let result = f(unsafe { &mut *self.value.get() });
        self.busy.store(false, Ordering::Release);
        Some(result)
    }
}

/// The class probabilities of `pixels`, or `None` if the state is busy.
fn probabilities(pixels: &[f32; INPUTS]) -> Option<SVector<f32, CLASSES>> {
    let x = Image::from_slice(pixels);
    LEARNER.with(|learner| learner.net().predict(&x))
}

/// The digit `pixels` shows (784 values, row-major, in `[0, 1]`), or 255 if `pixels` is null or
/// another call is running.
#[no_mangle]
pub extern "C" fn liandan_classify(pixels: Option<&[f32; INPUTS]>) -> u8 {
    match pixels.and_then(probabilities) {
        Some(p) => p.argmax().0 as u8,
        None => u8::MAX,
    }
}

/// Writes the 10 class probabilities of `pixels` to `out`; NaNs if another call is running,
/// nothing if either pointer is null.
#[no_mangle]
pub extern "C" fn liandan_probabilities(
    pixels: Option<&[f32; INPUTS]>,
    out: Option<&mut [f32; CLASSES]>,
) {
    let (Some(pixels), Some(out)) = (pixels, out) else {
        return;
    };
    match probabilities(pixels) {
        Some(p) => out.copy_from_slice(p.as_slice()),
        None => out.fill(f32::NAN),
    }
}

/// The convnet's class probabilities of `pixels`, or `None` if its scratch is busy.
fn convnet_probabilities(pixels: &[f32; INPUTS]) -> Option<SVector<f32, CLASSES>> {
    let x = Sample::<f32, Hwc<28, 28, 1>>::from_slice(pixels);
    let mut y = SVector::<f32, CLASSES>::zeros();
    CONVNET_SCRATCH.with(|scratch| CONVNET.forward(&x, &mut y, scratch))?;
    Some(y)
}

/// The digit the convnet reads in `pixels`, or 255 if `pixels` is null or another convnet call
/// is running.
#[no_mangle]
pub extern "C" fn liandan_convnet_classify(pixels: Option<&[f32; INPUTS]>) -> u8 {
    match pixels.and_then(convnet_probabilities) {
        Some(p) => p.argmax().0 as u8,
        None => u8::MAX,
    }
}

/// Writes the convnet's 10 class probabilities of `pixels` to `out`; NaNs if another convnet
/// call is running, nothing if either pointer is null.
#[no_mangle]
pub extern "C" fn liandan_convnet_probabilities(
    pixels: Option<&[f32; INPUTS]>,
    out: Option<&mut [f32; CLASSES]>,
) {
    let (Some(pixels), Some(out)) = (pixels, out) else {
        return;
    };
    match convnet_probabilities(pixels) {
        Some(p) => out.copy_from_slice(p.as_slice()),
        None => out.fill(f32::NAN),
    }
}

/// One SGD step on one labelled image; returns the loss before the step, or NaN (and changes
/// nothing) if `pixels` is null, `label > 9`, the loss is not finite, or another call is
/// running.
#[no_mangle]
pub extern "C" fn liandan_train_step(
    pixels: Option<&[f32; INPUTS]>,
    label: u8,
    learning_rate: f32,
) -> f32 {
    let Some(pixels) = pixels else {
        return f32::NAN;
    };
    let x = Image::from_slice(pixels);
    let step = LEARNER.with(|learner| learner.step(&x, label, learning_rate));
    step.and_then(Result::ok).unwrap_or(f32::NAN)
}

/// Forgets on-device learning: classification uses the compiled-in weights again. Returns 0,
/// or -1 if another call is running.
#[no_mangle]
pub extern "C" fn liandan_reset() -> i32 {
    match LEARNER.with(|learner| learner.trained = false) {
        Some(()) => 0,
        None => -1,
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
