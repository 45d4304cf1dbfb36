//! [`FitsNetwork`]: the bound that lets a [`Model`](super::Model) read only datasets whose
//! samples have the network's input shape, and says so in both shapes when one does not.

use crate::data::Dataset;
use crate::shape::Shape;
use crate::Float;

/// A dataset of samples of shape `S` that network `N`, of input shape `I`, can read:
/// `Dataset<T, I>` (and a reference to one), for `S = I` only.
///
/// [`Model::fit`](super::Model::fit), [`evaluate`](super::Model::evaluate),
/// [`predict`](super::Model::predict) and [`confusion_matrix`](super::Model::confusion_matrix)
/// take `data: &D` with `D: Borrow<Dataset<T, S>> + FitsNetwork<T, N, S, I>`. `Borrow` reads the
/// shape `S` off the argument; this bound then holds only if `S` is the network's `I`, and
/// otherwise fails with a sentence about shapes rather than a type mismatch. `S` and `N` are
/// parameters so that the sentence can name the dataset's shape and the network.
///
/// ```compile_fail,E0277
/// use liandan::prelude::*;
/// use liandan::data::Dataset;
///
/// network! {
///     struct Digits { input: [64], Dense<10, Softmax> }
/// }
///
/// let net = Digits::new_boxed(&mut liandan::rng::SplitMix64::new(1));
/// let mut model: Model<Digits, _, _> =
///     Model::compile(net, Adam::default(), SparseCategoricalCrossentropy::default(), &[]);
/// let data = Dataset::<f32, Flat<63>>::classification(&[[0.0; 63]], &[0], 10)?;
/// // error: the dataset's samples are `Flat<63>`, but the network `Digits` takes `Flat<64>`
/// model.evaluate(&data)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "the dataset's samples are `{S}`, but the network `{N}` takes `{I}`",
    label = "a dataset of samples of shape `{S}`",
    note = "a network of input `{I}` reads a `Dataset<_, {I}>`: check how the data is loaded, or the network's `input`"
)]
pub trait FitsNetwork<T: Float, N, S: Shape, I: Shape> {
    /// The dataset, as the network's input: itself.
    fn as_input(&self) -> &Dataset<T, I>;
}

impl<T: Float, N, I: Shape> FitsNetwork<T, N, I, I> for Dataset<T, I> {
    fn as_input(&self) -> &Dataset<T, I> {
        self
    }
}

/// `model.evaluate(&data)` where `data` is already a `&Dataset`, as in `for data in [&a, &b]`.
impl<T: Float, N, D, S: Shape, I: Shape> FitsNetwork<T, N, S, I> for &D
where
    D: FitsNetwork<T, N, S, I> + ?Sized,
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
            Dataset::<f64, Flat<2>>::classification(&[[0.0, 1.0], [1.0, 0.0]], &[1, 0], 2).unwrap();
        let net = Pair::new_boxed(&mut crate::rng::SplitMix64::new(3));
        let loss = SparseCategoricalCrossentropy::default();
        let mut model: Model<Pair<f64>, _, _, 2> =
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
