//! [`FitsNetwork`]: the bound that lets a [`Model`](super::Model) read only datasets whose
//! samples have the network's input width, and says so in both numbers when one does not.

use crate::data::Dataset;
use crate::Float;

/// A dataset of `W` features per sample that network `N`, of `I` inputs, can read:
/// `Dataset<T, I>` (and a reference to one), for `W = I` only.
///
/// [`Model::fit`](super::Model::fit), [`evaluate`](super::Model::evaluate),
/// [`predict`](super::Model::predict) and [`confusion_matrix`](super::Model::confusion_matrix)
/// take `data: &D` with `D: Borrow<Dataset<T, W>> + FitsNetwork<T, N, W, I>`. `Borrow` reads the
/// width `W` off the argument; this bound then holds only if `W` equals the network's `I`, and
/// otherwise fails with a sentence about shapes rather than a type mismatch. `W` and `N` are
/// parameters so that the sentence can name the dataset's width and the network.
///
/// ```compile_fail,E0277
/// use liandan::prelude::*;
/// use liandan::data::Dataset;
///
/// network! {
///     struct Digits { input: [8, 8], Flatten, Dense<10, Softmax> }
/// }
///
/// let net = Digits::new_boxed(&mut liandan::rng::SplitMix64::new(1));
/// let mut model: Model<f32, Digits, _, _, 64, 10> =
///     Model::compile(net, Adam::default(), SparseCategoricalCrossentropy::default(), &[]);
/// let data = Dataset::<f32, 63>::classification(&[[0.0; 63]], &[0], 10)?;
/// // error: the dataset has 63 features per sample, but the network `Digits` takes 64
/// model.evaluate(&data)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "the dataset has {W} features per sample, but the network `{N}` takes {I}",
    label = "a dataset of {W} features per sample",
    note = "a network of {I} inputs reads a `Dataset<_, {I}>`: check how the data is loaded, or the network's `input`"
)]
pub trait FitsNetwork<T: Float, N, const W: usize, const I: usize> {
    /// The dataset, as the network's input: itself.
    fn as_input(&self) -> &Dataset<T, I>;
}

impl<T: Float, N, const I: usize> FitsNetwork<T, N, I, I> for Dataset<T, I> {
    fn as_input(&self) -> &Dataset<T, I> {
        self
    }
}

/// `model.evaluate(&data)` where `data` is already a `&Dataset`, as in `for data in [&a, &b]`.
impl<T: Float, N, D, const W: usize, const I: usize> FitsNetwork<T, N, W, I> for &D
where
    D: FitsNetwork<T, N, W, I> + ?Sized,
{
    fn as_input(&self) -> &Dataset<T, I> {
        (**self).as_input()
    }
}

#[cfg(test)]
mod tests {
    use crate::data::Dataset;
    use crate::prelude::*;

    crate::network! {
        struct Pair { input: [2], Dense<2, Softmax> }
    }

    /// A `&Dataset` in hand, as when looping over several, is read as the dataset itself.
    #[test]
    fn a_reference_to_a_dataset_fits_too() {
        let data =
            Dataset::<f64, 2>::classification(&[[0.0, 1.0], [1.0, 0.0]], &[1, 0], 2).unwrap();
        let net = Pair::new_boxed(&mut crate::rng::SplitMix64::new(3));
        let loss = SparseCategoricalCrossentropy::default();
        let mut model: Model<f64, Pair<f64>, _, _, 2, 2, 2> =
            Model::compile(net, Sgd::new(0.1), loss, &[Metric::Accuracy]);
        let d = &data;
        let by_reference = model.evaluate(&d).unwrap().get("loss");
        assert_eq!(by_reference, model.evaluate(d).unwrap().get("loss"));
        assert!(by_reference.is_some_and(f64::is_finite));
        assert_eq!(
            model.predict(&&data).unwrap(),
            model.predict(&data).unwrap()
        );
    }
}
