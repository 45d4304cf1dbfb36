use liandan::prelude::*;

// The seed network's layers under another name: the file records `Mnist: ...`.
network! {
    struct Digits {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
        weights: "weights/mnist.safetensors",
    }
}

fn main() {}
