use liandan::prelude::*;

network! {
    struct Net {
        Dense<128, Relu>,
        Dense<10, Softmax>,
    }
}

fn main() {}
