//! Saving and loading everything that lists its tensors through [`Params`] and [`Buffers`]: a
//! layer, a network, a gradient.

use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::io::file::{self, File, Tensor, TensorRef};
use crate::io::names::{buffer_specs, specs, Spec};
use crate::io::scalar::{dtype_of, encode, scalar_name};
use crate::io::{buffers, check};
use crate::io::{
    Layout, LoadOptions, WeightsError, WeightsErrorKind, ARCHITECTURE_KEY, SCALAR_KEY,
};
use crate::{Buffers, Float, Params};

/// Writes all of `params`' tensors to a safetensors file at `path`.
///
/// Fails without writing if two tensors would share a name.
pub fn save_params<T: Float, P: Params<T> + Buffers>(
    params: &P,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = params_to_bytes(params).map_err(|e| e.at(path))?;
    file::write(path, &bytes)
}

/// Reads all of `params`' tensors from the safetensors file at `path`, strictly: Keras layout,
/// the same element type, no missing or extra tensor. On error `params` is unchanged.
pub fn load_params<T: Float, P: Params<T> + Buffers>(
    params: &mut P,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    load_params_with(params, path, &LoadOptions::default())
}

/// [`load_params`] with a kernel layout or element-type conversion. On error `params` is
/// unchanged.
pub fn load_params_with<T: Float, P: Params<T> + Buffers>(
    params: &mut P,
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let data = file::max_data(P::PARAMS).saturating_add(P::BUFFER_BYTES as u64);
    let contents = file::read(path, data)?;
    File::read(&contents)
        .and_then(|file| decode_params(params, &file, options, None))
        .map_err(|e| WeightsError::from(e).at(path))
}

/// The safetensors bytes of all of `params`' tensors, as [`save_params`] writes them.
pub fn params_to_bytes<T: Float, P: Params<T> + Buffers>(
    params: &P,
) -> Result<Vec<u8>, WeightsError> {
    Ok(encode_params(params, &[], Layout::Keras)?)
}

/// Reads all of `params`' tensors from safetensors `bytes` (e.g. from `include_bytes!`). On
/// error `params` is unchanged.
pub fn params_from_bytes<T: Float, P: Params<T> + Buffers>(
    params: &mut P,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<(), WeightsError> {
    Ok(decode_params(params, &File::parse(bytes)?, options, None)?)
}

/// The file bytes of `params`, with `liandan.scalar` and the extra `metadata`, the parameters'
/// axes ordered as `layout` orders them.
pub(crate) fn encode_params<T: Float, P: Params<T> + Buffers>(
    params: &P,
    metadata: &[(&str, String)],
    layout: Layout,
) -> Result<Vec<u8>, WeightsErrorKind> {
    let specs = specs::<T, P>()?;
    let mut tensors: Vec<_> = (0..P::TENSORS)
        .map(|i| params.tensor(i))
        .zip(&specs)
        .map(|(data, spec)| laid_out(spec, data, layout))
        .collect();
    tensors.extend(buffers::encode(params, &buffer_specs::<P>()?));
    let mut all = Vec::from([(SCALAR_KEY, scalar_name::<T>().to_string())]);
    all.extend_from_slice(metadata);
    file::encode(tensors, &all)
}

/// `data` as a file of `layout` holds it: in PyTorch's order of the axes, value `i` moves to
/// [`Spec::file_index`]`(i)` (the permutation a PyTorch load undoes).
fn laid_out<T: Float>(spec: &Spec, data: &[T], layout: Layout) -> (String, Tensor) {
    if layout == Layout::Keras {
        return file_tensor(spec, data);
    }
    let mut values = std::vec![T::zero(); data.len()];
    for (i, &v) in data.iter().enumerate() {
        values[spec.file_index(i, layout)] = v;
    }
    let shaped = Spec {
        shape: spec.file_shape(layout),
        ..spec.clone()
    };
    file_tensor(&shaped, &values)
}

/// `data` as the file holds it under `spec`'s name and shape.
pub(crate) fn file_tensor<T: Float>(spec: &Spec, data: &[T]) -> (String, Tensor) {
    let tensor = Tensor {
        dtype: dtype_of::<T>(),
        shape: spec.shape.clone(),
        bytes: encode(data),
    };
    (spec.name.clone(), tensor)
}

/// Checks the whole file against `P` (and `architecture`, if given), then copies.
pub(crate) fn decode_params<T: Float, P: Params<T> + Buffers>(
    params: &mut P,
    file: &File<'_>,
    options: &LoadOptions,
    architecture: Option<&str>,
) -> Result<(), WeightsErrorKind> {
    if let Some(network) = architecture {
        check::metadata(file, ARCHITECTURE_KEY, network, |file| {
            WeightsErrorKind::Architecture {
                file,
                network: network.to_string(),
            }
        })?;
    }
    let (specs, kept) = (specs::<T, P>()?, buffer_specs::<P>()?);
    let names: Vec<&str> = kept.iter().map(|s| s.name.as_str()).collect();
    let sources = checked::<T>(file, &specs, options, &names)?;
    let kept_sources = buffers::checked(params, file, &kept, options)?;
    file.complete()?;
    for (src, spec) in sources.iter().zip(&specs) {
        check::values::<T>(src, spec, options, false)?;
    }
    for (i, (src, spec)) in sources.iter().zip(&specs).enumerate() {
        check::copy(src, spec, options.layout, params.tensor_mut(i));
    }
    buffers::copy(params, &kept_sources);
    Ok(())
}

/// The file's tensors for `specs`, each checked, after checking the file has no tensor beyond
/// them and `others`.
pub(crate) fn checked<'f, T: Float>(
    file: &'f File<'_>,
    specs: &[Spec],
    options: &LoadOptions,
    others: &[&str],
) -> Result<Vec<TensorRef<'f>>, WeightsErrorKind> {
    let sources = specs
        .iter()
        .map(|spec| check::tensor::<T>(file, spec, options))
        .collect::<Result<Vec<_>, _>>()?;
    let mut names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    names.extend_from_slice(others);
    check::no_extra(file, &names)?;
    Ok(sources)
}
