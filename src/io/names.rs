//! The name and file shape of each tensor, read off a [`Params`] or [`Buffers`] type.

use std::format;
use std::string::String;

use std::vec::Vec;

use crate::io::{Layout, WeightsErrorKind};
use crate::layer::TensorInfo;
use crate::{Buffers, Params};

/// One tensor as it appears in a file: its name, its Keras-convention shape and PyTorch's
/// order of its axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    /// `dense_1.kernel`.
    pub name: String,
    /// `[in, out]` for a dense kernel, `[out]` for a bias: the order liandan stores it in.
    pub shape: Vec<usize>,
    /// PyTorch's axis `k` is Keras' axis `torch[k]` (see [`TensorInfo::torch`]).
    pub torch: Vec<usize>,
    /// Whether a negative value is refused on load (see [`TensorInfo::non_negative`]).
    pub non_negative: bool,
}

impl Spec {
    /// The same tensor under `prefix.`: `optimizer.m.dense_1.kernel`.
    pub fn prefixed(&self, prefix: &str) -> Spec {
        Spec {
            name: format!("{prefix}.{}", self.name),
            ..self.clone()
        }
    }

    /// The shape the tensor has in a file of `layout`: a PyTorch dense kernel is `(out, in)`.
    pub fn file_shape(&self, layout: Layout) -> Vec<usize> {
        match layout {
            Layout::Keras => self.shape.clone(),
            Layout::PyTorch => self.torch.iter().map(|&axis| self.shape[axis]).collect(),
        }
    }

    /// Where value `index` of the tensor (row-major in Keras' shape) is in a file of `layout`.
    pub fn file_index(&self, index: usize, layout: Layout) -> usize {
        if layout == Layout::Keras || self.torch.iter().enumerate().all(|(k, &a)| k == a) {
            return index;
        }
        // The Keras multi-index, then the same position read row-major over PyTorch's axes.
        let mut at = [0usize; 8];
        let mut rest = index;
        for (axis, &dim) in self.shape.iter().enumerate().rev() {
            at[axis] = rest % dim.max(1);
            rest /= dim.max(1);
        }
        let torch = self.torch.iter().map(|&axis| (at[axis], self.shape[axis]));
        torch.fold(0, |file, (i, dim)| file * dim + i)
    }
}

/// The specs of `P`'s parameters in order, or the first name that occurs twice.
pub(crate) fn specs<T, P: Params<T>>() -> Result<Vec<Spec>, WeightsErrorKind> {
    named((0..P::TENSORS).filter_map(P::tensor_info).collect())
}

/// The specs of `P`'s buffers in order, or the first name that occurs twice.
pub(crate) fn buffer_specs<P: Buffers>() -> Result<Vec<Spec>, WeightsErrorKind> {
    named((0..P::BUFFERS).filter_map(P::buffer_info).collect())
}

/// The specs of tensors described by `infos`, unnamed layers numbered; refused if a
/// description fails [`TensorInfo::check`] or a name occurs twice.
fn named(infos: Vec<TensorInfo>) -> Result<Vec<Spec>, WeightsErrorKind> {
    let specs: Vec<Spec> = infos
        .iter()
        .zip(unnamed_layers(&infos))
        .map(|(info, k)| spec(info, k))
        .collect();
    for (info, spec) in infos.iter().zip(&specs) {
        info.check()
            .map_err(|source| WeightsErrorKind::TensorInfo {
                tensor: spec.name.clone(),
                source,
            })?;
    }
    reject_duplicates(&specs)?;
    Ok(specs)
}

/// `{layer}.{name}` with the Keras shape; a tensor of the `k`-th unnamed layer of its kind is
/// `{kind}_{k}.{name}` (`dense_2.kernel`), or `layer_{k}.{name}` for a layer of no kind.
fn spec(info: &TensorInfo, k: usize) -> Spec {
    let name = match (info.layer, info.kind) {
        ("", "") => format!("layer_{k}.{}", info.name),
        ("", kind) => format!("{kind}_{k}.{}", info.name),
        (layer, _) => format!("{layer}.{}", info.name),
    };
    Spec {
        name,
        shape: info.shape.to_vec(),
        torch: info.torch.to_vec(),
        non_negative: info.non_negative,
    }
}

/// For each tensor of an unnamed layer, the number (from 1) of that layer among the unnamed
/// layers of its [`kind`](TensorInfo::kind); 0 for a tensor of a named layer.
///
/// The rule, stable because it depends only on the type: the unnamed tensors of each kind are
/// grouped in order, and a new group starts at a tensor whose name already occurs in the
/// current group. A bare `Chain` of two `Dense` layers lists `kernel, bias, kernel, bias`, which
/// gives `dense_1.kernel`, `dense_1.bias`, `dense_2.kernel`, `dense_2.bias`. Layers of other
/// kinds, with tensors or without, do not count, so the parameters and the buffers (listed
/// apart) number a layer alike, as Keras and `network!` name it.
fn unnamed_layers(infos: &[TensorInfo]) -> Vec<usize> {
    // Per kind: its last number and the names of its current group.
    let mut kinds: Vec<(&str, usize, Vec<&str>)> = Vec::new();
    let mut out = Vec::with_capacity(infos.len());
    for info in infos.iter() {
        if !info.layer.is_empty() {
            out.push(0);
            continue;
        }
        let at = match kinds.iter().position(|(kind, ..)| *kind == info.kind) {
            Some(at) => at,
            None => {
                kinds.push((info.kind, 0, Vec::new()));
                kinds.len() - 1
            }
        };
        let (_, k, group) = &mut kinds[at];
        if *k == 0 || group.contains(&info.name) {
            *k += 1;
            group.clear();
        }
        group.push(info.name);
        out.push(*k);
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
    use std::vec;

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
                "dense_1.kernel",
                "dense_1.bias",
                "dense_2.kernel",
                "dense_2.bias"
            ]
        );
    }

    /// A bare chain of a `Normalization` and two `Dense` layers, and the network `network!`
    /// makes of the same layers, name every tensor alike: parameters and buffers numbered by
    /// layer kind, as Keras names layers (not `layer_1` for both the statistics and a kernel).
    #[test]
    fn parameters_and_buffers_of_bare_layers_are_numbered_alike_and_as_network_names_them() {
        use crate::layers::{Chain, Normalization};
        use crate::shape::Flat;
        type Bare =
            Chain<Normalization<f32, Flat<4>, 4>, Chain<Dense<f32, 4, 5, Relu>, Dense<f32, 5, 3>>>;
        crate::network! {
            struct Declared { input: [4], Normalization, Dense<5, Relu>, Dense<3> }
        }
        let names = |specs: Vec<Spec>| specs.into_iter().map(|s| s.name).collect::<Vec<_>>();
        let params = [
            "dense_1.kernel",
            "dense_1.bias",
            "dense_2.kernel",
            "dense_2.bias",
        ];
        let buffers = [
            "normalization_1.mean",
            "normalization_1.variance",
            "normalization_1.count",
        ];
        assert_eq!(names(specs::<f32, Bare>().unwrap()), params);
        assert_eq!(names(buffer_specs::<Bare>().unwrap()), buffers);
        assert_eq!(names(specs::<f32, Declared<f32>>().unwrap()), params);
        assert_eq!(names(buffer_specs::<Declared<f32>>().unwrap()), buffers);
    }

    /// Saved from the bare chain, loaded into the declared network, and back: the same names.
    #[test]
    fn a_bare_chain_and_its_declared_network_read_each_others_files() {
        use crate::io::{params_from_bytes, params_to_bytes, LoadOptions};
        use crate::layers::{Chain, Normalization};
        use crate::shape::Flat;
        use crate::Zeroed;
        crate::network! {
            struct Declared { input: [2], Normalization, Dense<3> }
        }
        type Bare = Chain<Normalization<f64, Flat<2>, 2>, Dense<f64, 2, 3>>;
        let mut bare = Bare::zeroed();
        bare.first.adapt(&[1.0, 2.0, 3.0, 6.0]).unwrap();
        bare.second.bias[2] = 0.25;
        let options = LoadOptions::default();
        let mut declared = Declared::<f64>::zeroed();
        params_from_bytes(&mut declared, &params_to_bytes(&bare).unwrap(), &options).unwrap();
        assert_eq!(declared.normalization_1, bare.first);
        assert_eq!(declared.dense_1, bare.second);
        let mut back = Bare::zeroed();
        params_from_bytes(&mut back, &params_to_bytes(&declared).unwrap(), &options).unwrap();
        assert_eq!(back, bare);
    }

    #[test]
    fn kernels_are_in_out_and_biases_one_dimensional() {
        let s = specs::<f64, Dense<f64, 4, 5>>().unwrap();
        assert_eq!(s[0].shape, [4, 5]);
        assert_eq!(s[1].shape, [5]);
    }

    #[test]
    fn pytorch_orders_axes_as_the_tensor_says() {
        let kernel = &specs::<f64, Dense<f64, 4, 5>>().unwrap()[0];
        assert_eq!(kernel.file_shape(Layout::PyTorch), [5, 4]);
        // Keras (i, o) = (1, 2) is index 1·5 + 2; PyTorch's (o, i) = (2, 1) is 2·4 + 1.
        assert_eq!(kernel.file_index(7, Layout::PyTorch), 9);
        assert_eq!(kernel.file_index(7, Layout::Keras), 7);
        // A convolution kernel: Keras (kh, kw, c, f), PyTorch (f, c, kh, kw).
        let conv = Spec {
            name: "conv_1.kernel".into(),
            shape: vec![3, 3, 2, 4],
            torch: vec![3, 2, 0, 1],
            non_negative: false,
        };
        assert_eq!(conv.file_shape(Layout::PyTorch), [4, 2, 3, 3]);
        // Keras (1, 2, 1, 3) = ((1·3 + 2)·2 + 1)·4 + 3 = 47; PyTorch (3, 1, 1, 2) = 65.
        assert_eq!(
            conv.file_index(47, Layout::PyTorch),
            ((3 * 2 + 1) * 3 + 1) * 3 + 2
        );
    }

    /// A layer whose descriptions cannot be used: nine axes, or a PyTorch order naming an
    /// axis twice.
    struct Odd;

    impl Params<f32> for Odd {
        const TENSORS: usize = 2;
        const PARAMS: usize = 2;
        fn tensor(&self, _: usize) -> &[f32] {
            &[]
        }
        fn tensor_mut(&mut self, _: usize) -> &mut [f32] {
            &mut []
        }
        fn tensor_info(i: usize) -> Option<TensorInfo> {
            match i {
                0 => Some(TensorInfo::new("deep", &[1; 9])),
                1 => Some(TensorInfo::new("twice", &[2, 1]).torch(&[0, 0])),
                _ => None,
            }
        }
    }

    #[test]
    fn descriptions_that_fail_their_check_are_errors() {
        let err = specs::<f32, Odd>().unwrap_err();
        assert!(matches!(
            err,
            WeightsErrorKind::TensorInfo { ref tensor, source: crate::TensorInfoError::Rank { rank: 9, max: 8 } }
                if tensor == "layer_1.deep"
        ));
        let infos = vec![TensorInfo::new("twice", &[2, 1]).torch(&[0, 0])];
        let err = named(infos).unwrap_err();
        assert_eq!(
            std::string::ToString::to_string(&err),
            "tensor `layer_1.twice` cannot be described in a file: PyTorch's axis order is not \
             a permutation of the 2 axes"
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let s = [Spec {
            name: "a.kernel".into(),
            shape: vec![1],
            torch: vec![0],
            non_negative: false,
        }];
        let twice = [s[0].clone(), s[0].clone()];
        assert!(matches!(
            reject_duplicates(&twice),
            Err(WeightsErrorKind::DuplicateName(n)) if n == "a.kernel"
        ));
    }
}
