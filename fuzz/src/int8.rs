//! Int8 files against the `safetensors` crate reading them, and the int8 network decoded here
//! from the file's values as `INT8.md` describes it.
//!
//! `liandan::quant::file::from_bytes::<TinyQuantInt8>` must accept exactly the files that hold
//! every tensor of the table below with its type and shape and no other, say `liandan.format`
//! = `int8`, record no architecture or `TinyQuant`'s, and hold only values an int8 network can
//! (scales positive and finite, zero points in `[-128, 127]`, kernels in `[-127, 127]`). A file
//! with one fault is refused naming it. An accepted file loads as decoded here: the kernel in
//! groups of four inputs, the input's zero point folded into the bias, TFLite's multiplier of
//! each output channel; and the first layer computes what the integer definition gives.

use liandan::io::WeightsErrorKind;
use liandan::prelude::SMatrix;
use liandan::quant::file::{from_bytes, load, FORMAT_KEY};
use liandan::quant::{Dense, Int8Network, Multiplier, Quantization};
use liandan::{Forward, Zeroed};
use safetensors::Dtype;

use super::weights::{reference, Reference, Refusal};
use super::{TempFile, TinyQuant, TinyQuantInt8, TinyQuantInt8Scratch};

/// What the values of a tensor must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `F32`, positive and finite.
    Scale,
    /// `I32` in `[-128, 127]`.
    ZeroPoint,
    /// `I8` in `[-127, 127]`.
    Kernel,
    /// Any `I32`.
    Bias,
}

/// `TinyQuantInt8`'s tensors in load order: name, type, shape (Keras' `[in, out]` for a
/// kernel) and kind, written out here rather than asked of liandan.
pub const TINY_INT8_TENSORS: [(&str, Dtype, &[usize], Kind); 12] = [
    ("input.scale", Dtype::F32, &[1], Kind::Scale),
    ("input.zero_point", Dtype::I32, &[1], Kind::ZeroPoint),
    ("dense_1.kernel", Dtype::I8, &[6, 5], Kind::Kernel),
    ("dense_1.bias", Dtype::I32, &[5], Kind::Bias),
    ("dense_1.kernel_scale", Dtype::F32, &[5], Kind::Scale),
    ("dense_1.output_scale", Dtype::F32, &[1], Kind::Scale),
    (
        "dense_1.output_zero_point",
        Dtype::I32,
        &[1],
        Kind::ZeroPoint,
    ),
    ("dense_2.kernel", Dtype::I8, &[5, 3], Kind::Kernel),
    ("dense_2.bias", Dtype::I32, &[3], Kind::Bias),
    ("dense_2.kernel_scale", Dtype::F32, &[3], Kind::Scale),
    ("dense_2.output_scale", Dtype::F32, &[1], Kind::Scale),
    (
        "dense_2.output_zero_point",
        Dtype::I32,
        &[1],
        Kind::ZeroPoint,
    ),
];

/// `TinyQuant`'s architecture as weight files record it.
pub const TINY_QUANT_ARCHITECTURE: &str =
    "TinyQuant: input [6]; dense_1 Dense<6 -> 5, Relu>; dense_2 Dense<5 -> 3, Softmax>";

/// Why a file the safetensors crate reads is no int8 file of `TinyQuantInt8`.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// `liandan.format` is absent or not `int8`.
    NotInt8,
    /// The recorded architecture is another network's.
    Architecture(String),
    /// A tensor is not in the file.
    Missing(&'static str),
    /// The file has a tensor the network does not.
    Extra(String),
    /// A tensor has another type or shape.
    Form(&'static str),
    /// A tensor's first value that breaks its kind's rule, at this index.
    Value(&'static str, usize),
}

impl Fault {
    /// Whether liandan's error names this fault.
    fn named_by(&self, e: &WeightsErrorKind) -> bool {
        use WeightsErrorKind as E;
        match (self, e) {
            (Fault::NotInt8, E::NotInt8) => true,
            (Fault::Architecture(a), E::Architecture { file, .. }) => a == file,
            (Fault::Missing(a), E::Missing(b)) => a == b,
            (Fault::Extra(a), E::Extra(b)) => a == b,
            (Fault::Form(a), E::Dtype { tensor, .. } | E::Shape { tensor, .. }) => a == tensor,
            (Fault::Value(a, i), E::Int8Value { tensor, index, .. }) => a == tensor && i == index,
            _ => false,
        }
    }
}

/// One dense layer as the file holds it.
#[derive(Clone, Debug, Default)]
pub struct FileDense {
    /// `[in, out]`, row-major.
    pub kernel: Vec<i8>,
    /// The file's bias, before the input's zero point is folded in.
    pub bias: Vec<i32>,
    /// One per output channel.
    pub kernel_scale: Vec<f32>,
    /// The output's (the logits', before a softmax).
    pub output: Quantization,
}

/// An int8 file of `TinyQuantInt8` as read here.
#[derive(Clone, Debug, Default)]
pub struct FileNet {
    /// The input's quantisation.
    pub input: Quantization,
    /// `dense_1`, `dense_2`.
    pub dense: [FileDense; 2],
}

/// Every fault of a file the safetensors crate reads, or its values.
pub fn decode(r: &Reference<'_>) -> Result<FileNet, Vec<Fault>> {
    let mut faults = Vec::new();
    if r.metadata(FORMAT_KEY) != Some("int8") {
        faults.push(Fault::NotInt8);
    }
    match r.metadata(liandan::io::ARCHITECTURE_KEY) {
        Some(a) if a != TINY_QUANT_ARCHITECTURE => faults.push(Fault::Architecture(a.into())),
        _ => {}
    }
    for name in r.file().names() {
        if !TINY_INT8_TENSORS.iter().any(|(n, ..)| *n == name) {
            faults.push(Fault::Extra(name.to_string()));
        }
    }
    let mut values = Vec::new();
    for &(name, dtype, shape, kind) in &TINY_INT8_TENSORS {
        let Ok(view) = r.file().tensor(name) else {
            faults.push(Fault::Missing(name));
            continue;
        };
        if view.dtype() != dtype || view.shape() != shape {
            faults.push(Fault::Form(name));
            continue;
        }
        let data = view.data();
        if let Some(i) = first_invalid(kind, data) {
            faults.push(Fault::Value(name, i));
        }
        values.push(data);
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    let f32s = |b: &[u8]| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|w| f32::from_le_bytes(w.try_into().unwrap()))
            .collect()
    };
    let i32s = |b: &[u8]| -> Vec<i32> {
        b.chunks_exact(4)
            .map(|w| i32::from_le_bytes(w.try_into().unwrap()))
            .collect()
    };
    let quantization = |s: &[u8], z: &[u8]| Quantization {
        scale: f32s(s)[0],
        zero_point: i32s(z)[0],
    };
    let dense = |v: &[&[u8]]| FileDense {
        kernel: v[0].iter().map(|&b| b as i8).collect(),
        bias: i32s(v[1]),
        kernel_scale: f32s(v[2]),
        output: quantization(v[3], v[4]),
    };
    Ok(FileNet {
        input: quantization(values[0], values[1]),
        dense: [dense(&values[2..7]), dense(&values[7..12])],
    })
}

/// The index of the first value of `data` that breaks `kind`'s rule.
fn first_invalid(kind: Kind, data: &[u8]) -> Option<usize> {
    let words = data
        .chunks_exact(4)
        .map(|w| <[u8; 4]>::try_from(w).unwrap());
    match kind {
        Kind::Scale => words
            .map(f32::from_le_bytes)
            .position(|s| !(s.is_finite() && s > 0.0)),
        Kind::ZeroPoint => words
            .map(i32::from_le_bytes)
            .position(|z| !(-128..=127).contains(&z)),
        Kind::Kernel => data.iter().position(|&b| b == 0x80),
        Kind::Bias => None,
    }
}

/// `bytes` as an int8 file of `TinyQuantInt8`, through `from_bytes` and `load`.
pub fn check(bytes: &[u8]) {
    let got = from_bytes::<TinyQuantInt8>(bytes);
    let file = TempFile::new("int8.safetensors", bytes);
    let loaded = load::<TinyQuantInt8>(file.path());
    match (&got, &loaded) {
        (Ok(_), Ok(_)) => {}
        (Err(_), Err(b)) => {
            // Both refuse, but not always alike: of two faults of the container (offsets that
            // leave a gap, a size that is not the shape's), the safetensors crate reports the
            // one its map, in no fixed order, meets first.
            assert_eq!(b.path(), Some(file.path()), "the error names no file: {b}");
        }
        _ => panic!(
            "from_bytes gives {:?}, load {:?}",
            got.is_ok(),
            loaded.is_ok()
        ),
    }
    let reference = reference(bytes);
    match (&reference, got) {
        (Err(refusal), Ok(_)) => panic!("accepted a file the reference refuses: {refusal:?}"),
        (Err(Refusal::Duplicate(name)), Err(e)) => assert!(
            matches!(e.kind(), WeightsErrorKind::DuplicateName(n) if n == name),
            "the header names `{name}` twice, but the error says: {e}"
        ),
        (Err(_), Err(_)) => {}
        (Ok(r), got) => match (decode(r), got) {
            (Ok(want), Ok(net)) => agree(&net, &want),
            (Ok(_), Err(e)) => panic!("refused a valid int8 file: {e}"),
            (Err(faults), Ok(_)) => panic!("accepted an int8 file with faults {faults:?}"),
            (Err(faults), Err(e)) => {
                if let [fault] = faults.as_slice() {
                    assert!(
                        fault.named_by(e.kind()),
                        "the one fault is {fault:?}, but the error says: {e}"
                    );
                }
            }
        },
    }
}

/// The loaded network holds what the file does, and the network and its first layer compute.
fn agree(net: &TinyQuantInt8, want: &FileNet) {
    assert_eq!(TinyQuantInt8::ARCHITECTURE, TINY_QUANT_ARCHITECTURE);
    assert_eq!(
        liandan::io::architecture::<TinyQuant<f32>>(),
        TINY_QUANT_ARCHITECTURE
    );
    same_quantization(net.input, want.input, "input");
    dense(&net.dense_1, &want.dense[0], want.input, "dense_1");
    dense(
        &net.dense_2,
        &want.dense[1],
        want.dense[0].output,
        "dense_2",
    );
    first_layer(&net.dense_1, &want.dense[0], want.input);
    let x = inputs();
    let mut y = SMatrix::<i8, 3, BATCH>::zeroed();
    let mut scratch = TinyQuantInt8Scratch::<BATCH>::zeroed();
    net.forward(&x, &mut y, &mut scratch);
}

fn same_quantization(got: Quantization, want: Quantization, what: &str) {
    assert!(
        got.scale.to_bits() == want.scale.to_bits() && got.zero_point == want.zero_point,
        "{what}: loaded {got:?}, the file holds {want:?}"
    );
}

/// A layer of `I` inputs and `O` outputs in `G` groups against the file's, for inputs
/// quantised as `input`.
fn dense<const I: usize, const O: usize, const G: usize, A>(
    got: &Dense<I, O, G, A>,
    want: &FileDense,
    input: Quantization,
    what: &str,
) {
    for g in 0..G {
        for o in 0..O {
            for j in 0..4 {
                let i = 4 * g + j;
                let w = if i < I { want.kernel[i * O + o] } else { 0 };
                let k = got.kernel[g][o][j];
                assert_eq!(k, w, "{what}: kernel group {g} output {o} lane {j}");
            }
        }
    }
    for o in 0..O {
        let sum: i64 = (0..I).map(|i| i64::from(want.kernel[i * O + o])).sum();
        // The product reads each input as `x + 128`: the offset is folded in with the zero point.
        let folded = i64::from(want.bias[o]) - (i64::from(input.zero_point) + 128) * sum;
        assert_eq!(
            got.bias[o], folded as i32,
            "{what}: bias {o}, folded mod 2^32"
        );
        let (s_in, s_w, s_out) = (input.scale, want.kernel_scale[o], want.output.scale);
        let real = f64::from(s_in) * f64::from(s_w) / f64::from(s_out);
        let (m, shift) = quantize_multiplier(real);
        let of_scales = Multiplier::of_scales(s_in, s_w, s_out);
        assert_eq!(
            (of_scales.multiplier, of_scales.shift),
            (m, shift),
            "{what}: Multiplier::of_scales({s_in:e}, {s_w:e}, {s_out:e}) is not TFLite's"
        );
        let loaded = (got.multiplier[o], i32::from(got.shift[o]));
        assert_eq!(loaded, (m, shift), "{what}: multiplier {o} of {real:e}");
    }
    same_quantization(got.output, want.output, what);
}

/// TFLite's `QuantizeMultiplier` as built with `TFLITE_SINGLE_ROUNDING`: `real = q·2^shift`
/// with `q` in `[0.5, 1)`, `round(q·2^31)` half away from zero, carried into the shift at
/// `2^31`; below `2^-31·2^-1` zero, and a shift over 30 saturated to `(2^31 - 1, 30)`.
pub fn quantize_multiplier(real: f64) -> (i32, i32) {
    if real == 0.0 {
        return (0, 0);
    }
    let (q, mut shift) = frexp(real);
    let mut fixed = (q * 2f64.powi(31)).round() as i64;
    if fixed == 1 << 31 {
        fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        (fixed, shift) = (0, 0);
    }
    if shift > 30 {
        (fixed, shift) = ((1 << 31) - 1, 30);
    }
    (fixed as i32, shift)
}

/// `x = q·2^e`, `q` in `[0.5, 1)`, for finite positive `x`, by doubling or halving.
fn frexp(x: f64) -> (f64, i32) {
    let (mut q, mut e) = (x, 0);
    while q >= 1.0 {
        q /= 2.0;
        e += 1;
    }
    while q < 0.5 {
        q *= 2.0;
        e -= 1;
    }
    (q, e)
}

/// The samples the first layer and the network run on.
const BATCH: usize = 3;

/// Every input at its extremes, and a ramp through zero.
fn inputs() -> SMatrix<i8, 6, BATCH> {
    let ramp = [-128, -77, -1, 0, 1, 127];
    SMatrix::from_fn(|i, j| match j {
        0 => -128,
        1 => 127,
        _ => ramp[i],
    })
}

/// `dense_1` on [`inputs`] against the definition: `acc = b + Σ (x - zp_in)·w` modulo `2^32`,
/// `round(acc·m / 2^(31 - shift))` half up and saturated to `i32`, plus the output's zero
/// point, clamped to ReLU's `[max(zp_out, -128), 127]`.
fn first_layer<const G: usize>(
    got: &Dense<6, 5, G, liandan::prelude::Relu>,
    want: &FileDense,
    input: Quantization,
) {
    let x = inputs();
    let mut y = SMatrix::<i8, 5, BATCH>::zeroed();
    got.forward(&x, &mut y, &mut ());
    let (s_out, zp_out) = (want.output.scale, want.output.zero_point);
    for b in 0..BATCH {
        for o in 0..5 {
            let acc: i64 = (0..6)
                .map(|i| {
                    (i64::from(x[(i, b)]) - i64::from(input.zero_point))
                        * i64::from(want.kernel[i * 5 + o])
                })
                .sum::<i64>()
                + i64::from(want.bias[o]);
            let acc = acc as i32;
            let real = f64::from(input.scale) * f64::from(want.kernel_scale[o]) / f64::from(s_out);
            let (m, shift) = quantize_multiplier(real);
            let total = 31 - shift;
            let scaled = (i128::from(acc) * i128::from(m) + (1i128 << (total - 1))) >> total;
            let scaled = scaled.clamp(i32::MIN.into(), i32::MAX.into()) as i64;
            let v = (i64::from(zp_out) + scaled).clamp(i64::from(zp_out.max(-128)), 127);
            assert_eq!(
                i64::from(y[(o, b)]),
                v,
                "dense_1 output {o} of sample {b} (accumulator {acc}, multiplier {m}, shift {shift})"
            );
        }
    }
}
