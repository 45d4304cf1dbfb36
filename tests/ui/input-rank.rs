use liandan::prelude::*;

// A sample is a vector, a grid or an image with channels: at most three dimensions.
network! {
    struct Net {
        input: [2, 3, 4, 5],
        Flatten,
        Dense<10, Softmax>,
    }
}

fn main() {}
