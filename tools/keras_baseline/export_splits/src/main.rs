//! Writes the train/eval/test sample indices `examples/mnist.rs` uses for each seed given on
//! the command line, as `OUT/seedS.json`, so that Keras can train on exactly the same parts.
//!
//! ```text
//! export_splits DATA_DIR OUT_DIR SEED...
//! ```

use std::io::Write;
use std::path::Path;

use liandan::data::Dataset;
use liandan::shape::Hw;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, out, seeds @ ..] = args.as_slice() else {
        return Err("usage: export_splits DATA_DIR OUT_DIR SEED...".into());
    };
    let (data, out) = (Path::new(data), Path::new(out));
    // Loaded exactly as examples/mnist.rs loads the bundled digits.
    let all = Dataset::<f32, Hw<28, 28>>::from_idx(
        data.join("mnist-10k-images-idx3-ubyte.gz"),
        data.join("mnist-10k-labels-idx1-ubyte.gz"),
        10,
    )?;
    std::fs::create_dir_all(out)?;
    for seed in seeds {
        let seed: u64 = seed.parse()?;
        let parts = all.split_indices((0.8, 0.1, 0.1), seed, true)?;
        let list = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        let mut file = std::fs::File::create(out.join(format!("seed{seed}.json")))?;
        writeln!(
            file,
            r#"{{"seed":{seed},"train":[{}],"eval":[{}],"test":[{}]}}"#,
            list(&parts[0]),
            list(&parts[1]),
            list(&parts[2])
        )?;
    }
    Ok(())
}
