//! Seeded shuffling, identical on every platform and every version of liandan.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014; the constants are Vigna's reference `splitmix64.c`). It is written
//! here rather than taken from `rand` because `rand` does not promise that `StdRng` gives the
//! same stream in its next version, and a split must stay the same split for a given seed: the
//! test set may never leak into training after an upgrade. SplitMix64 is no cryptographic
//! generator, and needs not be: its 64-bit outputs pass BigCrush, plenty for a permutation.
//!
//! Shuffling is Fisher–Yates with Lemire's multiply-shift to draw an index below `n`, whose bias
//! is below `n / 2⁶⁴`: nil for any dataset that fits in memory.

use std::vec::Vec;

/// SplitMix64: a 64-bit state advanced by the golden-ratio increment, then mixed.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator seeded with `seed`; every seed, 0 included, is fine.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`): the high word of a 64×64-bit product.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates): every order equally likely.
    pub(crate) fn shuffle<X>(&mut self, items: &mut [X]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// `0..len` in a random order fixed by `seed`.
///
/// For a new order each epoch, change the seed with the epoch, e.g. `seed + epoch as u64`.
///
/// ```
/// let order = liandan::data::shuffled_indices(5, 42);
/// let mut sorted = order.clone();
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2, 3, 4]);
/// assert_eq!(order, liandan::data::shuffled_indices(5, 42));
/// ```
pub fn shuffled_indices(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    shuffle(&mut order, seed);
    order
}

/// Shuffles `order` in place with `seed`: reuse one index buffer across epochs.
pub fn shuffle(order: &mut [usize], seed: u64) {
    SplitMix64::new(seed).shuffle(order);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference() {
        // Vigna's splitmix64.c seeded with 1234567.
        let mut rng = SplitMix64::new(1234567);
        let want = [
            6457827717110365317,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821,
        ];
        for w in want {
            assert_eq!(rng.next_u64(), w);
        }
    }

    #[test]
    fn below_stays_below() {
        let mut rng = SplitMix64::new(7);
        for n in 1..100 {
            assert!(rng.below(n) < n);
        }
    }

    #[test]
    fn shuffled_indices_is_a_permutation_fixed_by_the_seed() {
        let order = shuffled_indices(1000, 1);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().copied().eq(0..1000));
        assert_eq!(order, shuffled_indices(1000, 1));
        assert_ne!(order, shuffled_indices(1000, 2));
        assert_ne!(order, sorted);
    }

    #[test]
    fn golden_order() {
        // Pinned so a change of generator, which would change every split, cannot go unnoticed;
        // computed independently with a Python transcription of the same two algorithms.
        assert_eq!(shuffled_indices(8, 0), [1, 2, 6, 5, 4, 0, 3, 7]);
    }
}
