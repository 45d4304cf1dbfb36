//! A first look at a safetensors header, before the reference reader parses it: a tensor name
//! that occurs twice, and data offsets that end past the file.
//!
//! Both are checked here because the reference reader cannot: it reads the header into a map,
//! which keeps one entry of a duplicated name (so the other's bytes are then reported as a gap
//! before some third tensor), and it adds the last offset to the header's length unchecked, so
//! eight tensors of 2⁶¹ - 1 bytes laid end to end overflow it (a panic in a debug build).

use std::collections::BTreeSet;
use std::fmt;
use std::string::{String, ToString};
use std::vec::Vec;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::io::WeightsErrorKind;

/// The largest header the reference reader accepts (its `MAX_HEADER_SIZE`): a file announcing
/// more is refused by it, so it is not looked at here.
pub(crate) const MAX_HEADER: u64 = 100_000_000;

/// Checks the header of the safetensors `bytes`, if it is there to check: no tensor name twice
/// (in file order, the second occurrence is named), then no tensor ending past the data.
///
/// Bytes too short for their header, or a header that is not UTF-8, pass: the reference reader
/// reports those.
pub(crate) fn check(bytes: &[u8]) -> Result<(), WeightsErrorKind> {
    let Some((text, data)) = split(bytes) else {
        return Ok(());
    };
    let Ok(text) = core::str::from_utf8(text) else {
        return Ok(());
    };
    parse(text)?.within(data)
}

/// Checks that no tensor name of the header `text` occurs twice.
pub(crate) fn check_names(text: &str) -> Result<(), WeightsErrorKind> {
    parse(text).map(|_| ())
}

/// The header's entries, checked for a name that occurs twice.
fn parse(text: &str) -> Result<Header, WeightsErrorKind> {
    let header: Header =
        serde_json::from_str(text).map_err(|e| WeightsErrorKind::Json(e.to_string()))?;
    header.no_duplicate()?;
    Ok(header)
}

/// The header's bytes and the number of data bytes after it, if the file holds the header its
/// first 8 bytes announce.
fn split(bytes: &[u8]) -> Option<(&[u8], u64)> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    if n > MAX_HEADER {
        return None;
    }
    // `n` is at most 10⁸, so `8 + n` neither overflows nor truncates.
    let end = 8 + n as usize;
    let text = bytes.get(8..end)?;
    Some((text, (bytes.len() - end) as u64))
}

/// The header's tensors in file order: each name with its `data_offsets`, if it has them.
struct Header {
    tensors: Vec<(String, Option<(u64, u64)>)>,
}

impl Header {
    /// The first name (in file order) that an earlier tensor already has.
    fn no_duplicate(&self) -> Result<(), WeightsErrorKind> {
        let mut seen = BTreeSet::new();
        match self.tensors.iter().find(|(name, _)| !seen.insert(name)) {
            Some((name, _)) => Err(WeightsErrorKind::DuplicateName(name.clone())),
            None => Ok(()),
        }
    }

    /// Every tensor ends within the `data` bytes after the header.
    fn within(&self, data: u64) -> Result<(), WeightsErrorKind> {
        let past = |offsets: &Option<(u64, u64)>| offsets.is_some_and(|(_, end)| end > data);
        if self.tensors.iter().any(|(_, offsets)| past(offsets)) {
            return Err(WeightsErrorKind::DataLength {
                data: data as usize,
            });
        }
        Ok(())
    }
}

// The header is a JSON object read entry by entry, so a key that occurs twice is seen twice
// (a map, as the reference reader uses, keeps one).
impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of tensors")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut tensors = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if name == "__metadata__" {
                map.next_value::<IgnoredAny>()?;
            } else {
                let Offsets(offsets) = map.next_value()?;
                tensors.push((name, offsets));
            }
        }
        Ok(Header { tensors })
    }
}

/// A tensor entry's `data_offsets`; its other fields are the reference reader's to check.
struct Offsets(Option<(u64, u64)>);

impl<'de> Deserialize<'de> for Offsets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(OffsetsVisitor)
    }
}

struct OffsetsVisitor;

impl<'de> Visitor<'de> for OffsetsVisitor {
    type Value = Offsets;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tensor's dtype, shape and data_offsets")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Offsets, A::Error> {
        let mut offsets = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "data_offsets" {
                offsets = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Offsets(offsets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn file(header: &str, data: usize) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.resize(bytes.len() + data, 0);
        bytes
    }

    fn entry(name: &str, start: u64, end: u64) -> String {
        let n = end - start;
        format!("\"{name}\":{{\"dtype\":\"U8\",\"shape\":[{n}],\"data_offsets\":[{start},{end}]}}")
    }

    #[test]
    fn the_second_occurrence_of_a_name_is_named() {
        let header = format!(
            "{{{},{},{}}}",
            entry("a", 0, 4),
            entry("b", 4, 8),
            entry("a", 8, 12)
        );
        let err = check(&file(&header, 12)).unwrap_err();
        assert!(matches!(err, WeightsErrorKind::DuplicateName(n) if n == "a"));
    }

    #[test]
    fn an_escaped_key_is_the_same_name() {
        let header = format!("{{{},{}}}", entry("a", 0, 4), entry("\\u0061", 4, 8));
        let err = check(&file(&header, 8)).unwrap_err();
        assert!(matches!(err, WeightsErrorKind::DuplicateName(n) if n == "a"));
    }

    #[test]
    fn an_end_past_the_data_is_refused_before_any_sum() {
        let size = (1u64 << 61) - 1;
        let entries: Vec<String> = (0..8)
            .map(|k| entry(&format!("t{k}"), k * size, (k + 1) * size))
            .collect();
        let header = format!("{{{}}}", entries.join(","));
        let err = check(&file(&header, 0)).unwrap_err();
        assert!(matches!(err, WeightsErrorKind::DataLength { data: 0 }));
    }

    #[test]
    fn what_the_reference_reader_reports_passes() {
        // Too short, over 100 MB, not UTF-8, and a tensor without offsets: the crate's errors.
        assert!(check(&[1, 2]).is_ok());
        assert!(check(&(MAX_HEADER + 1).to_le_bytes()).is_ok());
        let mut not_text = file("{\"a?\":1}", 0);
        not_text[11] = 0xff;
        assert!(check(&not_text).is_ok());
        assert!(check(&file("{\"a\":{\"dtype\":\"F32\"}}", 0)).is_ok());
        assert!(check(&file(&format!("{{{}}}", entry("a", 0, 4)), 4)).is_ok());
        let err = check(&file("{\"a\":[", 0)).unwrap_err();
        assert!(matches!(err, WeightsErrorKind::Json(_)));
    }
}
