//! Finite-difference checks of hand-written backward passes (`f64`).
//!
//! For a layer `f` and a fixed weighting `w` of its outputs, the scalar `L = Σ w ⊙ f(x)` has
//! `∂L/∂y = w`. One call of [`Train::backward`] with `dy = w` must then agree with the central
//! difference `(L(θ + h) - L(θ - h)) / 2h` for every parameter `θ` and every input element.
//! Dropout masks are kept identical between the evaluations by re-seeding the generator.

use crate::layer::{Backward, In, Out, Params, Train};
use crate::shape::Buffer;
use crate::Zeroed;

pub use crate::rng::SplitMix64;

/// The outcome of a check: the largest disagreement found, as `|a - n| / max(1, |a|, |n|)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// The largest scaled error over every entry checked.
    pub max_error: f64,
    /// How many parameter and input entries were checked.
    pub checked: usize,
}

/// `Σ w ⊙ y`, the scalar whose gradient the check compares.
fn weighted<X: Buffer<f64>>(w: &X, y: &X) -> f64 {
    let (w, y) = (w.as_slice(), y.as_slice());
    w.iter().zip(y).map(|(w, y)| w * y).sum()
}

/// Checks `layer`'s backward pass at input `x` with output weighting `w`.
///
/// At most `per_tensor` evenly spaced entries of each parameter tensor (and of `x`) are
/// perturbed, so whole networks can be checked in a test's time. `seed` fixes dropout masks.
pub fn check<L, const B: usize>(
    layer: &mut L,
    x: &In<L, B>,
    w: &Out<L, B>,
    per_tensor: usize,
    seed: u64,
) -> GradCheck
where
    L: Train<Element = f64>,
{
    const H: f64 = 1e-6;
    let mut tape = L::Tape::<B>::boxed();
    let mut y = Out::<L, B>::boxed();
    let mut grad = L::Grad::boxed();
    let mut dx = In::<L, B>::boxed();
    layer.forward_train(x, &mut *y, &mut *tape, Some(&mut SplitMix64::new(seed)));
    let mut dy = Out::<L, B>::boxed();
    dy.as_mut_slice().copy_from_slice(w.as_slice());
    let ctx = Backward::new(x, &*y, &mut *tape, &mut *dy, &mut *grad);
    layer.backward(ctx.input_gradient(&mut *dx));

    let mut report = GradCheck {
        max_error: 0.0,
        checked: 0,
    };
    let mut loss = |layer: &L, x: &In<L, B>| {
        layer.forward_train(x, &mut *y, &mut *tape, Some(&mut SplitMix64::new(seed)));
        weighted(w, &*y)
    };
    for t in 0..L::TENSORS {
        let len = layer.tensor(t).len();
        for j in spaced(len, per_tensor) {
            let keep = layer.tensor(t)[j];
            layer.tensor_mut(t)[j] = keep + H;
            let hi = loss(layer, x);
            layer.tensor_mut(t)[j] = keep - H;
            let lo = loss(layer, x);
            layer.tensor_mut(t)[j] = keep;
            report.note(grad.tensor(t)[j], (hi - lo) / (2.0 * H));
        }
    }
    let mut xp = In::<L, B>::boxed();
    xp.as_mut_slice().copy_from_slice(x.as_slice());
    for j in spaced(xp.as_slice().len(), per_tensor) {
        let keep = xp.as_slice()[j];
        xp.as_mut_slice()[j] = keep + H;
        let hi = loss(layer, &xp);
        xp.as_mut_slice()[j] = keep - H;
        let lo = loss(layer, &xp);
        xp.as_mut_slice()[j] = keep;
        report.note(dx.as_slice()[j], (hi - lo) / (2.0 * H));
    }
    report
}

impl GradCheck {
    fn note(&mut self, analytic: f64, numeric: f64) {
        let scale = 1f64.max(analytic.abs()).max(numeric.abs());
        self.max_error = self.max_error.max((analytic - numeric).abs() / scale);
        self.checked += 1;
    }
}

/// Up to `most` indices spread evenly over `0..len`.
fn spaced(len: usize, most: usize) -> impl Iterator<Item = usize> {
    let step = len.div_ceil(most.max(1)).max(1);
    (0..len).step_by(step)
}

/// Checks a freshly initialised `L` at a random input, in tests: asserts an error below 1e-6.
#[cfg(test)]
pub(crate) fn check_layer<L>()
where
    L: Train<Element = f64> + Zeroed,
{
    let mut rng = SplitMix64::new(7);
    let mut layer = L::boxed();
    layer.init(&mut rng);
    // Non-zero biases too, so the bias gradient is exercised away from the initial point.
    for t in 0..L::TENSORS {
        for v in layer.tensor_mut(t) {
            *v += uniform(&mut rng) * 0.1;
        }
    }
    let mut x = In::<L, 3>::boxed();
    x.as_mut_slice()
        .iter_mut()
        .for_each(|v| *v = uniform(&mut rng) * 2.0);
    let mut w = Out::<L, 3>::boxed();
    w.as_mut_slice()
        .iter_mut()
        .for_each(|v| *v = uniform(&mut rng));
    let report = check(&mut *layer, &x, &w, 64, 11);
    assert!(report.checked > 0);
    assert!(report.max_error < 1e-6, "{report:?}");
}

/// A uniform draw from [-1, 1).
#[cfg(test)]
pub(crate) fn uniform(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// A training pass of `layer` both ways at batch `B`, from input `x` and output gradient `seed`
/// (the parameter gradient overwritten): its output, input gradient and parameter gradient.
/// With `whole`, inside a half of a join, where nothing splits: the serial pass, for comparing
/// a split one with.
#[cfg(all(test, feature = "parallel"))]
#[allow(clippy::type_complexity)]
pub(crate) fn passes<L: Train, const B: usize>(
    layer: &L,
    x: &In<L, B>,
    seed: &Out<L, B>,
    whole: bool,
) -> (
    std::boxed::Box<Out<L, B>>,
    std::boxed::Box<In<L, B>>,
    std::boxed::Box<L::Grad>,
) {
    let (mut y, mut tape) = (Out::<L, B>::boxed(), L::Tape::<B>::boxed());
    let (mut dy, mut dx, mut grad) = (Out::<L, B>::boxed(), In::<L, B>::boxed(), L::Grad::boxed());
    dy.as_mut_slice().copy_from_slice(seed.as_slice());
    let mut run = || {
        layer.forward_train(x, &mut *y, &mut *tape, None);
        let ctx = Backward::new(x, &*y, &mut *tape, &mut *dy, &mut *grad);
        layer.backward(ctx.input_gradient(&mut *dx).overwrite());
    };
    match whole {
        true => crate::parallel::join(&|| (), run),
        false => run(),
    }
    (y, dx, grad)
}

/// The bits of a slice of `f32`, to compare passes exactly.
#[cfg(all(test, feature = "parallel"))]
pub(crate) fn bits(v: &[f32]) -> std::vec::Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Checks that `layer`'s output and input gradient at batch `B`, from random values in
/// [-1, 1), are the same bits split between the threads as whole.
#[cfg(all(test, feature = "parallel"))]
pub(crate) fn check_split_bits<L: Train<Element = f32>, const B: usize>(layer: &L) {
    let mut rng = SplitMix64::new(11);
    let (mut x, mut seed) = (In::<L, B>::boxed(), Out::<L, B>::boxed());
    let values = x.as_mut_slice().iter_mut().chain(seed.as_mut_slice());
    values.for_each(|v| *v = uniform(&mut rng) as f32);
    let (y, dx, _) = passes(layer, &*x, &*seed, false);
    let (whole_y, whole_dx, _) = passes(layer, &*x, &*seed, true);
    assert_eq!(bits(y.as_slice()), bits(whole_y.as_slice()));
    assert_eq!(bits(dx.as_slice()), bits(whole_dx.as_slice()));
}
