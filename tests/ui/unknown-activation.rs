use liandan::prelude::*;

network! {
    struct Net {
        input: [784],
        Dense<128, Rellu>,
        Dense<10, Softmax>,
    }
}

fn main() {}
