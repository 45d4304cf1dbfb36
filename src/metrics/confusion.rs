//! The confusion matrix of a classifier, with per-class precision and recall.
//!
//! Entry `(t, p)` counts the samples of true class `t` predicted as `p`. For class `c`:
//! precision `= (c, c) / Σₜ (t, c)` (of the samples predicted `c`, the share that are `c`) and
//! recall `= (c, c) / Σₚ (c, p)` (of the samples of class `c`, the share found).
//!
//! ```
//! use liandan::metrics::ConfusionMatrix;
//!
//! let mut m = ConfusionMatrix::new(2);
//! for (truth, predicted) in [(0, 0), (0, 1), (1, 1), (1, 1)] {
//!     m.add(truth, predicted)?;
//! }
//! assert_eq!((m.precision(1), m.recall(0), m.accuracy()), (Some(2.0 / 3.0), Some(0.5), 0.75));
//! println!("{m}");
//! # Ok::<(), liandan::LabelOutOfRange>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

use crate::LabelOutOfRange;

/// Counts of (true class, predicted class) pairs over `classes` classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<usize>,
}

impl ConfusionMatrix {
    /// An empty matrix over `classes` classes.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix {
            classes,
            counts: alloc::vec![0; classes * classes],
        }
    }

    /// Counts one sample of class `truth` predicted as `predicted`; either at or above the
    /// number of classes is refused, the true class first, and nothing is counted.
    pub fn add(&mut self, truth: usize, predicted: usize) -> Result<(), LabelOutOfRange> {
        let classes = self.classes;
        let (truth, predicted) = (
            LabelOutOfRange::check(truth, classes)?,
            LabelOutOfRange::check(predicted, classes)?,
        );
        self.counts[truth * classes + predicted] += 1;
        Ok(())
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many samples of class `truth` were predicted as `predicted` (0 out of range).
    pub fn get(&self, truth: usize, predicted: usize) -> usize {
        if truth < self.classes && predicted < self.classes {
            self.counts[truth * self.classes + predicted]
        } else {
            0
        }
    }

    /// How many samples were counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The share of samples on the diagonal, or 0 for an empty matrix.
    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.classes).map(|c| self.get(c, c)).sum();
        ratio(right, self.total()).unwrap_or(0.0)
    }

    /// Of the samples predicted `class`, the share that are; `None` if none was predicted so.
    pub fn precision(&self, class: usize) -> Option<f64> {
        let predicted = (0..self.classes).map(|t| self.get(t, class)).sum();
        ratio(self.get(class, class), predicted)
    }

    /// Of the samples of `class`, the share predicted so; `None` if there are none.
    pub fn recall(&self, class: usize) -> Option<f64> {
        let actual = (0..self.classes).map(|p| self.get(class, p)).sum();
        ratio(self.get(class, class), actual)
    }
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A table: one row per true class with its recall, one column per predicted class, and the
/// precisions under it; `-` where a ratio has no samples.
impl fmt::Display for ConfusionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = digits(self.counts.iter().copied().max().unwrap_or(0)).max(5) + 1;
        write!(f, "{:>10}", "true\\pred")?;
        for p in 0..self.classes {
            write!(f, "{p:>width$}")?;
        }
        writeln!(f, "  recall")?;
        for t in 0..self.classes {
            write!(f, "{t:>10}")?;
            for p in 0..self.classes {
                write!(f, "{:>width$}", self.get(t, p))?;
            }
            writeln!(f, "  {}", Share(self.recall(t)))?;
        }
        write!(f, "{:>10}", "precision")?;
        for p in 0..self.classes {
            write!(f, "{:>width$}", Share(self.precision(p)))?;
        }
        writeln!(f)
    }
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// A ratio as `0.973`, or `-` when there is none; padded like any other value.
struct Share(Option<f64>);

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; 8];
        let s = match self.0 {
            Some(r) => {
                let thousandths = libm::round(r * 1000.0) as u32;
                let (whole, frac) = (thousandths / 1000, thousandths % 1000);
                text[0] = b'0' + whole as u8;
                text[1] = b'.';
                text[2] = b'0' + (frac / 100) as u8;
                text[3] = b'0' + (frac / 10 % 10) as u8;
                text[4] = b'0' + (frac % 10) as u8;
                core::str::from_utf8(&text[..5]).unwrap_or("?")
            }
            None => "-",
        };
        f.pad(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    fn three() -> ConfusionMatrix {
        let mut m = ConfusionMatrix::new(3);
        let pairs = [(0, 0), (0, 0), (0, 1), (1, 1), (2, 1), (2, 2)];
        for (t, p) in pairs {
            m.add(t, p).unwrap();
        }
        m
    }

    #[test]
    fn precision_and_recall_per_class() {
        let m = three();
        assert_eq!((m.total(), m.get(0, 1), m.get(2, 1)), (6, 1, 1));
        assert_eq!(m.precision(0), Some(1.0));
        assert_eq!(m.precision(1), Some(1.0 / 3.0));
        assert_eq!(m.recall(0), Some(2.0 / 3.0));
        assert_eq!(m.recall(2), Some(0.5));
        assert_eq!(m.accuracy(), 4.0 / 6.0);
        let empty = ConfusionMatrix::new(2);
        assert_eq!(
            (empty.precision(0), empty.recall(1), empty.accuracy()),
            (None, None, 0.0)
        );
    }

    #[test]
    fn out_of_range_classes_are_refused() {
        let mut m = ConfusionMatrix::new(3);
        let err: LabelOutOfRange = m.add(1, 3).unwrap_err();
        assert_eq!(
            err,
            LabelOutOfRange {
                label: 3,
                classes: 3
            }
        );
        assert_eq!(err.to_string(), "label 3 is out of range for 3 classes");
        assert_eq!(m.add(4, 5).unwrap_err().label, 4, "the true class first");
        assert_eq!(m.total(), 0);
    }

    #[test]
    fn display_is_a_table_with_recall_and_precision() {
        let text = three().to_string();
        let lines: std::vec::Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], " true\\pred     0     1     2  recall");
        assert_eq!(lines[1], "         0     2     1     0  0.667");
        assert_eq!(lines[4], " precision 1.000 0.333 1.000");
    }
}
