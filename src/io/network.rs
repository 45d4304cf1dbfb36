//! The [`Network`] conveniences: weight files that carry the architecture they belong to.

use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::io::file::{self, File};
use crate::io::params::{decode_params, encode_params};
use crate::io::{Layout, LoadOptions, WeightsError, ARCHITECTURE_KEY};
use crate::shape::Shape;
use crate::{Float, Network, Params};

/// A stable one-line description of `N`'s declaration, as weight files record it under
/// `liandan.architecture`:
/// `Mnist: input [28, 28]; flatten_1 Flatten<[28, 28]>; dense_1 Dense<784 -> 128, Relu>; ...`.
///
/// It is built from [`Network::NAME`], the input shape and each layer's name and kind, so
/// renaming the network or changing any layer (a dropout rate included) changes it.
pub fn architecture<N: Network>() -> String {
    let dims = <N::Input as Shape>::DIMS;
    let mut text = std::format!("{}: input {dims:?}", N::NAME);
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
/// # use liandan::prelude::*;
/// # network! { pub struct Mnist { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>, Dense<10, Softmax> } }
/// # let mut net = Mnist::<f32>::boxed();
/// liandan::io::save_weights(&*net, "mnist.safetensors")?;
/// liandan::io::load_weights(&mut *net, "mnist.safetensors")?;
/// # Ok::<(), liandan::io::WeightsError>(())
/// ```
pub fn save_weights<N>(net: &N, path: impl AsRef<Path>) -> Result<(), WeightsError>
where
    N: Network + Params<N::Element>,
    N::Element: Float,
{
    save_weights_with(net, path, Layout::Keras)
}

/// [`save_weights`] with the kernels' axes in `layout`: [`Layout::PyTorch`] writes a dense
/// kernel `(out, in)` and a convolution's `(F, C, KH, KW)`, as PyTorch's `state_dict` holds
/// them (biases are the same in both), with the metadata `format: pt` PyTorch's safetensors
/// files carry. [`load_weights_with`] and that layout read it back.
///
/// ```
/// use liandan::io::{load_weights_with, save_weights_with, Layout, LoadOptions};
/// use liandan::prelude::*;
///
/// network! { struct Net { input: [3], Dense<2> } }
/// let net = Net::<f32>::new_boxed(&mut liandan::rng::SplitMix64::new(1));
/// let path = std::env::temp_dir().join("liandan-doc-pytorch.safetensors");
/// save_weights_with(&*net, &path, Layout::PyTorch)?;
/// let mut back = Net::<f32>::boxed();
/// load_weights_with(&mut *back, &path, &LoadOptions::default().layout(Layout::PyTorch))?;
/// assert_eq!(back.dense_1.kernel, net.dense_1.kernel);
/// # Ok::<(), liandan::io::WeightsError>(())
/// ```
pub fn save_weights_with<N>(
    net: &N,
    path: impl AsRef<Path>,
    layout: Layout,
) -> Result<(), WeightsError>
where
    N: Network + Params<N::Element>,
    N::Element: Float,
{
    let path = path.as_ref();
    let mut metadata = Vec::from([(ARCHITECTURE_KEY, architecture::<N>())]);
    if layout == Layout::PyTorch {
        metadata.push(("format", "pt".to_string()));
    }
    let bytes = encode_params(net, &metadata, layout);
    file::write(path, &bytes.map_err(|e| WeightsError::from(e).at(path))?)
}

/// Loads `net`'s weights from `path`, strictly (Keras layout, same element type). A file
/// recording another architecture is refused; one without that record (from numpy, Keras or
/// PyTorch) is accepted if every tensor fits. On error `net` is unchanged.
pub fn load_weights<N>(net: &mut N, path: impl AsRef<Path>) -> Result<(), WeightsError>
where
    N: Network + Params<N::Element>,
    N::Element: Float,
{
    load_weights_with(net, path, &LoadOptions::default())
}

/// [`load_weights`] with a kernel layout or element-type conversion. On error `net` is
/// unchanged.
pub fn load_weights_with<N>(
    net: &mut N,
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<(), WeightsError>
where
    N: Network + Params<N::Element>,
    N::Element: Float,
{
    let path = path.as_ref();
    let data = file::max_data(N::PARAMS).saturating_add(N::BUFFER_BYTES as u64);
    let contents = file::read(path, data)?;
    let network = architecture::<N>();
    File::read(&contents)
        .and_then(|file| decode_params(net, &file, options, Some(&network)))
        .map_err(|e| WeightsError::from(e).at(path))
}
