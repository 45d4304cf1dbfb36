use liandan::prelude::*;

network! {
    struct Net {
        input: [4],
        Dense<3, Tanh>,
        Dense<2, Softmax>,
        weights: "weights/int8.safetensors",
    }
}

fn main() {}
