//! gemmlowp's scalar 32-bit fixed-point arithmetic (`fixedpoint/fixedpoint.h`), the parts the
//! int8 softmax needs, bit for bit: `exp` of a negative number, `1/(1+x)`, and TFLite's
//! `GetReciprocal` built on it.
//!
//! A `Qm.n` number (`m + n = 31`) is an `i32` raw value `r` standing for `r / 2^n`, in
//! `[-2^m, 2^m)`: `m` integer bits besides the sign, `n` fractional bits. gemmlowp's
//! `FixedPoint<int32, m>` is such a number; here the raw `i32` is passed around and each
//! function names the formats it takes and returns.
//! - A product by [`rounding_doubling_high_mul`] of a `Qa` and a `Qb` is a `Q(a+b)`: the raw
//!   product `r_a·r_b / 2^31` has `(31-a) + (31-b) - 31` fractional bits.
//! - Sums and differences keep the format; they wrap as gemmlowp's plain `int32` `+` does
//!   (every use here stays in range).
//! - [`rescale`] moves a value to another format, rounding or saturating (gemmlowp's `Rescale`).

use super::{rounding_divide_by_pot, rounding_doubling_high_mul};

/// `x·2^exponent` for `exponent` in `[1, 31]`, saturated to the `i32` range: gemmlowp's
/// `SaturatingRoundingMultiplyByPOT` for a positive exponent.
const fn saturating_shl(x: i32, exponent: u32) -> i32 {
    let threshold = (1i32 << (31 - exponent)) - 1;
    if x > threshold {
        i32::MAX
    } else if x < -threshold {
        i32::MIN
    } else {
        x << exponent
    }
}

/// A `Q(from).(31-from)` value as `Q(to).(31-to)`: gemmlowp's `Rescale<to>`. Fewer integer
/// bits shift left, saturating; more shift right, rounding half away from zero.
pub(crate) const fn rescale(x: i32, from: u32, to: u32) -> i32 {
    if from > to {
        saturating_shl(x, from - to)
    } else {
        rounding_divide_by_pot(x, (to - from) as i32)
    }
}

/// `(a + b) / 2` rounded half away from zero, without overflow: gemmlowp's `RoundingHalfSum`.
const fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = a as i64 + b as i64;
    let sign = if sum >= 0 { 1 } else { -1 };
    // Division truncating towards zero, as C++'s.
    ((sum + sign) / 2) as i32
}

/// 1 in `Q0.31`, where it is not representable: the largest raw value (gemmlowp's `One()`).
const ONE_Q0_31: i32 = i32::MAX;

/// `exp(a)` for `a` in `[-1/4, 0)`, both `Q0.31`: gemmlowp's
/// `exp_on_interval_between_negative_one_quarter_and_0_excl`.
///
/// Around `-1/8`: `exp(a) = e^(-1/8)·e^x` with `x = a + 1/8` in `[-1/8, 1/8)`, and `e^x` by its
/// fourth-order Taylor polynomial, evaluated as `1 + x + ((x⁴/4 + x³)/3 + x²)/2`.
const fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668; // round(e^(-1/8)·2^31)
    const ONE_THIRD: i32 = 715_827_883; // round(2^31/3)
    let x = a.wrapping_add(1 << 28); // 1/8 in Q0.31
    let x2 = rounding_doubling_high_mul(x, x);
    let x3 = rounding_doubling_high_mul(x2, x);
    let x4 = rounding_doubling_high_mul(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let third = rounding_doubling_high_mul(x4_over_4.wrapping_add(x3), ONE_THIRD);
    let higher_terms = rounding_divide_by_pot(third.wrapping_add(x2), 1);
    EXP_MINUS_ONE_EIGHTH.wrapping_add(rounding_doubling_high_mul(
        EXP_MINUS_ONE_EIGHTH,
        x.wrapping_add(higher_terms),
    ))
}

/// The integer bits of [`exp_on_negative_values`]' input, `Q5.26`: TFLite's
/// `kScaledDiffIntegerBits`.
pub(crate) const EXP_INPUT_INTEGER_BITS: u32 = 5;

/// `exp(a)` for `a ≤ 0` in `Q5.26` (so `a ≥ -32`), as `Q0.31`: gemmlowp's
/// `exp_on_negative_values` for `FixedPoint<int32, 5>`.
///
/// `a = r - k/4` with `r` in `[-1/4, 0)` and `k ≥ 0` an integer: `exp(a) = exp(r)·Π exp(-2^j/4)`
/// over the set bits `j` of `k`, each a `Q0.31` constant (a barrel shifter of multiplications).
/// `exp(0)` is `One()`, the largest raw value.
pub(crate) const fn exp_on_negative_values(a: i32) -> i32 {
    const FRACTIONAL_BITS: u32 = 31 - EXP_INPUT_INTEGER_BITS;
    const ONE_QUARTER: i32 = 1 << (FRACTIONAL_BITS - 2);
    // round(exp(-2^j)·2^31) for j = -2..=4, the bit of 2^j sitting at FRACTIONAL_BITS + j.
    const EXP_MINUS_POWERS_OF_TWO: [i32; 7] = [
        1_672_461_947, // exp(-1/4)
        1_302_514_674, // exp(-1/2)
        790_015_084,   // exp(-1)
        290_630_308,   // exp(-2)
        39_332_535,    // exp(-4)
        720_401,       // exp(-8)
        242,           // exp(-16)
    ];
    if a == 0 {
        return ONE_Q0_31;
    }
    let a_mod_quarter_minus_one_quarter = (a & (ONE_QUARTER - 1)).wrapping_sub(ONE_QUARTER);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(
        a_mod_quarter_minus_one_quarter,
        EXP_INPUT_INTEGER_BITS,
        0,
    ));
    // k/4 = r - a, a non-negative multiple of 1/4.
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    let mut j = 0;
    while j < EXP_MINUS_POWERS_OF_TWO.len() {
        if remainder & (1 << (FRACTIONAL_BITS - 2 + j as u32)) != 0 {
            result = rounding_doubling_high_mul(result, EXP_MINUS_POWERS_OF_TWO[j]);
        }
        j += 1;
    }
    result
}

/// `1/(1+a)` for `a` in `[0, 1)`, both `Q0.31`: gemmlowp's `one_over_one_plus_x_for_x_in_0_1`.
///
/// Newton–Raphson division in `Q2.29`: with `d = (1+a)/2` in `[1/2, 1)`, start from
/// `x₀ = 48/17 - 32/17·d` (the minimax linear guess for `1/d` there) and iterate
/// `x ← x + x·(1 - d·x)` three times; then `1/(1+a) = x/2`.
const fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    const FORTY_EIGHT_OVER_SEVENTEEN: i32 = 1_515_870_810; // Q2.29
    const MINUS_THIRTY_TWO_OVER_SEVENTEEN: i32 = -1_010_580_540; // Q2.29
    const ONE_Q2_29: i32 = 1 << 29;
    let half_denominator = rounding_half_sum(a, ONE_Q0_31);
    let mut x = FORTY_EIGHT_OVER_SEVENTEEN.wrapping_add(rounding_doubling_high_mul(
        half_denominator,
        MINUS_THIRTY_TWO_OVER_SEVENTEEN,
    ));
    let mut i = 0;
    while i < 3 {
        let half_denominator_times_x = rounding_doubling_high_mul(half_denominator, x);
        let one_minus = ONE_Q2_29.wrapping_sub(half_denominator_times_x);
        // Q2.29 · Q2.29 = Q4.27, back to Q2.29.
        x = x.wrapping_add(rescale(rounding_doubling_high_mul(x, one_minus), 4, 2));
        i += 1;
    }
    // x/2 reinterprets the raw value as Q1.30 (gemmlowp's `ExactMulByPot<-1>`), then Q0.31.
    rescale(x, 1, 0)
}

/// `1/x` for a positive `x` in `Q(integer_bits).(31-integer_bits)`, as a `Q0.31` significand and
/// a power of two: TFLite's `GetReciprocal`. Returns `(s, e)` with `1/x ≈ s/2^31 · 2^-e`.
///
/// With `h` the leading zeros of `x`, `x·2^h` read as an unsigned `Q1.31` is `1 + f`, `f` in
/// `[0, 1)`, so `x = (1 + f)·2^(integer_bits - h)`: `e = integer_bits - h` and
/// `s = 1/(1 + f)`.
pub(crate) const fn reciprocal(x: i32, integer_bits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros();
    let bits_over_unit = integer_bits - headroom_plus_one as i32;
    let shifted_minus_one = ((x as u32).wrapping_shl(headroom_plus_one)).wrapping_sub(1 << 31);
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_minus_one as i32),
        bits_over_unit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw `Q0.31` value as a real number.
    fn q0_31(raw: i32) -> f64 {
        raw as f64 / 2f64.powi(31)
    }

    #[test]
    fn exp_of_negative_values_is_within_its_taylor_remainder() {
        // The quartic around -1/8 leaves up to (1/8)^5/5! = 2.5e-7 on [-1/4, 0).
        // Every multiple of 1/1024 in (-32, 0], and every raw step near the quarter boundaries.
        let quarter = 1 << 24;
        let steps = (1..32 * 1024).map(|k| -k * (1 << 16));
        let boundaries = (1..=8).flat_map(|q| [-q * quarter - 1, -q * quarter, -q * quarter + 1]);
        for a in steps.chain(boundaries) {
            let exact = libm::exp(a as f64 / 2f64.powi(26));
            let got = q0_31(exp_on_negative_values(a));
            assert!((got - exact).abs() < 3e-7, "exp({a}): {got} vs {exact}");
        }
        assert_eq!(exp_on_negative_values(0), i32::MAX);
    }

    #[test]
    fn exp_at_the_quarter_points_is_the_product_of_the_constants() {
        // exp(-3/4) = exp(-1/4)·exp(-1/2): r = -1/4 and k = 2 (the bit of 1/2).
        let r = exp_on_interval_between_negative_one_quarter_and_0_excl(-1 << 29);
        let product = rounding_doubling_high_mul(r, 1_302_514_674);
        assert_eq!(exp_on_negative_values(-3 << 24), product);
        // exp(-1): r = -1/4, k = 3 (the bits of 1/4 and 1/2).
        let r_times_quarter = rounding_doubling_high_mul(r, 1_672_461_947);
        let product = rounding_doubling_high_mul(r_times_quarter, 1_302_514_674);
        assert_eq!(exp_on_negative_values(-1 << 26), product);
    }

    #[test]
    fn one_over_one_plus_x_is_within_1e_8() {
        for k in 0..1000 {
            let a = (k as f64 / 1000.0 * 2f64.powi(31)) as i32;
            let exact = 1.0 / (1.0 + q0_31(a));
            let got = q0_31(one_over_one_plus_x_for_x_in_0_1(a));
            assert!((got - exact).abs() < 1e-8, "1/(1+{a}): {got} vs {exact}");
        }
    }

    #[test]
    fn reciprocal_splits_off_the_power_of_two() {
        // 1.0 in Q12.19: no bits over the unit, 1/(1+0) saturating to One().
        assert_eq!(reciprocal(1 << 19, 12), (i32::MAX, 0));
        // 3.0 = 1.5·2^1: 1/3 = (2/3)·2^-1.
        let (s, e) = reciprocal(3 << 19, 12);
        assert_eq!(e, 1);
        assert!((q0_31(s) - 2.0 / 3.0).abs() < 1e-8, "{s}");
    }

    #[test]
    fn rescaling_rounds_right_and_saturates_left() {
        assert_eq!(rescale(i32::MAX, 0, 12), 1 << 19);
        assert_eq!(rescale(-(1 << 24), 5, 0), -(1 << 29));
        assert_eq!(rescale(1 << 30, 1, 0), i32::MAX);
        assert_eq!(rescale(-(1 << 30), 1, 0), i32::MIN);
        assert_eq!(rounding_half_sum(i32::MAX, i32::MAX), i32::MAX);
        assert_eq!(rounding_half_sum(-3, 0), -2);
    }
}
