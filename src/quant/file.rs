//! Int8 files: writing a quantised network's tensors, and loading an int8 network from a
//! file, checked tensor by tensor before anything is copied (`std`).

use std::boxed::Box;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use super::{Int8Network, Int8Tensor};
use crate::io::file::{self as io_file, File, Tensor};
use crate::io::{WeightsError, WeightsErrorKind, ARCHITECTURE_KEY};

/// The metadata key an int8 file records its format under, with the value `int8`.
pub const FORMAT_KEY: &str = "liandan.format";

/// The safetensors bytes of an int8 network's `tensors`, recording `architecture`.
pub(crate) fn encode(
    tensors: Vec<(String, Int8Tensor)>,
    architecture: &str,
) -> Result<Vec<u8>, WeightsError> {
    let tensors = tensors.into_iter().map(|(name, t)| {
        let dtype = match t.dtype {
            "I8" => safetensors::Dtype::I8,
            "I32" => safetensors::Dtype::I32,
            _ => safetensors::Dtype::F32,
        };
        let tensor = Tensor {
            dtype,
            shape: t.shape,
            bytes: t.bytes,
        };
        (name, tensor)
    });
    let metadata = [
        (FORMAT_KEY, "int8".to_string()),
        (ARCHITECTURE_KEY, architecture.to_string()),
    ];
    Ok(io_file::encode(tensors.collect(), &metadata)?)
}

/// The int8 network `N` in the int8 file at `path`.
pub fn load<N: Int8Network>(path: impl AsRef<Path>) -> Result<Box<N>, WeightsError> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|e| WeightsError::from(WeightsErrorKind::Read(e)).at(path))?;
    from_bytes(&bytes).map_err(|e| e.at(path))
}

/// The int8 network `N` in an int8 file's `bytes`: every tensor of `N::TENSORS` with its
/// type and shape and no other, the architecture (if recorded) `N`'s, and every value one an
/// int8 network can hold.
pub fn from_bytes<N: Int8Network>(bytes: &[u8]) -> Result<Box<N>, WeightsError> {
    let file = File::parse(bytes)?;
    if file.metadata(FORMAT_KEY) != Some("int8") {
        return Err(WeightsErrorKind::NotInt8.into());
    }
    if let Some(recorded) = file.metadata(ARCHITECTURE_KEY) {
        if recorded != N::ARCHITECTURE {
            return Err(WeightsErrorKind::Architecture {
                file: recorded.to_string(),
                network: N::ARCHITECTURE.to_string(),
            }
            .into());
        }
    }
    let mut at = Vec::with_capacity(N::TENSORS.len());
    for spec in N::TENSORS {
        let tensor = file
            .tensor(spec.name)
            .ok_or_else(|| WeightsErrorKind::Missing(spec.name.to_string()))?;
        if tensor.dtype.to_string() != spec.dtype {
            return Err(WeightsErrorKind::Dtype {
                tensor: spec.name.to_string(),
                file: tensor.dtype.to_string(),
                expected: spec.dtype,
            }
            .into());
        }
        if tensor.shape != spec.shape {
            return Err(WeightsErrorKind::Shape {
                tensor: spec.name.to_string(),
                file: tensor.shape.to_vec(),
                expected: spec.shape.to_vec(),
            }
            .into());
        }
        values(spec.name, tensor.bytes)?;
        // The tensor's bytes lie within `bytes` (the parse checked every range).
        at.push(tensor.bytes.as_ptr() as usize - bytes.as_ptr() as usize);
    }
    for name in file.names() {
        if !N::TENSORS.iter().any(|s| s.name == name) {
            return Err(WeightsErrorKind::Extra(name).into());
        }
    }
    let mut net = N::boxed();
    net.load(bytes, &at);
    Ok(net)
}

/// Rule: scales are positive and finite, zero points int8, kernels in `[-127, 127]`.
fn values(name: &str, data: &[u8]) -> Result<(), WeightsErrorKind> {
    let bad = |index, value: f64, rule| {
        Err(WeightsErrorKind::Int8Value {
            tensor: name.to_string(),
            index,
            value,
            rule,
        })
    };
    let words = data.chunks_exact(4).map(|w| [w[0], w[1], w[2], w[3]]);
    if name.ends_with("scale") {
        for (i, s) in words.map(f32::from_le_bytes).enumerate() {
            if !(s.is_finite() && s > 0.0) {
                return bad(i, s.into(), "a scale is positive and finite");
            }
        }
    } else if name.ends_with("zero_point") {
        for (i, z) in words.map(i32::from_le_bytes).enumerate() {
            if !(-128..=127).contains(&z) {
                return bad(i, z.into(), "a zero point is an int8, in [-128, 127]");
            }
        }
    } else if name.ends_with("kernel") {
        if let Some(i) = data.iter().position(|&b| b as i8 == i8::MIN) {
            return bad(i, -128.0, "int8 kernels are symmetric, in [-127, 127]");
        }
    }
    Ok(())
}
