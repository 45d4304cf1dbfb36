use liandan::layers::{Chain, Dense};
use liandan::prelude::*;

fn predict<L>(layer: &L, x: &SVector<f32, 784>) -> SVector<f32, 10>
where
    L: Forward<Element = f32, Input = Flat<784>, Output = Flat<10>>,
{
    let mut y = SVector::zeros();
    layer.forward(x, &mut y, &mut Zeroed::zeroed());
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
