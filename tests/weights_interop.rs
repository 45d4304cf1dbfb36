//! Files written by numpy and the reference `safetensors` package (tools/make_weights_fixture.py)
//! load into the matching liandan network and reproduce numpy's outputs.

mod common;

use common::{scratch, Tiny};
use liandan::io::{load_weights, load_weights_with, save_weights, Layout, LoadOptions};
use liandan::prelude::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The fixture's samples: four inputs and three expected outputs each.
fn samples() -> Vec<([f64; 4], [f64; 3])> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/tiny_io.txt")).unwrap();
    let numbers =
        |s: &str| -> Vec<f64> { s.split_whitespace().map(|v| v.parse().unwrap()).collect() };
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (x, y) = line.split_once('|').unwrap();
            (
                numbers(x).try_into().unwrap(),
                numbers(y).try_into().unwrap(),
            )
        })
        .collect()
}

/// `net` reproduces every sample's output within `tolerance`.
fn reproduces<T: Float>(net: &Tiny<T>, tolerance: f64) {
    for (x, want) in samples() {
        let x = SVector::<T, 4>::from_iterator(x.iter().map(|&v| T::of(v)));
        let y = net.predict(&x);
        for (got, want) in y.iter().zip(want) {
            let err = (got.to_f64() - want).abs();
            assert!(
                err <= tolerance,
                "output {got} vs numpy {want}: error {err}"
            );
        }
    }
}

#[test]
fn keras_layout_file_reproduces_numpy_in_f32() {
    let mut net = Tiny::<f32>::zeroed();
    load_weights(&mut net, format!("{FIXTURES}/keras_tiny.safetensors")).unwrap();
    reproduces(&net, 1e-6);
}

#[test]
fn keras_layout_file_reproduces_numpy_in_f64_when_converting() {
    let mut net = Tiny::<f64>::zeroed();
    let path = format!("{FIXTURES}/keras_tiny.safetensors");
    assert!(load_weights(&mut net, &path).is_err());
    load_weights_with(&mut net, &path, &LoadOptions::default().converting()).unwrap();
    // The f32 weights widen exactly, and numpy computed in f64 from them.
    reproduces(&net, 1e-12);
}

#[test]
fn pytorch_layout_file_reproduces_numpy() {
    let mut keras = Tiny::<f32>::zeroed();
    load_weights(&mut keras, format!("{FIXTURES}/keras_tiny.safetensors")).unwrap();
    let mut torch = Tiny::<f32>::zeroed();
    let options = LoadOptions::default().layout(Layout::PyTorch);
    load_weights_with(
        &mut torch,
        format!("{FIXTURES}/torch_tiny.safetensors"),
        &options,
    )
    .unwrap();
    assert_eq!(torch, keras);
    reproduces(&torch, 1e-6);
}

#[test]
fn leaves_a_file_for_the_python_check() {
    // Read back by `python3 tools/make_weights_fixture.py --check <this file>` (not in CI).
    let mut net = Tiny::<f32>::zeroed();
    load_weights(&mut net, format!("{FIXTURES}/keras_tiny.safetensors")).unwrap();
    let path = scratch("interop").join("rust_written.safetensors");
    save_weights(&net, &path).unwrap();
    let mut back = Tiny::<f32>::zeroed();
    load_weights(&mut back, &path).unwrap();
    assert_eq!(back, net);
}
