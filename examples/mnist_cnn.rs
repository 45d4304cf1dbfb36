//! The second main job: keras.io's "simple MNIST convnet" learns handwritten digits, trained
//! as keras.io trains it (Adam, batch 128, 15 epochs).
//!
//! ```text
//! cargo run --release --example mnist_cnn [-- --epochs 15 --batch-size 128 --seed 42
//!                                            --data-dir DIR --out target/mnist_cnn]
//! ```
//!
//! By default it trains on the 10,000 real MNIST digits bundled in `data/mnist/`, split 80/10/10
//! (stratified, seeded) into training, evaluation and test parts. `--data-dir` points at a
//! directory holding the full MNIST files (`train-images-idx3-ubyte.gz`, ...) instead: then the
//! 60,000 training digits are split 90/10 into training and evaluation, and the 10,000 `t10k`
//! digits are the test part. Into `--out` go the training curves (`curves.svg`) and the weights
//! (`mnist_cnn.safetensors`). The report is `mnist`'s.

mod job;

use std::path::PathBuf;
use std::time::Instant;

use job::Args;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// keras.io's "Simple MNIST convnet": 34,826 parameters.
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

fn main() -> anyhow::Result<()> {
    let defaults = Args {
        epochs: 15,
        batch_size: 128,
        seed: 42,
        data_dir: None,
        out: PathBuf::from("target/mnist_cnn"),
    };
    let args = job::parse_args("mnist_cnn", defaults).map_err(anyhow::Error::msg)?;
    // The batch size is a type parameter: each supported size is its own monomorphized run.
    match args.batch_size {
        16 => run::<16>(&args),
        32 => run::<32>(&args),
        64 => run::<64>(&args),
        128 => run::<128>(&args),
        other => anyhow::bail!("--batch-size {other}: choose 16, 32, 64 or 128"),
    }
}

fn run<const B: usize>(args: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let (train, eval, test) = job::load::<Hwc<28, 28, 1>>(args)?;
    println!(
        "{} training, {} evaluation and {} test digits; batch size {B}\n",
        train.len(),
        eval.len(),
        test.len()
    );
    print!("{}", Convnet::<f32>::summary());

    let net = Convnet::new_boxed(&mut SplitMix64::new(args.seed));
    let mut model: Model<Convnet, _, _, B> = Model::compile(
        net,
        Adam::default(),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy],
    );
    let options = FitOptions::new(args.epochs)
        .seed(args.seed)
        .validation_data(&eval);
    let history = model.fit(&train, options)?;
    job::print_epochs(&history);

    let test_logs = model.evaluate(&test)?;
    println!("\ntest: {test_logs}\n");
    print!("{}", model.confusion_matrix(&test)?);
    job::draw_digits(&test, |pixels| {
        let x = Sample::<f32, Hwc<28, 28, 1>>::from_slice(pixels);
        model.network().predict(&x).as_slice().to_vec()
    });

    std::fs::create_dir_all(&args.out)?;
    let curves = args.out.join("curves.svg");
    job::plot(&history, &curves)?;
    println!("training curves: {}", curves.display());
    let weights = args.out.join("mnist_cnn.safetensors");
    liandan::io::save_weights(model.network(), &weights)?;
    println!("weights: {}", weights.display());
    println!("wall time: {:.1}s", start.elapsed().as_secs_f64());
    Ok(())
}
