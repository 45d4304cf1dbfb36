//! Weight files in the safetensors format, as PyTorch and Hugging Face read and write them.
//!
//! # The format
//!
//! A safetensors file is an 8-byte little-endian header length `n`, `n` bytes of JSON, then the
//! raw little-endian data of every tensor. The JSON maps each tensor's name to its `dtype`
//! (`"F32"` or `"F64"` here), `shape` and `data_offsets` (`[start, end)` in the data section),
//! and the optional `"__metadata__"` entry to a map of strings. Reading and writing go through
//! the reference `safetensors` crate, so a file liandan accepts is one PyTorch accepts.
//!
//! # Names and shapes
//!
//! A tensor is named `{layer}.{tensor}` after its [`TensorInfo`](crate::TensorInfo):
//! `dense_1.kernel`, `dense_1.bias`. Tensors of a layer without a name (a bare layer or
//! [`Chain`](crate::layers::Chain)) are `{kind}_{k}.{tensor}` after the layer's Keras kind
//! ([`TensorInfo::kind`](crate::TensorInfo::kind)), `k` counting the layers of that kind from
//! 1, parameters and buffers alike, as `network!` names its fields (`normalization_1.mean`,
//! `dense_2.kernel`); a layer of no kind is `layer_{k}`. Two tensors with one name are refused
//! rather than written.
//!
//! Shapes follow Keras, in any rank ([`TensorInfo::shape`](crate::TensorInfo::shape)), each
//! tensor stored row-major in its shape: a dense kernel is `[in, out]`, which is byte for byte
//! liandan's column-major `out × in` matrix, so it is written and read without reordering; a bias
//! is one-dimensional, `[out]`. PyTorch orders some axes otherwise
//! ([`TensorInfo::torch`](crate::TensorInfo::torch)): its `nn.Linear.weight` is `[out, in]`.
//! Load such a file with [`Layout::PyTorch`], which reorders the axes while copying. Shapes are
//! checked either way.
//!
//! A layer's non-trainable tensors ([`Buffers`](crate::Buffers)) are saved and loaded after the
//! parameters, named the same way, each in its own element type: an integer one is read exactly
//! as saved, a float one as the parameters are (of the other width only when converting).
//!
//! # Metadata
//!
//! - `liandan.scalar`: `f32` or `f64`, the element type of the tensors.
//! - `liandan.architecture` (weights of a [`Network`](crate::Network)): see [`architecture`].
//!   Loading a file whose architecture differs is an error naming both; a file without it
//!   (written by numpy, Keras or PyTorch) is accepted when every tensor fits.
//! - `liandan.optimizer` (optimizer state): `adam` or `sgd`.
//!
//! # Loading is all or nothing
//!
//! Every check (header, offsets, names, shapes, element types, architecture, values) runs before
//! a value is copied, so on any error the network is exactly as it was. Loading is strict: a
//! missing or extra tensor, another shape or another element type is an error. An `f64` file
//! goes into an `f32` network (or the reverse) only through [`LoadOptions::converting`], and a
//! finite `f64` beyond `f32`'s range is then refused ([`WeightsErrorKind::OutOfRange`]) rather
//! than made infinite.
//!
//! The header is read entry by entry before the reference reader sees it: a name that occurs
//! twice is [`WeightsErrorKind::DuplicateName`] (a JSON map would keep one of the two), and a
//! tensor ending past the file's data is [`WeightsErrorKind::DataLength`], with no offset ever
//! added to another. A file is read no further than what it is loaded into can take (its 8-byte
//! header length, the header it announces, and 8 bytes per value, the widest element type read)
//! plus one byte: beyond that, once its header has passed every check, it is
//! [`WeightsErrorKind::FileTooLarge`], so `/dev/zero` fails after a few hundred bytes.
//!
//! # Non-finite values
//!
//! A NaN or infinite value is refused by default, with the tensor and the value's row-major
//! index in the file ([`WeightsErrorKind::NonFinite`]): one NaN weight silently makes every
//! output NaN, so it is told at load time rather than found in the predictions. To keep such
//! values bit for bit (to inspect a run that diverged, say), load with
//! [`LoadOptions::allowing_non_finite`]. The same holds for optimizer state
//! ([`load_optimizer_state_with`]), which also refuses a negative value in Adam's `v` and a step
//! count of `u64::MAX`, so that an update from a state that loaded never makes a parameter NaN.
//! (Weights compiled in with `network!`'s `weights:` are the macro's to check.)
//!
//! ```
//! use liandan::prelude::*;
//! use liandan::layers::Dense;
//! use liandan::io::{params_from_bytes, params_to_bytes, LoadOptions};
//!
//! let mut layer = Dense::<f32, 3, 2, Relu>::zeroed();
//! layer.bias[1] = 0.5;
//! let bytes = params_to_bytes(&layer)?;
//! let mut copy = Dense::<f32, 3, 2, Relu>::zeroed();
//! params_from_bytes(&mut copy, &bytes, &LoadOptions::default())?;
//! assert_eq!(copy, layer);
//! // An f64 layer reads the f32 file only when asked to convert.
//! let mut wide = Dense::<f64, 3, 2, Relu>::zeroed();
//! assert!(params_from_bytes(&mut wide, &bytes, &LoadOptions::default()).is_err());
//! params_from_bytes(&mut wide, &bytes, &LoadOptions::default().converting())?;
//! assert_eq!(wide.bias[1], 0.5);
//! # Ok::<(), liandan::io::WeightsError>(())
//! ```

mod buffers;
mod check;
mod error;
pub(crate) mod file;
mod header;
mod names;
mod network;
mod optimizer;
mod options;
mod params;
mod scalar;

pub use error::{WeightsError, WeightsErrorKind};
pub use network::{architecture, load_weights, load_weights_with, save_weights, save_weights_with};
pub use optimizer::{
    load_optimizer_state, load_optimizer_state_with, save_optimizer_state, OptimizerState,
};
pub use options::{Layout, LoadOptions};
pub use params::{load_params, load_params_with, params_from_bytes, params_to_bytes, save_params};

/// The metadata key of a network's architecture, see [`architecture`].
pub const ARCHITECTURE_KEY: &str = "liandan.architecture";
/// The metadata key of the element type: `f32` or `f64`.
pub const SCALAR_KEY: &str = "liandan.scalar";
/// The metadata key of the optimizer whose state a file holds: `adam` or `sgd`.
pub const OPTIMIZER_KEY: &str = "liandan.optimizer";
