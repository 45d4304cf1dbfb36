use liandan::prelude::*;

// Three independent mistakes: each is reported, and the mismatch in layer 2 does not cause a
// second error in layer 3.
network! {
    struct Net {
        input: [784],
        Dense<128, Relu>,
        Dense<100 -> 64, Tanhh>,
        Dense<64 -> 10, Softmax>,
        Dropout<2.0>,
    }
}

fn main() {}
