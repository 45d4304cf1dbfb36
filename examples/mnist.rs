//! The main job: the seed's network learns handwritten digits.
//!
//! ```text
//! cargo run --release --example mnist [-- --epochs 10 --batch-size 32 --seed 42
//!                                        --data-dir DIR --out target/mnist]
//! ```
//!
//! By default it trains on the 10,000 real MNIST digits bundled in `data/mnist/`, split 80/10/10
//! (stratified, seeded) into training, evaluation and test parts. `--data-dir` points at a
//! directory holding the full MNIST files (`train-images-idx3-ubyte.gz`, ...) instead: then the
//! 60,000 training digits are split 90/10 into training and evaluation, and the 10,000 `t10k`
//! digits are the test part. Into `--out` go the training curves (`curves.svg`) and the weights
//! (`mnist.safetensors`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use liandan::data::Dataset;
use liandan::metrics::argmax;
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use liandan::train::History;
use plotters::prelude::*;

network! {
    /// The seed's MNIST classifier, exactly: Keras' beginner example.
    pub struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dropout<0.2>,
        Dense<10, Softmax>,
    }
}

/// The command line, parsed by hand: `--flag value` or `--flag=value`.
struct Args {
    epochs: usize,
    batch_size: usize,
    seed: u64,
    data_dir: Option<PathBuf>,
    out: PathBuf,
}

const USAGE: &str = "usage: mnist [--epochs N] [--batch-size 16|32|64|128] [--seed N] \
                     [--data-dir DIR] [--out DIR]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        epochs: 10,
        batch_size: 32,
        seed: 42,
        data_dir: None,
        out: PathBuf::from("target/mnist"),
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (word, None),
        };
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        const FLAGS: [&str; 5] = ["--epochs", "--batch-size", "--seed", "--data-dir", "--out"];
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown flag `{flag}`\n{USAGE}"));
        }
        let value = inline
            .or_else(|| words.next())
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: `{v}` is not a number"))
        };
        match flag.as_str() {
            "--epochs" => args.epochs = number(&value)? as usize,
            "--batch-size" => args.batch_size = number(&value)? as usize,
            "--seed" => args.seed = number(&value)?,
            "--data-dir" => args.data_dir = Some(value.into()),
            _ => args.out = value.into(),
        }
    }
    Ok(args)
}

fn main() -> anyhow::Result<()> {
    let args = parse_args().map_err(anyhow::Error::msg)?;
    // The batch size is a type parameter: each supported size is its own monomorphized run.
    match args.batch_size {
        16 => run::<16>(&args),
        32 => run::<32>(&args),
        64 => run::<64>(&args),
        128 => run::<128>(&args),
        other => anyhow::bail!("--batch-size {other}: choose 16, 32, 64 or 128"),
    }
}

type Data = Dataset<f32, Hw<28, 28>>;

fn run<const B: usize>(args: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let (train, eval, test) = load(args)?;
    println!(
        "{} training, {} evaluation and {} test digits; batch size {B}\n",
        train.len(),
        eval.len(),
        test.len()
    );
    print!("{}", Mnist::<f32>::summary());

    let net = Mnist::new_boxed(&mut SplitMix64::new(args.seed));
    let mut model: Model<Mnist, _, _, B> = Model::compile(
        net,
        Adam::default(),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy],
    );
    let options = FitOptions::new(args.epochs)
        .seed(args.seed)
        .validation_data(&eval);
    let history = model.fit(&train, options)?;
    print_epochs(&history);

    let test_logs = model.evaluate(&test)?;
    println!("\ntest: {test_logs}\n");
    print!("{}", model.confusion_matrix(&test)?);
    draw_digits(model.network(), &test);

    std::fs::create_dir_all(&args.out)?;
    let curves = args.out.join("curves.svg");
    plot(&history, &curves)?;
    println!("training curves: {}", curves.display());
    let weights = args.out.join("mnist.safetensors");
    liandan::io::save_weights(model.network(), &weights)?;
    println!("weights: {}", weights.display());
    println!("wall time: {:.1}s", start.elapsed().as_secs_f64());
    Ok(())
}

/// The bundled 10k digits split 80/10/10, or the full MNIST files from `--data-dir`.
fn load(args: &Args) -> anyhow::Result<(Data, Data, Data)> {
    let Some(dir) = &args.data_dir else {
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
        let all = Data::from_idx(
            bundled.join("mnist-10k-images-idx3-ubyte.gz"),
            bundled.join("mnist-10k-labels-idx1-ubyte.gz"),
            10,
        )?;
        return Ok(all.split((0.8, 0.1, 0.1), args.seed, true)?);
    };
    let full = Data::from_idx(
        dir.join("train-images-idx3-ubyte.gz"),
        dir.join("train-labels-idx1-ubyte.gz"),
        10,
    )?;
    let test = Data::from_idx(
        dir.join("t10k-images-idx3-ubyte.gz"),
        dir.join("t10k-labels-idx1-ubyte.gz"),
        10,
    )?;
    let (train, eval, _) = full.split((0.9, 0.1, 0.0), args.seed, true)?;
    Ok((train, eval, test))
}

/// One line per epoch: the training and evaluation loss and accuracy.
fn print_epochs(history: &History) {
    let column = |name| history.get(name).unwrap_or(&[]);
    let (loss, acc) = (column("loss"), column("accuracy"));
    let (val_loss, val_acc) = (column("val_loss"), column("val_accuracy"));
    println!("\nepoch   loss    accuracy   eval loss   eval accuracy");
    for e in 0..history.epochs() {
        println!(
            "{:>5}   {:.4}  {:.4}     {:.4}      {:.4}",
            e + 1,
            loss[e],
            acc[e],
            val_loss[e],
            val_acc[e]
        );
    }
}

/// Three test digits as text, side by side, with predicted and true labels: the first two,
/// and the first the network gets wrong.
fn draw_digits(net: &Mnist, test: &Data) {
    let predict = |i: usize| {
        let x = Sample::<f32, Hw<28, 28>>::from_slice(test.sample(i));
        argmax(net.predict(&x).as_slice()).unwrap_or(0)
    };
    let wrong = (0..test.len()).find(|&i| Some(predict(i)) != test.label(i));
    let shown: Vec<usize> = [Some(0), Some(1), wrong].into_iter().flatten().collect();
    println!();
    for &i in &shown {
        let label = test.label(i).unwrap_or(0);
        print!(
            "{:<30}",
            format!("#{i}: predicted {}, true {label}", predict(i))
        );
    }
    println!();
    // Rows 3..25: MNIST digits sit in the centre 20x20 of their 28x28 box.
    const SHADES: &[u8] = b" .:-=+*#%@";
    for row in 3..25 {
        for &i in &shown {
            let pixels = &test.sample(i)[row * 28..(row + 1) * 28];
            let line: String = pixels
                .iter()
                .map(|&p| SHADES[((p * 9.0).round() as usize).min(9)] as char)
                .collect();
            print!("{line}  ");
        }
        println!();
    }
}

/// Loss and accuracy per epoch, training and evaluation, as two panels of one SVG file.
fn plot(history: &History, path: &Path) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (960, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(480);
    panel(&left, history, "loss", ["loss", "val_loss"])?;
    panel(&right, history, "accuracy", ["accuracy", "val_accuracy"])?;
    root.present()?;
    Ok(())
}

fn panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    history: &History,
    title: &str,
    [train, eval]: [&str; 2],
) -> anyhow::Result<()> {
    let series = [(train, "training", BLUE), (eval, "evaluation", RED)];
    let values = series
        .iter()
        .flat_map(|(k, ..)| history.get(k).unwrap_or(&[]));
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let pad = (hi - lo).max(1e-3) * 0.05;
    let epochs = history.epochs().max(2) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(1.0..epochs, (lo - pad)..(hi + pad))?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    for (key, label, color) in series {
        let points = history.get(key).unwrap_or(&[]);
        let line = points.iter().enumerate().map(|(e, &v)| ((e + 1) as f64, v));
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
