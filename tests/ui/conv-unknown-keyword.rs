use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28, 1],
        Conv2D<32, 3x3, padding = Full, stride = 2>,
        Flatten,
        Dense<10, Softmax>,
    }
}

fn main() {}
