//! Categorical cross-entropy, with one-hot (or soft) targets or with class indices (sparse).
//!
//! With `p = clip(y)` to `[ε, 1 - ε]`, `ε = 1e-7`, per sample `L = -Σᵢ tᵢ·ln pᵢ`, averaged over
//! the batch; the sparse form is the same with `t` the one-hot vector of the label, so
//! `L = -ln p_label`. Gradients, for each of the `n` real samples (zero in the padding):
//! - through the clip: `∂L/∂yᵢ = -tᵢ/(pᵢ·n)` where `ε ≤ yᵢ ≤ 1 - ε`, and `0` where the clip is
//!   active;
//! - fused with a softmax head (`y = softmax(z)`): `∂L/∂zᵢ = (yᵢ·Σₖtₖ - tᵢ)/n`, which is
//!   `(p - onehot)/n` for a label; exact where the chain rule through the clip is neither;
//! - `from_logits` (`y` is `z`): `L = Σᵢ tᵢ·(logsumexp(z) - zᵢ)` with the largest logit
//!   subtracted inside `logsumexp`, and `∂L/∂zᵢ = (softmax(z)ᵢ·Σₖtₖ - tᵢ)/n`.
//!
//! Shapes: the output `y` is `N×B`, one sample per column over `N` classes; the targets are an
//! `N×B` matrix for [`CategoricalCrossentropy`] and `[usize; B]` for
//! [`SparseCategoricalCrossentropy`].
//!
//! Keras 3 also divides a probability output by its sum before clipping; a softmax output
//! already sums to one, so liandan leaves that step out and keeps the gradient above exact.
//!
//! ```
//! use liandan::prelude::*;
//! let p = SMatrix::<f64, 3, 1>::new(0.7, 0.2, 0.1);
//! let loss = SparseCategoricalCrossentropy::default().loss(&p, &[0], 1);
//! assert!((loss + 0.7f64.ln()).abs() < 1e-12);
//! ```

use nalgebra::SMatrix;

use super::{batch, clip, Loss, EPSILON};
use crate::layer::Seed;
use crate::{Error, Float, Head, LabelOutOfRange};

/// Keras' `CategoricalCrossentropy`: for one-hot (or soft) targets over `N` exclusive classes,
/// usually after a softmax.
///
/// [`Default`] is Keras' default: the outputs are probabilities (`from_logits: false`).
///
/// ```
/// use liandan::prelude::*;
///
/// // Three classes, the true one is class 1 (one-hot), predicted with probability 0.7.
/// let p = SMatrix::<f64, 3, 1>::new(0.2, 0.7, 0.1);
/// let t = SMatrix::<f64, 3, 1>::new(0.0, 1.0, 0.0);
/// let loss = CategoricalCrossentropy::default().loss(&p, &t, 1);
/// assert!((loss - -(0.7f64.ln())).abs() < 1e-6);
/// // The same from raw scores: softmax of the logits ln p is p again.
/// let logits = p.map(f64::ln);
/// let raw = CategoricalCrossentropy { from_logits: true }.loss(&logits, &t, 1);
/// assert!((raw - loss).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CategoricalCrossentropy {
    /// Whether the network's output is the logits `z` rather than `softmax(z)` (Keras'
    /// default: `false`).
    pub from_logits: bool,
}

/// Keras' `SparseCategoricalCrossentropy`: for class indices over `N` exclusive classes,
/// usually after a softmax.
///
/// [`Default`] is Keras' default: the outputs are probabilities (`from_logits: false`). The
/// targets of a batch of `B` samples are their class indices, `[usize; B]`.
///
/// ```
/// use liandan::prelude::*;
///
/// // Two samples over three classes, one per column; their classes are 1 and 0.
/// let p = SMatrix::<f64, 3, 2>::from_column_slice(&[0.2, 0.7, 0.1, 0.5, 0.25, 0.25]);
/// let loss = SparseCategoricalCrossentropy::default().loss(&p, &[1, 0], 2);
/// assert!((loss - -(0.7f64.ln() + 0.5f64.ln()) / 2.0).abs() < 1e-6);
/// // A label that is not a class is refused before any step.
/// let labels = [1, 3];
/// assert!(Loss::<f64, SMatrix<f64, 3, 2>>::validate(&SparseCategoricalCrossentropy::default(), &labels, 2).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SparseCategoricalCrossentropy {
    /// Whether the network's output is the logits `z` rather than `softmax(z)` (Keras'
    /// default: `false`).
    pub from_logits: bool,
}

impl<T: Float, const N: usize, const B: usize> Loss<T, SMatrix<T, N, B>>
    for CategoricalCrossentropy
{
    /// Target probabilities, one column per sample; usually one-hot.
    type Targets = SMatrix<T, N, B>;

    fn loss(&self, y: &SMatrix<T, N, B>, t: &SMatrix<T, N, B>, n: usize) -> T {
        mean_loss(self.from_logits, y, batch::columns(t.as_slice(), N), n)
    }

    /// Fused ([`Seed::Logits`]) exactly when the output is a probability made by a softmax
    /// head.
    fn gradient(
        &self,
        y: &SMatrix<T, N, B>,
        t: &SMatrix<T, N, B>,
        n: usize,
        head: Head,
        d: &mut SMatrix<T, N, B>,
    ) -> Seed {
        write_gradient(
            self.from_logits,
            head,
            y,
            batch::columns(t.as_slice(), N),
            n,
            d,
        )
    }
}

impl<T: Float, const N: usize, const B: usize> Loss<T, SMatrix<T, N, B>>
    for SparseCategoricalCrossentropy
{
    /// The class index of each sample, below `N`.
    type Targets = [usize; B];

    /// Also rejects a label of a real sample that is not below `N`, naming the first.
    fn validate(&self, labels: &[usize; B], n: usize) -> Result<(), Error> {
        batch::check_size(n, B)?;
        match LabelOutOfRange::first(&labels[..n], N) {
            Some((sample, source)) => Err(Error::Label { sample, source }),
            None => Ok(()),
        }
    }

    /// An unvalidated label `≥ N` is an all-zero target: its sample adds nothing.
    fn loss(&self, y: &SMatrix<T, N, B>, labels: &[usize; B], n: usize) -> T {
        mean_loss(self.from_logits, y, labels.iter().copied(), n)
    }

    /// Fused ([`Seed::Logits`]) exactly when the output is a probability made by a softmax
    /// head.
    fn gradient(
        &self,
        y: &SMatrix<T, N, B>,
        labels: &[usize; B],
        n: usize,
        head: Head,
        d: &mut SMatrix<T, N, B>,
    ) -> Seed {
        write_gradient(self.from_logits, head, y, labels.iter().copied(), n, d)
    }
}

/// One sample's target distribution over the classes: a column of weights, or a class index
/// read as its one-hot vector. Both losses are written once against it.
trait Target<T> {
    /// `tᵢ`, zero past the end.
    fn at(&self, i: usize) -> T;
    /// `Σᵢ tᵢ` over `classes` classes.
    fn total(&self, classes: usize) -> T;
}

impl<T: Float> Target<T> for &[T] {
    fn at(&self, i: usize) -> T {
        self.get(i).copied().unwrap_or_else(T::zero)
    }
    fn total(&self, _classes: usize) -> T {
        self.iter().fold(T::zero(), |sum, &t| sum + t)
    }
}

/// A label at or past `classes` is all zeros, so it never indexes out of range.
impl<T: Float> Target<T> for usize {
    fn at(&self, i: usize) -> T {
        if i == *self {
            T::one()
        } else {
            T::zero()
        }
    }
    fn total(&self, classes: usize) -> T {
        if *self < classes {
            T::one()
        } else {
            T::zero()
        }
    }
}

/// The mean loss over the real samples, from probabilities or from logits.
fn mean_loss<T: Float, const N: usize, const B: usize, D: Target<T>>(
    from_logits: bool,
    y: &SMatrix<T, N, B>,
    targets: impl IntoIterator<Item = D>,
    n: usize,
) -> T {
    let y = (y.as_slice(), N);
    if from_logits {
        batch::mean(y, targets, n, |z, t| logits_loss(z, &t))
    } else {
        batch::mean(y, targets, n, |p, t| probability_loss(p, &t))
    }
}

/// Writes the gradient of [`mean_loss`] by the path `from_logits` and `head` call for, and
/// says which it is.
fn write_gradient<T: Float, const N: usize, const B: usize, D: Target<T>>(
    from_logits: bool,
    head: Head,
    y: &SMatrix<T, N, B>,
    targets: impl IntoIterator<Item = D>,
    n: usize,
    d: &mut SMatrix<T, N, B>,
) -> Seed {
    let fused = !from_logits && head == Head::Softmax;
    let (y, d) = ((y.as_slice(), N), d.as_mut_slice());
    if from_logits {
        batch::gradient(y, targets, n, d, |z, t, d, s| logits_gradient(z, &t, d, s));
    } else if fused {
        batch::gradient(y, targets, n, d, |p, t, d, s| fused_gradient(p, &t, d, s));
    } else {
        batch::gradient(y, targets, n, d, |p, t, d, s| {
            probability_gradient(p, &t, d, s)
        });
    }
    if fused {
        Seed::Logits
    } else {
        Seed::Output
    }
}

/// `-Σᵢ tᵢ·ln(clip(pᵢ))`; classes with `tᵢ = 0` are skipped, which saves a logarithm per class
/// for a one-hot target.
fn probability_loss<T: Float>(p: &[T], t: &impl Target<T>) -> T {
    let mut sum = T::zero();
    for (i, &p) in p.iter().enumerate() {
        let t = t.at(i);
        if t != T::zero() {
            sum -= t * clip(p).ln();
        }
    }
    sum
}

/// `dᵢ = -tᵢ/pᵢ·scale`, and `0` where the clip is active and `clip(pᵢ)` does not move with `pᵢ`.
fn probability_gradient<T: Float>(p: &[T], t: &impl Target<T>, d: &mut [T], scale: T) {
    let (eps, one) = (T::of(EPSILON), T::one());
    for (i, (d, &p)) in d.iter_mut().zip(p).enumerate() {
        let inside = (eps..=one - eps).contains(&p);
        *d = if inside {
            -t.at(i) / p * scale
        } else {
            T::zero()
        };
    }
}

/// `dᵢ = (pᵢ·Σₖtₖ - tᵢ)·scale` with `p = softmax(z)`: `∂/∂zᵢ` of `-Σₖ tₖ·ln softmax(z)ₖ`.
fn fused_gradient<T: Float>(p: &[T], t: &impl Target<T>, d: &mut [T], scale: T) {
    let total = t.total(p.len());
    for (i, (d, &p)) in d.iter_mut().zip(p).enumerate() {
        *d = (p * total - t.at(i)) * scale;
    }
}

/// `Σᵢ tᵢ·(logsumexp(z) - zᵢ) = -Σᵢ tᵢ·ln softmax(z)ᵢ`, finite for any finite logits.
fn logits_loss<T: Float>(z: &[T], t: &impl Target<T>) -> T {
    let lse = log_sum_exp(z);
    let mut sum = T::zero();
    for (i, &z) in z.iter().enumerate() {
        let t = t.at(i);
        if t != T::zero() {
            sum += t * (lse - z);
        }
    }
    sum
}

/// `dᵢ = (softmax(z)ᵢ·Σₖtₖ - tᵢ)·scale`, with `softmax(z)ᵢ = e^(zᵢ - logsumexp(z))`.
fn logits_gradient<T: Float>(z: &[T], t: &impl Target<T>, d: &mut [T], scale: T) {
    let (lse, total) = (log_sum_exp(z), t.total(z.len()));
    for (i, (d, &z)) in d.iter_mut().zip(z).enumerate() {
        *d = ((z - lse).exp() * total - t.at(i)) * scale;
    }
}

/// `ln Σᵢ e^(zᵢ)`, with the largest logit taken out first so no exponent is positive.
fn log_sum_exp<T: Float>(z: &[T]) -> T {
    let max = z
        .iter()
        .copied()
        .reduce(|m, z| m.max(z))
        .unwrap_or_else(T::zero);
    let sum = z.iter().fold(T::zero(), |s, &z| s + (z - max).exp());
    max + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Activation, Softmax};
    use crate::loss::check;
    use std::string::ToString;

    const CCE: CategoricalCrossentropy = CategoricalCrossentropy { from_logits: false };
    const CCE_LOGITS: CategoricalCrossentropy = CategoricalCrossentropy { from_logits: true };
    const SPARSE: SparseCategoricalCrossentropy =
        SparseCategoricalCrossentropy { from_logits: false };
    const SPARSE_LOGITS: SparseCategoricalCrossentropy =
        SparseCategoricalCrossentropy { from_logits: true };

    /// Three samples over three classes, one per column, with their labels.
    fn batch() -> (SMatrix<f64, 3, 3>, [usize; 3]) {
        let p = [0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.25, 0.25, 0.5];
        (SMatrix::from_column_slice(&p), [0, 2, 1])
    }

    /// The labels as one-hot columns.
    fn one_hot<const B: usize>(labels: &[usize; B]) -> SMatrix<f64, 3, B> {
        SMatrix::from_fn(|i, j| if labels[j] == i { 1.0 } else { 0.0 })
    }

    /// Soft targets that do not sum to one, so `Σt` in the fused gradient matters.
    fn soft() -> SMatrix<f64, 3, 3> {
        SMatrix::from_column_slice(&[0.2, 0.5, 0.1, 0.0, 1.0, 0.0, 0.6, 0.3, 0.4])
    }

    /// Logits with both signs and a spread.
    fn logits() -> SMatrix<f64, 3, 3> {
        SMatrix::from_column_slice(&[2.0, 1.0, 0.1, 0.5, -1.0, 3.0, 0.0, 0.0, 0.0])
    }

    fn softmax(z: &SMatrix<f64, 3, 3>) -> SMatrix<f64, 3, 3> {
        let mut p = *z;
        Softmax::apply(p.as_mut_slice(), 3);
        p
    }

    #[test]
    fn defaults_are_keras() {
        assert!(!CategoricalCrossentropy::default().from_logits);
        assert!(!SparseCategoricalCrossentropy::default().from_logits);
    }

    #[test]
    fn golden_values_of_the_keras_docs() {
        // Keras' CategoricalCrossentropy and SparseCategoricalCrossentropy docstrings: y_true
        // [[0, 1, 0], [0, 0, 1]] (labels [1, 2]), y_pred [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        // give 1.177; numpy: -(t * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(-1).mean().
        let p = SMatrix::<f64, 3, 2>::from_column_slice(&[0.05, 0.95, 0.0, 0.1, 0.8, 0.1]);
        let want = 1.176939193690798;
        approx::assert_relative_eq!(
            CCE.loss(&p, &one_hot(&[1, 2]), 2),
            want,
            max_relative = 1e-12
        );
        approx::assert_relative_eq!(SPARSE.loss(&p, &[1, 2], 2), want, max_relative = 1e-12);
    }

    #[test]
    fn golden_values_of_a_batch() {
        // numpy: per sample -ln 0.7, -ln 0.3, -ln 0.25 = [0.35667494393873245,
        // 1.2039728043259361, 1.3862943611198906], whose mean is 0.9823140364615197.
        let (p, labels) = batch();
        let want = 0.9823140364615197;
        approx::assert_relative_eq!(
            CCE.loss(&p, &one_hot(&labels), 3),
            want,
            max_relative = 1e-12
        );
        approx::assert_relative_eq!(SPARSE.loss(&p, &labels, 3), want, max_relative = 1e-12);
        // numpy: m = z.max(-1); lse = m + np.log(np.exp(z - m[:, None]).sum(-1));
        // (t * (lse[:, None] - z)).sum(-1).mean()
        let want = 0.5371055447867753;
        let loss = CCE_LOGITS.loss(&logits(), &one_hot(&labels), 3);
        approx::assert_relative_eq!(loss, want, max_relative = 1e-12);
        let loss = SPARSE_LOGITS.loss(&logits(), &labels, 3);
        approx::assert_relative_eq!(loss, want, max_relative = 1e-12);
    }

    #[test]
    fn golden_value_of_a_clipped_probability() {
        // By hand: p = 0 for the true class is clipped to ε: -ln(1e-7) = 16.11809565095832.
        let p = SMatrix::<f64, 3, 1>::new(0.5, 0.0, 0.5);
        let want = 16.11809565095832;
        approx::assert_relative_eq!(CCE.loss(&p, &one_hot(&[1]), 1), want, max_relative = 1e-12);
        approx::assert_relative_eq!(SPARSE.loss(&p, &[1], 1), want, max_relative = 1e-12);
        let mut d = SMatrix::from_element(1.0);
        SPARSE.gradient(&p, &[1], 1, Head::Identity, &mut d);
        assert_eq!(
            d,
            SMatrix::<f64, 3, 1>::zeros(),
            "no gradient through the clip"
        );
    }

    #[test]
    fn a_nan_probability_is_a_nan_loss() {
        // The clip must not turn NaN into ε, or the trainer's finiteness check misses it.
        let p = SMatrix::<f64, 3, 1>::from_element(f64::NAN);
        assert!(SparseCategoricalCrossentropy::default()
            .loss(&p, &[1], 1)
            .is_nan());
    }

    #[test]
    fn large_logits_stay_finite() {
        // By hand: logits (1000, 0, -1000) with label 2 cost logsumexp - z₂ = 1000 + 1000.
        let z = SMatrix::<f64, 3, 1>::new(1000.0, 0.0, -1000.0);
        approx::assert_relative_eq!(SPARSE_LOGITS.loss(&z, &[2], 1), 2000.0);
        let mut d = SMatrix::zeros();
        SPARSE_LOGITS.gradient(&z, &[2], 1, Head::Identity, &mut d);
        assert_eq!(d, SMatrix::<f64, 3, 1>::new(1.0, 0.0, -1.0));
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (p, labels) = batch();
        check::gradient(&CCE, &p, &soft(), 3, Head::Identity);
        check::gradient(&CCE, &p, &soft(), 2, Head::Sigmoid);
        check::gradient(&SPARSE, &p, &labels, 3, Head::Other);
        check::gradient(&SPARSE, &p, &labels, 2, Head::Identity);
    }

    #[test]
    fn fused_gradient_matches_finite_differences_through_the_softmax() {
        let labels = batch().1;
        for n in [3, 2] {
            check::fused::<Softmax, _, 3, 3>(&CCE, &logits(), &soft(), n);
            check::fused::<Softmax, _, 3, 3>(&SPARSE, &logits(), &labels, n);
        }
    }

    #[test]
    fn from_logits_gradient_matches_finite_differences() {
        let labels = batch().1;
        // The output is the logits whatever the head, so never fused.
        for (n, head) in [(3, Head::Identity), (2, Head::Softmax)] {
            check::gradient(&CCE_LOGITS, &logits(), &soft(), n, head);
            check::gradient(&SPARSE_LOGITS, &logits(), &labels, n, head);
        }
    }

    #[test]
    fn fused_and_from_logits_gradients_agree() {
        let (mut fused, mut direct) = (SMatrix::zeros(), SMatrix::zeros());
        CCE.gradient(&softmax(&logits()), &soft(), 3, Head::Softmax, &mut fused);
        CCE_LOGITS.gradient(&logits(), &soft(), 3, Head::Softmax, &mut direct);
        approx::assert_relative_eq!(fused, direct, epsilon = 1e-15, max_relative = 1e-12);
    }

    #[test]
    fn sparse_is_categorical_of_the_one_hot_labels() {
        let (p, labels) = batch();
        let t = one_hot(&labels);
        for (y, logits) in [(p, false), (logits(), true)] {
            let cce = CategoricalCrossentropy {
                from_logits: logits,
            };
            let sparse = SparseCategoricalCrossentropy {
                from_logits: logits,
            };
            assert_eq!(cce.loss(&y, &t, 3), sparse.loss(&y, &labels, 3));
            for head in [Head::Identity, Head::Softmax] {
                let (mut d_cce, mut d_sparse) = (SMatrix::zeros(), SMatrix::zeros());
                let fused = cce.gradient(&y, &t, 3, head, &mut d_cce);
                assert_eq!(fused, sparse.gradient(&y, &labels, 3, head, &mut d_sparse));
                assert_eq!(d_cce, d_sparse);
            }
        }
    }

    #[test]
    fn partial_batch_averages_over_real_samples() {
        let (mut p, labels) = batch();
        p.column_mut(2).fill(f64::NAN);
        // numpy: (-ln 0.7 - ln 0.3) / 2, the first two per-sample losses above.
        let want = 0.7803238741323343;
        approx::assert_relative_eq!(SPARSE.loss(&p, &labels, 2), want, max_relative = 1e-12);
        let t = one_hot(&labels);
        let t_exact = t.fixed_columns::<2>(0).into_owned();
        let labels_exact = [labels[0], labels[1]];
        for head in [Head::Identity, Head::Softmax] {
            check::padding::<_, 3, 3, 2>(&CCE, &p, &t, &t_exact, head);
            check::padding::<_, 3, 3, 2>(&CCE_LOGITS, &p, &t, &t_exact, head);
            check::padding::<_, 3, 3, 2>(&SPARSE, &p, &labels, &labels_exact, head);
            check::padding::<_, 3, 3, 2>(&SPARSE_LOGITS, &p, &labels, &labels_exact, head);
            check::empty(&CCE, &p, &t, head);
            check::empty(&SPARSE_LOGITS, &p, &labels, head);
        }
    }

    #[test]
    fn validate_names_the_first_label_out_of_range() {
        let labels = [2, 3, 7, 9];
        let err = Loss::<f64, SMatrix<f64, 3, 4>>::validate(&SPARSE, &labels, 3);
        let source = LabelOutOfRange {
            label: 3,
            classes: 3,
        };
        assert_eq!(err, Err(Error::Label { sample: 1, source }));
        let text = "sample 1 of the batch: label 3 is out of range for 3 classes";
        assert_eq!(err.unwrap_err().to_string(), text);
        // Padding labels are not read.
        assert_eq!(
            Loss::<f64, SMatrix<f64, 3, 4>>::validate(&SPARSE, &labels, 1),
            Ok(())
        );
        assert_eq!(
            Loss::<f64, SMatrix<f64, 3, 4>>::validate(&SPARSE, &labels, 0),
            Ok(())
        );
    }

    #[test]
    fn validate_rejects_more_samples_than_the_batch() {
        let want = Err(Error::BatchSize {
            samples: 4,
            batch: 3,
        });
        assert_eq!(
            Loss::<f64, SMatrix<f64, 3, 3>>::validate(&SPARSE_LOGITS, &[0, 1, 2], 4),
            want
        );
        let t = SMatrix::<f64, 3, 3>::zeros();
        assert_eq!(Loss::<f64, SMatrix<f64, 3, 3>>::validate(&CCE, &t, 4), want);
    }

    #[test]
    fn unvalidated_labels_out_of_range_add_nothing() {
        let (p, _) = batch();
        let labels = [0, 3, usize::MAX];
        for sparse in [SPARSE, SPARSE_LOGITS] {
            // The mean still divides by n = 3: the bad samples count, with zero loss.
            let alone = sparse.loss(&p, &[0, 0, 0], 1) / 3.0;
            approx::assert_relative_eq!(sparse.loss(&p, &labels, 3), alone, max_relative = 1e-12);
            for head in [Head::Identity, Head::Softmax] {
                let mut d = SMatrix::from_element(1.0);
                sparse.gradient(&p, &labels, 3, head, &mut d);
                assert!(d.columns(1, 2).iter().all(|&d| d == 0.0), "gradient {d}");
            }
        }
        // n past the batch is clamped, not a panic.
        assert!(SPARSE.loss(&p, &[0, 2, 1], 9).is_finite());
    }
}
