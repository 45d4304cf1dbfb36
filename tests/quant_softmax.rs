//! `liandan::quant::Softmax` reproduces TFLite's reference int8 softmax bit for bit on every row
//! of `tests/fixtures/int8/softmax.safetensors`, written by `tools/tflite/softmax_golden.py`
//! from the LiteRT interpreter with `OpResolverType.BUILTIN_REF`: lone int8 SOFTMAX ops of
//! 3, 10 and 100 logits at input scales from 0.01 to 0.5, on edge and random rows.

use liandan::quant::Softmax;
use safetensors::{Dtype, SafeTensors};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/int8/softmax.safetensors"
);

/// A tensor's int8 elements and its `[rows, n]` shape.
fn int8(file: &SafeTensors<'_>, name: &str) -> (Vec<i8>, [usize; 2]) {
    let view = file.tensor(name).unwrap();
    assert_eq!(view.dtype(), Dtype::I8, "{name}");
    let shape: [usize; 2] = view.shape().try_into().unwrap();
    (view.data().iter().map(|&b| b as i8).collect(), shape)
}

fn input_scale(file: &SafeTensors<'_>, case: usize) -> f32 {
    let view = file.tensor(&format!("case{case}.input_scale")).unwrap();
    assert_eq!((view.dtype(), view.shape()), (Dtype::F32, &[1][..]));
    f32::from_le_bytes(view.data().try_into().unwrap())
}

#[test]
fn every_row_matches_tflite_reference_kernel() {
    let bytes = std::fs::read(FIXTURE).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let cases = file.len() / 3;
    assert_eq!(cases, 18, "three tensors per case");
    let (mut rows, mut lengths) = (0, std::collections::BTreeSet::new());
    for case in 0..cases {
        let scale = input_scale(&file, case);
        let softmax = Softmax::new(scale);
        let (logits, shape) = int8(&file, &format!("case{case}.logits"));
        let (expected, expected_shape) = int8(&file, &format!("case{case}.softmax"));
        assert_eq!(shape, expected_shape, "case {case}");
        let mut output = vec![0i8; shape[1]];
        for (row, (x, want)) in logits
            .chunks(shape[1])
            .zip(expected.chunks(shape[1]))
            .enumerate()
        {
            softmax.apply(x, &mut output);
            assert_eq!(
                output, want,
                "case {case} (scale {scale}, {softmax:?}), row {row}: {x:?}"
            );
        }
        rows += shape[0];
        lengths.insert(shape[1]);
    }
    assert_eq!(lengths.into_iter().collect::<Vec<_>>(), [3, 10, 100]);
    assert!(rows > 2000, "{rows} rows");
}
