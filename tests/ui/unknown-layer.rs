use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28],
        Conv2d<32>,
        Dense<10, Softmax>,
    }
}

fn main() {}
