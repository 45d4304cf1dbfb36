//! What can go wrong with a weight file, and in which file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

/// An error saving or loading a weight file: what went wrong ([`kind`](WeightsError::kind))
/// and in which file ([`path`](WeightsError::path), absent for in-memory bytes).
///
/// A failed load leaves the network (or optimizer state) exactly as it was.
#[derive(Debug)]
pub struct WeightsError {
    path: Option<PathBuf>,
    kind: WeightsErrorKind,
}

impl WeightsError {
    /// What went wrong.
    pub fn kind(&self) -> &WeightsErrorKind {
        &self.kind
    }

    /// The file, when the error came from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The same error, located in the file `path`.
    pub(crate) fn at(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }
}

impl From<WeightsErrorKind> for WeightsError {
    fn from(kind: WeightsErrorKind) -> Self {
        WeightsError { path: None, kind }
    }
}

/// The ways a weight file can be unreadable or not fit what it is loaded into.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WeightsErrorKind {
    /// The file could not be read (it is missing, or not readable).
    #[error("cannot read the weight file: {0}")]
    Read(#[source] std::io::Error),
    /// The file could not be written.
    #[error("cannot write the weight file: {0}")]
    Write(#[source] std::io::Error),
    /// The file ends before its 8-byte header length, or before the header it announces.
    #[error("truncated header: the file has {len} bytes, but its header needs {needed}")]
    TruncatedHeader {
        /// The file's length in bytes.
        len: usize,
        /// The bytes the header needs: 8, or 8 plus the announced header length.
        needed: u64,
    },
    /// The header is not text, is implausibly large, or describes impossible tensor sizes.
    #[error("corrupt header: {0}")]
    CorruptHeader(&'static str),
    /// The header is not the JSON safetensors expects.
    #[error("the header is not valid safetensors JSON: {0}")]
    Json(String),
    /// A tensor's data range overlaps another's, or leaves a gap before it.
    #[error("the data offsets of tensor `{tensor}` overlap the previous tensor or leave a gap")]
    Offsets {
        /// The first tensor (in file order) whose range is wrong.
        tensor: String,
    },
    /// A tensor's data range does not hold `shape × dtype size` bytes.
    #[error("a tensor's data offsets do not span its shape times its element size")]
    TensorSize,
    /// The tensors' ranges do not end where the file does: the data is truncated, has trailing
    /// bytes, or an offset points past the end.
    #[error(
        "the tensors' data offsets do not end at the file's end ({data} data bytes): \
         truncated or corrupt data"
    )]
    DataLength {
        /// The bytes after the header.
        data: usize,
    },
    /// Two tensors have the same name in the file read, or would get it in the file written.
    #[error("two tensors are both named `{0}`")]
    DuplicateName(String),
    /// The file goes on past the most that what it is loaded into can take: its 8-byte header
    /// length, the header it announces, and every value at 8 bytes. It is read no further.
    #[error(
        "the file is larger than {} bytes, the most its {header}-byte header and the \
         {data} data bytes of what it is loaded into take: the weights of a larger \
         network, or not a weight file",
        8u64.saturating_add(*.header).saturating_add(*.data)
    )]
    FileTooLarge {
        /// The header length the file announces.
        header: u64,
        /// The most data bytes what the file is loaded into takes.
        data: u64,
    },
    /// The file's architecture is not the network's.
    #[error("the file holds weights of `{file}`, but the network is `{network}`")]
    Architecture {
        /// The architecture recorded in the file.
        file: String,
        /// The architecture of the network loaded into.
        network: String,
    },
    /// The file's optimizer is not the one whose state is loaded.
    #[error("the file holds the state of optimizer `{file}`, but it is loaded into `{expected}`")]
    Optimizer {
        /// The optimizer recorded in the file.
        file: String,
        /// The optimizer loaded into.
        expected: &'static str,
    },
    /// A tensor whose [`TensorInfo`](crate::TensorInfo) fails its check: too many axes, or a
    /// PyTorch order that is not a permutation.
    #[error("tensor `{tensor}` cannot be described in a file: {source}")]
    TensorInfo {
        /// The tensor's name.
        tensor: String,
        /// What is wrong with its description.
        source: crate::TensorInfoError,
    },
    /// A tensor the network needs is not in the file.
    #[error("tensor `{0}` is missing from the file")]
    Missing(String),
    /// The file holds a tensor the network does not have.
    #[error("the file has tensor `{0}`, which the network does not")]
    Extra(String),
    /// A tensor has another shape in the file than in the network.
    #[error(
        "tensor `{tensor}` has shape {file:?} in the file, but the network needs {expected:?}"
    )]
    Shape {
        /// The tensor's name.
        tensor: String,
        /// Its shape in the file.
        file: Vec<usize>,
        /// The shape the network (and the layout asked for) needs.
        expected: Vec<usize>,
    },
    /// A value is NaN or infinite, and the load does not allow that
    /// ([`LoadOptions::allowing_non_finite`](crate::io::LoadOptions::allowing_non_finite)).
    #[error(
        "tensor `{tensor}` holds {value} at element {index} (row-major, as in the file); \
         load with `LoadOptions::allowing_non_finite()` to keep it"
    )]
    NonFinite {
        /// The tensor's name.
        tensor: String,
        /// The value's index in the file's tensor, row-major (numpy's `flat`).
        index: usize,
        /// The value.
        value: f64,
    },
    /// A finite `f64` value beyond `f32`'s range, which converting would make infinite.
    #[error(
        "tensor `{tensor}` holds {value:e} at element {index} (row-major, as in the file), \
         beyond the range of f32: converting would make it infinite"
    )]
    OutOfRange {
        /// The tensor's name.
        tensor: String,
        /// The value's index in the file's tensor, row-major (numpy's `flat`).
        index: usize,
        /// The value.
        value: f64,
    },
    /// A negative value in a tensor that is never negative, whose square root is taken:
    /// Adam's `v` (a mean of squared gradients), a `Normalization`'s variance.
    #[error(
        "tensor `{tensor}` holds {value:e} at element {index} (row-major, as in the file), \
         but it is a variance or a mean of squares, never negative"
    )]
    Negative {
        /// The tensor's name.
        tensor: String,
        /// The value's index in the file's tensor, row-major (numpy's `flat`).
        index: usize,
        /// The value.
        value: f64,
    },
    /// An optimizer step count of `u64::MAX`: the next update's count would not fit.
    #[error("`optimizer.step` is {step}: the next update's step count would not fit in a u64")]
    StepOutOfRange {
        /// The step count in the file.
        step: u64,
    },
    /// The file is not an int8 network's: its `liandan.format` is not `int8`.
    #[error("the file is not an int8 network's (its `liandan.format` metadata is not `int8`)")]
    NotInt8,
    /// A value an int8 network cannot hold: a scale that is not positive and finite, a zero
    /// point outside int8, or -128 in a kernel (int8 kernels are symmetric).
    #[error("tensor `{tensor}` holds {value} at element {index}, but {rule}")]
    Int8Value {
        /// The tensor's name.
        tensor: String,
        /// The value's index in the tensor, row-major.
        index: usize,
        /// The value.
        value: f64,
        /// What the tensor's values must be.
        rule: &'static str,
    },
    /// A tensor has another element type in the file than in the network.
    #[error(
        "tensor `{tensor}` is {file} in the file, but the network is {expected}{}",
        convert_hint(.file, .expected)
    )]
    Dtype {
        /// The tensor's name.
        tensor: String,
        /// Its element type in the file, as safetensors names it (`F64`).
        file: String,
        /// The element type needed (`F32`).
        expected: &'static str,
    },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "`{}`: ", path.display())?;
        }
        write!(f, "{}", self.kind)
    }
}

/// The hint of [`WeightsErrorKind::Dtype`]: a float of the other width converts on request.
fn convert_hint(file: &str, expected: &str) -> &'static str {
    let float = |dtype| matches!(dtype, "F32" | "F64");
    if float(file) && float(expected) {
        "; load with `LoadOptions::converting()` to convert"
    } else {
        ""
    }
}

impl std::error::Error for WeightsError {
    /// The I/O error of a file that could not be read or written: the kind's own cause.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.kind.source()
    }
}
