//! Networks written by hand exactly as `network!` will generate them, until it lands:
//! `input: [4], Dense<5, A>, Dense<3, Softmax>` as a struct with fields `dense_1`, `dense_2`.
#![allow(dead_code)]

use std::path::PathBuf;

use liandan::layer::{Head, Layer, Params, Shape, Size, TensorInfo};
use liandan::layers::Dense;
use liandan::prelude::*;
use liandan::LayerInfo;
use rand::RngCore;

macro_rules! tiny_net {
    ($name:ident, $act:ty, $kind:literal) => {
        /// `input: [4], Dense<5, _>, Dense<3, Softmax>`; it is its own gradient, like Dense.
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name<T = f32> {
            pub dense_1: Dense<T, 4, 5, $act>,
            pub dense_2: Dense<T, 5, 3, Softmax>,
        }

        // Safety: two `Zeroed` layers.
        unsafe impl<T: Zeroed> Zeroed for $name<T> {}

        impl<T> Shape for $name<T> {
            type Input = Size<4>;
            type Output = Size<3>;
        }

        impl<T: Float> Params<T> for $name<T> {
            const TENSORS: usize = 4;
            const PARAMS: usize = 4 * 5 + 5 + 5 * 3 + 3;
            fn tensor(&self, i: usize) -> &[T] {
                match i {
                    0 | 1 => self.dense_1.tensor(i),
                    _ => self.dense_2.tensor(i - 2),
                }
            }
            fn tensor_mut(&mut self, i: usize) -> &mut [T] {
                match i {
                    0 | 1 => self.dense_1.tensor_mut(i),
                    _ => self.dense_2.tensor_mut(i - 2),
                }
            }
            fn tensor_info(i: usize) -> Option<TensorInfo> {
                match i {
                    0 | 1 => <Dense<T, 4, 5, $act> as Params<T>>::tensor_info(i)
                        .map(|t| t.in_layer("dense_1")),
                    _ => <Dense<T, 5, 3, Softmax> as Params<T>>::tensor_info(i - 2)
                        .map(|t| t.in_layer("dense_2")),
                }
            }
        }

        impl<T: Float> Layer<T, 4, 3> for $name<T> {
            /// `((z1, h), z2)`.
            type Tape<const B: usize> = ((SMatrix<T, 5, B>, SMatrix<T, 5, B>), SMatrix<T, 3, B>);
            type Grad = Self;
            const HEAD: Head = Head::Softmax;

            fn forward<const B: usize>(&self, x: &SMatrix<T, 4, B>, y: &mut SMatrix<T, 3, B>) {
                let mut h = SMatrix::<T, 5, B>::zeros();
                self.dense_1.forward(x, &mut h);
                self.dense_2.forward(&h, y);
            }

            fn forward_train<const B: usize, R: RngCore + ?Sized>(
                &self,
                x: &SMatrix<T, 4, B>,
                y: &mut SMatrix<T, 3, B>,
                tape: &mut Self::Tape<B>,
                rng: &mut R,
            ) {
                let ((z1, h), z2) = tape;
                self.dense_1.forward_train(x, h, z1, rng);
                self.dense_2.forward_train(h, y, z2, rng);
            }

            fn backward<const B: usize>(
                &self,
                x: &SMatrix<T, 4, B>,
                y: &SMatrix<T, 3, B>,
                tape: &mut Self::Tape<B>,
                dy: &mut SMatrix<T, 3, B>,
                logits: bool,
                grad: &mut Self,
                dx: Option<&mut SMatrix<T, 4, B>>,
            ) {
                let ((z1, h), z2) = tape;
                let mut dh = SMatrix::<T, 5, B>::zeros();
                self.dense_2
                    .backward(h, y, z2, dy, logits, &mut grad.dense_2, Some(&mut dh));
                self.dense_1
                    .backward(x, h, z1, &mut dh, false, &mut grad.dense_1, dx);
            }

            fn init<R: RngCore + ?Sized>(&mut self, rng: &mut R) {
                self.dense_1.init(rng);
                self.dense_2.init(rng);
            }
        }

        impl<T: Float> Network<T, 4, 3> for $name<T> {
            const NAME: &'static str = "Tiny";
            const INPUT_SHAPE: &'static [usize] = &[4];
            const LAYERS: &'static [LayerInfo] = &[
                LayerInfo {
                    name: "dense_1",
                    kind: $kind,
                    output: &[5],
                    params: 25,
                },
                LayerInfo {
                    name: "dense_2",
                    kind: "Dense<5 -> 3, Softmax>",
                    output: &[3],
                    params: 18,
                },
            ];
        }
    };
}

tiny_net!(Tiny, Relu, "Dense<4 -> 5, Relu>");
tiny_net!(TanhTiny, Tanh, "Dense<4 -> 5, Tanh>");

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
