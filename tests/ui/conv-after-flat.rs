use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28, 1],
        Flatten,
        Conv2D<32, 3x3, Relu>,
        Dense<10, Softmax>,
    }
}

fn main() {}
