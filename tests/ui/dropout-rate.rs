use liandan::prelude::*;

network! {
    struct Net {
        input: [784],
        Dense<128, Relu>,
        Dropout<1.5>,
        Dense<10, Softmax>,
    }
}

network! {
    struct Negative {
        input: [784],
        Dropout<-0.1>,
        Dense<10, Softmax>,
    }
}

fn main() {}
