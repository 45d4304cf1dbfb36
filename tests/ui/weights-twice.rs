use liandan::prelude::*;

network! {
    struct Net {
        input: [4],
        Dense<2, Softmax>,
        weights: "a.safetensors",
        weights: "b.safetensors",
    }
}

fn main() {}
