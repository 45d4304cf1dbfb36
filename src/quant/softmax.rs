//! Softmax from int8 logits to int8 probabilities, bit for bit as TFLite's reference kernel;
//! the arithmetic is described on [`Softmax`].

use super::fixed_point::{exp_on_negative_values, reciprocal, rescale, EXP_INPUT_INTEGER_BITS};
use super::{rounding_divide_by_pot, rounding_doubling_high_mul, Multiplier};

/// The integer bits of the sum of exps, `Q12.19`: TFLite's `kAccumulationIntegerBits`.
const ACCUMULATION_INTEGER_BITS: u32 = 12;

/// Softmax from int8 logits to int8 probabilities, bit for bit as TFLite's reference kernel
/// (`reference_ops::Softmax` for int8 in and out, `beta = 1`), with the parameters TFLite's
/// `SoftmaxPrepare` computes for that kernel from the logits' scale.
///
/// With logits `q` of scale `s`, `p_i = exp(s·(q_i - q_max)) / Σ_j exp(s·(q_j - q_max))`, and
/// the output is `round(256·p_i) - 128` clamped to int8: scale 1/256, zero point -128, so a
/// certain class (`p = 1`) saturates to 127, 255/256.
///
/// In integers, over one row (a `Qm.n` number is an `i32` `r` standing for `r/2^n`, with `m`
/// integer bits and `n = 31 - m` fractional bits):
/// 1. Each difference `d = q_i - q_max ≤ 0` is scaled to `s·d` in `Q5.26`: 5 integer bits hold
///    real differences down to -32, and 26 fractional bits keep the precision. The real
///    multiplier `s·2^26` is `input_multiplier·2^(input_left_shift-31)`, applied as
///    `d·2^input_left_shift` then a rounding high multiplication (TFLite's
///    `MultiplyByQuantizedMultiplierGreaterThanOne`). A difference below `diff_min` would
///    overflow `d·2^input_left_shift`; it is skipped, its exp taken as 0. Its real value is below
///    about -15.5, so its exp is below `2·10^-7`.
/// 2. `e_i = exp(s·d)` in `Q0.31` (gemmlowp's `exp_on_negative_values`), and their sum `S` in
///    `Q12.19`: each `e_i ≤ 1` is rounded to 19 fractional bits, and 12 integer bits hold sums
///    below 4096.
/// 3. `S = (1 + f)·2^b` with `f` in `[0, 1)` (TFLite's `GetReciprocal`), so
///    `256·p_i = e_i·(1/(1+f))·2^(8-b)`: a rounding high multiplication of the two `Q0.31`
///    values, then a rounding shift right by `31 + b - 8`.
///
/// TFLite's reference kernel stops on a failed check when that shift exceeds 31, i.e. when the
/// exps sum to 512 or more (at least 512 logits at or near the row's maximum). Each probability
/// is then at most 1/512, and [`apply`](Self::apply) writes -128 (zero) for every one.
///
/// ```
/// use liandan::quant::Softmax;
///
/// let softmax = Softmax::new(0.1);
/// let mut probabilities = [0i8; 3];
/// softmax.apply(&[20, 10, 0], &mut probabilities);
/// // exp(0, -1, -2) / 1.503 = 0.665, 0.245, 0.090: 170, 63 and 23 in 256ths.
/// assert_eq!(probabilities, [42, -65, -105]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax {
    /// The significand of `s·2^26` (`s` the logits' scale), in `[2^30, 2^31)`: TFLite's
    /// `input_multiplier` (`QuantizeMultiplierGreaterThanOne`). Zero for a scale TFLite
    /// rejects, which makes every probability equal.
    pub input_multiplier: i32,
    /// The power of two of `s·2^26`, in `[0, 31]`: `s·2^26 = input_multiplier·2^(input_left_shift-31)`.
    pub input_left_shift: i32,
    /// The most negative logit difference `q_i - q_max` that takes part, `-floor(31·2^26 /
    /// 2^input_left_shift)` (TFLite's `-CalculateInputRadius(5, input_left_shift)`): any larger
    /// magnitude would overflow `d·2^input_left_shift`.
    pub diff_min: i32,
}

impl Softmax {
    /// The output's scale: probabilities in 256ths.
    pub const OUTPUT_SCALE: f32 = 1.0 / 256.0;
    /// The output's zero point: probability 0 is -128.
    pub const OUTPUT_ZERO_POINT: i32 = -128;

    /// The parameters for logits of scale `input_scale`, as TFLite's `PreprocessSoftmaxScaling`
    /// (`beta = 1`, 5 integer bits) and `CalculateInputRadius` compute them: the real multiplier
    /// `min(s·2^26, 2^31 - 1)` in `f64` split by `QuantizeMultiplier` ([`Multiplier::new`]).
    ///
    /// TFLite requires that multiplier to exceed 1 (`input_scale` above `2^-26`, not NaN) and
    /// stops otherwise. For such a scale this gives multiplier 0: every difference counts as 0 and
    /// every probability is `1/n`. For a positive scale of at most `2^-26` that is the softmax
    /// to the output's precision, the exponents differing by at most `255·2^-26`.
    pub const fn new(input_scale: f32) -> Softmax {
        const MAX_REAL_MULTIPLIER: f64 = (1u64 << 31) as f64 - 1.0;
        let mut real = input_scale as f64 * (1u64 << (31 - EXP_INPUT_INTEGER_BITS)) as f64;
        if real > MAX_REAL_MULTIPLIER {
            real = MAX_REAL_MULTIPLIER;
        }
        let (input_multiplier, input_left_shift) = if real > 1.0 {
            let m = Multiplier::new(real);
            (m.multiplier, m.shift)
        } else {
            (0, 0)
        };
        Softmax {
            input_multiplier,
            input_left_shift,
            diff_min: -input_radius(input_left_shift),
        }
    }

    /// The softmax of one row of `logits` into `output`: `output[i]` for each
    /// `i < min(logits.len(), output.len())`, the probability of `logits[i]` among all of
    /// `logits` (scale [`OUTPUT_SCALE`](Self::OUTPUT_SCALE), zero point
    /// [`OUTPUT_ZERO_POINT`](Self::OUTPUT_ZERO_POINT)). Integer arithmetic only, no allocation.
    pub fn apply(&self, logits: &[i8], output: &mut [i8]) {
        self.apply_with(logits, output, &mut |diff| self.exp(diff));
    }

    /// The softmax of each row of `O` logits in `rows`, in place: [`apply`](Self::apply) on
    /// each, with the exp of each difference `q_i - q_max` (one of 256) computed once for all
    /// the rows rather than once per logit: at a large batch those exps would be most of the
    /// time.
    pub fn apply_rows<const O: usize>(&self, rows: &mut [i8]) {
        // Per difference `-d`, `memo[d]`: its exp, `NOT_YET`, or `BELOW` (below `diff_min`).
        const NOT_YET: i32 = -1;
        const BELOW: i32 = -2;
        let mut memo = [NOT_YET; 256];
        let mut exp = |diff: i32| {
            let slot = &mut memo[diff.unsigned_abs() as usize];
            if *slot == NOT_YET {
                *slot = self.exp(diff).unwrap_or(BELOW);
            }
            Some(*slot).filter(|&e| e != BELOW)
        };
        for row in rows.chunks_exact_mut(O) {
            let mut logits = [0i8; O];
            logits.copy_from_slice(row);
            self.apply_with(&logits, row, &mut exp);
        }
    }

    /// [`apply`](Self::apply) with `exp` giving [`exp`](Self::exp) of each difference.
    #[inline]
    fn apply_with(
        &self,
        logits: &[i8],
        output: &mut [i8],
        exp: &mut impl FnMut(i32) -> Option<i32>,
    ) {
        let Some(&max) = logits.iter().max() else {
            return;
        };
        let max = max as i32;
        // A short row's exps are kept for the second pass (the same values: one computation).
        let mut kept = [None; KEPT];
        // Q12.19. Saturating: past 2^28 (a sum of 512) every output is -128 anyway.
        let mut sum = 0i32;
        for (i, &logit) in logits.iter().enumerate() {
            let e = exp(logit as i32 - max);
            if let Some(slot) = kept.get_mut(i) {
                *slot = e;
            }
            if let Some(e) = e {
                sum = sum.saturating_add(rescale(e, 0, ACCUMULATION_INTEGER_BITS));
            }
        }
        // The max's exp is 1, so sum ≥ 2^19 > 0.
        let (scale, bits_over_unit) = reciprocal(sum, ACCUMULATION_INTEGER_BITS as i32);
        let exponent = bits_over_unit + 31 - 8;
        for (i, (y, &logit)) in output.iter_mut().zip(logits).enumerate() {
            let e = match kept.get(i) {
                Some(&e) if logits.len() <= KEPT => e,
                _ => exp(logit as i32 - max),
            };
            *y = match e {
                Some(e) if exponent <= 31 => {
                    let p = rounding_divide_by_pot(rounding_doubling_high_mul(scale, e), exponent);
                    (p - 128).clamp(-128, 127) as i8
                }
                _ => -128,
            };
        }
    }

    /// `exp(s·diff)` in `Q0.31` for a difference `diff ≤ 0` that takes part; `None` below
    /// [`diff_min`](Self::diff_min).
    #[inline]
    fn exp(&self, diff: i32) -> Option<i32> {
        if diff < self.diff_min {
            return None;
        }
        let shifted = diff.wrapping_mul(1i32.wrapping_shl(self.input_left_shift as u32));
        let scaled = rounding_doubling_high_mul(shifted, self.input_multiplier); // Q5.26
        Some(exp_on_negative_values(scaled))
    }
}

/// The longest row whose exps [`Softmax::apply`] keeps between its two passes, on the stack.
const KEPT: usize = 64;

/// `floor((2^5 - 1)·2^26 / 2^left_shift)`: TFLite's `CalculateInputRadius(5, left_shift)`, the
/// largest `|d|` with `|d|·2^left_shift` below `31·2^26 < 2^31`. TFLite computes it in `f64`,
/// where every term is exact; integers give the same floor.
const fn input_radius(left_shift: i32) -> i32 {
    let max_input_rescaled =
        ((1i64 << EXP_INPUT_INTEGER_BITS) - 1) << (31 - EXP_INPUT_INTEGER_BITS);
    (max_input_rescaled >> left_shift) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row's outputs as 256ths, `y + 128`.
    fn in_256ths(softmax: &Softmax, logits: &[i8]) -> std::vec::Vec<i32> {
        let mut output = std::vec![0i8; logits.len()];
        softmax.apply(logits, &mut output);
        output.iter().map(|&y| y as i32 + 128).collect()
    }

    #[test]
    fn a_sixteenth_is_two_to_the_twenty_two() {
        // s·2^26 = 2^22 = 0.5·2^23; radius floor(31·2^26 / 2^23) = 248.
        let softmax = Softmax::new(0.0625);
        assert_eq!(
            softmax,
            Softmax {
                input_multiplier: 1 << 30,
                input_left_shift: 23,
                diff_min: -248,
            }
        );
    }

    #[test]
    fn a_tenth_as_an_f32() {
        // 0.1f32 = 13421773·2^-27, so s·2^26 = 6710886.5 = (6710886.5/2^23)·2^23, and the
        // significand times 2^31 is 6710886.5·2^8 = 1717986944 exactly.
        let softmax = Softmax::new(0.1);
        assert_eq!(
            (softmax.input_multiplier, softmax.input_left_shift),
            (1_717_986_944, 23)
        );
        assert_eq!(softmax.diff_min, -248);
        // A half: 2^25 = 0.5·2^26, radius floor(31/1) = 31.
        assert_eq!(Softmax::new(0.5).diff_min, -31);
        // Computed at compile time, the same parameters.
        const TENTH: Softmax = Softmax::new(0.1);
        assert_eq!(TENTH, softmax);
    }

    #[test]
    fn a_huge_scale_is_capped_and_only_the_maximum_counts() {
        let softmax = Softmax::new(1e6);
        assert_eq!(
            (softmax.input_multiplier, softmax.input_left_shift),
            (i32::MAX, 31)
        );
        assert_eq!(softmax.diff_min, 0);
        assert_eq!(in_256ths(&softmax, &[5, 5, 4, -128]), [128, 128, 0, 0]);
    }

    #[test]
    fn outputs_follow_the_logits_and_sum_to_about_256() {
        let softmax = Softmax::new(0.05);
        let logits = [-100i8, -20, 0, 1, 30, 31, 60, 90, 127, 126];
        let p = in_256ths(&softmax, &logits);
        for (i, j) in (0..logits.len()).flat_map(|i| (0..logits.len()).map(move |j| (i, j))) {
            if logits[i] < logits[j] {
                assert!(p[i] <= p[j], "{logits:?} -> {p:?}");
            }
        }
        let total: i32 = p.iter().sum();
        assert!((total - 256).abs() <= logits.len() as i32 / 2, "{p:?}");
    }

    #[test]
    fn equal_logits_share_the_probability() {
        let softmax = Softmax::new(0.02);
        assert_eq!(in_256ths(&softmax, &[7; 4]), [64; 4]);
        assert_eq!(
            in_256ths(&softmax, &[-128]),
            [255],
            "1 saturates to 255/256"
        );
        // 511 maxima: 256/511 rounds to 1; TFLite gives -127 each too.
        assert!(in_256ths(&softmax, &[3; 511]).iter().all(|&p| p == 1));
    }

    #[test]
    fn a_sum_of_512_or_more_gives_zeros() {
        // TFLite's reference kernel stops here (its exponent check); each p ≤ 1/512.
        let softmax = Softmax::new(0.5);
        for n in [512, 600, 5000] {
            assert!(in_256ths(&softmax, &std::vec![9; n])
                .iter()
                .all(|&p| p == 0));
        }
    }

    #[test]
    fn scales_tflite_rejects_give_equal_probabilities() {
        for scale in [0.0, -1.0, 1e-9, f32::NAN] {
            let softmax = Softmax::new(scale);
            assert_eq!(softmax.input_multiplier, 0, "{scale}");
            assert_eq!(in_256ths(&softmax, &[-128, 0, 127, 5]), [64; 4], "{scale}");
        }
    }

    #[test]
    fn rows_at_once_equal_each_row_alone() {
        let mut r = 0x2545_f491_4f6c_dd1du64;
        for scale in [0.003, 0.05, 0.1, 0.2, 0.5, 3.0] {
            let softmax = Softmax::new(scale);
            let mut rows = [0i8; 10 * 300];
            for v in rows.iter_mut() {
                r ^= r << 13;
                r ^= r >> 7;
                r ^= r << 17;
                *v = r as i8;
            }
            let mut want = rows;
            for row in want.chunks_exact_mut(10) {
                let logits: [i8; 10] = row.try_into().unwrap();
                softmax.apply(&logits, row);
            }
            softmax.apply_rows::<10>(&mut rows);
            assert_eq!(rows, want, "{scale}");
        }
    }

    #[test]
    fn lengths_that_differ_write_the_common_part() {
        let softmax = Softmax::new(0.1);
        let mut full = [0i8; 3];
        softmax.apply(&[20, 10, 0], &mut full);
        let mut short = [1i8; 2];
        softmax.apply(&[20, 10, 0], &mut short);
        assert_eq!(short, full[..2]);
        let mut long = [1i8; 4];
        softmax.apply(&[20, 10, 0], &mut long);
        assert_eq!(long, [full[0], full[1], full[2], 1]);
        softmax.apply(&[], &mut long);
        assert_eq!(long[3], 1);
    }
}
