//! Splitting a dataset into training, evaluation and test parts.
//!
//! [`Dataset::split`] draws a random split fixed by a seed; stratified, it splits each class
//! separately, so every part keeps the class ratios of the whole. Part sizes are the exact
//! shares `fraction × count` rounded by largest remainder: they add up to the count and each is
//! within one sample of its exact share (per class, when stratified). Each part comes out in a
//! random order, its classes mixed.
//!
//! [`Dataset::validation_split`] is Keras' `validation_split`: the last samples, unshuffled.
//!
//! ```
//! use liandan::data::Dataset;
//! use liandan::shape::Flat;
//!
//! let samples: Vec<[f32; 1]> = (0..10).map(|i| [i as f32]).collect();
//! let labels: Vec<usize> = (0..10).map(|i| i % 2).collect();
//! let data = Dataset::<f32, Flat<1>>::classification(&samples, &labels, 2)?;
//! let (train, eval, test) = data.split((0.6, 0.2, 0.2), 42, true)?;
//! assert_eq!((train.len(), eval.len(), test.len()), (6, 2, 2));
//! assert_eq!(eval.targets().class_counts(), Some(vec![1, 1]));
//! # Ok::<(), liandan::data::DataError>(())
//! ```

use std::vec::Vec;

use super::{DataError, DataErrorKind, Dataset, Targets};
use crate::rng::SplitMix64;
use crate::shape::Shape;
use crate::Float;

/// How far split fractions may sum from 1, for fractions such as `(0.8, 0.1, 0.1)` whose
/// binary sum is not exactly 1.
const TOLERANCE: f64 = 1e-9;

impl<T: Float, S: Shape> Dataset<T, S> {
    /// Splits into `(train, eval, test)` with the given fractions, shuffled with `seed`;
    /// `stratified` keeps each class's share in every part.
    ///
    /// The fractions must be non-negative and sum to 1 (within 1e-9); a stratified split
    /// needs class labels.
    pub fn split(
        &self,
        fractions: (f64, f64, f64),
        seed: u64,
        stratified: bool,
    ) -> Result<(Self, Self, Self), DataError> {
        let [train, eval, test] = self.split_indices(fractions, seed, stratified)?;
        Ok((
            self.subset(&train)?,
            self.subset(&eval)?,
            self.subset(&test)?,
        ))
    }

    /// The sample indices of the parts [`split`](Self::split) makes, without copying samples:
    /// for datasets too large to hold twice.
    pub fn split_indices(
        &self,
        fractions: (f64, f64, f64),
        seed: u64,
        stratified: bool,
    ) -> Result<[Vec<usize>; 3], DataError> {
        let fractions = check_fractions(fractions)?;
        let mut rng = SplitMix64::new(seed);
        if !stratified {
            let mut all: Vec<usize> = (0..self.len()).collect();
            rng.shuffle(&mut all);
            return Ok(cut(&all, part_sizes(all.len(), fractions)));
        }
        let Targets::Classes { labels, classes } = self.targets() else {
            return Err(DataErrorKind::NotClasses {
                operation: "a stratified split",
            }
            .into());
        };
        Ok(stratified_indices(labels, *classes, fractions, &mut rng))
    }

    /// Keras' `validation_split`: `(train, validation)`, the validation part being the last
    /// `fraction` of the samples, in order, taken before any shuffling.
    ///
    /// As in Keras, the training part has `floor(len × (1 − fraction))` samples. Shuffle the
    /// file first if its samples are sorted (by class, say), or the validation part is skewed.
    pub fn validation_split(&self, fraction: f64) -> Result<(Self, Self), DataError> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(DataErrorKind::ValidationFraction { fraction }.into());
        }
        let at = (self.len() as f64 * (1.0 - fraction)) as usize;
        let train: Vec<usize> = (0..at).collect();
        let validation: Vec<usize> = (at..self.len()).collect();
        Ok((self.subset(&train)?, self.subset(&validation)?))
    }
}

/// The fractions as an array, if non-negative and summing to 1; normalized to sum exactly 1.
fn check_fractions((a, b, c): (f64, f64, f64)) -> Result<[f64; 3], DataError> {
    let fractions = [a, b, c];
    let sum = a + b + c;
    let valid =
        fractions.iter().all(|f| f.is_finite() && *f >= 0.0) && (sum - 1.0).abs() <= TOLERANCE;
    if !valid {
        return Err(DataErrorKind::Fractions { fractions }.into());
    }
    Ok(fractions.map(|f| f / sum))
}

/// Each class shuffled and cut by the fractions; the parts then shuffled to mix the classes.
fn stratified_indices(
    labels: &[usize],
    classes: usize,
    fractions: [f64; 3],
    rng: &mut SplitMix64,
) -> [Vec<usize>; 3] {
    let mut by_class = std::vec![Vec::new(); classes];
    for (i, &label) in labels.iter().enumerate() {
        by_class[label].push(i);
    }
    let mut parts: [Vec<usize>; 3] = Default::default();
    for members in &mut by_class {
        rng.shuffle(members);
        let cuts = cut(members, part_sizes(members.len(), fractions));
        for (part, cut) in parts.iter_mut().zip(cuts) {
            part.extend(cut);
        }
    }
    parts.iter_mut().for_each(|part| rng.shuffle(part));
    parts
}

/// `indices` cut into consecutive runs of the given sizes (which sum to its length).
fn cut(indices: &[usize], sizes: [usize; 3]) -> [Vec<usize>; 3] {
    let (first, rest) = indices.split_at(sizes[0]);
    let (second, third) = rest.split_at(sizes[1]);
    [first.to_vec(), second.to_vec(), third.to_vec()]
}

/// Sizes of the parts of `count` samples: each exact share rounded down, then the samples left
/// over given one each to the parts with the largest remainders (the earlier part on a tie).
fn part_sizes(count: usize, fractions: [f64; 3]) -> [usize; 3] {
    let exact = fractions.map(|f| f * count as f64);
    let mut sizes = exact.map(|e| e.floor() as usize);
    let left = count.saturating_sub(sizes.iter().sum());
    let mut by_remainder = [0, 1, 2];
    by_remainder
        .sort_by(|&i, &j| (exact[j] - exact[j].floor()).total_cmp(&(exact[i] - exact[i].floor())));
    for &part in by_remainder.iter().take(left) {
        sizes[part] += 1;
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Flat;
    use std::string::ToString;
    use std::vec;

    /// `len` one-feature samples whose feature is their index, labelled
    /// as `labels` says.
    fn indexed(
        len: usize,
        labels: impl Fn(usize) -> usize,
        classes: usize,
    ) -> Dataset<f64, Flat<1>> {
        let samples: Vec<[f64; 1]> = (0..len).map(|i| [i as f64]).collect();
        let labels: Vec<usize> = (0..len).map(labels).collect();
        Dataset::classification(&samples, &labels, classes).unwrap()
    }

    fn ids(d: &Dataset<f64, Flat<1>>) -> Vec<usize> {
        d.features().iter().map(|&x| x as usize).collect()
    }

    #[test]
    fn sizes_add_up_and_parts_cover_disjointly() {
        let d = indexed(101, |i| i % 3, 3);
        let (a, b, c) = d.split((0.8, 0.1, 0.1), 7, false).unwrap();
        assert_eq!((a.len(), b.len(), c.len()), (81, 10, 10));
        let mut all = [ids(&a), ids(&b), ids(&c)].concat();
        all.sort_unstable();
        assert!(all.into_iter().eq(0..101));
        // Labels travel with their samples.
        assert!(b
            .features()
            .iter()
            .zip(0..)
            .all(|(&x, i)| b.label(i) == Some(x as usize % 3)));
    }

    #[test]
    fn deterministic_for_a_seed_different_for_another() {
        let d = indexed(50, |i| i % 2, 2);
        let first = d.split_indices((0.5, 0.25, 0.25), 1, false).unwrap();
        assert_eq!(first, d.split_indices((0.5, 0.25, 0.25), 1, false).unwrap());
        assert_ne!(first, d.split_indices((0.5, 0.25, 0.25), 2, false).unwrap());
        let strat = d.split_indices((0.5, 0.25, 0.25), 1, true).unwrap();
        assert_eq!(strat, d.split_indices((0.5, 0.25, 0.25), 1, true).unwrap());
        assert_ne!(strat, d.split_indices((0.5, 0.25, 0.25), 3, true).unwrap());
    }

    #[test]
    fn stratified_keeps_class_ratios_within_one_sample() {
        // Classes of 500, 300, 150 and 50 samples, sorted by class as files often are.
        let bounds = [500, 800, 950, 1000];
        let d = indexed(1000, |i| bounds.iter().position(|&b| i < b).unwrap(), 4);
        let totals = [500.0, 300.0, 150.0, 50.0];
        let fractions = [0.7, 0.2, 0.1];
        for seed in 0..5 {
            let (a, b, c) = d.split((0.7, 0.2, 0.1), seed, true).unwrap();
            for (part, fraction) in [a, b, c].iter().zip(fractions) {
                let counts = part.targets().class_counts().unwrap();
                for (count, total) in counts.iter().zip(totals) {
                    assert!(
                        (*count as f64 - fraction * total).abs() <= 1.0,
                        "{counts:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn parts_mix_the_classes() {
        let d = indexed(100, |i| i / 50, 2);
        let (train, ..) = d.split((0.5, 0.5, 0.0), 3, true).unwrap();
        let first_ten: Vec<_> = (0..10).map(|i| train.label(i).unwrap()).collect();
        assert!(
            first_ten.contains(&0) && first_ten.contains(&1),
            "{first_ten:?}"
        );
    }

    #[test]
    fn bad_fractions() {
        let d = indexed(10, |_| 0, 1);
        let err = d.split((0.8, 0.1, 0.2), 0, false).unwrap_err();
        assert!(matches!(err.kind(), DataErrorKind::Fractions { .. }));
        assert!(err.to_string().starts_with(
            "split fractions (0.8, 0.1, 0.2) must be non-negative and sum to 1, but sum to 1.1"
        ));
        assert!(d.split((1.2, -0.1, -0.1), 0, false).is_err());
        assert!(d.split((f64::NAN, 0.5, 0.5), 0, false).is_err());
        assert!(d.split((1.0, 0.0, 0.0), 0, false).is_ok());
    }

    #[test]
    fn stratified_needs_classes() {
        let d = Dataset::<f64, Flat<1>>::regression(&[[1.0], [2.0]], &[[1.0], [2.0]]).unwrap();
        let err = d.split((0.5, 0.5, 0.0), 0, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a stratified split needs class labels, but the targets are real values"
        );
        assert!(d.split((0.5, 0.5, 0.0), 0, false).is_ok());
    }

    #[test]
    fn validation_split_takes_the_tail() {
        let d = indexed(10, |_| 0, 1);
        let (train, validation) = d.validation_split(0.25).unwrap();
        // Keras: int(10 * 0.75) = 7 training samples.
        assert_eq!(
            (ids(&train), ids(&validation)),
            ((0..7).collect(), vec![7, 8, 9])
        );
        assert_eq!(d.validation_split(0.0).unwrap().1.len(), 0);
        assert_eq!(d.validation_split(1.0).unwrap().0.len(), 0);
        let err = d.validation_split(1.5).unwrap_err();
        assert_eq!(err.to_string(), "validation fraction 1.5 is outside [0, 1]");
        assert!(d.validation_split(f64::NAN).is_err());
    }

    #[test]
    fn largest_remainder_sizes() {
        assert_eq!(part_sizes(3, [0.5, 0.5, 0.0]), [2, 1, 0]);
        assert_eq!(part_sizes(10, [0.8, 0.1, 0.1]), [8, 1, 1]);
        assert_eq!(part_sizes(7, [0.34, 0.33, 0.33]), [3, 2, 2]);
        assert_eq!(part_sizes(0, [0.2, 0.3, 0.5]), [0, 0, 0]);
    }
}
