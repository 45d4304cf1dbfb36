//! The IDX file format of MNIST, plain or gzip-compressed.
//!
//! An IDX file is a big-endian header followed by the values, row-major:
//!
//! | bytes | what |
//! | --- | --- |
//! | 0..2 | zero |
//! | 2 | the element type: `0x08` is an unsigned byte, the only type read here |
//! | 3 | the number of dimensions `d` |
//! | 4..4+4d | each dimension, a big-endian `u32` |
//! | then | the product of the dimensions, one byte each |
//!
//! So MNIST's labels are `0x00000801` (one dimension: the count) and its images `0x00000803`
//! (count, rows, columns). A file that starts with the gzip magic bytes `1f 8b` is decompressed
//! on the fly; byte offsets in errors then count decompressed bytes. Reading stops one byte
//! past the payload the header declares, so a stream that decompresses to far more costs no
//! more than the right file; memory grows with the bytes read, never with the header's claim.
//!
//! ```
//! let images = liandan::data::read_images("data/mnist/mnist-10k-images-idx3-ubyte.gz")?;
//! assert_eq!((images.rows, images.cols), (28, 28));
//! # Ok::<(), liandan::data::DataError>(())
//! ```

use std::boxed::Box;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::vec::Vec;

use flate2::read::MultiGzDecoder;

use super::{DataError, DataErrorKind, Place};

/// The element-type byte of unsigned bytes, the only IDX type read here.
const U8: u32 = 0x08;
/// The first two bytes of every gzip stream (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An IDX array of unsigned bytes: its dimensions and its values in row-major order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost (the sample count, for MNIST) first.
    pub dims: Vec<usize>,
    /// The values, `dims.iter().product()` of them.
    pub values: Vec<u8>,
}

/// Greyscale images read from an idx3 file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    /// How many images.
    pub count: usize,
    /// Rows of each image.
    pub rows: usize,
    /// Columns of each image.
    pub cols: usize,
    /// The pixels, image after image, each image row-major: `count * rows * cols` bytes.
    pub pixels: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes with `dims` dimensions (plain or gzip).
///
/// Any file whose magic number is `0x000008dd`, `dd` being `dims`, is accepted.
pub fn read_idx(path: impl AsRef<Path>, dims: u8) -> Result<IdxArray, DataError> {
    let mut source = open(path.as_ref())?;
    let shape = read_header(&mut source, dims)?;
    let values = read_payload(&mut source, &shape)?;
    let dims = shape.into_iter().map(|d| d as usize).collect();
    Ok(IdxArray { dims, values })
}

/// Reads MNIST-style images: an idx3 file of unsigned bytes (count, rows, columns).
pub fn read_images(path: impl AsRef<Path>) -> Result<Images, DataError> {
    let IdxArray { dims, values } = read_idx(path, 3)?;
    Ok(Images {
        count: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels: values,
    })
}

/// Reads MNIST-style labels: an idx1 file of unsigned bytes, one per sample.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    Ok(read_idx(path, 1)?.values)
}

/// A byte stream that knows its file and how far it has read, for error messages.
struct Source<'a> {
    reader: Box<dyn Read>,
    path: &'a Path,
    offset: u64,
    gzip: bool,
    /// The length of a plain regular file; `None` for a gzip stream or a device.
    len: Option<u64>,
}

impl Source<'_> {
    /// Fills `buf` as far as the data goes; returns how many bytes were read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, DataError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e)),
            }
        }
        self.offset += filled as u64;
        Ok(filled)
    }

    /// Reads exactly `buf.len()` bytes of `part`, or says where the data ends.
    fn exact(&mut self, buf: &mut [u8], part: &'static str, end: u64) -> Result<(), DataError> {
        if self.fill(buf)? < buf.len() {
            return Err(self.truncated(part, end));
        }
        Ok(())
    }

    fn truncated(&self, part: &'static str, expected: u64) -> DataError {
        let end = self.offset;
        self.fail(DataErrorKind::Truncated {
            part,
            end,
            expected,
        })
    }

    /// A read error; from a gzip stream, corrupt data is the likely cause, so it says so.
    fn error(&self, source: io::Error) -> DataError {
        self.fail(if self.gzip {
            DataErrorKind::Gzip { source }
        } else {
            DataErrorKind::Io { source }
        })
    }

    /// The error `kind` in this file.
    fn fail(&self, kind: DataErrorKind) -> DataError {
        kind.at(Place::file(self.path))
    }
}

/// Opens `path`, decompressing if it starts with the gzip magic bytes.
fn open(path: &Path) -> Result<Source<'_>, DataError> {
    let io_error = |source| DataErrorKind::Io { source }.at(Place::file(path));
    let file = File::open(path).map_err(io_error)?;
    let len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut file = BufReader::new(file);
    // A regular file's first read fills the buffer, so two bytes are there unless the file is
    // shorter; a false "plain" then fails as a truncated or wrong header, which is right.
    let gzip = file.fill_buf().map_err(io_error)?.starts_with(&GZIP_MAGIC);
    let reader: Box<dyn Read> = match gzip {
        true => Box::new(MultiGzDecoder::new(file)),
        false => Box::new(file),
    };
    Ok(Source {
        reader,
        path,
        offset: 0,
        gzip,
        len: len.filter(|_| !gzip),
    })
}

/// Reads and checks the magic number, then reads the `dims` dimensions.
fn read_header(source: &mut Source<'_>, dims: u8) -> Result<Vec<u32>, DataError> {
    let end = 4 + 4 * u64::from(dims);
    let mut word = [0u8; 4];
    source.exact(&mut word, "header", end)?;
    let found = u32::from_be_bytes(word);
    let expected = (U8 << 8) | u32::from(dims);
    if found != expected {
        return Err(source.fail(DataErrorKind::WrongMagic { found, expected }));
    }
    let mut shape = Vec::with_capacity(dims.into());
    for _ in 0..dims {
        source.exact(&mut word, "header", end)?;
        shape.push(u32::from_be_bytes(word));
    }
    Ok(shape)
}

/// Reads the payload of a header with dimensions `shape`, and checks nothing follows it.
///
/// Memory grows with the bytes actually read, not with the header's claim, so a corrupt header
/// that claims terabytes fails as truncated instead of exhausting memory.
fn read_payload(source: &mut Source<'_>, shape: &[u32]) -> Result<Vec<u8>, DataError> {
    let too_large = || DataErrorKind::TooLarge {
        dims: shape.to_vec(),
    };
    let len = element_count(shape).ok_or_else(|| source.fail(too_large()))?;
    let end = source.offset + len as u64;
    let mut values = Vec::new();
    let read = (&mut source.reader)
        .take(len as u64)
        .read_to_end(&mut values);
    source.offset += values.len() as u64;
    read.map_err(|e| source.error(e))?;
    if values.len() < len {
        return Err(source.truncated("payload", end));
    }
    check_end(source, end)?;
    Ok(values)
}

/// The product of the dimensions, if it fits in a `usize` (and so could be allocated).
fn element_count(shape: &[u32]) -> Option<usize> {
    let count = shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(u64::from(d)))?;
    usize::try_from(count)
        .ok()
        .filter(|&n| n <= isize::MAX as usize)
}

/// Fails if any byte follows the payload that ends at `end`, reading one byte at most: a gzip
/// stream that decompresses to far more than its header declares is not decompressed further.
/// The error counts the extra bytes of a plain file from its length.
fn check_end(source: &mut Source<'_>, end: u64) -> Result<(), DataError> {
    if source.fill(&mut [0u8; 1])? == 0 {
        return Ok(());
    }
    let extra = source.len.map(|len| len.saturating_sub(end));
    Err(source.fail(DataErrorKind::TrailingBytes { end, extra }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;
    use std::string::ToString;
    use std::vec;

    /// A fresh path in the system's temporary directory, unique per test.
    pub(crate) fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(std::format!("liandan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// The bytes of an IDX file of unsigned bytes.
    pub(crate) fn idx_bytes(dims: &[u32], values: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(values);
        bytes
    }

    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    pub(crate) fn write(name: &str, bytes: &[u8]) -> PathBuf {
        let path = temp_path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn round_trips_plain_and_gzip() {
        let pixels: Vec<u8> = (0..24).collect();
        let bytes = idx_bytes(&[2, 3, 4], &pixels);
        let want = Images {
            count: 2,
            rows: 3,
            cols: 4,
            pixels,
        };
        assert_eq!(read_images(write("plain.idx3", &bytes)).unwrap(), want);
        assert_eq!(
            read_images(write("zipped.idx3.gz", &gzip(&bytes))).unwrap(),
            want
        );
    }

    #[test]
    fn reads_labels_and_any_dimension_count() {
        let path = write("labels.idx1", &idx_bytes(&[3], &[7, 0, 9]));
        assert_eq!(read_labels(path).unwrap(), [7, 0, 9]);
        let path = write("cube.idx4", &idx_bytes(&[1, 2, 1, 2], &[1, 2, 3, 4]));
        assert_eq!(read_idx(path, 4).unwrap().dims, [1, 2, 1, 2]);
    }

    #[test]
    fn empty_arrays_are_fine() {
        let path = write("none.idx3", &idx_bytes(&[0, 28, 28], &[]));
        assert_eq!(read_images(path).unwrap().count, 0);
    }

    #[test]
    fn missing_file() {
        let err = read_images(temp_path("no-such-file.idx3")).unwrap_err();
        assert!(
            matches!(err.kind(), DataErrorKind::Io { source } if source.kind() == io::ErrorKind::NotFound)
        );
        assert!(
            err.to_string().contains("no-such-file.idx3: cannot read: "),
            "{err}"
        );
    }

    #[test]
    fn wrong_dimension_count_is_a_wrong_magic() {
        let path = write("mnist.idx3", &idx_bytes(&[2, 2], &[0; 4]));
        let err = read_images(&path).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::WrongMagic {
                found: 0x802,
                expected: 0x803,
                ..
            }
        ));
        let want = "wrong magic number 0x00000802, expected 0x00000803 (idx3, u8 images)";
        assert_eq!(err.to_string(), std::format!("{}: {want}", path.display()));
    }

    #[test]
    fn wrong_element_type_is_a_wrong_magic() {
        let mut bytes = idx_bytes(&[1], &[0; 4]);
        bytes[2] = 0x0d; // float
        let err = read_labels(write("floats.idx1", &bytes)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("wrong magic number 0x00000d01, expected 0x00000801 (idx1, u8 labels)"));
    }

    #[test]
    fn truncated_header() {
        let bytes = idx_bytes(&[10, 28, 28], &[]);
        let err = read_images(write("short-header.idx3", &bytes[..9])).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::Truncated {
                part: "header",
                end: 9,
                expected: 16,
                ..
            }
        ));
        assert!(err.to_string().ends_with(
            "truncated header: the data ends at byte 9, but the header ends at byte 16"
        ));
        let err = read_images(write("two-bytes.idx3", &bytes[..2])).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::Truncated { end: 2, .. }
        ));
    }

    #[test]
    fn truncated_payload_plain_and_gzip() {
        let bytes = idx_bytes(&[2, 2, 2], &[1; 7]);
        for (name, data) in [
            ("short.idx3", bytes.clone()),
            ("short.idx3.gz", gzip(&bytes)),
        ] {
            let err = read_images(write(name, &data)).unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    DataErrorKind::Truncated {
                        part: "payload",
                        end: 23,
                        expected: 24,
                        ..
                    }
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn trailing_garbage() {
        let mut bytes = idx_bytes(&[3], &[1, 2, 3]);
        bytes.extend_from_slice(b"junk");
        let err = read_labels(write("trailing.idx1", &bytes)).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::TrailingBytes {
                end: 11,
                extra: Some(4),
                ..
            }
        ));
        assert!(err
            .to_string()
            .ends_with("4 unexpected bytes after the payload, which ends at byte 11"));
    }

    #[test]
    fn a_gzip_stream_is_decompressed_no_further_than_one_byte_past_the_payload() {
        // The payload then a mebibyte, its compressed stream cut short: read to the end, it
        // would fail as corrupt gzip; read to one byte past the payload, it fails as trailing.
        let mut bytes = idx_bytes(&[3], &[1, 2, 3]);
        bytes.extend_from_slice(&vec![7; 1 << 20]);
        let mut data = gzip(&bytes);
        data.truncate(data.len() / 2);
        let err = read_labels(write("bomb.idx1.gz", &data)).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                DataErrorKind::TrailingBytes {
                    end: 11,
                    extra: None,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().ends_with(
            "unexpected bytes after the payload, which ends at byte 11 (decompressed), \
             not read further"
        ));
    }

    #[test]
    fn huge_dimensions_overflow_without_allocating() {
        let bytes = idx_bytes(&[u32::MAX, u32::MAX, u32::MAX], &[]);
        let err = read_images(write("huge.idx3", &bytes)).unwrap_err();
        assert!(matches!(err.kind(), DataErrorKind::TooLarge { .. }));
        assert!(err
            .to_string()
            .contains("dimensions 4294967295x4294967295x4294967295"));
        // Large but addressable: fails as truncated, having allocated only what was read.
        let bytes = idx_bytes(&[1 << 20, 1 << 10, 1 << 10], &[0; 5]);
        let err = read_images(write("claims-a-tebibyte.idx3", &bytes)).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::Truncated {
                part: "payload",
                end: 21,
                ..
            }
        ));
    }

    #[test]
    fn corrupt_gzip() {
        let mut data = gzip(&idx_bytes(&[4], &[1, 2, 3, 4]));
        let middle = data.len() / 2;
        data[middle] ^= 0xff;
        data.truncate(data.len() - 4);
        let err = read_labels(write("corrupt.idx1.gz", &data)).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                DataErrorKind::Gzip { .. } | DataErrorKind::Truncated { .. }
            ),
            "{err}"
        );
    }
}
