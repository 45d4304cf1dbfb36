use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28],
        Dense<128, Relu>,
        Dense<10, Softmax>,
    }
}

fn main() {}
