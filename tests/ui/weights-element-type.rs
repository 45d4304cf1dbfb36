use liandan::prelude::*;

network! {
    struct Net {
        input: [4],
        Dense<3, Relu>,
        Dense<2, Softmax>,
        weights: "weights/half.safetensors",
    }
}

fn main() {}
