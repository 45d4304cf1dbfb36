//! A CSV file's lines, one at a time, each at most [`MAX_LINE`] bytes.

use std::io::BufRead;
use std::path::Path;
use std::vec::Vec;

use super::MAX_LINE;
use crate::data::{DataError, DataErrorKind, Place};

/// A file's lines, numbered from 1, read one at a time and none longer than [`MAX_LINE`]: a
/// line ends at `\n`, `\r\n` or a lone `\r`.
///
/// Written here rather than taken from the `csv` crate: cells here are bare numbers, and every
/// error names a line, which `csv` 1.4 gets wrong after `\r\n`, after a blank line and
/// throughout a file of `\r` line ends (rust-csv issues 395 and 208).
pub(super) struct Lines<'a, R> {
    path: &'a Path,
    reader: R,
    line: Vec<u8>,
    number: usize,
    /// The last line ended at a `\r`, so a `\n` right after it belongs to that line end.
    after_cr: bool,
}

impl<'a, R: BufRead> Lines<'a, R> {
    pub(super) fn new(path: &'a Path, reader: R) -> Self {
        Lines {
            path,
            reader,
            line: Vec::new(),
            number: 0,
            after_cr: false,
        }
    }

    /// The next line's number and text, or `None` at the end of the file. A byte-order mark
    /// starting line 1 is not part of it.
    pub(super) fn next(&mut self) -> Result<Option<(usize, &str)>, DataError> {
        if !self.fill()? {
            return Ok(None);
        }
        self.number += 1;
        let not_text = |_| DataErrorKind::NotText.at(Place::line(self.path, self.number));
        let text = std::str::from_utf8(&self.line).map_err(not_text)?;
        let text = match self.number {
            1 => text.strip_prefix('\u{feff}').unwrap_or(text),
            _ => text,
        };
        Ok(Some((self.number, text)))
    }

    /// Reads the next line's bytes, without its end, into `self.line`; false at the end of the
    /// file.
    fn fill(&mut self) -> Result<bool, DataError> {
        self.line.clear();
        loop {
            let chunk = self
                .reader
                .fill_buf()
                .map_err(|source| DataErrorKind::Io { source }.at(Place::file(self.path)))?;
            if chunk.is_empty() {
                return Ok(!self.line.is_empty());
            }
            if core::mem::take(&mut self.after_cr) && chunk[0] == b'\n' {
                self.reader.consume(1);
                continue;
            }
            let end = chunk.iter().position(|&b| b == b'\n' || b == b'\r');
            let part = &chunk[..end.unwrap_or(chunk.len())];
            if self.line.len() + part.len() > MAX_LINE {
                let too_long = DataErrorKind::LineTooLong { limit: MAX_LINE };
                return Err(too_long.at(Place::line(self.path, self.number + 1)));
            }
            self.line.extend_from_slice(part);
            let used = part.len() + usize::from(end.is_some());
            self.after_cr = end.is_some_and(|i| chunk[i] == b'\r');
            self.reader.consume(used);
            if end.is_some() {
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;
    use std::string::ToString;
    use std::vec;

    #[test]
    fn a_line_that_does_not_end_is_refused_at_the_limit() {
        let mut lines = Lines::new(Path::new("zero"), BufReader::new(std::io::repeat(0)));
        let err = lines.next().unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::LineTooLong { limit: MAX_LINE }
        ));
        assert_eq!(err.line(), Some(1));
        assert_eq!(
            err.to_string(),
            "zero line 1: longer than 16777216 bytes, the most a CSV line may have"
        );
        let mut bytes = vec![b'1'; MAX_LINE];
        bytes.extend_from_slice(b"\n2\r\n3");
        let mut lines = Lines::new(Path::new("long"), &bytes[..]);
        assert_eq!(
            lines.next().unwrap().map(|(n, t)| (n, t.len())),
            Some((1, MAX_LINE))
        );
        assert_eq!(lines.next().unwrap(), Some((2, "2")));
        assert_eq!(lines.next().unwrap(), Some((3, "3")));
        assert_eq!(lines.next().unwrap(), None);
    }
}
