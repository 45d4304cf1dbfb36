//! Weight files against the `safetensors` crate reading them.

use std::collections::HashMap;

use liandan::io::{
    architecture, load_weights, params_from_bytes, Layout, LoadOptions, WeightsError,
    WeightsErrorKind,
};
use liandan::{Buffers, Float, Network, Params, Zeroed};

use safetensors::{Dtype, SafeTensorError, SafeTensors};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use super::{bits, seeded, Bits, TempFile, Tiny, TinyConv, TINY_CONV_TENSORS, TINY_TENSORS};

/// `f32` or `f64`: its safetensors type, and a file's values converted to it.
pub trait Scalar: Float + Bits {
    /// `F32` or `F64`.
    const DTYPE: Dtype;
    /// An `f32` from a file, widened or kept.
    fn of_f32(x: f32) -> Self;
    /// An `f64` from a file, rounded to nearest or kept.
    fn of_f64(x: f64) -> Self;
}

impl Scalar for f32 {
    const DTYPE: Dtype = Dtype::F32;
    fn of_f32(x: f32) -> Self {
        x
    }
    fn of_f64(x: f64) -> Self {
        x as f32
    }
}

impl Scalar for f64 {
    const DTYPE: Dtype = Dtype::F64;
    fn of_f32(x: f32) -> Self {
        x.into()
    }
    fn of_f64(x: f64) -> Self {
        x
    }
}

/// Why the reference refuses a file, or finds it does not fit.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// The header names this tensor twice (the crate would keep one of them silently).
    Duplicate(String),
    /// Anything else.
    Other(String),
}

/// A file as the safetensors crate reads it, with its `__metadata__`.
pub struct Reference<'a> {
    file: SafeTensors<'a>,
    metadata: HashMap<String, String>,
}

/// `bytes` read by the safetensors crate, with two checks it does not make: a `data_offsets`
/// entry past the end of the file (the crate adds it to the header length unchecked, so it is
/// refused here first), and a tensor named twice (the crate's JSON map keeps the last): the
/// refusal is [`Refusal::Duplicate`] when that is the file's only fault, or the offsets fault
/// the entry it dropped leaves.
pub fn reference(bytes: &[u8]) -> Result<Reference<'_>, Refusal> {
    let other = |why: &str| Refusal::Other(why.to_string());
    let n = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(|| other("shorter than 8 bytes"))?;
    let header = usize::try_from(n)
        .ok()
        .and_then(|n| bytes.get(8..n.checked_add(8)?))
        .ok_or_else(|| other("shorter than its header"))?;
    let text = std::str::from_utf8(header).map_err(|_| other("header not UTF-8"))?;
    let Entries(entries) = serde_json::from_str(text).map_err(|e| other(&e.to_string()))?;
    let data = bytes.len() - 8 - header.len();
    for (name, value) in &entries {
        let offsets = value.get("data_offsets").and_then(|o| o.as_array());
        let past_end = offsets
            .into_iter()
            .flatten()
            .filter_map(|o| o.as_u64())
            .any(|o| o > data as u64);
        if name != "__metadata__" && past_end {
            return Err(other("data_offsets past the end"));
        }
    }
    let twice = entries
        .iter()
        .enumerate()
        .find(|(i, (name, _))| entries[..*i].iter().any(|(earlier, _)| earlier == name));
    let read = SafeTensors::deserialize(bytes).and_then(|file| {
        let (_, header) = SafeTensors::read_metadata(bytes)?;
        Ok((file, header))
    });
    match (twice, read) {
        (Some((_, (name, _))), Ok(_) | Err(SafeTensorError::InvalidOffset(_)))
            if name != "__metadata__" =>
        {
            Err(Refusal::Duplicate(name.clone()))
        }
        (Some((_, (name, _))), _) => Err(other(&format!("{name} twice"))),
        (None, Err(e)) => Err(other(&e.to_string())),
        (None, Ok((file, header))) => {
            let metadata = header.metadata().iter().flatten();
            let metadata = metadata.map(|(k, v)| (k.clone(), v.clone())).collect();
            Ok(Reference { file, metadata })
        }
    }
}

/// A header's entries in file order, duplicates kept.
struct Entries(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EntriesVisitor)
    }
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Entries;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Entries(entries))
    }
}

impl<'a> Reference<'a> {
    /// The file as the safetensors crate reads it.
    pub fn file(&self) -> &SafeTensors<'a> {
        &self.file
    }

    /// The metadata entry `key`, if any.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// The values of `tensors` (name and Keras shape) in liandan's column-major order, if the
    /// file holds exactly these and `others`, of `T`'s type (or either float type, if
    /// `convert`), each of its shape in `layout`, every value finite once in `T`.
    pub fn tensors<T: Scalar>(
        &self,
        tensors: &[(String, Vec<usize>)],
        others: &[&str],
        layout: Layout,
        convert: bool,
    ) -> Result<Vec<Vec<T>>, String> {
        let mut names = self.file.names();
        names.sort_unstable();
        let mut expected: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
        expected.extend_from_slice(others);
        expected.sort_unstable();
        if names != expected {
            return Err(format!("the file holds {names:?}, not {expected:?}"));
        }
        tensors
            .iter()
            .map(|(name, shape)| self.tensor(name, shape, layout, convert))
            .collect()
    }

    /// The `U64` scalar `name` (shape `[]`).
    pub fn step(&self, name: &str) -> Result<u64, String> {
        let view = self.file.tensor(name).map_err(|e| e.to_string())?;
        if view.dtype() != Dtype::U64 || !view.shape().is_empty() {
            let (dtype, shape) = (view.dtype(), view.shape());
            return Err(format!("{name} is {dtype:?} of shape {shape:?}"));
        }
        let le = view
            .data()
            .try_into()
            .map_err(|_| format!("{name} is not 8 bytes"))?;
        Ok(u64::from_le_bytes(le))
    }

    fn tensor<T: Scalar>(
        &self,
        name: &str,
        shape: &[usize],
        layout: Layout,
        convert: bool,
    ) -> Result<Vec<T>, String> {
        let view = self.file.tensor(name).map_err(|e| e.to_string())?;
        let values: Vec<T> = match view.dtype() {
            Dtype::F32 if convert || <T as Scalar>::DTYPE == Dtype::F32 => {
                let chunks = view.data().chunks_exact(4);
                chunks
                    .map(|b| T::of_f32(f32::from_le_bytes(b.try_into().expect("4 bytes"))))
                    .collect()
            }
            Dtype::F64 if convert || <T as Scalar>::DTYPE == Dtype::F64 => {
                let chunks = view.data().chunks_exact(8);
                chunks
                    .map(|b| T::of_f64(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
                    .collect()
            }
            dtype => return Err(format!("{name} is {dtype:?}")),
        };
        let pytorch = layout == Layout::PyTorch;
        let file_shape = if pytorch {
            torch_shape(shape)
        } else {
            shape.to_vec()
        };
        if view.shape() != file_shape {
            return Err(format!("{name} has shape {:?}", view.shape()));
        }
        if let Some(x) = values.iter().find(|x| !x.is_finite()) {
            return Err(format!("{name} holds {x:?}"));
        }
        if !pytorch {
            return Ok(values);
        }
        Ok((0..values.len())
            .map(|k| values[torch_index(shape, k)])
            .collect())
    }
}

/// The shape PyTorch stores a tensor of Keras shape `shape` in: a dense kernel `[in, out]` as
/// `(out, in)`, a convolution's `[KH, KW, C, F]` as `(F, C, KH, KW)`, a bias as it is.
fn torch_shape(shape: &[usize]) -> Vec<usize> {
    match *shape {
        [inputs, outputs] => vec![outputs, inputs],
        [kh, kw, c, f] => vec![f, c, kh, kw],
        _ => shape.to_vec(),
    }
}

/// Where a PyTorch file holds value `k` of a tensor of Keras shape `shape`, `k` counted
/// row-major over that shape (liandan's order: a dense kernel column-major `out × in`).
fn torch_index(shape: &[usize], k: usize) -> usize {
    match *shape {
        // W[o, i] from o · in + i to o + i · out.
        [inputs, outputs] => (k % outputs) * inputs + k / outputs,
        // K[kh, kw, c, f] from ((kh · KW + kw) · C + c) · F + f to ((f · C + c) · KH + kh) · KW + kw.
        [kh, kw, c, f] => {
            let (i_f, rest) = (k % f, k / f);
            let (i_c, rest) = (rest % c, rest / c);
            let (i_kw, i_kh) = (rest % kw, rest / kw);
            ((i_f * c + i_c) * kh + i_kh) * kw + i_kw
        }
        _ => k,
    }
}

/// `Tiny`'s tensors, named as a weight file names them.
pub fn tiny_tensors(prefix: &str) -> Vec<(String, Vec<usize>)> {
    named(&TINY_TENSORS, prefix)
}

/// `tensors` under `prefix`, as a weight file names them.
fn named(tensors: &[(&str, &[usize])], prefix: &str) -> Vec<(String, Vec<usize>)> {
    tensors
        .iter()
        .map(|(name, shape)| (format!("{prefix}{name}"), shape.to_vec()))
        .collect()
}

/// `bytes` as a weight file of a `Tiny` and of a `TinyConv`: see [`check_network`].
pub fn check(bytes: &[u8]) {
    let reference = reference(bytes);
    check_network::<Tiny<f32>, Tiny<f64>>(bytes, &reference, &named(&TINY_TENSORS, ""));
    let conv = named(&TINY_CONV_TENSORS, "");
    check_network::<TinyConv<f32>, TinyConv<f64>>(bytes, &reference, &conv);
}

/// `bytes` as a weight file of the network `N` (whose tensors are `tensors`): through
/// `load_weights` into an `N`, and through `params_from_bytes` into an `N` (converting; or in
/// PyTorch's layout) and a `Wide`, the same network in `f64`.
pub fn check_network<N, Wide>(
    bytes: &[u8],
    reference: &Result<Reference<'_>, Refusal>,
    tensors: &[(String, Vec<usize>)],
) where
    N: Network<Element = f32> + Params<f32> + Buffers + Zeroed,
    Wide: Params<f64> + Buffers + Zeroed,
{
    let file = TempFile::new("weights.safetensors", bytes);
    let mut net = N::zeroed();
    seeded(&mut net, 0);
    let before = bits(&net);
    let got = load_weights(&mut net, file.path());
    if let Err(e) = &got {
        assert_eq!(e.path(), Some(file.path()), "the error names no file: {e}");
    }
    let network = architecture::<N>();
    let want = readable(reference).and_then(|r| match r.metadata(liandan::io::ARCHITECTURE_KEY) {
        Some(a) if a != network => Err(format!("the file is a {a}")),
        _ => r.tensors::<f32>(tensors, &[], Layout::Keras, false),
    });
    let (after, want) = (bits(&net), want.map(|w| flat_bits(&w)));
    let what = format!("load_weights into {}<f32>", N::NAME);
    compare(&before, &after, got, reference, want, &what);

    for (layout, convert) in [(Layout::Keras, true), (Layout::PyTorch, false)] {
        let mut options = LoadOptions::default().layout(layout);
        options.convert = convert;
        let mut net = N::zeroed();
        seeded(&mut net, 1);
        let before = bits(&net);
        let got = params_from_bytes(&mut net, bytes, &options);
        let want =
            readable(reference).and_then(|r| r.tensors::<f32>(tensors, &[], layout, convert));
        let (after, want) = (bits(&net), want.map(|w| flat_bits(&w)));
        let what = format!("params_from_bytes into {}<f32>, {options:?}", N::NAME);
        compare(&before, &after, got, reference, want, &what);
    }

    let mut net = Wide::zeroed();
    seeded(&mut net, 2);
    let before = bits(&net);
    let got = params_from_bytes(&mut net, bytes, &LoadOptions::default());
    let want =
        readable(reference).and_then(|r| r.tensors::<f64>(tensors, &[], Layout::Keras, false));
    let (after, want) = (bits(&net), want.map(|w| flat_bits(&w)));
    let what = format!("params_from_bytes into {}<f64>", N::NAME);
    compare(&before, &after, got, reference, want, &what);
}

/// The reference's file, or why it refuses it, as text.
pub fn readable<'r, 'a>(
    reference: &'r Result<Reference<'a>, Refusal>,
) -> Result<&'r Reference<'a>, String> {
    reference.as_ref().map_err(|r| format!("{r:?}"))
}

/// One load's outcome against the reference's, as bits (`before` and `after` the load, `want`
/// what the reference reads): accepted, the file's values; refused, nothing changed; and a file
/// that fits is never refused.
pub fn compare(
    before: &[u64],
    after: &[u64],
    got: Result<(), WeightsError>,
    reference: &Result<Reference<'_>, Refusal>,
    want: Result<Vec<u64>, String>,
    what: &str,
) {
    match (got, want) {
        (Ok(()), Ok(want)) => {
            assert_eq!(after.len(), want.len(), "{what}: value count");
            if let Some(i) = (0..want.len()).find(|&i| after[i] != want[i]) {
                let (got, want) = (after[i], want[i]);
                panic!("{what}: value {i} loaded as {got:#x}, but the file holds {want:#x}");
            }
        }
        (Ok(()), Err(why)) => panic!("{what}: accepted a file the reference refuses: {why}"),
        (Err(e), want) => {
            assert_eq!(after, before, "{what}: failed ({e}) but changed");
            if let Err(Refusal::Duplicate(name)) = reference {
                assert!(
                    matches!(e.kind(), WeightsErrorKind::DuplicateName(n) if n == name),
                    "{what}: the header names `{name}` twice, but the error says: {e}"
                );
            }
            if want.is_ok() {
                panic!("{what}: refused a file that fits: {e}");
            }
        }
    }
}

/// Every value of `tensors`, as bits.
pub fn flat_bits<T: Bits>(tensors: &[Vec<T>]) -> Vec<u64> {
    tensors.iter().flatten().map(|x| x.bits()).collect()
}
