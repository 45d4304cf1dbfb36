use liandan::prelude::*;

// One sample of this input has 10^22 values: more than a `usize` counts, so no type can hold it.
network! {
    struct Net {
        input: [100000000000, 100000000000],
        Flatten,
        Dense<10, Softmax>,
    }
}

fn main() {}
