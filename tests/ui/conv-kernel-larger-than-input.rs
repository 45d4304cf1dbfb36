use liandan::prelude::*;

network! {
    struct Net {
        input: [20, 20, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<32, 2x2, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 5x5>,
        Flatten,
        Dense<10, Softmax>,
    }
}

fn main() {}
