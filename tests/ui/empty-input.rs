use liandan::prelude::*;

network! {
    struct Net {
        input: [],
        Dense<10, Softmax>,
    }
}

fn main() {}
