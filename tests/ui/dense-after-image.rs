use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Dense<10, Softmax>,
    }
}

fn main() {}
