//! IDX files, plain and gzip, against a parser written here from the format's description.

use std::io::{Read, Write};

use liandan::data::{
    read_idx, read_images, read_labels, DataError, DataErrorKind, Dataset, IdxArray, Targets,
};
use liandan::shape::Flat;
use liandan::LabelOutOfRange;

use super::{Bits, TempFile};

/// The first two bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The most samples of a partner file made here for a dataset check.
const MAX_PARTNER: usize = 1 << 16;

/// An IDX array as the format defines it: the magic `00 00 08 dims`, `dims` big-endian `u32`
/// dimensions, then exactly their product of bytes; `None` for anything else.
pub fn reference(bytes: &[u8], dims: u8) -> Option<IdxArray> {
    if bytes.get(..4)? != [0, 0, 0x08, dims] {
        return None;
    }
    let header = 4 + 4 * usize::from(dims);
    let shape: Vec<usize> = bytes
        .get(4..header)?
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
    let values = &bytes[header..];
    (values.len() == count).then(|| IdxArray {
        dims: shape,
        values: values.to_vec(),
    })
}

/// A plain IDX file: `data` is the file. Inputs that start as gzip does are the gzip target's.
pub fn check_plain(data: &[u8]) {
    if data.starts_with(&GZIP_MAGIC) {
        return;
    }
    let file = TempFile::new("plain.idx", data);
    check_file(&file, Some(data), false);
}

/// A gzip IDX file: `data` is the file if it starts with the gzip magic bytes, else it is
/// compressed first, so the fuzzer explores the IDX structure behind the decompressor too.
pub fn check_gzip(data: &[u8]) {
    let gz = if data.starts_with(&GZIP_MAGIC) {
        data.to_vec()
    } else {
        gzip(data)
    };
    let content = gunzip(&gz);
    let file = TempFile::new("zipped.idx.gz", &gz);
    check_file(&file, content.as_deref(), true);
}

/// `bytes` gzip-compressed, one member.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

/// Every member of a gzip file, decompressed, or `None` if the stream is corrupt.
fn gunzip(gz: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// Every IDX reader on `file`, whose decompressed bytes are `content` (`None`: a corrupt
/// gzip stream, which every reader must refuse).
fn check_file(file: &TempFile, content: Option<&[u8]>, gzip: bool) {
    let declared = content.and_then(|c| c.get(3)).copied().unwrap_or(2);
    for dims in [1, 3, declared] {
        let want = content.and_then(|c| reference(c, dims));
        match (read_idx(file.path(), dims), &want) {
            (Ok(got), Some(want)) => assert_eq!(&got, want, "idx{dims}: values differ"),
            (Ok(got), None) => panic!(
                "accepted as idx{dims} (dims {:?}) a file the reference refuses",
                got.dims
            ),
            (Err(e), Some(want)) => {
                panic!("refused a valid idx{dims} file (dims {:?}): {e}", want.dims)
            }
            (Err(e), None) => check_error(&e, content, dims, gzip),
        }
    }
    let images = read_images(file.path()).ok();
    let want = content.and_then(|c| reference(c, 3));
    assert_eq!(
        images.map(|i| (vec![i.count, i.rows, i.cols], i.pixels)),
        want.map(|w| (w.dims, w.values)),
        "read_images is not read_idx(path, 3)"
    );
    let labels = read_labels(file.path()).ok();
    let want = content.and_then(|c| reference(c, 1)).map(|w| w.values);
    assert_eq!(labels, want, "read_labels is not read_idx(path, 1)");
    check_images_dataset(file, content);
    check_labels_dataset(file, content);
}

/// An error on a file the reference refuses: it must say what the file has, where.
fn check_error(e: &DataError, content: Option<&[u8]>, dims: u8, gzip: bool) {
    let Some(content) = content else {
        // A corrupt gzip stream: the error may come from the decompressor or from what it
        // gave before failing; either way it is about the file's data, not the system.
        assert!(
            !matches!(e.kind(), DataErrorKind::Io { .. }),
            "corrupt gzip as: {e}"
        );
        return;
    };
    let len = content.len() as u64;
    match e.kind() {
        DataErrorKind::WrongMagic { found, expected } => {
            assert_eq!(*expected, 0x0800 | u32::from(dims), "{e}");
            let first = u32::from_be_bytes(content[..4].try_into().expect("4 bytes"));
            assert_eq!(*found, first, "{e}");
        }
        DataErrorKind::Truncated { end, expected, .. } => {
            assert_eq!(*end, len, "truncated, but not where the data ends: {e}");
            assert!(expected > end, "{e}");
        }
        DataErrorKind::TrailingBytes { end, extra } => {
            // A gzip stream is decompressed no further than a byte past the payload, so how
            // many bytes follow is not known; a plain file's are.
            assert!(*end < len || gzip, "{e}");
            match (gzip, extra) {
                (true, None) => {}
                (false, Some(extra)) => assert_eq!(end + extra, len, "{e}"),
                _ => panic!("trailing bytes counted {extra:?} for gzip {gzip}: {e}"),
            }
        }
        DataErrorKind::TooLarge { dims: shape } => {
            let count = shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d.into()));
            assert!(count.is_none_or(|n| n > isize::MAX as u64), "{e}");
        }
        DataErrorKind::Gzip { .. } => panic!("a gzip error on an intact stream: {e}"),
        _ => panic!("an unexpected error for a bad IDX file: {e}"),
    }
}

/// `Dataset::from_idx` with `file` as the images (2x2 or 1x4, say: 4 pixels) and labels made
/// here to fit their count.
fn check_images_dataset(file: &TempFile, content: Option<&[u8]>) {
    let want = content.and_then(|c| reference(c, 3));
    let count = want.as_ref().map_or(1, |w| w.dims[0]);
    if count > MAX_PARTNER {
        return; // images of 0 pixels each: the count costs the file nothing
    }
    let labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
    let labels_file = TempFile::new("labels.idx1", &idx_bytes(&[count], &labels));
    let got = Dataset::<f32, Flat<4>>::from_idx(file.path(), labels_file.path(), 10);
    let fits = want.filter(|w| w.dims[1].checked_mul(w.dims[2]) == Some(4));
    match (got, fits) {
        (Ok(set), Some(want)) => {
            let pixels: Vec<u64> = want
                .values
                .iter()
                .map(|&p| ((f64::from(p) / 255.0) as f32).bits())
                .collect();
            let features: Vec<u64> = set.features().iter().map(|x| x.bits()).collect();
            assert_eq!(features, pixels, "from_idx features are not pixel / 255");
            let labels = labels.iter().map(|&l| l.into()).collect();
            let targets = Targets::Classes {
                labels,
                classes: 10,
            };
            assert_eq!(set.targets(), &targets);
        }
        (Ok(set), None) => panic!("from_idx accepted {} bad or misfit images", set.len()),
        (Err(e), Some(_)) => panic!("from_idx refused 4-pixel images: {e}"),
        (Err(_), None) => {}
    }
}

/// `Dataset::from_idx` with `file` as the labels (10 classes) and blank 2x2 images made here
/// to fit their count.
fn check_labels_dataset(file: &TempFile, content: Option<&[u8]>) {
    let want = content.and_then(|c| reference(c, 1));
    let count = want.as_ref().map_or(1, |w| w.values.len());
    let images_file = TempFile::new(
        "images.idx3",
        &idx_bytes(&[count, 2, 2], &vec![0; 4 * count]),
    );
    let got = Dataset::<f32, Flat<4>>::from_idx(images_file.path(), file.path(), 10);
    let bad = want
        .as_ref()
        .and_then(|w| w.values.iter().position(|&l| l >= 10));
    match (got, want) {
        (Ok(set), Some(want)) => {
            assert_eq!(bad, None, "from_idx accepted a label of 10 classes or more");
            let labels = want.values.iter().map(|&l| l.into()).collect();
            let targets = Targets::Classes {
                labels,
                classes: 10,
            };
            assert_eq!(set.targets(), &targets);
        }
        (Ok(_), None) => panic!("from_idx accepted a bad labels file"),
        (Err(e), Some(want)) => {
            let sample = bad.unwrap_or_else(|| panic!("from_idx refused good labels: {e}"));
            let (DataErrorKind::Label(LabelOutOfRange { label, classes }), Some(s)) =
                (e.kind(), e.sample())
            else {
                panic!(
                    "label {} of sample {sample} refused as: {e}",
                    want.values[sample]
                );
            };
            let want_label = want.values[sample].into();
            assert_eq!((s, *label, *classes), (sample, want_label, 10), "{e}");
            assert_eq!(e.path(), Some(file.path()), "the labels file: {e}");
        }
        (Err(_), None) => {}
    }
}

/// The bytes of an IDX file of unsigned bytes.
pub fn idx_bytes(dims: &[usize], values: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        let d = u32::try_from(d).expect("an IDX dimension fits in a u32");
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(values);
    bytes
}
