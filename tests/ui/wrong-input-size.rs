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
    // An image of 28×27 pixels, not 28×28.
    let _ = net.predict(&Sample::<f32, Hw<28, 27>>::zeroed());
}
