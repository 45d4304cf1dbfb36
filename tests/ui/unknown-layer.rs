use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28, 1],
        Convolution<32, 3x3>,
        Dense<10, Softmax>,
    }
}

fn main() {}
