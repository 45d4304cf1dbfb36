use liandan::prelude::*;

network! {
    struct Net {
        input: [4],
        Dense<3, Relu>,
        Dense<2, Softmax>,
        weights: "weights/int8-zero-scale.safetensors",
    }
}

fn main() {}
