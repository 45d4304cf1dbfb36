//! A dataset: samples of one shape, stored flat, and their targets.
//!
//! The features are one `Vec<T>`, sample after sample, so each sample is its shape's values,
//! contiguous and row-major: exactly one sample of a batch of that shape. Filling a batch is
//! then one `copy_from_slice` per sample.
//!
//! ```
//! use liandan::data::Dataset;
//! use liandan::shape::Flat;
//!
//! let xor = Dataset::<f32, Flat<2>>::classification(
//!     &[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
//!     &[0, 1, 1, 0],
//!     2,
//! )?;
//! assert_eq!((xor.len(), xor.sample(2), xor.label(2)), (4, &[1.0, 0.0][..], Some(1)));
//! # Ok::<(), liandan::data::DataError>(())
//! ```

use core::marker::PhantomData;
use std::path::Path;
use std::vec::Vec;

use super::csv::{read_samples, CsvOptions};
use super::idx::{read_images, read_labels};
use super::{DataError, DataErrorKind, Place, Targets};
use crate::shape::{Shape, Text};
use crate::Float;

/// Samples of shape `S` (a [`Flat`](crate::shape::Flat) vector of features, an image) with
/// values of type `T`, and one target per sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T: Float, S: Shape> {
    features: Vec<T>,
    targets: Targets<T>,
    shape: PhantomData<S>,
}

impl<T: Float, S: Shape> Dataset<T, S> {
    /// A dataset from flat features (the shape's `S::LEN` values per sample, sample after
    /// sample) and their targets, checked first ([`Targets::check`]: labels in range, values
    /// in whole targets), then as many as there are samples.
    pub fn new(features: Vec<T>, targets: Targets<T>) -> Result<Self, DataError> {
        targets.check()?;
        // `is_multiple_of(0)` holds only for 0 values, so N = 0 takes no feature values, and
        // the targets alone then say how many samples there are.
        if !features.len().is_multiple_of(S::LEN) {
            return Err(DataErrorKind::PartialSample {
                values: features.len(),
                features: S::LEN,
            }
            .into());
        }
        let samples = features.len().checked_div(S::LEN).unwrap_or(targets.len());
        if samples != targets.len() {
            return Err(DataErrorKind::SampleCount {
                features: samples,
                targets: targets.len(),
            }
            .into());
        }
        Ok(Dataset {
            features,
            targets,
            shape: PhantomData,
        })
    }

    /// A classification dataset from samples in memory and their class labels; each sample
    /// is an array of the shape's values, row-major (`N = S::LEN`, a compile error
    /// otherwise).
    pub fn classification<const N: usize>(
        samples: &[[T; N]],
        labels: &[usize],
        classes: usize,
    ) -> Result<Self, DataError> {
        let () = SampleSize::<S, N>::RULE;
        Self::new(
            samples.as_flattened().to_vec(),
            Targets::classes(labels.to_vec(), classes)?,
        )
    }

    /// A regression dataset from samples in memory and their `W` target values each; each
    /// sample is an array of the shape's values, row-major (`N = S::LEN`, a compile error
    /// otherwise).
    pub fn regression<const N: usize, const W: usize>(
        samples: &[[T; N]],
        targets: &[[T; W]],
    ) -> Result<Self, DataError> {
        let () = SampleSize::<S, N>::RULE;
        let targets = Targets::values(targets.as_flattened().to_vec(), W)?;
        Self::new(samples.as_flattened().to_vec(), targets)
    }

    /// MNIST-style images and labels (IDX files, plain or gzip), pixels scaled to `[0, 1]`.
    ///
    /// The images must have the samples' shape (`Hw<28, 28>` or `Hwc<28, 28, 1>` for MNIST, or
    /// their 784 values as `Flat<784>`), and each label must be below `classes`; an error names
    /// the file and the sample otherwise.
    pub fn from_idx(
        images: impl AsRef<Path>,
        labels: impl AsRef<Path>,
        classes: usize,
    ) -> Result<Self, DataError> {
        Self::from_idx_with(images, labels, classes, |pixel| {
            T::of(f64::from(pixel) / 255.0)
        })
    }

    /// Like [`from_idx`](Self::from_idx), with `pixel` turning each byte into a feature.
    pub fn from_idx_with(
        images: impl AsRef<Path>,
        labels: impl AsRef<Path>,
        classes: usize,
        pixel: impl FnMut(u8) -> T,
    ) -> Result<Self, DataError> {
        let (images_path, labels_path) = (images.as_ref(), labels.as_ref());
        let images = read_images(images_path)?;
        if !image_fits::<S>(images.rows, images.cols) {
            let (rows, cols) = (images.rows, images.cols);
            let shape = S::DIMS;
            let kind = DataErrorKind::ImageSize { rows, cols, shape };
            return Err(kind.at(Place::file(images_path)));
        }
        let labels = class_labels(labels_path, classes)?;
        if labels.len() != images.count {
            return Err(DataErrorKind::CountMismatch {
                images: images_path.into(),
                image_count: images.count,
                labels: labels_path.into(),
                label_count: labels.len(),
            }
            .into());
        }
        let features = images.pixels.into_iter().map(pixel).collect();
        Self::new(features, Targets::Classes { labels, classes })
    }

    /// A dataset from a numeric CSV file: see [`csv`](super::csv) for the format.
    pub fn from_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Self, DataError> {
        let path = path.as_ref();
        let (features, targets) = read_samples(path, S::LEN, options)?;
        Self::new(features, targets)
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The features of sample `i`, row-major in its shape.
    ///
    /// # Panics
    /// If `i >= self.len()`, as slice indexing does.
    pub fn sample(&self, i: usize) -> &[T] {
        &self.features[i * S::LEN..(i + 1) * S::LEN]
    }

    /// The class label of sample `i`, or `None` for real-valued targets.
    ///
    /// # Panics
    /// If `i >= self.len()`, as slice indexing does.
    pub fn label(&self, i: usize) -> Option<usize> {
        match &self.targets {
            Targets::Classes { labels, .. } => Some(labels[i]),
            Targets::Values { .. } => None,
        }
    }

    /// Every feature value, sample after sample.
    pub fn features(&self) -> &[T] {
        &self.features
    }

    /// The targets.
    pub fn targets(&self) -> &Targets<T> {
        &self.targets
    }

    /// The number of classes, or `None` for real-valued targets.
    pub fn classes(&self) -> Option<usize> {
        match self.targets {
            Targets::Classes { classes, .. } => Some(classes),
            Targets::Values { .. } => None,
        }
    }

    /// The same samples with one-hot targets in place of class labels.
    pub fn one_hot(self) -> Result<Self, DataError> {
        let targets = self.targets.one_hot()?;
        Ok(Dataset {
            features: self.features,
            targets,
            shape: PhantomData,
        })
    }

    /// Applies `f` to every feature value of every sample: a user's own scaling or encoding.
    pub fn map_features(&mut self, mut f: impl FnMut(T) -> T) {
        self.features.iter_mut().for_each(|x| *x = f(*x));
    }

    /// The samples at `indices`, in that order (an index may repeat).
    pub fn subset(&self, indices: &[usize]) -> Result<Self, DataError> {
        check_indices(indices, self.len())?;
        let features = indices
            .iter()
            .flat_map(|&i| self.sample(i))
            .copied()
            .collect();
        Ok(Dataset {
            features,
            targets: self.targets.select(indices),
            shape: PhantomData,
        })
    }

    /// Every feature value, mutably: for standardizing in place.
    pub(crate) fn features_mut(&mut self) -> &mut [T] {
        &mut self.features
    }
}

/// Reads the labels file and checks each label is below `classes`.
fn class_labels(path: &Path, classes: usize) -> Result<Vec<usize>, DataError> {
    let labels: Vec<usize> = read_labels(path)?.into_iter().map(usize::from).collect();
    super::targets::check_labels(&labels, classes).map_err(|e| e.in_file(path))?;
    Ok(labels)
}

/// Fails on the first index at or beyond `len`.
pub(crate) fn check_indices(indices: &[usize], len: usize) -> Result<(), DataError> {
    match indices.iter().find(|&&i| i >= len) {
        Some(&index) => Err(DataErrorKind::SampleIndex { index, len }.into()),
        None => Ok(()),
    }
}

/// Whether images of `rows × cols` bytes are samples of shape `S`: its first two dimensions and
/// one channel, or all their values as a flat vector.
fn image_fits<S: Shape>(rows: usize, cols: usize) -> bool {
    match S::DIMS {
        [n] => *n == rows * cols,
        [h, w, rest @ ..] => (*h, *w) == (rows, cols) && rest.iter().product::<usize>() == 1,
        [] => false,
    }
}

/// The rule of samples given as arrays: each has as many values as the shape.
struct SampleSize<S, const N: usize>(core::marker::PhantomData<S>);

impl<S: Shape, const N: usize> SampleSize<S, N> {
    const RULE: () = if S::LEN != N {
        let text = Text::new()
            .str("samples of shape `")
            .dims(S::DIMS)
            .str("` have ");
        let text = text.num(S::LEN).str(" values, not ").num(N);
        panic!("{}", text.as_str());
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::tests::{gzip, idx_bytes, temp_path, write};
    use crate::shape::{Flat, Hw};
    use crate::LabelOutOfRange;
    use std::string::ToString;
    use std::vec;

    #[test]
    fn new_checks_targets_built_by_hand() {
        let labels = Targets::Classes {
            labels: vec![0, 5],
            classes: 3,
        };
        let err = Dataset::<f32, Flat<1>>::new(vec![0.0, 1.0], labels).unwrap_err();
        let bad = LabelOutOfRange {
            label: 5,
            classes: 3,
        };
        assert!(matches!(err.kind(), DataErrorKind::Label(l) if *l == bad));
        assert_eq!(
            err.to_string(),
            "sample 1: label 5 is out of range for 3 classes"
        );
        // A width of 0 would divide by zero when counting the targets.
        let none_wide = Targets::Values {
            values: vec![],
            width: 0,
        };
        let err = Dataset::<f32, Flat<1>>::new(vec![], none_wide).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::PartialTarget {
                values: 0,
                width: 0
            }
        ));
        let ragged = Targets::Values {
            values: vec![1.0; 3],
            width: 2,
        };
        let err = Dataset::<f32, Flat<1>>::new(vec![0.0], ragged).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::PartialTarget {
                values: 3,
                width: 2
            }
        ));
    }

    /// Three 2x2 images and their labels, written as IDX files (the images gzip).
    fn tiny_mnist(prefix: &str, labels: &[u8]) -> (std::path::PathBuf, std::path::PathBuf) {
        let pixels = [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8];
        let images = write(
            &std::format!("{prefix}-images.idx3.gz"),
            &gzip(&idx_bytes(&[3, 2, 2], &pixels)),
        );
        let labels = write(
            &std::format!("{prefix}-labels.idx1"),
            &idx_bytes(&[labels.len() as u32], labels),
        );
        (images, labels)
    }

    #[test]
    fn from_idx_scales_pixels() {
        let (images, labels) = tiny_mnist("scale", &[2, 0, 1]);
        let d = Dataset::<f64, Flat<4>>::from_idx(images, labels, 3).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.sample(0), [0.0, 1.0, 0.2, 0.4]);
        assert_eq!(
            (d.label(0), d.label(2), d.classes()),
            (Some(2), Some(1), Some(3))
        );
    }

    #[test]
    fn from_idx_with_a_pixel_hook() {
        let (images, labels) = tiny_mnist("hook", &[2, 0, 1]);
        let d = Dataset::<f32, Flat<4>>::from_idx_with(images, labels, 3, |p| {
            if p > 100 {
                1.0
            } else {
                0.0
            }
        })
        .unwrap();
        assert_eq!(d.sample(0), [0.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn image_size_mismatch() {
        let (images, labels) = tiny_mnist("size", &[2, 0, 1]);
        let err = Dataset::<f32, Flat<100>>::from_idx(&images, &labels, 3).unwrap_err();
        let want = "images are 2x2, but the samples are of shape `[100]`";
        assert_eq!(
            err.to_string(),
            std::format!("{}: {want}", images.display())
        );
        // As many values, another shape: the message names the shape, not a value count
        // that would match.
        let err = Dataset::<f32, Hw<1, 4>>::from_idx(&images, &labels, 3).unwrap_err();
        assert!(matches!(
            err.kind(),
            DataErrorKind::ImageSize {
                rows: 2,
                cols: 2,
                shape: [1, 4]
            }
        ));
        let want = "images are 2x2, but the samples are of shape `[1, 4]`";
        assert_eq!(
            err.to_string(),
            std::format!("{}: {want}", images.display())
        );
    }

    #[test]
    fn label_out_of_range_names_file_and_sample() {
        let (images, labels) = tiny_mnist("range", &[2, 12, 1]);
        let err = Dataset::<f32, Flat<4>>::from_idx(images, &labels, 10).unwrap_err();
        let label = LabelOutOfRange {
            label: 12,
            classes: 10,
        };
        assert!(matches!(err.kind(), DataErrorKind::Label(l) if *l == label));
        assert_eq!(
            (err.path(), err.sample()),
            (Some(labels.as_path()), Some(1))
        );
        let want = "sample 1: label 12 is out of range for 10 classes";
        assert_eq!(
            err.to_string(),
            std::format!("{}: {want}", labels.display())
        );
    }

    #[test]
    fn image_and_label_counts_differ() {
        let (images, labels) = tiny_mnist("count", &[2, 0]);
        let err = Dataset::<f32, Flat<4>>::from_idx(images, labels, 3).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                DataErrorKind::CountMismatch {
                    image_count: 3,
                    label_count: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn missing_files() {
        let (images, labels) = tiny_mnist("missing", &[0, 0, 0]);
        let nowhere = temp_path("nowhere.idx1");
        for (images, labels) in [(&images, &nowhere), (&nowhere, &labels)] {
            let err = Dataset::<f32, Flat<4>>::from_idx(images, labels, 3).unwrap_err();
            assert!(matches!(err.kind(), DataErrorKind::Io { .. }), "{err}");
            assert_eq!(err.path(), Some(nowhere.as_path()));
        }
    }

    #[test]
    fn from_csv_reads_features_and_labels() {
        let path = write("small.csv", b"a,b,class\n1,2,0\n3,4,2\n");
        let d = Dataset::<f32, Flat<2>>::from_csv(&path, &CsvOptions::classes(2, 3)).unwrap();
        assert_eq!(
            (d.len(), d.sample(1), d.label(1)),
            (2, &[3.0, 4.0][..], Some(2))
        );
    }

    #[test]
    fn memory_constructors_check_shapes() {
        let err = Dataset::<f32, Flat<2>>::new(
            vec![1.0; 5],
            Targets::Classes {
                labels: vec![0; 2],
                classes: 1,
            },
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "5 feature values are not a whole number of samples of 2 features"
        );
        let err = Dataset::<f32, Flat<2>>::classification(&[[1.0, 2.0]], &[0, 0], 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the features hold 1 samples but there are 2 targets"
        );
        let err = Dataset::<f32, Flat<1>>::classification(&[[1.0]], &[3], 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample 0: label 3 is out of range for 2 classes"
        );
    }

    #[test]
    fn regression_and_one_hot() {
        let d = Dataset::<f64, Flat<1>>::regression(&[[1.0], [2.0]], &[[0.5, 1.5], [2.5, 3.5]])
            .unwrap();
        assert_eq!((d.label(0), d.targets().width()), (None, 2));
        let d = Dataset::<f64, Flat<1>>::classification(&[[1.0], [2.0]], &[1, 0], 2)
            .unwrap()
            .one_hot()
            .unwrap();
        assert_eq!(
            d.targets(),
            &Targets::Values {
                values: vec![0.0, 1.0, 1.0, 0.0],
                width: 2
            }
        );
    }

    #[test]
    fn map_and_subset() {
        let mut d = Dataset::<f32, Flat<2>>::classification(
            &[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
            &[0, 1, 2],
            3,
        )
        .unwrap();
        d.map_features(|x| x * 10.0);
        let s = d.subset(&[2, 0]).unwrap();
        assert_eq!(
            (s.features(), s.label(0)),
            (&[50.0, 60.0, 10.0, 20.0][..], Some(2))
        );
        let err = d.subset(&[0, 3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample index 3 is out of range for 3 samples"
        );
    }
}
