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

#[cfg(feature = "parallel")]
mod parallel {
    use super::*;
    use crate::gradcheck::{check_split_bits, passes, uniform, SplitMix64};

    /// The second convolution of keras.io's convnet, narrower: 16 samples, split at 12.
    type Conv<A> = Conv2D<f32, 13, 13, 8, 16, 3, 3, 11, 11, A>;
    const B: usize = 16;
    type Input = HwcBatch<f32, 13, 13, 8, B>;
    type Output = HwcBatch<f32, 11, 11, 16, B>;

    /// A batch of values in [-1, 1), and their magnitudes.
    fn random<X: Buffer<f32>>(rng: &mut SplitMix64) -> [std::boxed::Box<X>; 2] {
        let (mut x, mut abs) = (X::boxed(), X::boxed());
        for (v, a) in x.as_mut_slice().iter_mut().zip(abs.as_mut_slice()) {
            *v = uniform(rng) as f32;
            *a = v.abs();
        }
        [x, abs]
    }

    fn layer<A: Activation>(rng: &mut SplitMix64) -> std::boxed::Box<Conv<A>> {
        let mut conv = Conv::<A>::boxed();
        conv.init(rng);
        let bias = conv.bias.iter_mut();
        bias.for_each(|b| *b = uniform(rng) as f32 * 0.1);
        conv
    }

    #[test]
    fn outputs_and_input_gradients_split_by_samples_are_the_whole_passes_bits() {
        if crate::parallel::two_threads() {
            assert_eq!(
                crate::parallel::sample_split(B, Conv::<Relu>::work(B)),
                Some(12)
            );
        }
        // Sample by sample, the same operations in the same order.
        check_split_bits::<_, B>(&*layer::<Relu>(&mut SplitMix64::new(3)));
    }

    #[test]
    fn parameter_gradients_split_by_samples_agree_within_the_rounding_of_their_sums() {
        // Sums over the batch's 16·121 pixels: two running sums added, against one. Each is
        // within `n·ε·Σ|terms|` of the exact sum of `n` terms, so they agree within twice that.
        // With the identity, `δ = ∂L/∂y`, so the same pass on `|x|` and `|∂L/∂y|` gives each
        // entry's `Σ|terms|`.
        let mut rng = SplitMix64::new(5);
        let conv = layer::<Identity>(&mut rng);
        let ([x, abs_x], [seed, abs_seed]) =
            (random::<Input>(&mut rng), random::<Output>(&mut rng));
        let (_, _, split) = passes(&*conv, &*x, &*seed, false);
        let (_, _, whole) = passes(&*conv, &*x, &*seed, true);
        let (_, _, magnitude) = passes(&*conv, &*abs_x, &*abs_seed, true);
        let n = (B * 11 * 11) as f32;
        for t in 0..2 {
            let (split, whole, magnitude) = (split.tensor(t), whole.tensor(t), magnitude.tensor(t));
            for ((a, b), m) in split.iter().zip(whole).zip(magnitude) {
                let bound = 2.0 * n * f32::EPSILON * m;
                assert!(
                    (a - b).abs() <= bound,
                    "tensor {t}: {a} against {b}, bound {bound}"
                );
            }
        }
    }
}
