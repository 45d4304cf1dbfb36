use liandan::prelude::*;

network! {
    struct Net {
        input: [28, 28, 1],
        Conv2D<0, 3x3>,
        Conv2D<32, 3x0>,
        Conv2D<32, 3x3, strides = 0>,
        MaxPooling2D<0>,
        Flatten,
        Dense<10, Softmax>,
    }
}

fn main() {}
