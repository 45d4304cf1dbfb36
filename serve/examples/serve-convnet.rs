//! keras.io's "simple MNIST convnet" as an inference service: the same server as
//! `serve-mnist`, for a network of convolutions (input `[28, 28, 1]`, one channel).
//!
//! ```text
//! cargo run --release -p liandan-serve --example serve-convnet [-- --address 127.0.0.1:8000
//!     --weights FILE --batch-size 16 --max-wait-us 200]
//! ```
//!
//! Without `--weights` it serves the trained weights committed at
//! `ffi/weights/convnet.safetensors` (what `cargo run --release --example mnist_cnn` saves,
//! seed 42); the file's architecture is checked against the declaration below when it loads.
//! The model's name in the URLs is `convnet`: `POST /v2/models/convnet/infer` with an input of
//! shape `[N, 28, 28, 1]`.

use std::path::PathBuf;

use clap::Parser;
use liandan::prelude::*;
use liandan_serve::{Flags, Server};

network! {
    /// keras.io's "Simple MNIST convnet", exactly as `examples/mnist_cnn.rs` trains it.
    pub struct Convnet {
        input: [28, 28, 1],
        Conv2D<32, 3x3, Relu>,
        MaxPooling2D<2>,
        Conv2D<64, 3x3, Relu>,
        MaxPooling2D<2>,
        Flatten,
        Dropout<0.5>,
        Dense<10, Softmax>,
    }
}

/// The committed trained weights.
const WEIGHTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../ffi/weights/convnet.safetensors"
);

/// Serves the convnet over HTTP (KServe v2 and TensorFlow Serving REST).
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
    let server = Server::<Convnet<f32>>::from_weights(&weights)?.with_config(args.flags.config());
    tracing::info!(weights = %weights.display(), "loaded");
    server.serve(&args.flags.address)?;
    Ok(())
}
