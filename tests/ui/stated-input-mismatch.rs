use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<784 -> 10, Softmax>,
    }
}

fn main() {}
