use liandan::layers::Flatten;
use liandan::prelude::*;

// Built at compile time (`Flatten::new` is `const`): 26 · 26 · 32 is 21632, not 21631.
const FLATTEN: Flatten<f32, Hwc<26, 26, 32>, 21631> = Flatten::new();

fn main() {
    let _ = FLATTEN;
}
