//! Small networks and safetensors helpers shared by the weight-file tests.
#![allow(dead_code)]

use std::path::PathBuf;

use liandan::prelude::*;

network! {
    /// `input: [4], Dense<5, Relu>, Dense<3, Softmax>`: fields `dense_1`, `dense_2`.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Tiny {
        input: [4],
        Dense<5, Relu>,
        Dense<3, Softmax>,
    }
}

network! {
    /// `Tiny` with a tanh hidden layer: the same tensors, another architecture.
    #[derive(Clone, Debug, PartialEq)]
    pub struct TanhTiny {
        input: [4],
        Dense<5, Tanh>,
        Dense<3, Softmax>,
    }
}

/// A freshly initialised `Tiny` from a fixed seed, with non-zero biases too.
pub fn tiny<T: Float>(seed: u64) -> Tiny<T> {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut net = Tiny::<T>::new(&mut rng);
    for (k, b) in net.dense_1.bias.iter_mut().enumerate() {
        *b = T::of(0.1 * k as f64 - 0.2);
    }
    net.dense_2.bias[1] = T::of(0.3);
    net
}

/// A fresh empty directory for one test's files.
pub fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("weights")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A safetensors file written by hand: `tensors` are `(name, dtype, shape, bytes)`, laid out
/// one after the other; `metadata` is the raw JSON of `__metadata__`, if any.
pub fn handmade(tensors: &[(&str, &str, &[usize], Vec<u8>)], metadata: Option<&str>) -> Vec<u8> {
    let mut entries = Vec::new();
    if let Some(m) = metadata {
        entries.push(format!("\"__metadata__\":{m}"));
    }
    let mut data = Vec::new();
    for (name, dtype, shape, bytes) in tensors {
        let (start, end) = (data.len(), data.len() + bytes.len());
        entries.push(format!(
            "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape:?},\"data_offsets\":[{start},{end}]}}"
        ));
        data.extend_from_slice(bytes);
    }
    with_header(&format!("{{{}}}", entries.join(",")), &data)
}

/// An 8-byte length, `header`, then `data`.
pub fn with_header(header: &str, data: &[u8]) -> Vec<u8> {
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(data);
    file
}

/// Little-endian bytes of `f32`s.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian bytes of `f64`s.
pub fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Every tensor of `p` as bits, for bit-for-bit comparisons.
pub fn bits<T: Float + Into<f64>, P: Params<T>>(p: &P) -> Vec<u64> {
    (0..P::TENSORS)
        .flat_map(|i| p.tensor(i).iter().map(|x| (*x).into().to_bits()))
        .collect()
}
