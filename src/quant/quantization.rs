//! One tensor's quantisation: `r = scale·(q - zero_point)`, and how calibration chooses it.

/// The affine map between an int8 activation `q` and the real value it stands for,
/// `r = scale·(q - zero_point)`: one per tensor, as TFLite quantises activations.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quantization {
    /// The real step between two consecutive integers; positive.
    pub scale: f32,
    /// The integer that stands for the real 0, in `[-128, 127]`, so that zero padding and
    /// ReLU's floor are exact.
    pub zero_point: i32,
}

impl Quantization {
    /// The quantisation of the values seen in `[min, max]`, TFLite's way: the range is widened
    /// to hold 0, `scale = (max - min) / 255`, and the zero point is the integer nearest to
    /// where 0 falls, `-128 - min/scale`, so 0 is represented exactly. An empty or
    /// single-point range gets scale 1, so that every scale is positive.
    pub fn from_range(min: f32, max: f32) -> Quantization {
        let (min, max) = (min.min(0.0), max.max(0.0));
        let span = max - min;
        if !span.is_finite() || span <= 0.0 {
            return Quantization {
                scale: 1.0,
                zero_point: 0,
            };
        }
        let scale = span / 255.0;
        let zero_point = round_half_away(-128.0 - min / scale).clamp(-128.0, 127.0) as i32;
        Quantization { scale, zero_point }
    }

    /// `round(r / scale) + zero_point`, clamped to int8: halves round away from zero, as
    /// TFLite's `QUANTIZE` rounds; NaN gives the zero point.
    #[inline]
    pub fn quantize(self, r: f32) -> i8 {
        let q = round_half_away(r / self.scale);
        (q + self.zero_point as f32).clamp(-128.0, 127.0) as i8
    }

    /// `scale·(q - zero_point)`.
    #[inline]
    pub fn dequantize(self, q: i8) -> f32 {
        self.scale * (i32::from(q) - self.zero_point) as f32
    }

    /// Whether a file's values make a quantisation: a finite positive scale and an int8 zero
    /// point.
    pub fn is_valid(self) -> bool {
        self.scale.is_finite() && self.scale > 0.0 && (-128..=127).contains(&self.zero_point)
    }
}

/// `x` rounded to the nearest integer, halves away from zero, without `std` (C's `round`).
fn round_half_away(x: f32) -> f32 {
    if x.is_nan() {
        return 0.0;
    }
    let t = x as i64 as f32; // truncated towards zero; saturates far out of int8's range
    let frac = x - t;
    if frac >= 0.5 {
        t + 1.0
    } else if frac <= -0.5 {
        t - 1.0
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_pixels_map_to_the_whole_int8_range() {
        let q = Quantization::from_range(0.0, 1.0);
        assert_eq!(q.zero_point, -128);
        assert_eq!(q.quantize(0.0), -128);
        assert_eq!(q.quantize(1.0), 127);
        assert_eq!(q.quantize(128.0 / 255.0), 0);
        assert_eq!(q.dequantize(q.quantize(0.0)), 0.0);
    }

    #[test]
    fn zero_is_exact_in_a_range_around_it() {
        let q = Quantization::from_range(-3.0, 5.0);
        assert_eq!(q.dequantize(q.quantize(0.0)), 0.0);
        let r = 1.2345;
        assert!((q.dequantize(q.quantize(r)) - r).abs() <= q.scale / 2.0 + 1e-6);
    }

    #[test]
    fn out_of_range_values_saturate_and_nan_is_zero() {
        let q = Quantization::from_range(-1.0, 1.0);
        assert_eq!(q.quantize(1e9), 127);
        assert_eq!(q.quantize(-1e9), -128);
        assert_eq!(q.quantize(f32::NAN), q.zero_point as i8);
    }

    #[test]
    fn halves_round_away_from_zero() {
        let q = Quantization {
            scale: 1.0,
            zero_point: 0,
        };
        assert_eq!(q.quantize(2.5), 3);
        assert_eq!(q.quantize(-2.5), -3);
        assert_eq!(q.quantize(-2.4), -2);
    }

    #[test]
    fn a_degenerate_range_still_has_a_positive_scale() {
        for (min, max) in [(0.0, 0.0), (f32::NAN, 1.0), (0.0, f32::INFINITY)] {
            assert!(
                Quantization::from_range(min, max).is_valid(),
                "{min}..{max}"
            );
        }
    }
}
