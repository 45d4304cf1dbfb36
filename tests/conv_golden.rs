//! Conv2D and the pooling layers against values computed outside liandan: float64 numpy loops
//! checked against Keras 3 on JAX (tools/conv_reference/golden.py, which wrote
//! tests/golden/conv.rs). Each case runs the training pass at batch 1 and compares the output,
//! the input gradient and the parameter gradients for the upstream gradient `dy`.

mod golden;

use golden::conv::*;
use liandan::activation::Identity;
use liandan::layer::{Backward, In, Out, Params, Scratch, Train};
use liandan::layers::{
    AveragePooling2D, Conv2D, GlobalAveragePooling2D, MaxPooling2D, Same, Valid,
};
use liandan::prelude::*;

/// The golden values of one case: the input, the parameters (Keras' layout), the output, the
/// upstream gradient, the input gradient and the parameter gradients.
struct Case<'a> {
    x: &'a [f64],
    params: &'a [&'a [f64]],
    y: &'a [f64],
    dy: &'a [f64],
    dx: &'a [f64],
    dparams: &'a [&'a [f64]],
}

fn close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-12, "{what}[{i}]: {g} vs golden {w}");
    }
}

fn check<L: Train<Element = f64> + Zeroed>(case: Case<'_>) {
    let mut layer = L::boxed();
    for (i, values) in case.params.iter().enumerate() {
        layer.tensor_mut(i).copy_from_slice(values);
    }
    let x = In::<L, 1>::from_slice(case.x);
    let (mut y, mut tape) = (Out::<L, 1>::boxed(), L::Tape::<1>::boxed());
    layer.forward_train(&x, &mut *y, &mut *tape, None);
    close("y", y.as_slice(), case.y);
    let mut inference = Out::<L, 1>::boxed();
    layer.forward(&x, &mut *inference, &mut *Scratch::<L, 1>::boxed());
    close("y at inference", inference.as_slice(), case.y);
    let mut dy = Out::<L, 1>::from_slice(case.dy);
    let (mut grad, mut dx) = (L::Grad::boxed(), In::<L, 1>::boxed());
    let ctx = Backward::new(&x, &*y, &mut *tape, &mut dy, &mut *grad);
    layer.backward(ctx.overwrite().input_gradient(&mut *dx));
    close("dx", dx.as_slice(), case.dx);
    for (i, want) in case.dparams.iter().enumerate() {
        close(&format!("gradient {i}"), grad.tensor(i), want);
    }
}

#[test]
fn conv_valid_stride_1() {
    check::<Conv2D<f64, 5, 6, 2, 3, 3, 3, 3, 4>>(Case {
        x: &CONV_VALID_S1_X,
        params: &[&CONV_VALID_S1_KERNEL, &CONV_VALID_S1_BIAS],
        y: &CONV_VALID_S1_Y,
        dy: &CONV_VALID_S1_DY,
        dx: &CONV_VALID_S1_DX,
        dparams: &[&CONV_VALID_S1_DKERNEL, &CONV_VALID_S1_DBIAS],
    });
}

#[test]
fn conv_without_bias() {
    check::<Conv2D<f64, 5, 6, 2, 3, 3, 3, 3, 4, Identity, Valid, 1, 1, false>>(Case {
        x: &CONV_VALID_S1_NO_BIAS_X,
        params: &[&CONV_VALID_S1_NO_BIAS_KERNEL],
        y: &CONV_VALID_S1_NO_BIAS_Y,
        dy: &CONV_VALID_S1_NO_BIAS_DY,
        dx: &CONV_VALID_S1_NO_BIAS_DX,
        dparams: &[&CONV_VALID_S1_NO_BIAS_DKERNEL],
    });
}

#[test]
fn conv_same_stride_1() {
    check::<Conv2D<f64, 5, 6, 2, 3, 3, 3, 5, 6, Identity, Same>>(Case {
        x: &CONV_SAME_S1_X,
        params: &[&CONV_SAME_S1_KERNEL, &CONV_SAME_S1_BIAS],
        y: &CONV_SAME_S1_Y,
        dy: &CONV_SAME_S1_DY,
        dx: &CONV_SAME_S1_DX,
        dparams: &[&CONV_SAME_S1_DKERNEL, &CONV_SAME_S1_DBIAS],
    });
}

#[test]
fn conv_same_with_an_even_kernel_pads_one_more_after() {
    check::<Conv2D<f64, 5, 4, 2, 3, 3, 2, 5, 4, Identity, Same>>(Case {
        x: &CONV_SAME_EVEN_X,
        params: &[&CONV_SAME_EVEN_KERNEL, &CONV_SAME_EVEN_BIAS],
        y: &CONV_SAME_EVEN_Y,
        dy: &CONV_SAME_EVEN_DY,
        dx: &CONV_SAME_EVEN_DX,
        dparams: &[&CONV_SAME_EVEN_DKERNEL, &CONV_SAME_EVEN_DBIAS],
    });
}

#[test]
fn conv_valid_stride_2() {
    check::<Conv2D<f64, 7, 6, 2, 2, 3, 3, 3, 2, Identity, Valid, 2, 2>>(Case {
        x: &CONV_VALID_S2_X,
        params: &[&CONV_VALID_S2_KERNEL, &CONV_VALID_S2_BIAS],
        y: &CONV_VALID_S2_Y,
        dy: &CONV_VALID_S2_DY,
        dx: &CONV_VALID_S2_DX,
        dparams: &[&CONV_VALID_S2_DKERNEL, &CONV_VALID_S2_DBIAS],
    });
}

#[test]
fn conv_same_stride_2_pads_asymmetrically() {
    check::<Conv2D<f64, 7, 6, 2, 2, 3, 3, 4, 3, Identity, Same, 2, 2>>(Case {
        x: &CONV_SAME_S2_X,
        params: &[&CONV_SAME_S2_KERNEL, &CONV_SAME_S2_BIAS],
        y: &CONV_SAME_S2_Y,
        dy: &CONV_SAME_S2_DY,
        dx: &CONV_SAME_S2_DX,
        dparams: &[&CONV_SAME_S2_DKERNEL, &CONV_SAME_S2_DBIAS],
    });
}

#[test]
fn conv_1x1() {
    check::<Conv2D<f64, 4, 4, 3, 2, 1, 1, 4, 4>>(Case {
        x: &CONV_1X1_X,
        params: &[&CONV_1X1_KERNEL, &CONV_1X1_BIAS],
        y: &CONV_1X1_Y,
        dy: &CONV_1X1_DY,
        dx: &CONV_1X1_DX,
        dparams: &[&CONV_1X1_DKERNEL, &CONV_1X1_DBIAS],
    });
}

/// A pooling case: no parameters.
fn pool<L: Train<Element = f64> + Zeroed>(x: &[f64], y: &[f64], dy: &[f64], dx: &[f64]) {
    check::<L>(Case {
        x,
        params: &[],
        y,
        dy,
        dx,
        dparams: &[],
    });
}

#[test]
fn max_pooling() {
    type Pool = MaxPooling2D<f64, 5, 6, 2, 2, 2, 2, 3>;
    pool::<Pool>(&MAXPOOL_2_X, &MAXPOOL_2_Y, &MAXPOOL_2_DY, &MAXPOOL_2_DX);
    type Same2 = MaxPooling2D<f64, 5, 5, 2, 2, 2, 3, 3, Same>;
    pool::<Same2>(
        &MAXPOOL_2_SAME_X,
        &MAXPOOL_2_SAME_Y,
        &MAXPOOL_2_SAME_DY,
        &MAXPOOL_2_SAME_DX,
    );
    type Same3 = MaxPooling2D<f64, 5, 6, 2, 3, 3, 3, 3, Same, 2, 2>;
    let (x, y) = (&MAXPOOL_3_S2_SAME_X, &MAXPOOL_3_S2_SAME_Y);
    pool::<Same3>(x, y, &MAXPOOL_3_S2_SAME_DY, &MAXPOOL_3_S2_SAME_DX);
}

#[test]
fn max_pooling_routes_a_tie_to_its_first_maximum_as_keras_does() {
    type Pool = MaxPooling2D<f64, 5, 6, 2, 2, 2, 2, 3>;
    let (x, y) = (&MAXPOOL_2_TIES_X, &MAXPOOL_2_TIES_Y);
    pool::<Pool>(x, y, &MAXPOOL_2_TIES_DY, &MAXPOOL_2_TIES_DX);
    type Overlapping = MaxPooling2D<f64, 5, 6, 2, 3, 3, 3, 3, Same, 2, 2>;
    let (x, y) = (&MAXPOOL_3_S2_SAME_TIES_X, &MAXPOOL_3_S2_SAME_TIES_Y);
    pool::<Overlapping>(x, y, &MAXPOOL_3_S2_SAME_TIES_DY, &MAXPOOL_3_S2_SAME_TIES_DX);
}

#[test]
fn average_pooling_counts_only_the_values_a_window_covers() {
    type Pool = AveragePooling2D<f64, 5, 6, 2, 2, 2, 2, 3>;
    pool::<Pool>(&AVGPOOL_2_X, &AVGPOOL_2_Y, &AVGPOOL_2_DY, &AVGPOOL_2_DX);
    type Same2 = AveragePooling2D<f64, 5, 5, 2, 2, 2, 3, 3, Same>;
    pool::<Same2>(
        &AVGPOOL_2_SAME_X,
        &AVGPOOL_2_SAME_Y,
        &AVGPOOL_2_SAME_DY,
        &AVGPOOL_2_SAME_DX,
    );
    type Same3 = AveragePooling2D<f64, 5, 6, 2, 3, 3, 3, 3, Same, 2, 2>;
    let (x, y) = (&AVGPOOL_3_S2_SAME_X, &AVGPOOL_3_S2_SAME_Y);
    pool::<Same3>(x, y, &AVGPOOL_3_S2_SAME_DY, &AVGPOOL_3_S2_SAME_DX);
}

#[test]
fn global_average_pooling() {
    type Pool = GlobalAveragePooling2D<f64, 3, 4, 2>;
    pool::<Pool>(
        &GLOBAL_AVGPOOL_X,
        &GLOBAL_AVGPOOL_Y,
        &GLOBAL_AVGPOOL_DY,
        &GLOBAL_AVGPOOL_DX,
    );
}
