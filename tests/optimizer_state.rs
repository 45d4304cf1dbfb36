//! Optimizer state files: resuming training gives exactly the updates an uninterrupted run does.

mod common;

use common::{bits, scratch, tiny, Tiny};
use liandan::io::{
    load_optimizer_state, load_weights, save_optimizer_state, save_weights, WeightsErrorKind,
};
use liandan::optim::{AdamState, SgdState};
use liandan::prelude::*;

type Net = Tiny<f64>;

/// `steps` updates of `net` with a fixed pseudo-gradient.
fn train<O: Optimizer<f64>>(opt: &O, net: &mut Net, state: &mut O::State<Net>, steps: usize) {
    let grad = tiny::<f64>(99);
    for _ in 0..steps {
        opt.update(net, &grad, state);
    }
}

#[test]
fn adam_resumes_bit_for_bit() {
    let dir = scratch("adam_resume");
    let adam = Adam::new(0.01);
    let mut net = tiny::<f64>(1);
    let mut state = AdamState::<Net>::zeroed();
    train(&adam, &mut net, &mut state, 3);
    save_weights(&net, dir.join("w.safetensors")).unwrap();
    save_optimizer_state(&state, dir.join("adam.safetensors")).unwrap();
    train(&adam, &mut net, &mut state, 2);

    let mut resumed = Net::zeroed();
    let mut resumed_state = AdamState::<Net>::zeroed();
    load_weights(&mut resumed, dir.join("w.safetensors")).unwrap();
    load_optimizer_state(&mut resumed_state, dir.join("adam.safetensors")).unwrap();
    assert_eq!(resumed_state.step, 3);
    train(&adam, &mut resumed, &mut resumed_state, 2);

    assert_eq!(bits(&resumed), bits(&net));
    assert_eq!(bits(&resumed_state.m), bits(&state.m));
    assert_eq!(bits(&resumed_state.v), bits(&state.v));
    assert_eq!(resumed_state.step, 5);
}

#[test]
fn adam_file_names_slots_and_step() {
    let dir = scratch("adam_names");
    let mut state = AdamState::<Net>::zeroed();
    state.step = 7;
    save_optimizer_state(&state, dir.join("adam.safetensors")).unwrap();
    let bytes = std::fs::read(dir.join("adam.safetensors")).unwrap();
    let header = String::from_utf8_lossy(&bytes);
    for part in [
        r#""optimizer.m.dense_1.kernel":{"dtype":"F64","shape":[4,5]"#,
        r#""optimizer.v.dense_2.bias":{"dtype":"F64","shape":[3]"#,
        r#""optimizer.step":{"dtype":"U64","shape":[]"#,
        r#""liandan.optimizer":"adam""#,
    ] {
        assert!(header.contains(part), "{part} not in {header}");
    }
}

#[test]
fn sgd_velocity_round_trips() {
    let dir = scratch("sgd");
    let sgd = Sgd {
        learning_rate: 0.1,
        momentum: 0.9,
        nesterov: true,
    };
    let mut net = tiny::<f64>(2);
    let mut state = SgdState::<Net>::zeroed();
    train(&sgd, &mut net, &mut state, 2);
    save_optimizer_state(&state, dir.join("sgd.safetensors")).unwrap();
    let mut back = SgdState::<Net>::zeroed();
    load_optimizer_state(&mut back, dir.join("sgd.safetensors")).unwrap();
    assert_eq!(bits(&back.velocity), bits(&state.velocity));
    assert!(bits(&back.velocity).iter().any(|&b| b != 0));
}

#[test]
fn another_optimizers_state_is_refused() {
    let dir = scratch("wrong_optimizer");
    save_optimizer_state(&AdamState::<Net>::zeroed(), dir.join("adam.safetensors")).unwrap();
    let mut sgd = SgdState::<Net>::zeroed();
    sgd.velocity = tiny(3);
    let err = load_optimizer_state(&mut sgd, dir.join("adam.safetensors")).unwrap_err();
    assert!(
        matches!(err.kind(), WeightsErrorKind::Optimizer { file, expected }
        if file == "adam" && *expected == "sgd")
    );
    assert_eq!(sgd.velocity, tiny(3));
}

#[test]
fn an_f32_state_does_not_load_into_f64() {
    let dir = scratch("state_dtype");
    save_optimizer_state(&AdamState::<Tiny<f32>>::zeroed(), dir.join("a.safetensors")).unwrap();
    let mut state = AdamState::<Net>::zeroed();
    state.step = 4;
    let err = load_optimizer_state(&mut state, dir.join("a.safetensors")).unwrap_err();
    assert!(matches!(err.kind(), WeightsErrorKind::Dtype { tensor, .. }
        if tensor == "optimizer.m.dense_1.kernel"));
    assert_eq!(state.step, 4);
}

#[test]
fn a_trainer_restores_its_state() {
    let dir = scratch("trainer_state");
    let mut state = AdamState::<Net>::zeroed();
    state.step = 11;
    save_optimizer_state(&state, dir.join("adam.safetensors")).unwrap();
    let mut trainer = Net::trainer::<Adam, 2>(Adam::default());
    load_optimizer_state(trainer.optimizer_state_mut(), dir.join("adam.safetensors")).unwrap();
    assert_eq!(trainer.optimizer_state().step, 11);
}

#[test]
fn offsets_adding_past_u64_max_are_refused_in_a_state_file() {
    let size = (1u64 << 61) - 1;
    let entries: Vec<String> = (0..8)
        .map(|k| {
            let (start, end) = (k * size, (k + 1) * size);
            format!(
                "\"t{k}\":{{\"dtype\":\"U8\",\"shape\":[{size}],\"data_offsets\":[{start},{end}]}}"
            )
        })
        .collect();
    let path = scratch("state_past_u64_max").join("adam.safetensors");
    std::fs::write(
        &path,
        common::with_header(&format!("{{{}}}", entries.join(",")), &[]),
    )
    .unwrap();
    let mut state = AdamState::<Net>::zeroed();
    state.step = 4;
    let err = load_optimizer_state(&mut state, &path).unwrap_err();
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::DataLength { data: 0 }
    ));
    assert_eq!(state.step, 4);
}

#[cfg(unix)]
#[test]
fn dev_zero_as_a_state_file_is_refused_after_its_largest_size() {
    let mut state = AdamState::<Net>::zeroed();
    let err = load_optimizer_state(&mut state, "/dev/zero").unwrap_err();
    // Two slots of 43 values at 8 bytes, and the step's 8 bytes.
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::FileTooLarge {
            header: 0,
            data: 696
        }
    ));
}
