//! The error type of the data layer: what is wrong with a file, a sample or a request
//! ([`DataErrorKind`]), and where ([`Place`]): the file's path, the line and column of a CSV
//! cell, the sample's index. The byte offsets and the expected and found sizes of an IDX file
//! are part of what is wrong.

use core::fmt;
use std::boxed::Box;
use std::io;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

use crate::LabelOutOfRange;

/// An error from reading, checking, splitting or batching data: what went wrong
/// ([`kind`](DataError::kind)) and where ([`path`](DataError::path), [`line`](DataError::line),
/// [`column`](DataError::column), [`sample`](DataError::sample)). Never a panic on bad input.
///
/// ```
/// use liandan::data::{read_csv, DataErrorKind, Header};
///
/// let path = std::env::temp_dir().join("liandan-doc-bad-cell.csv");
/// std::fs::write(&path, "1,2\n3,x\n")?;
/// let err = read_csv(&path, Header::Absent).unwrap_err();
/// assert!(matches!(err.kind(), DataErrorKind::NotANumber { text } if text == "x"));
/// assert_eq!((err.line(), err.column()), (Some(2), Some(2)));
/// assert!(err.to_string().ends_with("bad-cell.csv line 2 column 2: `x` is not a number"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
// Boxed: an error is rare, and so the error of every `Result` the data layer returns is a
// pointer wide, not the 136 bytes of a place and the widest kind.
pub struct DataError(Box<Located>);

/// What went wrong where.
struct Located {
    place: Place,
    kind: DataErrorKind,
}

impl DataError {
    /// What went wrong.
    pub fn kind(&self) -> &DataErrorKind {
        &self.0.kind
    }

    /// Where it went wrong.
    pub fn place(&self) -> &Place {
        &self.0.place
    }

    /// The file, when the error is in one (both files of a
    /// [`CountMismatch`](DataErrorKind::CountMismatch) are in its kind).
    pub fn path(&self) -> Option<&Path> {
        self.0.place.path.as_deref()
    }

    /// The line of a CSV file (from 1).
    pub fn line(&self) -> Option<usize> {
        self.0.place.line
    }

    /// The column of a CSV file (from 1).
    pub fn column(&self) -> Option<usize> {
        self.0.place.column
    }

    /// The sample's index (from 0).
    pub fn sample(&self) -> Option<usize> {
        self.0.place.sample
    }

    /// The same error, in the file `path`.
    pub(crate) fn in_file(mut self, path: &Path) -> Self {
        self.0.place.path = Some(path.into());
        self
    }
}

impl fmt::Debug for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataError")
            .field("place", &self.0.place)
            .field("kind", &self.0.kind)
            .finish()
    }
}

impl From<DataErrorKind> for DataError {
    /// The error, not located anywhere: a request rather than data (a split's fractions).
    fn from(kind: DataErrorKind) -> Self {
        kind.at(Place::default())
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.0.place, self.0.kind)
    }
}

impl std::error::Error for DataError {
    /// The I/O or gzip error, or the label out of range: the kind's own cause.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.kind.source()
    }
}

/// Where in the data an error is: a file, a line and column of it, a sample. Any may be
/// absent; the error's message starts with those present (`data.csv line 3 column 2: `,
/// `labels.idx1: sample 7: `).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// The file.
    pub path: Option<PathBuf>,
    /// The line of a CSV file (from 1).
    pub line: Option<usize>,
    /// The column of a CSV file (from 1).
    pub column: Option<usize>,
    /// The sample's index (from 0).
    pub sample: Option<usize>,
}

impl Place {
    /// The file `path` as a whole.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        let path = Some(path.into());
        Place {
            path,
            ..Place::default()
        }
    }

    /// Line `line` (from 1) of the file `path`.
    pub fn line(path: impl Into<PathBuf>, line: usize) -> Self {
        let line = Some(line);
        Place {
            line,
            ..Place::file(path)
        }
    }

    /// The cell at `line` and `column` (both from 1) of the file `path`.
    pub fn cell(path: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        let column = Some(column);
        Place {
            column,
            ..Place::line(path, line)
        }
    }

    /// Sample `sample` (from 0), wherever it came from.
    pub fn sample(sample: usize) -> Self {
        let sample = Some(sample);
        Place {
            sample,
            ..Place::default()
        }
    }

    /// This place, in the file `path`.
    pub fn in_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut space = "";
        if let Some(path) = &self.path {
            write!(f, "{}", path.display())?;
            space = " ";
        }
        if let Some(line) = self.line {
            write!(f, "{space}line {line}")?;
            space = " ";
        }
        if let Some(column) = self.column {
            write!(f, "{space}column {column}")?;
            space = " ";
        }
        if !space.is_empty() {
            f.write_str(": ")?;
        }
        if let Some(sample) = self.sample {
            write!(f, "sample {sample}: ")?;
        }
        Ok(())
    }
}

/// What is wrong with a file, a sample or a request; where is the [`DataError`]'s [`Place`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataErrorKind {
    /// The file could not be opened or read.
    #[error("cannot read: {source}")]
    Io {
        /// What the operating system said.
        source: io::Error,
    },
    /// A gzip file whose compressed stream is corrupt.
    #[error("corrupt gzip data: {source}")]
    Gzip {
        /// What the decompressor said.
        source: io::Error,
    },
    /// An IDX file whose magic number is not the one asked for: wrong element type or wrong
    /// number of dimensions (an idx1 label file read as images, say).
    #[error(
        "wrong magic number {found:#010x}, expected {expected:#010x} ({})",
        MagicName(*.expected)
    )]
    WrongMagic {
        /// The magic number found in its first four bytes.
        found: u32,
        /// The magic number expected.
        expected: u32,
    },
    /// An IDX file that ends before its header or its payload does.
    #[error(
        "truncated {part}: the data ends at byte {end}, but the {part} ends at byte {expected}"
    )]
    Truncated {
        /// `"header"` or `"payload"`.
        part: &'static str,
        /// The (decompressed) byte offset where the file ends.
        end: u64,
        /// The byte offset where that part should end.
        expected: u64,
    },
    /// An IDX file with bytes after the end of its payload. Reading stops at the first of them.
    #[error("{}", Trailing { end: *.end, extra: *.extra })]
    TrailingBytes {
        /// The (decompressed) byte offset where the payload ends.
        end: u64,
        /// How many bytes follow it, for a plain file (from its length); `None` for a gzip
        /// stream, which is not decompressed past the first extra byte.
        extra: Option<u64>,
    },
    /// An IDX header whose dimensions multiply to more elements than memory can address.
    #[error("dimensions {} have more elements than memory can address", Joined(.dims, "x"))]
    TooLarge {
        /// The dimensions in the header.
        dims: Vec<u32>,
    },
    /// Images that are not samples of the dataset's shape: another height or width than a
    /// [`Hw`](crate::shape::Hw) or one-channel [`Hwc`](crate::shape::Hwc) shape's, or another
    /// pixel count than a [`Flat`](crate::shape::Flat) shape's.
    #[error("images are {rows}x{cols}, but the samples are of shape `{shape:?}`")]
    ImageSize {
        /// Rows of each image.
        rows: usize,
        /// Columns of each image.
        cols: usize,
        /// The dimensions of the dataset's shape ([`Shape::DIMS`](crate::shape::Shape::DIMS)).
        shape: &'static [usize],
    },
    /// An images file and a labels file that hold different numbers of samples. The error's
    /// place is empty: the two files are here.
    #[error(
        "{} holds {image_count} images but {} holds {label_count} labels",
        .images.display(),
        .labels.display()
    )]
    CountMismatch {
        /// The images file.
        images: PathBuf,
        /// How many images it holds.
        image_count: usize,
        /// The labels file.
        labels: PathBuf,
        /// How many labels it holds.
        label_count: usize,
    },
    /// A class label at or above the number of classes: in a labels file, a CSV label cell that
    /// is an integer, or labels given in memory.
    #[error("{0}")]
    Label(#[from] LabelOutOfRange),
    /// A CSV line that is not valid UTF-8.
    #[error("not valid UTF-8")]
    NotText,
    /// A CSV cell that is not a finite number.
    #[error("{}", CellText(.text))]
    NotANumber {
        /// The cell's text, trimmed.
        text: String,
    },
    /// A CSV label cell that is not a class index: not a non-negative integer, or one larger
    /// than any `usize` (`1e300`).
    #[error("`{text}` is not a class index (a non-negative integer)")]
    NotAClass {
        /// The cell's text, trimmed.
        text: String,
    },
    /// A CSV cell whose number is beyond the range of the scalar type it is read into
    /// (`1e39` for `f32`): refused, as an infinite cell is, rather than made infinite.
    #[error("`{text}` is out of range for {scalar}")]
    OutOfRange {
        /// The cell's text, trimmed.
        text: String,
        /// The scalar type: `"f32"` or `"f64"`.
        scalar: &'static str,
    },
    /// A CSV line longer than [`MAX_LINE`](crate::data::csv::MAX_LINE) bytes.
    #[error("longer than {limit} bytes, the most a CSV line may have")]
    LineTooLong {
        /// The most bytes a line may have.
        limit: usize,
    },
    /// A CSV line with a different number of cells from the first line.
    #[error("{found} columns, but line {first} has {expected}")]
    Ragged {
        /// Its number of cells.
        found: usize,
        /// The number of cells of the first line.
        expected: usize,
        /// The first line (1-based), which set `expected`.
        first: usize,
    },
    /// A CSV file without a single data row.
    #[error("no data rows")]
    NoRows,
    /// A CSV label column beyond the last column.
    #[error("label column {column} (0-based) is beyond the last of {columns} columns")]
    LabelColumn {
        /// The label column asked for (0-based).
        column: usize,
        /// The number of columns in the file.
        columns: usize,
    },
    /// A CSV file whose feature columns are not the number of features the dataset holds.
    #[error("{found} feature columns but the dataset's samples take {expected}")]
    FeatureCount {
        /// The number of feature columns (all columns but the label's).
        found: usize,
        /// The values per sample of the dataset's shape.
        expected: usize,
    },
    /// Feature values that do not split into whole samples of the dataset's shape.
    #[error("{values} feature values are not a whole number of samples of {features} features")]
    PartialSample {
        /// The number of feature values given.
        values: usize,
        /// The number of features per sample.
        features: usize,
    },
    /// Target values that do not split into whole targets of the given width.
    #[error("{values} target values are not a whole number of targets of width {width}")]
    PartialTarget {
        /// The number of target values given.
        values: usize,
        /// The width of one target.
        width: usize,
    },
    /// Features and targets for different numbers of samples.
    #[error("the features hold {features} samples but there are {targets} targets")]
    SampleCount {
        /// Samples the features hold.
        features: usize,
        /// Samples the targets hold.
        targets: usize,
    },
    /// A sample index at or beyond the end of the dataset.
    #[error("sample index {index} is out of range for {len} samples")]
    SampleIndex {
        /// The index given.
        index: usize,
        /// The number of samples.
        len: usize,
    },
    /// An operation that needs class labels on a dataset of real-valued targets.
    #[error("{operation} needs class labels, but the targets are real values")]
    NotClasses {
        /// What needed them, e.g. `"a stratified split"`.
        operation: &'static str,
    },
    /// Targets whose width is not the number of outputs they are written into.
    #[error("the targets are {width} wide but the target matrix has {outputs} rows")]
    TargetWidth {
        /// The width of one target (the number of classes, for one-hot targets).
        width: usize,
        /// The rows of the target matrix.
        outputs: usize,
    },
    /// More sample indices than a batch holds.
    #[error("{samples} sample indices do not fit in a batch of {batch}")]
    BatchSize {
        /// The number of indices given.
        samples: usize,
        /// The batch size `B`.
        batch: usize,
    },
    /// Split fractions that are negative or do not sum to 1.
    #[error(
        "split fractions ({}, {}, {}) must be non-negative and sum to 1, but sum to {}",
        .fractions[0],
        .fractions[1],
        .fractions[2],
        .fractions[0] + .fractions[1] + .fractions[2]
    )]
    Fractions {
        /// The fractions given: train, evaluation, test.
        fractions: [f64; 3],
    },
    /// A validation fraction outside `[0, 1]`.
    #[error("validation fraction {fraction} is outside [0, 1]")]
    ValidationFraction {
        /// The fraction given.
        fraction: f64,
    },
    /// Statistics asked of a dataset without samples.
    #[error("cannot {operation} a dataset without samples")]
    Empty {
        /// What needed samples, e.g. `"standardize"`.
        operation: &'static str,
    },
}

impl DataErrorKind {
    /// The error of this kind at `place`.
    pub fn at(self, place: Place) -> DataError {
        DataError(Box::new(Located { place, kind: self }))
    }
}

/// What an IDX magic number stands for, e.g. `idx3, u8 images`.
struct MagicName(u32);

impl fmt::Display for MagicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The low byte of the magic number is the number of dimensions.
        match self.0 & 0xff {
            1 => write!(f, "idx1, u8 labels"),
            3 => write!(f, "idx3, u8 images"),
            d => write!(f, "idx{d}, u8"),
        }
    }
}

/// The message of [`DataErrorKind::TrailingBytes`]: a plain file's extra bytes are counted, a
/// gzip stream's are not.
struct Trailing {
    end: u64,
    extra: Option<u64>,
}

impl fmt::Display for Trailing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self.end;
        match self.extra {
            Some(extra) => write!(
                f,
                "{extra} unexpected bytes after the payload, which ends at byte {end}"
            ),
            None => write!(
                f,
                "unexpected bytes after the payload, which ends at byte {end} (decompressed), \
                 not read further"
            ),
        }
    }
}

/// The message of [`DataErrorKind::NotANumber`]: an empty cell, a number that is not finite
/// (`inf`, `NaN`), or no number.
struct CellText<'a>(&'a str);

impl fmt::Display for CellText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "" => write!(f, "empty cell, expected a number"),
            t if t.parse::<f64>().is_ok() => write!(f, "`{t}` is not a finite number"),
            t => write!(f, "`{t}` is not a number"),
        }
    }
}

/// Items written with a separator between them.
struct Joined<'a, T>(&'a [T], &'static str);

impl<T: fmt::Display> fmt::Display for Joined<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(self.1)?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn a_place_is_written_as_the_fields_it_has() {
        let cases = [
            (Place::default(), ""),
            (Place::file("a.csv"), "a.csv: "),
            (Place::line("a.csv", 3), "a.csv line 3: "),
            (Place::cell("a.csv", 3, 2), "a.csv line 3 column 2: "),
            (Place::sample(7), "sample 7: "),
            (Place::sample(7).in_file("b.idx1"), "b.idx1: sample 7: "),
        ];
        for (place, text) in cases {
            assert_eq!(place.to_string(), text, "{place:?}");
        }
    }

    #[test]
    fn a_label_out_of_range_is_the_one_error_at_its_place() {
        let label = LabelOutOfRange {
            label: 3,
            classes: 3,
        };
        let err = DataErrorKind::from(label).at(Place::cell("a.csv", 3, 2));
        assert!(matches!(err.kind(), DataErrorKind::Label(l) if *l == label));
        assert_eq!(
            err.to_string(),
            "a.csv line 3 column 2: label 3 is out of range for 3 classes"
        );
        let cause = std::error::Error::source(&err).expect("the label is the cause");
        assert_eq!(cause.downcast_ref::<LabelOutOfRange>(), Some(&label));
    }

    #[test]
    fn io_errors_stay_the_cause() {
        let source = io::Error::new(io::ErrorKind::NotFound, "gone");
        let err = DataErrorKind::Io { source }.at(Place::file("x.idx3"));
        assert_eq!(err.to_string(), "x.idx3: cannot read: gone");
        let cause = std::error::Error::source(&err).expect("the I/O error is the cause");
        assert!(cause.downcast_ref::<io::Error>().is_some());
        assert_eq!(err.path(), Some(Path::new("x.idx3")));
        assert_eq!((err.line(), err.column(), err.sample()), (None, None, None));
    }
}
