use liandan::layers::{Chain, Dense};
use liandan::prelude::*;

fn predict<L: Layer<f32, 784, 10>>(layer: &L, x: &SMatrix<f32, 784, 1>) -> SMatrix<f32, 10, 1> {
    let mut y = SMatrix::zeros();
    layer.forward(x, &mut y);
    y
}

fn main() {
    // Built without `Chain::new`'s check, the mismatch surfaces where the chain is used.
    let net = Chain {
        first: Dense::<f32, 784, 128, Relu>::zeroed(),
        second: Dense::<f32, 127, 10, Softmax>::zeroed(),
    };
    let _ = predict(&net, &SMatrix::zeros());
}
