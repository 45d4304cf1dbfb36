//! Numeric CSV files against the `csv` crate reading them, cells parsed by `str::parse::<f64>`.

use liandan::data::{
    read_csv, CsvOptions, DataError, DataErrorKind, Dataset, Header, Table, Target, Targets,
};
use liandan::shape::Flat;
use liandan::LabelOutOfRange;

use super::{Bits, TempFile};

/// The classes of the class-label datasets checked.
const CLASSES: usize = 3;

/// The table the `csv` crate reads from `bytes` under liandan's rules: no quoting, cells
/// trimmed, blank lines skipped, every cell a finite number, all rows as long as the first;
/// with [`Header::Detect`] the first row is a header if a cell of it is not a number.
///
/// The crate ends lines at `\n`, `\r\n` or a lone `\r`, and drops a UTF-8 byte order mark at
/// the start, as spreadsheets do.
pub fn reference(bytes: &[u8], header: Header) -> Option<Table> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .quoting(false)
        .trim(::csv::Trim::All)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.ok()?;
        if record.len() == 1 && record[0].is_empty() {
            continue; // a line of spaces, which the crate gives as one empty field
        }
        let start = record.position().map_or(0, |p| p.byte() as usize);
        rows.push((line_at(bytes, start), record));
    }
    let (_, first) = rows.first()?;
    let names = match header {
        Header::Present => true,
        Header::Absent => false,
        Header::Detect => first.iter().any(|c| c.parse::<f64>().is_err()),
    };
    let columns = first.len();
    let data = if names { &rows[1..] } else { &rows[..] };
    let mut table = Table {
        names: names.then(|| first.iter().map(|c| unquote(c).to_string()).collect()),
        columns,
        cells: Vec::new(),
        lines: Vec::new(),
    };
    for (line, row) in data {
        if row.len() != columns {
            return None;
        }
        for cell in row {
            table
                .cells
                .push(cell.parse::<f64>().ok().filter(|v| v.is_finite())?);
        }
        table.lines.push(*line);
    }
    (!table.lines.is_empty()).then_some(table)
}

/// The line (from 1) of the record that the crate says starts at byte `start`: the crate
/// counts its lines unreliably (`\r\n\n` as one line end), and may start a record at the line
/// ends (or the byte-order mark) before it.
fn line_at(bytes: &[u8], start: usize) -> usize {
    // The crate skips a byte-order mark and may start the first record on it.
    let bom = bytes[start..].starts_with(b"\xEF\xBB\xBF");
    let start = if bom { start + 3 } else { start };
    let ends = bytes[start..]
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n');
    let start = start + ends.count();
    1 + bytes[..start].iter().filter(|&&b| b == b'\n').count()
}

/// A header name without one pair of enclosing double quotes, as the format describes it.
fn unquote(name: &str) -> &str {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner,
        None => name,
    }
}

/// `bytes` as a CSV file through `read_csv` with every header rule, and through
/// `Dataset::from_csv` for 1 to 3 features, the label first or last, classes or values.
pub fn check(bytes: &[u8]) {
    let file = TempFile::new("table.csv", bytes);
    for header in [Header::Detect, Header::Present, Header::Absent] {
        check_table(&file, bytes, header);
    }
    check_datasets::<1>(&file, bytes);
    check_datasets::<2>(&file, bytes);
    check_datasets::<3>(&file, bytes);
}

fn check_table(file: &TempFile, bytes: &[u8], header: Header) {
    match (read_csv(file.path(), header), reference(bytes, header)) {
        (Ok(got), Some(want)) => {
            assert_eq!(got.names, want.names, "{header:?}: names");
            assert_eq!(got.columns, want.columns, "{header:?}: columns");
            let (got_cells, want_cells) = (cell_bits(&got.cells), cell_bits(&want.cells));
            assert_eq!(got_cells, want_cells, "{header:?}: cells");
            // Lines are counted at `\n`; where a lone `\r` ends a line is a matter of the
            // fix, so they are compared only without one.
            if !has_lone_cr(bytes) {
                assert_eq!(got.lines, want.lines, "{header:?}: line numbers");
            }
        }
        (Ok(got), None) => panic!(
            "{header:?}: accepted {} rows of {} the csv crate does not read as a numeric table",
            got.rows(),
            got.columns
        ),
        (Err(e), Some(want)) => panic!(
            "{header:?}: refused a table the csv crate reads as {} rows of {}: {e}",
            want.rows(),
            want.columns
        ),
        (Err(e), None) => check_error(&e, bytes),
    }
}

/// `from_csv` into `N` features of `f32` with the label column first or last, class labels
/// or real values.
fn check_datasets<const N: usize>(file: &TempFile, bytes: &[u8]) {
    for label_column in [0, N] {
        for target in [Target::Class { classes: CLASSES }, Target::Value] {
            let options = CsvOptions {
                header: Header::Detect,
                label_column,
                target,
            };
            let got = Dataset::<f32, Flat<N>>::from_csv(file.path(), &options);
            let want = reference(bytes, Header::Detect).filter(|t| t.columns == N + 1);
            match (got, want) {
                (Ok(set), Some(want)) => check_dataset(&set, &want, &options),
                (Ok(set), None) => panic!("{options:?}: accepted {} samples", set.len()),
                (Err(e), Some(want)) => check_refusal(&e, bytes, &want, &options),
                (Err(e), None) => check_error(&e, bytes),
            }
        }
    }
}

/// An accepted dataset: features and targets are the table's cells as `f32`, finite, and
/// class labels are the table's integers below the class count.
fn check_dataset<const N: usize>(set: &Dataset<f32, Flat<N>>, want: &Table, options: &CsvOptions) {
    let label = options.label_column;
    let rows = want.cells.chunks_exact(want.columns);
    let features: Vec<f64> = rows
        .clone()
        .flat_map(|row| row.iter().enumerate().filter(move |(i, _)| *i != label))
        .map(|(_, &v)| v)
        .collect();
    assert_in_f32(set.features(), &features, "a feature");
    let cells: Vec<f64> = rows.map(|row| row[label]).collect();
    match (set.targets(), options.target) {
        (Targets::Values { values, width: 1 }, Target::Value) => {
            assert_in_f32(values, &cells, "a target");
        }
        (Targets::Classes { labels, classes }, Target::Class { classes: c }) => {
            assert_eq!(*classes, c);
            for (&got, &cell) in labels.iter().zip(&cells) {
                assert!(cell.fract() == 0.0 && (0.0..c as f64).contains(&cell));
                assert_eq!(got as f64, cell, "label");
            }
            assert_eq!(labels.len(), cells.len());
        }
        (targets, _) => panic!("{options:?}: targets {targets:?}"),
    }
}

/// `got` is `want` rounded to `f32`, and every value is finite there: a cell beyond `f32`'s
/// range is an error, not an infinity.
fn assert_in_f32(got: &[f32], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: count");
    for (&g, &w) in got.iter().zip(want) {
        assert!(
            g.is_finite(),
            "{what} {w:e} is out of f32's range but loaded as {g}"
        );
        assert_eq!(g.bits(), (w as f32).bits(), "{what} {w:e} loaded as {g:e}");
    }
}

/// A refused dataset whose table the crate reads: the reason must be one of the table's cells,
/// at the line and column the error names.
fn check_refusal(e: &DataError, bytes: &[u8], want: &Table, options: &CsvOptions) {
    let in_f32 = |v: f64| (v as f32).is_finite();
    let label = options.label_column;
    let good_label = |v: f64| match options.target {
        Target::Value => in_f32(v),
        Target::Class { classes } => v.fract() == 0.0 && (0.0..classes as f64).contains(&v),
    };
    let good = want.cells.chunks_exact(want.columns).all(|row| {
        row.iter()
            .enumerate()
            .all(|(i, &v)| if i == label { good_label(v) } else { in_f32(v) })
    });
    assert!(!good, "{options:?}: refused a good table: {e}");
    check_error(e, bytes);
}

/// An error must say where, truly: the cell it quotes is at the line and column it names.
fn check_error(e: &DataError, bytes: &[u8]) {
    if has_lone_cr(bytes) {
        return; // where a lone `\r` ends a line is a matter of the fix; see `check_table`
    }
    // Line and column 0 stand for none given: no cell or line is there, so the checks fail.
    let (line, column) = (e.line().unwrap_or(0), e.column().unwrap_or(0));
    match e.kind() {
        DataErrorKind::NotANumber { text } | DataErrorKind::NotAClass { text } => {
            let cell = cell(bytes, line, column);
            let as_written = cell == Some(text);
            assert!(
                as_written,
                "the error quotes `{text}`, but line {line} column {column} holds {cell:?}: {e}"
            );
        }
        DataErrorKind::OutOfRange { text, scalar } => {
            let cell = cell(bytes, line, column);
            let as_written = cell == Some(text);
            assert!(
                as_written,
                "the error quotes `{text}`, not the cell {cell:?}: {e}"
            );
            let value: f64 = text.parse().unwrap_or(f64::NAN);
            let beyond = match *scalar {
                "f32" => value.is_finite() && !(value as f32).is_finite(),
                _ => !value.is_finite(),
            };
            assert!(beyond, "`{text}` is not out of range for {scalar}: {e}");
        }
        DataErrorKind::Label(LabelOutOfRange { label, classes }) => {
            // The cell is the label's integer as written (`3`, `3.0`, `3e0`), and no class.
            let cell = cell(bytes, line, column);
            let value = cell.map(str::parse::<f64>);
            assert!(
                value.is_some_and(|v| v == Ok(*label as f64)),
                "label {label} is not the cell {cell:?}: {e}"
            );
            assert!(
                label >= classes,
                "label {label} is one of {classes} classes: {e}"
            );
        }
        DataErrorKind::Ragged { found, .. } => {
            let cells = text_line(bytes, line).map(|l| l.split(',').count());
            assert_eq!(cells, Some(*found), "{e}");
        }
        DataErrorKind::NotText => {
            let text = line
                .checked_sub(1)
                .and_then(|i| bytes.split(|&b| b == b'\n').nth(i));
            assert!(text.is_some_and(|t| std::str::from_utf8(t).is_err()), "{e}");
        }
        DataErrorKind::NoRows
        | DataErrorKind::LabelColumn { .. }
        | DataErrorKind::FeatureCount { .. } => {}
        _ => panic!("an unexpected error for a bad CSV file: {e}"),
    }
}

/// Line `line` (from 1) of `bytes`, without its `\r\n` or `\n`, if it is text; the first
/// line without a byte-order mark, which belongs to the file, not to a cell.
fn text_line(bytes: &[u8], line: usize) -> Option<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let raw = bytes.split(|&b| b == b'\n').nth(line.checked_sub(1)?)?;
    let text = std::str::from_utf8(raw).ok()?;
    Some(text.strip_suffix('\r').unwrap_or(text))
}

/// The cell at `line` and `column` (both from 1), trimmed.
fn cell(bytes: &[u8], line: usize, column: usize) -> Option<&str> {
    let text = text_line(bytes, line)?;
    Some(text.split(',').nth(column.checked_sub(1)?)?.trim())
}

/// Whether a `\r` ends a line without a `\n` after it.
fn has_lone_cr(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

fn cell_bits(cells: &[f64]) -> Vec<u64> {
    cells.iter().map(|c| c.bits()).collect()
}
