//! The data layer on the datasets bundled in `data/`: 10,000 MNIST digits and Fisher's iris.

use std::path::PathBuf;

use liandan::data::{
    read_csv, read_images, read_labels, shuffled_indices, CsvOptions, DataErrorKind, Dataset,
};
use liandan::shape::{Batch, Flat, Hw};
use liandan::{LabelOutOfRange, Zeroed};

fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn mnist() -> Dataset<f32, Hw<28, 28>> {
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
    let mut x = Batch::<f32, Hw<28, 28>, 64>::boxed();
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
    let err = Dataset::<f32, Flat<100>>::from_idx(&images, &labels, 10).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("images are 28x28, but the samples are of shape `[100]`"));
}

#[test]
fn mnist_as_images_of_another_shape_names_the_shape() {
    // 14 × 56 is 784 values too: the message names the shape the samples have, not a count
    // that matches the images'.
    let images = bundled("mnist/mnist-10k-images-idx3-ubyte.gz");
    let labels = bundled("mnist/mnist-10k-labels-idx1-ubyte.gz");
    let err = Dataset::<f32, Hw<14, 56>>::from_idx(&images, &labels, 10).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: images are 28x28, but the samples are of shape `[14, 56]`",
            images.display()
        )
    );
    assert!(matches!(
        err.kind(),
        DataErrorKind::ImageSize {
            rows: 28,
            cols: 28,
            shape: [14, 56],
        }
    ));
}

#[test]
fn iris() {
    let mut iris =
        Dataset::<f64, Flat<4>>::from_csv(bundled("iris.csv"), &CsvOptions::classes(4, 3)).unwrap();
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

/// Writes `text` to a fresh file for one test.
fn csv_file(name: &str, text: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn error_of<T: std::fmt::Debug>(result: Result<T, liandan::data::DataError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn csv_with_a_byte_order_mark_keeps_its_first_row() {
    // Excel's "CSV UTF-8" starts with EF BB BF; the first row is data, not a header.
    let path = csv_file("bom.csv", b"\xef\xbb\xbf5.1,3.5,0\n4.9,3.0,1\n");
    let flowers = Dataset::<f32, Flat<2>>::from_csv(&path, &CsvOptions::classes(2, 2)).unwrap();
    assert_eq!((flowers.len(), flowers.sample(0)), (2, &[5.1, 3.5][..]));
}

#[test]
fn csv_with_cr_line_ends_has_rows() {
    let path = csv_file("cr.csv", b"a,b,y\r1,2,0\r3,4,1\r");
    let data = Dataset::<f64, Flat<2>>::from_csv(&path, &CsvOptions::classes(2, 2)).unwrap();
    assert_eq!((data.len(), data.label(1)), (2, Some(1)));
}

#[test]
fn csv_numbers_beyond_f32_are_refused_in_features_and_targets() {
    let path = csv_file("f32-range.csv", b"a,b,y\n1,2,0\n1,1e39,1\n");
    let err = error_of(Dataset::<f32, Flat<2>>::from_csv(
        &path,
        &CsvOptions::values(2),
    ));
    assert!(
        err.ends_with("line 3 column 2: `1e39` is out of range for f32"),
        "{err}"
    );
    let path = csv_file("f32-target.csv", b"a,b,y\n1,2,3.5e38\n");
    let err = error_of(Dataset::<f32, Flat<2>>::from_csv(
        &path,
        &CsvOptions::values(2),
    ));
    assert!(
        err.ends_with("line 2 column 3: `3.5e38` is out of range for f32"),
        "{err}"
    );
    // An f64 dataset holds both.
    let data = Dataset::<f64, Flat<2>>::from_csv(&path, &CsvOptions::values(2)).unwrap();
    assert_eq!(data.len(), 1);
}

#[test]
fn csv_label_out_of_range_is_the_one_label_error_at_its_cell() {
    let path = csv_file("label-3.csv", b"f,y\n1,0\n2,3.0\n");
    let err = Dataset::<f32, Flat<1>>::from_csv(&path, &CsvOptions::classes(1, 3)).unwrap_err();
    let label = LabelOutOfRange {
        label: 3,
        classes: 3,
    };
    assert!(matches!(err.kind(), DataErrorKind::Label(l) if *l == label));
    assert_eq!((err.line(), err.column()), (Some(3), Some(2)));
    let want = format!(
        "{} line 3 column 2: label 3 is out of range for 3 classes",
        path.display()
    );
    assert_eq!(err.to_string(), want);
}

#[test]
fn csv_label_no_usize_holds_is_told_as_written() {
    let path = csv_file("label-1e300.csv", b"f,y\n1,0\n2,1e300\n");
    let err = Dataset::<f32, Flat<1>>::from_csv(&path, &CsvOptions::classes(1, 3)).unwrap_err();
    assert!(matches!(err.kind(), DataErrorKind::NotAClass { text } if text == "1e300"));
    let err = err.to_string();
    assert!(
        err.ends_with("line 3 column 2: `1e300` is not a class index (a non-negative integer)"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn dev_zero_as_csv_stops_at_the_line_limit() {
    let err = read_csv("/dev/zero", liandan::data::Header::Detect).unwrap_err();
    assert!(
        matches!(err.kind(), DataErrorKind::LineTooLong { .. }),
        "{err}"
    );
    assert_eq!(err.line(), Some(1));
}
