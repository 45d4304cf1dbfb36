use liandan::prelude::*;

network! {
    struct Net {
        input: [784],
    }
}

fn main() {}
