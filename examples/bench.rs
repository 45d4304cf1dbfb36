//! The benchmark figures without criterion: one line each, the median of several timed runs,
//! with GFLOP/s and the fraction of the SGEMM peak measured in the same run. The FLOP counts are
//! documented in `benches/common/mod.rs`.
//!
//! ```text
//! cargo run --release --example bench                      # every figure
//! cargo run --release --example bench -- "train_step B=128"  # those whose name contains it
//! cargo run --release --example bench -- --json convnet      # JSON lines for tools/conv_peers
//! cargo run --release --example bench -- --json int8         # JSON lines for tools/tflite
//! ```

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use common::*;
use liandan::layer::{Backward, Head, NoParams, Seed};
use liandan::layers::Dense;
use liandan::loss::Loss;
use liandan::optim::AdamState;
use liandan::prelude::*;

/// Seconds per call of `f`: the median of `runs` runs of enough calls to last about 20 ms.
fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed().as_secs_f64() < 0.02 {
        f();
        calls += 1;
    }
    let calls = calls.max(1);
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                f();
            }
            t.elapsed().as_secs_f64() / calls as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

struct Report {
    peak: f64,
    /// `--json`: the convnet's step and predictions as tools/conv_peers reads them, timed as
    /// it times its peers.
    json: bool,
    /// Only figures whose name contains this (or that start a name it contains) are measured.
    filter: String,
}

impl Report {
    /// Whether the figures named `key`... are wanted: `-- "adam"` and `-- "adam update (101"`
    /// both select the Adam figure, `-- phase` or `-- "phase: dropout"` the per-pass times.
    fn wants(&self, key: &str) -> bool {
        key.contains(&self.filter) || self.filter.contains(key)
    }

    /// One line: time per call, samples/s, GFLOP/s and its fraction of the peak.
    fn line(&self, name: &str, secs: f64, samples: usize, flop: f64) {
        let gflops = flop / secs / 1e9;
        println!(
            "{name:<34} {:>10.2} us {:>12.0} samples/s {:>7.1} GFLOP/s {:>6.1} % of peak",
            secs * 1e6,
            samples as f64 / secs,
            gflops,
            100.0 * gflops / self.peak
        );
    }
}

fn train_step<const B: usize>(r: &Report) {
    let name = format!("train_step B={B}");
    if !r.wants(&name) {
        return;
    }
    let mut net = network();
    let mut trainer = Mnist::<f32>::trainer::<Adam, B>(Adam::default());
    let (x, y) = (inputs::<Hw<28, 28>, B>(2), labels::<B>(3));
    let (loss, mut g) = (SparseCategoricalCrossentropy::default(), rng(4));
    let secs = median_secs(15, || {
        trainer.step(&mut net, &x, &y, B, &loss, &mut g).unwrap();
    });
    r.line(&name, secs, B, train_flop(B));
}

fn predict<const B: usize>(r: &Report) {
    let name = format!("predict B={B}");
    if !r.wants(&name) {
        return;
    }
    let net = network();
    let x = inputs::<Hw<28, 28>, B>(5);
    let mut y = SMatrix::<f32, 10, B>::boxed();
    let mut scratch = Scratch::<Mnist<f32>, B>::boxed();
    let secs = median_secs(15, || net.forward(black_box(&*x), &mut *y, &mut *scratch));
    r.line(&name, secs, B, predict_flop(B));
}

fn dense<const I: usize, const O: usize, A: liandan::activation::Activation>(
    r: &Report,
    with_dx: bool,
) {
    const B: usize = 32;
    if !r.wants(&format!("dense {I}->{O}")) {
        return;
    }
    let mut layer = Dense::<f32, I, O, A>::boxed();
    layer.init(&mut rng(6));
    let x = inputs::<Flat<I>, B>(7);
    let (mut y, mut z) = (SMatrix::<f32, O, B>::boxed(), SMatrix::<f32, O, B>::boxed());
    let mut grad = Dense::<f32, I, O, A>::boxed();
    let mut dx = SMatrix::<f32, I, B>::boxed();
    let fwd = dense_forward_flop(I, O, B);
    let secs = median_secs(15, || layer.forward(black_box(&*x), &mut *y, &mut ()));
    r.line(&format!("dense {I}->{O} forward B={B}"), secs, B, fwd);
    layer.forward_train(&*x, &mut *y, &mut *z, Some(&mut rng(8)));
    let dy = SMatrix::<f32, O, B>::from_fn(|i, j| ((i * 7 + j) % 5) as f32 * 0.01);
    let mut d = dy;
    let secs = median_secs(15, || {
        d.copy_from(&dy);
        let mut pass = Backward::new(&*x, &*y, &mut *z, &mut d, &mut *grad);
        pass.dx = if with_dx { Some(&mut *dx) } else { None };
        layer.backward(pass)
    });
    let (what, flop) = if with_dx {
        ("backward+dx", 2.0 * fwd)
    } else {
        ("backward", fwd)
    };
    r.line(&format!("dense {I}->{O} {what} B={B}"), secs, B, flop);
}

fn main() {
    let n = PEAK_N;
    let (a, b) = (square(n, 10), square(n, 11));
    let mut c = vec![0.0f32; n * n];
    let secs = median_secs(5, || sgemm(n, &a, &b, &mut c));
    let peak = sgemm_flop(n) / secs / 1e9;
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.first().is_some_and(|a| a == "--json");
    if json {
        args.remove(0);
    }
    let filter = args.first().cloned().unwrap_or_default();
    let r = Report { peak, filter, json };
    println!("# liandan benchmark, one core, f32; medians; FLOP counts in benches/common/mod.rs");
    r.line("sgemm 2048^3 (matrixmultiply)", secs, 0, sgemm_flop(n));
    handoff(&r);
    train_step::<1>(&r);
    train_step::<32>(&r);
    train_step::<128>(&r);
    predict::<1>(&r);
    predict::<256>(&r);
    read_weights_once(&r);
    dense::<784, 128, Relu>(&r, false);
    dense::<128, 10, Softmax>(&r, true);
    adam(&r);
    phases(&r);
    convnet_train_step::<32>(&r);
    convnet_train_step::<128>(&r);
    convnet_predict::<1>(&r);
    convnet_predict::<256>(&r);
    convnet_passes(&r);
    let (mlp, mlp_int8) = int8_mnist();
    int8_against_f32::<_, 1>(&r, "mlp", &*mlp, &mlp_int8);
    int8_against_f32::<_, 256>(&r, "mlp", &*mlp, &mlp_int8);
    let (convnet, convnet_int8) = int8_convnet();
    int8_against_f32::<_, 1>(&r, "convnet", &*convnet, &convnet_int8);
    int8_against_f32::<_, 256>(&r, "convnet", &*convnet, &convnet_int8);
}

fn convnet_train_step<const B: usize>(r: &Report) {
    let name = format!("convnet train_step B={B}");
    if !r.wants(&name) {
        return;
    }
    let mut net = convnet();
    let mut trainer = Convnet::<f32>::trainer::<Adam, B>(Adam::default());
    let (x, y) = (inputs::<Hwc<28, 28, 1>, B>(2), labels::<B>(3));
    let (loss, mut g) = (SparseCategoricalCrossentropy::default(), rng(4));
    let step = || {
        trainer.step(&mut net, &x, &y, B, &loss, &mut g).unwrap();
    };
    if r.json {
        return peer_line("train", B, step);
    }
    let secs = median_secs(9, step);
    r.line(&name, secs, B, convnet_train_flop(B));
}

fn convnet_predict<const B: usize>(r: &Report) {
    let name = format!("convnet predict B={B}");
    if !r.wants(&name) {
        return;
    }
    let net = convnet();
    let mut trainer = Convnet::<f32>::trainer::<Adam, B>(Adam::default());
    let x = inputs::<Hwc<28, 28, 1>, B>(5);
    let call = || {
        black_box(trainer.predict(&net, black_box(&*x)));
    };
    if r.json {
        return peer_line("predict", B, call);
    }
    let secs = median_secs(9, call);
    r.line(&name, secs, B, convnet_predict_flop(B));
}

/// The int8 form of `net` and its f32 form predicting the same batches of digits (cycling
/// through [`DISTINCT`] of them), alternated in rounds in
/// one run: each round times both (medians of 3 runs), and the line gives each one's median
/// over the rounds and the median of the rounds' ratios. With `--json`, the int8 network's line
/// for tools/tflite's summary (task `predict-int8-mnist` or `predict-int8-convnet`, as
/// tools/tflite/bench.py names TFLite's).
fn int8_against_f32<N, const B: usize>(r: &Report, name: &str, net: &N, int8: &N::Int8)
where
    N: liandan::quant::Quantize,
{
    use liandan::layer::Out;
    let name = format!("{name} int8 predict B={B}");
    if !r.wants(&name) {
        return;
    }
    let batches = int8_inputs::<N, B>(int8);
    let (mut y, mut yq) = (Out::<N, B>::boxed(), Out::<N::Int8, B>::boxed());
    let mut scratch = Scratch::<N, B>::boxed();
    let mut scratch_q = Scratch::<N::Int8, B>::boxed();
    // Each call the next of the distinct batches, as TFLite's calls in tools/tflite/bench.py.
    let (mut i, mut j) = (0, 0);
    let mut f32_call = || {
        i = (i + 1) % DISTINCT;
        net.forward(black_box(&*batches[i].0), &mut *y, &mut *scratch)
    };
    let mut int8_call = || {
        j = (j + 1) % DISTINCT;
        int8.forward(black_box(&*batches[j].1), &mut *yq, &mut *scratch_q)
    };
    if r.json {
        let model = if name.starts_with("mlp") {
            "mnist"
        } else {
            "convnet"
        };
        return peer_line(&format!("predict-int8-{model}"), B, int8_call);
    }
    let (mut f32s, mut int8s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..7 {
        let (a, b) = (
            median_secs(3, &mut f32_call),
            median_secs(3, &mut int8_call),
        );
        f32s.push(a);
        int8s.push(b);
        ratios.push(a / b);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b, ratio) = (median(&mut f32s), median(&mut int8s), median(&mut ratios));
    println!(
        "{name:<34} {:>10.2} us {:>12.0} samples/s   f32 {:>10.2} us {:>12.0} samples/s   int8/f32 {ratio:.2}x",
        b * 1e6,
        B as f64 / b,
        a * 1e6,
        B as f64 / a
    );
}

/// One JSON line as tools/conv_peers prints its peers': 0.3 s of calls untimed, then at least
/// 1 s and 30 calls; the median call's wall time, and the mean CPU and wall seconds per call.
fn peer_line(task: &str, batch: usize, mut f: impl FnMut()) {
    let warm = Instant::now();
    while warm.elapsed().as_secs_f64() < 0.3 {
        f();
    }
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let mut calls = Vec::new();
    while calls.len() < 30 || start.elapsed().as_secs_f64() < 1.0 {
        let t = Instant::now();
        f();
        calls.push(t.elapsed().as_secs_f64());
    }
    let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let n = calls.len() as f64;
    calls.sort_by(f64::total_cmp);
    let median = calls[calls.len() / 2];
    println!(
        "{{\"peer\": \"liandan\", \"task\": \"{task}\", \"batch\": {batch}, \"samples_per_s\": {:.1}, \"us_per_batch\": {:.1}, \"cpu_s\": {:.9}, \"wall_s\": {:.9}}}",
        batch as f64 / median,
        median * 1e6,
        cpu / n,
        wall / n
    );
}

/// This process's CPU seconds (user and system) from `/proc/self/stat`, in clock ticks of
/// 1/100 s; 0 where there is no `/proc`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Each pass of the convnet's layers at batch 32, alone, on the buffers of a training step.
fn convnet_passes(r: &Report) {
    use liandan::layer::{In, Out, Scratch, Train};
    const B: usize = 32;
    fn passes<L: Train<Element = f32> + Zeroed>(
        r: &Report,
        name: &str,
        net: &L,
        flop: f64,
        with_dx: bool,
    ) {
        if !r.wants(name) {
            return;
        }
        let x = inputs::<L::Input, B>(7);
        let (mut y, mut tape) = (Out::<L, B>::boxed(), L::Tape::<B>::boxed());
        let mut scratch = Scratch::<L, B>::boxed();
        let secs = median_secs(9, || net.forward(black_box(&*x), &mut *y, &mut scratch));
        r.line(&format!("{name} forward B={B}"), secs, B, flop);
        let secs = median_secs(9, || {
            net.forward_train(&*x, &mut *y, &mut *tape, Some(&mut rng(8)))
        });
        r.line(&format!("{name} forward_train B={B}"), secs, B, flop);
        let (mut dy, mut grad, mut dx) =
            (Out::<L, B>::boxed(), L::Grad::boxed(), In::<L, B>::boxed());
        let mut seed = Out::<L, B>::boxed();
        let values = seed.as_mut_slice().iter_mut().enumerate();
        values.for_each(|(i, d)| *d = (i % 7) as f32 * 0.01);
        // The pass overwrites its output gradient, so each call starts from a copy of it.
        let secs = median_secs(9, || {
            dy.as_mut_slice().copy_from_slice(seed.as_slice());
            let mut pass = Backward::new(&*x, &*y, &mut *tape, &mut *dy, &mut *grad);
            pass.dx = if with_dx { Some(&mut *dx) } else { None };
            net.backward(pass)
        });
        let (what, flop) = if with_dx {
            ("backward+dx", 2.0 * flop)
        } else {
            ("backward", flop)
        };
        r.line(&format!("{name} {what} B={B}"), secs, B, flop);
    }
    let net = convnet();
    passes(
        r,
        "conv2d 28x28x1->32 3x3",
        &net.conv2d_1,
        conv_forward_flop(26 * 26, 32, 9, B),
        false,
    );
    passes(r, "max_pooling2d 26x26x32", &net.max_pooling2d_1, 0.0, true);
    passes(
        r,
        "conv2d 13x13x32->64 3x3",
        &net.conv2d_2,
        conv_forward_flop(11 * 11, 64, 288, B),
        true,
    );
    passes(r, "max_pooling2d 11x11x64", &net.max_pooling2d_2, 0.0, true);
}

/// Where a batch-128 training step goes: each pass of the seed network timed alone, in a loop,
/// on the buffers a step uses.
fn phases(r: &Report) {
    if !r.wants("phase") {
        return;
    }
    let mut step = Step::new();
    step.forward();
    step.backward();
}

/// The network, its gradient and Adam's state, a batch of 128, and every intermediate buffer of
/// a training step.
struct Step {
    net: Box<Mnist<f32>>,
    grad: Box<Mnist<f32>>,
    state: Box<AdamState<Mnist<f32>>>,
    x: Box<Batch<f32, Hw<28, 28>, 128>>,
    labels: [usize; 128],
    /// `z1, h1, mask, h2, dh2, dh1, dz1`: the 128 units of the first layer.
    wide: [Box<SMatrix<f32, 128, 128>>; 7],
    /// `z2, p, dp`: the 10 outputs.
    narrow: [Box<SMatrix<f32, 10, 128>>; 3],
}

/// A line of [`phases`].
fn phase(name: &str, f: impl FnMut()) {
    println!("{:<34} {:>10.2} us", name, median_secs(15, f) * 1e6);
}

/// The images read in place as 784 features each, as the network's first dense layer reads them.
fn flat(x: &Batch<f32, Hw<28, 28>, 128>) -> &SMatrix<f32, 784, 128> {
    liandan::shape::view(x)
}

impl Step {
    fn new() -> Self {
        Step {
            net: network(),
            grad: Mnist::<f32>::new_boxed(&mut rng(5)),
            state: AdamState::<Mnist<f32>>::boxed(),
            x: inputs::<Hw<28, 28>, 128>(2),
            labels: labels::<128>(3),
            wide: std::array::from_fn(|_| SMatrix::boxed()),
            narrow: std::array::from_fn(|_| SMatrix::boxed()),
        }
    }

    fn forward(&mut self) {
        // The first dense layer reads the images in place as 784 features, as the network does.
        let (net, x, mut g) = (&self.net, flat(&self.x), rng(4));
        let [z1, h1, mask, h2, ..] = &mut self.wide;
        let [z2, p, dp] = &mut self.narrow;
        phase("phase: dense 1 forward", || {
            net.dense_1.forward_train(x, h1, z1, Some(&mut g))
        });
        phase("phase: dropout forward", || {
            net.dropout_1.forward_train(h1, h2, mask, Some(&mut g))
        });
        phase("phase: dense 2 forward (softmax)", || {
            net.dense_2.forward_train(h2, p, z2, Some(&mut g))
        });
        let loss = SparseCategoricalCrossentropy::default();
        phase("phase: loss and its gradient", || {
            black_box(loss.loss(p, &self.labels, 128));
            loss.gradient(p, &self.labels, 128, Head::Softmax, dp);
        });
    }

    fn backward(&mut self) {
        let (net, x) = (&mut self.net, flat(&self.x));
        let [z1, h1, mask, h2, dh2, dh1, dz1] = &mut self.wide;
        let [z2, p, dp] = &mut self.narrow;
        let (d1, d2) = (&mut self.grad.dense_1, &mut self.grad.dense_2);
        // With fused logits, `dp` is only read.
        phase("phase: dense 2 backward", || {
            let pass = Backward::new(&**h2, &**p, &mut **z2, &mut **dp, d2);
            net.dense_2.backward(
                pass.seed(Seed::Logits)
                    .overwrite()
                    .input_gradient(&mut **dh2),
            )
        });
        phase("phase: dropout backward", || {
            let mut none = NoParams;
            let pass = Backward::new(&**h1, &**h2, &mut **mask, &mut **dh2, &mut none);
            net.dropout_1.backward(pass.input_gradient(&mut **dh1))
        });
        // The relu backward overwrites its `dy` argument, so each call starts from a copy.
        phase("phase: dense 1 backward (+ copy)", || {
            dz1.copy_from(&**dh1);
            let pass = Backward::new(x, &**h1, &mut **z1, &mut **dz1, d1);
            net.dense_1.backward(pass.overwrite())
        });
        let adam = Adam::default();
        phase("phase: Adam after the step", || {
            adam.update_after_step(&mut **net, &*self.grad, &mut *self.state, 128)
        });
    }
}

/// The machine's two-core context, printed with `--features parallel`: the time to hand
/// 256 KB written on one core to the other (a round trip of a flag, then a read of every line).
///
/// The two-core figures depend on it: a split training step moves about that much between the
/// cores. On the shared virtual machine of the README it is sometimes three and a half times
/// slower than usual, and a batch-128 step on two cores is then 1.36x one core instead of 1.77x.
#[cfg(feature = "parallel")]
fn handoff(r: &Report) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    if !r.wants("two-core hand-off") {
        return;
    }
    const WORDS: usize = 256 * 1024 / 8;
    let buf: Vec<std::sync::atomic::AtomicU64> = (0..WORDS).map(|_| 0.into()).collect();
    let turn = AtomicUsize::new(0);
    let rounds = 2_000;
    let secs = std::thread::scope(|s| {
        s.spawn(|| {
            for round in 0..rounds {
                while turn.load(Ordering::Acquire) != 2 * round + 1 {
                    std::hint::spin_loop();
                }
                let sum = buf.iter().map(|w| w.load(Ordering::Relaxed)).sum::<u64>();
                black_box(sum);
                turn.store(2 * round + 2, Ordering::Release);
            }
        });
        let start = Instant::now();
        for round in 0..rounds {
            for w in &buf {
                w.store(round as u64, Ordering::Relaxed);
            }
            turn.store(2 * round + 1, Ordering::Release);
            while turn.load(Ordering::Acquire) != 2 * round + 2 {
                std::hint::spin_loop();
            }
        }
        start.elapsed().as_secs_f64() / rounds as f64
    });
    println!(
        "{:<34} {:>10.2} us (write 256 KB here, read it on the other core)",
        "two-core hand-off",
        secs * 1e6
    );
}

#[cfg(not(feature = "parallel"))]
fn handoff(_: &Report) {}

fn read_weights_once(r: &Report) {
    if !r.wants("read 101,770 weights") {
        return;
    }
    let net = network();
    let read = median_secs(15, || {
        black_box(read_weights(black_box(&net)));
    });
    println!(
        "{:<34} {:>10.2} us (the batch-1 bound; predict B=1 should be within 1.5x)",
        "read 101,770 weights from cache",
        read * 1e6
    );
}

fn adam(r: &Report) {
    if !r.wants("adam update") {
        return;
    }
    let mut net = network();
    let grad = Mnist::<f32>::new_boxed(&mut rng(9));
    let mut state = AdamState::<Mnist<f32>>::boxed();
    let adam = Adam::default();
    // `update` splits by size alone (with `parallel`), as after a step at batch 11 or more.
    let secs = median_secs(15, || adam.update(&mut *net, &*grad, &mut *state));
    println!(
        "{:<34} {:>10.2} us {:>12.0} params/s",
        "adam update (101,770 params)",
        secs * 1e6,
        Mnist::<f32>::PARAMS as f64 / secs
    );
}
