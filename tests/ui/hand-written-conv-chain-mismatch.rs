use liandan::layers::{Chain, Conv2D, MaxPooling2D};
use liandan::prelude::*;

fn main() {
    // A 3×3 convolution of 28×28 images gives 26×26, but the pooling layer is written for
    // 28×28 (as if the convolution padded the image).
    let net = Chain::new(
        Conv2D::<f32, 28, 28, 1, 32, 3, 3, 26, 26, Relu>::zeroed(),
        MaxPooling2D::<f32, 28, 28, 32, 2, 2, 14, 14>::new(),
    );
    let _ = net;
}
