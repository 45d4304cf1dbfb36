//! The safetensors container: bytes to tensors and back, through the reference crate, with its
//! errors told in our terms.

use std::borrow::{Cow, ToOwned};
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::Metadata;
use safetensors::{Dtype, SafeTensorError, SafeTensors, View};

use crate::io::{header, WeightsError, WeightsErrorKind};

/// A tensor to write: element type, shape and little-endian bytes.
pub(crate) struct Tensor {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub bytes: Vec<u8>,
}

impl View for Tensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// A tensor read from a file: a view into the file's bytes.
pub(crate) struct TensorRef<'a> {
    pub dtype: Dtype,
    pub shape: &'a [usize],
    pub bytes: &'a [u8],
}

/// A parsed and validated file: its header and its data section.
pub(crate) struct File<'a> {
    header: Metadata,
    data: &'a [u8],
}

impl<'a> File<'a> {
    /// Parses `bytes`, checking the header, every offset and the total length.
    ///
    /// A name that occurs twice and an offset past the data are looked for first (see
    /// [`header`](crate::io::header)), so the reference reader never sees either.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WeightsErrorKind> {
        header::check(bytes)?;
        let (n, header) = SafeTensors::read_metadata(bytes).map_err(|e| explain(e, bytes))?;
        Ok(File {
            header,
            data: &bytes[8 + n..],
        })
    }

    /// The `__metadata__` entry `key`, if any.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.header
            .metadata()
            .as_ref()?
            .get(key)
            .map(String::as_str)
    }

    /// The tensor `name`, if the file has it.
    pub fn tensor(&self, name: &str) -> Option<TensorRef<'_>> {
        let info = self.header.info(name)?;
        let (start, end) = info.data_offsets;
        Some(TensorRef {
            dtype: info.dtype,
            shape: &info.shape,
            bytes: &self.data[start..end],
        })
    }

    /// The tensors' names in file order.
    pub fn names(&self) -> Vec<String> {
        self.header.offset_keys()
    }
}

/// A safetensors file holding `tensors` and the `metadata` strings.
pub(crate) fn encode(
    tensors: Vec<(String, Tensor)>,
    metadata: &[(&str, String)],
) -> Result<Vec<u8>, WeightsErrorKind> {
    let metadata = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    safetensors::serialize(tensors, Some(metadata)).map_err(|e| explain(e, &[]))
}

/// Reads the whole file at `path`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, WeightsError> {
    std::fs::read(path).map_err(|e| WeightsError::from(WeightsErrorKind::Read(e)).at(path))
}

/// Writes `bytes` to `path` through a sibling temporary file and a rename, so a crash while
/// saving a checkpoint never leaves a half-written file where the last good one was.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), WeightsError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| WeightsError::from(WeightsErrorKind::Write(e)).at(path))
}

/// The crate's error, in our terms; `bytes` is the file, for the lengths the messages give.
fn explain(e: SafeTensorError, bytes: &[u8]) -> WeightsErrorKind {
    use WeightsErrorKind::*;
    let header = header_len(bytes);
    match e {
        SafeTensorError::HeaderTooSmall => TruncatedHeader {
            len: bytes.len(),
            needed: 8,
        },
        SafeTensorError::InvalidHeaderLength => TruncatedHeader {
            len: bytes.len(),
            needed: header.saturating_add(8),
        },
        SafeTensorError::HeaderTooLarge => CorruptHeader("the announced header is over 100 MB"),
        SafeTensorError::InvalidHeader(_) => CorruptHeader("the header is not UTF-8 text"),
        SafeTensorError::InvalidHeaderDeserialization(e) | SafeTensorError::JsonError(e) => {
            Json(e.to_string())
        }
        SafeTensorError::InvalidOffset(tensor) => Offsets { tensor },
        SafeTensorError::TensorInvalidInfo => TensorSize,
        SafeTensorError::MetadataIncompleteBuffer => DataLength {
            data: bytes
                .len()
                .saturating_sub(8)
                .saturating_sub(header as usize),
        },
        SafeTensorError::ValidationOverflow => CorruptHeader("a tensor's size overflows"),
        SafeTensorError::MisalignedSlice => {
            CorruptHeader("a tensor of sub-byte elements does not end on a byte")
        }
        _ => CorruptHeader("the safetensors reader rejected it"),
    }
}

/// The header length the first 8 bytes announce, or 0 if there are fewer.
fn header_len(bytes: &[u8]) -> u64 {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}
