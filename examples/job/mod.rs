//! What the two main jobs, `mnist` and `mnist_cnn`, share: the command line, the digits, and
//! the report (the epochs, three test digits drawn as text, the training curves as an SVG).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use liandan::data::Dataset;
use liandan::metrics::argmax;
use liandan::shape::Shape;
use liandan::train::History;
use plotters::prelude::*;

/// The digits, as samples of shape `S`.
pub type Data<S> = Dataset<f32, S>;

/// The command line, parsed by hand: `--flag value` or `--flag=value`.
pub struct Args {
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
    pub data_dir: Option<PathBuf>,
    pub out: PathBuf,
}

/// The flags after the program's name.
const FLAGS: &str =
    "[--epochs N] [--batch-size 16|32|64|128] [--seed N] [--data-dir DIR] [--out DIR]";

/// Parses the command line of the job `name`, starting from `defaults`.
pub fn parse_args(name: &str, defaults: Args) -> Result<Args, String> {
    let usage = format!("usage: {name} {FLAGS}");
    let mut args = defaults;
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (word, None),
        };
        if flag == "--help" || flag == "-h" {
            return Err(usage);
        }
        const FLAGS: [&str; 5] = ["--epochs", "--batch-size", "--seed", "--data-dir", "--out"];
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown flag `{flag}`\n{usage}"));
        }
        let value = inline
            .or_else(|| words.next())
            .ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
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

/// The bundled 10k digits split 80/10/10, or the full MNIST files from `--data-dir`.
pub fn load<S: Shape>(args: &Args) -> anyhow::Result<(Data<S>, Data<S>, Data<S>)> {
    let Some(dir) = &args.data_dir else {
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
        let all = Data::<S>::from_idx(
            bundled.join("mnist-10k-images-idx3-ubyte.gz"),
            bundled.join("mnist-10k-labels-idx1-ubyte.gz"),
            10,
        )?;
        return Ok(all.split((0.8, 0.1, 0.1), args.seed, true)?);
    };
    let full = Data::<S>::from_idx(
        dir.join("train-images-idx3-ubyte.gz"),
        dir.join("train-labels-idx1-ubyte.gz"),
        10,
    )?;
    let test = Data::<S>::from_idx(
        dir.join("t10k-images-idx3-ubyte.gz"),
        dir.join("t10k-labels-idx1-ubyte.gz"),
        10,
    )?;
    let (train, eval, _) = full.split((0.9, 0.1, 0.0), args.seed, true)?;
    Ok((train, eval, test))
}

/// One line per epoch: the training and evaluation loss and accuracy.
pub fn print_epochs(history: &History) {
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

/// Three test digits as text (`probabilities` is the network's output for a sample's pixels), side by side, with predicted and true labels: the first two,
/// and the first the network gets wrong.
pub fn draw_digits<S: Shape>(test: &Data<S>, probabilities: impl Fn(&[f32]) -> Vec<f32>) {
    let predict = |i: usize| argmax(&probabilities(test.sample(i))).unwrap_or(0);
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
pub fn plot(history: &History, path: &Path) -> anyhow::Result<()> {
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
