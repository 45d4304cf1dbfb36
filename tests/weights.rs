//! Weight files through the public API: round trips, the file's layout, and every error, each
//! leaving the network as it was.

mod common;

use std::path::Path;

use common::{bits, f32_bytes, f64_bytes, handmade, scratch, tiny, with_header, TanhTiny, Tiny};
use liandan::io::{
    architecture, load_params, load_weights, load_weights_with, params_from_bytes, params_to_bytes,
    save_params, save_weights, Layout, LoadOptions, WeightsError, WeightsErrorKind,
};
use liandan::layers::{Chain, Dense};
use liandan::prelude::*;

/// `Tiny`'s four tensors as a Keras-layout file, `f32`, without metadata.
fn keras_file(net: &Tiny<f32>) -> Vec<u8> {
    handmade(
        &[
            (
                "dense_1.kernel",
                "F32",
                &[4, 5],
                f32_bytes(net.dense_1.kernel.as_slice()),
            ),
            (
                "dense_1.bias",
                "F32",
                &[5],
                f32_bytes(net.dense_1.bias.as_slice()),
            ),
            (
                "dense_2.kernel",
                "F32",
                &[5, 3],
                f32_bytes(net.dense_2.kernel.as_slice()),
            ),
            (
                "dense_2.bias",
                "F32",
                &[3],
                f32_bytes(net.dense_2.bias.as_slice()),
            ),
        ],
        None,
    )
}

/// Writes `bytes` to a file, loads it into a seeded `Tiny<f32>`, checks the network did not
/// change, and returns the error.
fn load_fails(test: &str, bytes: &[u8]) -> WeightsError {
    let path = scratch(test).join("w.safetensors");
    std::fs::write(&path, bytes).unwrap();
    fails_unchanged(&path, &LoadOptions::default())
}

/// Loads `path` into a seeded `Tiny<f32>` expecting an error that names the file, and checks
/// the network is unchanged.
fn fails_unchanged(path: &Path, options: &LoadOptions) -> WeightsError {
    let mut net = tiny::<f32>(7);
    let before = net.clone();
    let err = load_weights_with(&mut net, path, options).unwrap_err();
    assert_eq!(net, before, "a failed load changed the network");
    assert_eq!(err.path(), Some(path));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("`{}`: ", path.display())),
        "{text}"
    );
    std::println!("{text}");
    err
}

#[test]
fn f32_round_trip_is_bit_for_bit() {
    let path = scratch("f32_round_trip").join("tiny.safetensors");
    let net = tiny::<f32>(1);
    save_weights(&net, &path).unwrap();
    let mut back = Tiny::<f32>::zeroed();
    load_weights(&mut back, &path).unwrap();
    assert_eq!(bits(&back), bits(&net));
}

#[test]
fn f64_round_trip_is_bit_for_bit() {
    let path = scratch("f64_round_trip").join("tiny.safetensors");
    let net = tiny::<f64>(2);
    save_weights(&net, &path).unwrap();
    let mut back = Tiny::<f64>::zeroed();
    load_weights(&mut back, &path).unwrap();
    assert_eq!(bits(&back), bits(&net));
}

#[test]
fn file_has_keras_names_shapes_and_metadata() {
    let path = scratch("layout").join("tiny.safetensors");
    let net = tiny::<f32>(3);
    save_weights(&net, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(
        n % 8,
        0,
        "the header is padded to 8 bytes, as the reference writer does"
    );
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    for part in [
        r#""dense_1.kernel":{"dtype":"F32","shape":[4,5]"#,
        r#""dense_1.bias":{"dtype":"F32","shape":[5]"#,
        r#""dense_2.kernel":{"dtype":"F32","shape":[5,3]"#,
        r#""dense_2.bias":{"dtype":"F32","shape":[3]"#,
        r#""liandan.scalar":"f32""#,
        r#""liandan.architecture":"Tiny: input [4]; dense_1 Dense<4 -> 5, Relu>; dense_2 Dense<5 -> 3, Softmax>""#,
    ] {
        assert!(header.contains(part), "{part} not in {header}");
    }
    // The kernel's bytes are the column-major O×I matrix, i.e. Keras' row-major (in, out).
    let kernel = f32_bytes(net.dense_1.kernel.as_slice());
    assert!(bytes.windows(kernel.len()).any(|w| w == kernel.as_slice()));
}

#[test]
fn architecture_is_one_stable_line() {
    assert_eq!(
        architecture::<Tiny<f32>>(),
        "Tiny: input [4]; dense_1 Dense<4 -> 5, Relu>; dense_2 Dense<5 -> 3, Softmax>"
    );
}

#[test]
fn bare_layers_are_named_by_kind_as_keras_names_them() {
    let dir = scratch("bare");
    let chain = Chain::new(
        Dense::<f64, 2, 3, Relu>::zeroed(),
        Dense::<f64, 3, 1>::zeroed(),
    );
    let mut chain = chain;
    chain.second.bias[0] = 4.5;
    save_params(&chain, dir.join("c.safetensors")).unwrap();
    let bytes = std::fs::read(dir.join("c.safetensors")).unwrap();
    let header = String::from_utf8_lossy(&bytes);
    for name in [
        "dense_1.kernel",
        "dense_1.bias",
        "dense_2.kernel",
        "dense_2.bias",
    ] {
        assert!(header.contains(name), "{name}");
    }
    let mut back = chain.clone();
    back.second.bias[0] = 0.0;
    load_params(&mut back, dir.join("c.safetensors")).unwrap();
    assert_eq!(back, chain);
}

#[test]
fn files_without_metadata_are_accepted_when_every_tensor_fits() {
    let net = tiny::<f32>(4);
    let mut back = Tiny::<f32>::zeroed();
    let path = scratch("no_metadata").join("w.safetensors");
    std::fs::write(&path, keras_file(&net)).unwrap();
    load_weights(&mut back, &path).unwrap();
    assert_eq!(back, net);
}

#[test]
fn pytorch_layout_is_transposed_on_load() {
    let net = tiny::<f32>(5);
    // PyTorch's nn.Linear.weight is (out, in) row-major: liandan's O×I kernel read row by row.
    let torch = |k: &[f32], o: usize, i: usize| -> Vec<f32> {
        (0..o * i).map(|j| k[(j / i) + (j % i) * o]).collect()
    };
    let bytes = handmade(
        &[
            (
                "dense_1.kernel",
                "F32",
                &[5, 4],
                f32_bytes(&torch(net.dense_1.kernel.as_slice(), 5, 4)),
            ),
            (
                "dense_1.bias",
                "F32",
                &[5],
                f32_bytes(net.dense_1.bias.as_slice()),
            ),
            (
                "dense_2.kernel",
                "F32",
                &[3, 5],
                f32_bytes(&torch(net.dense_2.kernel.as_slice(), 3, 5)),
            ),
            (
                "dense_2.bias",
                "F32",
                &[3],
                f32_bytes(net.dense_2.bias.as_slice()),
            ),
        ],
        Some(r#"{"format":"pt"}"#),
    );
    let path = scratch("pytorch").join("w.safetensors");
    std::fs::write(&path, &bytes).unwrap();
    let mut back = Tiny::<f32>::zeroed();
    let pytorch = LoadOptions::default().layout(Layout::PyTorch);
    load_weights_with(&mut back, &path, &pytorch).unwrap();
    assert_eq!(back, net);
    // The same file read as Keras layout does not fit: shapes are checked either way.
    let err = fails_unchanged(&path, &LoadOptions::default());
    assert!(
        matches!(err.kind(), WeightsErrorKind::Shape { tensor, file, expected }
        if tensor == "dense_1.kernel" && *file == [5, 4] && *expected == [4, 5])
    );
    // And a Keras file read as PyTorch layout neither.
    std::fs::write(&path, keras_file(&net)).unwrap();
    let err = fails_unchanged(&path, &pytorch);
    assert!(
        matches!(err.kind(), WeightsErrorKind::Shape { file, expected, .. }
        if *file == [4, 5] && *expected == [5, 4])
    );
}

#[test]
fn f64_file_into_f32_network_needs_the_converting_load() {
    let dir = scratch("convert");
    let wide = tiny::<f64>(6);
    save_weights(&wide, dir.join("w.safetensors")).unwrap();
    let err = fails_unchanged(&dir.join("w.safetensors"), &LoadOptions::default());
    assert!(
        matches!(err.kind(), WeightsErrorKind::Dtype { tensor, file, expected }
        if tensor == "dense_1.kernel" && file == "F64" && *expected == "F32")
    );
    assert!(err.to_string().contains("LoadOptions::converting()"));

    let mut narrow = Tiny::<f32>::zeroed();
    let converting = LoadOptions::default().converting();
    load_weights_with(&mut narrow, dir.join("w.safetensors"), &converting).unwrap();
    for i in 0..4 {
        let want: Vec<f32> = wide.tensor(i).iter().map(|&x| x as f32).collect();
        assert_eq!(narrow.tensor(i), want.as_slice());
    }
}

#[test]
fn f32_file_into_f64_network_needs_the_converting_load() {
    let bytes = params_to_bytes(&tiny::<f32>(8)).unwrap();
    let mut wide = Tiny::<f64>::zeroed();
    let err = params_from_bytes(&mut wide, &bytes, &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(err.kind(), WeightsErrorKind::Dtype { file, expected, .. }
        if file == "F32" && *expected == "F64")
    );
    assert_eq!(wide, Tiny::<f64>::zeroed());
    params_from_bytes(&mut wide, &bytes, &LoadOptions::default().converting()).unwrap();
    assert_eq!(wide.dense_2.bias[1], 0.3f32 as f64);
}

#[test]
fn missing_file() {
    let path = scratch("missing_file").join("nowhere.safetensors");
    let err = fails_unchanged(&path, &LoadOptions::default());
    assert!(
        matches!(err.kind(), WeightsErrorKind::Read(e) if e.kind() == std::io::ErrorKind::NotFound)
    );
}

#[test]
fn truncated_header_length() {
    let err = load_fails("truncated_length", &[16, 0, 0]);
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::TruncatedHeader { len: 3, needed: 8 }
    ));
}

#[test]
fn truncated_header() {
    let file = keras_file(&tiny(9));
    let err = load_fails("truncated_header", &file[..40]);
    let n = u64::from_le_bytes(file[..8].try_into().unwrap());
    assert!(
        matches!(err.kind(), WeightsErrorKind::TruncatedHeader { len: 40, needed } if *needed == n + 8)
    );
}

#[test]
fn header_that_is_not_text() {
    let mut file = with_header("{\"a?\":1}", &[]);
    file[11] = 0xff; // the `?`: a byte that is not UTF-8
    let err = load_fails("not_text", &file);
    assert!(matches!(err.kind(), WeightsErrorKind::CorruptHeader(_)));
}

#[test]
fn bad_json() {
    let err = load_fails("bad_json", &with_header("{\"dense_1.kernel\": [", &[]));
    assert!(matches!(err.kind(), WeightsErrorKind::Json(_)));
    let err = load_fails(
        "bad_dtype",
        &handmade(&[("x", "F33", &[1], vec![0; 4])], None),
    );
    assert!(matches!(err.kind(), WeightsErrorKind::Json(_)));
}

#[test]
fn truncated_data() {
    let file = keras_file(&tiny(10));
    let err = load_fails("truncated_data", &file[..file.len() - 4]);
    assert!(matches!(err.kind(), WeightsErrorKind::DataLength { .. }));
}

#[test]
fn offsets_out_of_range() {
    let header = r#"{"dense_1.bias":{"dtype":"F32","shape":[5],"data_offsets":[0,20]},"dense_2.bias":{"dtype":"F32","shape":[3],"data_offsets":[20,32]}}"#;
    let err = load_fails("out_of_range", &with_header(header, &[0; 24]));
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::DataLength { data: 24 }
    ));
}

#[test]
fn overlapping_offsets() {
    let header = r#"{"dense_1.bias":{"dtype":"F32","shape":[5],"data_offsets":[0,20]},"dense_2.bias":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}"#;
    let err = load_fails("overlap", &with_header(header, &[0; 20]));
    assert!(matches!(err.kind(), WeightsErrorKind::Offsets { tensor } if tensor == "dense_2.bias"));
}

#[test]
fn offsets_that_do_not_match_the_shape() {
    let header = r#"{"dense_1.bias":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}}"#;
    let err = load_fails("size", &with_header(header, &[0; 16]));
    assert!(matches!(err.kind(), WeightsErrorKind::TensorSize));
}

#[test]
fn missing_tensor_is_named() {
    let net = tiny::<f32>(11);
    let bytes = handmade(
        &[
            (
                "dense_1.kernel",
                "F32",
                &[4, 5],
                f32_bytes(net.dense_1.kernel.as_slice()),
            ),
            (
                "dense_1.bias",
                "F32",
                &[5],
                f32_bytes(net.dense_1.bias.as_slice()),
            ),
            (
                "dense_2.kernel",
                "F32",
                &[5, 3],
                f32_bytes(net.dense_2.kernel.as_slice()),
            ),
        ],
        None,
    );
    let err = load_fails("missing_tensor", &bytes);
    assert!(matches!(err.kind(), WeightsErrorKind::Missing(n) if n == "dense_2.bias"));
    assert_eq!(
        err.kind().to_string(),
        "tensor `dense_2.bias` is missing from the file"
    );
}

#[test]
fn extra_tensor_is_named() {
    let net = tiny::<f32>(12);
    let mut tensors = vec![
        (
            "dense_1.kernel",
            "F32",
            &[4usize, 5][..],
            f32_bytes(net.dense_1.kernel.as_slice()),
        ),
        (
            "dense_1.bias",
            "F32",
            &[5][..],
            f32_bytes(net.dense_1.bias.as_slice()),
        ),
        (
            "dense_2.kernel",
            "F32",
            &[5, 3][..],
            f32_bytes(net.dense_2.kernel.as_slice()),
        ),
        (
            "dense_2.bias",
            "F32",
            &[3][..],
            f32_bytes(net.dense_2.bias.as_slice()),
        ),
    ];
    tensors.push(("dense_3.bias", "F32", &[2][..], f32_bytes(&[1.0, 2.0])));
    let err = load_fails("extra_tensor", &handmade(&tensors, None));
    assert!(matches!(err.kind(), WeightsErrorKind::Extra(n) if n == "dense_3.bias"));
}

#[test]
fn wrong_shape_names_the_tensor_and_both_shapes() {
    let bytes = handmade(
        &[
            ("dense_1.kernel", "F32", &[4, 5], vec![0; 80]),
            ("dense_1.bias", "F32", &[5], vec![0; 20]),
            ("dense_2.kernel", "F32", &[15], vec![0; 60]),
            ("dense_2.bias", "F32", &[3], vec![0; 12]),
        ],
        None,
    );
    let err = load_fails("wrong_shape", &bytes);
    assert_eq!(
        err.kind().to_string(),
        "tensor `dense_2.kernel` has shape [15] in the file, but the network needs [5, 3]"
    );
}

#[test]
fn wrong_dtype_names_both() {
    let bytes = handmade(
        &[
            ("dense_1.kernel", "F16", &[4, 5], vec![0; 40]),
            ("dense_1.bias", "F32", &[5], vec![0; 20]),
            ("dense_2.kernel", "F32", &[5, 3], vec![0; 60]),
            ("dense_2.bias", "F32", &[3], vec![0; 12]),
        ],
        None,
    );
    let err = load_fails("wrong_dtype", &bytes);
    assert_eq!(
        err.kind().to_string(),
        "tensor `dense_1.kernel` is F16 in the file, but the network is F32"
    );
    let path = scratch("wrong_dtype_convert").join("w.safetensors");
    std::fs::write(&path, &bytes).unwrap();
    let err = fails_unchanged(&path, &LoadOptions::default().converting());
    assert!(matches!(err.kind(), WeightsErrorKind::Dtype { file, .. } if file == "F16"));
}

#[test]
fn another_architecture_is_refused_naming_both() {
    let dir = scratch("architecture");
    save_weights(&TanhTiny::<f32>::zeroed(), dir.join("tanh.safetensors")).unwrap();
    let err = fails_unchanged(&dir.join("tanh.safetensors"), &LoadOptions::default());
    assert!(
        matches!(err.kind(), WeightsErrorKind::Architecture { file, network }
        if file.contains("Dense<4 -> 5, Tanh>") && network.contains("Dense<4 -> 5, Relu>"))
    );
    // The plain Params load does not look at the architecture: every tensor fits.
    let mut net = tiny::<f32>(13);
    load_params(&mut net, dir.join("tanh.safetensors")).unwrap();
    assert_eq!(net, Tiny::<f32>::zeroed());
}

/// Two layers both claiming the name `dense_1`, as a nested network would produce.
#[derive(Clone, Debug, PartialEq)]
struct Clash {
    a: Dense<f32, 2, 2>,
    b: Dense<f32, 2, 2>,
}

impl Params<f32> for Clash {
    const TENSORS: usize = 4;
    const PARAMS: usize = 12;
    fn tensor(&self, i: usize) -> &[f32] {
        if i < 2 {
            self.a.tensor(i)
        } else {
            self.b.tensor(i - 2)
        }
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [f32] {
        if i < 2 {
            self.a.tensor_mut(i)
        } else {
            self.b.tensor_mut(i - 2)
        }
    }
    fn tensor_info(i: usize) -> Option<liandan::TensorInfo> {
        <Dense<f32, 2, 2> as Params<f32>>::tensor_info(i % 2).map(|t| t.in_layer("dense_1"))
    }
}

/// No non-trainable tensors.
impl liandan::Buffers for Clash {}

#[test]
fn duplicate_names_are_refused_not_written() {
    let dir = scratch("duplicate");
    let clash = Clash {
        a: Dense::zeroed(),
        b: Dense::zeroed(),
    };
    let err = save_params(&clash, dir.join("c.safetensors")).unwrap_err();
    assert!(matches!(err.kind(), WeightsErrorKind::DuplicateName(n) if n == "dense_1.kernel"));
    assert!(!dir.join("c.safetensors").exists());
    let mut clash = clash;
    let err = params_from_bytes(&mut clash, &keras_file(&tiny(1)), &LoadOptions::default());
    assert!(matches!(
        err.unwrap_err().kind(),
        WeightsErrorKind::DuplicateName(_)
    ));
}

#[test]
fn failed_save_reports_the_path() {
    let path = scratch("unwritable")
        .join("no_such_dir")
        .join("w.safetensors");
    let err = save_weights(&tiny::<f32>(1), &path).unwrap_err();
    assert!(matches!(err.kind(), WeightsErrorKind::Write(_)));
    assert_eq!(err.path(), Some(path.as_path()));
}

#[test]
fn f64_bytes_helper_matches_the_writer() {
    let mut d = Dense::<f64, 1, 1>::zeroed();
    d.kernel[0] = 0.25;
    let bytes = params_to_bytes(&d).unwrap();
    assert!(bytes.windows(8).any(|w| w == f64_bytes(&[0.25]).as_slice()));
}

/// Eight `U8` tensors of 2⁶¹ - 1 bytes each, laid end to end, and no data: their offsets end at
/// 2⁶⁴ - 8, so adding the 8-byte length and the header passes `u64::MAX`.
fn offsets_past_u64_max() -> Vec<u8> {
    let size = (1u64 << 61) - 1;
    let entries: Vec<String> = (0..8)
        .map(|k| {
            let (start, end) = (k * size, (k + 1) * size);
            format!(
                "\"t{k}\":{{\"dtype\":\"U8\",\"shape\":[{size}],\"data_offsets\":[{start},{end}]}}"
            )
        })
        .collect();
    with_header(&format!("{{{}}}", entries.join(",")), &[])
}

#[test]
fn offsets_adding_past_u64_max_are_a_data_length_error_not_an_overflow() {
    let bytes = offsets_past_u64_max();
    let err = load_fails("past_u64_max", &bytes);
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::DataLength { data: 0 }
    ));
    let path = scratch("past_u64_max_params").join("w.safetensors");
    std::fs::write(&path, &bytes).unwrap();
    let mut net = tiny::<f32>(7);
    let err = load_params(&mut net, &path).unwrap_err();
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::DataLength { data: 0 }
    ));
    let err = params_from_bytes(&mut net, &bytes, &LoadOptions::default()).unwrap_err();
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::DataLength { data: 0 }
    ));
    assert_eq!(net, tiny::<f32>(7));
}

#[test]
fn a_tensor_named_twice_in_the_file_is_named() {
    // The reference reader keeps the second `dense_1.bias` and then sees a gap before
    // `dense_1.kernel`; the name is what is wrong.
    let header = [
        r#"{"dense_1.bias":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}"#,
        r#""dense_1.kernel":{"dtype":"F32","shape":[4,5],"data_offsets":[20,100]}"#,
        r#""dense_1.bias":{"dtype":"F32","shape":[5],"data_offsets":[100,120]}}"#,
    ]
    .join(",");
    let err = load_fails("named_twice", &with_header(&header, &[0; 120]));
    assert!(matches!(err.kind(), WeightsErrorKind::DuplicateName(n) if n == "dense_1.bias"));
    assert_eq!(
        err.kind().to_string(),
        "two tensors are both named `dense_1.bias`"
    );
}

#[test]
fn a_file_that_goes_on_is_read_no_further_than_the_network_takes() {
    let mut bytes = keras_file(&tiny(14));
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    bytes.extend_from_slice(&vec![0; 1 << 20]);
    let err = load_fails("goes_on", &bytes);
    // `Tiny` has 43 values: 344 bytes at 8 bytes each, the widest element type read.
    assert!(
        matches!(err.kind(), WeightsErrorKind::FileTooLarge { header: h, data: 344 } if *h == header)
    );
    assert!(err.to_string().contains(&format!(
        "the file is larger than {} bytes",
        8 + header + 344
    )));
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_after_a_few_hundred_bytes() {
    let path = Path::new("/dev/zero");
    let err = fails_unchanged(path, &LoadOptions::default());
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::FileTooLarge {
            header: 0,
            data: 344
        }
    ));
    let mut net = tiny::<f32>(7);
    let err = load_params(&mut net, path).unwrap_err();
    assert!(matches!(err.kind(), WeightsErrorKind::FileTooLarge { .. }));
}

network! {
    /// `Tiny` with 50 hidden units: a file of 403 values, more than `Tiny`'s 43 at 8 bytes.
    struct Wide {
        input: [4],
        Dense<50, Relu>,
        Dense<3, Softmax>,
    }
}

#[test]
fn a_larger_networks_file_is_told_by_its_header_not_its_size() {
    let dir = scratch("larger");
    save_weights(&Wide::<f32>::zeroed(), dir.join("wide.safetensors")).unwrap();
    let err = fails_unchanged(&dir.join("wide.safetensors"), &LoadOptions::default());
    assert!(
        matches!(err.kind(), WeightsErrorKind::Architecture { file, .. } if file.starts_with("Wide"))
    );
    // Without the architecture check, the first tensor that does not fit.
    let mut net = tiny::<f32>(15);
    let err = load_params(&mut net, dir.join("wide.safetensors")).unwrap_err();
    assert!(
        matches!(err.kind(), WeightsErrorKind::Shape { tensor, .. } if tensor == "dense_1.kernel")
    );
    assert_eq!(net, tiny::<f32>(15));
}

#[test]
fn non_finite_weights_are_refused_by_default_naming_tensor_and_index() {
    let dir = scratch("non_finite");
    let nan = f32::from_bits(0x7fc0_1234);
    let mut net = tiny::<f32>(16);
    // Keras layout: the file's row-major (4, 5) kernel is the network's slice, element for
    // element, so element 7 is row 1, column 2 in numpy.
    net.dense_1.kernel.as_mut_slice()[7] = nan;
    net.dense_2.bias[2] = f32::NEG_INFINITY;
    save_weights(&net, dir.join("w.safetensors")).unwrap();
    let err = fails_unchanged(&dir.join("w.safetensors"), &LoadOptions::default());
    assert!(
        matches!(err.kind(), WeightsErrorKind::NonFinite { tensor, index: 7, value }
        if tensor == "dense_1.kernel" && value.is_nan())
    );
    assert_eq!(
        err.kind().to_string(),
        "tensor `dense_1.kernel` holds NaN at element 7 (row-major, as in the file); \
         load with `LoadOptions::allowing_non_finite()` to keep it"
    );
    let bytes = std::fs::read(dir.join("w.safetensors")).unwrap();
    let mut back = Tiny::<f32>::zeroed();
    let err = params_from_bytes(&mut back, &bytes, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err.kind(), WeightsErrorKind::NonFinite { .. }));
    assert_eq!(back, Tiny::<f32>::zeroed());

    // Asked for, they load bit for bit, NaN payload included.
    let keep = LoadOptions::default().allowing_non_finite();
    load_weights_with(&mut back, dir.join("w.safetensors"), &keep).unwrap();
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(back.dense_1.kernel[7].to_bits(), 0x7fc0_1234);
}

#[test]
fn converting_never_makes_a_finite_value_infinite() {
    let dir = scratch("out_of_range");
    let mut wide = tiny::<f64>(17);
    wide.dense_2.bias[1] = 1e300;
    save_weights(&wide, dir.join("w.safetensors")).unwrap();
    let converting = LoadOptions::default().converting();
    let err = fails_unchanged(&dir.join("w.safetensors"), &converting);
    assert!(
        matches!(err.kind(), WeightsErrorKind::OutOfRange { tensor, index: 1, value }
        if tensor == "dense_2.bias" && *value == 1e300)
    );
    assert_eq!(
        err.kind().to_string(),
        "tensor `dense_2.bias` holds 1e300 at element 1 (row-major, as in the file), beyond \
         the range of f32: converting would make it infinite"
    );
    let err = fails_unchanged(
        &dir.join("w.safetensors"),
        &converting.allowing_non_finite(),
    );
    assert!(matches!(err.kind(), WeightsErrorKind::OutOfRange { .. }));
    // The largest f64 that rounds to a finite f32 still loads; an infinity only if allowed.
    wide.dense_2.bias[1] = f32::MAX as f64;
    wide.dense_2.bias[2] = f64::INFINITY;
    save_weights(&wide, dir.join("w.safetensors")).unwrap();
    let err = fails_unchanged(&dir.join("w.safetensors"), &converting);
    assert!(matches!(
        err.kind(),
        WeightsErrorKind::NonFinite { index: 2, .. }
    ));
    let mut net = Tiny::<f32>::zeroed();
    let keep = converting.allowing_non_finite();
    load_weights_with(&mut net, dir.join("w.safetensors"), &keep).unwrap();
    assert_eq!(net.dense_2.bias.as_slice()[1..], [f32::MAX, f32::INFINITY]);
}
