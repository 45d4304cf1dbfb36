//! Optimizer state files: resuming training gives exactly the updates an uninterrupted run does.

mod common;

use std::path::PathBuf;

use common::{bits, scratch, tiny, Tiny};
use liandan::io::{
    load_optimizer_state, load_optimizer_state_with, load_weights, save_optimizer_state,
    save_weights, LoadOptions, WeightsErrorKind,
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

/// Saves `state`, loads it into a state seeded with step 4, checks that one is unchanged, and
/// returns the error and the file.
fn load_fails(test: &str, state: &AdamState<Net>) -> (liandan::io::WeightsError, PathBuf) {
    let path = scratch(test).join("adam.safetensors");
    save_optimizer_state(state, &path).unwrap();
    let mut into = AdamState::<Net>::zeroed();
    into.step = 4;
    into.m = tiny(5);
    let err = load_optimizer_state(&mut into, &path).unwrap_err();
    assert_eq!((into.step, bits(&into.m)), (4, bits(&tiny::<f64>(5))));
    assert_eq!(bits(&into.v), bits(&Net::zeroed()));
    (err, path)
}

#[test]
fn a_step_count_whose_successor_does_not_fit_is_refused() {
    let mut state = AdamState::<Net>::zeroed();
    state.step = u64::MAX;
    let (err, _) = load_fails("step_max", &state);
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::StepOutOfRange { step: u64::MAX }
    ));
    assert!(err.to_string().ends_with(
        "`optimizer.step` is 18446744073709551615: the next update's step count would not fit in a u64"
    ));
}

#[test]
fn from_a_state_that_loaded_an_update_makes_no_nan() {
    let dir = scratch("step_near_max");
    let mut state = AdamState::<Net>::zeroed();
    state.step = u64::MAX - 1;
    state.m = tiny(6);
    state.v.dense_1.bias[0] = 4.0;
    save_optimizer_state(&state, dir.join("adam.safetensors")).unwrap();
    let mut back = AdamState::<Net>::zeroed();
    load_optimizer_state(&mut back, dir.join("adam.safetensors")).unwrap();
    let mut net = tiny::<f64>(7);
    train(&Adam::default(), &mut net, &mut back, 3);
    assert_eq!(back.step, u64::MAX);
    assert!(bits(&net).iter().all(|&b| f64::from_bits(b).is_finite()));
    assert_ne!(bits(&net), bits(&tiny::<f64>(7)));
}

#[test]
fn non_finite_moments_are_refused_naming_tensor_and_index() {
    let mut state = AdamState::<Net>::zeroed();
    state.m.dense_2.kernel.as_mut_slice()[4] = f64::NAN;
    let (err, _) = load_fails("nan_m", &state);
    assert!(
        matches!(err.kind(), WeightsErrorKind::NonFinite { tensor, index: 4, .. }
        if tensor == "optimizer.m.dense_2.kernel")
    );
    let mut state = AdamState::<Net>::zeroed();
    state.v.dense_1.bias[3] = f64::INFINITY;
    let (err, path) = load_fails("inf_v", &state);
    assert!(
        matches!(err.kind(), WeightsErrorKind::NonFinite { tensor, index: 3, value }
        if tensor == "optimizer.v.dense_1.bias" && *value == f64::INFINITY)
    );
    // Asked for, they load as they are.
    let mut back = AdamState::<Net>::zeroed();
    let keep = LoadOptions::default().allowing_non_finite();
    load_optimizer_state_with(&mut back, &path, &keep).unwrap();
    assert_eq!(back.v.dense_1.bias[3], f64::INFINITY);
}

#[test]
fn a_negative_second_moment_is_refused() {
    let mut state = AdamState::<Net>::zeroed();
    state.m.dense_1.bias[0] = -0.5; // `m` may be negative
    state.v.dense_1.bias[2] = -1e-3;
    let (err, path) = load_fails("negative_v", &state);
    assert!(
        matches!(err.kind(), WeightsErrorKind::Negative { tensor, index: 2, value }
        if tensor == "optimizer.v.dense_1.bias" && *value == -1e-3)
    );
    assert!(err.to_string().ends_with(
        "tensor `optimizer.v.dense_1.bias` holds -1e-3 at element 2 (row-major, as in the file), \
         but it is a variance or a mean of squares, never negative"
    ));
    // Allowing non-finite values does not allow this.
    let keep = LoadOptions::default().allowing_non_finite();
    let err = load_optimizer_state_with(&mut AdamState::<Net>::zeroed(), &path, &keep);
    assert!(matches!(
        err.unwrap_err().kind(),
        WeightsErrorKind::Negative { .. }
    ));
}
