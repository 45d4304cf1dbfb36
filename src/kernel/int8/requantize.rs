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

use core::arch::x86_64::*;

use super::{Channels, Requantize};

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
    /// The bias, which the accumulators start from.
    pub(super) bias: __m512i,
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
}

impl Lanes512 {
    /// The lanes of `c`.
    #[target_feature(enable = "avx512f")]
    pub(super) fn new(c: &Channels<16>, q: &Requantize<'_>) -> Lanes512 {
        // Safety: `v` holds 16 `i32`, one vector.
        let load = |v: &[i32; 16]| unsafe { _mm512_loadu_si512(v.as_ptr().cast()) };
        let multiplier = load(&c.multiplier);
        let right = load(&c.right);
        let mask = _mm512_sub_epi32(
            _mm512_sllv_epi32(_mm512_set1_epi32(1), right),
            _mm512_set1_epi32(1),
        );
        let (low, high) = addable(q.zero_point);
        let fold = folded(q);
        let short = fold.is_some()
            && c.left.iter().all(|&l| l == 0)
            && c.multiplier.iter().all(|&m| m != i32::MIN);
        let (min, max) = fold.unwrap_or((0, 0));
        Lanes512 {
            bias: load(&c.bias),
            short,
            folded: (_mm512_set1_epi32(min), _mm512_set1_epi32(max)),
            multiplier,
            odd: _mm512_srli_epi64::<32>(multiplier),
            saturating: _mm512_cmpeq_epi32_mask(multiplier, _mm512_set1_epi32(i32::MIN)),
            left: load(&c.left),
            right,
            mask,
            half: _mm512_srli_epi32::<1>(mask),
            addable: (_mm512_set1_epi32(low), _mm512_set1_epi32(high)),
            zero_point: _mm512_set1_epi32(q.zero_point),
            clamp: (
                _mm512_set1_epi32(q.min as i32),
                _mm512_set1_epi32(q.max as i32),
            ),
        }
    }

    /// Sixteen accumulators requantised, each in `[min, max]`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn apply(&self, acc: __m512i) -> __m512i {
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
    /// The bias, added to the accumulators.
    pub(super) bias: __m256i,
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
            bias: load(&c.bias),
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
        }
    }

    /// Eight accumulators requantised, each in `[min, max]`.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn apply(&self, acc: __m256i) -> __m256i {
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
