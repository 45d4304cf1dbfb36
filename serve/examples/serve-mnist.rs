//! The seed's MNIST network as an inference service.
//!
//! ```text
//! cargo run --release -p liandan-serve --example serve-mnist [-- --address 127.0.0.1:8000
//!     --weights FILE --batch-size 16 --max-wait-us 200]
//! ```
//!
//! Without `--weights` it serves the trained weights committed at
//! `ffi/weights/mnist.safetensors` (written by `cargo run --release --example deploy -- --train`);
//! `cargo run --release --example mnist` writes its own to `target/mnist/mnist.safetensors`,
//! which `--weights` takes too. The file's architecture is checked against the declaration
//! below when it loads.
//!
//! The name is not `mnist`: that is the core's training example (`cargo run --release --example
//! mnist`), and cargo puts every workspace member's examples in one `target/<profile>/examples/`,
//! so two examples of one name built in one invocation (`cargo build --workspace --all-targets`,
//! `cargo test --workspace`) are one file there. Cargo 1.95 warns, "output filename collision at
//! target/debug/examples/mnist ... this may become a hard error in the future" (rust-lang/cargo
//! #6313); only `cargo check` and `clippy`, which uplift no binary, are silent. No stable setting
//! renames an example's file apart from its target name, and `required-features` would leave it
//! out of `cargo run -p liandan-serve --example mnist` too.

use std::path::PathBuf;

use clap::Parser;
use liandan::prelude::*;
use liandan_serve::{Flags, Server};

network! {
    /// The seed's MNIST classifier, exactly as `examples/mnist.rs` trains it.
    pub struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

/// The committed trained weights.
const WEIGHTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../ffi/weights/mnist.safetensors"
);

/// Serves the MNIST network over HTTP (KServe v2 and TensorFlow Serving REST).
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    flags: Flags,
}

fn main() -> anyhow::Result<()> {
    liandan_serve::init_logs();
    let args = Args::parse();
    let weights = args
        .flags
        .weights
        .clone()
        .unwrap_or_else(|| PathBuf::from(WEIGHTS));
    let server = Server::<Mnist<f32>>::from_weights(&weights)?.with_config(args.flags.config());
    tracing::info!(weights = %weights.display(), "loaded");
    server.serve(&args.flags.address)?;
    Ok(())
}
