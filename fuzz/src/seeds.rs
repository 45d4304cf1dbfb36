//! The corpus files written by code: valid files of each format (weights and optimizer state
//! as liandan's own writers produce them) and crafted inputs that break a property.
//!
//! `UPDATE_SEEDS=1 cargo test --test fuzz_corpus` writes them to `fuzz/corpus/<target>/`.
//! Crashers found by fuzzing are committed as `cargo fuzz tmin` left them, renamed.

use liandan::io::{params_to_bytes, save_optimizer_state, save_weights_with, Layout};
use liandan::optim::{AdamState, SgdState};
use liandan::prelude::*;

use super::idx::{gzip, idx_bytes};
use super::{seeded, TempFile, Tiny, TinyConv};

/// One corpus file: its target's directory, its name, its bytes.
pub struct Seed {
    /// `idx`, `idx_gzip`, `csv`, `weights` or `optimizer_state`.
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
