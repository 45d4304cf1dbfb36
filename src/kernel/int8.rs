//! The int8 matrix product with its requantisation (portable only, for now).

use crate::quant::Multiplier;

/// What turns a row's `i32` sums into int8 outputs, per output channel.
pub(crate) struct Requantize<'a> {
    pub bias: &'a [i32],
    pub multiplier: &'a [i32],
    pub shift: &'a [i8],
    pub zero_point: i32,
    pub min: i8,
    pub max: i8,
}

/// `out[r][o] = clamp(zp + M[o]·(bias[o] + Σ_k x[r][k]·w[k][o]))` for `rows` rows of `k`
/// values, the kernel in groups of four inputs (`kernel[g·O + o][j] = w[4g + j][o]`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    x: &[i8],
    rows: usize,
    row_stride: usize,
    k: usize,
    kernel: &[[i8; 4]],
    o: usize,
    q: &Requantize<'_>,
    out: &mut [i8],
    out_stride: usize,
) {
    for r in 0..rows {
        let row = &x[r * row_stride..r * row_stride + k];
        let y = &mut out[r * out_stride..r * out_stride + o];
        for (c, y) in y.iter_mut().enumerate() {
            let mut acc = q.bias[c];
            for (i, &v) in row.iter().enumerate() {
                acc = acc.wrapping_add(i32::from(v) * i32::from(kernel[(i / 4) * o + c][i % 4]));
            }
            let m = Multiplier {
                multiplier: q.multiplier[c],
                shift: i32::from(q.shift[c]),
            };
            // Saturating: an `apply` saturated at i32::MAX plus a positive zero point is still
            // the largest output, not a wrapped negative one.
            let v = q.zero_point.saturating_add(m.apply(acc));
            *y = v.clamp(i32::from(q.min), i32::from(q.max)) as i8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saturated_product_plus_the_zero_point_stays_saturated() {
        let kernel = [[1, 0, 0, 0], [-1, 0, 0, 0]];
        for (x, zero_point, want) in [(2, 5, 127), (-2, -5, -128)] {
            let q = Requantize {
                bias: &[0, 0],
                multiplier: &[i32::MAX, i32::MAX],
                shift: &[30, 30],
                zero_point,
                min: i8::MIN,
                max: i8::MAX,
            };
            let mut out = [0i8; 2];
            gemm(&[x], 1, 1, 1, &kernel, 2, &q, &mut out, 2);
            assert_eq!(out, [want, if want > 0 { -128 } else { 127 }], "x = {x}");
        }
    }
}
