//! Int8 networks: calibration, quantisation and integer inference of the trained seed network.

use liandan::data::Dataset;
use liandan::io::load_weights;
use liandan::layer::{In, Out};
use liandan::prelude::*;
use liandan::quant::{calibrate, Int8Network, Quantize};
use liandan::shape::Shape;

network! {
    /// The seed network, to be loaded with the weights `examples/deploy.rs` trained for `ffi/`.
    struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

network! {
    /// keras.io's "Simple MNIST convnet", to be loaded with the weights
    /// `examples/mnist_cnn.rs` trained for `ffi/`.
    struct Convnet {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>,
        MaxPooling2D<2>,
        Flatten,
        Dropout<0.5>,
        Dense<10, Softmax>,
    }
}

/// The bundled digits, as images of shape `S` (`Hw<28, 28>` or `Hwc<28, 28, 1>`).
fn digits<S: Shape>() -> Dataset<f32, S> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist/");
    let images = format!("{dir}mnist-10k-images-idx3-ubyte.gz");
    let labels = format!("{dir}mnist-10k-labels-idx1-ubyte.gz");
    Dataset::from_idx(images, labels, 10).unwrap()
}

fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

/// Calibrates `net` on the first 1,000 digits, quantises it, and runs the float and the int8
/// network one digit at a time on the 2,000 after them: how often their classes agree, and
/// how often each is right.
fn compare<N: Quantize>(net: &N, data: &Dataset<f32, N::Input>) -> Agreement {
    let calibration_set = data.subset(&(0..1000).collect::<Vec<_>>()).unwrap();
    let calibration = calibrate(net, &calibration_set).unwrap();
    let int8 = calibration.quantize(net).unwrap();
    let input = int8.input_quantization();
    let mut float_scratch = <N::Scratch<1>>::boxed();
    let mut scratch = <<N::Int8 as Forward>::Scratch<1>>::boxed();
    let (mut x, mut q) = (<In<N, 1>>::boxed(), <In<N::Int8, 1>>::boxed());
    let (mut p, mut y) = (<Out<N, 1>>::boxed(), <Out<N::Int8, 1>>::boxed());
    let mut seen = Agreement::default();
    for i in 1000..3000 {
        let sample = data.sample(i);
        x.as_mut_slice().copy_from_slice(sample);
        net.forward(&x, &mut p, &mut float_scratch);
        for (q, &r) in q.as_mut_slice().iter_mut().zip(sample) {
            *q = input.quantize(r);
        }
        int8.forward(&q, &mut y, &mut scratch);
        let (float, int) = (argmax(p.as_slice()), argmax(y.as_slice()));
        seen.n += 1;
        seen.same += usize::from(float == int);
        seen.float += usize::from(Some(float) == data.label(i));
        seen.int8 += usize::from(Some(int) == data.label(i));
    }
    seen
}

/// What [`compare`] counted.
#[derive(Debug, Default)]
struct Agreement {
    n: usize,
    same: usize,
    float: usize,
    int8: usize,
}

#[test]
fn the_quantised_convnet_agrees_with_the_float_one() {
    let mut net = Convnet::<f32>::boxed();
    load_weights(&mut *net, "ffi/weights/convnet.safetensors").unwrap();
    let seen = compare(&*net, &digits());
    println!("convnet: {seen:?}");
    assert!(seen.same * 100 >= 99 * seen.n, "{seen:?}");
}

#[test]
fn the_int8_networks_know_their_bytes() {
    assert_eq!(ConvnetInt8::PARAM_BYTES, size_of::<ConvnetInt8>());
    assert_eq!(
        ConvnetInt8::scratch_bytes(1),
        size_of::<ConvnetInt8Scratch<1>>()
    );
    assert_eq!(MnistInt8::PARAM_BYTES, size_of::<MnistInt8>());
    assert_eq!(
        MnistInt8::scratch_bytes(1),
        size_of::<MnistInt8Scratch<1>>()
    );
    assert_eq!(
        MnistInt8::INFERENCE_BYTES,
        size_of::<In<MnistInt8, 1>>()
            + size_of::<Out<MnistInt8, 1>>()
            + size_of::<MnistInt8Scratch<1>>()
    );
    assert_eq!(
        ConvnetInt8::INFERENCE_BYTES,
        size_of::<In<ConvnetInt8, 1>>()
            + size_of::<Out<ConvnetInt8, 1>>()
            + size_of::<ConvnetInt8Scratch<1>>()
    );
    // A quarter of the float networks' bytes, and at most 26%: checked when this compiles.
    const { assert!(100 * MnistInt8::PARAM_BYTES <= 26 * Mnist::<f32>::PARAM_BYTES) };
    const { assert!(100 * ConvnetInt8::PARAM_BYTES <= 26 * Convnet::<f32>::PARAM_BYTES) };
}

#[test]
fn the_quantised_seed_network_agrees_with_the_float_one() {
    let mut net = Mnist::<f32>::boxed();
    load_weights(&mut *net, "ffi/weights/mnist.safetensors").unwrap();
    let seen = compare(&*net, &digits());
    println!("seed network: {seen:?}");
    assert!(seen.same * 100 >= 99 * seen.n, "{seen:?}");
}

/// The seed network's int8 form that `examples/deploy.rs quantize` wrote, compiled in; the
/// file records the float network's name, `Mnist`.
mod compiled {
    use liandan::prelude::*;

    network! {
        #[derive(Debug, PartialEq)]
        pub struct Mnist {
            input: [28, 28],
            Flatten,
            Dense<128, Relu>,
            Dropout<0.2>,
            Dense<10, Softmax>,
            weights: "ffi/weights/mnist-int8.safetensors",
        }
    }
}

#[test]
fn compiled_in_int8_weights_are_the_file_loaded_at_run_time() {
    use compiled::{Mnist as Compiled, MnistScratch as CompiledScratch};
    static NET: Compiled = Compiled::WEIGHTS;
    let loaded = liandan::quant::file::load::<MnistInt8>("ffi/weights/mnist-int8.safetensors");
    let loaded = loaded.unwrap();
    assert_eq!(NET.input, loaded.input);
    assert_eq!(NET.dense_1.kernel, loaded.dense_1.kernel);
    assert_eq!(NET.dense_2.bias, loaded.dense_2.bias);
    assert_eq!(NET.dense_2.multiplier, loaded.dense_2.multiplier);
    assert_eq!(Compiled::PARAM_BYTES, core::mem::size_of::<Compiled>());
    assert_eq!(
        Compiled::scratch_bytes(3),
        core::mem::size_of::<CompiledScratch<3>>()
    );
}

/// The seed network's int8 file with the header entry of tensor `name` edited by `header`
/// (to text of the same length, so every offset stays) and its bytes by `data`.
fn edited(name: &str, header: impl Fn(&str) -> String, data: impl Fn(&mut [u8])) -> Vec<u8> {
    let mut bytes = std::fs::read("ffi/weights/mnist-int8.safetensors").unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let text = std::str::from_utf8(&bytes[8..8 + n]).unwrap().to_string();
    let (start, end) = {
        let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        metadata.info(name).unwrap().data_offsets
    };
    let at = text.find(&format!("\"{name}\"")).unwrap();
    let entry_end = at + text[at..].find('}').unwrap();
    let entry = header(&text[at..entry_end]);
    assert_eq!(
        entry.len(),
        entry_end - at,
        "the edited entry keeps its length"
    );
    bytes[8 + at..8 + entry_end].copy_from_slice(entry.as_bytes());
    data(&mut bytes[8 + n + start..8 + n + end]);
    bytes
}

#[test]
fn a_float_where_an_integer_belongs_is_no_case_for_converting() {
    let bytes = edited("dense_1.bias", |e| e.replace("I32", "F32"), |_| {});
    let error = liandan::quant::file::from_bytes::<MnistInt8>(&bytes)
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "tensor `dense_1.bias` is F32 in the file, but the network is I32"
    );
}

#[test]
fn a_multiplier_past_two_to_the_thirty_saturates_and_applies() {
    // s_in·s_w / s_out ≈ 4e-3·1e-2 / 1e-30: shift 86 before saturating.
    let tiny = |d: &mut [u8]| d.copy_from_slice(&1e-30f32.to_le_bytes());
    let bytes = edited("dense_1.output_scale", |e| e.to_string(), tiny);
    let net = liandan::quant::file::from_bytes::<MnistInt8>(&bytes).unwrap();
    assert!(net.dense_1.shift.iter().all(|&s| s == 30));
    assert!(net.dense_1.multiplier.iter().all(|&m| m == i32::MAX));
    let mut q = Sample::<i8, Hw<28, 28>>::zeroed();
    q.as_mut_slice().fill(127);
    let mut y = SMatrix::<i8, 10, 1>::zeroed();
    net.forward(&q, &mut y, &mut MnistInt8Scratch::<1>::boxed());
}
