#!/usr/bin/env bash
# Compile times of code that uses liandan, measured in a scratch crate under target/:
#  1. clean and incremental release build of an MNIST-like program (the seed network, one
#     training step and a prediction), liandan and its dependencies included in "clean";
#  2. `cargo check` (macro expansion + type check, dependencies already checked) of a crate
#     declaring one network of 4, 16 or 64 dense layers, or of 16 convolutions, and training
#     it one step;
#  3. the incremental release build of the same program with keras.io's convnet.
# Usage: tools/compile_times.sh   (prints one line per figure, seconds of wall time)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/compile-times"
rm -rf "$work" && mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "compile-times"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
liandan = { path = "$root" }
TOML

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

mnist() {
  cat > "$work/src/main.rs" <<'RS'
use liandan::prelude::*;
network! {
    pub struct Mnist { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>, Dense<10, Softmax> }
}
fn main() {
    let mut rng = liandan::rng::SplitMix64::new(1);
    let mut net = Mnist::<f32>::new_boxed(&mut rng);
    let mut trainer = Mnist::<f32>::trainer::<Adam, 32>(Adam::default());
    let x = Batch::<f32, Hw<28, 28>, 32>::boxed();
    let loss = SparseCategoricalCrossentropy::default();
    let l = trainer.step(&mut net, &x, &[0; 32], 32, &loss, &mut rng).unwrap();
    println!("{l} {}", net.predict(&Sample::<f32, Hw<28, 28>>::zeroed()).sum() + /* edit marker */ 0.0);
}
RS
}

deep() { # $1 = number of dense layers
  {
    echo 'use liandan::prelude::*;'
    echo 'network! { pub struct Deep { input: [32],'
    for _ in $(seq 1 "$1"); do echo '  Dense<32, Relu>,'; done
    echo '} }'
    echo 'fn main() {'
    echo '  let mut rng = liandan::rng::SplitMix64::new(1);'
    echo '  let mut net = Deep::<f32>::new_boxed(&mut rng);'
    echo '  let mut t = Deep::<f32>::trainer::<Adam, 8>(Adam::default());'
    echo '  let x = SMatrix::<f32, 32, 8>::zeros();'
    echo '  let l = t.step(&mut net, &x, &SMatrix::zeros(), 8, &MeanSquaredError, &mut rng).unwrap();'
    echo '  println!("{l}");'
    echo '}'
  } > "$work/src/main.rs"
}

convnet() { # keras.io's convnet, one training step and a prediction
  cat > "$work/src/main.rs" <<'RS'
use liandan::prelude::*;
network! {
    pub struct Convnet { input: [28, 28, 1], Conv2D<32, 3x3, Relu>, MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>, MaxPooling2D<2>, Flatten, Dropout<0.5>, Dense<10, Softmax> }
}
fn main() {
    let mut rng = liandan::rng::SplitMix64::new(1);
    let mut net = Convnet::<f32>::new_boxed(&mut rng);
    let mut trainer = Convnet::<f32>::trainer::<Adam, 32>(Adam::default());
    let x = Batch::<f32, Hwc<28, 28, 1>, 32>::boxed();
    let loss = SparseCategoricalCrossentropy::default();
    let l = trainer.step(&mut net, &x, &[0; 32], 32, &loss, &mut rng).unwrap();
    let y = trainer.predict(&net, &x).sum();
    println!("{l} {}", y + /* edit marker */ 0.0);
}
RS
}

convolutions() { # $1 = number of convolutions, each 8 filters of 3x3 with same padding
  {
    echo 'use liandan::prelude::*;'
    echo 'network! { pub struct Deep { input: [16, 16, 1],'
    for _ in $(seq 1 "$1"); do echo '  Conv2D<8, 3x3, Relu, padding = Same>,'; done
    echo '  Flatten, Dense<10, Softmax>,'
    echo '} }'
    echo 'fn main() {'
    echo '  let mut rng = liandan::rng::SplitMix64::new(1);'
    echo '  let mut net = Deep::<f32>::new_boxed(&mut rng);'
    echo '  let mut t = Deep::<f32>::trainer::<Adam, 8>(Adam::default());'
    echo '  let x = Batch::<f32, Hwc<16, 16, 1>, 8>::boxed();'
    echo '  let loss = SparseCategoricalCrossentropy::default();'
    echo '  let l = t.step(&mut net, &x, &[0; 8], 8, &loss, &mut rng).unwrap();'
    echo '  println!("{l}");'
    echo '}'
  } > "$work/src/main.rs"
}

cd "$work"
mnist
start=$(now); cargo build --release -q 2>/dev/null; echo "mnist clean release build (with deps): $(elapsed "$start") s"
sed -i 's|/\* edit marker \*/ 0.0|/* edit marker */ 1.0|' src/main.rs
start=$(now); cargo build --release -q 2>/dev/null; echo "mnist incremental release build:        $(elapsed "$start") s"
cargo check -q 2>/dev/null
for n in 4 16 64; do
  deep "$n"
  start=$(now); cargo check -q; echo "cargo check, $n dense layers:            $(elapsed "$start") s"
done
convolutions 16
start=$(now); cargo check -q; echo "cargo check, 16 convolutions:           $(elapsed "$start") s"
convnet
cargo build --release -q 2>/dev/null
sed -i 's|/\* edit marker \*/ 0.0|/* edit marker */ 1.0|' src/main.rs
start=$(now); cargo build --release -q 2>/dev/null; echo "convnet incremental release build:      $(elapsed "$start") s"
