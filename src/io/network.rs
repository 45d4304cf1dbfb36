//! The [`Network`] conveniences: weight files that carry the architecture they belong to.

use std::path::Path;
use std::string::String;

use crate::io::file::{self, File};
use crate::io::params::{decode_params, encode_params};
use crate::io::{LoadOptions, WeightsError, ARCHITECTURE_KEY};
use crate::{Float, Network};

/// A stable one-line description of `net`'s declaration, as weight files record it under
/// `liandan.architecture`:
/// `Mnist: input [28, 28]; flatten_1 Flatten; dense_1 Dense<784 -> 128, Relu>; ...`.
///
/// It is built from [`Network::NAME`], [`Network::INPUT_SHAPE`] and each layer's name and kind,
/// so renaming the network or changing any layer (a dropout rate included) changes it.
pub fn architecture<T, N, const I: usize, const O: usize>(net: &N) -> String
where
    T: Float,
    N: Network<T, I, O>,
{
    let _ = net;
    let mut text = std::format!("{}: input {:?}", N::NAME, N::INPUT_SHAPE);
    for layer in N::LAYERS {
        text.push_str("; ");
        text.push_str(layer.name);
        text.push(' ');
        text.push_str(layer.kind);
    }
    text
}

/// Saves `net`'s weights to `path`, with its architecture and scalar type in the metadata.
///
/// ```no_run
/// # fn demo<N: liandan::Network<f32, 784, 10>>(net: &mut N) -> Result<(), liandan::io::WeightsError> {
/// liandan::io::save_weights(net, "mnist.safetensors")?;
/// liandan::io::load_weights(net, "mnist.safetensors")?;
/// # Ok(()) }
/// ```
pub fn save_weights<T, N, const I: usize, const O: usize>(
    net: &N,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError>
where
    T: Float,
    N: Network<T, I, O>,
{
    let path = path.as_ref();
    let metadata = [(ARCHITECTURE_KEY, architecture(net))];
    let bytes = encode_params(net, &metadata).map_err(|e| WeightsError::from(e).at(path))?;
    file::write(path, &bytes)
}

/// Loads `net`'s weights from `path`, strictly (Keras layout, same element type). A file
/// recording another architecture is refused; one without that record (from numpy, Keras or
/// PyTorch) is accepted if every tensor fits. On error `net` is unchanged.
pub fn load_weights<T, N, const I: usize, const O: usize>(
    net: &mut N,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError>
where
    T: Float,
    N: Network<T, I, O>,
{
    load_weights_with(net, path, &LoadOptions::default())
}

/// [`load_weights`] with a kernel layout or element-type conversion. On error `net` is
/// unchanged.
pub fn load_weights_with<T, N, const I: usize, const O: usize>(
    net: &mut N,
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<(), WeightsError>
where
    T: Float,
    N: Network<T, I, O>,
{
    let path = path.as_ref();
    let contents = file::read(path, file::max_data(<N as crate::Params<T>>::PARAMS))?;
    let network = architecture(net);
    File::read(&contents)
        .and_then(|file| decode_params(net, &file, options, Some(&network)))
        .map_err(|e| WeightsError::from(e).at(path))
}
