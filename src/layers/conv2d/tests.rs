use super::*;
use crate::activation::{Relu, Softmax, Tanh};
use crate::gradcheck::check_layer;
use crate::layers::Same;

#[test]
fn gradients_match_finite_differences() {
    check_layer::<Conv2D<f64, 5, 5, 2, 3, 3, 3, 3, 3>>();
    check_layer::<Conv2D<f64, 5, 5, 2, 3, 3, 3, 3, 3, Tanh>>();
    check_layer::<Conv2D<f64, 5, 4, 2, 3, 3, 2, 5, 4, Relu, Same>>();
    check_layer::<Conv2D<f64, 5, 5, 2, 3, 3, 3, 3, 3, Identity, Same, 2, 2>>();
    check_layer::<Conv2D<f64, 6, 6, 1, 2, 3, 3, 2, 2, Tanh, Valid, 2, 2>>();
    check_layer::<Conv2D<f64, 4, 4, 3, 2, 1, 1, 4, 4, Softmax>>();
    check_layer::<Conv2D<f64, 5, 5, 2, 3, 3, 3, 3, 3, Identity, Valid, 1, 1, false>>();
    check_layer::<Conv2D<f64, 3, 2, 2, 2, 5, 4, 3, 1, Tanh, Same, 1, 2>>();
    // 1024 output pixels: one sample per chunk, three chunks in a pass.
    type Large = Conv2D<f64, 34, 34, 1, 2, 3, 3, 32, 32, Tanh>;
    assert_eq!(Large::CHUNK, 1);
    check_layer::<Large>();
}

#[test]
fn params_are_kernel_then_bias_in_keras_layout() {
    type Conv = Conv2D<f32, 13, 13, 32, 64, 3, 3, 11, 11, Relu>;
    assert_eq!(<Conv as Params<f32>>::PARAMS, (3 * 3 * 32 + 1) * 64);
    assert_eq!(Conv::tensor_info(0).unwrap().shape, &[3, 3, 32, 64]);
    assert_eq!(Conv::tensor_info(0).unwrap().torch, &[3, 2, 0, 1]);
    type NoBias = Conv2D<f32, 5, 5, 2, 3, 3, 3, 3, 3, Identity, Valid, 1, 1, false>;
    assert_eq!(<NoBias as Params<f32>>::TENSORS, 1);
    assert_eq!(<NoBias as Params<f32>>::PARAMS, 54);
}
