use liandan::prelude::*;

network! {
    struct Net {
        input: [4],
        Dense<2, Softmax>,
        weight: "net.safetensors",
    }
}

fn main() {}
