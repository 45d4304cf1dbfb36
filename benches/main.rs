//! One criterion binary for all of liandan's speed figures; the FLOP counts behind every
//! GFLOP/s figure are in `common/mod.rs`. Criterion reports samples/s (`Throughput::Elements`);
//! GFLOP/s is `FLOP / time`, and `cargo run --release --example bench` prints both, as a
//! fraction of the SGEMM peak measured by the `sgemm_peak` group of this same binary.
//!
//! ```text
//! cargo bench --bench main                 # everything
//! cargo bench --bench main -- train_step   # one group
//! cargo bench --bench main -- convnet      # keras.io's convnet
//! cargo bench --bench main -- int8_gemm    # the int8 product against the f32 one, per shape
//! cargo bench --bench main -- int8_predict # the int8 networks beside their f32 forms
//! ```

mod common;

use std::hint::black_box;

use common::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use liandan::layer::Backward;
use liandan::layers::Dense;
use liandan::optim::AdamState;
use liandan::prelude::*;
use liandan::quant::Rounding;
use liandan::Zeroed;

fn train_step<const B: usize>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let mut net = network();
    let mut trainer = Mnist::<f32>::trainer::<Adam, B>(Adam::default());
    let (x, y) = (inputs::<Hw<28, 28>, B>(2), labels::<B>(3));
    let (loss, mut r) = (SparseCategoricalCrossentropy::default(), rng(4));
    c.throughput(Throughput::Elements(B as u64));
    c.bench_function(BenchmarkId::from_parameter(B), |b| {
        b.iter(|| trainer.step(&mut net, &x, &y, B, &loss, &mut r).unwrap())
    });
}

fn train(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step");
    train_step::<1>(&mut g);
    train_step::<32>(&mut g);
    train_step::<128>(&mut g);
}

fn predict_batch<const B: usize>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let net = network();
    let x = inputs::<Hw<28, 28>, B>(5);
    let mut y = SMatrix::<f32, 10, B>::boxed();
    let mut scratch = Scratch::<Mnist<f32>, B>::boxed();
    c.throughput(Throughput::Elements(B as u64));
    c.bench_function(BenchmarkId::from_parameter(B), |b| {
        b.iter(|| net.forward(black_box(&*x), &mut *y, &mut *scratch))
    });
}

fn predict(c: &mut Criterion) {
    let mut g = c.benchmark_group("predict");
    predict_batch::<1>(&mut g);
    predict_batch::<256>(&mut g);
    g.finish();
    // The bound of the batch-1 latency target: reading every weight once, from cache.
    let net = network();
    let mut g = c.benchmark_group("read_weights");
    g.throughput(Throughput::Bytes(4 * Mnist::<f32>::PARAMS as u64));
    g.bench_function("sum_101770_f32", |b| {
        b.iter(|| read_weights(black_box(&net)))
    });
}

/// Forward and backward of one dense layer at batch 32; `with_dx` as the network uses it.
fn dense<const I: usize, const O: usize, A: liandan::activation::Activation>(
    c: &mut Criterion,
    name: &str,
    with_dx: bool,
) {
    const B: usize = 32;
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(B as u64));
    let mut layer = Dense::<f32, I, O, A>::boxed();
    layer.init(&mut rng(6));
    let x = inputs::<Flat<I>, B>(7);
    let (mut y, mut z) = (SMatrix::<f32, O, B>::boxed(), SMatrix::<f32, O, B>::boxed());
    let mut grad = Dense::<f32, I, O, A>::boxed();
    let mut dx = SMatrix::<f32, I, B>::boxed();
    g.bench_function("forward", |b| {
        b.iter(|| layer.forward(black_box(&*x), &mut *y, &mut ()))
    });
    layer.forward_train(&*x, &mut *y, &mut *z, Some(&mut rng(8)));
    let dy = SMatrix::<f32, O, B>::from_fn(|i, j| ((i * 7 + j) % 5) as f32 * 0.01);
    let mut d = dy;
    g.bench_function(
        if with_dx {
            "backward_with_dx"
        } else {
            "backward"
        },
        |b| {
            b.iter(|| {
                d.copy_from(&dy);
                let mut pass = Backward::new(&*x, &*y, &mut *z, &mut d, &mut *grad);
                pass.dx = if with_dx { Some(&mut *dx) } else { None };
                layer.backward(pass)
            })
        },
    );
}

fn dense_passes(c: &mut Criterion) {
    dense::<784, 128, Relu>(c, "dense_784_128", false);
    dense::<128, 10, Softmax>(c, "dense_128_10", true);
}

fn adam(c: &mut Criterion) {
    let mut net = network();
    let grad = Mnist::<f32>::new_boxed(&mut rng(9));
    let mut state = AdamState::<Mnist<f32>>::boxed();
    let adam = Adam::default();
    let mut g = c.benchmark_group("adam");
    g.throughput(Throughput::Elements(Mnist::<f32>::PARAMS as u64));
    // The network doubles as a gradient: same tensors, same order.
    g.bench_function("update_101770", |b| {
        b.iter(|| adam.update(&mut *net, &*grad, &mut *state))
    });
}

fn sgemm_peak(c: &mut Criterion) {
    let n = PEAK_N;
    let (a, b) = (square(n, 10), square(n, 11));
    let mut out = vec![0.0f32; n * n];
    let mut g = c.benchmark_group("sgemm_peak");
    g.sample_size(10);
    g.throughput(Throughput::Elements(sgemm_flop(n) as u64));
    g.bench_function("matrixmultiply_2048", |bch| {
        bch.iter(|| sgemm(n, &a, &b, &mut out))
    });
}

/// keras.io's convnet: a training step at batch 32, predictions at batch 1 and 256, then each
/// convolution and pooling layer's passes at batch 32.
fn convnet_step(c: &mut Criterion) {
    const B: usize = 32;
    let mut g = c.benchmark_group("convnet");
    g.sample_size(20);
    let mut net = convnet();
    let mut trainer = Convnet::<f32>::trainer::<Adam, B>(Adam::default());
    let (x, y) = (inputs::<Hwc<28, 28, 1>, B>(2), labels::<B>(3));
    let (loss, mut r) = (SparseCategoricalCrossentropy::default(), rng(4));
    g.throughput(Throughput::Elements(B as u64));
    g.bench_function("train_step_32", |b| {
        b.iter(|| trainer.step(&mut net, &x, &y, B, &loss, &mut r).unwrap())
    });
    g.throughput(Throughput::Elements(1));
    let mut one = Convnet::<f32>::trainer::<Adam, 1>(Adam::default());
    let x1 = inputs::<Hwc<28, 28, 1>, 1>(5);
    g.bench_function("predict_1", |b| {
        b.iter(|| black_box(one.predict(&net, &x1)[(0, 0)]))
    });
    g.throughput(Throughput::Elements(256));
    let mut many = Convnet::<f32>::trainer::<Adam, 256>(Adam::default());
    let x256 = inputs::<Hwc<28, 28, 1>, 256>(5);
    g.bench_function("predict_256", |b| {
        b.iter(|| black_box(many.predict(&net, &x256)[(0, 0)]))
    });
}

/// One layer's forward, training forward and backward at batch 32.
fn layer_passes<L: liandan::Train<Element = f32> + Zeroed>(
    c: &mut Criterion,
    name: &str,
    layer: &L,
    with_dx: bool,
) {
    use liandan::layer::{In, Out, Scratch};
    const B: usize = 32;
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(B as u64));
    let x = inputs::<L::Input, B>(7);
    let (mut y, mut tape) = (Out::<L, B>::boxed(), L::Tape::<B>::boxed());
    let mut scratch = Scratch::<L, B>::boxed();
    g.bench_function("forward", |b| {
        b.iter(|| layer.forward(black_box(&*x), &mut *y, &mut scratch))
    });
    g.bench_function("forward_train", |b| {
        b.iter(|| layer.forward_train(&*x, &mut *y, &mut *tape, Some(&mut rng(8))))
    });
    let (mut dy, mut grad, mut dx) = (Out::<L, B>::boxed(), L::Grad::boxed(), In::<L, B>::boxed());
    let mut seed = Out::<L, B>::boxed();
    seed.as_mut_slice()
        .iter_mut()
        .enumerate()
        .for_each(|(i, d)| *d = (i % 7) as f32 * 0.01);
    g.bench_function(
        if with_dx {
            "backward_with_dx"
        } else {
            "backward"
        },
        |b| {
            b.iter(|| {
                dy.as_mut_slice().copy_from_slice(seed.as_slice());
                let mut pass = Backward::new(&*x, &*y, &mut *tape, &mut *dy, &mut *grad);
                pass.dx = if with_dx { Some(&mut *dx) } else { None };
                layer.backward(pass)
            })
        },
    );
}

fn convnet_passes(c: &mut Criterion) {
    let net = convnet();
    layer_passes(c, "conv2d_28x28x1_32", &net.conv2d_1, false);
    layer_passes(c, "max_pooling2d_26x26x32", &net.max_pooling2d_1, true);
    layer_passes(c, "conv2d_13x13x32_64", &net.conv2d_2, true);
    layer_passes(c, "max_pooling2d_11x11x64", &net.max_pooling2d_2, true);
}

/// `int8_predict`: the int8 networks TFLite's converter made of the trained seed network and
/// convnet (benches/common), each beside its float form on the same inputs:
/// `mlp/int8/1`, `mlp/f32/1`, ..., `convnet/int8/256`.
fn int8_predict(c: &mut Criterion) {
    let mut g = c.benchmark_group("int8_predict");
    let (mlp, mlp_int8) = int8_mnist();
    int8_beside_f32::<_, 1>(&mut g, "mlp", &*mlp, &mlp_int8);
    int8_beside_f32::<_, 256>(&mut g, "mlp", &*mlp, &mlp_int8);
    let (convnet, convnet_int8) = int8_convnet();
    int8_beside_f32::<_, 1>(&mut g, "convnet", &*convnet, &convnet_int8);
    int8_beside_f32::<_, 256>(&mut g, "convnet", &*convnet, &convnet_int8);
}

/// `name/int8/B` and `name/f32/B`: one batch of `B` digits through `int8` and through `net`.
fn int8_beside_f32<N: liandan::quant::Quantize, const B: usize>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    net: &N,
    int8: &N::Int8,
) {
    use liandan::layer::Out;
    let batches = int8_inputs::<N, B>(int8);
    let (mut y, mut yq) = (Out::<N, B>::boxed(), Out::<N::Int8, B>::boxed());
    let mut scratch = Scratch::<N, B>::boxed();
    let mut scratch_q = Scratch::<N::Int8, B>::boxed();
    g.throughput(Throughput::Elements(B as u64));
    // Each call the next of the distinct batches of digits.
    let mut i = 0;
    g.bench_function(BenchmarkId::new(format!("{name}/int8"), B), |b| {
        b.iter(|| {
            i = (i + 1) % DISTINCT;
            int8.forward(black_box(&*batches[i].1), &mut *yq, &mut *scratch_q)
        })
    });
    g.bench_function(BenchmarkId::new(format!("{name}/f32"), B), |b| {
        b.iter(|| {
            i = (i + 1) % DISTINCT;
            net.forward(black_box(&*batches[i].0), &mut *y, &mut *scratch)
        })
    });
}

/// The int8 product with its requantisation, and the `f32` product of the same shape that
/// `Dense` runs (`gemm_nn`, `O×K` kernel times `K×rows` inputs), for the seed network's and the
/// convnet's layers (a convolution's rows are its output pixels, `K` its patch). Throughput is
/// in multiply-adds (`rows·K·O`), so criterion's elements/s are MAC/s.
fn int8_gemm(c: &mut Criterion) {
    let mut g = c.benchmark_group("int8_gemm");
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    products::<128, 784, 1>(&mut g, "dense_784_128_rows_1", 784);
    products::<128, 784, 256>(&mut g, "dense_784_128_rows_256", 784);
    products::<10, 128, 1>(&mut g, "dense_128_10_rows_1", 128);
    products::<10, 128, 256>(&mut g, "dense_128_10_rows_256", 128);
    products::<32, 9, 676>(&mut g, "conv1_9_32_rows_676", 12);
    products::<64, 288, 121>(&mut g, "conv2_288_64_rows_121", 288);
    products::<10, 1600, 1>(&mut g, "dense_1600_10_rows_1", 1600);
    products::<10, 1600, 256>(&mut g, "dense_1600_10_rows_256", 1600);
}

/// `int8/name` and `f32/name`: one product of `ROWS` rows of `K` inputs into `O` outputs.
fn products<const O: usize, const K: usize, const ROWS: usize>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    row_stride: usize,
) {
    use liandan::__private::{int8_gemm, Requantize};
    use liandan::quant::Multiplier;
    use rand::Rng;
    g.throughput(Throughput::Elements((ROWS * K * O) as u64));
    let mut r = rng(12);
    let x: Vec<i8> = (0..(ROWS - 1) * row_stride + K)
        .map(|_| r.random())
        .collect();
    let groups = K.div_ceil(4);
    let mut kernel: Vec<[i8; 4]> = (0..groups * O)
        .map(|_| core::array::from_fn(|_| r.random_range(-127..=127)))
        .collect();
    if !K.is_multiple_of(4) {
        // The last group's entries past K are zeros.
        for w in &mut kernel[(groups - 1) * O..] {
            w[K % 4..].fill(0);
        }
    }
    let bias: Vec<i32> = (0..O).map(|_| r.random_range(-5000..5000)).collect();
    let m: Vec<Multiplier> = (0..O)
        .map(|_| Multiplier::new(r.random_range(1e-4..1e-2)))
        .collect();
    let multiplier: Vec<i32> = m.iter().map(|m| m.multiplier).collect();
    let shift: Vec<i8> = m.iter().map(|m| m.shift as i8).collect();
    let q = Requantize {
        bias: &bias,
        multiplier: &multiplier,
        shift: &shift,
        zero_point: -128,
        min: -128,
        max: 127,
        rounding: Rounding::Once,
    };
    let mut out = vec![0i8; ROWS * O];
    g.bench_function(BenchmarkId::new("int8", name), |b| {
        b.iter(|| {
            int8_gemm(
                black_box(&x),
                ROWS,
                row_stride,
                K,
                &kernel,
                O,
                &q,
                &mut out,
                O,
            )
        })
    });
    let (mut a, mut xf) = (
        SMatrix::<f32, O, K>::boxed(),
        SMatrix::<f32, K, ROWS>::boxed(),
    );
    a.iter_mut().for_each(|v| *v = r.random::<f32>() - 0.5);
    xf.iter_mut().for_each(|v| *v = r.random());
    let mut z = SMatrix::<f32, O, ROWS>::boxed();
    g.bench_function(BenchmarkId::new("f32", name), |b| {
        b.iter(|| liandan::linalg::gemm_nn(&mut *z, &a, black_box(&*xf), 0.0))
    });
}

criterion_group!(
    benches,
    sgemm_peak,
    train,
    predict,
    dense_passes,
    adam,
    convnet_step,
    convnet_passes,
    int8_gemm,
    int8_predict
);
criterion_main!(benches);
