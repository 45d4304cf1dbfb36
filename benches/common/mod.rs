//! What the criterion bench (`benches/main.rs`) and the plain one (`examples/bench.rs`) share:
//! the seed network, its inputs, and the FLOP counts every GFLOP/s figure is computed from.
//!
//! FLOP counts (one multiply-add is 2 FLOP; bias, activation, dropout, loss and the optimizer
//! are not counted, as BLAS benchmarks do not count them either):
//! - dense forward, `I -> O`, batch `B`: `2·I·O·B` (`z = W·x`);
//! - dense backward: `2·I·O·B` for `∂L/∂W = δ·xᵀ`, plus `2·I·O·B` for `∂L/∂x = Wᵀ·δ` when the
//!   input gradient is computed (the network skips it for its first dense layer);
//! - a training step of the seed network: `2·(784·128 + 128·10)·B` forward,
//!   `2·(784·128 + 128·10)·B` for the kernel gradients and `2·128·10·B` for the input gradient
//!   of the second dense layer: `409,088·B` in all, the 3.3 GFLOP per 8,000-sample epoch;
//! - predicting: `203,264·B`;
//! - SGEMM `n³`: `2·n³`.
#![allow(dead_code)]

use liandan::layer::In;
use liandan::prelude::*;
use liandan::shape::Shape;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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

/// FLOP of one dense forward pass.
pub const fn dense_forward_flop(i: usize, o: usize, b: usize) -> f64 {
    (2 * i * o * b) as f64
}

/// FLOP of one training step of the seed network at batch `b`.
pub const fn train_flop(b: usize) -> f64 {
    (409_088 * b) as f64
}

/// FLOP of predicting `b` samples with the seed network.
pub const fn predict_flop(b: usize) -> f64 {
    (203_264 * b) as f64
}

/// FLOP of an `n×n` by `n×n` SGEMM.
pub const fn sgemm_flop(n: usize) -> f64 {
    2.0 * (n as f64) * (n as f64) * (n as f64)
}

/// The size of the SGEMM peak reference.
pub const PEAK_N: usize = 2048;

/// A deterministic random generator for data and dropout.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The trained seed network (`ffi/weights/mnist.safetensors`) and its int8 form as TFLite's
/// converter made it (`tests/fixtures/int8/mnist.tflite.safetensors`, tools/tflite): the
/// int8 model the TFLite interpreter runs, so that the two are timed on the same model.
pub fn int8_mnist() -> (Box<Mnist<f32>>, Box<MnistInt8>) {
    let mut net = Mnist::<f32>::boxed();
    liandan::io::load_weights(&mut *net, "ffi/weights/mnist.safetensors").expect("f32 weights");
    let int8 =
        liandan::quant::file::load::<MnistInt8>("tests/fixtures/int8/mnist.tflite.safetensors");
    (net, int8.expect("int8 weights"))
}

/// The trained convnet (`ffi/weights/convnet.safetensors`) and its int8 form as TFLite's
/// converter made it (`tests/fixtures/int8/convnet.tflite.safetensors`), as for the seed
/// network.
pub fn int8_convnet() -> (Box<Convnet<f32>>, Box<ConvnetInt8>) {
    let mut net = Convnet::<f32>::boxed();
    liandan::io::load_weights(&mut *net, "ffi/weights/convnet.safetensors").expect("f32 weights");
    let int8 =
        liandan::quant::file::load::<ConvnetInt8>("tests/fixtures/int8/convnet.tflite.safetensors");
    (net, int8.expect("int8 weights"))
}

/// A batch of `B` inputs of `N` beside the same batch quantised for its int8 form.
pub type Int8Batch<N, const B: usize> = (
    Box<In<N, B>>,
    Box<In<<N as liandan::quant::Quantize>::Int8, B>>,
);

/// The batches the int8 benchmarks cycle through, as tools/tflite/bench.py's TFLite calls do.
pub const DISTINCT: usize = 8;

/// [`DISTINCT`] batches of `B` bundled digits (the first `B·DISTINCT` in file order, as
/// tools/tflite/bench.py takes them), each beside the same batch quantised for `net`'s int8
/// form `int8`: what the int8 benchmarks feed each of the two. Real digits, since the int8
/// products skip groups of zeros and a digit's background is where those lie.
pub fn int8_inputs<N: liandan::quant::Quantize, const B: usize>(
    int8: &N::Int8,
) -> Vec<Int8Batch<N, B>> {
    use liandan::quant::Int8Network;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist/");
    let images = format!("{dir}mnist-10k-images-idx3-ubyte.gz");
    let labels = format!("{dir}mnist-10k-labels-idx1-ubyte.gz");
    let digits = liandan::data::Dataset::<f32, N::Input>::from_idx(images, labels, 10)
        .expect("the bundled digits");
    let input = int8.input_quantization();
    let batch = |b: usize| {
        let mut x = In::<N, B>::boxed();
        let width = x.as_slice().len() / B;
        for (j, row) in x.as_mut_slice().chunks_exact_mut(width).enumerate() {
            row.copy_from_slice(digits.sample(b * B + j));
        }
        let mut xq = In::<N::Int8, B>::boxed();
        let pairs = xq.as_mut_slice().iter_mut().zip(x.as_slice());
        pairs.for_each(|(q, &v)| *q = input.quantize(v));
        (x, xq)
    };
    (0..DISTINCT).map(batch).collect()
}

/// A freshly initialised seed network, on the heap.
pub fn network() -> Box<Mnist<f32>> {
    Mnist::<f32>::new_boxed(&mut rng(1))
}

/// A heap-allocated batch of `B` MNIST-like inputs of shape `S`, in `[0, 1]`, about 80 % zeros
/// like real digits.
pub fn inputs<S: Shape, const B: usize>(seed: u64) -> Box<Batch<f32, S, B>> {
    let mut x = Batch::<f32, S, B>::boxed();
    let mut r = rng(seed);
    for v in x.as_mut_slice() {
        *v = if r.random::<f32>() < 0.2 {
            r.random()
        } else {
            0.0
        };
    }
    x
}

/// Random labels below 10.
pub fn labels<const B: usize>(seed: u64) -> [usize; B] {
    let mut r = rng(seed);
    core::array::from_fn(|_| r.random_range(0..10))
}

/// A random `n×n` matrix, row-major (the layout does not matter for the timing).
pub fn square(n: usize, seed: u64) -> Vec<f32> {
    let mut r = rng(seed);
    (0..n * n).map(|_| r.random::<f32>() - 0.5).collect()
}

/// `C = A·B` for `n×n` row-major matrices with `matrixmultiply::sgemm`: the peak reference.
pub fn sgemm(n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    assert!(a.len() >= n * n && b.len() >= n * n && c.len() >= n * n);
    let s = n as isize;
    // Safety: the asserts above keep every `n×n` row-major operand inside its slice, and `c`
    // is a unique borrow, so it overlaps neither input.
    unsafe {
        matrixmultiply::sgemm(
            n,
            n,
            n,
            1.0,
            a.as_ptr(),
            s,
            1,
            b.as_ptr(),
            s,
            1,
            0.0,
            c.as_mut_ptr(),
            s,
            1,
        )
    }
}

/// The sum of the seed network's 101,770 parameters, read once: the "weights from cache" bound
/// the batch-1 latency target refers to. Sixteen independent lanes, so it is load-bound, not
/// bound by the latency of one chain of additions.
pub fn read_weights(net: &Mnist<f32>) -> f32 {
    let mut total = 0.0;
    for i in 0..<Mnist<f32> as Params<f32>>::TENSORS {
        total += sum(net.tensor(i));
    }
    total
}

fn sum(v: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // Safety: AVX2 was detected just above.
        return unsafe { sum_avx2(v) };
    }
    sum_lanes(v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sum_avx2(v: &[f32]) -> f32 {
    sum_lanes(v)
}

#[inline(always)]
fn sum_lanes(v: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 32];
    let chunks = v.chunks_exact(32);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (l, x) in lanes.iter_mut().zip(c) {
            *l += x;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

network! {
    /// keras.io's "Simple MNIST convnet": 34,826 parameters.
    pub struct Convnet {
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

/// FLOP of one convolution's forward pass, `H×W×C` to `OH×OW×F` with a `KH×KW` kernel:
/// `2·OH·OW·F·KH·KW·C·B` (`Z = Kᵀ·P`). Its kernel gradient costs the same, and so does its
/// input gradient when computed.
pub const fn conv_forward_flop(pixels: usize, filters: usize, taps: usize, b: usize) -> f64 {
    (2 * pixels * filters * taps * b) as f64
}

/// FLOP of predicting `b` samples with the convnet: the two convolutions (26·26·32 outputs of
/// 9 taps, 11·11·64 of 288) and the dense layer, `4,881,920·B`.
pub const fn convnet_predict_flop(b: usize) -> f64 {
    conv_forward_flop(26 * 26, 32, 9, b)
        + conv_forward_flop(11 * 11, 64, 288, b)
        + dense_forward_flop(1600, 10, b)
}

/// FLOP of one convnet training step at batch `b`: the forward pass, every kernel gradient,
/// and the input gradients of the second convolution and the dense layer (the first layer's
/// is not computed), `14,256,384·B` (the 14.26 MFLOP per sample).
pub const fn convnet_train_flop(b: usize) -> f64 {
    2.0 * convnet_predict_flop(b)
        + conv_forward_flop(11 * 11, 64, 288, b)
        + dense_forward_flop(1600, 10, b)
}

/// A freshly initialised convnet, on the heap.
pub fn convnet() -> Box<Convnet<f32>> {
    Convnet::<f32>::new_boxed(&mut rng(1))
}
