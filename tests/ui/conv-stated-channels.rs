use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28, 1],
        Conv2D<3 -> 32, 3x3, Relu>,
        Flatten,
        Dense<10, Softmax>,
    }
}

fn main() {}
