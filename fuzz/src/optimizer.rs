//! Optimizer state files against the `safetensors` crate reading them, and the update after.

use liandan::io::{load_optimizer_state, Layout, OPTIMIZER_KEY};
use liandan::optim::{AdamState, SgdState};
use liandan::prelude::*;

use super::weights::{compare, flat_bits, readable, reference, tiny_tensors, Reference, Refusal};
use super::{bits, seeded, TempFile, Tiny};

/// The name of Adam's step count in a file.
const STEP: &str = "optimizer.step";

/// `bytes` as an optimizer state file: through `load_optimizer_state` into Adam's state and
/// into SGD's, both for a `Tiny<f32>`.
pub fn check(bytes: &[u8]) {
    let reference = reference(bytes);
    let file = TempFile::new("state.safetensors", bytes);
    check_adam(&file, &reference);
    check_sgd(&file, &reference);
}

/// Adam: `m`, `v` and the step as the file holds them, then one update, which must not panic
/// and, from moments of the size real gradients give, keeps the network finite.
fn check_adam(file: &TempFile, reference: &Result<Reference<'_>, Refusal>) {
    let mut state = AdamState::<Tiny<f32>>::zeroed();
    seeded(&mut state.m, 3);
    seeded(&mut state.v, 4);
    for i in 0..Tiny::<f32>::TENSORS {
        state.v.tensor_mut(i).iter_mut().for_each(|v| *v = v.abs());
    }
    state.step = 7;
    let before = adam_bits(&state);
    let got = load_optimizer_state(&mut state, file.path());
    let accepted = got.is_ok();
    let want = readable(reference).and_then(adam_state);
    let want_bits = want.as_ref().map_err(Clone::clone).map(|(tensors, step)| {
        let mut bits = flat_bits(tensors);
        bits.push(*step);
        bits
    });
    compare(
        &before,
        &adam_bits(&state),
        got,
        reference,
        want_bits,
        "Adam's state",
    );
    if !accepted {
        return;
    }
    let step = state.step;
    let moderate = |p: &Tiny<f32>, low: f32| {
        let range = low..=1.0;
        (0..Tiny::<f32>::TENSORS).all(|i| p.tensor(i).iter().all(|x| range.contains(x)))
    };
    let moderate = moderate(&state.m, -1.0) && moderate(&state.v, 0.0);
    let mut net = Tiny::<f32>::zeroed();
    seeded(&mut net, 5);
    let mut grad = Tiny::<f32>::zeroed();
    seeded(&mut grad, 6);
    Adam::default().update(&mut net, &grad, &mut state);
    let finite = (0..Tiny::<f32>::TENSORS).all(|i| net.tensor(i).iter().all(|x| x.is_finite()));
    assert!(
        finite || !moderate,
        "one update from a loaded state (step {step}, moments in [-1, 1]) made the network \
         non-finite"
    );
}

/// `m`, `v` and the step, as bits.
fn adam_bits(state: &AdamState<Tiny<f32>>) -> Vec<u64> {
    let mut all = bits(&state.m);
    all.extend(bits(&state.v));
    all.push(state.step);
    all
}

/// Adam's tensors (`m`'s, then `v`'s) and step as the reference reads them, if they make a
/// state Adam can go on from: `v` averages squares, so it is never negative, and the step
/// must leave room for the next update to count itself.
fn adam_state(r: &Reference<'_>) -> Result<(Vec<Vec<f32>>, u64), String> {
    optimizer_is(r, "adam")?;
    let mut slots = tiny_tensors("optimizer.m.");
    slots.extend(tiny_tensors("optimizer.v."));
    let tensors = r.tensors::<f32>(&slots, &[STEP], Layout::Keras, false)?;
    let v = &tensors[tensors.len() / 2..];
    if let Some(x) = v.iter().flatten().find(|x| **x < 0.0) {
        return Err(format!("a second moment is negative: {x}"));
    }
    let step = r.step(STEP)?;
    if step == u64::MAX {
        return Err("the step count is u64::MAX: the next update cannot count itself".into());
    }
    Ok((tensors, step))
}

/// SGD: the velocity as the file holds it, and no step count.
fn check_sgd(file: &TempFile, reference: &Result<Reference<'_>, Refusal>) {
    let mut state = SgdState::<Tiny<f32>>::zeroed();
    seeded(&mut state.velocity, 7);
    let before = bits(&state.velocity);
    let got = load_optimizer_state(&mut state, file.path());
    let want = readable(reference).and_then(|r| {
        optimizer_is(r, "sgd")?;
        r.tensors::<f32>(
            &tiny_tensors("optimizer.velocity."),
            &[],
            Layout::Keras,
            false,
        )
    });
    let (after, want) = (bits(&state.velocity), want.map(|w| flat_bits(&w)));
    compare(&before, &after, got, reference, want, "SGD's state");
}

/// The file's `liandan.optimizer`, if it has one, is `name`.
fn optimizer_is(r: &Reference<'_>, name: &str) -> Result<(), String> {
    match r.metadata(OPTIMIZER_KEY) {
        Some(found) if found != name => Err(format!("the file is {found}'s state")),
        _ => Ok(()),
    }
}
