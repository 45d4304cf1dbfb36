use liandan::prelude::*;

// Spam or not: one output, but a softmax over one unit is 1 for every email.
network! {
    struct Spam {
        input: [20],
        Dense<16, Relu>,
        Dropout<0.2>,
        Dense<1, Softmax>,
    }
}

// The same mistake with the activation as a layer of its own.
network! {
    struct Churn {
        input: [8],
        Dense<4, Relu>,
        Dense<1>,
        Activation<Softmax>,
    }
}

fn main() {}
