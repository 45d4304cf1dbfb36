use liandan::prelude::*;

network! {
    struct Net {
        input: [784],
        Dense<128, Relu>,
        Dense<10, Softmax>,
        output: [12],
    }
}

fn main() {}
