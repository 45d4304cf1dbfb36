use liandan::prelude::*;

network! {
    struct Net {
        inputs: [784],
        Dense<10, Softmax>,
    }
}

fn main() {}
