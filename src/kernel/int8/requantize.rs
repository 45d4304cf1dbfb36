//! [`Multiplier::apply`](crate::quant::Multiplier::apply) on vectors of `i32` lanes, bit for bit,
//! then the zero point and the clamp: sixteen lanes with AVX-512F, eight with AVX2.
//!
//! Per lane, with `left = max(shift, 0)` and `right = max(-shift, 0)`:
//! 1. `a = acc·2^left`, wrapping (a left shift).
//! 2. `high = SaturatingRoundingDoublingHighMul(a, m)`. gemmlowp adds `2^30` to a product
//!    `ab ≥ 0`, `1 - 2^30` to one below zero, and divides by `2^31` truncating towards zero. A
//!    negative `ab` stays negative after its nudge, so truncation there is `⌊(s + 2^31 - 1)/2^31⌋`,
//!    and both cases are `⌊(ab + 2^30)/2^31⌋`: bits 31 to 62 of `ab + 2^30`, so a logical
//!    64-bit shift suffices. The 64-bit products come from `vpmuldq` on the even lanes and on
//!    the odd lanes shifted down. The one overflow, `a = m = i32::MIN`, gives `i32::MAX`.
//! 3. `RoundingDivideByPOT(high, right)`: `(high >> right) + (rem > threshold)` with
//!    `mask = 2^right - 1`, `rem = high & mask` and `threshold = (mask >> 1) + (high < 0)`.
//! 4. `min(max(zero_point + y, min), max)`, the addition saturated (by clamping `y` first so
//!    that it cannot overflow), which is the exact sum's clamp since `min` and `max` are `i8`.
//!
//! Rounding once ([`Multiplier::apply_once`](crate::quant::Multiplier::apply_once), dense
//! layers) replaces steps 1 to 3 with `(acc·m + 2^(t-1)) >> t`, `t = 31 - shift`, on the
//! 64-bit products (`vpsravq`), saturated to `i32`; AVX2 has no 64-bit arithmetic shift, so
//! its lanes do that one by one.

use core::arch::x86_64::*;

use super::{Channels, Requantize};
use crate::quant::{Multiplier, Rounding};

/// The range of `y` for which `zero_point + y` fits in an `i32`.
fn addable(zero_point: i32) -> (i32, i32) {
    let low = if zero_point < 0 {
        i32::MIN - zero_point
    } else {
        i32::MIN
    };
    let high = if zero_point > 0 {
        i32::MAX - zero_point
    } else {
        i32::MAX
    };
    (low, high)
}

/// Sixteen outputs' requantisation in AVX-512 registers.
#[derive(Clone, Copy)]
pub(super) struct Lanes512 {
    /// Whether the short path applies: no left shift, no multiplier `i32::MIN`, and the zero
    /// point and clamp folded into one clamp (see [`folded`]).
    short: bool,
    /// `[min - zero_point, max - zero_point]`, when they fit in an `i32`.
    folded: (__m512i, __m512i),
    multiplier: __m512i,
    /// The multipliers of the odd lanes, in the even lanes' places.
    odd: __m512i,
    /// The lanes whose multiplier is `i32::MIN` (never, for a valid multiplier).
    saturating: __mmask16,
    left: __m512i,
    right: __m512i,
    /// `2^right - 1`.
    mask: __m512i,
    /// `(2^right - 1) >> 1`.
    half: __m512i,
    addable: (__m512i, __m512i),
    zero_point: __m512i,
    clamp: (__m512i, __m512i),
    /// Rounding once: the even and odd lanes' `31 - shift` and `2^(30 - shift)`, as 64-bit
    /// lanes, and the `i32` range as 64-bit lanes.
    once: Option<Once512>,
}

/// What rounding once needs, in 64-bit lanes: even channels, then odd ones.
#[derive(Clone, Copy)]
struct Once512 {
    total: (__m512i, __m512i),
    round: (__m512i, __m512i),
    range: (__m512i, __m512i),
}

impl Once512 {
    /// The lanes of `total` (`31 - shift` per lane) when `q` rounds once.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new(total: __m512i, q: &Requantize<'_>) -> Option<Once512> {
        if q.rounding != Rounding::Once {
            return None;
        }
        let (low, high) = addable(q.zero_point);
        // `total` is positive: its even lanes zero-extended, and its odd ones shifted down.
        let even = _mm512_and_si512(total, _mm512_set1_epi64(u32::MAX.into()));
        let odd = _mm512_srli_epi64::<32>(total);
        let one = _mm512_set1_epi64(1);
        let round = |t| _mm512_sllv_epi64(one, _mm512_sub_epi64(t, one));
        Some(Once512 {
            total: (even, odd),
            round: (round(even), round(odd)),
            range: (
                _mm512_set1_epi64(low.into()),
                _mm512_set1_epi64(high.into()),
            ),
        })
    }
}

impl Lanes512 {
    /// Every lane zero: what an array of them starts as before each is built in place.
    // Safety: vectors, booleans, masks and an `Option` of vectors: all zeros are valid.
    pub(super) const ZERO: Lanes512 = unsafe { core::mem::zeroed() };

    /// The requantisation of outputs `o0 .. o0 + n` of `q` (`n ≤ 16`; zeros in the lanes
    /// past them), loaded with masks: a product builds one per vector of outputs, so it is
    /// kept to a few vector instructions.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub(super) fn of(q: &Requantize<'_>, o0: usize, n: usize) -> Lanes512 {
        let n = n.min(16);
        // No outputs (a vector past the last): empty slices, so every lane is zero.
        let o0 = if n == 0 { 0 } else { o0 };
        let multiplier = &q.multiplier[o0..o0 + n];
        let shift = &q.shift[o0..o0 + n];
        let lanes = ((1u32 << n) - 1) as __mmask16;
        // Safety: the unmasked lanes are the `n` values of the slices just taken; masked lanes
        // are not read.
        let (multiplier, shift) = unsafe {
            (
                _mm512_maskz_loadu_epi32(lanes, multiplier.as_ptr()),
                _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(lanes, shift.as_ptr())),
            )
        };
        let zero = _mm512_setzero_si512();
        let left = _mm512_max_epi32(shift, zero);
        let right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
        let total = _mm512_sub_epi32(_mm512_set1_epi32(31), shift);
        let mask = _mm512_sub_epi32(
            _mm512_sllv_epi32(_mm512_set1_epi32(1), right),
            _mm512_set1_epi32(1),
        );
        let (low, high) = addable(q.zero_point);
        let fold = folded(q);
        let saturating = _mm512_cmpeq_epi32_mask(multiplier, _mm512_set1_epi32(i32::MIN));
        let short = fold.is_some() && _mm512_cmpgt_epi32_mask(left, zero) == 0 && saturating == 0;
        let (min, max) = fold.unwrap_or((0, 0));
        Lanes512 {
            short,
            folded: (_mm512_set1_epi32(min), _mm512_set1_epi32(max)),
            multiplier,
            odd: _mm512_srli_epi64::<32>(multiplier),
            saturating,
            left,
            right,
            mask,
            half: _mm512_srli_epi32::<1>(mask),
            addable: (_mm512_set1_epi32(low), _mm512_set1_epi32(high)),
            zero_point: _mm512_set1_epi32(q.zero_point),
            clamp: (
                _mm512_set1_epi32(q.min as i32),
                _mm512_set1_epi32(q.max as i32),
            ),
            once: Once512::new(total, q),
        }
    }

    /// Sixteen accumulators requantised, each in `[min, max]`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn apply(&self, acc: __m512i) -> __m512i {
        if let Some(once) = &self.once {
            return self.apply_once(acc, once);
        }
        if self.short {
            return self.apply_short(acc);
        }
        let a = _mm512_sllv_epi32(acc, self.left);
        let nudge = _mm512_set1_epi64(1 << 30);
        let even = _mm512_add_epi64(_mm512_mul_epi32(a, self.multiplier), nudge);
        let odd = _mm512_mul_epi32(_mm512_srli_epi64::<32>(a), self.odd);
        let odd = _mm512_add_epi64(odd, nudge);
        // Bits 31..62 of each product: the even lanes shifted down, the odd ones up.
        let high = _mm512_mask_blend_epi32(
            0xAAAA,
            _mm512_srli_epi64::<31>(even),
            _mm512_slli_epi64::<1>(odd),
        );
        let overflow =
            _mm512_mask_cmpeq_epi32_mask(self.saturating, a, _mm512_set1_epi32(i32::MIN));
        let high = _mm512_mask_mov_epi32(high, overflow, _mm512_set1_epi32(i32::MAX));
        let rem = _mm512_and_si512(high, self.mask);
        // `high >> 31` is -1 below zero: the threshold's `+ (high < 0)`.
        let threshold = _mm512_sub_epi32(self.half, _mm512_srai_epi32::<31>(high));
        let y = _mm512_srav_epi32(high, self.right);
        let up = _mm512_cmpgt_epi32_mask(rem, threshold);
        let y = _mm512_mask_add_epi32(y, up, y, _mm512_set1_epi32(1));
        let y = _mm512_max_epi32(_mm512_min_epi32(y, self.addable.1), self.addable.0);
        let y = _mm512_add_epi32(y, self.zero_point);
        _mm512_min_epi32(_mm512_max_epi32(y, self.clamp.0), self.clamp.1)
    }
}

impl Lanes512 {
    /// Rounding once: each 64-bit product plus `2^(t-1)`, shifted right by `t`, saturated to
    /// the range where the zero point adds without overflow, then the zero point and clamp.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn apply_once(&self, acc: __m512i, once: &Once512) -> __m512i {
        let lanes = |a: __m512i, m: __m512i, total: __m512i, round: __m512i| {
            let p = _mm512_add_epi64(_mm512_mul_epi32(a, m), round);
            let y = _mm512_srav_epi64(p, total);
            _mm512_max_epi64(_mm512_min_epi64(y, once.range.1), once.range.0)
        };
        let even = lanes(acc, self.multiplier, once.total.0, once.round.0);
        let odd_acc = _mm512_srli_epi64::<32>(acc);
        let odd = lanes(odd_acc, self.odd, once.total.1, once.round.1);
        let y = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64::<32>(odd));
        let y = _mm512_add_epi32(y, self.zero_point);
        _mm512_min_epi32(_mm512_max_epi32(y, self.clamp.0), self.clamp.1)
    }

    /// [`Lanes512::apply`] without a left shift, without the saturation (no multiplier is
    /// `i32::MIN`), and with the zero point's clamps folded: the same lanes, fewer steps.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn apply_short(&self, a: __m512i) -> __m512i {
        let nudge = _mm512_set1_epi64(1 << 30);
        let even = _mm512_add_epi64(_mm512_mul_epi32(a, self.multiplier), nudge);
        let odd = _mm512_mul_epi32(_mm512_srli_epi64::<32>(a), self.odd);
        let odd = _mm512_add_epi64(odd, nudge);
        let high = _mm512_mask_blend_epi32(
            0xAAAA,
            _mm512_srli_epi64::<31>(even),
            _mm512_slli_epi64::<1>(odd),
        );
        let rem = _mm512_and_si512(high, self.mask);
        let threshold = _mm512_sub_epi32(self.half, _mm512_srai_epi32::<31>(high));
        let y = _mm512_srav_epi32(high, self.right);
        let up = _mm512_cmpgt_epi32_mask(rem, threshold);
        let y = _mm512_mask_add_epi32(y, up, y, _mm512_set1_epi32(1));
        let y = _mm512_min_epi32(_mm512_max_epi32(y, self.folded.0), self.folded.1);
        _mm512_add_epi32(y, self.zero_point)
    }
}

/// `[min - zero_point, max - zero_point]` if both fit in an `i32`: then
/// `min(max(zero_point + y, min), max) = zero_point + min(max(y, min - zp), max - zp)` exactly
/// (for `min > max` both sides are `max`), with no overflow.
fn folded(q: &Requantize<'_>) -> Option<(i32, i32)> {
    let low = (q.min as i32).checked_sub(q.zero_point)?;
    let high = (q.max as i32).checked_sub(q.zero_point)?;
    Some((low, high))
}

/// Eight outputs' requantisation in AVX2 registers.
#[derive(Clone, Copy)]
pub(super) struct Lanes256 {
    multiplier: __m256i,
    odd: __m256i,
    saturating: __m256i,
    left: __m256i,
    right: __m256i,
    mask: __m256i,
    half: __m256i,
    addable: (__m256i, __m256i),
    zero_point: __m256i,
    clamp: (__m256i, __m256i),
    /// Rounding once: each lane's multiplier, and the zero point and clamp, for lane-by-lane
    /// arithmetic.
    once: Option<([Multiplier; 8], i32, i32, i32)>,
}

impl Lanes256 {
    /// The lanes of `c`.
    #[target_feature(enable = "avx2")]
    pub(super) fn new(c: &Channels<8>, q: &Requantize<'_>) -> Lanes256 {
        // Safety: `v` holds 8 `i32`, one vector.
        let load = |v: &[i32; 8]| unsafe { _mm256_loadu_si256(v.as_ptr().cast()) };
        let multiplier = load(&c.multiplier);
        let right = load(&c.right);
        let one = _mm256_set1_epi32(1);
        let mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
        let (low, high) = addable(q.zero_point);
        Lanes256 {
            multiplier,
            odd: _mm256_srli_epi64::<32>(multiplier),
            saturating: _mm256_cmpeq_epi32(multiplier, _mm256_set1_epi32(i32::MIN)),
            left: load(&c.left),
            right,
            mask,
            half: _mm256_srli_epi32::<1>(mask),
            addable: (_mm256_set1_epi32(low), _mm256_set1_epi32(high)),
            zero_point: _mm256_set1_epi32(q.zero_point),
            clamp: (
                _mm256_set1_epi32(q.min as i32),
                _mm256_set1_epi32(q.max as i32),
            ),
            once: (q.rounding == Rounding::Once).then(|| {
                let m = core::array::from_fn(|j| Multiplier {
                    multiplier: c.multiplier[j],
                    shift: c.shift[j] as i32,
                });
                (m, q.zero_point, q.min as i32, q.max as i32)
            }),
        }
    }

    /// Eight accumulators requantised, each in `[min, max]`.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn apply(&self, acc: __m256i) -> __m256i {
        if let Some((m, zero_point, min, max)) = &self.once {
            let mut lanes = [0i32; 8];
            // Safety: `lanes` holds 8 `i32`, one vector.
            unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), acc) };
            for (y, m) in lanes.iter_mut().zip(m) {
                *y = zero_point
                    .saturating_add(m.apply_once(*y))
                    .max(*min)
                    .min(*max);
            }
            // Safety: as above.
            return unsafe { _mm256_loadu_si256(lanes.as_ptr().cast()) };
        }
        let a = _mm256_sllv_epi32(acc, self.left);
        let nudge = _mm256_set1_epi64x(1 << 30);
        let even = _mm256_add_epi64(_mm256_mul_epi32(a, self.multiplier), nudge);
        let odd = _mm256_mul_epi32(_mm256_srli_epi64::<32>(a), self.odd);
        let odd = _mm256_add_epi64(odd, nudge);
        let high = _mm256_blend_epi32::<0b1010_1010>(
            _mm256_srli_epi64::<31>(even),
            _mm256_slli_epi64::<1>(odd),
        );
        let min = _mm256_set1_epi32(i32::MIN);
        let overflow = _mm256_and_si256(self.saturating, _mm256_cmpeq_epi32(a, min));
        let high = _mm256_blendv_epi8(high, _mm256_set1_epi32(i32::MAX), overflow);
        let rem = _mm256_and_si256(high, self.mask);
        let threshold = _mm256_sub_epi32(self.half, _mm256_srai_epi32::<31>(high));
        let y = _mm256_srav_epi32(high, self.right);
        // The comparison is -1 where the remainder rounds up.
        let y = _mm256_sub_epi32(y, _mm256_cmpgt_epi32(rem, threshold));
        let y = _mm256_max_epi32(_mm256_min_epi32(y, self.addable.1), self.addable.0);
        let y = _mm256_add_epi32(y, self.zero_point);
        _mm256_min_epi32(_mm256_max_epi32(y, self.clamp.0), self.clamp.1)
    }
}
