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
#[derive(Debug)]
#[non_exhaustive]
pub enum WeightsErrorKind {
    /// The file could not be read (it is missing, or not readable).
    Read(std::io::Error),
    /// The file could not be written.
    Write(std::io::Error),
    /// The file ends before its 8-byte header length, or before the header it announces.
    TruncatedHeader {
        /// The file's length in bytes.
        len: usize,
        /// The bytes the header needs: 8, or 8 plus the announced header length.
        needed: u64,
    },
    /// The header is not text, is implausibly large, or describes impossible tensor sizes.
    CorruptHeader(&'static str),
    /// The header is not the JSON safetensors expects.
    Json(String),
    /// A tensor's data range overlaps another's, or leaves a gap before it.
    Offsets {
        /// The first tensor (in file order) whose range is wrong.
        tensor: String,
    },
    /// A tensor's data range does not hold `shape × dtype size` bytes.
    TensorSize,
    /// The tensors' ranges do not end where the file does: the data is truncated, has trailing
    /// bytes, or an offset points past the end.
    DataLength {
        /// The bytes after the header.
        data: usize,
    },
    /// Two tensors have the same name in the file read, or would get it in the file written.
    DuplicateName(String),
    /// The file goes on past the most that what it is loaded into can take: its 8-byte header
    /// length, the header it announces, and every value at 8 bytes. It is read no further.
    FileTooLarge {
        /// The header length the file announces.
        header: u64,
        /// The most data bytes what the file is loaded into takes.
        data: u64,
    },
    /// The file's architecture is not the network's.
    Architecture {
        /// The architecture recorded in the file.
        file: String,
        /// The architecture of the network loaded into.
        network: String,
    },
    /// The file's optimizer is not the one whose state is loaded.
    Optimizer {
        /// The optimizer recorded in the file.
        file: String,
        /// The optimizer loaded into.
        expected: &'static str,
    },
    /// A tensor the network needs is not in the file.
    Missing(String),
    /// The file holds a tensor the network does not have.
    Extra(String),
    /// A tensor has another shape in the file than in the network.
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
    NonFinite {
        /// The tensor's name.
        tensor: String,
        /// The value's index in the file's tensor, row-major (numpy's `flat`).
        index: usize,
        /// The value.
        value: f64,
    },
    /// A finite `f64` value beyond `f32`'s range, which converting would make infinite.
    OutOfRange {
        /// The tensor's name.
        tensor: String,
        /// The value's index in the file's tensor, row-major (numpy's `flat`).
        index: usize,
        /// The value.
        value: f64,
    },
    /// A negative value in optimizer state that is never negative: Adam's `v`, a mean of
    /// squared gradients, whose square root the update takes.
    Negative {
        /// The tensor's name.
        tensor: String,
        /// The value's index in the file's tensor, row-major (numpy's `flat`).
        index: usize,
        /// The value.
        value: f64,
    },
    /// An optimizer step count of `u64::MAX`: the next update's count would not fit.
    StepOutOfRange {
        /// The step count in the file.
        step: u64,
    },
    /// A tensor has another element type in the file than in the network.
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

impl fmt::Display for WeightsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WeightsErrorKind::*;
        match self {
            Read(e) => write!(f, "cannot read the weight file: {e}"),
            Write(e) => write!(f, "cannot write the weight file: {e}"),
            TruncatedHeader { len, needed } => write!(
                f,
                "truncated header: the file has {len} bytes, but its header needs {needed}"
            ),
            CorruptHeader(why) => write!(f, "corrupt header: {why}"),
            Json(e) => write!(f, "the header is not valid safetensors JSON: {e}"),
            Offsets { tensor } => write!(
                f,
                "the data offsets of tensor `{tensor}` overlap the previous tensor or leave a gap"
            ),
            TensorSize => write!(
                f,
                "a tensor's data offsets do not span its shape times its element size"
            ),
            DataLength { data } => write!(
                f,
                "the tensors' data offsets do not end at the file's end ({data} data bytes): \
                 truncated or corrupt data"
            ),
            DuplicateName(name) => write!(f, "two tensors are both named `{name}`"),
            FileTooLarge { header, data } => write!(
                f,
                "the file is larger than {} bytes, the most its {header}-byte header and the \
                 {data} data bytes of what it is loaded into take: the weights of a larger \
                 network, or not a weight file",
                8u64.saturating_add(*header).saturating_add(*data)
            ),
            Architecture { file, network } => write!(
                f,
                "the file holds weights of `{file}`, but the network is `{network}`"
            ),
            Optimizer { file, expected } => write!(
                f,
                "the file holds the state of optimizer `{file}`, but it is loaded into `{expected}`"
            ),
            Missing(name) => write!(f, "tensor `{name}` is missing from the file"),
            Extra(name) => write!(f, "the file has tensor `{name}`, which the network does not"),
            Shape {
                tensor,
                file,
                expected,
            } => write!(
                f,
                "tensor `{tensor}` has shape {file:?} in the file, but the network needs {expected:?}"
            ),
            NonFinite {
                tensor,
                index,
                value,
            } => write!(
                f,
                "tensor `{tensor}` holds {value} at element {index} (row-major, as in the file); \
                 load with `LoadOptions::allowing_non_finite()` to keep it"
            ),
            OutOfRange {
                tensor,
                index,
                value,
            } => write!(
                f,
                "tensor `{tensor}` holds {value:e} at element {index} (row-major, as in the file), \
                 beyond the range of f32: converting would make it infinite"
            ),
            Negative {
                tensor,
                index,
                value,
            } => write!(
                f,
                "tensor `{tensor}` holds {value:e} at element {index} (row-major, as in the file), \
                 but a mean of squares is never negative"
            ),
            StepOutOfRange { step } => write!(
                f,
                "`optimizer.step` is {step}: the next update's step count would not fit in a u64"
            ),
            Dtype {
                tensor,
                file,
                expected,
            } => write!(
                f,
                "tensor `{tensor}` is {file} in the file, but the network is {expected}{}",
                if matches!(file.as_str(), "F32" | "F64") {
                    "; load with `LoadOptions::converting()` to convert"
                } else {
                    ""
                }
            ),
        }
    }
}

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            WeightsErrorKind::Read(e) | WeightsErrorKind::Write(e) => Some(e),
            _ => None,
        }
    }
}

impl std::error::Error for WeightsErrorKind {}
