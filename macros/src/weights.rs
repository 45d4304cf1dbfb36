//! Compiled-in weights: the file named by `weights:` is read when the crate compiles and checked
//! against the resolved network, tensor by tensor, before anything is generated from it.
//!
//! The rules are `liandan::io`'s strict load: the file's tensors are exactly the network's
//! (`dense_1.kernel` as `[in, out]`, `dense_1.bias` as `[out]`), all `F32` or all `F64`, and an
//! architecture recorded in the metadata is the network's. Every mismatch found is reported,
//! each naming the file, the tensor and both shapes, on the path's string literal.

use std::path::PathBuf;

use safetensors::tensor::Metadata;
use safetensors::{Dtype, SafeTensors};
use syn::{Error, LitStr};

use crate::ir::{Network, Scalar, Weights};

/// The metadata key `liandan::io` records the architecture under.
const ARCHITECTURE_KEY: &str = "liandan.architecture";

/// Reads the file `path` names and checks it against `net`.
pub fn check(path: &LitStr, net: &Network) -> syn::Result<Weights> {
    let written = path.value();
    let absolute = resolve(&written);
    let bytes = std::fs::read(&absolute).map_err(|e| {
        let msg = format!(
            "cannot read weight file `{written}` (paths are relative to the crate's \
             `Cargo.toml`): {e}"
        );
        Error::new(path.span(), msg)
    })?;
    let path_text = absolute.display().to_string();
    check_bytes(&written, path_text, &bytes, net).map_err(|messages| {
        let mut errors = messages.into_iter().map(|m| Error::new(path.span(), m));
        let first = errors
            .next()
            .unwrap_or_else(|| Error::new(path.span(), "invalid weights"));
        errors.fold(first, |mut all, e| {
            all.combine(e);
            all
        })
    })
}

/// `written` under the directory of the crate being compiled (absolute paths stay as they are).
fn resolve(written: &str) -> PathBuf {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    PathBuf::from(root).join(written)
}

/// One tensor the network needs: its name, its shape and fixed element type (if not the
/// network's scalar) in the file, and who needs it.
struct Needed {
    name: String,
    shape: Vec<usize>,
    dtype: Option<&'static str>,
    layer: String,
}

/// The tensors of `net` in file order: the parameters, then the buffers.
fn needed(net: &Network) -> Vec<Needed> {
    let needed = net.tensors().into_iter().map(|tensor| Needed {
        name: tensor.name(),
        layer: format!(
            "layer {} `{}`",
            tensor.layer.position,
            tensor.layer.description()
        ),
        shape: tensor.tensor.shape,
        dtype: tensor.tensor.dtype,
    });
    needed.collect()
}

/// The element type and each tensor's byte offset in `bytes`, the file `written` (at `path`),
/// or every message about what does not fit.
pub fn check_bytes(
    written: &str,
    path: String,
    bytes: &[u8],
    net: &Network,
) -> Result<Weights, Vec<String>> {
    let (header, metadata) = SafeTensors::read_metadata(bytes)
        .map_err(|e| vec![format!("`{written}` is not a valid safetensors file: {e}")])?;
    architecture(written, &metadata, net)?;
    if is_int8(&metadata) {
        return check_int8(written, path, bytes, header, &metadata, net);
    }
    let mut messages = Vec::new();
    let mut scalar: Option<(Scalar, &str)> = None;
    let mut starts = Vec::new();
    let needed = needed(net);
    for need in &needed {
        let Some(info) = metadata.info(&need.name) else {
            messages.push(format!(
                "`{written}` has no tensor `{}`, which {} needs with shape {:?}",
                need.name, need.layer, need.shape
            ));
            continue;
        };
        if info.shape != need.shape {
            messages.push(format!(
                "tensor `{}` in `{written}` has shape {:?}, but {} needs {:?}",
                need.name, info.shape, need.layer, need.shape
            ));
        }
        if let Some(fixed) = need.dtype {
            if info.dtype.to_string() != fixed {
                messages.push(format!(
                    "tensor `{}` in `{written}` is {}, but {} keeps it as {fixed}",
                    need.name, info.dtype, need.layer
                ));
            }
            starts.push((need.name.clone(), 8 + header + info.data_offsets.0));
            continue;
        }
        match (element(info.dtype), scalar) {
            (None, _) => messages.push(format!(
                "tensor `{}` in `{written}` is {}; compiled-in weights are F32 or F64",
                need.name, info.dtype
            )),
            (Some(this), Some((first, name))) if this != first => messages.push(format!(
                "tensor `{}` in `{written}` is {}, but `{name}` is {first:?}; compiled-in \
                 weights share one element type",
                need.name, info.dtype
            )),
            (Some(this), None) => scalar = Some((this, &need.name)),
            _ => {}
        }
        starts.push((need.name.clone(), 8 + header + info.data_offsets.0));
    }
    for name in metadata.offset_keys() {
        if !needed.iter().any(|n| n.name == name) {
            messages.push(format!(
                "`{written}` has tensor `{name}`, which `{}` does not",
                net.name
            ));
        }
    }
    if !messages.is_empty() {
        return Err(messages);
    }
    Ok(Weights {
        path,
        // A network without parameters compiles in an empty file as f32.
        scalar: scalar.map_or(Scalar::F32, |(s, _)| s),
        offsets: starts,
        int8: false,
    })
}

/// The metadata key and value of an int8 network's file.
const FORMAT_KEY: &str = "liandan.format";

/// Whether the file is an int8 network's.
fn is_int8(metadata: &Metadata) -> bool {
    let format = metadata.metadata().as_ref().and_then(|m| m.get(FORMAT_KEY));
    format.is_some_and(|f| f == "int8")
}

/// The int8 file `written`: every tensor of the int8 network with its type and shape, no
/// other, and values an int8 network can hold (positive finite scales, int8 zero points,
/// kernels in `[-127, 127]`).
fn check_int8(
    written: &str,
    path: String,
    bytes: &[u8],
    header: usize,
    metadata: &Metadata,
    net: &Network,
) -> Result<Weights, Vec<String>> {
    let needed = crate::expand::int8_tensors(net)
        .map_err(|why| vec![format!("`{written}` is an int8 network, but {why}")])?;
    let mut messages = Vec::new();
    let mut starts = Vec::new();
    for (name, need) in &needed {
        let Some(info) = metadata.info(name) else {
            messages.push(format!(
                "`{written}` has no tensor `{name}`, which the int8 network needs as {} {:?}",
                need.dtype, need.shape
            ));
            continue;
        };
        if info.shape != need.shape || info.dtype.to_string() != need.dtype {
            messages.push(format!(
                "tensor `{name}` in `{written}` is {} {:?}, but the int8 network needs {} {:?}",
                info.dtype, info.shape, need.dtype, need.shape
            ));
            continue;
        }
        let (start, end) = info.data_offsets;
        let data = &bytes[8 + header + start..8 + header + end];
        if let Some(why) = int8_values(name, data) {
            messages.push(format!("tensor `{name}` in `{written}` {why}"));
        }
        starts.push((name.clone(), 8 + header + start));
    }
    for name in metadata.offset_keys() {
        if !needed.iter().any(|(n, _)| *n == name) {
            let msg = format!(
                "`{written}` has tensor `{name}`, which int8 `{}` does not",
                net.name
            );
            messages.push(msg);
        }
    }
    if !messages.is_empty() {
        return Err(messages);
    }
    Ok(Weights {
        path,
        scalar: Scalar::F32,
        offsets: starts,
        int8: true,
    })
}

/// What is wrong with an int8 tensor's values, by the kind its name says.
fn int8_values(name: &str, data: &[u8]) -> Option<String> {
    let words = || data.chunks_exact(4).map(|w| [w[0], w[1], w[2], w[3]]);
    if name.ends_with("scale") {
        let bad = words()
            .map(f32::from_le_bytes)
            .enumerate()
            .find(|(_, s)| !(s.is_finite() && *s > 0.0));
        return bad
            .map(|(i, s)| format!("holds {s} at element {i}; a scale is positive and finite"));
    }
    if name.ends_with("zero_point") {
        let bad = words()
            .map(i32::from_le_bytes)
            .find(|z| !(-128..=127).contains(z));
        return bad.map(|z| format!("is {z}; a zero point is an int8, in [-128, 127]"));
    }
    if name.ends_with("kernel") {
        let bad = data.iter().position(|&b| b as i8 == i8::MIN);
        return bad.map(|i| {
            format!("holds -128 at element {i}; int8 kernels are symmetric, in [-127, 127]")
        });
    }
    None
}

/// An architecture recorded in the file must be the network's.
fn architecture(written: &str, metadata: &Metadata, net: &Network) -> Result<(), Vec<String>> {
    let recorded = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(ARCHITECTURE_KEY));
    match recorded {
        Some(file) if *file != net.architecture() => Err(vec![format!(
            "`{written}` holds weights of `{file}`, but the network is `{}`",
            net.architecture()
        )]),
        _ => Ok(()),
    }
}

fn element(dtype: Dtype) -> Option<Scalar> {
    match dtype {
        Dtype::F32 => Some(Scalar::F32),
        Dtype::F64 => Some(Scalar::F64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `input: [4], Dense<3, Relu>, Dense<2, Softmax>`, resolved.
    fn net() -> Network {
        let decl: crate::ast::Network =
            syn::parse_str("struct Net { input: [4], Dense<3, Relu>, Dense<2, Softmax> }").unwrap();
        crate::check::check(&decl).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A safetensors file of `(name, dtype, shape)` tensors, zero-filled.
    fn file(tensors: &[(&str, &str, &[usize])]) -> Vec<u8> {
        let mut entries = Vec::new();
        let mut at = 0;
        for (name, dtype, shape) in tensors {
            let size = shape.iter().product::<usize>() * if *dtype == "F64" { 8 } else { 4 };
            entries.push(format!(
                r#""{name}":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[{at},{}]}}"#,
                at + size
            ));
            at += size;
        }
        let header = format!("{{{}}}", entries.join(","));
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.resize(bytes.len() + at, 0);
        bytes
    }

    const GOOD: [(&str, &str, &[usize]); 4] = [
        ("dense_1.kernel", "F32", &[4, 3]),
        ("dense_1.bias", "F32", &[3]),
        ("dense_2.kernel", "F32", &[3, 2]),
        ("dense_2.bias", "F32", &[2]),
    ];

    #[test]
    fn offsets_point_past_the_header_in_layer_order() {
        let bytes = file(&GOOD);
        let header = bytes.len() - (12 + 3 + 6 + 2) * 4;
        let w = check_bytes("w", String::new(), &bytes, &net()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(w.scalar, Scalar::F32);
        let offsets: Vec<usize> = w.offsets.iter().map(|(_, at)| *at).collect();
        assert_eq!(offsets, [header, header + 48, header + 60, header + 84]);
        assert_eq!(w.offsets[2].0, "dense_2.kernel");
    }

    #[test]
    fn every_mismatch_is_reported() {
        let bytes = file(&[
            ("dense_1.kernel", "F32", &[4, 5]),
            ("dense_1.bias", "F32", &[3]),
            ("dense_2.kernel", "F64", &[3, 2]),
            ("dense_3.bias", "F32", &[2]),
        ]);
        let errors = match check_bytes("w.st", String::new(), &bytes, &net()) {
            Err(errors) => errors,
            Ok(_) => panic!("accepted"),
        };
        assert_eq!(
            errors,
            [
                "tensor `dense_1.kernel` in `w.st` has shape [4, 5], but layer 1 `Dense<4 -> 3, Relu>` needs [4, 3]",
                "tensor `dense_2.kernel` in `w.st` is F64, but `dense_1.kernel` is F32; compiled-in weights share one element type",
                "`w.st` has no tensor `dense_2.bias`, which layer 2 `Dense<3 -> 2, Softmax>` needs with shape [2]",
                "`w.st` has tensor `dense_3.bias`, which `Net` does not",
            ]
        );
    }

    #[test]
    fn architecture_text_is_what_io_records() {
        assert_eq!(
            net().architecture(),
            "Net: input [4]; dense_1 Dense<4 -> 3, Relu>; dense_2 Dense<3 -> 2, Softmax>"
        );
    }
}
