//! Checks shared by the loss tests (f64): finite differences of a loss against its `gradient`,
//! fused or not, and a padded batch against the same samples unpadded.

use nalgebra::SMatrix;

use super::Loss;
use crate::activation::Activation;
use crate::layer::Seed;
use crate::Head;

/// The step of the central differences.
const H: f64 = 1e-6;

/// Asserts `|a - n| / max(1, |a|, |n|) < 1e-6`, the scaled error of `gradcheck`.
fn assert_close(analytic: f64, numeric: f64, at: usize) {
    let scale = 1f64.max(analytic.abs()).max(numeric.abs());
    let error = (analytic - numeric).abs() / scale;
    assert!(
        error < 1e-6,
        "entry {at}: analytic {analytic}, numeric {numeric}"
    );
}

/// `(f(x + h·eᵢ) - f(x - h·eᵢ)) / 2h` for every entry `i` of `x`.
fn numeric_gradient<const N: usize, const B: usize>(
    x: &SMatrix<f64, N, B>,
    f: impl Fn(&SMatrix<f64, N, B>) -> f64,
) -> SMatrix<f64, N, B> {
    let mut numeric = SMatrix::zeros();
    let mut xp = *x;
    for i in 0..N * B {
        let keep = xp[i];
        xp[i] = keep + H;
        let hi = f(&xp);
        xp[i] = keep - H;
        let lo = f(&xp);
        xp[i] = keep;
        numeric[i] = (hi - lo) / (2.0 * H);
    }
    numeric
}

/// Asserts that `d` agrees with `numeric` entry by entry.
fn assert_gradient<const N: usize, const B: usize>(
    d: &SMatrix<f64, N, B>,
    numeric: &SMatrix<f64, N, B>,
) {
    for (at, (&a, &n)) in d.iter().zip(numeric.iter()).enumerate() {
        assert_close(a, n, at);
    }
}

/// The unfused path: `gradient` at `y` is the output's ([`Seed::Output`]) and equals `∂loss/∂y`
/// (padding included, where both are zero).
pub(crate) fn gradient<L: Loss<f64, SMatrix<f64, N, B>>, const N: usize, const B: usize>(
    loss: &L,
    y: &SMatrix<f64, N, B>,
    t: &L::Targets,
    n: usize,
    head: Head,
) {
    let mut d = SMatrix::zeros();
    let seed = loss.gradient(y, t, n, head, &mut d);
    assert_eq!(seed, Seed::Output, "unexpectedly fused");
    assert_gradient(&d, &numeric_gradient(y, |y| loss.loss(y, t, n)));
}

/// The fused path: with `y = A(z)`, `gradient` is the logits' ([`Seed::Logits`]) and equals
/// `∂loss(A(z))/∂z`.
pub(crate) fn fused<A, L, const N: usize, const B: usize>(
    loss: &L,
    z: &SMatrix<f64, N, B>,
    t: &L::Targets,
    n: usize,
) where
    A: Activation,
    L: Loss<f64, SMatrix<f64, N, B>>,
{
    let activate = |z: &SMatrix<f64, N, B>| {
        let mut y = *z;
        A::apply(y.as_mut_slice(), N);
        y
    };
    let mut d = SMatrix::zeros();
    let seed = loss.gradient(&activate(z), t, n, A::HEAD, &mut d);
    assert_eq!(seed, Seed::Logits, "not fused");
    assert_gradient(&d, &numeric_gradient(z, |z| loss.loss(&activate(z), t, n)));
}

/// A batch whose first `M` columns are samples behaves exactly as those `M` columns alone: the
/// same loss, the same gradient on them, and zero gradient in the padding.
pub(crate) fn padding<L, const N: usize, const B: usize, const M: usize>(
    loss: &L,
    y: &SMatrix<f64, N, B>,
    t: &<L as Loss<f64, SMatrix<f64, N, B>>>::Targets,
    t_exact: &<L as Loss<f64, SMatrix<f64, N, M>>>::Targets,
    head: Head,
) where
    L: Loss<f64, SMatrix<f64, N, B>> + Loss<f64, SMatrix<f64, N, M>>,
{
    let y_exact = y.fixed_columns::<M>(0).into_owned();
    assert_eq!(loss.loss(y, t, M), loss.loss(&y_exact, t_exact, M));
    let (mut d, mut d_exact) = (SMatrix::<f64, N, B>::zeros(), SMatrix::zeros());
    let fused = loss.gradient(y, t, M, head, &mut d);
    assert_eq!(
        fused,
        loss.gradient(&y_exact, t_exact, M, head, &mut d_exact)
    );
    assert_eq!(d.fixed_columns::<M>(0), d_exact);
    assert!(
        d.columns(M, B - M).iter().all(|&d| d == 0.0),
        "padding gradient {d}"
    );
}

/// An empty batch: zero loss and an all-zero gradient, whatever the columns hold.
pub(crate) fn empty<L: Loss<f64, SMatrix<f64, N, B>>, const N: usize, const B: usize>(
    loss: &L,
    y: &SMatrix<f64, N, B>,
    t: &L::Targets,
    head: Head,
) {
    assert_eq!(loss.loss(y, t, 0), 0.0);
    let mut d = SMatrix::from_element(1.0);
    loss.gradient(y, t, 0, head, &mut d);
    assert!(d.iter().all(|&d| d == 0.0), "gradient {d}");
}
