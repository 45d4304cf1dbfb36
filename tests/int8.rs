//! Int8 networks: calibration, quantisation and integer inference of the trained seed network.

use liandan::data::Dataset;
use liandan::io::load_weights;
use liandan::prelude::*;
use liandan::quant::{calibrate, Int8Network};

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

fn digits() -> Dataset<f32, Hw<28, 28>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist/");
    let images = format!("{dir}mnist-10k-images-idx3-ubyte.gz");
    let labels = format!("{dir}mnist-10k-labels-idx1-ubyte.gz");
    Dataset::from_idx(images, labels, 10).unwrap()
}

fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

#[test]
fn the_quantised_seed_network_agrees_with_the_float_one() {
    let mut net = Mnist::<f32>::boxed();
    load_weights(&mut *net, "ffi/weights/mnist.safetensors").unwrap();
    let data = digits();
    let calibration_set = data.subset(&(0..1000).collect::<Vec<_>>()).unwrap();
    let calibration = calibrate(&*net, &calibration_set).unwrap();
    let int8 = calibration.quantize(&*net).unwrap();
    let (mut same, mut correct, n) = (0, 0, 2000);
    let mut scratch = MnistInt8Scratch::<1>::boxed();
    for i in 1000..1000 + n {
        let x = data.sample(i);
        let mut image = Sample::<f32, Hw<28, 28>>::zeroed();
        image.as_mut_slice().copy_from_slice(x);
        let p = net.predict(&image);
        let mut q = Sample::<i8, Hw<28, 28>>::zeroed();
        let input = int8.input_quantization();
        q.as_mut_slice()
            .iter_mut()
            .zip(x)
            .for_each(|(q, &x)| *q = input.quantize(x));
        let mut y = SMatrix::<i8, 10, 1>::zeroed();
        int8.forward(&q, &mut y, &mut scratch);
        same += usize::from(argmax(y.as_slice()) == argmax(p.as_slice()));
        correct += usize::from(Some(argmax(y.as_slice())) == data.label(i));
    }
    println!("same class {same}/{n}, int8 correct {correct}/{n}");
    assert!(same * 100 >= 99 * n, "same class on {same} of {n}");
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
