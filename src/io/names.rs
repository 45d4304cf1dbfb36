//! The name and file shape of each parameter tensor, read off a [`Params`] type.

use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use crate::io::WeightsErrorKind;
use crate::layer::TensorInfo;
use crate::Params;

/// One tensor as it appears in a file: its name and its Keras-convention shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    /// `dense_1.kernel`.
    pub name: String,
    /// `[in, out]` for a kernel, `[out]` for a bias.
    pub shape: Vec<usize>,
}

impl Spec {
    /// Whether the tensor is a matrix, whose layout a [`Layout`](crate::io::Layout) may change.
    pub fn is_matrix(&self) -> bool {
        self.shape.len() == 2
    }

    /// The same tensor under `prefix.`: `optimizer.m.dense_1.kernel`.
    pub fn prefixed(&self, prefix: &str) -> Spec {
        Spec {
            name: format!("{prefix}.{}", self.name),
            shape: self.shape.clone(),
        }
    }
}

/// The specs of `P`'s tensors in order, or the first name that occurs twice.
pub(crate) fn specs<T, P: Params<T>>() -> Result<Vec<Spec>, WeightsErrorKind> {
    let infos: Vec<TensorInfo> = (0..P::TENSORS).filter_map(P::tensor_info).collect();
    let specs: Vec<Spec> = infos
        .iter()
        .zip(unnamed_layers(&infos))
        .map(|(info, k)| spec(info, k))
        .collect();
    reject_duplicates(&specs)?;
    Ok(specs)
}

/// `{layer}.{name}` with the Keras shape; a tensor of an unnamed layer is `layer_{k}.{name}`.
fn spec(info: &TensorInfo, k: usize) -> Spec {
    let name = match info.layer {
        "" => format!("layer_{k}.{}", info.name),
        layer => format!("{layer}.{}", info.name),
    };
    let shape = if info.vector {
        vec![info.shape[0]]
    } else {
        info.shape.to_vec()
    };
    Spec { name, shape }
}

/// For each tensor, the number (from 1) of the unnamed parameterised layer it belongs to.
///
/// The rule, stable because it depends only on the type: unnamed tensors are grouped in order,
/// and a new group starts at a tensor whose name already occurs in the current group. A bare
/// `Chain` of two `Dense` layers lists `kernel, bias, kernel, bias`, which gives `layer_1.kernel`,
/// `layer_1.bias`, `layer_2.kernel`, `layer_2.bias`. Layers without parameters are not counted.
fn unnamed_layers(infos: &[TensorInfo]) -> Vec<usize> {
    let mut k = 0;
    let mut group: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(infos.len());
    for info in infos {
        if k == 0 || group.contains(&info.name) {
            k += 1;
            group.clear();
        }
        group.push(info.name);
        out.push(k);
    }
    out
}

/// Two tensors with one name would make a file that cannot be read back; refuse to write it.
///
/// It happens when a network nests another: both inner `dense_1.kernel` and `dense_2.kernel`
/// become `block_1.kernel`.
fn reject_duplicates(specs: &[Spec]) -> Result<(), WeightsErrorKind> {
    for (i, spec) in specs.iter().enumerate() {
        if specs[..i].iter().any(|s| s.name == spec.name) {
            return Err(WeightsErrorKind::DuplicateName(spec.name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Relu;
    use crate::layers::{Chain, Dense};

    #[test]
    fn bare_layers_are_numbered_from_one() {
        type Net = Chain<Dense<f32, 4, 5, Relu>, Dense<f32, 5, 3>>;
        let names: Vec<String> = specs::<f32, Net>()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "layer_1.kernel",
                "layer_1.bias",
                "layer_2.kernel",
                "layer_2.bias"
            ]
        );
    }

    #[test]
    fn kernels_are_in_out_and_biases_one_dimensional() {
        let s = specs::<f64, Dense<f64, 4, 5>>().unwrap();
        assert_eq!(s[0].shape, [4, 5]);
        assert_eq!(s[1].shape, [5]);
    }

    #[test]
    fn duplicate_names_are_refused() {
        let s = [Spec {
            name: "a.kernel".into(),
            shape: vec![1],
        }];
        let twice = [s[0].clone(), s[0].clone()];
        assert!(matches!(
            reject_duplicates(&twice),
            Err(WeightsErrorKind::DuplicateName(n)) if n == "a.kernel"
        ));
    }
}
