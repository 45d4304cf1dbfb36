//! Tensors in JSON: numbers nested in arrays, read into one flat vector with the nesting's
//! shape, checked against the network's sample shape; and outputs written back nested.

use std::fmt;

use liandan::Float;
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Numbers nested in arrays, flattened row-major, with the shape of the nesting.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Nested {
    pub(crate) values: Vec<f64>,
    pub(crate) shape: Vec<usize>,
}

impl<'de> Deserialize<'de> for Nested {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut nested = Nested::default();
        let mut lengths = Vec::new();
        let mut leaf = None;
        let level = Level {
            values: &mut nested.values,
            lengths: &mut lengths,
            leaf: &mut leaf,
            depth: 0,
        };
        level.deserialize(deserializer)?;
        // An array of empty arrays has no numbers to tell its depth: all its lengths count.
        let depth = leaf.unwrap_or(lengths.len());
        nested.shape = lengths.into_iter().take(depth).flatten().collect();
        Ok(nested)
    }
}

/// One level of the nesting, reading into the shared vectors.
struct Level<'a> {
    values: &'a mut Vec<f64>,
    /// The length of the arrays at each depth, once one has been seen.
    lengths: &'a mut Vec<Option<usize>>,
    /// The depth of the numbers, once one has been seen.
    leaf: &'a mut Option<usize>,
    depth: usize,
}

impl Level<'_> {
    fn number<E: de::Error>(self, x: f64) -> Result<(), E> {
        match *self.leaf {
            Some(depth) if depth != self.depth => Err(E::custom(format!(
                "ragged tensor: a number at depth {} where others are at depth {depth}",
                self.depth
            ))),
            _ => {
                *self.leaf = Some(self.depth);
                self.values.push(x);
                Ok(())
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Level<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Level<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or an array of numbers")
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<(), E> {
        self.number(x)
    }

    fn visit_i64<E: de::Error>(self, x: i64) -> Result<(), E> {
        self.number(x as f64)
    }

    fn visit_u64<E: de::Error>(self, x: u64) -> Result<(), E> {
        self.number(x as f64)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.depth;
        let mut count = 0;
        loop {
            let child = Level {
                values: &mut *self.values,
                lengths: &mut *self.lengths,
                leaf: &mut *self.leaf,
                depth: depth + 1,
            };
            if seq.next_element_seed(child)?.is_none() {
                break;
            }
            count += 1;
        }
        if matches!(*self.leaf, Some(leaf) if leaf <= depth) {
            return Err(de::Error::custom(format!(
                "ragged tensor: an array at depth {depth} where numbers are"
            )));
        }
        if self.lengths.len() <= depth {
            self.lengths.resize(depth + 1, None);
        }
        match self.lengths[depth] {
            Some(length) if length != count => Err(de::Error::custom(format!(
                "ragged tensor: an array of {count} at depth {depth} where others have {length}"
            ))),
            _ => {
                self.lengths[depth] = Some(count);
                Ok(())
            }
        }
    }
}

/// A tensor's values could not be taken as the network's elements.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(crate) enum ValueError {
    /// A value is NaN or infinite, or becomes infinite in the element type.
    #[error("value {index} ({value:e}) is not a finite {datatype}")]
    NonFinite {
        index: usize,
        value: f64,
        datatype: &'static str,
    },
}

/// `values` as elements `E`, each checked finite after conversion.
pub(crate) fn elements<E: Float>(values: &[f64]) -> Result<Vec<E>, ValueError> {
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            let x = E::of(value);
            if x.finite() {
                Ok(x)
            } else {
                Err(ValueError::NonFinite {
                    index,
                    value,
                    datatype: datatype::<E>(),
                })
            }
        })
        .collect()
}

/// The protocols' name of element type `E`: `FP32` or `FP64`.
pub(crate) fn datatype<E: Float>() -> &'static str {
    if size_of::<E>() == 4 {
        "FP32"
    } else {
        "FP64"
    }
}

/// Values written as nested arrays of `dims` (a flat array if `dims` has one entry), each in
/// its element type's shortest decimal form.
pub(crate) struct NestedOut<'a, E> {
    pub(crate) values: &'a [E],
    pub(crate) dims: &'a [usize],
}

impl<E: Float> Serialize for NestedOut<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some((&outer, inner)) = self.dims.split_first() else {
            let x = self.values.first().map_or(0.0, |x| x.to_f64());
            // An f32 printed as an f64 has digits that are not in it (0.1 -> 0.10000000149).
            return if size_of::<E>() == 4 {
                serializer.serialize_f32(x as f32)
            } else {
                serializer.serialize_f64(x)
            };
        };
        let step = inner.iter().product::<usize>();
        let mut seq = serializer.serialize_seq(Some(outer))?;
        for chunk in self.values.chunks(step.max(1)).take(outer) {
            seq.serialize_element(&NestedOut {
                values: chunk,
                dims: inner,
            })?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(json: &str) -> Result<Nested, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn nested_arrays_flatten_with_their_shape() {
        let n = nested("[[1, 2.5, -3], [4, 5, 6]]").unwrap();
        assert_eq!(n.values, [1.0, 2.5, -3.0, 4.0, 5.0, 6.0]);
        assert_eq!(n.shape, [2, 3]);
        assert_eq!(nested("7").unwrap().shape, Vec::<usize>::new());
        assert_eq!(nested("[[], []]").unwrap().shape, [2, 0]);
    }

    #[test]
    fn ragged_and_non_numeric_tensors_are_refused() {
        let err = nested("[[1, 2], [3]]").unwrap_err();
        assert!(err.starts_with("ragged tensor: an array of 1 at depth 1 where others have 2"));
        let err = nested("[[1, 2], 3]").unwrap_err();
        assert!(
            err.starts_with("ragged tensor: a number at depth 1"),
            "{err}"
        );
        let err = nested("[1, [2, 3]]").unwrap_err();
        assert!(
            err.starts_with("ragged tensor: a number at depth 2"),
            "{err}"
        );
        let err = nested(r#"[1, "2"]"#).unwrap_err();
        assert!(
            err.contains("expected a number or an array of numbers"),
            "{err}"
        );
    }

    #[test]
    fn values_beyond_the_element_range_are_not_finite() {
        assert_eq!(elements::<f32>(&[1.5, -2.0]), Ok(vec![1.5f32, -2.0]));
        let err = elements::<f32>(&[0.0, 1e39]).unwrap_err();
        assert_eq!(err.to_string(), "value 1 (1e39) is not a finite FP32");
        assert!(elements::<f64>(&[1e39]).is_ok());
    }

    #[test]
    fn outputs_nest_in_their_dims_with_shortest_f32_digits() {
        let values = [0.1f32, 0.2, 0.3, 0.4];
        let out = NestedOut {
            values: &values,
            dims: &[2, 2],
        };
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            "[[0.1,0.2],[0.3,0.4]]"
        );
    }
}
