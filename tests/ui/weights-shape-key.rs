use liandan::prelude::*;

network! {
    struct Net {
        input: "net.safetensors",
        Dense<2, Softmax>,
    }
}

fn main() {}
