//! Numeric CSV: comma-separated numbers, one sample per line, an optional header line.
//!
//! Cells are trimmed of spaces; blank lines are skipped; a line ends at `\n`, `\r\n` or a lone
//! `\r` (as old Mac OS and Excel's "CSV (Macintosh)" write); a UTF-8 byte-order mark before the
//! first line is skipped. Every cell must be a finite number (`1`, `-0.5`, `3e-2`): no quoting,
//! no missing values. Read into a dataset, it must also fit the scalar type: `1e39` is refused
//! for `f32` rather than made infinite (a number too small for it rounds towards zero, as any
//! conversion does). A header is the caller's to declare, or detected as a first line with a
//! cell that is not a number. Lines and columns in errors count from 1, as editors do; a label
//! column is chosen 0-based, as every Rust index is.
//!
//! The file is read line by line, and a line may be at most [`MAX_LINE`] bytes: memory then
//! grows with the numbers read, never with a line that does not end (`/dev/zero`).

use std::fs::File;
use std::io::BufReader;
use std::marker::PhantomData;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use super::{DataError, DataErrorKind, Place, Targets};
use crate::{Float, LabelOutOfRange};
use lines::Lines;

mod lines;

/// The longest line read, in bytes (16 MiB): a million features of up to 16 characters each.
pub const MAX_LINE: usize = 16 << 20;

/// Whether the first line of a CSV file names the columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
    /// A header if any cell of the first line is not a number.
    #[default]
    Detect,
    /// The first line is a header.
    Present,
    /// Every line is data.
    Absent,
}

/// What the label column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A class index, a non-negative integer (`2` or `2.0`) below `classes`.
    Class {
        /// How many classes there are.
        classes: usize,
    },
    /// A real value to regress on.
    Value,
}

/// How to read a CSV file into a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// Whether there is a header line.
    pub header: Header,
    /// The label's column, 0-based; every other column is a feature, in file order.
    pub label_column: usize,
    /// What the label column holds.
    pub target: Target,
}

impl CsvOptions {
    /// Class labels in `label_column` (0-based), a header detected.
    pub fn classes(label_column: usize, classes: usize) -> Self {
        let target = Target::Class { classes };
        CsvOptions {
            header: Header::Detect,
            label_column,
            target,
        }
    }

    /// Real-valued targets in `label_column` (0-based), a header detected.
    pub fn values(label_column: usize) -> Self {
        CsvOptions {
            header: Header::Detect,
            label_column,
            target: Target::Value,
        }
    }
}

/// A CSV file's numbers, row after row, with the line each row came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The header's names, if there was a header.
    pub names: Option<Vec<String>>,
    /// Cells per row.
    pub columns: usize,
    /// The cells, row-major.
    pub cells: Vec<f64>,
    /// The line (1-based) of each row.
    pub lines: Vec<usize>,
}

/// Reads a numeric CSV file: every cell a finite `f64`.
pub fn read_csv(path: impl AsRef<Path>, header: Header) -> Result<Table, DataError> {
    read_table(path.as_ref(), header, &Numbers)
}

/// Reads a CSV file as `options` say into `n` features and a target per row, each cell checked
/// as it is read: the columns' count, each feature and value target within `T`'s range, each
/// class label a class index.
pub(crate) fn read_samples<T: Float>(
    path: &Path,
    n: usize,
    options: &CsvOptions,
) -> Result<(Vec<T>, Targets<T>), DataError> {
    let rules = Samples::<T> {
        features: n,
        options,
        scalar: PhantomData,
    };
    Ok(read_table(path, options.header, &rules)?.into_samples(options))
}

/// What a reader requires of the table beyond finite numbers, checked as early as it can be.
trait Rules {
    /// Checks the number of columns, once the first line is read.
    fn columns(&self, path: &Path, columns: usize) -> Result<(), DataError>;
    /// Checks the cell of `column` (0-based) that reads as `value`.
    fn cell(&self, column: usize, value: f64) -> Result<(), BadCell>;
}

/// Any finite `f64`: [`read_csv`].
struct Numbers;

impl Rules for Numbers {
    fn columns(&self, _: &Path, _: usize) -> Result<(), DataError> {
        Ok(())
    }
    fn cell(&self, _: usize, _: f64) -> Result<(), BadCell> {
        Ok(())
    }
}

/// Features and targets of `T`, as [`CsvOptions`] lay them out.
struct Samples<'a, T> {
    features: usize,
    options: &'a CsvOptions,
    scalar: PhantomData<T>,
}

impl<T: Float> Rules for Samples<'_, T> {
    fn columns(&self, path: &Path, columns: usize) -> Result<(), DataError> {
        let label = self.options.label_column;
        let kind = if label >= columns {
            DataErrorKind::LabelColumn {
                column: label,
                columns,
            }
        } else if columns - 1 != self.features {
            DataErrorKind::FeatureCount {
                found: columns - 1,
                expected: self.features,
            }
        } else {
            return Ok(());
        };
        Err(kind.at(Place::file(path)))
    }

    fn cell(&self, column: usize, value: f64) -> Result<(), BadCell> {
        match self.options.target {
            Target::Class { classes } if column == self.options.label_column => {
                class_index(value, classes).map(drop)
            }
            _ if T::of(value).is_finite() => Ok(()),
            _ => Err(BadCell::OutOfRange(scalar_name::<T>())),
        }
    }
}

/// `"f32"` or `"f64"`: [`Float`] is one of the two.
fn scalar_name<T: Float>() -> &'static str {
    if core::mem::size_of::<T>() == 4 {
        "f32"
    } else {
        "f64"
    }
}

/// Reads the file at `path` into a table, line by line, each cell checked against `rules`.
fn read_table(path: &Path, header: Header, rules: &dyn Rules) -> Result<Table, DataError> {
    let file =
        File::open(path).map_err(|source| DataErrorKind::Io { source }.at(Place::file(path)))?;
    let mut lines = Lines::new(path, BufReader::new(file));
    let mut table = Table {
        names: None,
        columns: 0,
        cells: Vec::new(),
        lines: Vec::new(),
    };
    let mut first = None;
    while let Some((line, text)) = lines.next()? {
        if text.trim().is_empty() {
            continue;
        }
        match first {
            Some(first) => table.push_row(path, line, text, first, rules)?,
            None => {
                first = Some(line);
                table.start(path, line, text, header, rules)?;
            }
        }
    }
    if table.lines.is_empty() {
        return Err(no_rows(path));
    }
    Ok(table)
}

impl Table {
    /// How many data rows.
    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    /// Takes the first non-blank line: it sets the number of columns, and is the header or the
    /// first row.
    fn start(
        &mut self,
        path: &Path,
        line: usize,
        text: &str,
        header: Header,
        rules: &dyn Rules,
    ) -> Result<(), DataError> {
        let cells: Vec<&str> = text.split(',').map(str::trim).collect();
        self.columns = cells.len();
        rules.columns(path, self.columns)?;
        if is_header(&cells, header) {
            self.names = Some(cells.iter().map(|c| unquote(c).to_string()).collect());
            return Ok(());
        }
        self.push_row(path, line, text, line, rules)
    }

    /// Parses one data line onto the end of the table.
    fn push_row(
        &mut self,
        path: &Path,
        line: usize,
        text: &str,
        first: usize,
        rules: &dyn Rules,
    ) -> Result<(), DataError> {
        let found = text.split(',').count();
        if found != self.columns {
            let expected = self.columns;
            let ragged = DataErrorKind::Ragged {
                found,
                expected,
                first,
            };
            return Err(ragged.at(Place::line(path, line)));
        }
        for (i, cell) in text.split(',').map(str::trim).enumerate() {
            let value = number(cell)
                .and_then(|v| rules.cell(i, v).map(|()| v))
                .map_err(|bad| bad.at(path, line, i + 1, cell))?;
            self.cells.push(value);
        }
        self.lines.push(line);
        Ok(())
    }

    /// Splits the table into features and a target per row, as `options` say; every cell was
    /// checked while reading ([`Samples`]).
    fn into_samples<T: Float>(self, options: &CsvOptions) -> (Vec<T>, Targets<T>) {
        let label = options.label_column;
        let rows = self.cells.chunks_exact(self.columns);
        let cells = rows.flat_map(|row| row.iter().enumerate().filter(|&(i, _)| i != label));
        let features = cells.map(|(_, &v)| T::of(v)).collect();
        let targets = self.cells.iter().skip(label).step_by(self.columns);
        let targets = match options.target {
            Target::Value => Targets::Values {
                values: targets.map(|&v| T::of(v)).collect(),
                width: 1,
            },
            Target::Class { classes } => Targets::Classes {
                labels: targets.map(|&v| v as usize).collect(),
                classes,
            },
        };
        (features, targets)
    }
}

/// `cell` as a finite number.
fn number(cell: &str) -> Result<f64, BadCell> {
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        // A decimal beyond f64's range parses as infinite; a literal infinity is spelt `inf`.
        Ok(v) if v.is_infinite() && !cell.contains(['i', 'I']) => Err(BadCell::OutOfRange("f64")),
        _ => Err(BadCell::NotANumber),
    }
}

/// Why a cell is refused, before its place is known.
enum BadCell {
    NotANumber,
    /// Beyond the range of the scalar type named.
    OutOfRange(&'static str),
    NotAClass,
    Label(LabelOutOfRange),
}

impl BadCell {
    /// The error for the cell written `text` at `line` and `column` (both 1-based).
    fn at(self, path: &Path, line: usize, column: usize, text: &str) -> DataError {
        let text = text.to_string();
        let kind = match self {
            BadCell::NotANumber => DataErrorKind::NotANumber { text },
            BadCell::OutOfRange(scalar) => DataErrorKind::OutOfRange { text, scalar },
            BadCell::NotAClass => DataErrorKind::NotAClass { text },
            BadCell::Label(label) => DataErrorKind::Label(label),
        };
        kind.at(Place::cell(path, line, column))
    }
}

/// `v` as a class index below `classes`: a non-negative integer, however it was written (`2`,
/// `2.0`, `2e0`).
fn class_index(v: f64, classes: usize) -> Result<usize, BadCell> {
    // 2⁶⁴ on 64-bit targets: an integral `f64` below it converts to a `usize` exactly.
    let past_usize = 2f64.powi(usize::BITS as i32);
    if v < 0.0 || v.fract() != 0.0 || v >= past_usize {
        return Err(BadCell::NotAClass);
    }
    LabelOutOfRange::check(v as usize, classes).map_err(BadCell::Label)
}

/// Whether the first line's `cells` are a header.
fn is_header(cells: &[&str], header: Header) -> bool {
    match header {
        Header::Present => true,
        Header::Absent => false,
        Header::Detect => cells.iter().any(|c| c.parse::<f64>().is_err()),
    }
}

/// A header name without the double quotes R and pandas put around it.
fn unquote(name: &str) -> &str {
    name.strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name)
}

fn no_rows(path: &Path) -> DataError {
    DataErrorKind::NoRows.at(Place::file(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::tests::write;
    use std::vec;

    fn table(name: &str, text: &str, header: Header) -> Result<Table, DataError> {
        read_csv(write(name, text.as_bytes()), header)
    }

    #[test]
    fn detects_a_header() {
        let t = table("h.csv", "\"a\",b,label\n1,2,0\n3,4,1\n", Header::Detect).unwrap();
        assert_eq!(t.names, Some(vec!["a".into(), "b".into(), "label".into()]));
        assert_eq!((t.rows(), t.columns, t.lines.clone()), (2, 3, vec![2, 3]));
        assert_eq!(t.cells, [1.0, 2.0, 0.0, 3.0, 4.0, 1.0]);
    }

    #[test]
    fn numeric_first_line_is_data() {
        let t = table("noh.csv", "1, 2 ,0\r\n\n3,4,1", Header::Detect).unwrap();
        assert_eq!((t.rows(), t.names, t.lines), (2, None, vec![1, 3]));
    }

    #[test]
    fn header_given_by_the_caller() {
        let t = table("given.csv", "1,2\n3,4\n", Header::Present).unwrap();
        assert_eq!(
            (t.names, t.cells),
            (Some(vec!["1".into(), "2".into()]), vec![3.0, 4.0])
        );
    }

    #[test]
    fn non_numeric_cell_names_line_and_column() {
        let text = "a,b,c,d\n1,2,3,4\n1,2,abc,4\n";
        let err = table("bad.csv", text, Header::Detect).unwrap_err();
        assert!(matches!(err.kind(), DataErrorKind::NotANumber { text } if text == "abc"));
        assert_eq!((err.line(), err.column()), (Some(3), Some(3)));
        assert!(
            err.to_string()
                .ends_with("bad.csv line 3 column 3: `abc` is not a number"),
            "{err}"
        );
    }

    #[test]
    fn empty_and_infinite_cells() {
        let err = table("empty.csv", "1,,3\n", Header::Absent).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 1 column 2: empty cell, expected a number"));
        let err = table("inf.csv", "1,2\n1,inf\n", Header::Detect).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 2 column 2: `inf` is not a finite number"));
    }

    #[test]
    fn ragged_rows() {
        let err = table("ragged.csv", "x,y,z\n1,2,3\n\n4,5\n", Header::Detect).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::Ragged {
                found: 2,
                expected: 3,
                first: 1,
            }
        ));
        assert_eq!((err.line(), err.column()), (Some(4), None));
        assert!(err
            .to_string()
            .ends_with("ragged.csv line 4: 2 columns, but line 1 has 3"));
    }

    #[test]
    fn no_rows_and_not_utf8() {
        let err = table("only-header.csv", "a,b\n\n", Header::Detect).unwrap_err();
        assert!(err.to_string().ends_with("only-header.csv: no data rows"));
        let err = table("blank.csv", "", Header::Detect).unwrap_err();
        assert!(matches!(err.kind(), DataErrorKind::NoRows));
        let err = read_csv(write("latin1.csv", b"1,2\n3,\xe9\n"), Header::Absent).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("latin1.csv line 2: not valid UTF-8"));
    }

    #[test]
    fn missing_file() {
        let err = read_csv(
            crate::data::idx::tests::temp_path("nope.csv"),
            Header::Detect,
        );
        assert!(matches!(err.unwrap_err().kind(), DataErrorKind::Io { .. }));
    }

    #[test]
    fn label_column_anywhere() {
        let path = write("mid.csv", b"1,0,2\n3,1,4\n");
        let (x, y) = read_samples::<f32>(&path, 2, &CsvOptions::classes(1, 2)).unwrap();
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            y,
            Targets::Classes {
                labels: vec![0, 1],
                classes: 2
            }
        );
        let (_, y) = read_samples::<f64>(&path, 2, &CsvOptions::values(2)).unwrap();
        assert_eq!(
            y,
            Targets::Values {
                values: vec![2.0, 4.0],
                width: 1
            }
        );
    }

    #[test]
    fn bad_labels_name_line_and_column() {
        let samples = |text: &str, opts: CsvOptions| {
            let path = write("labels.csv", text.as_bytes());
            read_samples::<f32>(&path, 1, &opts)
        };
        let err = samples("f,y\n1,0\n2,1.5\n", CsvOptions::classes(1, 3)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 3 column 2: `1.5` is not a class index (a non-negative integer)"));
        let err = samples("f,y\n1,0\n2,3\n", CsvOptions::classes(1, 3)).unwrap_err();
        let label = LabelOutOfRange {
            label: 3,
            classes: 3,
        };
        assert!(matches!(err.kind(), DataErrorKind::Label(l) if *l == label));
        assert_eq!((err.line(), err.column()), (Some(3), Some(2)));
        assert!(err
            .to_string()
            .ends_with("labels.csv line 3 column 2: label 3 is out of range for 3 classes"));
        let err = samples("1,0\n", CsvOptions::classes(2, 3)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("label column 2 (0-based) is beyond the last of 2 columns"));
        let err = samples("1,2,0\n", CsvOptions::classes(2, 3)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("labels.csv: 2 feature columns but the dataset's samples take 1"));
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_cell() {
        let t = table("bom.csv", "\u{feff}1,2,0\n3,4,1\n", Header::Detect).unwrap();
        assert_eq!((t.rows(), t.names), (2, None));
        let t = table("bom-header.csv", "\u{feff}\"a\",b\n1,2\n", Header::Detect).unwrap();
        assert_eq!(t.names, Some(vec!["a".into(), "b".into()]));
        let err = table("bom-bad.csv", "\u{feff}1,x\n", Header::Absent).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 1 column 2: `x` is not a number"));
        // Anywhere else it is a character like another.
        let err = table("bom-later.csv", "1,2\n\u{feff}3,4\n", Header::Absent).unwrap_err();
        assert!(matches!(err.kind(), DataErrorKind::NotANumber { .. }));
        assert_eq!((err.line(), err.column()), (Some(2), Some(1)));
    }

    #[test]
    fn a_line_ends_at_cr_lf_or_cr_alone() {
        let t = table("cr.csv", "a,b\r1,2\r3,4", Header::Detect).unwrap();
        assert_eq!(
            (t.names.is_some(), t.lines, t.cells),
            (true, vec![2, 3], vec![1.0, 2.0, 3.0, 4.0])
        );
        let t = table("mixed.csv", "1,2\r\n3,4\r5,6\n\r\n7,8\r", Header::Absent).unwrap();
        assert_eq!(t.lines, [1, 2, 3, 5]);
        let err = table("cr-bad.csv", "a,b\r1,2\r3,x\r", Header::Detect).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 3 column 2: `x` is not a number"));
    }

    #[test]
    fn numbers_beyond_the_scalar_are_refused_not_made_infinite() {
        let samples = |text: &str, opts: CsvOptions| {
            let path = write("range.csv", text.as_bytes());
            read_samples::<f32>(&path, 2, &opts)
        };
        let err = samples("a,b,y\n1,2,0\n1,1e39,1\n", CsvOptions::classes(2, 2)).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::OutOfRange { scalar: "f32", .. }
        ));
        assert_eq!((err.line(), err.column()), (Some(3), Some(2)));
        assert!(
            err.to_string()
                .ends_with("line 3 column 2: `1e39` is out of range for f32"),
            "{err}"
        );
        let err = samples("1,2,-1e39\n", CsvOptions::values(2)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 1 column 3: `-1e39` is out of range for f32"));
        // f64 holds them; a number too small for f32 rounds to zero.
        let path = write("range64.csv", b"1,1e39,1e-50\n");
        let (x, y) = read_samples::<f64>(&path, 2, &CsvOptions::values(2)).unwrap();
        assert_eq!((x, y.len()), (vec![1.0, 1e39], 1));
        let path = write("tiny.csv", b"1,1e-50,0.5\n");
        let (x, _) = read_samples::<f32>(&path, 2, &CsvOptions::values(2)).unwrap();
        assert_eq!(x, [1.0, 0.0]);
        // Beyond f64 too: as out of range as a literal `inf` is infinite.
        let err = table("range-any.csv", "1,1e400\n", Header::Absent).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 1 column 2: `1e400` is out of range for f64"));
    }

    #[test]
    fn a_label_is_its_integer_or_else_the_cell_as_written() {
        let samples = |text: &str| {
            let path = write("written.csv", text.as_bytes());
            read_samples::<f32>(&path, 1, &CsvOptions::classes(1, 3))
        };
        let not_a_class =
            |cell| std::format!("`{cell}` is not a class index (a non-negative integer)");
        for (cell, message) in [
            ("3.0", "label 3 is out of range for 3 classes".into()),
            ("3e0", "label 3 is out of range for 3 classes".into()),
            // The largest f64 below 2⁶⁴ is a usize; 2⁶⁴ is not.
            (
                "18446744073709549568",
                "label 18446744073709549568 is out of range for 3 classes".into(),
            ),
            ("18446744073709551616", not_a_class("18446744073709551616")),
            ("1e300", not_a_class("1e300")),
            ("1.50", not_a_class("1.50")),
            ("-1e300", not_a_class("-1e300")),
        ] {
            let err = samples(&std::format!("f,y\n1,0\n2,{cell}\n")).unwrap_err();
            assert!(
                err.to_string()
                    .ends_with(&std::format!("line 3 column 2: {message}")),
                "{err}"
            );
        }
        let (_, y) = samples("1,2.0\n1,0\n").unwrap();
        assert_eq!(
            y,
            Targets::Classes {
                labels: vec![2, 0],
                classes: 3
            }
        );
    }
}
