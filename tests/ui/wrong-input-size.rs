use liandan::prelude::*;

network! {
    struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dense<10, Softmax>,
    }
}

fn main() {
    let net = Mnist::<f32>::zeroed();
    // 783 pixels, not 784.
    let _ = net.predict(&SVector::<f32, 783>::zeros());
}
