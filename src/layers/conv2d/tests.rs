use super::*;
use crate::activation::{Relu, Softmax, Tanh};
use crate::gradcheck::{check_layer, uniform};
use crate::layer::{In, Out, Scratch};
use crate::layers::Same;
use crate::rng::SplitMix64;

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

/// A layer with parameters and a batch of inputs uniform in `[-1, 1]`, drawn from `seed`.
fn random<L: Train + Zeroed, const B: usize>(
    seed: u64,
) -> (std::boxed::Box<L>, std::boxed::Box<In<L, B>>) {
    let mut rng = SplitMix64::new(seed);
    let mut fill = |values: &mut [L::Element]| {
        values
            .iter_mut()
            .for_each(|v| *v = Float::of(uniform(&mut rng)));
    };
    let mut layer = L::boxed();
    (0..L::TENSORS).for_each(|i| fill(layer.tensor_mut(i)));
    let mut x = In::<L, B>::boxed();
    fill(x.as_mut_slice());
    (layer, x)
}

/// The largest difference between the Winograd forward and the patches' product (the training
/// pass) of a layer with random parameters on a random batch, relative to the largest output;
/// and that a second call (reusing the transformed kernel), inference in the tape and a call
/// after the kernel changed agree with it.
fn winograd_error<L: Train + Zeroed, const B: usize>() -> f64 {
    let (mut layer, x) = random::<L, B>(11);
    let (mut direct, mut tape) = (Out::<L, B>::boxed(), L::Tape::<B>::boxed());
    layer.forward_train(&x, &mut *direct, &mut *tape, None);
    let (mut fast, mut scratch) = (Out::<L, B>::boxed(), Scratch::<L, B>::boxed());
    let mut error = |layer: &L, fast: &mut Out<L, B>, scratch: &mut Scratch<L, B>| {
        layer.forward_train(&x, &mut *direct, &mut *L::Tape::<B>::boxed(), None);
        layer.forward(&x, fast, scratch);
        let scale = direct
            .as_slice()
            .iter()
            .map(|v| v.to_f64().abs())
            .fold(0.0, f64::max);
        let pairs = direct.as_slice().iter().zip(fast.as_slice());
        let diff = pairs.map(|(d, f)| (d.to_f64() - f.to_f64()).abs());
        diff.fold(0.0, f64::max) / scale
    };
    let first = error(&layer, &mut fast, &mut scratch);
    let once = fast.as_slice().to_vec();
    assert_eq!(error(&layer, &mut fast, &mut scratch), first);
    assert_eq!(fast.as_slice(), &once[..], "the second call");
    let mut in_tape = Out::<L, B>::boxed();
    layer.forward_in(&x, &mut in_tape, &mut tape);
    assert_eq!(in_tape.as_slice(), &once[..], "inference in the tape");
    let kernel = layer.tensor_mut(0);
    kernel[kernel.len() / 2] = Float::of(3.0);
    let changed = error(&layer, &mut fast, &mut scratch);
    first.max(changed)
}

/// `winograd_error` of a convolution in `f64` and in `f32`, checked against their bounds:
/// `f64` as exact as the direct sum, `f32` within `F32_BOUND` of the largest output.
macro_rules! winograd_case {
    ($($params:tt)*) => {{
        let f64_error = winograd_error::<Conv2D<f64, $($params)*>, B>();
        assert!(f64_error <= 1e-12, "f64: {f64_error:e}");
        let f32_error = winograd_error::<Conv2D<f32, $($params)*>, B>();
        assert!(f32_error <= F32_BOUND, "f32: {f32_error:e}");
        std::println!("{}: f64 {f64_error:.1e}, f32 {f32_error:.1e}", stringify!($($params)*));
    }};
}

/// How far the `f32` Winograd forward may be from the direct one, relative to the largest
/// output (pre-activations of order one to ten here: parameters and inputs uniform in
/// `[-1, 1]`), measured at up to 3.3e-6.
const F32_BOUND: f64 = 1e-5;

#[test]
fn winograd_equals_the_direct_convolution() {
    // The Winograd path needs 16 channels; the kernel's own tests cover fewer.
    {
        const B: usize = 1;
        winograd_case!(5, 5, 16, 3, 3, 3, 3, 3); // one partial tile
        winograd_case!(3, 3, 17, 2, 3, 3, 1, 1); // a single output pixel, a partial lane block
        winograd_case!(1, 1, 16, 3, 3, 3, 1, 1, Identity, Same); // all padding but the centre
        winograd_case!(6, 10, 20, 17, 3, 3, 6, 10, Identity, Same); // partial lanes both sides
        winograd_case!(8, 8, 16, 4, 3, 3, 6, 6, Relu, Valid, 1, 1, false); // no bias
    }
    {
        const B: usize = 3;
        winograd_case!(13, 13, 32, 64, 3, 3, 11, 11, Relu); // the convnet's second layer
        winograd_case!(9, 7, 24, 5, 3, 3, 9, 7, Identity, Same); // odd outputs, tiles across samples
    }
}

#[test]
fn only_3x3_stride_1_convolutions_of_16_channels_or_more_take_the_winograd_path() {
    let cases = [
        (Conv2D::<f32, 13, 13, 32, 64, 3, 3, 11, 11>::WINOGRAD, true),
        (
            Conv2D::<f32, 5, 5, 16, 2, 3, 3, 5, 5, Identity, Same>::WINOGRAD,
            true,
        ),
        (Conv2D::<f32, 28, 28, 1, 32, 3, 3, 26, 26>::WINOGRAD, false),
        (
            Conv2D::<f32, 5, 5, 16, 2, 3, 3, 2, 2, Identity, Valid, 2, 2>::WINOGRAD,
            false,
        ),
        (Conv2D::<f32, 5, 5, 16, 2, 5, 5, 1, 1>::WINOGRAD, false),
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        assert_eq!(got, want, "case {i}");
    }
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

/// The inference forward of a layer with random parameters on a random batch, against its
/// training forward (the patches' product, the bias, the activation), value for value: the
/// direct path computes each output with the product's own chain of multiply-adds, so the two
/// agree bit for bit on any processor.
fn direct_agrees<L: Train + Zeroed, const B: usize>() {
    let (layer, x) = random::<L, B>(5);
    let (mut want, mut tape) = (Out::<L, B>::boxed(), L::Tape::<B>::boxed());
    layer.forward_train(&x, &mut *want, &mut *tape, None);
    let (mut got, mut scratch) = (Out::<L, B>::boxed(), Scratch::<L, B>::boxed());
    got.as_mut_slice().fill(Float::of(f64::NAN));
    layer.forward(&x, &mut got, &mut scratch);
    assert_eq!(got.as_slice(), want.as_slice());
}

/// [`direct_agrees`] for a convolution in `f64` and `f32`, at batch 1 and 3.
macro_rules! direct_case {
    ($($params:tt)*) => {{
        const { assert!(Conv2D::<f32, $($params)*>::DIRECT) };
        direct_agrees::<Conv2D<f64, $($params)*>, 1>();
        direct_agrees::<Conv2D<f64, $($params)*>, 3>();
        direct_agrees::<Conv2D<f32, $($params)*>, 1>();
        direct_agrees::<Conv2D<f32, $($params)*>, 3>();
    }};
}

#[test]
fn the_direct_forward_equals_the_patches_product() {
    direct_case!(28, 28, 1, 32, 3, 3, 26, 26, Relu); // the convnet's first layer
    direct_case!(28, 28, 1, 32, 3, 3, 28, 28, Relu, Same);
    direct_case!(7, 9, 1, 5, 3, 3, 7, 9, Tanh, Same); // partial lanes
    direct_case!(9, 8, 1, 40, 3, 3, 7, 6, Identity, Valid, 1, 1, false); // two blocks, no bias
    direct_case!(9, 9, 1, 17, 5, 4, 5, 3, Identity, Same, 2, 3); // strides, odd window
    direct_case!(6, 6, 1, 3, 3, 3, 2, 2, Softmax, Valid, 2, 2); // a softmax over each pixel
    direct_case!(2, 3, 1, 16, 5, 4, 2, 3, Identity, Same); // more padding than image
}

#[test]
fn only_single_channel_convolutions_take_the_direct_path() {
    const { assert!(!Conv2D::<f32, 13, 13, 32, 64, 3, 3, 11, 11>::DIRECT) };
    const { assert!(!Conv2D::<f32, 5, 5, 2, 3, 3, 3, 3, 3>::DIRECT) };
    // A same window whose padded image (66×66) exceeds the kernel's buffer.
    const { assert!(!Conv2D::<f32, 64, 64, 1, 8, 3, 3, 64, 64, Identity, Same>::DIRECT) };
    const { assert!(Conv2D::<f32, 64, 64, 1, 8, 3, 3, 62, 62>::DIRECT) };
}
