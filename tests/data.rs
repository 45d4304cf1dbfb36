//! The data layer on the datasets bundled in `data/`: 10,000 MNIST digits and Fisher's iris.

use std::path::PathBuf;

use liandan::data::{read_images, read_labels, shuffled_indices, CsvOptions, Dataset};
use nalgebra::SMatrix;

fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn mnist() -> Dataset<f32, 784> {
    let images = bundled("mnist/mnist-10k-images-idx3-ubyte.gz");
    let labels = bundled("mnist/mnist-10k-labels-idx1-ubyte.gz");
    Dataset::from_idx(images, labels, 10).unwrap()
}

/// The class counts `data/mnist/README.md` states.
const MNIST_COUNTS: [usize; 10] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

#[test]
fn mnist_header_and_labels() {
    let images = read_images(bundled("mnist/mnist-10k-images-idx3-ubyte.gz")).unwrap();
    assert_eq!((images.count, images.rows, images.cols), (10_000, 28, 28));
    assert_eq!(images.pixels.len(), 10_000 * 784);
    let labels = read_labels(bundled("mnist/mnist-10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(labels.len(), 10_000);
}

#[test]
fn mnist_dataset() {
    let data = mnist();
    assert_eq!(data.len(), 10_000);
    assert_eq!(data.targets().class_counts().unwrap(), MNIST_COUNTS);
    assert!(data.features().iter().all(|p| (0.0..=1.0).contains(p)));
    // Real digits: dark background corners, and some fully white pixels somewhere.
    assert!((0..data.len()).all(|i| data.sample(i)[0] == 0.0));
    assert!(data.features().contains(&1.0));
}

#[test]
fn mnist_stratified_split_and_an_epoch_of_batches() {
    let data = mnist();
    let (train, eval, test) = data.split((0.8, 0.1, 0.1), 42, true).unwrap();
    assert_eq!(train.len() + eval.len() + test.len(), 10_000);
    for (part, fraction) in [(&train, 0.8), (&eval, 0.1), (&test, 0.1)] {
        let counts = part.targets().class_counts().unwrap();
        for (count, total) in counts.iter().zip(MNIST_COUNTS) {
            assert!((*count as f64 - fraction * total as f64).abs() <= 1.0);
        }
    }
    let order = shuffled_indices(test.len(), 1);
    let mut x = Box::new(SMatrix::<f32, 784, 64>::zeros());
    let mut y = [0usize; 64];
    let mut seen = 0;
    for batch in test.batches::<64>(&order) {
        seen += batch.fill(&mut x, &mut y).unwrap();
    }
    assert_eq!(seen, test.len());
}

#[test]
fn mnist_wrong_feature_count() {
    let images = bundled("mnist/mnist-10k-images-idx3-ubyte.gz");
    let labels = bundled("mnist/mnist-10k-labels-idx1-ubyte.gz");
    let err = Dataset::<f32, 100>::from_idx(&images, labels, 10).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("images are 28x28 = 784 features but the network takes 100"));
}

#[test]
fn iris() {
    let mut iris =
        Dataset::<f64, 4>::from_csv(bundled("iris.csv"), &CsvOptions::classes(4, 3)).unwrap();
    assert_eq!(iris.len(), 150);
    assert_eq!(iris.targets().class_counts().unwrap(), [50, 50, 50]);
    assert_eq!(
        (iris.sample(0), iris.label(0)),
        (&[5.1, 3.5, 1.4, 0.2][..], Some(0))
    );
    assert_eq!(
        (iris.sample(149), iris.label(149)),
        (&[5.9, 3.0, 5.1, 1.8][..], Some(2))
    );
    // R's `colMeans(iris[1:4])`: the same 150 rows, so the same means to R's 7 digits.
    let scaler = iris.standardize().unwrap();
    let means = [5.843333, 3.057333, 3.758000, 1.199333];
    for (mean, want) in scaler.mean().iter().zip(means) {
        assert!((mean - want).abs() < 1e-6, "{mean} vs {want}");
    }
}
