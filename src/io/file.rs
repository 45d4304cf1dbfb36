//! The safetensors container: bytes to tensors and back, through the reference crate, with its
//! errors told in our terms.

use std::borrow::{Cow, ToOwned};
use std::io::Read;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::Metadata;
use safetensors::{Dtype, SafeTensorError, SafeTensors, View};

use crate::io::header::{self, MAX_HEADER};
use crate::io::{WeightsError, WeightsErrorKind};

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
    /// For a file that goes on past what it is loaded into takes, the header length and data
    /// bytes it was read to; its data is then not looked at.
    beyond: Option<(u64, u64)>,
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
            beyond: None,
        })
    }

    /// The file as [`read`] read it: parsed whole or, if it goes on past what it is loaded
    /// into takes, its header alone, so that a file for another network or optimizer is still
    /// told as one; [`complete`](Self::complete) is then the error.
    pub fn read(contents: &'a Contents) -> Result<Self, WeightsErrorKind> {
        let Some((n, data)) = contents.beyond else {
            return Self::parse(&contents.bytes);
        };
        let too_large = || WeightsErrorKind::FileTooLarge { header: n, data };
        // `read` stopped past `8 + n + data` bytes, so the whole header is there.
        let text =
            core::str::from_utf8(&contents.bytes[8..8 + n as usize]).map_err(|_| too_large())?;
        header::check_names(text).map_err(|e| match e {
            WeightsErrorKind::Json(_) => too_large(),
            e => e,
        })?;
        let header = serde_json::from_str::<Metadata>(text).map_err(|_| too_large())?;
        Ok(File {
            header,
            data: &[],
            beyond: contents.beyond,
        })
    }

    /// Fails if the file goes on past what it is loaded into takes: checked after its header,
    /// before any value is read.
    pub fn complete(&self) -> Result<(), WeightsErrorKind> {
        match self.beyond {
            Some((header, data)) => Err(WeightsErrorKind::FileTooLarge { header, data }),
            None => Ok(()),
        }
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
            // Empty for a file whose data was not read (see `complete`).
            bytes: self.data.get(start..end).unwrap_or_default(),
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
    let map = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut bytes = safetensors::serialize(tensors, Some(map)).map_err(|e| explain(e, &[]))?;
    sort_metadata(&mut bytes, metadata);
    Ok(bytes)
}

/// Rewrites the `__metadata__` object that `safetensors::serialize` put first in the header
/// with its entries sorted by key, so that one network always gives the same bytes: the
/// serializer writes them in its hash map's order, which changes from process to process. The
/// sorted object is a permutation of the entries, the same length, so nothing else moves; if
/// the header does not start as expected it is left as written.
fn sort_metadata(bytes: &mut [u8], metadata: &[(&str, String)]) {
    const START: &[u8] = b"{\"__metadata__\":";
    let mut sorted: Vec<_> = metadata.to_vec();
    sorted.sort();
    let map: serde_json::Map<String, serde_json::Value> = sorted
        .into_iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
        .collect();
    let Ok(object) = serde_json::to_vec(&map) else {
        return;
    };
    let at = 8 + START.len();
    let Some(written) = bytes.get(at..at + object.len()) else {
        return;
    };
    let same = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(written);
    if bytes[8..].starts_with(START) && same.is_ok_and(|m| m == map) {
        bytes[at..at + object.len()].copy_from_slice(&object);
    }
}

/// A weight file's bytes: all of them, or the first of a file that goes on.
pub(crate) struct Contents {
    bytes: Vec<u8>,
    /// `Some((header, data))` if the file goes on past its `header` and `data` bytes.
    beyond: Option<(u64, u64)>,
}

/// Reads the file at `path`, for something that takes at most `data` bytes of tensors: no
/// further than its 8-byte header length, the header that announces, `data`, and one byte
/// more, which if present makes it a file that goes on (see [`File::read`]). So a file that
/// never ends (`/dev/zero`) or the weights of a far larger network cost no more memory than
/// the right file would.
///
/// A file too short for its header length, or announcing a header over the reference reader's
/// limit, is returned as read so far, for [`File::parse`] to report.
pub(crate) fn read(path: &Path, data: u64) -> Result<Contents, WeightsError> {
    let read = |e| WeightsError::from(WeightsErrorKind::Read(e)).at(path);
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Vec::new();
    (&mut file).take(8).read_to_end(&mut bytes).map_err(read)?;
    let header = header_len(&bytes);
    if bytes.len() < 8 || header > MAX_HEADER {
        return Ok(Contents {
            bytes,
            beyond: None,
        });
    }
    let rest = header.saturating_add(data);
    let size = file.metadata().map_or(0, |m| m.len());
    bytes.reserve(usize::try_from(size.min(rest)).unwrap_or(0));
    file.take(rest.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read)?;
    let beyond = (bytes.len() as u64 - 8 > rest).then_some((header, data));
    Ok(Contents { bytes, beyond })
}

/// The most data bytes a file of `values` scalars holds: 8 each, the widest element type read,
/// so a file of the right tensors in the other precision is read and reported as such.
pub(crate) fn max_data(values: usize) -> u64 {
    (values as u64).saturating_mul(8)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::{format, vec};

    #[test]
    fn metadata_is_written_sorted_by_key() {
        let metadata: Vec<(&str, String)> = ["zeta", "alpha", "mid", "beta", "omega"]
            .iter()
            .map(|&k| (k, format!("value of {k}")))
            .collect();
        let tensor = || Tensor {
            dtype: Dtype::F32,
            shape: vec![1],
            bytes: 1.0f32.to_le_bytes().to_vec(),
        };
        let bytes = encode(vec![("t".into(), tensor())], &metadata).unwrap();
        let text = String::from_utf8_lossy(&bytes[8..]);
        let at = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
        let order = ["alpha", "beta", "mid", "omega", "zeta"].map(at);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let file = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(file.tensor("t").unwrap().data(), 1.0f32.to_le_bytes());
        let again = encode(vec![("t".into(), tensor())], &metadata).unwrap();
        assert_eq!(bytes, again);
    }
}
