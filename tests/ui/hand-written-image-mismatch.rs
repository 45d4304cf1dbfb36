use liandan::layers::{Chain, Dense, Flatten};
use liandan::prelude::*;

fn main() {
    // 26×26 images of 32 channels flatten to 21632 features, but the dense layer takes 5408
    // (13×13×32, as after a pooling layer that is not there).
    let net = Chain::new(
        Flatten::<f32, Hwc<26, 26, 32>, 21632>::new(),
        Dense::<f32, 5408, 10>::zeroed(),
    );
    let _ = net;
}
