//! Numeric CSV: comma-separated numbers, one sample per line, an optional header line.
//!
//! Cells are trimmed of spaces; blank lines are skipped; `\r\n` line ends are fine. Every cell
//! must be a finite number (`1`, `-0.5`, `3e-2`): no quoting, no missing values. A header is
//! the caller's to declare, or detected as a first line with a cell that is not a number.
//! Lines and columns in errors count from 1, as editors do; a label column is chosen 0-based,
//! as every Rust index is.

use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use super::{DataError, Targets};
use crate::Float;

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

/// Reads a numeric CSV file.
pub fn read_csv(path: impl AsRef<Path>, header: Header) -> Result<Table, DataError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.into(),
        source,
    })?;
    let mut lines = numbered_lines(path, &bytes);
    let (first_line, first) = lines.next().transpose()?.ok_or(no_rows(path))?;
    let cells: Vec<&str> = first.split(',').map(str::trim).collect();
    let mut table = Table {
        names: None,
        columns: cells.len(),
        cells: Vec::new(),
        lines: Vec::new(),
    };
    if is_header(&cells, header) {
        table.names = Some(cells.iter().map(|c| unquote(c).to_string()).collect());
    } else {
        table.push_row(path, first_line, first, first_line)?;
    }
    for line in lines {
        let (number, text) = line?;
        table.push_row(path, number, text, first_line)?;
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

    /// Parses one data line onto the end of the table.
    fn push_row(
        &mut self,
        path: &Path,
        line: usize,
        text: &str,
        first: usize,
    ) -> Result<(), DataError> {
        let found = text.split(',').count();
        if found != self.columns {
            let expected = self.columns;
            return Err(DataError::Ragged {
                path: path.into(),
                line,
                found,
                expected,
                first,
            });
        }
        for (i, cell) in text.split(',').map(str::trim).enumerate() {
            let value = cell.parse::<f64>().ok().filter(|v| v.is_finite());
            let value = value.ok_or_else(|| DataError::NotANumber {
                path: path.into(),
                line,
                column: i + 1,
                text: cell.to_string(),
            })?;
            self.cells.push(value);
        }
        self.lines.push(line);
        Ok(())
    }

    /// Splits the table into `n` features and a target per row, as `options` say.
    pub(crate) fn into_samples<T: Float>(
        self,
        path: &Path,
        n: usize,
        options: &CsvOptions,
    ) -> Result<(Vec<T>, Targets<T>), DataError> {
        let (columns, label) = (self.columns, options.label_column);
        if label >= columns {
            return Err(DataError::LabelColumn {
                path: path.into(),
                column: label,
                columns,
            });
        }
        if columns - 1 != n {
            return Err(DataError::FeatureCount {
                path: path.into(),
                found: columns - 1,
                expected: n,
            });
        }
        let features = self.features(label);
        let targets = self.targets(path, options)?;
        Ok((features, targets))
    }

    /// Every cell but those of the label column, converted.
    fn features<T: Float>(&self, label: usize) -> Vec<T> {
        let rows = self.cells.chunks_exact(self.columns);
        let cells = rows.flat_map(|row| row.iter().enumerate().filter(move |(i, _)| *i != label));
        cells.map(|(_, &v)| T::of(v)).collect()
    }

    /// The label column as class labels or values.
    fn targets<T: Float>(
        &self,
        path: &Path,
        options: &CsvOptions,
    ) -> Result<Targets<T>, DataError> {
        let column = options.label_column;
        let cells = self.cells.iter().skip(column).step_by(self.columns);
        match options.target {
            Target::Value => Ok(Targets::Values {
                values: cells.map(|&v| T::of(v)).collect(),
                width: 1,
            }),
            Target::Class { classes } => {
                let labels = cells.zip(&self.lines).map(|(&v, &line)| {
                    class_index(v, classes).map_err(|e| e.at(path, line, column + 1))
                });
                Ok(Targets::Classes {
                    labels: labels.collect::<Result<_, _>>()?,
                    classes,
                })
            }
        }
    }
}

/// Why a label cell is not a class index, before its place is known.
enum BadClass {
    NotAClass(f64),
    OutOfRange(usize, usize),
}

impl BadClass {
    fn at(self, path: &Path, line: usize, column: usize) -> DataError {
        let path = path.into();
        match self {
            BadClass::NotAClass(v) => DataError::NotAClass {
                path,
                line,
                column,
                text: v.to_string(),
            },
            BadClass::OutOfRange(label, classes) => DataError::ClassOutOfRange {
                path,
                line,
                column,
                label,
                classes,
            },
        }
    }
}

/// `v` as a class index below `classes`: a non-negative integer, however it was written.
fn class_index(v: f64, classes: usize) -> Result<usize, BadClass> {
    // Integers up to 2⁵³ are exact in f64; anything larger is no class index of a real dataset.
    if v < 0.0 || v.fract() != 0.0 || v > 9_007_199_254_740_992.0 {
        return Err(BadClass::NotAClass(v));
    }
    let label = v as usize;
    if label >= classes {
        return Err(BadClass::OutOfRange(label, classes));
    }
    Ok(label)
}

/// The non-blank lines with their 1-based numbers, `\r` stripped, checked to be UTF-8.
fn numbered_lines<'a>(
    path: &'a Path,
    bytes: &'a [u8],
) -> impl Iterator<Item = Result<(usize, &'a str), DataError>> + 'a {
    let lines = bytes.split(|&b| b == b'\n').enumerate();
    let lines = lines.map(move |(i, line)| match std::str::from_utf8(line) {
        Ok(text) => Ok((i + 1, text.strip_suffix('\r').unwrap_or(text))),
        Err(_) => Err(DataError::NotText {
            path: path.into(),
            line: i + 1,
        }),
    });
    lines.filter(|line| !matches!(line, Ok((_, text)) if text.trim().is_empty()))
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
    DataError::NoRows { path: path.into() }
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
        assert!(matches!(
            err,
            DataError::NotANumber {
                line: 3,
                column: 3,
                ..
            }
        ));
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
            err,
            DataError::Ragged {
                line: 4,
                found: 2,
                expected: 3,
                first: 1,
                ..
            }
        ));
        assert!(err
            .to_string()
            .ends_with("ragged.csv line 4: 2 columns, but line 1 has 3"));
    }

    #[test]
    fn no_rows_and_not_utf8() {
        let err = table("only-header.csv", "a,b\n\n", Header::Detect).unwrap_err();
        assert!(err.to_string().ends_with("only-header.csv: no data rows"));
        assert!(matches!(
            table("blank.csv", "", Header::Detect),
            Err(DataError::NoRows { .. })
        ));
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
        assert!(matches!(err, Err(DataError::Io { .. })));
    }

    #[test]
    fn label_column_anywhere() {
        let path = write("mid.csv", b"1,0,2\n3,1,4\n");
        let t = read_csv(&path, Header::Detect).unwrap();
        let (x, y) = t
            .into_samples::<f32>(&path, 2, &CsvOptions::classes(1, 2))
            .unwrap();
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            y,
            Targets::Classes {
                labels: vec![0, 1],
                classes: 2
            }
        );
        let t = read_csv(&path, Header::Detect).unwrap();
        let (_, y) = t
            .into_samples::<f64>(&path, 2, &CsvOptions::values(2))
            .unwrap();
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
            read_csv(&path, Header::Detect)?.into_samples::<f32>(&path, 1, &opts)
        };
        let err = samples("f,y\n1,0\n2,1.5\n", CsvOptions::classes(1, 3)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 3 column 2: `1.5` is not a class index (a non-negative integer)"));
        let err = samples("f,y\n1,0\n2,3\n", CsvOptions::classes(1, 3)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("line 3 column 2: label 3 is out of range for 3 classes"));
        let err = samples("1,0\n", CsvOptions::classes(2, 3)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("label column 2 (0-based) is beyond the last of 2 columns"));
        let err = samples("1,2,0\n", CsvOptions::classes(2, 3)).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("labels.csv: 2 feature columns but the network takes 1"));
    }
}
