use liandan::layers::{Chain, Dense};
use liandan::prelude::*;

fn main() {
    // The second layer takes 127 features, but the first gives 128.
    let net = Chain::new(
        Dense::<f32, 784, 128, Relu>::zeroed(),
        Dense::<f32, 127, 10, Softmax>::zeroed(),
    );
    let _ = net;
}
