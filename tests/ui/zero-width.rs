use liandan::prelude::*;

network! {
    struct Net {
        input: [784],
        Dense<0, Relu>,
    }
}

network! {
    struct Other {
        input: [28, 0],
        Flatten,
        Dense<10>,
    }
}

fn main() {}
