//! A real multiplier as a 32-bit fixed-point integer and a power of two, and its application
//! to an `i32`: TFLite's `QuantizeMultiplier` and `MultiplyByQuantizedMultiplier`, bit for bit.
//!
//! A requantisation scales an accumulator by `M = s_in·s_w / s_out`, a real number. Integer
//! arithmetic carries it as `M = m·2^(shift-31)` with `m` in `[2^30, 2^31)`, and TFLite's
//! reference kernels round the product in one of two ways, which [`Rounding`] names:
//! - **twice** ([`Multiplier::apply`]), gemmlowp's way, which TFLite's `CONV_2D` (and TFLite
//!   Micro everywhere) uses: the doubled high half of the 64-bit product `x·m`, rounded
//!   ([`rounding_doubling_high_mul`]), then the power of two, rounded half away from zero
//!   ([`rounding_divide_by_pot`]);
//! - **once** ([`Multiplier::apply_once`]), for `FULLY_CONNECTED`, whose reference kernel
//!   rounds `x·M` computed in double precision: `(x·m + 2^(30-shift)) >> (31 - shift)`, the
//!   exact product rounded half up. The two agree with it unless `x·M` falls within
//!   `|x|·2^(shift-32)` of a half, where `m`'s own rounding decides (on none of the 1.48
//!   million dense outputs of `tests/tflite.rs`).
//!
//! The integer softmax's fixed-point arithmetic is made of the two-step functions too.

/// How a requantisation rounds `x·M`: the two ways TFLite's reference kernels do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rounding {
    /// The high half, then the shift: gemmlowp's `MultiplyByQuantizedMultiplier`, TFLite's
    /// `CONV_2D`.
    #[default]
    Twice,
    /// The exact product, once: TFLite's reference `FULLY_CONNECTED`.
    Once,
}

/// `M = multiplier·2^(shift-31)`: a real multiplier as TFLite's kernels apply it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Multiplier {
    /// The significand, in `[2^30, 2^31)`, or 0 for a multiplier too small to matter.
    pub multiplier: i32,
    /// The power of two, in `[-31, 30]`: positive shifts left before the product, negative
    /// shifts right after it.
    pub shift: i32,
}

impl Multiplier {
    /// `real` as TFLite's `QuantizeMultiplier` computes it: `real = q·2^shift` with `q` in
    /// `[0.5, 1)` (`frexp`), `multiplier = round(q·2^31)` half away from zero, carried into
    /// the shift when it rounds up to `2^31`, and flushed to zero below `2^-32`. A layer's
    /// multiplier of `2^30` or more is saturated by [`Multiplier::of_scales`].
    ///
    /// `real` must be finite and non-negative (scales are positive); anything else gives zero.
    pub const fn new(real: f64) -> Multiplier {
        if real.is_nan() || real <= 0.0 || real.is_infinite() {
            return Multiplier {
                multiplier: 0,
                shift: 0,
            };
        }
        let (q, mut shift) = frexp(real);
        let mut fixed = round_half_away(q * (1u64 << 31) as f64);
        if fixed == 1 << 31 {
            fixed /= 2;
            shift += 1;
        }
        if shift < -31 {
            return Multiplier {
                multiplier: 0,
                shift: 0,
            };
        }
        Multiplier {
            multiplier: fixed as i32,
            shift,
        }
    }

    /// The multiplier of a requantisation from an accumulator of scale `input·kernel` to an
    /// activation of scale `output`, computed in `f64` from the `f32` scales as TFLite does.
    pub const fn of_scales(input: f32, kernel: f32, output: f32) -> Multiplier {
        let m = Multiplier::new(input as f64 * kernel as f64 / output as f64);
        // A shift over 30 would leave `apply_once` no right shift to round with: saturate.
        if m.shift > 30 {
            return Multiplier {
                multiplier: i32::MAX,
                shift: 30,
            };
        }
        m
    }

    /// `round(x·M)` as TFLite's `MultiplyByQuantizedMultiplier` computes it, rounding twice
    /// ([`Rounding::Twice`]).
    #[inline(always)]
    pub const fn apply(self, x: i32) -> i32 {
        let (left, right) = if self.shift > 0 {
            (self.shift, 0)
        } else {
            (0, -self.shift)
        };
        let high = rounding_doubling_high_mul(x.wrapping_mul(1 << left), self.multiplier);
        rounding_divide_by_pot(high, right)
    }

    /// `round(x·M)` as `rounding` says.
    #[inline(always)]
    pub const fn apply_with(self, x: i32, rounding: Rounding) -> i32 {
        match rounding {
            Rounding::Twice => self.apply(x),
            Rounding::Once => self.apply_once(x),
        }
    }

    /// `round(x·M)`, halves up: `(x·m + 2^(30-shift)) >> (31 - shift)` in 64 bits, rounding
    /// once ([`Rounding::Once`]). The result saturates to `i32`.
    #[inline(always)]
    pub const fn apply_once(self, x: i32) -> i32 {
        let total = 31 - self.shift;
        let product = x as i64 * self.multiplier as i64 + (1i64 << (total - 1));
        let result = product >> total;
        if result > i32::MAX as i64 {
            i32::MAX
        } else if result < i32::MIN as i64 {
            i32::MIN
        } else {
            result as i32
        }
    }
}

/// `round(a·b / 2^31)`, saturated: gemmlowp's `SaturatingRoundingDoublingHighMul`. The only
/// overflow, `i32::MIN · i32::MIN`, saturates to `i32::MAX`; rounding is half away from zero.
#[inline(always)]
pub const fn rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Division truncating towards zero, as gemmlowp's `/ (1ll << 31)`.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `round(x / 2^exponent)`, half away from zero: gemmlowp's `RoundingDivideByPOT`, for
/// `exponent` in `[0, 31]`.
#[inline(always)]
pub const fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> exponent) + (remainder > threshold) as i32
}

/// `x = q·2^e` with `q` in `[0.5, 1)`, for a finite positive `x`: C's `frexp`.
const fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    if exponent == 0 {
        // Subnormal: scale into the normal range first.
        let (q, e) = frexp(x * (1u64 << 54) as f64);
        return (q, e - 54);
    }
    let q = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (q, exponent - 1022)
}

/// `x` rounded to the nearest integer, halves away from zero (C's `round`), for `x` in
/// `[0, 2^62)`.
const fn round_half_away(x: f64) -> i64 {
    let floor = x as i64;
    if x - floor as f64 >= 0.5 {
        floor + 1
    } else {
        floor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_is_two_to_the_thirty_with_no_shift() {
        let m = Multiplier::new(0.5);
        assert_eq!((m.multiplier, m.shift), (1 << 30, 0));
        assert_eq!(m.apply(7), 4, "3.5 rounds up");
        // gemmlowp's nudge for a negative product is `1 - 2^30`, so -3.5 rounds up too.
        assert_eq!(m.apply(-7), -3);
        assert_eq!(m.apply_once(-7), -3);
    }

    #[test]
    fn significand_and_shift_reconstruct_the_multiplier() {
        for real in [1e-9, 3.1e-4, 0.0039215, 0.25, 0.75, 1.0, 3.999, 1234.5] {
            let m = Multiplier::new(real);
            assert!(
                (1 << 30..=i32::MAX).contains(&m.multiplier),
                "{real}: {m:?}"
            );
            let back = m.multiplier as f64 * 2f64.powi(m.shift - 31);
            assert!(
                (back - real).abs() <= real * 2f64.powi(-30),
                "{real}: {back}"
            );
        }
    }

    #[test]
    fn rounding_up_to_two_to_the_thirty_one_carries_into_the_shift() {
        let m = Multiplier::new(1.0 - 1e-12);
        assert_eq!((m.multiplier, m.shift), (1 << 30, 1));
    }

    #[test]
    fn tiny_and_invalid_multipliers_are_zero() {
        for real in [1e-12, 0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(Multiplier::new(real), Multiplier::default(), "{real}");
        }
    }

    #[test]
    fn applying_matches_the_real_product_within_one() {
        let m = Multiplier::new(0.0123456);
        for x in [-100_000, -12_345, -1, 0, 1, 999, 77_777, 2_000_000] {
            let exact = x as f64 * 0.0123456;
            assert!(
                (m.apply(x) as f64 - exact).abs() <= 1.0,
                "{x}: {}",
                m.apply(x)
            );
        }
    }

    #[test]
    fn one_rounding_differs_from_two_where_the_first_crosses_a_half() {
        // TFLite's reference FULLY_CONNECTED gives -37 here (`tests/tflite.rs`), where
        // rounding the high half first gives -38400 / 2^10 = -37.5, then -38.
        let m = Multiplier {
            multiplier: 1_864_290_141,
            shift: -10,
        };
        assert_eq!(m.apply_once(-44_233), -37);
        assert_eq!(m.apply(-44_233), -38);
    }

    #[test]
    fn every_shift_applies_without_overflow() {
        for shift in -31..=30 {
            let m = Multiplier {
                multiplier: i32::MAX,
                shift,
            };
            let _ = (m.apply(i32::MAX), m.apply(i32::MIN));
            let _ = (m.apply_once(i32::MAX), m.apply_once(i32::MIN));
        }
        let big = Multiplier {
            multiplier: i32::MAX,
            shift: 30,
        };
        assert_eq!(big.apply_once(i32::MAX), i32::MAX);
        assert_eq!(big.apply_once(i32::MIN), i32::MIN);
    }

    #[test]
    fn dividing_by_a_power_of_two_rounds_halves_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(-6, 2), -2);
        assert_eq!(rounding_divide_by_pot(6, 2), 2);
        assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
    }

    #[test]
    fn the_one_overflow_saturates() {
        assert_eq!(rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
    }
}
