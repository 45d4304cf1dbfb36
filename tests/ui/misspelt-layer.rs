use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28, 1],
        Conv2d<32, 3x3>,
        Flatten,
        Dense<10, Softmax>,
    }
}

fn main() {}
