//! A tiny seedable generator that needs no operating system, for `no_std` targets and for
//! sequences that must never change.
//!
//! SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA
//! 2014; the constants are Vigna's reference `splitmix64.c`). It is no cryptographic generator,
//! and needs not be: its 64-bit outputs pass BigCrush, plenty for initialisation, dropout masks
//! and permutations. Its stream is fixed forever, unlike `rand`'s `StdRng`.
//!
//! Shuffling is Fisher–Yates with Lemire's multiply-shift to draw an index below `n`, whose bias
//! is below `n / 2⁶⁴`: nil for any dataset that fits in memory.

use rand::RngCore;

use crate::Zeroed;

/// The increment of the state: 2⁶⁴ divided by the golden ratio, made odd.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// Stafford's "Mix13" finaliser: every input bit affects every output bit.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64: a 64-bit state advanced by the golden-ratio increment, then mixed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator seeded with `seed`; every seed, 0 included, is fine.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix(self.0)
    }

    /// Output number `n` (from 0) of the generator seeded with `seed`, without drawing the
    /// ones before it.
    ///
    /// SplitMix64 is a counter passed through a mixing function: after `n + 1` steps the state
    /// is `seed + (n + 1)·γ`. So a stream can be cut into pieces computed in any order, or on
    /// different threads, with the same bits (dropout masks are made this way).
    #[inline]
    pub fn nth(seed: u64, n: u64) -> u64 {
        mix(seed.wrapping_add(n.wrapping_add(1).wrapping_mul(GAMMA)))
    }

    /// A uniform integer in `0..n` (`n > 0`): the high word of a 64×64-bit product.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates): every order equally likely.
    pub fn shuffle<X>(&mut self, items: &mut [X]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

// Safety: a `u64`; the zero state is a valid seed.
unsafe impl Zeroed for SplitMix64 {}

impl RngCore for SplitMix64 {
    fn next_u32(&mut self) -> u32 {
        (SplitMix64::next_u64(self) >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        SplitMix64::next_u64(self)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        rand::rand_core::impls::fill_bytes_via_next(self, dst)
    }
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
    fn nth_is_the_stream_without_stepping() {
        for seed in [0, 1234567, u64::MAX] {
            let mut rng = SplitMix64::new(seed);
            for n in 0..100 {
                assert_eq!(
                    SplitMix64::nth(seed, n),
                    rng.next_u64(),
                    "seed {seed}, n {n}"
                );
            }
        }
    }

    #[test]
    fn below_stays_below() {
        let mut rng = SplitMix64::new(7);
        for n in 1..100 {
            assert!(rng.below(n) < n);
        }
    }
}
