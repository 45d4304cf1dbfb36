//! The corpus files written by code: valid files of each format (weights and optimizer state
//! as liandan's own writers produce them) and crafted inputs that break a property.
//!
//! `UPDATE_SEEDS=1 cargo test --test fuzz_corpus` writes them to `fuzz/corpus/<target>/`.
//! Crashers found by fuzzing are committed as `cargo fuzz tmin` left them, renamed.

use liandan::io::{params_to_bytes, save_optimizer_state, save_weights_with, Layout};
use liandan::optim::{AdamState, SgdState};
use liandan::prelude::*;
use liandan::quant::{Calibration, Range};
use safetensors::tensor::TensorView;
use safetensors::Dtype;

use super::idx::{gzip, idx_bytes};
use super::int8::TINY_QUANT_ARCHITECTURE;
use super::{seeded, TempFile, Tiny, TinyConv, TinyQuant};

/// One corpus file: its target's directory, its name, its bytes.
pub struct Seed {
    /// `idx`, `idx_gzip`, `csv`, `weights`, `int8` or `optimizer_state`.
    pub target: &'static str,
    /// The file's name, with an extension (what the replay test reads).
    pub name: &'static str,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Every seed, valid files first in each target.
pub fn all() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut add = |target, name, bytes| {
        seeds.push(Seed {
            target,
            name,
            bytes,
        })
    };
    let images = idx_bytes(&[3, 2, 2], &(0..12).map(|p| p * 21).collect::<Vec<u8>>());
    add("idx", "images-2x2.idx3", images.clone());
    add("idx", "labels.idx1", idx_bytes(&[3], &[7, 0, 9]));
    add("idx", "labels-past-10.idx1", idx_bytes(&[2], &[3, 11]));
    add("idx", "empty.idx3", idx_bytes(&[0, 28, 28], &[]));
    add("idx", "cube.idx4", idx_bytes(&[1, 2, 1, 2], &[1, 2, 3, 4]));
    add("idx", "truncated.idx3", idx_bytes(&[2, 2, 2], &[1; 7]));
    add(
        "idx",
        "trailing.idx1",
        [idx_bytes(&[3], &[1, 2, 3]), b"junk".to_vec()].concat(),
    );

    add("idx_gzip", "images-2x2.idx3.gz", gzip(&images));
    let (header, payload) = images.split_at(8);
    add(
        "idx_gzip",
        "two-members.idx3.gz",
        [gzip(header), gzip(payload)].concat(),
    );
    // 100 kB of zeros after a one-byte payload, in 120 bytes: read to the end, the stream
    // could as well inflate to gigabytes.
    let zeros = [idx_bytes(&[1], &[0]), vec![0; 100_000]].concat();
    add("idx_gzip", "trailing-100k-zeros.idx1.gz", gzip(&zeros));

    let text = |s: &str| s.as_bytes().to_vec();
    add("csv", "header.csv", text("\"a\",b,label\n1,2,0\n3,4,1\n"));
    add("csv", "headerless-crlf.csv", text("1, 2 ,0\r\n\n3,4,1"));
    add("csv", "values.csv", text("x,y\n0.5,-1.25\n3e-2,7\n"));
    add("csv", "bom-headerless.csv", text("\u{feff}1,2\n3,4\n"));
    add("csv", "cr-only.csv", text("1,2\r3,4\r"));
    add("csv", "label-1e20-digits.csv", text("0.5,1e20\n"));
    add("csv", "cell-1e39.csv", text("0,1e39\n"));

    let mut net = Tiny::<f32>::zeroed();
    seeded(&mut net, 0);
    add("weights", "tiny-f32.safetensors", weights(&net));
    let mut wide = Tiny::<f64>::zeroed();
    seeded(&mut wide, 1);
    add("weights", "tiny-f64.safetensors", weights(&wide));
    let keras = include_bytes!("../../tests/fixtures/keras_tiny.safetensors");
    add("weights", "keras-tiny.safetensors", keras.to_vec());
    let torch = include_bytes!("../../tests/fixtures/torch_tiny.safetensors");
    add("weights", "torch-tiny.safetensors", torch.to_vec());
    let mut nan = net.clone();
    nan.dense_2.bias[1] = f32::NAN;
    add("weights", "nan-bias.safetensors", weights(&nan));
    let mut conv = TinyConv::<f32>::zeroed();
    seeded(&mut conv, 5);
    add("weights", "tinyconv-keras.safetensors", weights(&conv));
    add(
        "weights",
        "tinyconv-pytorch.safetensors",
        weights_in(&conv, Layout::PyTorch),
    );
    wide.dense_1.kernel[3] = 1e300;
    add("weights", "f64-1e300.safetensors", weights(&wide));
    add(
        "weights",
        "duplicate-name-accepted.safetensors",
        duplicate_name(),
    );
    // Keras' file with `dense_2.bias` renamed: the map keeps the second `dense_1.bias`, and the
    // first one's bytes are then a gap before `dense_1.kernel`.
    let mut twice = keras.to_vec();
    let at = twice.windows(12).position(|w| w == b"dense_2.bias");
    twice[at.expect("Keras' file names dense_2.bias") + 6] = b'1';
    add("weights", "duplicate-name-as-offsets.safetensors", twice);
    add(
        "weights",
        "offsets-past-u64-max.safetensors",
        offsets_past_u64_max(),
    );

    int8_seeds(&mut add);

    let mut adam = AdamState::<Tiny<f32>>::zeroed();
    seeded(&mut adam.m, 2);
    seeded(&mut adam.v, 3);
    for i in 0..Tiny::<f32>::TENSORS {
        adam.v.tensor_mut(i).iter_mut().for_each(|v| *v = v.abs());
    }
    adam.step = 3;
    add("optimizer_state", "adam.safetensors", state(&adam));
    let mut sgd = SgdState::<Tiny<f32>>::zeroed();
    seeded(&mut sgd.velocity, 4);
    add("optimizer_state", "sgd.safetensors", state(&sgd));
    adam.step = u64::MAX;
    add(
        "optimizer_state",
        "adam-step-u64-max.safetensors",
        state(&adam),
    );
    adam.step = 3;
    adam.m.dense_2.kernel[4] = f32::NAN;
    add("optimizer_state", "adam-nan-m.safetensors", state(&adam));
    adam.m.dense_2.kernel[4] = 0.5;
    adam.v.dense_1.bias[0] = -0.25;
    add(
        "optimizer_state",
        "adam-negative-v.safetensors",
        state(&adam),
    );
    seeds
}

/// The `int8` target's seeds: valid files of `TinyQuantInt8` (hand-made, and written by
/// liandan's calibration), then each with one fault.
fn int8_seeds(add: &mut impl FnMut(&'static str, &'static str, Vec<u8>)) {
    let good = tiny_int8();
    let metadata = [
        ("liandan.format", "int8"),
        ("liandan.architecture", TINY_QUANT_ARCHITECTURE),
    ];
    let file = |tensors: &[Raw]| int8_file(tensors, &metadata);
    add("int8", "tiny.safetensors", file(&good));
    let mut net = TinyQuant::<f32>::zeroed();
    seeded(&mut net, 6);
    let range = |min, max| Range { min, max };
    let calibration = Calibration {
        ranges: vec![range(0.0, 1.0), range(-0.5, 2.0), range(-3.0, 4.0)],
    };
    let calibrated = calibration
        .to_bytes(&net)
        .expect("a seed network quantises");
    add("int8", "calibrated.safetensors", calibrated);
    add(
        "int8",
        "no-architecture.safetensors",
        int8_file(&good, &metadata[..1]),
    );
    add("int8", "float-weights.safetensors", weights(&net));
    let not_int8 = [("liandan.format", "f32")];
    add(
        "int8",
        "format-f32.safetensors",
        int8_file(&good, &not_int8),
    );
    let other = [
        ("liandan.format", "int8"),
        ("liandan.architecture", "Tiny: input [4]"),
    ];
    add(
        "int8",
        "other-architecture.safetensors",
        int8_file(&good, &other),
    );
    let edited = |name: &str, edit: &dyn Fn(&mut Raw)| {
        let mut tensors = good.clone();
        tensors.iter_mut().filter(|t| t.0 == name).for_each(edit);
        file(&tensors)
    };
    let scale_zero = edited("dense_1.kernel_scale", &|t| {
        t.3[8..12].copy_from_slice(&0f32.to_le_bytes())
    });
    add("int8", "kernel-scale-zero.safetensors", scale_zero);
    let scale_nan = edited("input.scale", &|t| {
        t.3.copy_from_slice(&f32::NAN.to_le_bytes())
    });
    add("int8", "input-scale-nan.safetensors", scale_nan);
    let zp = edited("dense_1.output_zero_point", &|t| {
        t.3.copy_from_slice(&200i32.to_le_bytes())
    });
    add("int8", "zero-point-200.safetensors", zp);
    add(
        "int8",
        "kernel-minus-128.safetensors",
        edited("dense_2.kernel", &|t| t.3[4] = 0x80),
    );
    let f32_bias = edited("dense_1.bias", &|t| t.1 = Dtype::F32);
    add("int8", "bias-f32.safetensors", f32_bias);
    let transposed = edited("dense_1.kernel", &|t| t.2 = vec![5, 6]);
    add("int8", "kernel-transposed.safetensors", transposed);
    // dense_1's multipliers near 4e25, saturated to (2^31 - 1, 30); with a positive output
    // zero point, an output that saturates `apply` at i32::MAX must not wrap past it.
    let mut saturated = good.clone();
    for t in &mut saturated {
        match t.0.as_str() {
            "dense_1.output_scale" => t.3.copy_from_slice(&1e-30f32.to_le_bytes()),
            "dense_1.output_zero_point" => t.3.copy_from_slice(&5i32.to_le_bytes()),
            _ => {}
        }
    }
    add("int8", "multiplier-saturated.safetensors", file(&saturated));
    let missing: Vec<Raw> = good
        .iter()
        .filter(|t| t.0 != "dense_2.bias")
        .cloned()
        .collect();
    add("int8", "missing-bias.safetensors", file(&missing));
    let mut extra = good.clone();
    extra.push(("dense_3.bias".into(), Dtype::I32, vec![1], vec![0; 4]));
    add("int8", "extra-tensor.safetensors", file(&extra));
}

/// A tensor of a hand-made file: name, type, shape, little-endian bytes.
type Raw = (String, Dtype, Vec<usize>, Vec<u8>);

/// A valid int8 file's tensors for `TinyQuantInt8`: kernels reaching ±127, biases of both signs,
/// a hidden layer whose output zero point is -128 (ReLU's floor at the int8 minimum).
fn tiny_int8() -> Vec<Raw> {
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let i32s = |v: &[i32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let kernel = |n: usize| {
        let mut w: Vec<u8> = (0..n).map(|k| ((k * 37 + 11) % 255) as i8 as u8).collect();
        w.iter_mut().filter(|w| **w == 0x80).for_each(|w| *w = 0);
        (w[0], w[n - 1]) = (127, (-127i8) as u8);
        w
    };
    let t = |name: &str, dtype, shape: &[usize], bytes| {
        (name.to_string(), dtype, shape.to_vec(), bytes)
    };
    vec![
        t("input.scale", Dtype::F32, &[1], f32s(&[1.0 / 255.0])),
        t("input.zero_point", Dtype::I32, &[1], i32s(&[-128])),
        t("dense_1.kernel", Dtype::I8, &[6, 5], kernel(30)),
        t(
            "dense_1.bias",
            Dtype::I32,
            &[5],
            i32s(&[-300, 0, 17, 1000, -1]),
        ),
        t(
            "dense_1.kernel_scale",
            Dtype::F32,
            &[5],
            f32s(&[0.01, 0.02, 0.005, 0.03, 0.015]),
        ),
        t("dense_1.output_scale", Dtype::F32, &[1], f32s(&[0.05])),
        t("dense_1.output_zero_point", Dtype::I32, &[1], i32s(&[-128])),
        t("dense_2.kernel", Dtype::I8, &[5, 3], kernel(15)),
        t("dense_2.bias", Dtype::I32, &[3], i32s(&[50, -50, 7])),
        t(
            "dense_2.kernel_scale",
            Dtype::F32,
            &[3],
            f32s(&[0.004, 0.008, 0.002]),
        ),
        t("dense_2.output_scale", Dtype::F32, &[1], f32s(&[0.1])),
        t("dense_2.output_zero_point", Dtype::I32, &[1], i32s(&[7])),
    ]
}

/// A safetensors file of `tensors`, with the `metadata` strings.
fn int8_file(tensors: &[Raw], metadata: &[(&str, &str)]) -> Vec<u8> {
    let views = tensors.iter().map(|(name, dtype, shape, bytes)| {
        let view = TensorView::new(*dtype, shape.clone(), bytes).expect("a seed tensor's size");
        (name.clone(), view)
    });
    let metadata = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    safetensors::serialize(views, Some(metadata)).expect("a seed file encodes")
}

/// `net`'s weight file, as `save_weights` writes it.
fn weights<N: Network + Params<N::Element>>(net: &N) -> Vec<u8>
where
    N::Element: Float,
{
    weights_in(net, Layout::Keras)
}

/// `net`'s weight file in `layout`, as `save_weights_with` writes it.
fn weights_in<N: Network + Params<N::Element>>(net: &N, layout: Layout) -> Vec<u8>
where
    N::Element: Float,
{
    let file = TempFile::new("seed.safetensors", &[]);
    save_weights_with(net, file.path(), layout).expect("a seed network saves");
    std::fs::read(file.path()).expect("the saved seed reads back")
}

/// `state`'s file, as `save_optimizer_state` writes it.
fn state<S: liandan::io::OptimizerState<f32>>(state: &S) -> Vec<u8> {
    let file = TempFile::new("seed.safetensors", &[]);
    save_optimizer_state(state, file.path()).expect("a seed state saves");
    std::fs::read(file.path()).expect("the saved seed reads back")
}

/// A header naming `dense_1.bias` twice, first with offsets that overlap `dense_1.kernel`'s:
/// the JSON map keeps the second, a valid entry, so the file reads as if the first were not
/// there.
fn duplicate_name() -> Vec<u8> {
    let net = Tiny::<f32>::zeroed();
    let good = params_to_bytes(&net).expect("a zero network saves");
    let n = u64::from_le_bytes(good[..8].try_into().expect("8 bytes")) as usize;
    let header = std::str::from_utf8(&good[8..8 + n]).expect("a UTF-8 header");
    let bias = "\"dense_1.bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,20]},";
    let twice = header.replacen('{', &format!("{{{bias}"), 1);
    let mut file = (twice.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(twice.as_bytes());
    file.extend_from_slice(&good[8 + n..]);
    file
}

/// Eight `U8` tensors of `2⁶¹ - 1` bytes (the most whose bit count fits a `u64`), their
/// offsets chained up to `2⁶⁴ - 8`: the reader adds the last one to the header's length.
fn offsets_past_u64_max() -> Vec<u8> {
    let chunk = (1u64 << 61) - 1;
    let mut entries = Vec::new();
    for k in 0..8u64 {
        let (start, end) = (k * chunk, (k + 1) * chunk);
        entries.push(format!(
            "\"t{k}\":{{\"dtype\":\"U8\",\"shape\":[{chunk}],\"data_offsets\":[{start},{end}]}}"
        ));
    }
    let header = format!("{{{}}}", entries.join(","));
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file
}
