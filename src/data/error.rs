//! The error type of the data layer: what is wrong with a file, a sample or a request, and
//! where: the file's path, the line and column of a CSV cell, the sample's index, the byte
//! offsets and the expected and found sizes of an IDX file.

use core::fmt;
use std::io;
use std::path::PathBuf;

/// An error from reading, checking, splitting or batching data. Never a panic on bad input.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A gzip file whose compressed stream is corrupt.
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decompressor said.
        source: io::Error,
    },
    /// An IDX file whose magic number is not the one asked for: wrong element type or wrong
    /// number of dimensions (an idx1 label file read as images, say).
    WrongMagic {
        /// The file.
        path: PathBuf,
        /// The magic number found in its first four bytes.
        found: u32,
        /// The magic number expected.
        expected: u32,
    },
    /// An IDX file that ends before its header or its payload does.
    Truncated {
        /// The file.
        path: PathBuf,
        /// `"header"` or `"payload"`.
        part: &'static str,
        /// The (decompressed) byte offset where the file ends.
        end: u64,
        /// The byte offset where that part should end.
        expected: u64,
    },
    /// An IDX file with bytes after the end of its payload. Reading stops at the first of them.
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// The (decompressed) byte offset where the payload ends.
        end: u64,
        /// How many bytes follow it, for a plain file (from its length); `None` for a gzip
        /// stream, which is not decompressed past the first extra byte.
        extra: Option<u64>,
    },
    /// An IDX header whose dimensions multiply to more elements than memory can address.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The dimensions in the header.
        dims: std::vec::Vec<u32>,
    },
    /// Images that are not samples of the dataset's shape: another height or width than a
    /// [`Hw`](crate::shape::Hw) or one-channel [`Hwc`](crate::shape::Hwc) shape's, or another
    /// pixel count than a [`Flat`](crate::shape::Flat) shape's.
    ImageSize {
        /// The images file.
        path: PathBuf,
        /// Rows of each image.
        rows: usize,
        /// Columns of each image.
        cols: usize,
        /// The values per sample of the dataset's shape.
        features: usize,
    },
    /// An images file and a labels file that hold different numbers of samples.
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
    /// A class label at or above the number of classes.
    LabelOutOfRange {
        /// The file the label came from, if any.
        path: Option<PathBuf>,
        /// The sample's index (0-based).
        sample: usize,
        /// The label found.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A CSV line that is not valid UTF-8.
    NotText {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
    },
    /// A CSV cell that is not a finite number.
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The column (1-based).
        column: usize,
        /// The cell's text, trimmed.
        text: std::string::String,
    },
    /// A CSV label cell that is not a class index (a non-negative integer).
    NotAClass {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The column (1-based).
        column: usize,
        /// The cell's text, trimmed.
        text: std::string::String,
    },
    /// A CSV cell whose number is beyond the range of the scalar type it is read into
    /// (`1e39` for `f32`): refused, as an infinite cell is, rather than made infinite.
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The column (1-based).
        column: usize,
        /// The cell's text, trimmed.
        text: std::string::String,
        /// The scalar type: `"f32"` or `"f64"`.
        scalar: &'static str,
    },
    /// A CSV label cell whose class index is at or above the number of classes.
    ClassOutOfRange {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The column (1-based).
        column: usize,
        /// The cell's text, trimmed: the class index as written (`3`, `3.0`, `1e300`).
        text: std::string::String,
        /// The number of classes.
        classes: usize,
    },
    /// A CSV line longer than [`MAX_LINE`](crate::data::csv::MAX_LINE) bytes.
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The most bytes a line may have.
        limit: usize,
    },
    /// A CSV line with a different number of cells from the first line.
    Ragged {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// Its number of cells.
        found: usize,
        /// The number of cells of the first line.
        expected: usize,
        /// The first line (1-based), which set `expected`.
        first: usize,
    },
    /// A CSV file without a single data row.
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A CSV label column beyond the last column.
    LabelColumn {
        /// The file.
        path: PathBuf,
        /// The label column asked for (0-based).
        column: usize,
        /// The number of columns in the file.
        columns: usize,
    },
    /// A CSV file whose feature columns are not the number of features the dataset holds.
    FeatureCount {
        /// The file.
        path: PathBuf,
        /// The number of feature columns (all columns but the label's).
        found: usize,
        /// The values per sample of the dataset's shape.
        expected: usize,
    },
    /// Feature values that do not split into whole samples of the dataset's shape.
    PartialSample {
        /// The number of feature values given.
        values: usize,
        /// The number of features per sample.
        features: usize,
    },
    /// Target values that do not split into whole targets of the given width.
    PartialTarget {
        /// The number of target values given.
        values: usize,
        /// The width of one target.
        width: usize,
    },
    /// Features and targets for different numbers of samples.
    SampleCount {
        /// Samples the features hold.
        features: usize,
        /// Samples the targets hold.
        targets: usize,
    },
    /// A sample index at or beyond the end of the dataset.
    SampleIndex {
        /// The index given.
        index: usize,
        /// The number of samples.
        len: usize,
    },
    /// An operation that needs class labels on a dataset of real-valued targets.
    NotClasses {
        /// What needed them, e.g. `"a stratified split"`.
        operation: &'static str,
    },
    /// Targets whose width is not the number of outputs they are written into.
    TargetWidth {
        /// The width of one target (the number of classes, for one-hot targets).
        width: usize,
        /// The rows of the target matrix.
        outputs: usize,
    },
    /// More sample indices than a batch holds.
    BatchSize {
        /// The number of indices given.
        samples: usize,
        /// The batch size `B`.
        batch: usize,
    },
    /// Split fractions that are negative or do not sum to 1.
    Fractions {
        /// The fractions given: train, evaluation, test.
        fractions: [f64; 3],
    },
    /// A validation fraction outside `[0, 1]`.
    ValidationFraction {
        /// The fraction given.
        fraction: f64,
    },
    /// Statistics asked of a dataset without samples.
    Empty {
        /// What needed samples, e.g. `"standardize"`.
        operation: &'static str,
    },
}

// One flat match rather than several short functions: the compiler then checks that every
// variant has a message, and each arm is one sentence.
impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataError::*;
        match self {
            Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            Gzip { path, source } => write!(f, "{}: corrupt gzip data: {source}", path.display()),
            WrongMagic { path, found, expected } => write!(
                f,
                "{}: wrong magic number {found:#010x}, expected {expected:#010x} ({})",
                path.display(),
                MagicName(*expected)
            ),
            Truncated { path, part, end, expected } => write!(
                f,
                "{}: truncated {part}: the data ends at byte {end}, but the {part} ends at byte {expected}",
                path.display()
            ),
            TrailingBytes { path, end, extra: Some(extra) } => write!(
                f,
                "{}: {extra} unexpected bytes after the payload, which ends at byte {end}",
                path.display()
            ),
            TrailingBytes { path, end, extra: None } => write!(
                f,
                "{}: unexpected bytes after the payload, which ends at byte {end} (decompressed), \
                 not read further",
                path.display()
            ),
            TooLarge { path, dims } => write!(
                f,
                "{}: dimensions {} have more elements than memory can address",
                path.display(),
                Joined(dims, "x")
            ),
            ImageSize { path, rows, cols, features } => write!(
                f,
                "{}: images are {rows}x{cols} = {} features but the network takes {features}",
                path.display(),
                rows * cols
            ),
            CountMismatch { images, image_count, labels, label_count } => write!(
                f,
                "{} holds {image_count} images but {} holds {label_count} labels",
                images.display(),
                labels.display()
            ),
            LabelOutOfRange { path, sample, label, classes } => {
                if let Some(path) = path {
                    write!(f, "{}: ", path.display())?;
                }
                write!(f, "sample {sample}: label {label} is out of range for {classes} classes")
            }
            NotText { path, line } => write!(f, "{} line {line}: not valid UTF-8", path.display()),
            NotANumber { path, line, column, text } => {
                write!(f, "{} line {line} column {column}: ", path.display())?;
                match text.as_str() {
                    "" => write!(f, "empty cell, expected a number"),
                    t if t.parse::<f64>().is_ok() => write!(f, "`{t}` is not a finite number"),
                    t => write!(f, "`{t}` is not a number"),
                }
            }
            NotAClass { path, line, column, text } => write!(
                f,
                "{} line {line} column {column}: `{text}` is not a class index (a non-negative integer)",
                path.display()
            ),
            OutOfRange { path, line, column, text, scalar } => write!(
                f,
                "{} line {line} column {column}: `{text}` is out of range for {scalar}",
                path.display()
            ),
            ClassOutOfRange { path, line, column, text, classes } => write!(
                f,
                "{} line {line} column {column}: label {text} is out of range for {classes} classes",
                path.display()
            ),
            LineTooLong { path, line, limit } => write!(
                f,
                "{} line {line}: longer than {limit} bytes, the most a CSV line may have",
                path.display()
            ),
            Ragged { path, line, found, expected, first } => write!(
                f,
                "{} line {line}: {found} columns, but line {first} has {expected}",
                path.display()
            ),
            NoRows { path } => write!(f, "{}: no data rows", path.display()),
            LabelColumn { path, column, columns } => write!(
                f,
                "{}: label column {column} (0-based) is beyond the last of {columns} columns",
                path.display()
            ),
            FeatureCount { path, found, expected } => write!(
                f,
                "{}: {found} feature columns but the network takes {expected}",
                path.display()
            ),
            PartialSample { values, features } => write!(
                f,
                "{values} feature values are not a whole number of samples of {features} features"
            ),
            PartialTarget { values, width } => write!(
                f,
                "{values} target values are not a whole number of targets of width {width}"
            ),
            SampleCount { features, targets } => {
                write!(f, "the features hold {features} samples but there are {targets} targets")
            }
            SampleIndex { index, len } => {
                write!(f, "sample index {index} is out of range for {len} samples")
            }
            NotClasses { operation } => {
                write!(f, "{operation} needs class labels, but the targets are real values")
            }
            TargetWidth { width, outputs } => {
                write!(f, "the targets are {width} wide but the target matrix has {outputs} rows")
            }
            BatchSize { samples, batch } => {
                write!(f, "{samples} sample indices do not fit in a batch of {batch}")
            }
            Fractions { fractions: [a, b, c] } => write!(
                f,
                "split fractions ({a}, {b}, {c}) must be non-negative and sum to 1, but sum to {}",
                a + b + c
            ),
            ValidationFraction { fraction } => {
                write!(f, "validation fraction {fraction} is outside [0, 1]")
            }
            Empty { operation } => write!(f, "cannot {operation} a dataset without samples"),
        }
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

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } | DataError::Gzip { source, .. } => Some(source),
            _ => None,
        }
    }
}
