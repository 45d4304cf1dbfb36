use liandan::prelude::*;

network! {
    struct Net {
        input: [4],
        Normalization,
        Dense<2, Softmax>,
        weights: "weights/float-count.safetensors",
    }
}

fn main() {}
